//! Media flows: every RTP stream (5-tuple + SSRC, as tshark's `rtp,streams`), RTCP and
//! UDPTL flow (5-tuple), with counters updated in place. Looking up an existing flow and
//! updating it allocates nothing.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::rtp::RtpHeader;
use super::stream::RtpStreamStats;
use crate::correlate::Attribution;
use crate::time::Timestamp;

/// What a flow carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowProto {
    Rtp,
    Rtcp,
    Udptl,
}

impl FlowProto {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowProto::Rtp => "rtp",
            FlowProto::Rtcp => "rtcp",
            FlowProto::Udptl => "udptl",
        }
    }
}

/// A flow's identity: RTP flows are told apart by SSRC too (0 for RTCP and UDPTL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub proto: FlowProto,
    pub ssrc: u32,
}

/// UDPTL (T.38 Annex D) sequence accounting and IFP message types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdptlStats {
    pub first_seq: Option<u16>,
    /// Highest sequence number, extended over wraps.
    pub highest: u32,
    cycles: u32,
    pub duplicates: u64,
    pub out_of_order: u64,
    /// Primary IFP packets that are T.30 indicators (CNG, CED, training...).
    pub t30_indicator: u64,
    /// Primary IFP packets that carry T.30 data (HDLC control, image data).
    pub t30_data: u64,
    last: Option<u16>,
}

impl UdptlStats {
    fn update(&mut self, payload: &[u8]) {
        let Some(seq) = crate::decode::be16(payload, 0) else {
            return;
        };
        // Primary IFP: a PER length (one byte below 0x80), then the IFP header whose
        // first bit says whether a data field follows and whose next bit chooses
        // t30-indicator (0) or t30-data (1) (ITU-T T.38 clause 7 ASN.1, PER encoded).
        if let (Some(len), Some(ifp)) = (payload.get(2), payload.get(3)) {
            if *len > 0 && *len < 0x80 {
                if ifp & 0x40 != 0 {
                    self.t30_data += 1;
                } else {
                    self.t30_indicator += 1;
                }
            }
        }
        match self.last {
            None => {
                self.first_seq = Some(seq);
                self.highest = u32::from(seq);
            }
            Some(last) => {
                let delta = seq.wrapping_sub(last);
                if delta == 0 {
                    self.duplicates += 1;
                } else if delta < 0x8000 {
                    if seq < last {
                        self.cycles += 1 << 16;
                    }
                    self.highest = self.cycles | u32::from(seq);
                } else {
                    self.out_of_order += 1;
                    return;
                }
            }
        }
        self.last = Some(seq);
    }

    /// Packets expected from the first to the highest sequence number.
    pub fn expected(&self) -> u64 {
        match self.first_seq {
            Some(f) => u64::from(self.highest.saturating_sub(u32::from(f))) + 1,
            None => 0,
        }
    }
}

/// What an RTCP flow reported (RFC 3550 section 6.4): the last and worst report block
/// figures about the stream it describes, and round-trip times.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RtcpCounters {
    pub compounds: u64,
    pub sender_reports: u64,
    pub report_blocks: u64,
    /// Last and largest fraction lost (0-255 = 0-100 %).
    pub last_fraction_lost: Option<u8>,
    pub max_fraction_lost: u8,
    pub last_cumulative_lost: Option<i32>,
    /// Last interarrival jitter, in timestamp units.
    pub last_jitter_units: Option<u32>,
    /// Round trips measured from LSR/DLSR against the capture times of the SRs:
    /// (count, sum ms, min ms, max ms).
    pub rtt: Option<(u64, f64, f64, f64)>,
}

impl RtcpCounters {
    pub fn add_rtt(&mut self, ms: f64) {
        self.rtt = Some(match self.rtt {
            None => (1, ms, ms, ms),
            Some((n, sum, min, max)) => (n + 1, sum + ms, min.min(ms), max.max(ms)),
        });
    }

    /// Mean round trip in ms, when measured.
    pub fn mean_rtt_ms(&self) -> Option<f64> {
        self.rtt.map(|(n, sum, _, _)| sum / n as f64)
    }
}

