//! `sip-fragmented`: a SIP message too large for one packet (a big INVITE: many codecs,
//! ICE candidates) was sent in IP fragments and did not get through. Some routers and ALGs
//! drop or fail to reassemble IP fragments, so the message never arrives and the call
//! never sets up (field notes, item 9). Two signs, both in a single capture:
//! - the fragments of a SIP datagram never all arrived (the message could not be rebuilt);
//! - a fragmented request was retransmitted and never got any response (decided when its
//!   call is released, or at the end of the capture): the copies were sent, nothing came
//!   back, as when the fragments are dropped beyond the capture point.

use std::collections::HashMap;

use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;

/// A fragmented request waiting for a response.
#[derive(Debug, Clone)]
struct Pending {
    start_line: String,
    src: std::net::SocketAddr,
    dst: std::net::SocketAddr,
    bytes: usize,
    /// (frame that completed each copy, fragments of that copy).
    copies: Vec<(u64, usize)>,
}

#[derive(Debug, Default)]
pub struct SipFragmented {
    /// By (Call-ID, CSeq number, method).
    pending: HashMap<(String, u32, String), Pending>,
}

/// Fragmented requests followed at once (beyond it the oldest are forgotten).
const MAX_PENDING: usize = 10_000;

const ADVICE: &str = "keep SIP messages under the path MTU (fewer codecs, no unneeded \
                      headers), move SIP to TCP (RFC 3261 section 18.1.1 for messages over \
                      1300 bytes), and check routers or ALGs on the path that drop IP \
                      fragments";

fn unanswered(call_id: &str, p: Pending) -> Finding {
    let fragments: usize = p.copies.iter().map(|(_, n)| n).sum();
    Finding {
        site: None,
        id: "sip-fragmented",
        severity: Severity::Error,
        call_id: Some(call_id.to_string()),
        leg: None,
        epoch: None,
        direction: None,
        cause: Cause::Unknown,
        why: format!(
            "\"{}\" ({} bytes) from {} to {} was sent in IP fragments {} times ({fragments} \
             fragments) and never got a response: a router or ALG on the way is likely \
             dropping the fragments",
            p.start_line,
            p.bytes,
            p.src,
            p.dst,
            p.copies.len()
        ),
        evidence: p
            .copies
            .iter()
            .map(|(frame, n)| Evidence {
                frame: *frame,
                shows: format!("{} in {n} fragments", p.start_line),
            })
            .collect(),
        advice: ADVICE.into(),
    }
}

impl SipFragmented {
    fn flush(&mut self, call_id: Option<&str>, out: &mut Vec<Finding>) {
        let mut keys: Vec<(String, u32, String)> = self
            .pending
            .keys()
            .filter(|k| call_id.is_none_or(|c| k.0 == c))
            .cloned()
            .collect();
        keys.sort();
        for k in keys {
            if let Some(p) = self.pending.remove(&k) {
                if p.copies.len() >= 2 {
                    out.push(unanswered(&k.0, p));
                }
            }
        }
    }
}

impl Detector for SipFragmented {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        match ev {
            Event::SipFragmentsLost(l) => out.push(Finding {
                site: None,
                id: "sip-fragmented",
                severity: Severity::Error,
                call_id: None,
                leg: None,
                epoch: None,
                direction: None,
                cause: Cause::Unknown,
                why: format!(
                    "\"{}\" from {} to {} was sent in IP fragments and only {} of them \
                     arrived: the message could not be rebuilt",
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
                advice: ADVICE.into(),
            }),
            Event::Sip(r) => {
                let (Some(call_id), Some(cseq)) = (&r.msg.call_id, &r.msg.cseq) else {
                    return;
                };
                let key = (call_id.clone(), cseq.seq, cseq.method.to_string());
                if !r.msg.is_request() {
                    self.pending.remove(&key);
                    return;
                }
                if r.other_frames.is_empty() || r.transport != crate::engine::Transport::Udp {
                    return;
                }
                if !self.pending.contains_key(&key) && self.pending.len() >= MAX_PENDING {
                    self.pending.clear();
                }
                let p = self.pending.entry(key).or_insert_with(|| Pending {
                    start_line: r.msg.start.to_string(),
                    src: r.src,
                    dst: r.dst,
                    bytes: r.msg.len,
                    copies: Vec::new(),
                });
                if p.copies.len() < 16 {
                    p.copies.push((r.frame, r.other_frames.len() + 1));
                }
            }
            Event::Call(c) => {
                if c.call.call_id.is_empty() {
                    return;
                }
                let call_id = c.call.call_id.clone();
                self.flush(Some(&call_id), out);
            }
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<Finding>) {
        self.flush(None, out);
    }
}
