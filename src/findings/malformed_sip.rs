//! `malformed-sip`: a datagram or stream part that starts like SIP but cannot be parsed,
//! or a message the tolerant parser read although it breaks RFC 3261 in a way receivers
//! reject (a mandatory header missing, a header line without a colon). The first ones are
//! reported one by one, the rest as a count at the end.

use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::decode::Layer;
use crate::engine::Event;

#[derive(Debug, Default)]
pub struct MalformedSip {
    count: u64,
}

/// Reported one by one; the rest are counted in one last finding.
const MAX_REPORTED: u64 = 20;

fn finding(why: String, evidence: Vec<Evidence>) -> Finding {
    Finding {
        site: None,
        id: "malformed-sip",
        severity: Severity::Warning,
        call_id: None,
        leg: None,
        epoch: None,
        direction: None,
        cause: Cause::Unknown,
        why,
        evidence,
        advice: "look at the sender of these messages (and at any device that rewrites SIP \
                 on the way, such as a SIP ALG)"
            .into(),
    }
}

impl Detector for MalformedSip {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        if let Event::Sip(r) = ev {
            use crate::sip::Anomaly;
            let broken: Vec<&str> = [
                (
                    Anomaly::MissingMandatoryHeader,
                    "a mandatory header (Call-ID, CSeq, From, To, Via) missing",
                ),
                (Anomaly::HeaderWithoutColon, "a header line without a colon"),
            ]
            .iter()
            .filter(|(a, _)| r.msg.has_anomaly(*a))
            .map(|(_, what)| *what)
            .collect();
            if broken.is_empty() {
                return;
            }
            self.count += 1;
            if self.count <= MAX_REPORTED {
                let line = r.msg.start.to_string();
                let mut f = finding(
                    format!(
                        "\"{line}\" from {} has {}: receivers reject it (400) or drop it, and \
                         ALGs may drop it on the way",
                        r.src,
                        broken.join(" and ")
                    ),
                    vec![Evidence {
                        frame: r.frame,
                        shows: line,
                    }],
                );
                f.call_id = r.msg.call_id.clone();
                out.push(f);
            }
            return;
        }
        let Event::Malformed(m) = ev else { return };
        if m.layer != Layer::Sip {
            return;
        }
        self.count += 1;
        if self.count <= MAX_REPORTED {
            out.push(finding(
                format!("unparseable SIP: {}", m.reason),
                vec![Evidence {
                    frame: m.frame,
                    shows: m.reason.clone(),
                }],
            ));
        }
    }

    fn finish(&mut self, out: &mut Vec<Finding>) {
        if self.count > MAX_REPORTED {
            out.push(finding(
                format!("{} more malformed SIP messages", self.count - MAX_REPORTED),
                Vec::new(),
            ));
        }
    }
}
