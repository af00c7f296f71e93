//! Prints every frame's accounting class: `cargo run --example classify -- FILE...`.
//! A debugging aid for comparing algscope's classification with tshark frame by frame.

use std::path::PathBuf;

use algscope::engine::Engine;
use algscope::source::OfflineSource;

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let mut src = match OfflineSource::open(&paths) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut engine = Engine::default();
    src.run(|frame, _| {
        let class = engine.handle(frame);
        println!("{}\t{}", engine.packets(), class.as_str());
        while engine.poll().is_some() {}
        true
    });
}
