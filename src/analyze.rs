//! The offline driver: a source in front of the engine, records into a sink. The CLI and
//! the integration tests both run captures through here.

use std::io;
use std::path::PathBuf;

use crate::engine::{Config, Engine, Summary};
use crate::report::Sink;
use crate::source::{OfflineSource, SourceError, SourceReport};

/// Why an analysis could not run.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("writing the report: {0}")]
    Output(#[from] io::Error),
}

/// Analyzes capture files (merged by timestamp) and writes records and the summary to
/// `sink`. `progress` is called now and then with the bytes read so far and the total
/// (when known).
pub fn analyze_files(
    paths: &[PathBuf],
    config: Config,
    sink: &mut dyn Sink,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<(Summary, SourceReport), AnalyzeError> {
    let mut source = OfflineSource::open(paths)?;
    let total = source.total_bytes();
    let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    sink.begin(&inputs)?;
    let mut engine = Engine::new(config);
    let mut err: Option<io::Error> = None;
    let report = source.run(|frame, consumed| {
        engine.handle(frame);
        while let Some(ev) = engine.poll() {
            if let Err(e) = sink.event(&ev) {
                err = Some(e);
                return false;
            }
        }
        if engine.packets() % 4096 == 0 {
            progress(consumed, total);
        }
        true
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    let summary = engine.finish();
    while let Some(ev) = engine.poll() {
        sink.event(&ev)?;
    }
    sink.finish(&summary, &report)?;
    Ok((summary, report))
}
