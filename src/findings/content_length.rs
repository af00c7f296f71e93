//! `content-length-mismatch`: a SIP message over UDP whose Content-Length differs from the
//! body really present. A device that rewrites the body (an ALG changing SDP addresses)
//! must fix Content-Length; when it does not, the receiver cuts or pads the body.
//! Reported once per Call-ID (bounded).

use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::{Event, Transport};
use crate::sip::{Anomaly, DeclaredLength};

#[derive(Debug, Default)]
pub struct ContentLengthMismatch {
    seen: super::Seen<String>,
}

impl Detector for ContentLengthMismatch {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Sip(r) = ev else { return };
        if r.transport != Transport::Udp || !r.msg.has_anomaly(Anomaly::ContentLengthMismatch) {
            return;
        }
        let call_id = r.msg.call_id.clone().unwrap_or_default();
        if !self.seen.first_time(call_id.clone()) {
            return;
        }
        let declared = match &r.msg.content_length {
            DeclaredLength::Value(n) => n.to_string(),
            DeclaredLength::Invalid(s) => s.clone(),
            DeclaredLength::Absent => "none".into(),
        };
        out.push(Finding {
            site: None,
            id: "content-length-mismatch",
            severity: Severity::Warning,
            call_id: Some(call_id),
            leg: None,
            epoch: None,
            direction: None,
            cause: Cause::Unknown,
            why: format!(
                "Content-Length says {declared} but the body has {} bytes",
                r.msg.body.len()
            ),
            evidence: vec![Evidence {
                frame: r.frame,
                shows: format!("Content-Length: {declared} ({} -> {})", r.src, r.dst),
            }],
            advice: "a device on the path changed the body without fixing Content-Length (a \
                     SIP ALG rewriting SDP is the usual one): disable the ALG, or fix the \
                     sender"
                .into(),
        });
    }
}
