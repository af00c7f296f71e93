//! Prints every SIP record (frame, other frames, transport, addresses, start line,
//! Call-ID, anomalies): `cargo run --example sipdump -- FILE...`. A debugging aid.

use std::path::PathBuf;

use algscope::engine::{Engine, Event};
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
    let print = |ev: Event| match ev {
        Event::Sip(r) => println!(
            "{} {:?} {} {} -> {} {:?} call-id={:?} body={} sdp={:?} anomalies={:?}",
            r.frame,
            r.other_frames,
            r.transport.as_str(),
            r.src,
            r.dst,
            r.msg.start,
            r.msg.call_id,
            r.msg.body.len(),
            r.msg.sdp,
            r.msg.anomalies
        ),
        Event::Malformed(m) => println!("{} malformed {} {}", m.frame, m.layer.as_str(), m.reason),
        _ => {}
    };
    src.run(|frame, _| {
        engine.handle(frame);
        while let Some(ev) = engine.poll() {
            print(ev);
        }
        true
    });
    let s = engine.finish();
    while let Some(ev) = engine.poll() {
        print(ev);
    }
    println!("{:?}", s.decode);
}
