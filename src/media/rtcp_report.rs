//! RTCP reports (RFC 3550 section 6.4): sender information, reception report blocks and
//! BYE, read from a compound packet as borrowed views.
//!
//! Nothing here allocates and nothing panics on any input: [`packets`] walks the compound
//! one packet at a time (each step consumes at least 4 bytes, so the work is bounded by the
//! datagram's length), report blocks are read lazily from the packet's bytes and are at
//! most 31 per packet (the 5-bit RC field), and every field is read with a checked access.
//! A malformed packet ends the walk with one `Err`.

use crate::decode::{be16, be32};
use crate::time::{Duration, Timestamp};

/// RTCP packet types (RFC 3550 section 12.1).
pub const PT_SR: u8 = 200;
pub const PT_RR: u8 = 201;
pub const PT_SDES: u8 = 202;
pub const PT_BYE: u8 = 203;
pub const PT_APP: u8 = 204;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_UNIX_OFFSET_SECS: i64 = 2_208_988_800;

/// Size of one reception report block.
const BLOCK_LEN: usize = 24;
/// SR: sender SSRC plus the 20-byte sender info, before the report blocks.
const SR_FIXED: usize = 24;
/// RR: sender SSRC, before the report blocks.
const RR_FIXED: usize = 4;

/// Why a compound packet could not be read further. `offset` is where the bad packet
/// starts in the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpError {
    /// Fewer than 4 bytes left that are not just trailing zero padding.
    TooShort { offset: usize },
    /// Version is not 2.
    Version { offset: usize },
    /// The length field runs past the end of the datagram.
    Length { offset: usize },
    /// The padding count is 0 or larger than the packet.
    Padding { offset: usize },
    /// The count field announces more report blocks or SSRCs than the packet holds.
    CountOverrun { offset: usize },
}

/// One reception report block (RFC 3550 section 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block reports on (SSRC_n).
    pub ssrc: u32,
    /// Fraction of packets lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost, a signed 24-bit number (negative with duplicates).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the upper 16 bits).
    pub ext_highest_seq: u32,
    /// Interarrival jitter, in RTP timestamp units.
    pub jitter: u32,
    /// Last SR timestamp: the middle 32 bits of its NTP timestamp, 0 when none received.
    pub lsr: u32,
    /// Delay since the last SR, in 1/65536 s.
    pub dlsr: u32,
}

impl ReportBlock {
    fn read(b: &[u8]) -> Option<ReportBlock> {
        let lost = be32(b, 4)?;
        // Bits 0-7: fraction lost; bits 8-31: cumulative lost, sign-extended from 24 bits.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        Some(ReportBlock {
            ssrc: be32(b, 0)?,
            fraction_lost: (lost >> 24) as u8,
            cumulative_lost,
            ext_highest_seq: be32(b, 8)?,
            jitter: be32(b, 12)?,
            lsr: be32(b, 16)?,
            dlsr: be32(b, 20)?,
        })
    }

    /// The fraction lost as a number in [0, 1).
    pub fn fraction_lost_ratio(&self) -> f64 {
        f64::from(self.fraction_lost) / 256.0
    }

    /// Sequence number cycles (upper half of the extended highest sequence number).
    pub fn seq_cycles(&self) -> u16 {
        (self.ext_highest_seq >> 16) as u16
    }

    /// The highest sequence number received (lower half).
    pub fn highest_seq(&self) -> u16 {
        (self.ext_highest_seq & 0xffff) as u16
    }

    /// The jitter in milliseconds for a given clock rate.
    pub fn jitter_ms(&self, clock_rate: u32) -> Option<f64> {
        (clock_rate != 0).then(|| f64::from(self.jitter) * 1000.0 / f64::from(clock_rate))
    }

    /// DLSR as a duration.
    pub fn dlsr_duration(&self) -> Duration {
        units_to_duration(self.dlsr)
    }

    /// The round-trip time for this block received at `arrival` (RFC 3550 section 6.4.1).
    pub fn round_trip(&self, arrival: Timestamp) -> Option<Duration> {
        round_trip(ntp_middle32(arrival), self.lsr, self.dlsr)
    }
}

/// The sender information of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// NTP timestamp, seconds in the upper 32 bits and the fraction in the lower 32.
    pub ntp_timestamp: u64,
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

