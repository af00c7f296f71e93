//! RTP stream statistics, figure for figure as tshark 4.0 prints them with
//! `tshark -q -z rtp,streams` (columns Pkts, Lost, Min/Mean/Max Delta, Min/Mean/Max Jitter
//! and the "Problems?" flag).
//!
//! # How tshark computes each figure
//! Read in Wireshark's `ui/tap-rtp-analysis.c` (`rtppacket_analyse`, run once per RTP
//! packet of a stream) and `ui/tap-rtp-common.c` (`rtpstream_info_calculate`, which turns
//! the per-stream state into the printed row), and confirmed against tshark 4.0.17 on every
//! capture under `fixtures/` and on hand-made captures (reordering, duplicates, gaps,
//! marker bits, comfort noise, sequence and timestamp wrap, a 44.1 kHz clock):
//!
//! - **Times** are milliseconds as `f64`. Here they are kept as integer nanoseconds and only
//!   differences are converted, which is at least as precise.
//! - **In time sequence**: a packet whose RTP timestamp is at most 2^31 ticks *after the
//!   first packet's* timestamp (modulo 2^32). Anything else is flagged as a wrong timestamp:
//!   it updates neither the delta, the jitter, nor the reference arrival time. Note the
//!   reference is the *first* packet, so a packet reordered by a few ticks is still "in
//!   time sequence" and gives a negative delta (tshark shows negative Min Delta then).
//! - **Clock rate** is chosen per packet from its payload type: payload types below 96 use
//!   the RFC 3551 static table (also 19, the old CN, at 8000 Hz) whatever SDP says; dynamic
//!   ones use the SDP `a=rtpmap` rate (the RTP dissector learns it from the call's SDP);
//!   `telephone-event` packets (RFC 4733) and dynamic types with no SDP get no clock. The
//!   rate is turned into ticks per millisecond by *integer* division (`rate / 1000`, so
//!   44100 Hz counts as 44 ticks/ms).
//! - **Delta** (for an in-time packet): arrival minus the arrival of the last in-time packet.
//! - **Jitter** (for an in-time packet with a clock): `D = |delta - (N - N_last)|` where
//!   `N` is `(timestamp - first timestamp) / ticks_per_ms` and `N_last` the same for the last
//!   packet that had a clock; `J = J + (D - J) / 16` (RFC 3550 6.4.1, in ms). The first
//!   packet has `J = 0`. A packet with no clock (telephone-event) still moves the reference
//!   arrival time but not `N_last`, which is why DTMF raises tshark's jitter.
//! - **Regular packets** feed Min/Mean/Max Delta and Min/Mean/Max Jitter: not the first,
//!   no marker bit, not comfort noise (payload type 13 or 19), not right after comfort noise,
//!   and in time sequence. Jitter figures only when the packet had a clock. The means are
//!   tshark's running means `m = (m * (n - 1) + x) / n` where `n` counts *all* packets
//!   before this one, regular or not (so irregular packets pull the mean down a little).
//!   Min Delta and Min Jitter are -1 in tshark when no regular packet was seen (here: `None`).
//! - **Sequence errors** ("Problems?" X): a gap (`seq > last + 1`, or a backwards jump of more
//!   than 0xFF00 taken as a wrap with losses) moves the expected sequence; a late or
//!   duplicated packet does not. The expected sequence only moves on in-time packets.
//! - **Expected** = `last seq + 65536 * cycles - first seq + 1`, and **Lost** = expected -
//!   received (negative with duplicates). "last" is the *last received* sequence number, not
//!   the highest, and `cycles` counts the times an in-time packet's sequence number dropped
//!   below the first one (or went 65535 to 0); a later one above the first re-arms it.
//!
//! Besides tshark's figures, the stream keeps RFC 3550 appendix A.1 extended sequence
//! numbers to count duplicates and out-of-order packets exactly (a 128-packet window) and to
//! give an `expected_rfc3550` from the first to the highest extended sequence number.
//!
//! Nothing here allocates: `update` only does arithmetic on fixed fields.

use crate::media::rtp::RtpHeader;
use crate::sdp::static_clock_rate;
use crate::time::Timestamp;

