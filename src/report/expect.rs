//! Expectation files for CI regression: `algscope analyze --expect FILE.expect.json`
//! compares the findings of a run with the ones the file lists (id, Call-ID, direction,
//! cause; as a multiset) and says what is missing and what is unexpected.
//!
//! Format (`--write-expect FILE` writes one from a run):
//! ```json
//! {"findings": [{"id": "one-way-media", "call_id": "1-2592@192.0.2.10",
//!                "direction": "caller->callee", "cause": "unknown"}]}
//! ```

use std::io;

use serde::{Deserialize, Serialize};

use super::Sink;
use crate::engine::{Event, Summary};
use crate::findings::Finding;
use crate::source::SourceReport;

/// One expected finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Expected {
    pub id: String,
    pub call_id: Option<String>,
    pub direction: Option<String>,
    pub cause: String,
}

impl Expected {
    pub fn of(f: &Finding) -> Expected {
        Expected {
            id: f.id.to_string(),
            call_id: f.call_id.clone(),
            direction: f.direction.map(str::to_string),
            cause: f.cause.as_str().to_string(),
        }
    }
}

/// An expectation file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectFile {
    pub findings: Vec<Expected>,
}

/// Differences between expected and actual findings, one line each (empty = equal).
pub fn compare(expected: &[Expected], actual: &[Expected]) -> Vec<String> {
    let mut want = expected.to_vec();
    let mut got = actual.to_vec();
    want.sort();
    got.sort();
    let mut out = Vec::new();
    let mut g = got.clone();
    for w in &want {
        match g.iter().position(|x| x == w) {
            Some(i) => {
                g.remove(i);
            }
            None => out.push(format!("missing: {}", describe(w))),
        }
    }
    for x in g {
        out.push(format!("unexpected: {}", describe(&x)));
    }
    out
}

fn describe(e: &Expected) -> String {
    format!(
        "{} call {} direction {} cause {}",
        e.id,
        e.call_id.as_deref().unwrap_or("-"),
        e.direction.as_deref().unwrap_or("-"),
        e.cause
    )
}

/// A sink that keeps the findings and passes everything on.
pub struct Recording<'a> {
    pub inner: &'a mut dyn Sink,
    pub findings: Vec<Expected>,
}

impl Sink for Recording<'_> {
    fn begin(&mut self, inputs: &[String]) -> io::Result<()> {
        self.inner.begin(inputs)
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if let Event::Finding(f) = ev {
            self.findings.push(Expected::of(f));
        }
        self.inner.event(ev)
    }

    fn finish(&mut self, summary: &Summary, source: &SourceReport) -> io::Result<()> {
        self.inner.finish(summary, source)
    }

    fn status(&mut self, status: &crate::live::Status) -> io::Result<()> {
        self.inner.status(status)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str, call: &str) -> Expected {
        Expected {
            id: id.into(),
            call_id: Some(call.into()),
            direction: None,
            cause: "nat".into(),
        }
    }

    #[test]
    fn multiset_comparison() {
        let want = vec![e("a", "1"), e("a", "1"), e("b", "2")];
        assert_eq!(
            compare(&want, &[e("b", "2"), e("a", "1"), e("a", "1")]),
            Vec::<String>::new()
        );
        assert_eq!(
            compare(&want, &[e("a", "1"), e("c", "3")]),
            vec![
                "missing: a call 1 direction - cause nat".to_string(),
                "missing: b call 2 direction - cause nat".to_string(),
                "unexpected: c call 3 direction - cause nat".to_string(),
            ]
        );
    }
}
