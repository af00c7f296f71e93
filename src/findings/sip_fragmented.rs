//! `sip-fragmented`: a SIP message too large for one packet (a big INVITE: many codecs,
//! ICE candidates) was fragmented and its fragments never all arrived. Some routers and
//! ALGs drop or fail to reassemble IP fragments, so the message never gets through and the
//! call never sets up (field notes, item 9).

use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;

#[derive(Debug, Default)]
pub struct SipFragmented;

impl Detector for SipFragmented {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::SipFragmentsLost(l) = ev else {
            return;
        };
        out.push(Finding {
            site: None,
            id: "sip-fragmented",
            severity: Severity::Error,
            call_id: None,
            leg: None,
            epoch: None,
            direction: None,
            cause: Cause::Unknown,
            why: format!(
                "\"{}\" from {} to {} was sent in IP fragments and only {} of them arrived: \
                 the message could not be rebuilt",
                l.start_line,
                l.src,
                l.dst,
                l.frames.len()
            ),
            evidence: l
                .frames
                .iter()
                .map(|f| Evidence {
                    frame: *f,
                    shows: format!("fragment of {} -> {}", l.src, l.dst),
                })
                .collect(),
            advice: "keep SIP messages under the path MTU (fewer codecs, no unneeded headers), \
                     move SIP to TCP (RFC 3261 section 18.1.1 for messages over 1300 bytes), \
                     and check routers or ALGs on the path that drop IP fragments"
                .into(),
        });
    }
}