/// Payload type 13, comfort noise (RFC 3389).
const PT_CN: u8 = 13;
/// Payload type 19, reserved (was comfort noise), which Wireshark still treats as CN.
const PT_CN_OLD: u8 = 19;
/// Dynamic payload types start here (RFC 3551 section 6).
const FIRST_DYNAMIC_PT: u8 = 96;
/// How many per-payload-type clock rates a stream remembers.
pub const MAX_PAYLOAD_CLOCKS: usize = 8;
/// The window of recent extended sequence numbers kept for duplicate detection.
const SEEN_WINDOW: i64 = 128;

/// The clock rate tshark uses for a static payload type (RFC 3551 tables 4 and 5, plus 19).
fn static_rate(pt: u8) -> Option<u32> {
    static_clock_rate(pt).or(if pt == PT_CN_OLD { Some(8_000) } else { None })
}

fn nanos_to_ms(nanos: i64) -> f64 {
    nanos as f64 / 1e6
}

/// Statistics of one RTP stream (one SSRC from one source to one destination), fed one
/// packet at a time in capture order.
#[derive(Debug, Clone)]
pub struct RtpStreamStats {
    // Configuration.
    clock_rate: Option<u32>,
    payload_clocks: [(u8, Option<u32>); MAX_PAYLOAD_CLOCKS],
    payload_clocks_len: usize,

    // Identity and counters.
    ssrc: u32,
    packets: u64,
    bytes: u64,
    markers: u64,
    payload_types: u128,
    first_arrival: Timestamp,
    last_arrival: Timestamp,
    first_frame: u64,
    last_frame: u64,

    // tshark's sequence state.
    start_seq: u16,
    stop_seq: u16,
    seq_cursor: u16,
    seq_cycles: u32,
    under: bool,
    sequence_errors: u64,
    wrong_timestamps: u64,

    // RFC 3550 A.1 extended sequence numbers.
    base_ext_seq: i64,
    max_ext_seq: i64,
    seen: u128,
    duplicates: u64,
    out_of_order: u64,

    // tshark's timing state.
    first_timestamp: u32,
    last_pt: u8,
    ref_arrival: Timestamp,
    last_nominal_ms: f64,
    delta_ms: f64,
    jitter_ms: f64,
    regular: u64,
    max_delta_ms: f64,
    max_delta_frame: u64,
    min_delta_ms: f64,
    mean_delta_ms: f64,
    jitter_samples: u64,
    max_jitter_ms: f64,
    min_jitter_ms: f64,
    mean_jitter_ms: f64,
}

impl Default for RtpStreamStats {
    fn default() -> Self {
        Self::new(None)
    }
}

impl RtpStreamStats {
    /// A stream with no packets yet. `clock_rate` is the RTP clock for its dynamic payload
    /// types (from SDP's `a=rtpmap`); static payload types always use RFC 3551's rates.
    pub fn new(clock_rate: Option<u32>) -> Self {
        RtpStreamStats {
            clock_rate,
            payload_clocks: [(0, None); MAX_PAYLOAD_CLOCKS],
            payload_clocks_len: 0,
            ssrc: 0,
            packets: 0,
            bytes: 0,
            markers: 0,
            payload_types: 0,
            first_arrival: Timestamp::ZERO,
            last_arrival: Timestamp::ZERO,
            first_frame: 0,
            last_frame: 0,
            start_seq: 0,
            stop_seq: 0,
            seq_cursor: 0,
            seq_cycles: 0,
            under: false,
            sequence_errors: 0,
            wrong_timestamps: 0,
            base_ext_seq: 0,
            max_ext_seq: 0,
            seen: 0,
            duplicates: 0,
            out_of_order: 0,
            first_timestamp: 0,
            last_pt: 0,
            ref_arrival: Timestamp::ZERO,
            last_nominal_ms: 0.0,
            delta_ms: 0.0,
            jitter_ms: 0.0,
            regular: 0,
            max_delta_ms: 0.0,
            max_delta_frame: 0,
            min_delta_ms: -1.0,
            mean_delta_ms: 0.0,
            jitter_samples: 0,
            max_jitter_ms: 0.0,
            min_jitter_ms: -1.0,
            mean_jitter_ms: 0.0,
        }
    }

    /// Sets the clock rate of the stream's dynamic payload types (learned from SDP, maybe
    /// after the first packets: it applies from the next packet on, as in tshark, where the
    /// rate comes with the packet). `None`: no clock, no jitter for dynamic payload types.
    pub fn set_clock_rate(&mut self, clock_rate: Option<u32>) {
        self.clock_rate = clock_rate;
    }

