//! The engine's media state: flows, their attribution to call epochs, and the release of
//! finished calls and idle flows (so that state is bounded by concurrent calls, not by
//! the length of the capture).

use std::collections::HashMap;

use super::{Engine, Event};
use crate::correlate::MatchKind;
use crate::media::flow::{Flow, FlowTable, MediaPacket};
use crate::media::stream::RtpStreamStats;
use crate::sip::call::Call;

/// A call and the flows that were attributed to it, as released.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub call: Call,
    pub flows: Vec<Flow>,
    /// Other legs with the same Call-ID still tracked when this one was released, that
    /// were answered: where their INVITE went (a forked call's other branches).
    pub answered_siblings: Vec<std::net::SocketAddr>,
}

/// A flow as closed, with the Call-ID of every call its packets were attributed to
/// (keyed by `Call::id`).
#[derive(Debug, Clone)]
pub struct FlowRecord {
    pub flow: Flow,
    pub call_ids: std::collections::BTreeMap<u64, String>,
}

#[derive(Debug, Default)]
pub(super) struct MediaState {
    pub flows: FlowTable,
    /// Closed flows of calls not released yet.
    pub call_flows: HashMap<u64, Vec<Flow>>,
    /// Capture time of each RTCP sender report seen, by the middle 32 bits of its NTP
    /// timestamp (what a report block's LSR quotes), for round-trip times.
    pub sender_reports: HashMap<u32, Timestamp>,
}

/// Sender reports remembered for round trips (the oldest half is dropped beyond it).
const MAX_SENDER_REPORTS: usize = 4_096;

/// Reads an RTCP compound into its flow's counters: sender reports are remembered, each
/// report block's LSR/DLSR gives a round trip against the capture time of that SR (the
/// round trip between the capture point and the reporting side).
fn rtcp_reports(flow: &mut Flow, srs: &mut HashMap<u32, Timestamp>, payload: &[u8], ts: Timestamp) {
    use crate::media::rtcp_report::{packets, RtcpPacket};
    for packet in packets(payload) {
        let Ok(packet) = packet else { break };
        let blocks = match packet {
            RtcpPacket::SenderReport { sender, blocks, .. } => {
                flow.rtcp.sender_reports += 1;
                if srs.len() >= MAX_SENDER_REPORTS {
                    let mut times: Vec<Timestamp> = srs.values().copied().collect();
                    times.sort_unstable();
                    let cut = times.get(times.len() / 2).copied().unwrap_or(ts);
                    srs.retain(|_, t| *t >= cut);
                }
                srs.insert(sender.ntp_middle32(), ts);
                blocks
            }
            RtcpPacket::ReceiverReport { blocks, .. } => blocks,
            _ => continue,
        };
        for i in 0..blocks.len() {
            let Some(b) = blocks.get(i) else { break };
            let r = &mut flow.rtcp;
            r.report_blocks += 1;
            r.last_fraction_lost = Some(b.fraction_lost);
            r.max_fraction_lost = r.max_fraction_lost.max(b.fraction_lost);
            r.last_cumulative_lost = Some(b.cumulative_lost);
            r.last_jitter_units = Some(b.jitter);
            if b.lsr != 0 {
                if let Some(sent) = srs.get(&b.lsr) {
                    let rtt = ts.as_nanos() - sent.as_nanos() - b.dlsr_duration().as_nanos();
                    if rtt >= 0 {
                        r.add_rtt(rtt as f64 / 1e6);
                    }
                }
            }
        }
    }
}

