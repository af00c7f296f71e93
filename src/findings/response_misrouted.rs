//! `response-misrouted`: responses sent to another address or port than their request
//! came from. RFC 3261 18.2.2 sends a UDP response to the Via sent-by port when the
//! request has no `rport` (RFC 3581), and a server that ignores `rport` does the same;
//! behind a NAT that re-maps the source port, that port is not the NAT mapping, so the
//! response is lost or, worse, delivered to another phone that owns that mapping (the
//! phone retransmits, calls fail, registrations lapse). One finding per Call-ID with every
//! misrouted response, decided when its call is released, 32 s after the first, or at the
//! end of the capture.

use std::collections::HashMap;

use super::address::is_private;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::{Event, SipRecord};
use crate::sip::RPort;
use crate::time::{Duration, Timestamp};

#[derive(Debug, Default)]
pub struct ResponseMisrouted {
    pending: HashMap<String, Pending>,
}

#[derive(Debug)]
struct Pending {
    first_ts: Timestamp,
    finding: Finding,
    count: usize,
}

/// How long misrouted responses of one Call-ID are gathered.
const GATHER: Duration = Duration::from_secs(32);
/// Call-IDs gathered at once (beyond it the oldest are reported early).
const MAX_PENDING: usize = 10_000;

fn first_finding(r: &SipRecord, code: u16, request_from: std::net::SocketAddr) -> Finding {
    let via = r.msg.vias.first();
    let via_port = via.and_then(|v| v.port).unwrap_or(5060);
    let mut why = format!(
        "the {code} was sent to {} while its request came from {request_from}",
        r.dst
    );
    if r.dst.port() == via_port {
        match via.map(|v| &v.rport) {
            Some(RPort::Absent) => why.push_str(&format!(
                "; it went to the Via port {via_port} because the request asked for no \
                 rport, but the request left through a NAT that re-mapped its port"
            )),
            Some(RPort::Requested) => why.push_str(&format!(
                "; the request asked for rport (RFC 3581) but the server ignored it and \
                 answered to the Via port {via_port}, while the NAT had re-mapped the \
                 request's port"
            )),
            _ => {}
        }
    }
    let other_phone =
        request_from.ip() != r.dst.ip() && is_private(request_from.ip()) && is_private(r.dst.ip());
    if other_phone {
        why.push_str(&format!(
            "; it reached another device ({}) instead of the phone that asked: the router \
             forwarded it by the NAT mapping it was sent to, which belongs to that device",
            r.dst.ip()
        ));
    }
    let nat = (request_from.ip() == r.dst.ip() && !is_private(request_from.ip())) || other_phone;
    if nat && !other_phone {
        why.push_str(&format!(
            "; on that NAT, port {} may belong to another phone's mapping, which then \
             receives this response",
            r.dst.port()
        ));
    }
    Finding {
        site: None,
        id: "response-misrouted",
        severity: Severity::Error,
        call_id: r.msg.call_id.clone(),
        leg: None,
        epoch: None,
        direction: None,
        cause: if nat { Cause::Nat } else { Cause::Unknown },
        why,
        evidence: Vec::new(),
        advice: "have the phone send rport (RFC 3581) and the server honour it (send \
                 responses to the source address and port), or keep the NAT mapping \
                 port-preserving; an ALG that rewrites Via without fixing this makes it worse"
            .into(),
    }
}

impl ResponseMisrouted {
    fn flush(&mut self, out: &mut Vec<Finding>, which: impl Fn(&String, &Pending) -> bool) {
        let mut keys: Vec<String> = self
            .pending
            .iter()
            .filter(|(k, p)| which(k, p))
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort();
        for k in keys {
            if let Some(p) = self.pending.remove(&k) {
                let mut f = p.finding;
                if p.count > 1 {
                    f.why
                        .push_str(&format!(" ({} responses misrouted)", p.count));
                }
                out.push(f);
            }
        }
    }
}

impl Detector for ResponseMisrouted {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        match ev {
            Event::Sip(r) => {
                let now = r.ts;
                self.flush(out, |_, p| now.since(p.first_ts) >= GATHER);
                let (Some(code), Some(request_from)) = (r.msg.status(), r.request_from) else {
                    return;
                };
                if r.dst == request_from {
                    return;
                }
                let call_id = r.msg.call_id.clone().unwrap_or_default();
                if !self.pending.contains_key(&call_id) && self.pending.len() >= MAX_PENDING {
                    let oldest = self
                        .pending
                        .iter()
                        .min_by_key(|(_, p)| p.first_ts)
                        .map(|(k, _)| k.clone());
                    self.flush(out, |k, _| Some(k) == oldest.as_ref());
                }
                let p = self.pending.entry(call_id).or_insert_with(|| Pending {
                    first_ts: r.ts,
                    finding: first_finding(r, code, request_from),
                    count: 0,
                });
                p.count += 1;
                if p.finding.evidence.len() < 16 {
                    p.finding.evidence.push(Evidence {
                        frame: r.frame,
                        shows: format!(
                            "{code} {} -> {} (request from {request_from}; Via: {})",
                            r.src,
                            r.dst,
                            r.msg.vias.first().map(|v| v.raw.as_str()).unwrap_or("none")
                        ),
                    });
                }
            }
            Event::Call(c) => {
                let id = c.call.call_id.clone();
                self.flush(out, |k, _| *k == id);
            }
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<Finding>) {
        self.flush(out, |_, _| true);
    }
}