    /// Sets the clock of one dynamic payload type, overriding [`set_clock_rate`] for it.
    /// `None` means the payload type has no media clock and gets no jitter: pass it for
    /// `telephone-event` (RFC 4733), whose timestamps stay put during an event, as tshark
    /// does. Static payload types (below 96) are ignored: tshark always uses RFC 3551's
    /// rates for them. Returns false when the table of [`MAX_PAYLOAD_CLOCKS`] is full.
    ///
    /// [`set_clock_rate`]: RtpStreamStats::set_clock_rate
    pub fn set_payload_clock_rate(&mut self, payload_type: u8, clock_rate: Option<u32>) -> bool {
        if payload_type < FIRST_DYNAMIC_PT {
            return true;
        }
        let used = self
            .payload_clocks
            .get_mut(..self.payload_clocks_len)
            .unwrap_or_default();
        if let Some(entry) = used.iter_mut().find(|(pt, _)| *pt == payload_type) {
            entry.1 = clock_rate;
            return true;
        }
        match self.payload_clocks.get_mut(self.payload_clocks_len) {
            Some(slot) => {
                *slot = (payload_type, clock_rate);
                self.payload_clocks_len += 1;
                true
            }
            None => false,
        }
    }

    /// The clock rate used for a packet of this payload type, if any.
    pub fn clock_rate_for(&self, payload_type: u8) -> Option<u32> {
        if payload_type < FIRST_DYNAMIC_PT {
            return static_rate(payload_type);
        }
        let used = self
            .payload_clocks
            .get(..self.payload_clocks_len)
            .unwrap_or_default();
        match used.iter().find(|(pt, _)| *pt == payload_type) {
            Some((_, rate)) => *rate,
            None => self.clock_rate,
        }
    }

    /// Adds one packet of the stream. `arrival` is its capture time, `frame` its frame
    /// number, `wire_len` its length on the wire (for the byte count). Allocation-free.
    pub fn update(&mut self, arrival: Timestamp, frame: u64, hdr: &RtpHeader, wire_len: usize) {
        let seq = hdr.seq;
        let pt = hdr.payload_type & 0x7f;
        self.bytes = self.bytes.saturating_add(wire_len as u64);
        self.payload_types |= 1u128 << pt;
        if hdr.marker {
            self.markers += 1;
        }
        self.last_arrival = arrival;
        self.last_frame = frame;

        if self.packets == 0 {
            self.ssrc = hdr.ssrc;
            self.first_arrival = arrival;
            self.first_frame = frame;
            self.start_seq = seq;
            self.stop_seq = seq;
            self.seq_cursor = seq;
            self.base_ext_seq = i64::from(seq);
            self.max_ext_seq = i64::from(seq);
            self.seen = 1;
            self.first_timestamp = hdr.timestamp;
            self.last_pt = pt;
            self.ref_arrival = arrival;
            self.packets = 1;
            return;
        }

        self.track_extended_seq(seq);

        // In time sequence: at most 2^31 ticks after the first packet's timestamp.
        let in_time = hdr.timestamp.wrapping_sub(self.first_timestamp) < 0x8000_0000;
        if !in_time {
            self.wrong_timestamps += 1;
        }

        // Sequence cycles, tshark's way (tap-rtp-analysis.c).
        if in_time && !self.under && (seq < self.start_seq || (seq == 0 && self.stop_seq == 65535))
        {
            self.seq_cycles = self.seq_cycles.saturating_add(1);
            self.under = true;
        } else if in_time && self.under && seq > self.start_seq {
            self.under = false;
        }

        // Sequence errors: gaps move the expected number on, late/duplicate packets do not.
        let cursor = u32::from(self.seq_cursor);
        let s = u32::from(seq);
        if in_time && (cursor + 1 == s || (cursor == 65535 && s == 0)) {
            self.seq_cursor = seq;
        } else if in_time && (cursor + 1 < s || cursor.saturating_sub(s) > 0xFF00) {
            self.seq_cursor = seq;
            self.sequence_errors += 1;
        } else if cursor + 1 > s {
            self.sequence_errors += 1;
        }

        let comfort_noise = pt == PT_CN || pt == PT_CN_OLD;
        let after_comfort_noise = self.last_pt == PT_CN || self.last_pt == PT_CN_OLD;
        self.last_pt = pt;

        // Ticks per millisecond by integer division, as tshark does; under 1 kHz: no clock.
        let ticks_per_ms = self
            .clock_rate_for(pt)
            .map(|r| r / 1000)
            .filter(|t| *t != 0);

        let mut current_jitter = 0.0;
        if in_time {
            self.delta_ms = nanos_to_ms(
                arrival
                    .as_nanos()
                    .saturating_sub(self.ref_arrival.as_nanos()),
            );
            if let Some(tpm) = ticks_per_ms {
                let nominal =
                    f64::from(hdr.timestamp.wrapping_sub(self.first_timestamp)) / f64::from(tpm);
                let diff = (self.delta_ms - (nominal - self.last_nominal_ms)).abs();
                current_jitter = (15.0 * self.jitter_ms + diff) / 16.0;
                self.jitter_ms = current_jitter;
                self.last_nominal_ms = nominal;
            }
        }

        let regular = !hdr.marker && !comfort_noise && in_time && !after_comfort_noise;
        if regular {
            // `packets` is tshark's total_nr before this packet: the count of deltas so far.
            let n = self.packets as f64;
            self.regular += 1;
            if self.delta_ms > self.max_delta_ms {
                self.max_delta_ms = self.delta_ms;
                self.max_delta_frame = frame;
            }
            // -1 is tshark's "unset" value, kept as such so that a real delta of exactly
            // -1 ms behaves as it does there.
            #[allow(clippy::float_cmp)]
            if self.min_delta_ms == -1.0 || self.delta_ms < self.min_delta_ms {
                self.min_delta_ms = self.delta_ms;
            }
            self.mean_delta_ms = (self.mean_delta_ms * (n - 1.0) + self.delta_ms) / n;
            if ticks_per_ms.is_some() {
                self.jitter_samples += 1;
                if self.jitter_ms > self.max_jitter_ms {
                    self.max_jitter_ms = self.jitter_ms;
                }
                self.mean_jitter_ms = (self.mean_jitter_ms * (n - 1.0) + current_jitter) / n;
                if self.min_jitter_ms < 0.0 || self.jitter_ms < self.min_jitter_ms {
                    self.min_jitter_ms = self.jitter_ms;
                }
            }
        }

        if in_time {
            self.ref_arrival = arrival;
        }
        self.stop_seq = seq;
        self.packets += 1;
    }

