//! `response-misrouted`: a response sent to another address or port than its request came
//! from. RFC 3261 18.2.2 sends a UDP response to the Via sent-by port when the request has
//! no `rport` (RFC 3581); behind a NAT that re-maps the source port, that port is not the
//! NAT mapping, so the response is lost (the phone retransmits, calls fail, registrations
//! lapse). Reported once per Call-ID.

use super::address::is_private;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;
use crate::sip::RPort;

#[derive(Debug, Default)]
pub struct ResponseMisrouted {
    seen: super::Seen<String>,
}

impl Detector for ResponseMisrouted {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Sip(r) = ev else { return };
        let (Some(code), Some(request_from)) = (r.msg.status(), r.request_from) else {
            return;
        };
        if r.dst == request_from {
            return;
        }
        let call_id = r.msg.call_id.clone().unwrap_or_default();
        if !self.seen.first_time(call_id.clone()) {
            return;
        }
        let via = r.msg.vias.first();
        let via_port = via.and_then(|v| v.port).unwrap_or(5060);
        let no_rport = via.is_some_and(|v| v.rport == RPort::Absent);
        let mut why = format!(
            "the {code} was sent to {} while its request came from {request_from}",
            r.dst
        );
        if r.dst.port() == via_port && no_rport {
            why.push_str(&format!(
                "; it went to the Via port {via_port} because the request asked for no rport, \
                 but the request left through a NAT that re-mapped its port"
            ));
        }
        let nat = request_from.ip() == r.dst.ip() && !is_private(request_from.ip());
        out.push(Finding {
            site: None,
            id: "response-misrouted",
            severity: Severity::Error,
            call_id: Some(call_id),
            leg: None,
            epoch: None,
            direction: None,
            cause: if nat { Cause::Nat } else { Cause::Unknown },
            why,
            evidence: vec![Evidence {
                frame: r.frame,
                shows: format!(
                    "{code} {} -> {} (Via: {})",
                    r.src,
                    r.dst,
                    via.map(|v| v.raw.as_str()).unwrap_or("none")
                ),
            }],
            advice: "have the phone send rport (RFC 3581) and the server honour it (send \
                     responses to the source address and port), or keep the NAT mapping \
                     port-preserving; an ALG that rewrites Via without fixing this makes it \
                     worse"
                .into(),
        });
    }
}
