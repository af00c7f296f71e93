//! RTCP (RFC 3550 section 6): a compound packet is recognised when every packet in it is
//! version 2, has a type in 200..=207 (SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR) and the
//! length fields add up to exactly the datagram. The first packet must be SR or RR (or,
//! per RFC 5506 reduced-size RTCP, any of the known types).

use crate::decode::{be16, be32};

/// A checked RTCP compound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpCompound {
    /// Packets in the compound.
    pub packets: u8,
    /// SSRC of the sender of the first packet.
    pub ssrc: u32,
    /// Type of the first packet.
    pub first_type: u8,
}

/// The most packets walked in one compound (a bound against crafted input).
const MAX_PACKETS: u8 = 32;

/// Recognises an RTCP compound packet. Allocation-free.
pub fn parse(b: &[u8]) -> Option<RtcpCompound> {
    let mut off = 0usize;
    let mut packets = 0u8;
    let first_type = *b.get(1)?;
    let ssrc = be32(b, 4)?;
    while off < b.len() {
        // Some stacks leave up to 3 zero bytes after the last packet (seen in real
        // captures; Wireshark's length check accepts them too).
        let rest = b.get(off..)?;
        if packets > 0 && rest.len() < 4 && rest.iter().all(|x| *x == 0) {
            break;
        }
        let v = *b.get(off)?;
        let pt = *b.get(off + 1)?;
        if v >> 6 != 2 || !(200..=207).contains(&pt) {
            return None;
        }
        let words = usize::from(be16(b, off + 2)?);
        off = off.checked_add((words + 1) * 4)?;
        packets += 1;
        if packets > MAX_PACKETS {
            return None;
        }
    }
    (off >= b.len().saturating_sub(3) && off <= b.len()).then_some(RtcpCompound {
        packets,
        ssrc,
        first_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rr_plus_sdes_compound() {
        // RR with no report blocks (length 1), SDES with one chunk (length 2).
        let b = [
            0x80, 201, 0, 1, 0, 0, 0, 7, // RR
            0x81, 202, 0, 2, 0, 0, 0, 7, 1, 1, b'x', 0, // SDES CNAME "x"
        ];
        assert_eq!(
            parse(&b),
            Some(RtcpCompound {
                packets: 2,
                ssrc: 7,
                first_type: 201
            })
        );
    }

    #[test]
    fn trailing_zero_bytes_are_tolerated() {
        let b = [0x80, 201, 0, 1, 0, 0, 0, 7, 0, 0];
        assert_eq!(parse(&b).map(|c| c.packets), Some(1));
        let b = [0x80, 201, 0, 1, 0, 0, 0, 7, 0, 1];
        assert_eq!(parse(&b), None);
    }

    #[test]
    fn wrong_length_is_not_rtcp() {
        let b = [0x80, 201, 0, 2, 0, 0, 0, 7];
        assert_eq!(parse(&b), None);
        let b = [0x80, 201, 0, 0, 0, 0, 0, 7];
        assert_eq!(parse(&b), None);
    }

    #[test]
    fn rtp_is_not_rtcp() {
        assert_eq!(parse(&[0x80, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1]), None);
        assert_eq!(parse(&[]), None);
    }
}
