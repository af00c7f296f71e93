//! `transfer-broken`: a transfer (RFC 3515 REFER, RFC 3891 Replaces) that did not work:
//! the REFER rejected, a NOTIFY whose sipfrag reports a failure, a Refer-To carrying a
//! private address sent from a public one (the Linux ALG, for one, does not rewrite
//! Refer-To), or an INVITE with Replaces answered 481 (the dialog to replace was not
//! found: often a Call-ID or tag rewritten on the way).

use super::address::is_private;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;
use crate::sip::call::{CallState, Side};

#[derive(Debug, Default)]
pub struct TransferBroken;

const ADVICE: &str = "transfers need every address in REFER, Refer-To and Contact to be \
                      reachable by the transfer target: check what rewrites (or fails to \
                      rewrite) them on the way, a SIP ALG first; a provider-side transfer \
                      (or an SBC) avoids it";

/// The host of a `<sip:user@host:port;params>` value when it is an IP address.
fn refer_to_ip(value: &str) -> Option<std::net::IpAddr> {
    let inner = value.trim().trim_start_matches('<');
    let after_scheme = inner.split_once(':')?.1;
    let host_part = after_scheme
        .rsplit_once('@')
        .map(|x| x.1)
        .unwrap_or(after_scheme);
    let host = if let Some(rest) = host_part.strip_prefix('[') {
        rest.split(']').next()?
    } else {
        host_part.split([':', ';', '>', '?']).next()?
    };
    host.parse().ok()
}

impl Detector for TransferBroken {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        let call = &rec.call;
        let mut push = |why: String, cause: Cause, evidence: Vec<Evidence>| {
            out.push(Finding {
                why,
                evidence,
                advice: ADVICE.into(),
                ..Finding::about_call("transfer-broken", Severity::Error, call, cause)
            });
        };
        // NOTIFYs about the transfer sent where they get no answer (a private Contact).
        for u in call
            .unanswered
            .iter()
            .filter(|u| u.method == crate::sip::Method::Notify && u.retransmissions > 0)
        {
            let private = is_private(u.dst.ip()) && !is_private(u.src.ip());
            push(
                format!(
                    "the NOTIFY reporting the transfer was sent {} times to {} without any \
                     response{}",
                    u.retransmissions + 1,
                    u.dst,
                    if private {
                        ": a private address (the transferor's Contact crossed the NAT \
                         untranslated), so the transferor never learns the outcome"
                    } else {
                        ""
                    }
                ),
                if private { Cause::Nat } else { Cause::Unknown },
                vec![Evidence {
                    frame: u.frame,
                    shows: format!("NOTIFY {} -> {}", u.src, u.dst),
                }],
            );
        }
        for r in &call.refers {
            let refer_ev = Evidence {
                frame: r.frame,
                shows: format!("REFER Refer-To: {}", r.refer_to),
            };
            // Accepted, but no NOTIFY ever said how it went (RFC 3515 requires them): they
            // were sent where they do not arrive, or never sent.
            if let Some((code, frame)) = r.response.filter(|(c, _)| (200..300).contains(c)) {
                if r.notifies.is_empty() {
                    push(
                        format!(
                            "the REFER from the {} was accepted ({code}) but no NOTIFY with \
                             the transfer's outcome arrived: it was sent somewhere this side \
                             cannot be reached (an untranslated Contact) or never sent, so \
                             the transferor cannot tell whether the transfer worked",
                            r.by.as_str()
                        ),
                        Cause::Unknown,
                        vec![
                            refer_ev.clone(),
                            Evidence {
                                frame,
                                shows: format!("{code} to the REFER"),
                            },
                        ],
                    );
                }
            }
            if let Some((code, frame)) = r.response.filter(|(c, _)| *c >= 300) {
                push(
                    format!(
                        "the REFER from the {} was rejected with {code}",
                        r.by.as_str()
                    ),
                    Cause::Unknown,
                    vec![
                        refer_ev.clone(),
                        Evidence {
                            frame,
                            shows: format!("response {code}"),
                        },
                    ],
                );
            }
            if let Some((frame, Some(code))) =
                r.notifies.iter().find(|(_, c)| c.is_some_and(|c| c >= 300))
            {
                push(
                    format!(
                        "the transfer to {} failed: the NOTIFY reports {code}",
                        r.refer_to
                    ),
                    Cause::Unknown,
                    vec![
                        refer_ev.clone(),
                        Evidence {
                            frame: *frame,
                            shows: format!("sipfrag SIP/2.0 {code}"),
                        },
                    ],
                );
            }
            let sender = match r.by {
                Side::Caller => call.caller_sig,
                Side::Callee => call.callee_sig,
            };
            if let Some(ip) = refer_to_ip(&r.refer_to) {
                if is_private(ip) && !is_private(sender.ip()) {
                    push(
                        format!(
                            "the Refer-To names the private address {ip} but the REFER came from \
                             the public {}: the transfer target cannot be reached from outside",
                            sender.ip()
                        ),
                        Cause::Nat,
                        vec![refer_ev.clone()],
                    );
                }
            }
        }
        if call.replaces.is_some() && call.state == CallState::Failed(481) {
            push(
                "the INVITE with Replaces was answered 481: the dialog to replace was not found"
                    .into(),
                Cause::Unknown,
                vec![Evidence {
                    frame: call.start_frame,
                    shows: format!("Replaces: {}", call.replaces.as_deref().unwrap_or("")),
                }],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::refer_to_ip;

    #[test]
    fn refer_to_hosts() {
        assert_eq!(
            refer_to_ip("<sip:carol@10.0.0.5:5060>"),
            "10.0.0.5".parse().ok()
        );
        assert_eq!(
            refer_to_ip("sip:10.0.0.5;transport=udp"),
            "10.0.0.5".parse().ok()
        );
        assert_eq!(
            refer_to_ip("<sip:bob@[fd00::1]:5060?Replaces=x>"),
            "fd00::1".parse().ok()
        );
        assert_eq!(refer_to_ip("<sip:carol@example.com>"), None);
        assert_eq!(refer_to_ip(""), None);
    }
}