impl SenderInfo {
    /// The middle 32 bits of the NTP timestamp: what receivers echo as LSR.
    pub fn ntp_middle32(&self) -> u32 {
        (self.ntp_timestamp >> 16) as u32
    }

    /// The NTP timestamp as a capture-clock time (see [`timestamp_from_ntp`]).
    pub fn wallclock(&self) -> Timestamp {
        timestamp_from_ntp(self.ntp_timestamp)
    }
}

/// Report blocks of one SR or RR, read lazily (at most 31).
#[derive(Debug, Clone, Copy)]
pub struct ReportBlocks<'a> {
    bytes: &'a [u8],
}

impl<'a> ReportBlocks<'a> {
    /// How many blocks the packet holds (its RC field, checked against its length).
    pub fn len(&self) -> usize {
        self.bytes.len() / BLOCK_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.len() < BLOCK_LEN
    }

    /// The `i`-th block.
    pub fn get(&self, i: usize) -> Option<ReportBlock> {
        let start = i.checked_mul(BLOCK_LEN)?;
        ReportBlock::read(self.bytes.get(start..start.checked_add(BLOCK_LEN)?)?)
    }
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let block = self.bytes.get(..BLOCK_LEN)?;
        self.bytes = self.bytes.get(BLOCK_LEN..).unwrap_or_default();
        ReportBlock::read(block)
    }
}

/// The SSRC/CSRC list of a BYE.
#[derive(Debug, Clone, Copy)]
pub struct SsrcList<'a> {
    bytes: &'a [u8],
}

impl Iterator for SsrcList<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let v = be32(self.bytes, 0)?;
        self.bytes = self.bytes.get(4..).unwrap_or_default();
        Some(v)
    }
}

/// One packet of a compound.
#[derive(Debug, Clone, Copy)]
pub enum RtcpPacket<'a> {
    /// SR (200).
    SenderReport {
        ssrc: u32,
        sender: SenderInfo,
        blocks: ReportBlocks<'a>,
    },
    /// RR (201).
    ReceiverReport { ssrc: u32, blocks: ReportBlocks<'a> },
    /// BYE (203): the sources leaving and the optional reason text.
    Bye {
        ssrcs: SsrcList<'a>,
        reason: Option<&'a [u8]>,
    },
    /// SDES, APP, feedback, XR and anything else: type, 5-bit count and body (after the
    /// 4-byte header, padding removed).
    Other {
        packet_type: u8,
        count: u8,
        body: &'a [u8],
    },
}

/// Walks the packets of an RTCP compound.
pub fn packets(datagram: &[u8]) -> Packets<'_> {
    Packets {
        bytes: datagram,
        offset: 0,
        done: false,
    }
}