/// One media flow.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: u64,
    pub key: FlowKey,
    pub first_ts: Timestamp,
    pub first_frame: u64,
    pub last_ts: Timestamp,
    pub last_frame: u64,
    pub packets: u64,
    /// IP-level bytes (IP and UDP headers included), for bandwidth.
    pub ip_bytes: u64,
    /// DSCP values seen (bit n set = DSCP n).
    pub dscp: u64,
    pub rtp: Option<RtpStreamStats>,
    pub rtcp: RtcpCounters,
    pub udptl: UdptlStats,
    /// The call, epoch and stream it belongs to, and how that was decided (latest).
    pub attribution: Option<Attribution>,
    /// Other call legs that announced exactly this flow's destination (the same media
    /// seen from two legs); the flow belongs to them too.
    pub also: Vec<Attribution>,
    /// The expectations generation the attribution was made at.
    pub generation: u64,
    /// Packets per (call, epoch) in arrival order: a flow that outlives an epoch (hold
    /// and resume on the same ports) splits its packets between them.
    pub epochs: Vec<EpochShare>,
    /// Capture times of forward sequence jumps (packets missing), bounded: the capture
    /// loss guard compares them across the two directions of a call.
    pub gaps: Vec<Timestamp>,
    /// Gaps beyond the kept ones.
    pub gaps_dropped: u64,
    last_seq: Option<u16>,
}

/// Sequence jumps remembered per flow.
const MAX_GAPS: usize = 256;

/// Part of a flow's packets attributed to one epoch (or to none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochShare {
    pub attribution: Option<Attribution>,
    /// Other legs credited with the same packets (see `Flow::also`).
    pub also: Vec<Attribution>,
    pub packets: u64,
    pub first_frame: u64,
    pub last_frame: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
}

/// Epoch shares remembered per flow (beyond it the last share grows).
const MAX_SHARES: usize = 64;

/// How long before its match a flow's first packets may be (media racing the answer).
const RACE: crate::time::Duration = crate::time::Duration::from_secs(2);

impl Flow {
    fn new(id: u64, key: FlowKey, ts: Timestamp, frame: u64) -> Flow {
        Flow {
            id,
            key,
            first_ts: ts,
            first_frame: frame,
            last_ts: ts,
            last_frame: frame,
            packets: 0,
            ip_bytes: 0,
            dscp: 0,
            rtp: None,
            rtcp: RtcpCounters::default(),
            udptl: UdptlStats::default(),
            attribution: None,
            also: Vec::new(),
            generation: u64::MAX,
            epochs: Vec::new(),
            gaps: Vec::new(),
            gaps_dropped: 0,
            last_seq: None,
        }
    }

    /// Counts a packet into the current epoch share.
    fn share(&mut self, ts: Timestamp, frame: u64) {
        let attribution = self.attribution;
        // Media racing its answer: a flow's first packets, sent to the offerer before the
        // answer was captured, belong to the epoch the answer then opens.
        if let ([lead], Some(_)) = (self.epochs.as_mut_slice(), attribution) {
            if lead.attribution.is_none() && ts.since(lead.first_ts) <= RACE {
                lead.attribution = attribution;
            }
        }
        let key = |a: &Attribution| (a.call, a.epoch);
        let same = self.epochs.last().is_some_and(|s| {
            s.attribution.as_ref().map(key) == attribution.as_ref().map(key)
                && s.also.iter().map(key).eq(self.also.iter().map(key))
        });
        if !same && self.epochs.len() < MAX_SHARES {
            self.epochs.push(EpochShare {
                attribution,
                also: self.also.clone(),
                packets: 0,
                first_frame: frame,
                last_frame: frame,
                first_ts: ts,
                last_ts: ts,
            });
        }
        if let Some(s) = self.epochs.last_mut() {
            s.packets += 1;
            s.last_frame = frame;
            s.last_ts = ts;
            // Same call and epoch, better evidence (a port-only guess later confirmed as
            // latched or exact, possibly the other direction): it holds for the whole
            // share.
            let better = match (s.attribution, attribution) {
                (Some(old), Some(new)) => new.how < old.how,
                (None, Some(_)) => true,
                _ => false,
            };
            if !same || better {
                s.attribution = attribution;
            }
        }
    }

    /// Bandwidth in kbit/s over the flow's life (IP headers included); `None` for a
    /// single packet.
    pub fn kbps(&self) -> Option<f64> {
        let secs = self.last_ts.since(self.first_ts).as_secs_f64();
        (secs > 0.0 && self.packets > 1).then(|| self.ip_bytes as f64 * 8.0 / secs / 1000.0)
    }