impl Engine {
    /// Counts one RTP, RTCP or UDPTL packet into its flow, matching the flow to a call
    /// epoch when it is new or when the expectations changed since it was matched.
    pub(super) fn media_packet(&mut self, p: MediaPacket<'_>) {
        let generation = self.expectations.generation();
        let (flow, evicted) = self.media.flows.flow_for(&p, self.config.max_flows);
        let mut learn = None;
        // Nothing changed since the flow was matched: one integer compare. Changes
        // elsewhere only: the match stands, and the flow catches up with the generation
        // (so the next packet takes the integer compare again).
        if flow.generation != generation && !self.expectations.changed_since(p.dst, flow.generation)
        {
            flow.generation = generation;
        }
        if flow.generation != generation {
            flow.generation = generation;
            let found = self.expectations.lookup(p.src, p.dst, p.ts);
            let stale = flow
                .attribution
                .is_some_and(|a| !self.sig.calls.contains_key(&a.call));
            if found.is_some() || stale {
                flow.attribution = found;
            }
            flow.also = match (&flow.attribution, found) {
                (Some(a), Some(_)) if a.how == MatchKind::Exact => {
                    self.expectations.also_exact(p.src, p.dst, p.ts, a)
                }
                _ => Vec::new(),
            };
            if let (Some(a), Some(_)) = (flow.attribution, p.rtp) {
                // Clock rates of the stream's payload types, from the SDP of both sides
                // (the receiver's numbering first). RFC 4733 telephone-event gets no
                // clock: its timestamp stays put during an event, so it says nothing
                // about jitter (tshark treats it the same way).
                let stats = flow.rtp.get_or_insert_with(|| RtpStreamStats::new(None));
                let lines = self
                    .sig
                    .calls
                    .get(&a.call)
                    .and_then(|c| c.epochs.get(a.epoch))
                    .map(|e| [e.line(a.from, a.stream), e.line(a.from.other(), a.stream)]);
                for line in lines.into_iter().flatten().flatten() {
                    for (pt, rate) in &line.payload_types {
                        let event = line.codecs.iter().any(|c| {
                            c.split_whitespace().next() == Some(&pt.to_string())
                                && c.to_ascii_lowercase().contains("telephone-event")
                        });
                        stats.set_payload_clock_rate(*pt, if event { None } else { *rate });
                    }
                }
            }
            if let Some(a) = flow.attribution {
                if matches!(a.how, MatchKind::Exact | MatchKind::Latched) {
                    learn = Some(a);
                }
            }
        }
        if let Some(a) = flow.attribution {
            self.frame_calls.push(a.call);
            self.frame_calls
                .extend(flow.also.iter().map(|x| x.call).filter(|c| *c != a.call));
        }
        FlowTable::count(flow, &p);
        if p.proto == crate::media::flow::FlowProto::Rtcp {
            rtcp_reports(flow, &mut self.media.sender_reports, p.payload, p.ts);
        }
        if let Some(a) = learn {
            self.expectations.learn_source(p.src, &a);
        }
        if let Some(f) = evicted {
            self.flow_closed(f);
        }
    }

    fn flow_closed(&mut self, flow: Flow) {
        // A flow is kept with every call it carried packets for.
        let mut calls: Vec<u64> = flow
            .epochs
            .iter()
            .flat_map(|s| s.attribution.iter().chain(s.also.iter()).map(|a| a.call))
            .collect();
        calls.sort_unstable();
        calls.dedup();
        let mut call_ids = std::collections::BTreeMap::new();
        for call in calls {
            if let Some(c) = self.sig.calls.get(&call) {
                call_ids.insert(call, c.call_id.clone());
                let v = self.media.call_flows.entry(call).or_default();
                if v.len() < 1_024 {
                    v.push(flow.clone());
                }
            }
        }
        self.push_event(Event::Flow(Box::new(FlowRecord { flow, call_ids })));
    }

    /// Closes idle flows and releases finished calls (housekeeping).
    pub(super) fn media_timers(&mut self) {
        let now = self.now;
        let idle_cutoff = Timestamp::from_nanos(now.as_nanos() - self.config.flow_idle.as_nanos());
        for f in self.media.flows.take_idle(idle_cutoff) {
            self.flow_closed(f);
        }
        let linger = self.config.call_linger;
        let stale = self.config.stale_call;
        let done: Vec<u64> = self
            .sig
            .calls
            .values()
            .filter(|c| {
                let quiet = now.since(c.last_activity);
                (c.state.is_final() && quiet >= linger) || quiet >= stale
            })
            .map(|c| c.id)
            .filter(|id| !self.media.flows.has_call(*id))
            .collect();
        for id in done {
            self.release_call(id);
        }
    }

    fn release_call(&mut self, id: u64) {
        let Some(mut call) = self.sig.calls.remove(&id) else {
            return;
        };
        let mut events = Vec::new();
        call.finish(self.now, &mut events);
        if let Some(ids) = self.sig.by_call_id.get_mut(&call.call_id) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.sig.by_call_id.remove(&call.call_id);
            }
        }
        self.expectations.remove_call(id);
        let flows = self.media.call_flows.remove(&id).unwrap_or_default();
        let answered_siblings = self
            .sig
            .by_call_id
            .get(&call.call_id)
            .into_iter()
            .flatten()
            .filter_map(|i| self.sig.calls.get(i))
            .filter(|c| c.answered.is_some())
            .map(|c| c.callee_sig)
            .collect();
        self.push_event(Event::Call(Box::new(CallRecord {
            call,
            flows,
            answered_siblings,
        })));
    }

    /// End of capture: every flow closes, every call is released (in start order).
    pub(super) fn media_finish(&mut self) {
        for f in self.media.flows.take_all() {
            self.flow_closed(f);
        }
        let mut ids: Vec<(crate::time::Timestamp, u64)> =
            self.sig.calls.values().map(|c| (c.start, c.id)).collect();
        ids.sort();
        for (_, id) in ids {
            self.release_call(id);
        }
    }
}

use crate::time::Timestamp;
