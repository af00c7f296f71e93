//! `one-way-media` and `no-media`: in an epoch where both sides agreed media should flow
//! (RFC 3264 directions, hold aware: sendonly/recvonly/inactive and c=0.0.0.0 make silence
//! expected), an audio direction that carried no RTP at all while the other did
//! (`one-way-media`), or neither did (`no-media`). Early epochs (183) expect media only
//! from the callee. Epochs shorter than a second are not judged.
//!
//! Cause: when the silent direction's receiver announced a private address in its SDP
//! while its SIP came from another, public address, nothing translated the SDP: NAT
//! without an ALG (`nat`). Otherwise `unknown`.

use super::address::is_private;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::{CallRecord, Event};
use crate::media::flow::FlowProto;
use crate::report::calls::media_legs;
use crate::sdp::MediaKind;
use crate::sip::call::{Epoch, MediaLine, Side};
use crate::time::Duration;

#[derive(Debug, Default)]
pub struct OneWayMedia;

/// Shorter epochs are not judged: media may not have started yet.
const MIN_EPOCH: Duration = Duration::from_secs(1);

pub(crate) fn direction(from: Side) -> &'static str {
    match from {
        Side::Caller => "caller->callee",
        Side::Callee => "callee->caller",
    }
}

pub(crate) fn line_text(l: &MediaLine) -> String {
    format!(
        "{} SDP: c={} m={} {} {} a={}",
        l.side.as_str(),
        l.connection_raw.as_deref().unwrap_or("?"),
        l.media.as_str(),
        l.port,
        l.proto,
        l.direction.as_str()
    )
}

/// NAT without ALG: the receiver's SDP address is private and its SIP came from a public
/// address (nothing rewrote the SDP on the way).
pub(crate) fn unrewritten_private(receiver: &MediaLine) -> bool {
    let sig = receiver.signalling_src.ip();
    receiver
        .addr
        .is_some_and(|a| is_private(a) && a != sig && !is_private(sig))
}

/// When the epoch ended: the next epoch or the call's end; for a call whose end the
/// capture does not show, the last sign of life (its last message or media packet).
fn epoch_end(rec: &CallRecord, e: &Epoch) -> crate::time::Timestamp {
    e.end.or(rec.call.ended.map(|(t, _)| t)).unwrap_or_else(|| {
        rec.flows
            .iter()
            .map(|f| f.last_ts)
            .fold(rec.call.last_activity, std::cmp::Ord::max)
    })
}

impl Detector for OneWayMedia {
    fn on_event(&mut self, ev: &Event, ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        if ctx.media_packets == 0 && ctx.other_packets == 0 {
            // A capture of nothing but SIP (filtered to signalling): silence proves
            // nothing. With other traffic in it (ARP, ICMP, other UDP), the capture was
            // not filtered, and a call without any media is dead air.
            return;
        }
        let legs = media_legs(rec);
        for e in &rec.call.epochs {
            if epoch_end(rec, e).since(e.start) < MIN_EPOCH {
                continue;
            }
            for stream in 0..e.streams() {
                let audio = e
                    .line(Side::Caller, stream)
                    .is_some_and(|l| l.media == MediaKind::Audio);
                if !audio {
                    continue;
                }
                let judged: Vec<(Side, u64)> = [Side::Caller, Side::Callee]
                    .into_iter()
                    .filter(|from| e.expects_media(*from, stream))
                    .filter(|from| !(e.early && *from == Side::Caller))
                    .map(|from| {
                        let n = legs
                            .iter()
                            .filter(|l| {
                                l.epoch == Some(e.index)
                                    && l.stream == stream
                                    && l.from == from
                                    && l.proto == FlowProto::Rtp
                            })
                            .map(|l| l.packets)
                            .sum();
                        (from, n)
                    })
                    .collect();
                let silent: Vec<Side> = judged
                    .iter()
                    .filter(|(_, n)| *n == 0)
                    .map(|(s, _)| *s)
                    .collect();
                if silent.is_empty() {
                    continue;
                }
                let heard: Vec<&(Side, u64)> = judged.iter().filter(|(_, n)| *n > 0).collect();
                // No media at all for this leg (while the capture has media, or other
                // traffic that shows it was not filtered to SIP): dead air, or media on a
                // path this capture point does not see.
                let id = if heard.is_empty() {
                    "no-media"
                } else {
                    "one-way-media"
                };
                for from in silent {
                    out.push(finding(rec, e, stream, from, id, &heard));
                }
            }
        }
    }
}

fn finding(
    rec: &CallRecord,
    e: &Epoch,
    stream: usize,
    from: Side,
    id: &'static str,
    heard: &[&(Side, u64)],
) -> Finding {
    let receiver = e.line(from.other(), stream);
    let sender = e.line(from, stream);
    let mut evidence = Vec::new();
    for l in [sender, receiver].into_iter().flatten() {
        evidence.push(Evidence {
            frame: l.frame,
            shows: line_text(l),
        });
    }
    let to = receiver
        .and_then(|l| l.receive_addr())
        .map(|a| a.to_string())
        .unwrap_or_else(|| "?".into());
    let mut why = format!(
        "no RTP from the {} to {to} in epoch {} ({}) although both SDPs agreed on sending \
         (or it took a path this capture does not see)",
        from.as_str(),
        e.index,
        e.trigger
    );
    for (side, n) in heard {
        why.push_str(&format!("; {n} RTP packets flowed {}", direction(*side)));
    }
    let (cause, advice) = match receiver {
        Some(r) if unrewritten_private(r) => {
            why.push_str(&format!(
                "; the {} announced the private address {} while its SIP came from {}: no \
                 ALG translated the SDP, so media to it cannot cross the NAT",
                r.side.as_str(),
                r.addr.map(|a| a.to_string()).unwrap_or_default(),
                r.signalling_src.ip()
            ));
            (
                Cause::Nat,
                "NAT without SIP ALG: have the far end latch media to where packets come from \
                 (symmetric RTP / comedia / rtpengine), or set the phone's public address or \
                 STUN; an SBC on the provider side solves it for every phone"
                    .to_string(),
            )
        }
        _ => (
            Cause::Unknown,
            "check that the sender really sends (mute, codec), and that firewalls on both \
             paths pass the RTP port range; capture on the other side of the router to see \
             where the packets stop"
                .to_string(),
        ),
    };
    Finding {
        site: None,
        id,
        // No media at all may be a path the capture does not see; one-way media is not.
        severity: if id == "no-media" {
            Severity::Warning
        } else {
            Severity::Error
        },
        call_id: Some(rec.call.call_id.clone()),
        leg: Some(rec.call.id),
        epoch: Some(e.index),
        direction: Some(direction(from)),
        cause,
        why,
        evidence,
        advice,
    }
}
