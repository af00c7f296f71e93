//! RTP (RFC 3550 section 5.1): a view over the fixed header, checked before use.

use crate::decode::{be16, be32};

/// The fixed RTP header fields, read from a checked view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrc_count: u8,
    pub extension: bool,
    pub padding: bool,
    /// Bytes of payload after the header, extension and CSRCs, less padding.
    pub payload_len: usize,
}

/// Why bytes are not a plausible RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRtp {
    TooShort,
    Version,
    /// Payload type 72-76 (with marker: 200-204) is RTCP's range (RFC 5761 section 4).
    RtcpRange,
    /// Unassigned payload types 35-71 and 77-95 (RFC 3551 table 4/5): never seen in
    /// real RTP, common in random data.
    UnassignedPayloadType,
    HeaderOverrun,
    BadPadding,
}

/// Reads and checks the RTP header of a datagram. Allocation-free.
pub fn parse(b: &[u8]) -> Result<RtpHeader, NotRtp> {
    let first = *b.first().ok_or(NotRtp::TooShort)?;
    if b.len() < 12 {
        return Err(NotRtp::TooShort);
    }
    if first >> 6 != 2 {
        return Err(NotRtp::Version);
    }
    let second = *b.get(1).ok_or(NotRtp::TooShort)?;
    let pt = second & 0x7f;
    if (72..=76).contains(&pt) {
        return Err(NotRtp::RtcpRange);
    }
    if (35..=71).contains(&pt) || (77..=95).contains(&pt) {
        return Err(NotRtp::UnassignedPayloadType);
    }
    let padding = first & 0x20 != 0;
    let extension = first & 0x10 != 0;
    let cc = first & 0x0f;
    let mut header_len = 12 + 4 * usize::from(cc);
    if extension {
        let words = be16(b, header_len + 2).ok_or(NotRtp::HeaderOverrun)?;
        header_len += 4 + 4 * usize::from(words);
    }
    if header_len > b.len() {
        return Err(NotRtp::HeaderOverrun);
    }
    let mut payload_len = b.len() - header_len;
    if padding {
        let pad = usize::from(*b.last().ok_or(NotRtp::TooShort)?);
        if pad == 0 || pad > payload_len {
            return Err(NotRtp::BadPadding);
        }
        payload_len -= pad;
    }
    Ok(RtpHeader {
        marker: second & 0x80 != 0,
        payload_type: pt,
        seq: be16(b, 2).ok_or(NotRtp::TooShort)?,
        timestamp: be32(b, 4).ok_or(NotRtp::TooShort)?,
        ssrc: be32(b, 8).ok_or(NotRtp::TooShort)?,
        csrc_count: cc,
        extension,
        padding,
        payload_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(first: u8, pt: u8, extra: &[u8]) -> Vec<u8> {
        let mut v = vec![first, pt, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef];
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn pcmu_packet() {
        let h = parse(&pkt(0x80, 0x80, &[0xff; 160])).unwrap();
        assert_eq!(h.payload_type, 0);
        assert!(h.marker);
        assert_eq!(h.seq, 0x1234);
        assert_eq!(h.timestamp, 160);
        assert_eq!(h.ssrc, 0xdeadbeef);
        assert_eq!(h.payload_len, 160);
    }

    #[test]
    fn csrc_and_extension_are_skipped() {
        // CC=1, X=1: one CSRC, then a 1-word extension, then 4 bytes payload.
        let extra = [1, 2, 3, 4, 0xbe, 0xde, 0, 1, 9, 9, 9, 9, 7, 7, 7, 7];
        let h = parse(&pkt(0x91, 8, &extra)).unwrap();
        assert_eq!(h.csrc_count, 1);
        assert!(h.extension);
        assert_eq!(h.payload_len, 4);
    }

    #[test]
    fn padding_is_removed_and_checked() {
        let h = parse(&pkt(0xa0, 0, &[1, 2, 0, 2])).unwrap();
        assert_eq!(h.payload_len, 2);
        assert_eq!(parse(&pkt(0xa0, 0, &[1, 2, 0, 9])), Err(NotRtp::BadPadding));
        assert_eq!(parse(&pkt(0xa0, 0, &[1, 2, 0, 0])), Err(NotRtp::BadPadding));
    }

    #[test]
    fn rejects_non_rtp() {
        assert_eq!(parse(&[0x80; 11]), Err(NotRtp::TooShort));
        assert_eq!(parse(&pkt(0x40, 0, &[])), Err(NotRtp::Version));
        assert_eq!(parse(&pkt(0x80, 200, &[])), Err(NotRtp::RtcpRange));
        assert_eq!(
            parse(&pkt(0x80, 50, &[])),
            Err(NotRtp::UnassignedPayloadType)
        );
        assert_eq!(parse(&pkt(0x8f, 0, &[])), Err(NotRtp::HeaderOverrun));
        assert_eq!(parse(&pkt(0x90, 0, &[0, 0])), Err(NotRtp::HeaderOverrun));
    }
}
