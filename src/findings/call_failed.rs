//! `call-failed`: signalling that never completed. An INVITE retransmitted without any
//! final response; a 2xx to the INVITE never ACKed (seen where the callee is: the 2xx
//! retransmitted, no ACK), or ACKed towards a private address while the 2xx kept coming
//! (seen where the caller is: the ACK went to an untranslated Contact); a BYE
//! retransmitted without response, typically sent to a Contact behind a NAT. Cause `nat`
//! when the unreachable destination is a private address sent to from a public one.

use super::address::is_private;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::{CallRecord, Event};
use crate::sip::call::CallState;
use crate::sip::Method;
use crate::time::Duration;

#[derive(Debug, Default)]
pub struct CallFailed {
    /// Call-IDs of answered legs already released, with where their INVITE went (for a
    /// forked call whose other branch is released later).
    answered: std::collections::HashMap<String, std::net::SocketAddr>,
}

/// Answered Call-IDs remembered (forgotten all at once beyond it).
const MAX_ANSWERED: usize = 20_000;

/// A 2xx left without ACK for this long is a failure (the callee retransmits it for 32 s).
const ACK_WAIT: Duration = Duration::from_secs(4);

const ADVICE: &str = "requests sent to a private Contact never arrive: fix the Contact the \
                      registrar and the far end use (the provider's NAT handling, the \
                      phone's public address or STUN, an SBC), and look for a router that \
                      rewrites or fails to rewrite SIP (a SIP ALG)";

fn finding(rec: &CallRecord, why: String, cause: Cause, evidence: Vec<Evidence>) -> Finding {
    Finding {
        why,
        evidence,
        advice: ADVICE.into(),
        ..Finding::about_call("call-failed", Severity::Error, &rec.call, cause)
    }
}

impl Detector for CallFailed {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        let call = &rec.call;
        if call.answered.is_some() {
            if self.answered.len() >= MAX_ANSWERED {
                self.answered.clear();
            }
            self.answered.insert(call.call_id.clone(), call.callee_sig);
        }
        if matches!(call.state, CallState::TimedOut | CallState::Unanswered)
            && call.invite_retransmissions > 0
        {
            // A forked call: another branch (same Call-ID, another destination) answered.
            let sibling = rec
                .answered_siblings
                .iter()
                .copied()
                .find(|s| *s != call.callee_sig)
                .or_else(|| {
                    self.answered
                        .get(&call.call_id)
                        .copied()
                        .filter(|s| *s != call.callee_sig)
                });
            let forked = sibling
                .map(|s| {
                    format!(
                        ": a forked branch that never got any response while the branch to \
                         {s} was answered (one phone of the group never rang: {})",
                        if s.ip() == call.callee_sig.ip() {
                            "both phones are behind the same public address and this one's \
                             NAT mapping (the port the registrar learned) no longer leads to \
                             it: it expired without keepalives, or was re-mapped"
                        } else {
                            "its binding or NAT mapping is stale"
                        }
                    )
                })
                .unwrap_or_default();
            let same_nat = sibling.is_some_and(|s| s.ip() == call.callee_sig.ip())
                && !is_private(call.callee_sig.ip());
            let mut f = finding(
                rec,
                format!(
                    "the INVITE to {} was sent {} times without any final response{forked}",
                    call.callee_sig,
                    call.invite_retransmissions + 1
                ),
                if same_nat { Cause::Nat } else { Cause::Unknown },
                vec![Evidence {
                    frame: call.start_frame,
                    shows: format!("INVITE {} -> {}", call.caller_sig, call.callee_sig),
                }],
            );
            if sibling.is_some() {
                f.advice = "keep every phone's NAT mapping alive (REGISTER refresh or \
                            keepalives more often than the router's UDP timeout, often 30-60 \
                            s), or have the registrar and proxy keep them alive (NAT pings, \
                            RFC 5626 outbound); check that the router does not map several \
                            phones onto one public port"
                    .into();
            }
            out.push(f);
        }
        if let Some((answered, frame)) = call.answered {
            let until = call.ended.map(|(t, _)| t).unwrap_or(call.last_activity);
            let copies = call.answer_retransmissions;
            let waited = until.since(answered) >= ACK_WAIT;
            if !call.acked && !call.start_missing && (waited || copies >= 2) {
                out.push(finding(
                    rec,
                    format!(
                        "the 2xx to the INVITE was sent {} times and never ACKed (for {:.1} s): \
                         the caller's ACK does not reach the callee, which drops the call \
                         after 32 s",
                        copies + 1,
                        until.since(answered).as_secs_f64()
                    ),
                    Cause::Unknown,
                    vec![Evidence {
                        frame,
                        shows: format!("2xx {} -> {}", call.callee_sig, call.caller_sig),
                    }],
                ));
            }
            if let (true, Some((to, ack_frame))) = (call.acked, call.ack_to) {
                let private = is_private(to.ip()) && !is_private(call.caller_sig.ip());
                if copies >= 2 && private {
                    out.push(finding(
                        rec,
                        format!(
                            "the ACK went to {to}, a private address (the 2xx's Contact, not \
                             translated), while the 2xx kept coming ({} copies): the ACK \
                             never arrived and the callee drops the call after 32 s",
                            copies + 1
                        ),
                        Cause::Nat,
                        vec![
                            Evidence {
                                frame,
                                shows: format!("2xx {} -> {}", call.callee_sig, call.caller_sig),
                            },
                            Evidence {
                                frame: ack_frame,
                                shows: format!("ACK {} -> {to}", call.caller_sig),
                            },
                        ],
                    ));
                }
            }
        }
        // In-dialog requests that end the call: a BYE lost leaves the far end in the call.
        // (An unanswered re-INVITE is hold-broken's or t38-failed's, a NOTIFY or REFER
        // transfer-broken's.)
        for u in call.unanswered.iter().filter(|u| u.method == Method::Bye) {
            if u.retransmissions == 0 {
                continue;
            }
            let private_dst = is_private(u.dst.ip()) && !is_private(u.src.ip());
            let mut why = format!(
                "the {} to {} was sent {} times without any response",
                u.method,
                u.dst,
                u.retransmissions + 1
            );
            if private_dst {
                why.push_str(&format!(
                    ": {} is a private address, sent to from the public {}, so it cannot arrive \
                     (the Contact it came from was not translated)",
                    u.dst.ip(),
                    u.src.ip()
                ));
            }
            out.push(finding(
                rec,
                why,
                if private_dst {
                    Cause::Nat
                } else {
                    Cause::Unknown
                },
                vec![Evidence {
                    frame: u.frame,
                    shows: format!("{} {} -> {}", u.method, u.src, u.dst),
                }],
            ));
        }
    }
}
