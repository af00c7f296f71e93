//! `t38-failed`: a switch to T.38 fax (`m=image ... udptl t38`) that was rejected (488,
//! 415, 606...), never answered, or accepted while UDPTL did not flow in a direction.

use super::one_way_media::{direction, line_text, unrewritten_private};
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;
use crate::media::flow::FlowProto;
use crate::report::calls::media_legs;
use crate::sdp::MediaKind;
use crate::sip::call::Side;

#[derive(Debug, Default)]
pub struct T38Failed;

const ADVICE: &str = "check T.38 support on both ends (or fall back to G.711 pass-through); \
                      if a router sits between, disable its SIP ALG: ALGs are known to leave \
                      the UDPTL port of a T.38 re-INVITE closed";

impl Detector for T38Failed {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        let call = &rec.call;
        for f in &call.failed_offers {
            let Some(image) = f.lines.iter().find(|l| l.media == MediaKind::Image) else {
                continue;
            };
            let how = match f.code {
                Some(c) => format!("rejected with {c}"),
                None => "never answered".into(),
            };
            let mut evidence = vec![Evidence {
                frame: f.frame,
                shows: format!(
                    "{} by the {}: {}",
                    f.trigger,
                    f.offerer.as_str(),
                    line_text(image)
                ),
            }];
            if let (Some(code), Some(frame)) = (f.code, f.response_frame) {
                evidence.push(Evidence {
                    frame,
                    shows: format!("response {code}"),
                });
            }
            out.push(Finding {
                why: format!(
                    "the T.38 {} from the {} was {how}",
                    f.trigger,
                    f.offerer.as_str()
                ),
                evidence,
                advice: ADVICE.into(),
                ..Finding::about_call("t38-failed", Severity::Error, call, Cause::Unknown)
            });
        }
        let legs = media_legs(rec);
        for e in &call.epochs {
            for stream in 0..e.streams() {
                if !e
                    .line(Side::Caller, stream)
                    .is_some_and(|l| l.media == MediaKind::Image)
                {
                    continue;
                }
                for from in [Side::Caller, Side::Callee] {
                    if !e.expects_media(from, stream) {
                        continue;
                    }
                    let n: u64 = legs
                        .iter()
                        .filter(|l| {
                            l.epoch == Some(e.index)
                                && l.stream == stream
                                && l.from == from
                                && l.proto == FlowProto::Udptl
                        })
                        .map(|l| l.packets)
                        .sum();
                    if n > 0 {
                        continue;
                    }
                    let receiver = e.line(from.other(), stream);
                    let cause = if receiver.is_some_and(unrewritten_private) {
                        Cause::Nat
                    } else {
                        Cause::Unknown
                    };
                    out.push(Finding {
                        epoch: Some(e.index),
                        direction: Some(direction(from)),
                        why: format!(
                            "T.38 was accepted ({}) but no UDPTL came from the {}",
                            e.trigger,
                            from.as_str()
                        ),
                        evidence: e
                            .lines
                            .iter()
                            .filter(|l| l.index == stream)
                            .map(|l| Evidence {
                                frame: l.frame,
                                shows: line_text(l),
                            })
                            .collect(),
                        advice: ADVICE.into(),
                        ..Finding::about_call("t38-failed", Severity::Error, call, cause)
                    });
                }
            }
        }
    }
}
