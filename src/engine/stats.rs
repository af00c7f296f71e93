//! What the engine counts, and the summary it returns.

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

use super::{MalformedRecord, Transport};
use crate::accounting::Accounting;
use crate::decode::link::LinkType;
use crate::decode::tcp::TcpStats;
use crate::decode::tunnel::TunnelKind;
use crate::sip::{Anomaly, SipMessage, StartLine};
use crate::time::Timestamp;

/// SIP message counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SipStats {
    /// Requests per method (as written; custom methods included).
    pub requests: BTreeMap<String, u64>,
    /// Responses per status code.
    pub responses: BTreeMap<u16, u64>,
    /// Messages per transport.
    pub udp_messages: u64,
    pub tcp_messages: u64,
    /// Distinct Call-IDs (64-bit hashes: the count is what the summary needs).
    call_ids: DistinctCount,
    /// How many messages showed each tolerated anomaly.
    pub anomalies: BTreeMap<Anomaly, u64>,
    /// Datagrams/stream parts with a SIP start line that could not be parsed.
    pub unparseable: u64,
    /// SIP messages cut by the snaplen (counted as truncated packets).
    pub truncated: u64,
}

impl SipStats {
    pub(crate) fn count(&mut self, msg: &SipMessage, transport: Transport) {
        match &msg.start {
            StartLine::Request { method, .. } => {
                *self
                    .requests
                    .entry(method.as_str().to_string())
                    .or_default() += 1;
            }
            StartLine::Response { code, .. } => *self.responses.entry(*code).or_default() += 1,
        }
        match transport {
            Transport::Udp => self.udp_messages += 1,
            Transport::Tcp => self.tcp_messages += 1,
        }
        if let Some(id) = &msg.call_id {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            id.hash(&mut h);
            self.call_ids.add(h.finish());
        }
        for a in &msg.anomalies {
            *self.anomalies.entry(*a).or_default() += 1;
        }
    }

    /// Exact up to 65,536 distinct Call-IDs, estimated beyond (within about 1 %).
    pub fn distinct_call_ids(&self) -> usize {
        self.call_ids.count()
    }

    pub fn messages(&self) -> u64 {
        self.udp_messages + self.tcp_messages
    }
}

/// Counts distinct 64-bit hashes: exactly up to `EXACT_UP_TO`, then with a HyperLogLog
/// of 2^14 one-byte registers (16 kB, standard error 0.8 %), so that a days-long live run
/// does not keep every Call-ID it ever saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DistinctCount {
    Exact(HashSet<u64>),
    Estimated(Vec<u8>),
}

const EXACT_UP_TO: usize = 65_536;
const HLL_BITS: u32 = 14;

impl Default for DistinctCount {
    fn default() -> Self {
        DistinctCount::Exact(HashSet::new())
    }
}

fn hll_add(regs: &mut [u8], h: u64) {
    let idx = (h >> (64 - HLL_BITS)) as usize;
    let rest = (h << HLL_BITS) | (1 << (HLL_BITS - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if let Some(r) = regs.get_mut(idx) {
        *r = (*r).max(rank);
    }
}

impl DistinctCount {
    fn add(&mut self, h: u64) {
        match self {
            DistinctCount::Exact(set) => {
                set.insert(h);
                if set.len() > EXACT_UP_TO {
                    let mut regs = vec![0u8; 1 << HLL_BITS];
                    for h in set.iter() {
                        hll_add(&mut regs, *h);
                    }
                    *self = DistinctCount::Estimated(regs);
                }
            }
            DistinctCount::Estimated(regs) => hll_add(regs, h),
        }
    }

    fn count(&self) -> usize {
        match self {
            DistinctCount::Exact(set) => set.len(),
            DistinctCount::Estimated(regs) => {
                let m = regs.len() as f64;
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let sum: f64 = regs.iter().map(|r| 2f64.powi(-i32::from(*r))).sum();
                let zeros = regs.iter().filter(|r| **r == 0).count();
                let e = alpha * m * m / sum;
                if e <= 2.5 * m && zeros > 0 {
                    (m * (m / zeros as f64).ln()).round() as usize
                } else {
                    e.round() as usize
                }
            }
        }
    }
}

/// Decoder counters beyond the accounting partition (a packet can add to several).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Frames per link type (a handful at most: a linear scan, no allocation per frame).
    link_types: Vec<(LinkType, u64)>,
    /// Packets decapsulated, per tunnel kind (a packet in two tunnels counts in both).
    pub tunnels: BTreeMap<TunnelKind, u64>,
    pub vlan_tagged: u64,
    pub mpls: u64,
    pub pppoe: u64,
    /// Frames the snaplen cut (`caplen < len`), whatever their class.
    pub snaplen_cut: u64,
    /// Datagrams rebuilt from IP fragments.
    pub reassembled_datagrams: u64,
    /// ICMP errors that quote a SIP datagram (tshark counts the quoted message as SIP;
    /// algscope counts the packet as ICMP).
    pub icmp_quoting_sip: u64,
    pub tcp: TcpStats,
    /// Bytes skipped on SIP TCP streams (not SIP, or after a hole).
    pub tcp_junk_bytes: u64,
}

impl DecodeStats {
    pub(crate) fn link(&mut self, link: LinkType) {
        match self.link_types.iter_mut().find(|(l, _)| *l == link) {
            Some((_, n)) => *n += 1,
            None => self.link_types.push((link, 1)),
        }
    }

    /// Frames per link type, by libpcap name.
    pub fn link_types(&self) -> BTreeMap<String, u64> {
        self.link_types
            .iter()
            .map(|(l, n)| (l.name(), *n))
            .collect()
    }

    pub(crate) fn tunnel(&mut self, kind: TunnelKind) {
        *self.tunnels.entry(kind).or_default() += 1;
    }

    pub(crate) fn with_tcp(&self, tcp: TcpStats) -> DecodeStats {
        DecodeStats {
            tcp,
            ..self.clone()
        }
    }
}

/// Everything a run counted.
#[derive(Debug, Clone)]
pub struct Summary {
    pub packets_read: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub accounting: Accounting,
    pub sip: SipStats,
    pub decode: DecodeStats,
    /// The first malformed records (bounded); `malformed_total` counts all of them.
    pub malformed: Vec<MalformedRecord>,
    pub malformed_total: u64,
    /// Records dropped because the driver did not poll them.
    pub events_dropped: u64,
    pub transactions: crate::sip::transaction::TxCounts,
    /// Calls (legs) released so far.
    pub calls: u64,
    /// REGISTER addresses-of-record seen, REGISTER requests, OPTIONS requests.
    pub registered_aors: u64,
    pub register_requests: u64,
    pub options_requests: u64,
    pub state: super::StateSizes,
    pub evictions: super::Evictions,
    /// Findings per severity: info, warning, error.
    pub findings: [u64; 3],
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{Hash, Hasher};

    fn h(i: u64) -> u64 {
        let mut s = std::collections::hash_map::DefaultHasher::new();
        i.hash(&mut s);
        s.finish()
    }

    #[test]
    fn distinct_count_is_exact_then_close() {
        let mut c = DistinctCount::default();
        for i in 0..EXACT_UP_TO as u64 {
            c.add(h(i));
            c.add(h(i));
        }
        assert_eq!(c.count(), EXACT_UP_TO);
        for i in 0..1_000_000u64 {
            c.add(h(i));
        }
        let n = c.count() as f64;
        assert!((n - 1e6).abs() / 1e6 < 0.03, "{n}");
        assert!(matches!(c, DistinctCount::Estimated(ref r) if r.len() == 16_384));
    }
}
