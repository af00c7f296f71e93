//! `hold-broken`: hold or resume that did not work.
//! - a re-INVITE/UPDATE that puts the call on hold (sendonly, recvonly, inactive,
//!   c=0.0.0.0) or resumes it was rejected (4xx/5xx, 491 glare) or never answered, and no
//!   later offer of the same kind succeeded (a 491 followed by a successful retry is the
//!   protocol working): one finding per kind, a warning when the far end answered with a
//!   rejection, an error when nothing answered;
//! - after a resume was answered, a side that sent media before the hold sends none
//!   again (the classic symptom of a router that closed the media pinhole while the call
//!   was on hold and does not reopen it).

use super::one_way_media::{direction, line_text};
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;
use crate::media::flow::FlowProto;
use crate::report::calls::media_legs;
use crate::sdp::{Direction, MediaKind};
use crate::sip::call::{Epoch, MediaLine, Side};

#[derive(Debug, Default)]
pub struct HoldBroken;

fn is_hold(l: &MediaLine) -> bool {
    l.hold_address() || l.direction != Direction::SendRecv
}

/// Whether the epoch holds the audio stream (either side's line says hold).
fn holds(e: &Epoch) -> bool {
    e.lines
        .iter()
        .any(|l| l.media == MediaKind::Audio && l.enabled() && is_hold(l))
}

const ADVICE_REJECTED: &str = "the far end refused the re-INVITE: 491 is glare (both sides \
                               re-INVITEd at once) and is normally retried after a few \
                               seconds; a final 4xx/5xx is the far end's answer (488: it did \
                               not accept the SDP, e.g. one a router rewrote): check its logs \
                               and the SDP it received";
const ADVICE_UNANSWERED: &str = "the re-INVITE got no answer: check whether it reached the far \
                                 end (a router or ALG dropping or mangling in-dialog requests, \
                                 a Contact it cannot reach)";

const ADVICE: &str = "check the router between the phone and the provider: pinholes for \
                      media closed while a call is on hold (ALGs and short UDP timeouts do \
                      this) are not reopened on resume; disable the SIP ALG or keep media \
                      flowing on hold (music on hold, RTP keepalives)";

impl Detector for HoldBroken {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        let call = &rec.call;
        // Rejected or unanswered hold/resume offers, per kind (hold, resume); a later
        // accepted offer of the same kind (the retry after a 491 glare) means it worked.
        let mut failed: Vec<(&str, Vec<&crate::sip::call::FailedOffer>)> = Vec::new();
        for f in &call.failed_offers {
            if !matches!(f.trigger.as_str(), "re-INVITE" | "UPDATE") {
                continue;
            }
            let Some(l) = f.lines.iter().find(|l| l.media == MediaKind::Audio) else {
                continue;
            };
            let held_before = call
                .epochs
                .iter()
                .rev()
                .find(|e| e.start <= f.ts)
                .is_some_and(holds);
            let what = if is_hold(l) {
                "hold"
            } else if held_before {
                "resume"
            } else {
                continue;
            };
            let retried_ok = call.epochs.iter().any(|e| {
                e.start > f.ts && matches!(e.trigger.as_str(), "re-INVITE" | "UPDATE") && {
                    let h = holds(e);
                    (what == "hold") == h
                }
            });
            if retried_ok {
                continue;
            }
            match failed.iter_mut().find(|(w, _)| *w == what) {
                Some((_, v)) => v.push(f),
                None => failed.push((what, vec![f])),
            }
        }
        for (what, offers) in failed {
            let how: Vec<String> = offers
                .iter()
                .map(|f| {
                    f.code
                        .map(|c| format!("rejected with {c}"))
                        .unwrap_or_else(|| "never answered".into())
                })
                .collect();
            let unanswered = offers.iter().any(|f| f.code.is_none());
            let first = offers[0];
            out.push(Finding {
                why: format!(
                    "the {what} {} from the {} was {}: the call never went {}",
                    first.trigger,
                    first.offerer.as_str(),
                    how.join(", then "),
                    if what == "hold" {
                        "on hold"
                    } else {
                        "off hold"
                    }
                ),
                evidence: offers
                    .iter()
                    .map(|f| Evidence {
                        frame: f.frame,
                        shows: format!(
                            "{} ({}){}",
                            f.trigger,
                            f.lines
                                .iter()
                                .find(|l| l.media == MediaKind::Audio)
                                .map(line_text)
                                .unwrap_or_default(),
                            f.code.map(|c| format!(" -> {c}")).unwrap_or_default()
                        ),
                    })
                    .collect(),
                advice: if unanswered {
                    ADVICE_UNANSWERED.into()
                } else {
                    ADVICE_REJECTED.into()
                },
                ..Finding::about_call(
                    "hold-broken",
                    if unanswered {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    call,
                    Cause::Unknown,
                )
            });
        }
        // Media that did not come back after an answered resume.
        let legs = media_legs(rec);
        let sent = |epoch: usize, from: Side| -> u64 {
            legs.iter()
                .filter(|l| l.epoch == Some(epoch) && l.from == from && l.proto == FlowProto::Rtp)
                .map(|l| l.packets)
                .sum()
        };
        for pair in call.epochs.windows(2) {
            let (hold, resume) = (&pair[0], &pair[1]);
            if !holds(hold) || holds(resume) {
                continue;
            }
            for from in [Side::Caller, Side::Callee] {
                let before_hold = call.epochs[..hold.index]
                    .iter()
                    .any(|e| sent(e.index, from) > 0);
                if !before_hold || !resume.expects_media(from, 0) || sent(resume.index, from) > 0 {
                    continue;
                }
                out.push(Finding {
                    epoch: Some(resume.index),
                    direction: Some(direction(from)),
                    why: format!(
                        "the {} sent media before the hold but none after the resume: epoch \
                         {} held the call, {} (epoch {}) resumed it",
                        from.as_str(),
                        hold.index,
                        resume.trigger,
                        resume.index
                    ),
                    evidence: resume
                        .lines
                        .iter()
                        .map(|l| Evidence {
                            frame: l.frame,
                            shows: line_text(l),
                        })
                        .collect(),
                    advice: ADVICE.into(),
                    ..Finding::about_call("hold-broken", Severity::Error, call, Cause::Unknown)
                });
            }
        }
    }
}
