//! What the reports say about a call's media: per epoch, stream and direction, the
//! packets that arrived and how their flows were matched. Shared by the table, the JSON
//! lines and the ladder.

use std::collections::BTreeMap;

use crate::correlate::MatchKind;
use crate::engine::CallRecord;
use crate::media::flow::{Flow, FlowProto};
use crate::sip::call::Side;

/// Media seen for one (epoch, stream, direction, protocol) of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLeg {
    /// `None` for packets of the call's flows that matched no epoch.
    pub epoch: Option<usize>,
    pub stream: usize,
    pub from: Side,
    pub proto: FlowProto,
    pub packets: u64,
    /// The weakest match among the flows that carried these packets.
    pub matched: MatchKind,
    pub flows: Vec<u64>,
    pub first_frame: u64,
    pub last_frame: u64,
}

/// Sums the flows' epoch shares that belong to this call.
pub fn media_legs(rec: &CallRecord) -> Vec<MediaLeg> {
    let mut legs: BTreeMap<(Option<usize>, usize, Side, FlowProto), MediaLeg> = BTreeMap::new();
    for flow in &rec.flows {
        for share in &flow.epochs {
            let mine = share
                .attribution
                .iter()
                .chain(share.also.iter())
                .find(|a| a.call == rec.call.id)
                .copied();
            let Some(a) = mine else {
                continue;
            };
            let key = (Some(a.epoch), a.stream, a.from, flow.key.proto);
            let leg = legs.entry(key).or_insert_with(|| MediaLeg {
                epoch: Some(a.epoch),
                stream: a.stream,
                from: a.from,
                proto: flow.key.proto,
                packets: 0,
                matched: a.how,
                flows: Vec::new(),
                first_frame: share.first_frame,
                last_frame: share.last_frame,
            });
            leg.packets += share.packets;
            leg.matched = leg.matched.max(a.how);
            if !leg.flows.contains(&flow.id) {
                leg.flows.push(flow.id);
            }
            leg.first_frame = leg.first_frame.min(share.first_frame);
            leg.last_frame = leg.last_frame.max(share.last_frame);
        }
    }
    legs.into_values().collect()
}

/// Packets of one protocol sent by `from` over the whole call.
pub fn packets_from(legs: &[MediaLeg], from: Side, proto: FlowProto) -> u64 {
    legs.iter()
        .filter(|l| l.from == from && l.proto == proto)
        .map(|l| l.packets)
        .sum()
}

/// The weakest match among `from`'s media legs of `proto`, if any.
pub fn weakest_match(legs: &[MediaLeg], from: Side, proto: FlowProto) -> Option<MatchKind> {
    legs.iter()
        .filter(|l| l.from == from && l.proto == proto)
        .map(|l| l.matched)
        .max()
}

/// The flow's attribution at its last packet, if any (for the flow line).
pub fn last_attribution(flow: &Flow) -> Option<crate::correlate::Attribution> {
    flow.epochs.iter().rev().find_map(|s| s.attribution)
}

/// The quality figures of one direction of a call's RTP, as support engineers quote
/// them. The R-factor and MOS are E-model estimates (see `media::quality`).
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    pub from: Side,
    pub packets: u64,
    /// Expected and lost packets (tshark's way: from the first to the last sequence).
    pub expected: i64,
    pub lost: i64,
    pub loss_pct: f64,
    pub max_jitter_ms: f64,
    /// Packet-weighted mean of the flows' mean jitter.
    pub mean_jitter_ms: f64,
    /// IP-level bandwidth over the direction's media time.
    pub kbps: Option<f64>,
    /// DSCP values seen; `ef` is true when every packet was marked EF (46).
    pub dscp: Vec<u8>,
    pub ef: bool,
    /// What the receiving side reported in RTCP about this direction.
    pub rtcp_fraction_lost_pct: Option<f64>,
    pub rtcp_cumulative_lost: Option<i32>,
    /// The interarrival jitter the receiving side reported, in ms (needs the payload
    /// type's clock).
    pub rtcp_jitter_ms: Option<f64>,
    /// Distinct SSRCs the direction used (more than one: the sender restarted its
    /// stream, or several sources were mixed in).
    pub ssrcs: usize,
    /// Mean round trip between the capture point and the receiving side (RTCP LSR/DLSR).
    pub rtt_ms: Option<f64>,
    /// The payload type most packets used.
    pub payload_type: Option<u8>,
    /// The one-way delay the estimate assumed: half the round trip (when measured), a
    /// jitter buffer of twice the mean jitter, and 20 ms of packetization.
    pub assumed_delay_ms: f64,
    pub r_factor: Option<f64>,
    pub mos: Option<f64>,
}