    /// The DSCP values seen, lowest first (46 is EF, what voice should carry).
    pub fn dscp_values(&self) -> Vec<u8> {
        (0..64u8).filter(|d| self.dscp & (1u64 << d) != 0).collect()
    }
}

/// What the engine knows about a media packet.
#[derive(Debug, Clone, Copy)]
pub struct MediaPacket<'a> {
    pub ts: Timestamp,
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub proto: FlowProto,
    pub rtp: Option<RtpHeader>,
    pub payload: &'a [u8],
    pub ip_len: usize,
    pub dscp: u8,
}

/// The flow table, bounded.
#[derive(Debug, Default)]
pub struct FlowTable {
    flows: HashMap<FlowKey, Flow>,
    next_id: u64,
    pub evicted: u64,
}

impl FlowTable {
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The flow of a packet, created when new (evicting the least recently seen flow
    /// beyond `max`; the evicted flow is returned so it can be reported).
    pub fn flow_for(&mut self, p: &MediaPacket<'_>, max: usize) -> (&mut Flow, Option<Flow>) {
        let key = FlowKey {
            src: p.src,
            dst: p.dst,
            proto: p.proto,
            ssrc: p.rtp.map(|h| h.ssrc).unwrap_or(0),
        };
        let mut evicted = None;
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= max {
                let oldest = self
                    .flows
                    .iter()
                    .min_by_key(|(_, f)| f.last_ts)
                    .map(|(k, _)| *k);
                evicted = oldest.and_then(|k| self.flows.remove(&k));
                self.evicted += u64::from(evicted.is_some());
            }
            let id = self.next_id;
            self.next_id += 1;
            self.flows.insert(key, Flow::new(id, key, p.ts, p.frame));
        }
        let flow = self
            .flows
            .entry(key)
            .or_insert_with(|| Flow::new(u64::MAX, key, p.ts, p.frame));
        (flow, evicted)
    }

    /// The oldest expectations generation a tracked flow was matched at (`u64::MAX` when
    /// none was matched yet).
    pub fn oldest_generation(&self) -> u64 {
        self.flows
            .values()
            .map(|f| f.generation)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Counts a packet into its flow (after the attribution was settled).
    pub fn count(flow: &mut Flow, p: &MediaPacket<'_>) {
        flow.packets += 1;
        flow.ip_bytes += p.ip_len as u64;
        flow.last_ts = p.ts;
        flow.last_frame = p.frame;
        flow.dscp |= 1u64 << (p.dscp & 63);
        match (p.proto, p.rtp) {
            (FlowProto::Rtp, Some(h)) => {
                let stats = flow.rtp.get_or_insert_with(|| RtpStreamStats::new(None));
                stats.update(p.ts, p.frame, &h, p.payload.len());
                if let Some(last) = flow.last_seq {
                    let jump = h.seq.wrapping_sub(last);
                    // A forward jump of more than one (and not a huge one: a restart).
                    if (2..3_000).contains(&jump) {
                        if flow.gaps.len() < MAX_GAPS {
                            flow.gaps.push(p.ts);
                        } else {
                            flow.gaps_dropped += 1;
                        }
                    }
                }
                flow.last_seq = Some(h.seq);
            }
            (FlowProto::Rtcp, _) => flow.rtcp.compounds += 1,
            (FlowProto::Udptl, _) => flow.udptl.update(p.payload),
            _ => {}
        }
        flow.share(p.ts, p.frame);
    }

    /// Removes and returns the flows idle since before `cutoff`.
    pub fn take_idle(&mut self, cutoff: Timestamp) -> Vec<Flow> {
        let idle: Vec<FlowKey> = self
            .flows
            .iter()
            .filter(|(_, f)| f.last_ts < cutoff)
            .map(|(k, _)| *k)
            .collect();
        idle.iter().filter_map(|k| self.flows.remove(k)).collect()
    }

    /// Removes and returns every flow (end of capture).
    pub fn take_all(&mut self) -> Vec<Flow> {
        let mut v: Vec<Flow> = self.flows.drain().map(|(_, f)| f).collect();
        v.sort_by_key(|f| f.id);
        v
    }

    /// Whether any open flow is attributed to `call`.
    pub fn has_call(&self, call: u64) -> bool {
        self.flows
            .values()
            .any(|f| f.attribution.is_some_and(|a| a.call == call))
    }
}