    /// RFC 3550 A.1 extended sequence numbers: the nearest extension of `seq` to the highest
    /// seen, with a window of recently seen numbers for duplicates and reordering.
    fn track_extended_seq(&mut self, seq: u16) {
        let max16 = (self.max_ext_seq & 0xffff) as u16;
        let step = i64::from(seq.wrapping_sub(max16) as i16);
        let ext = self.max_ext_seq + step;
        if step > 0 {
            self.seen = if step >= SEEN_WINDOW {
                1
            } else {
                (self.seen << step) | 1
            };
            self.max_ext_seq = ext;
        } else {
            let back = -step;
            if back < SEEN_WINDOW && self.seen & (1u128 << back) != 0 {
                self.duplicates += 1;
            } else {
                self.out_of_order += 1;
                if back < SEEN_WINDOW {
                    self.seen |= 1u128 << back;
                }
            }
        }
    }

    /// The SSRC of the stream (of its first packet).
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets received (tshark's Pkts).
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Packets expected as tshark counts them: last sequence number plus 65536 per cycle,
    /// minus the first, plus one. 0 before the first packet.
    pub fn expected(&self) -> i64 {
        if self.packets == 0 {
            return 0;
        }
        i64::from(self.stop_seq) + 65_536 * i64::from(self.seq_cycles) - i64::from(self.start_seq)
            + 1
    }

    /// Lost packets as tshark shows them: expected - received (negative with duplicates).
    pub fn lost(&self) -> i64 {
        self.expected() - self.packets as i64
    }

    /// Packets expected per RFC 3550 A.3: highest extended sequence number minus the first
    /// one, plus one.
    pub fn expected_rfc3550(&self) -> i64 {
        if self.packets == 0 {
            return 0;
        }
        self.max_ext_seq - self.base_ext_seq + 1
    }

    /// Lost packets per RFC 3550 A.3 (negative with duplicates).
    pub fn lost_rfc3550(&self) -> i64 {
        self.expected_rfc3550() - self.packets as i64
    }

    /// Sequence number wraps counted tshark's way.
    pub fn seq_cycles(&self) -> u32 {
        self.seq_cycles
    }

    /// Packets whose sequence number was not the next one (gaps, late and duplicated
    /// packets), as tshark counts them.
    pub fn sequence_errors(&self) -> u64 {
        self.sequence_errors
    }

    /// Packets with a timestamp before the first packet's (not in time sequence).
    pub fn wrong_timestamps(&self) -> u64 {
        self.wrong_timestamps
    }

    /// tshark's "Problems?" flag: a sequence error or a wrong timestamp was seen.
    pub fn problem(&self) -> bool {
        self.sequence_errors > 0 || self.wrong_timestamps > 0
    }

    /// Exact duplicates of a sequence number seen among the last 128.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets older than the highest sequence number seen, not duplicates (reordered).
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    pub fn first_arrival(&self) -> Timestamp {
        self.first_arrival
    }

    pub fn last_arrival(&self) -> Timestamp {
        self.last_arrival
    }

    pub fn first_frame(&self) -> u64 {
        self.first_frame
    }

    pub fn last_frame(&self) -> u64 {
        self.last_frame
    }

    /// Packets with the marker bit set.
    pub fn markers(&self) -> u64 {
        self.markers
    }

    /// Bytes on the wire, as given to `update`.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Packets that counted for the delta figures (tshark's regular packets).
    pub fn regular_packets(&self) -> u64 {
        self.regular
    }

    /// The largest inter-arrival gap of a regular packet, in ms (0 when none).
    pub fn max_delta_ms(&self) -> f64 {
        self.max_delta_ms
    }

    /// The frame where the largest gap ended (0 when none).
    pub fn max_delta_frame(&self) -> u64 {
        self.max_delta_frame
    }

    /// The smallest gap of a regular packet (tshark shows -1 when there is none).
    pub fn min_delta_ms(&self) -> Option<f64> {
        (self.regular > 0).then_some(self.min_delta_ms)
    }

    /// tshark's running mean of the gaps (0 when none).
    pub fn mean_delta_ms(&self) -> f64 {
        self.mean_delta_ms
    }

    /// The current interarrival jitter estimate, in ms.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter_ms
    }

