//! Shared test helpers: run a fixture through the engine and collect what came out.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use algscope::analyze::analyze_files;
use algscope::engine::{Config, Event, SipRecord, Summary};
use algscope::report::Sink;
use algscope::source::SourceReport;

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// A sink that keeps every record.
#[derive(Default)]
pub struct Collect {
    pub sip: Vec<SipRecord>,
    pub malformed: Vec<algscope::engine::MalformedRecord>,
    pub calls: Vec<algscope::engine::CallRecord>,
    pub flows: Vec<algscope::engine::FlowRecord>,
    pub registrations: Vec<algscope::sip::registration::Binding>,
    pub findings: Vec<algscope::findings::Finding>,
}

impl Sink for Collect {
    fn begin(&mut self, _inputs: &[String]) -> std::io::Result<()> {
        Ok(())
    }
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        match ev {
            Event::Sip(r) => self.sip.push((**r).clone()),
            Event::Malformed(m) => self.malformed.push(m.clone()),
            Event::Call(c) => self.calls.push((**c).clone()),
            Event::Flow(f) => self.flows.push((**f).clone()),
            Event::Registration(b) => self.registrations.push((**b).clone()),
            Event::Finding(f) => self.findings.push((**f).clone()),
            _ => {}
        }
        Ok(())
    }
    fn finish(&mut self, _s: &Summary, _r: &SourceReport) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct Run {
    pub summary: Summary,
    pub report: SourceReport,
    pub records: Collect,
}

pub fn run_files(paths: &[PathBuf]) -> Run {
    let mut records = Collect::default();
    let (summary, report) = analyze_files(paths, Config::default(), &mut records, |_, _| {})
        .unwrap_or_else(|e| panic!("{paths:?}: {e}"));
    Run {
        summary,
        report,
        records,
    }
}

pub fn run(rel: &str) -> Run {
    run_files(&[fixture(rel)])
}

impl Run {
    pub fn class(&self, name: &str) -> u64 {
        self.summary
            .accounting
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no class {name}"))
    }

    /// Asserts the accounting adds up and equals the given non-zero classes exactly
    /// (every class not listed must be zero).
    pub fn assert_accounting(&self, expected: &[(&str, u64)]) {
        assert_eq!(self.summary.accounting.total(), self.summary.packets_read);
        for (name, n) in self.summary.accounting.iter() {
            let want = expected
                .iter()
                .find(|(e, _)| *e == name)
                .map(|(_, v)| *v)
                .unwrap_or(0);
            assert_eq!(n, want, "accounting class {name}");
        }
    }

    pub fn requests(&self) -> Vec<(String, u64)> {
        self.summary
            .sip
            .requests
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    pub fn responses(&self) -> Vec<(u16, u64)> {
        self.summary
            .sip
            .responses
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect()
    }
}
