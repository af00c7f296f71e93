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
        if let Err(e) = drain(&mut engine, sink) {
            err = Some(e);
            return false;
        }
        if engine.packets() % 4096 == 0 {
            progress(consumed, total);
        }
        true
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    let summary = finish(&mut engine, sink, &report)?;
    Ok((summary, report))
}

/// Hands the engine's pending records to the sink.
pub fn drain(engine: &mut Engine, sink: &mut dyn Sink) -> io::Result<()> {
    while let Some(ev) = engine.poll() {
        sink.event(&ev)?;
    }
    Ok(())
}

/// Ends a run: resolves what is pending, hands the last records and the summary to the
/// sink (the same end for files and live interfaces).
pub fn finish(
    engine: &mut Engine,
    sink: &mut dyn Sink,
    report: &SourceReport,
) -> io::Result<Summary> {
    let summary = engine.finish();
    drain(engine, sink)?;
    sink.finish(&summary, report)?;
    Ok(summary)
}

/// Analyzes one capture for `compare`: its SIP messages and media flows.
pub fn record_side(path: &std::path::Path) -> Result<crate::compare::Side, AnalyzeError> {
    let mut side = crate::compare::Side::default();
    analyze_files(
        &[path.to_path_buf()],
        Config::default(),
        &mut side,
        |_, _| {},
    )?;
    Ok(side)
}