    /// The largest jitter of a regular packet, in ms (0 when none).
    pub fn max_jitter_ms(&self) -> f64 {
        self.max_jitter_ms
    }

    /// The smallest jitter of a regular packet (tshark shows -1 when there is none).
    pub fn min_jitter_ms(&self) -> Option<f64> {
        (self.jitter_samples > 0).then_some(self.min_jitter_ms)
    }

    /// tshark's running mean of the jitter (0 when none).
    pub fn mean_jitter_ms(&self) -> f64 {
        self.mean_jitter_ms
    }

    /// Whether a packet of this payload type was seen.
    pub fn saw_payload_type(&self, payload_type: u8) -> bool {
        payload_type < 128 && self.payload_types & (1u128 << payload_type) != 0
    }

    /// The payload types seen, in increasing order (tshark lists them so).
    pub fn payload_types(&self) -> PayloadTypes {
        PayloadTypes {
            bits: self.payload_types,
        }
    }
}

/// The payload types a stream carried, smallest first. No allocation.
#[derive(Debug, Clone, Copy)]
pub struct PayloadTypes {
    bits: u128,
}

impl Iterator for PayloadTypes {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.bits == 0 {
            return None;
        }
        let pt = self.bits.trailing_zeros() as u8;
        self.bits &= self.bits - 1;
        Some(pt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(seq: u16, ts: u32, pt: u8, marker: bool) -> RtpHeader {
        RtpHeader {
            marker,
            payload_type: pt,
            seq,
            timestamp: ts,
            ssrc: 0x1122_3344,
            csrc_count: 0,
            extension: false,
            padding: false,
            payload_len: 160,
        }
    }

    fn at_ms(ms: f64) -> Timestamp {
        Timestamp::from_nanos((ms * 1e6).round() as i64 + 1_000_000_000_000)
    }

    /// Feeds (arrival ms, seq, timestamp) PCMU packets.
    fn feed(s: &mut RtpStreamStats, pkts: &[(f64, u16, u32)]) {
        for (i, (t, seq, ts)) in pkts.iter().enumerate() {
            s.update(at_ms(*t), i as u64 + 1, &hdr(*seq, *ts, 0, false), 214);
        }
    }

    fn steady(n: u16, seq0: u16) -> Vec<(f64, u16, u32)> {
        (0..n)
            .map(|i| {
                (
                    20.0 * f64::from(i),
                    seq0.wrapping_add(i),
                    5000 + 160 * u32::from(i),
                )
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn jitter_on_three_packets_by_hand() {
        // PCMU, 8 ticks/ms. Packet 1 at 0 ms ts 0; packet 2 at 21 ms ts 160 (nominal 20 ms):
        // D = |21 - 20| = 1, J = 1/16 = 0.0625. Packet 3 at 38 ms ts 320: delta 17, nominal
        // step 20, D = 3, J = (15 * 0.0625 + 3) / 16 = 0.2460937.
        let mut s = RtpStreamStats::new(None);
        feed(&mut s, &[(0.0, 10, 0), (21.0, 11, 160), (38.0, 12, 320)]);
        assert!(close(s.jitter_ms(), (15.0 * 0.0625 + 3.0) / 16.0));
        assert!(close(s.max_jitter_ms(), 0.246_093_75));
        assert!(close(s.min_jitter_ms().unwrap(), 0.0625));
        // Means are over tshark's n: (0.0625 + 0.24609375) / 2.
        assert!(close(s.mean_jitter_ms(), (0.0625 + 0.246_093_75) / 2.0));
        assert!(close(s.max_delta_ms(), 21.0));
        assert_eq!(s.max_delta_frame(), 2);
        assert!(close(s.min_delta_ms().unwrap(), 17.0));
        assert!(close(s.mean_delta_ms(), 19.0));
        assert_eq!((s.packets(), s.expected(), s.lost()), (3, 3, 0));
        assert!(!s.problem());
    }

    #[test]
    fn sequence_wraps_at_65535() {
        let mut s = RtpStreamStats::new(None);
        feed(&mut s, &steady(10, 65_530));
        assert_eq!(s.seq_cycles(), 1);
        assert_eq!((s.packets(), s.expected(), s.lost()), (10, 10, 0));
        assert_eq!(s.expected_rfc3550(), 10);
        assert_eq!(s.sequence_errors(), 0);
        assert!(!s.problem());
        assert!(close(s.max_jitter_ms(), 0.0));
    }

    #[test]
    fn first_packet_at_zero_after_wrap_to_zero() {
        // Starting at 65535, the next packet is 0: a cycle through the second rule.
        let mut s = RtpStreamStats::new(None);
        feed(&mut s, &steady(3, 65_535));
        assert_eq!((s.seq_cycles(), s.lost()), (1, 0));
    }

    #[test]
    fn a_duplicate_gives_negative_loss() {
        let mut pkts = steady(10, 1000);
        pkts.insert(6, (pkts[5].0 + 3.0, pkts[5].1, pkts[5].2));
        let mut s = RtpStreamStats::new(None);
        feed(&mut s, &pkts);
        assert_eq!((s.packets(), s.expected(), s.lost()), (11, 10, -1));
        assert_eq!(s.duplicates(), 1);
        assert_eq!(s.out_of_order(), 0);
        assert_eq!(s.sequence_errors(), 1);
        assert!(s.problem());
        // The duplicate arrived 3 ms after its original: the smallest gap.
        assert!(close(s.min_delta_ms().unwrap(), 3.0));
    }

    #[test]
    fn reordering_is_counted_and_gives_a_negative_delta() {
        // tshark figures for this capture: Lost 0, Min Delta -18, Max Delta 40, X.
        let mut pkts = steady(10, 1000);
        let jit = [0.0, 1.0, 0.0, 3.0, 0.0, -2.0, 0.0, 0.0, 5.0, 0.0];
        for (p, j) in pkts.iter_mut().zip(jit) {
            p.0 += j;
        }
        pkts.swap(4, 5);
        let mut s = RtpStreamStats::new(None);
        feed(&mut s, &pkts);
        assert_eq!((s.packets(), s.lost()), (10, 0));
        assert_eq!(s.out_of_order(), 1);
        assert_eq!(s.duplicates(), 0);
        assert_eq!(s.sequence_errors(), 2);
        assert!(s.problem());
        assert!(close(s.min_delta_ms().unwrap(), -18.0));
        assert!(close(s.max_delta_ms(), 40.0));
        assert!((s.max_jitter_ms() - 1.133).abs() < 0.0005);
        assert!((s.mean_jitter_ms() - 0.557).abs() < 0.0005);
    }

    #[test]
    fn a_gap_of_five_lost_packets() {
        // Sequence 1000..=1003, then 1009: 1004..=1008 lost.
        let pkts: Vec<_> = steady(10, 1000)
            .into_iter()
            .filter(|p| !(1004..=1008).contains(&p.1))
            .collect();
        let mut s = RtpStreamStats::new(None);
        feed(&mut s, &pkts);
        assert_eq!((s.packets(), s.expected(), s.lost()), (5, 10, 5));
        assert_eq!(s.lost_rfc3550(), 5);
        assert_eq!(s.sequence_errors(), 1);
        assert!(close(s.max_delta_ms(), 120.0));
        assert_eq!(s.max_delta_frame(), 5);
        // The timestamps jump with the arrival: no jitter.
        assert!(close(s.max_jitter_ms(), 0.0));
    }

    #[test]
    fn marker_and_comfort_noise_are_not_regular() {
        let mut s = RtpStreamStats::new(None);
        s.update(at_ms(0.0), 1, &hdr(1, 0, 0, true), 200);
        s.update(at_ms(20.0), 2, &hdr(2, 160, 0, false), 200);
        s.update(at_ms(90.0), 3, &hdr(3, 320, 0, true), 200); // talkspurt: not regular
        s.update(at_ms(110.0), 4, &hdr(4, 480, 13, false), 200); // CN: not regular
        s.update(at_ms(200.0), 5, &hdr(5, 640, 0, false), 200); // after CN: not regular
        s.update(at_ms(220.0), 6, &hdr(6, 800, 0, false), 200);
        assert_eq!(s.markers(), 2);
        assert_eq!(s.regular_packets(), 2);
        assert!(close(s.max_delta_ms(), 20.0));
        assert_eq!(s.payload_types().collect::<Vec<_>>(), vec![0, 13]);
        assert_eq!(s.bytes(), 1200);
    }

    #[test]
    fn unknown_dynamic_clock_gives_no_jitter_until_learned() {
        let mut s = RtpStreamStats::new(None);
        let pkts = [(0.0, 1, 0), (25.0, 2, 960), (40.0, 3, 1920)];
        for (i, (t, seq, ts)) in pkts.iter().enumerate() {
            s.update(at_ms(*t), i as u64, &hdr(*seq, *ts, 111, false), 100);
        }
        assert_eq!(s.min_jitter_ms(), None);
        assert!(close(s.max_jitter_ms(), 0.0));
        assert!(close(s.max_delta_ms(), 25.0));
        s.set_clock_rate(Some(48_000));
        s.update(at_ms(60.0), 4, &hdr(4, 2880, 111, false), 100);
        assert!(s.min_jitter_ms().is_some());
        assert_eq!(s.clock_rate_for(111), Some(48_000));
        assert!(s.set_payload_clock_rate(101, None));
        assert_eq!(s.clock_rate_for(101), None);
        assert_eq!(s.clock_rate_for(0), Some(8_000));
        assert_eq!(s.clock_rate_for(19), Some(8_000));
    }

    #[test]
    fn payload_clock_table_is_bounded() {
        let mut s = RtpStreamStats::new(Some(8000));
        for pt in 96..96 + MAX_PAYLOAD_CLOCKS as u8 {
            assert!(s.set_payload_clock_rate(pt, Some(16_000)));
        }
        assert!(!s.set_payload_clock_rate(120, Some(16_000)));
        assert!(s.set_payload_clock_rate(96, None));
        assert_eq!(s.clock_rate_for(96), None);
        assert_eq!(s.clock_rate_for(120), Some(8000));
    }

    #[test]
    fn timestamp_before_the_first_is_not_in_time() {
        let mut s = RtpStreamStats::new(None);
        feed(
            &mut s,
            &[(0.0, 1, 10_000), (20.0, 2, 9_000), (40.0, 3, 10_320)],
        );
        assert_eq!(s.wrong_timestamps(), 1);
        assert!(s.problem());
        // The late-stamped packet moved nothing: the gap is 40 ms.
        assert!(close(s.max_delta_ms(), 40.0));
    }
}
