//! IPv4 and IPv6 fragment reassembly, bounded.
//!
//! Bounds: bytes per datagram (`max_datagram`), concurrent reassemblies (`max_pending`,
//! the oldest is dropped beyond it) and a timeout in capture time (`timeout`). A fragment
//! that overlaps a held one with different bytes makes the datagram malformed (the
//! classic evasion trick, and never produced by a well-behaved stack); an exact duplicate
//! (a retransmission, or the same packet captured twice) is accepted.

use std::collections::HashMap;
use std::net::IpAddr;

use super::FragmentInfo;
use crate::time::{Duration, Timestamp};

/// Bounds of the reassembly table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentConfig {
    pub max_datagram: usize,
    pub max_pending: usize,
    pub timeout: Duration,
}

impl Default for FragmentConfig {
    fn default() -> Self {
        FragmentConfig {
            max_datagram: 65_535,
            max_pending: 1_024,
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
}

#[derive(Debug)]
struct Pending {
    first_seen: Timestamp,
    pieces: Vec<(usize, Vec<u8>)>,
    total: Option<usize>,
    frames: Vec<u64>,
}

/// The result of offering one fragment to the pool.
#[derive(Debug, PartialEq, Eq)]
pub enum FragmentOutcome {
    /// Held until the rest arrives: the packet is pending.
    Held,
    /// The datagram is whole. `payload` is the reassembled transport payload; `frames`
    /// are the frame numbers of the fragments held before this one.
    Complete { payload: Vec<u8>, frames: Vec<u64> },
    /// The datagram is malformed (overlap with different bytes, or over the byte bound):
    /// this fragment and the `held` earlier ones are dropped.
    Malformed { held: usize, reason: &'static str },
}

/// A datagram dropped before it completed, with the start of its payload when its first
/// fragment arrived (so the engine can tell a lost SIP message from other traffic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedDatagram {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    /// Frames of the fragments that did arrive.
    pub frames: Vec<u64>,
    /// The first bytes of the payload (transport header included), when offset 0 arrived.
    pub head: Option<Vec<u8>>,
}

/// Bytes of a dropped datagram's head kept, and dropped datagrams remembered until taken.
const HEAD: usize = 128;
const MAX_DROPPED: usize = 256;

/// The reassembly table.
#[derive(Debug, Default)]
pub struct FragmentPool {
    config: FragmentConfig,
    pending: HashMap<Key, Pending>,
    held_fragments: usize,
    /// Datagrams found malformed, remembered (until the timeout) so that their later
    /// fragments are malformed too instead of starting a new reassembly.
    poisoned: HashMap<Key, Timestamp>,
    dropped: Vec<DroppedDatagram>,
    /// Datagrams dropped because of the `max_pending` bound (not the timeout).
    evicted: u64,
}

impl FragmentPool {
    pub fn new(config: FragmentConfig) -> Self {
        FragmentPool {
            config,
            pending: HashMap::new(),
            held_fragments: 0,
            poisoned: HashMap::new(),
            dropped: Vec::new(),
            evicted: 0,
        }
    }

    /// Datagrams dropped so far because the table was full.
    pub fn evicted_datagrams(&self) -> u64 {
        self.evicted
    }

    /// Fragments currently held (packets whose fate is not decided yet).
    pub fn held_fragments(&self) -> usize {
        self.held_fragments
    }

    pub fn pending_datagrams(&self) -> usize {
        self.pending.len()
    }

    /// Offers one fragment. `payload` is the fragment's data after the IP header (and
    /// after the IPv6 Fragment header).
    #[allow(clippy::too_many_arguments)]
    pub fn offer(
        &mut self,
        now: Timestamp,
        frame: u64,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        frag: FragmentInfo,
        payload: &[u8],
    ) -> FragmentOutcome {
        let key = Key {
            src,
            dst,
            proto,
            id: frag.id,
        };
        if self.poisoned.contains_key(&key) {
            return FragmentOutcome::Malformed {
                held: 0,
                reason: "fragment of a datagram already found malformed",
            };
        }
        let start = frag.offset;
        let end = start.saturating_add(payload.len());
        let entry = match self.pending.get_mut(&key) {
            Some(e) => e,
            None => {
                self.pending.insert(
                    key,
                    Pending {
                        first_seen: now,
                        pieces: Vec::new(),
                        total: None,
                        frames: Vec::new(),
                    },
                );
                match self.pending.get_mut(&key) {
                    Some(e) => e,
                    None => return FragmentOutcome::Held, // unreachable: just inserted
                }
            }
        };

        let mut reason = None;
        if end > self.config.max_datagram {
            reason = Some("fragment beyond the datagram size bound");
        } else if !frag.more && entry.total.is_some_and(|t| t != end) {
            reason = Some("two different last fragments");
        } else if entry.total.is_some_and(|t| end > t) {
            reason = Some("fragment beyond the last fragment's end");
        }
        let mut duplicate = false;
        if reason.is_none() {
            for (s, bytes) in &entry.pieces {
                let e = s + bytes.len();
                let lo = start.max(*s);
                let hi = end.min(e);
                if lo < hi {
                    let ours = payload.get(lo - start..hi - start);
                    let theirs = bytes.get(lo - s..hi - s);
                    if ours != theirs {
                        reason = Some("overlapping fragments with different bytes");
                        break;
                    }
                    if lo == start && hi == end {
                        duplicate = true;
                    }
                }
            }
        }
        if let Some(reason) = reason {
            let held = entry.frames.len();
            self.pending.remove(&key);
            if self.poisoned.len() < self.config.max_pending {
                self.poisoned.insert(key, now);
            }
            self.held_fragments -= held;
            return FragmentOutcome::Malformed { held, reason };
        }

        if !duplicate {
            entry.pieces.push((start, payload.to_vec()));
        }
        if !frag.more {
            entry.total = Some(end);
        }

        if let Some(total) = entry.total {
            entry.pieces.sort_by_key(|(s, _)| *s);
            let mut covered = 0usize;
            for (s, bytes) in &entry.pieces {
                if *s > covered {
                    break;
                }
                covered = covered.max(s + bytes.len());
            }
            if covered >= total {
                let mut out = vec![0u8; total];
                for (s, bytes) in &entry.pieces {
                    let e = (s + bytes.len()).min(total);
                    if let (Some(dst), Some(src)) = (out.get_mut(*s..e), bytes.get(..e - s)) {
                        dst.copy_from_slice(src);
                    }
                }
                let frames = std::mem::take(&mut entry.frames);
                self.held_fragments -= frames.len();
                self.pending.remove(&key);
                return FragmentOutcome::Complete {
                    payload: out,
                    frames,
                };
            }
        }

        entry.frames.push(frame);
        self.held_fragments += 1;
        FragmentOutcome::Held
    }

    /// Drops datagrams older than the timeout and, beyond `max_pending`, the oldest ones.
    /// Returns the number of fragment packets dropped.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let timeout = self.config.timeout;
        self.poisoned.retain(|_, t| now.since(*t) < timeout);
        let stale: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| now.since(p.first_seen) >= timeout)
            .map(|(k, _)| *k)
            .collect();
        let mut dropped = 0;
        for k in stale {
            dropped += self.drop_datagram(k);
        }
        while self.pending.len() > self.config.max_pending {
            let oldest = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.first_seen)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => {
                    self.evicted += 1;
                    dropped += self.drop_datagram(k);
                }
                None => break,
            }
        }
        dropped
    }

    fn drop_datagram(&mut self, k: Key) -> usize {
        let Some(p) = self.pending.remove(&k) else {
            return 0;
        };
        let n = p.frames.len();
        self.held_fragments -= n;
        if self.dropped.len() < MAX_DROPPED {
            let head = p
                .pieces
                .iter()
                .find(|(s, _)| *s == 0)
                .map(|(_, b)| b.get(..HEAD.min(b.len())).unwrap_or_default().to_vec());
            self.dropped.push(DroppedDatagram {
                src: k.src,
                dst: k.dst,
                proto: k.proto,
                frames: p.frames,
                head,
            });
        }
        n
    }

    /// Drops everything still held (end of capture). Returns the fragment packets dropped.
    pub fn drain(&mut self) -> usize {
        let keys: Vec<Key> = self.pending.keys().copied().collect();
        keys.into_iter().map(|k| self.drop_datagram(k)).sum()
    }

    /// The datagrams dropped since the last call.
    pub fn take_dropped(&mut self) -> Vec<DroppedDatagram> {
        std::mem::take(&mut self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn frag(id: u32, offset: usize, more: bool) -> FragmentInfo {
        FragmentInfo { id, offset, more }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_parts(s, 0)
    }

    #[test]
    fn in_order_three_pieces() {
        let mut p = FragmentPool::new(FragmentConfig::default());
        assert_eq!(
            p.offer(t(0), 1, A, B, 17, frag(7, 0, true), &[1; 8]),
            FragmentOutcome::Held
        );
        assert_eq!(
            p.offer(t(0), 2, A, B, 17, frag(7, 8, true), &[2; 8]),
            FragmentOutcome::Held
        );
        assert_eq!(p.held_fragments(), 2);
        let out = p.offer(t(0), 3, A, B, 17, frag(7, 16, false), &[3; 4]);
        let mut want = vec![1u8; 8];
        want.extend([2u8; 8]);
        want.extend([3u8; 4]);
        assert_eq!(
            out,
            FragmentOutcome::Complete {
                payload: want,
                frames: vec![1, 2]
            }
        );
        assert_eq!(p.held_fragments(), 0);
        assert_eq!(p.pending_datagrams(), 0);
    }

    #[test]
    fn reversed_with_duplicate() {
        let mut p = FragmentPool::new(FragmentConfig::default());
        assert_eq!(
            p.offer(t(0), 1, A, B, 17, frag(9, 16, false), &[3; 4]),
            FragmentOutcome::Held
        );
        assert_eq!(
            p.offer(t(0), 2, A, B, 17, frag(9, 8, true), &[2; 8]),
            FragmentOutcome::Held
        );
        assert_eq!(
            p.offer(t(0), 3, A, B, 17, frag(9, 8, true), &[2; 8]),
            FragmentOutcome::Held
        );
        match p.offer(t(0), 4, A, B, 17, frag(9, 0, true), &[1; 8]) {
            FragmentOutcome::Complete { payload, frames } => {
                assert_eq!(payload.len(), 20);
                assert_eq!(frames, vec![1, 2, 3]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn overlap_with_different_bytes_is_malformed() {
        let mut p = FragmentPool::new(FragmentConfig::default());
        assert_eq!(
            p.offer(t(0), 1, A, B, 17, frag(1, 0, true), &[1; 16]),
            FragmentOutcome::Held
        );
        assert_eq!(
            p.offer(t(0), 2, A, B, 17, frag(1, 8, false), &[9; 16]),
            FragmentOutcome::Malformed {
                held: 1,
                reason: "overlapping fragments with different bytes"
            }
        );
        assert_eq!(p.held_fragments(), 0);
    }

    #[test]
    fn later_fragments_of_a_malformed_datagram_are_malformed() {
        let mut p = FragmentPool::new(FragmentConfig::default());
        p.offer(t(0), 1, A, B, 17, frag(5, 0, true), &[1; 16]);
        assert!(matches!(
            p.offer(t(0), 2, A, B, 17, frag(5, 8, true), &[9; 16]),
            FragmentOutcome::Malformed { held: 1, .. }
        ));
        assert_eq!(
            p.offer(t(0), 3, A, B, 17, frag(5, 24, false), &[3; 8]),
            FragmentOutcome::Malformed {
                held: 0,
                reason: "fragment of a datagram already found malformed"
            }
        );
        assert_eq!(p.pending_datagrams(), 0);
        // Forgotten after the timeout: the ID may be reused.
        p.expire(t(31));
        assert_eq!(
            p.offer(t(31), 4, A, B, 17, frag(5, 0, true), &[1; 8]),
            FragmentOutcome::Held
        );
    }

    #[test]
    fn timeout_and_drain_count_dropped_packets() {
        let mut p = FragmentPool::new(FragmentConfig::default());
        p.offer(t(0), 1, A, B, 17, frag(1, 0, true), &[1; 8]);
        p.offer(t(1), 2, A, B, 17, frag(2, 0, true), &[1; 8]);
        assert_eq!(p.expire(t(30)), 1);
        assert_eq!(p.held_fragments(), 1);
        assert_eq!(p.drain(), 1);
        assert_eq!(p.held_fragments(), 0);
    }

    #[test]
    fn max_pending_evicts_oldest() {
        let cfg = FragmentConfig {
            max_pending: 2,
            ..FragmentConfig::default()
        };
        let mut p = FragmentPool::new(cfg);
        for id in 0..3u32 {
            p.offer(
                t(id as i64),
                id as u64,
                A,
                B,
                17,
                frag(id, 0, true),
                &[0; 8],
            );
        }
        assert_eq!(p.expire(t(3)), 1);
        assert_eq!(p.pending_datagrams(), 2);
    }

    #[test]
    fn over_size_bound_is_malformed() {
        let mut p = FragmentPool::new(FragmentConfig::default());
        assert!(matches!(
            p.offer(t(0), 1, A, B, 17, frag(1, 65_528, false), &[0; 16]),
            FragmentOutcome::Malformed { held: 0, .. }
        ));
    }
}
