//! Reports: the engine's records and summary, as a table for people or JSON lines for
//! scripts. Both implement [`Sink`]; tests use an in-memory writer.

pub mod calls;
pub mod compare;
pub mod expect;
pub mod json;
pub mod ladder;
pub mod table;

use std::io;

use crate::engine::{Event, Summary};
use crate::source::SourceReport;

/// Where a run's output goes (ripgrep's printer pattern).
pub trait Sink {
    /// Once, before any record.
    fn begin(&mut self, inputs: &[String]) -> io::Result<()>;
    /// Every record the engine produced, in order.
    fn event(&mut self, ev: &Event) -> io::Result<()>;
    /// Once, at the end.
    fn finish(&mut self, summary: &Summary, source: &SourceReport) -> io::Result<()>;
    /// Live runs: a periodic status.
    fn status(&mut self, _status: &crate::live::Status) -> io::Result<()> {
        Ok(())
    }
    /// Live runs: push what was written so far out (a finding shows when it is decided).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
