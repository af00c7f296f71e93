//! `hold-broken`: hold or resume that did not work.
//! - a re-INVITE/UPDATE that puts the call on hold (sendonly, recvonly, inactive,
//!   c=0.0.0.0) or resumes it was rejected (4xx/5xx, 491 glare) or never answered;
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

const ADVICE: &str = "check the router between the phone and the provider: pinholes for \
                      media closed while a call is on hold (ALGs and short UDP timeouts do \
                      this) are not reopened on resume; disable the SIP ALG or keep media \
                      flowing on hold (music on hold, RTP keepalives)";

impl Detector for HoldBroken {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        let call = &rec.call;
        // Rejected or unanswered hold/resume offers.
        for f in &call.failed_offers {
            if !matches!(f.trigger.as_str(), "re-INVITE" | "UPDATE") {
                continue;
            }
            let Some(l) = f.lines.iter().find(|l| l.media == MediaKind::Audio) else {
                continue;
            };
            let last_held = call.epochs.last().is_some_and(holds);
            let what = if is_hold(l) {
                "hold"
            } else if last_held {
                "resume"
            } else {
                continue;
            };
            let how = f
                .code
                .map(|c| format!("rejected with {c}"))
                .unwrap_or_else(|| "never answered".into());
            out.push(Finding {
                why: format!(
                    "the {what} {} from the {} was {how}",
                    f.trigger,
                    f.offerer.as_str()
                ),
                evidence: vec![Evidence {
                    frame: f.frame,
                    shows: line_text(l),
                }],
                advice: ADVICE.into(),
                ..Finding::about_call("hold-broken", Severity::Error, call, Cause::Unknown)
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