/// Quality of each direction that carried RTP.
pub fn quality(rec: &CallRecord) -> Vec<Quality> {
    let mut out = Vec::new();
    for from in [Side::Caller, Side::Callee] {
        let of_call = |f: &&Flow| {
            f.epochs.iter().any(|s| {
                s.attribution
                    .is_some_and(|a| a.call == rec.call.id && a.from == from)
            })
        };
        let rtp: Vec<&Flow> = rec
            .flows
            .iter()
            .filter(|f| f.key.proto == FlowProto::Rtp)
            .filter(of_call)
            .collect();
        let stats: Vec<_> = rtp.iter().filter_map(|f| f.rtp.as_ref()).collect();
        let packets: u64 = stats.iter().map(|s| s.packets()).sum();
        if packets == 0 {
            continue;
        }
        let expected: i64 = stats.iter().map(|s| s.expected()).sum();
        let lost: i64 = stats.iter().map(|s| s.lost()).sum();
        let loss_pct = if expected > 0 {
            (lost.max(0) as f64) * 100.0 / expected as f64
        } else {
            0.0
        };
        let max_jitter_ms = stats.iter().map(|s| s.max_jitter_ms()).fold(0.0, f64::max);
        let mean_jitter_ms = stats
            .iter()
            .map(|s| s.mean_jitter_ms() * s.packets() as f64)
            .sum::<f64>()
            / packets as f64;
        let first = rtp.iter().map(|f| f.first_ts).min();
        let last = rtp.iter().map(|f| f.last_ts).max();
        let bytes: u64 = rtp.iter().map(|f| f.ip_bytes).sum();
        let kbps = match (first, last) {
            (Some(a), Some(b)) if b > a => {
                Some(bytes as f64 * 8.0 / b.since(a).as_secs_f64() / 1000.0)
            }
            _ => None,
        };
        let dscp_bits = rtp.iter().fold(0u64, |acc, f| acc | f.dscp);
        let dscp: Vec<u8> = (0..64u8).filter(|d| dscp_bits & (1u64 << d) != 0).collect();
        let ef = dscp == [46];
        // RTCP about this direction comes from the receiving side.
        let rtcp: Vec<&Flow> = rec
            .flows
            .iter()
            .filter(|f| f.key.proto == FlowProto::Rtcp)
            .filter(|f| {
                f.epochs.iter().any(|s| {
                    s.attribution
                        .is_some_and(|a| a.call == rec.call.id && a.from == from.other())
                })
            })
            .collect();
        let rtcp_fraction_lost_pct = rtcp
            .iter()
            .filter_map(|f| f.rtcp.last_fraction_lost)
            .map(|x| f64::from(x) * 100.0 / 256.0)
            .reduce(f64::max);
        let rtcp_cumulative_lost = rtcp
            .iter()
            .filter_map(|f| f.rtcp.last_cumulative_lost)
            .max();
        let rtt_ms = rtcp
            .iter()
            .filter_map(|f| f.rtcp.rtt)
            .reduce(|a, b| (a.0 + b.0, a.1 + b.1, a.2.min(b.2), a.3.max(b.3)))
            .map(|(n, sum, _, _)| sum / n as f64);
        let payload_type = (0u8..128)
            .filter(|pt| stats.iter().any(|s| s.saw_payload_type(*pt)))
            .find(|pt| crate::media::quality::codec_impairment(*pt).is_some())
            .or_else(|| (0u8..128).find(|pt| stats.iter().any(|s| s.saw_payload_type(*pt))));
        let clock = payload_type.and_then(crate::sdp::static_clock_rate);
        let rtcp_jitter_ms = rtcp
            .iter()
            .filter_map(|f| f.rtcp.last_jitter_units)
            .max()
            .and_then(|units| clock.map(|c| f64::from(units) * 1000.0 / f64::from(c)));
        let mut ssrc_list: Vec<u32> = rtp.iter().map(|f| f.key.ssrc).collect();
        ssrc_list.sort_unstable();
        ssrc_list.dedup();
        let assumed_delay_ms = rtt_ms.map(|r| r / 2.0).unwrap_or(0.0) + 2.0 * mean_jitter_ms + 20.0;
        let r_factor = payload_type
            .and_then(crate::media::quality::codec_impairment)
            .map(|(ie, bpl)| crate::media::quality::r_factor(ie, bpl, loss_pct, assumed_delay_ms));
        out.push(Quality {
            from,
            packets,
            expected,
            lost,
            loss_pct,
            max_jitter_ms,
            mean_jitter_ms,
            kbps,
            dscp,
            ef,
            rtcp_fraction_lost_pct,
            rtcp_cumulative_lost,
            rtcp_jitter_ms,
            ssrcs: ssrc_list.len(),
            rtt_ms,
            payload_type,
            assumed_delay_ms,
            r_factor,
            mos: r_factor.map(crate::media::quality::mos),
        });
    }
    out
}

/// Window within which gaps in both directions count as one event.
const COINCIDENT: i64 = 100_000_000;

/// The capture-quality guard: sequence gaps in both directions of a call at the same
/// moment point at the capture (a busy capture host or mirror port drops packets of both
/// directions), not at the network. Returns how many of the caller's gaps have a gap of
/// the callee within 100 ms.
pub fn coincident_gaps(rec: &CallRecord) -> u64 {
    let gaps = |from: Side| -> Vec<i64> {
        let mut v: Vec<i64> = rec
            .flows
            .iter()
            .filter(|f| f.key.proto == FlowProto::Rtp)
            .filter(|f| {
                f.epochs.iter().any(|s| {
                    s.attribution
                        .is_some_and(|a| a.call == rec.call.id && a.from == from)
                })
            })
            .flat_map(|f| f.gaps.iter().map(|t| t.as_nanos()))
            .collect();
        v.sort_unstable();
        v
    };
    let (a, b) = (gaps(Side::Caller), gaps(Side::Callee));
    a.iter()
        .filter(|t| {
            let i = b.partition_point(|x| *x < **t - COINCIDENT);
            b.get(i).is_some_and(|x| *x <= **t + COINCIDENT)
        })
        .count() as u64
}