/// Iterator over the packets of a compound; see [`packets`].
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    bytes: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let offset = self.offset;
        let rest = self.bytes.get(offset..).unwrap_or_default();
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        // Up to 3 zero bytes after the last packet are tolerated (as in `rtcp::parse`).
        if offset > 0 && rest.len() < 4 && rest.iter().all(|b| *b == 0) {
            self.done = true;
            return None;
        }
        match read_packet(rest, offset) {
            Ok((packet, len)) => {
                self.offset = offset + len;
                Some(Ok(packet))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Reads the packet at the start of `rest`; returns it and its length in bytes.
fn read_packet(rest: &[u8], offset: usize) -> Result<(RtcpPacket<'_>, usize), RtcpError> {
    let first = *rest.first().ok_or(RtcpError::TooShort { offset })?;
    let packet_type = *rest.get(1).ok_or(RtcpError::TooShort { offset })?;
    let words = be16(rest, 2).ok_or(RtcpError::TooShort { offset })?;
    if first >> 6 != 2 {
        return Err(RtcpError::Version { offset });
    }
    let count = first & 0x1f;
    let len = (usize::from(words) + 1) * 4;
    let packet = rest.get(..len).ok_or(RtcpError::Length { offset })?;
    let mut end = len;
    if first & 0x20 != 0 {
        let pad = usize::from(*packet.last().ok_or(RtcpError::Length { offset })?);
        if pad == 0 || pad > len - 4 {
            return Err(RtcpError::Padding { offset });
        }
        end -= pad;
    }
    let body = packet.get(4..end).unwrap_or_default();
    let n = usize::from(count);
    let overrun = RtcpError::CountOverrun { offset };
    let parsed = match packet_type {
        PT_SR => {
            let blocks = body
                .get(SR_FIXED..SR_FIXED + n * BLOCK_LEN)
                .ok_or(overrun)?;
            let ntp_hi = be32(body, 4).ok_or(overrun)?;
            let ntp_lo = be32(body, 8).ok_or(overrun)?;
            RtcpPacket::SenderReport {
                ssrc: be32(body, 0).ok_or(overrun)?,
                sender: SenderInfo {
                    ntp_timestamp: (u64::from(ntp_hi) << 32) | u64::from(ntp_lo),
                    rtp_timestamp: be32(body, 12).ok_or(overrun)?,
                    packet_count: be32(body, 16).ok_or(overrun)?,
                    octet_count: be32(body, 20).ok_or(overrun)?,
                },
                blocks: ReportBlocks { bytes: blocks },
            }
        }
        PT_RR => {
            let blocks = body
                .get(RR_FIXED..RR_FIXED + n * BLOCK_LEN)
                .ok_or(overrun)?;
            RtcpPacket::ReceiverReport {
                ssrc: be32(body, 0).ok_or(overrun)?,
                blocks: ReportBlocks { bytes: blocks },
            }
        }
        PT_BYE => {
            let ssrcs = body.get(..n * 4).ok_or(overrun)?;
            // Optional reason: a length octet and that many bytes of text.
            let reason = body.get(n * 4..).and_then(|r| {
                let l = usize::from(*r.first()?);
                r.get(1..1 + l)
            });
            RtcpPacket::Bye {
                ssrcs: SsrcList { bytes: ssrcs },
                reason,
            }
        }
        _ => RtcpPacket::Other {
            packet_type,
            count,
            body,
        },
    };
    Ok((parsed, len))
}

/// Converts 1/65536-second units to a duration (rounded to the nanosecond).
fn units_to_duration(units: u32) -> Duration {
    // 1e9 / 65536 = 1953125 / 128.
    let nanos = (u64::from(units) * 1_953_125 + 64) / 128;
    Timestamp::from_nanos(nanos as i64).since(Timestamp::ZERO)
}

/// The round-trip time seen by the sender of an SR that gets a report block back
/// (RFC 3550 section 6.4.1): `A - LSR - DLSR`, all in 1/65536 s, with `A` the middle 32
/// bits of the NTP time the report arrived. `None` when LSR is 0 (no SR received yet) or
/// when the result is negative (modulo 2^32 it is 2^31 or more: the clocks disagree).
pub fn round_trip(arrival_ntp_middle32: u32, lsr: u32, dlsr: u32) -> Option<Duration> {
    if lsr == 0 {
        return None;
    }
    let rtt = arrival_ntp_middle32.wrapping_sub(lsr).wrapping_sub(dlsr);
    (rtt < 0x8000_0000).then(|| units_to_duration(rtt))
}

/// A capture time as a 64-bit NTP timestamp (seconds since 1900 in the upper 32 bits,
/// modulo 2^32 as NTP does; the binary fraction in the lower 32).
pub fn ntp_from_timestamp(t: Timestamp) -> u64 {
    let nanos = t.as_nanos();
    let secs = nanos.div_euclid(1_000_000_000) + NTP_UNIX_OFFSET_SECS;
    let sub = nanos.rem_euclid(1_000_000_000) as u64;
    let frac = (sub << 32) / 1_000_000_000;
    ((secs as u64 & 0xffff_ffff) << 32) | frac
}

/// The middle 32 bits of a capture time's NTP timestamp (16 bits of seconds, 16 of
/// fraction): the `A` of [`round_trip`].
pub fn ntp_middle32(t: Timestamp) -> u32 {
    (ntp_from_timestamp(t) >> 16) as u32
}

/// A 64-bit NTP timestamp as a capture-clock time. Seconds with the top bit clear are
/// taken to be in NTP era 1 (from 2036-02-07), as RFC 4330 section 3 suggests.
pub fn timestamp_from_ntp(ntp: u64) -> Timestamp {
    let mut secs = (ntp >> 32) as i64;
    if secs < 0x8000_0000 {
        secs += 1 << 32;
    }
    let frac = ntp & 0xffff_ffff;
    let nanos = ((frac * 1_000_000_000) + (1 << 31)) >> 32;
    Timestamp::from_parts(secs - NTP_UNIX_OFFSET_SECS, nanos as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn all(b: &[u8]) -> Vec<RtcpPacket<'_>> {
        packets(b).map(|p| p.unwrap()).collect()
    }

    /// fixtures/public/sipnab__SIP_CALL_RTP_G711.pcap frame 504 (UDP payload, `tshark -x`).
    const FRAME_504: &str = "81c8000cd2bd4e3ec59286d4e6e978d5000001400000000200000140d2bd4e3e\
        00000000000200020000000086d4e6e90000000181c90007d2bd4e3e0000000000000000000000000000\
        000086d4e6e900000001";
    /// Same capture, frame 521: SR from 0x58f33dea + SDES.
    const FRAME_521: &str = "81c8000c58f33dea00024fe41c6a7ed9114731a200000001000000a0d2bd4e3e\
        000000000000000300000000000000000000000081ca000858f33dea011641434c5450204368616e6e65\
        6c48616e646c6520333000000000";
    /// Same capture, frame 529: SR + RR + SDES.
    const FRAME_529: &str = "81c8000cd2bd4e3ec59286d4f645a1cb000002800000000400000280d2bd4e3e\
        00000000000400040000000086d4f6450000000181c90007d2bd4e3e58f33dea0000000000002c440000\
        000086d4f6450000000181ca0007d2bd4e3e0114756e6b6e6f776e403230302e35372e372e3230340000\
        0000";
    /// Same capture, frame 1181: SR + RR whose block has jitter 1888.
    const FRAME_1181: &str = "81c8000cd2bd4e3ec59286d9f58106250000a14000000069000041a0d2bd4e3e\
        00000000006900690000000086d9f5810000000181c90007d2bd4e3e58f33dea0000000000002cd80000\
        076086d9f58100000001";
    /// fixtures/public/suricata__sip.pcap frame 633: SR (no blocks) + SDES + BYE with reason.
    const SURICATA_633: &str = "80c800063796cb7142c907ca5efac603000024c3000000090000060c81ca000b\
        3796cb71011d31313839343239372d3434333261396638403139322e3136382e312e3206055349505053\
        000081cb00063796cb711073657373696f6e2073687574646f776e000000";
    /// fixtures/synthetic/synthetic_media_kinds.pcap frame 4: RR + SDES + BYE.
    const MEDIA_KINDS_4: &str = "81c900070e0f10110a0b0c0d00000000000007d30000000c000000000000\
        000081ca00060e0f10110111626f62403139382e35312e3130302e33300081cb00010e0f1011";

    #[test]
    fn frame_504_sr_and_rr() {
        let b = hex(FRAME_504);
        let p = all(&b);
        assert_eq!(p.len(), 2);
        let RtcpPacket::SenderReport {
            ssrc,
            sender,
            mut blocks,
        } = p[0]
        else {
            panic!("not an SR: {:?}", p[0]);
        };
        // tshark -V: Sender SSRC 0xd2bd4e3e, MSW 3314714324, LSW 3874060501, RTP
        // timestamp 320, packet count 2, octet count 320.
        assert_eq!(ssrc, 0xd2bd_4e3e);
        assert_eq!(
            sender.ntp_timestamp,
            (3_314_714_324u64 << 32) | 3_874_060_501
        );
        assert_eq!(sender.rtp_timestamp, 320);
        assert_eq!(sender.packet_count, 2);
        assert_eq!(sender.octet_count, 320);
        // "[MSW and LSW as NTP timestamp: Jan 14, 2005 17:58:44.902000000 UTC]"
        assert_eq!(
            sender.wallclock().to_string(),
            "2005-01-14T17:58:44.902000Z"
        );
        assert_eq!(blocks.len(), 1);
        let b0 = blocks.next().unwrap();
        assert_eq!(
            b0,
            ReportBlock {
                ssrc: 0xd2bd_4e3e,
                fraction_lost: 0,
                cumulative_lost: 0,
                ext_highest_seq: 131_074,
                jitter: 0,
                lsr: 2_262_099_689,
                dlsr: 1,
            }
        );
        assert_eq!((b0.seq_cycles(), b0.highest_seq()), (2, 2));
        assert!(blocks.next().is_none());
        let RtcpPacket::ReceiverReport { ssrc, blocks } = p[1] else {
            panic!("not an RR");
        };
        assert_eq!(ssrc, 0xd2bd_4e3e);
        let b0 = blocks.get(0).unwrap();
        assert_eq!(
            (b0.ssrc, b0.ext_highest_seq, b0.lsr, b0.dlsr),
            (0, 0, 0x86d4_e6e9, 1)
        );
        // "Delay since last SR timestamp: 1 (0 milliseconds)": 1/65536 s.
        assert_eq!(b0.dlsr_duration().as_nanos(), 15_259);
    }

    #[test]
    fn frame_521_sr_then_sdes() {
        let b = hex(FRAME_521);
        let p = all(&b);
        assert_eq!(p.len(), 2);
        let RtcpPacket::SenderReport {
            ssrc,
            sender,
            blocks,
        } = p[0]
        else {
            panic!("not an SR");
        };
        assert_eq!(ssrc, 0x58f3_3dea);
        assert_eq!(sender.ntp_timestamp >> 32, 151_524);
        assert_eq!(sender.ntp_timestamp & 0xffff_ffff, 476_741_337);
        // "Feb  9, 2036 00:33:40.110999992 UTC": an era-1 NTP time.
        assert_eq!(
            sender.wallclock().to_string(),
            "2036-02-09T00:33:40.110999Z"
        );
        assert_eq!(sender.rtp_timestamp, 289_878_434);
        assert_eq!((sender.packet_count, sender.octet_count), (1, 160));
        let b0 = blocks.get(0).unwrap();
        assert_eq!(b0.ssrc, 0xd2bd_4e3e);
        assert_eq!((b0.ext_highest_seq, b0.lsr, b0.dlsr), (3, 0, 0));
        // LSR 0: no round trip.
        assert_eq!(b0.round_trip(Timestamp::from_nanos(1)), None);
        assert!(matches!(
            p[1],
            RtcpPacket::Other {
                packet_type: PT_SDES,
                count: 1,
                ..
            }
        ));
    }

    #[test]
    fn frame_529_sr_rr_sdes() {
        let b = hex(FRAME_529);
        let p = all(&b);
        assert_eq!(p.len(), 3);
        let RtcpPacket::SenderReport { sender, blocks, .. } = p[0] else {
            panic!("not an SR");
        };
        assert_eq!(
            sender.ntp_timestamp,
            (3_314_714_324u64 << 32) | 4_131_758_539
        );
        assert_eq!(sender.ntp_middle32(), 0x86d4_f645);
        assert_eq!((sender.rtp_timestamp, sender.packet_count), (640, 4));
        assert_eq!(sender.octet_count, 640);
        assert_eq!(blocks.get(0).unwrap().ext_highest_seq, 262_148);
        let RtcpPacket::ReceiverReport { ssrc, blocks } = p[1] else {
            panic!("not an RR");
        };
        assert_eq!(ssrc, 0xd2bd_4e3e);
        assert_eq!(
            blocks.get(0),
            Some(ReportBlock {
                ssrc: 0x58f3_3dea,
                fraction_lost: 0,
                cumulative_lost: 0,
                ext_highest_seq: 11_332,
                jitter: 0,
                lsr: 2_262_103_621,
                dlsr: 1,
            })
        );
        assert!(blocks.get(1).is_none());
    }

    #[test]
    fn frame_1181_jitter() {
        let b = hex(FRAME_1181);
        let p = all(&b);
        let RtcpPacket::ReceiverReport { blocks, .. } = p[1] else {
            panic!("not an RR");
        };
        let b0 = blocks.get(0).unwrap();
        assert_eq!(
            (b0.ssrc, b0.jitter, b0.ext_highest_seq),
            (0x58f3_3dea, 1888, 11_480)
        );
        // 1888 ticks of PCMA's 8 kHz clock: 236 ms.
        assert_eq!(b0.jitter_ms(8000), Some(236.0));
        assert_eq!(b0.jitter_ms(0), None);
    }

    #[test]
    fn bye_with_reason_and_sr_without_blocks() {
        let b = hex(SURICATA_633);
        let p = all(&b);
        assert_eq!(p.len(), 3);
        let RtcpPacket::SenderReport {
            ssrc,
            sender,
            blocks,
        } = p[0]
        else {
            panic!("not an SR");
        };
        assert_eq!(ssrc, 0x3796_cb71);
        assert_eq!(
            sender.ntp_timestamp,
            (1_120_470_986u64 << 32) | 1_593_492_995
        );
        assert_eq!(
            (
                sender.rtp_timestamp,
                sender.packet_count,
                sender.octet_count
            ),
            (9411, 9, 1548)
        );
        assert!(blocks.is_empty());
        let RtcpPacket::Bye { ssrcs, reason } = p[2] else {
            panic!("not a BYE");
        };
        assert_eq!(ssrcs.collect::<Vec<_>>(), vec![0x3796_cb71]);
        assert_eq!(reason, Some(&b"session shutdown"[..]));
    }

    #[test]
    fn rr_sdes_bye() {
        let b = hex(MEDIA_KINDS_4);
        let p = all(&b);
        assert_eq!(p.len(), 3);
        let RtcpPacket::ReceiverReport { ssrc, blocks } = p[0] else {
            panic!("not an RR");
        };
        assert_eq!(ssrc, 0x0e0f_1011);
        let b0 = blocks.get(0).unwrap();
        assert_eq!(
            (b0.ssrc, b0.ext_highest_seq, b0.jitter),
            (0x0a0b_0c0d, 2003, 12)
        );
        let RtcpPacket::Bye { ssrcs, reason } = p[2] else {
            panic!("not a BYE");
        };
        assert_eq!(ssrcs.collect::<Vec<_>>(), vec![0x0e0f_1011]);
        assert_eq!(reason, None);
    }

    #[test]
    fn negative_cumulative_lost_and_fraction() {
        let mut b = vec![0x81, PT_RR, 0, 7, 0, 0, 0, 1];
        b.extend_from_slice(&[0, 0, 0, 2, 0x40, 0xff, 0xff, 0xff]);
        b.extend_from_slice(&[0; 16]);
        let p = all(&b);
        let RtcpPacket::ReceiverReport { blocks, .. } = p[0] else {
            panic!("not an RR");
        };
        let b0 = blocks.get(0).unwrap();
        assert_eq!(b0.cumulative_lost, -1);
        assert_eq!(b0.fraction_lost, 64);
        assert_eq!(b0.fraction_lost_ratio(), 0.25);
        b[13..16].copy_from_slice(&[0x80, 0, 0]);
        let b0 = match all(&b)[0] {
            RtcpPacket::ReceiverReport { blocks, .. } => blocks.get(0).unwrap(),
            _ => panic!(),
        };
        assert_eq!(b0.cumulative_lost, -8_388_608);
        b[13..16].copy_from_slice(&[0x7f, 0xff, 0xff]);
        let b0 = match all(&b)[0] {
            RtcpPacket::ReceiverReport { blocks, .. } => blocks.get(0).unwrap(),
            _ => panic!(),
        };
        assert_eq!(b0.cumulative_lost, 8_388_607);
    }

    #[test]
    fn round_trip_example_of_rfc_3550() {
        // RFC 3550 figure 2: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000,
        // delay = 0x0006:2000 = 6.125 s.
        let d = round_trip(0xb710_8000, 0xb705_2000, 0x0005_4000).unwrap();
        assert_eq!(d.as_nanos(), 6_125_000_000);
        assert_eq!(round_trip(0xb710_8000, 0, 0x0005_4000), None);
        // Negative (clocks disagree).
        assert_eq!(round_trip(0xb705_2000, 0xb710_8000, 0), None);
        // Wrap of the 16-bit seconds is fine.
        let d = round_trip(0x0001_0000, 0xffff_0000, 0).unwrap();
        assert_eq!(d.as_nanos(), 2_000_000_000);
    }

    #[test]
    fn ntp_conversions() {
        // 2005-01-14T17:58:44.902Z is NTP 0xc59286d4.e6e978d5 (frame 504).
        let t = timestamp_from_ntp((0xc592_86d4u64 << 32) | 0xe6e9_78d5);
        assert_eq!(ntp_from_timestamp(t) >> 32, 0xc592_86d4);
        let frac = ntp_from_timestamp(t) & 0xffff_ffff;
        assert!(frac.abs_diff(0xe6e9_78d5) <= 4);
        assert_eq!(ntp_middle32(t), 0x86d4_e6e9);
        // Unix epoch.
        assert_eq!(ntp_from_timestamp(Timestamp::ZERO), 2_208_988_800u64 << 32);
        // Half a second.
        assert_eq!(
            ntp_from_timestamp(Timestamp::from_nanos(500_000_000)) & 0xffff_ffff,
            0x8000_0000
        );
        // The RTT of frame 529's RR block if it had arrived 10 ms after its SR time.
        let lsr_time = timestamp_from_ntp((0xc592_86d4u64 << 32) | 0xf645_a1cb);
        let arrival = lsr_time.plus(Duration::from_millis(10));
        let rtt = round_trip(ntp_middle32(arrival), 0x86d4_f645, 1).unwrap();
        assert!((rtt.as_secs_f64() - 0.010).abs() < 0.0001);
    }

    #[test]
    fn malformed_compounds_end_with_an_error() {
        // Version 1.
        assert!(matches!(
            packets(&[0x41, PT_RR, 0, 1, 0, 0, 0, 1]).next(),
            Some(Err(RtcpError::Version { offset: 0 }))
        ));
        // Length past the end.
        assert!(matches!(
            packets(&[0x80, PT_RR, 0, 9, 0, 0, 0, 1]).next(),
            Some(Err(RtcpError::Length { offset: 0 }))
        ));
        // RC says 2 blocks, none there.
        assert!(matches!(
            packets(&[0x82, PT_RR, 0, 1, 0, 0, 0, 1]).next(),
            Some(Err(RtcpError::CountOverrun { offset: 0 }))
        ));
        // Bad padding count.
        assert!(matches!(
            packets(&[0xa0, PT_RR, 0, 1, 0, 0, 0, 9]).next(),
            Some(Err(RtcpError::Padding { offset: 0 }))
        ));
        // A good RR then garbage: one packet, then one error, then the end.
        let b = [0x80, PT_RR, 0, 1, 0, 0, 0, 1, 0xff];
        let mut it = packets(&b);
        assert!(matches!(
            it.next(),
            Some(Ok(RtcpPacket::ReceiverReport { .. }))
        ));
        assert!(matches!(
            it.next(),
            Some(Err(RtcpError::TooShort { offset: 8 }))
        ));
        assert!(it.next().is_none());
        // Trailing zeros are fine.
        let b = [0x80, PT_RR, 0, 1, 0, 0, 0, 1, 0, 0];
        assert_eq!(packets(&b).count(), 1);
        assert_eq!(packets(&[]).count(), 0);
    }

    #[test]
    fn padding_is_removed_from_the_last_packet() {
        // BYE with one SSRC and 4 bytes of padding.
        let b = [0xa1, PT_BYE, 0, 2, 0, 0, 0, 5, 0, 0, 0, 4];
        let p = all(&b);
        let RtcpPacket::Bye { ssrcs, reason } = p[0] else {
            panic!("not a BYE");
        };
        assert_eq!(ssrcs.collect::<Vec<_>>(), vec![5]);
        assert_eq!(reason, None);
    }

    #[test]
    fn never_panics_on_any_prefix_or_byte_flip() {
        let mut inputs = Vec::new();
        for h in [FRAME_504, FRAME_521, FRAME_529, SURICATA_633, MEDIA_KINDS_4] {
            let b = hex(h);
            for cut in 0..=b.len() {
                inputs.push(b[..cut].to_vec());
            }
            for i in 0..b.len() {
                for v in [0x00, 0x1f, 0x3f, 0x80, 0xbf, 0xff] {
                    let mut c = b.clone();
                    c[i] = v;
                    inputs.push(c);
                }
            }
        }
        for b in &inputs {
            let mut steps = 0;
            for p in packets(b) {
                steps += 1;
                assert!(steps <= b.len() / 4 + 1);
                if let Ok(RtcpPacket::SenderReport { blocks, .. })
                | Ok(RtcpPacket::ReceiverReport { blocks, .. }) = p
                {
                    assert!(blocks.len() <= 31);
                    for blk in blocks {
                        let _ = blk.round_trip(Timestamp::ZERO);
                    }
                }
            }
        }
    }
}
