//! `media-source-mismatch`: media of a call arrives from another address than the one
//! its sender announced in SDP (with symmetric RTP a phone sends from where it receives):
//! a NAT changed the source on the way, or the media comes from a relay the SDP does not
//! name. Says whether the far end latched (sent back to where the media came from: audio
//! works) or kept sending to the announced address (`warning`: if that address is
//! private, that audio never arrives). Reported once per call leg and direction.

use std::net::SocketAddr;

use super::address::is_private;
use super::one_way_media::{direction, line_text};
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::correlate::MatchKind;
use crate::engine::Event;
use crate::media::flow::FlowProto;
use crate::sip::call::Side;

#[derive(Debug, Default)]
pub struct MediaSourceMismatch;

impl Detector for MediaSourceMismatch {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        let id = rec.call.id;
        for from in [Side::Caller, Side::Callee] {
            // The first RTP flow of this direction whose source is not the sender's SDP
            // address for that epoch and stream.
            let mut hit = None;
            'flows: for flow in rec.flows.iter().filter(|f| f.key.proto == FlowProto::Rtp) {
                for share in &flow.epochs {
                    let Some(a) = share
                        .attribution
                        .iter()
                        .chain(share.also.iter())
                        .find(|a| a.call == id && a.from == from)
                    else {
                        continue;
                    };
                    let Some(e) = rec.call.epochs.get(a.epoch) else {
                        continue;
                    };
                    let Some(line) = e.line(from, a.stream) else {
                        continue;
                    };
                    let Some(announced) = line.receive_addr() else {
                        continue;
                    };
                    if flow.key.src.ip() != announced.ip() {
                        hit = Some((flow, share.first_frame, line, announced, a.epoch, a.stream));
                        break 'flows;
                    }
                }
            }
            let Some((flow, frame, line, announced, epoch, stream)) = hit else {
                continue;
            };
            let actual: SocketAddr = flow.key.src;
            // How the other side's media back to this sender was matched.
            let back: Option<MatchKind> = rec
                .flows
                .iter()
                .filter(|f| f.key.proto == FlowProto::Rtp)
                .flat_map(|f| f.epochs.iter())
                .flat_map(|s| s.attribution.iter().chain(s.also.iter()))
                .filter(|a| {
                    a.call == id && a.from == from.other() && a.epoch == epoch && a.stream == stream
                })
                .map(|a| a.how)
                .min();
            let (severity, back_text) = match back {
                Some(MatchKind::Latched) => (
                    Severity::Info,
                    format!(
                        "the {} sends back to {actual} (it latched): audio can work",
                        from.other().as_str()
                    ),
                ),
                Some(MatchKind::Exact) => (
                    Severity::Warning,
                    format!(
                        "the {} sends back to the announced {announced}{}",
                        from.other().as_str(),
                        if is_private(announced.ip()) {
                            ", a private address: that audio does not arrive"
                        } else {
                            ""
                        }
                    ),
                ),
                Some(other) => (
                    Severity::Warning,
                    format!(
                        "the {}'s media back was matched {}",
                        from.other().as_str(),
                        other.as_str()
                    ),
                ),
                None => (
                    Severity::Warning,
                    format!("no media from the {} was seen", from.other().as_str()),
                ),
            };
            let cause = if is_private(announced.ip()) && !is_private(actual.ip()) {
                Cause::Nat
            } else {
                Cause::Unknown
            };
            out.push(Finding {
                site: (cause == Cause::Nat).then_some(actual.ip()),
                id: "media-source-mismatch",
                severity,
                call_id: Some(rec.call.call_id.clone()),
                leg: Some(id),
                epoch: Some(epoch),
                direction: Some(direction(from)),
                cause,
                why: format!(
                    "the {}'s RTP comes from {actual} while its SDP announced {announced}; {back_text}",
                    from.as_str()
                ),
                evidence: vec![
                    Evidence {
                        frame: line.frame,
                        shows: line_text(line),
                    },
                    Evidence {
                        frame,
                        shows: format!("RTP {actual} -> {} ({} packets)", flow.key.dst, flow.packets),
                    },
                ],
                advice: "the receiving side must latch media to the address it comes from \
                         (symmetric RTP / comedia / rtpengine) or the sender must announce its \
                         public address (STUN, an SBC); check whether a media relay is expected"
                    .into(),
            });
        }
    }
}
