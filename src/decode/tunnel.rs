//! Tunnels that mirrored and cloud traffic arrives in: GRE (and ERSPAN types I, II, III
//! inside it), VXLAN and GTP-U. IP-in-IP needs no header of its own (the IP protocol number
//! says 4 or 41) and is handled by the engine.

use super::{be16, DecodeError, Layer};

/// What a tunnel header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner<'a> {
    /// An IP packet (version in its first nibble).
    Ip(&'a [u8]),
    /// An Ethernet frame (GRE transparent bridging, ERSPAN, VXLAN).
    Ethernet(&'a [u8]),
    /// Something else (e.g. a GTP-U signalling message, or GRE carrying PPP).
    Other,
}

/// The kind of tunnel, for statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TunnelKind {
    IpInIp,
    Gre,
    Erspan,
    Vxlan,
    GtpU,
}

impl TunnelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TunnelKind::IpInIp => "ip-in-ip",
            TunnelKind::Gre => "gre",
            TunnelKind::Erspan => "erspan",
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::GtpU => "gtp-u",
        }
    }
}

/// IANA UDP ports: VXLAN (RFC 7348) and the Linux kernel's historical default.
pub const VXLAN_PORTS: [u16; 2] = [4789, 8472];
/// GTP-U (3GPP TS 29.281).
pub const GTPU_PORT: u16 = 2152;

/// GRE (RFC 2784/2890), with ERSPAN type I/II (EtherType 0x88BE) and type III (0x22EB).
pub fn gre(b: &[u8]) -> Result<(Inner<'_>, TunnelKind), DecodeError> {
    let flags = be16(b, 0).ok_or_else(|| short(Layer::Gre, 0, 4, b.len()))?;
    let proto = be16(b, 2).ok_or_else(|| short(Layer::Gre, 0, 4, b.len()))?;
    let version = flags & 0x7;
    if version == 1 {
        return enhanced_gre(b, flags, proto);
    }
    if version != 0 {
        return Err(invalid(Layer::Gre, 0, "unknown GRE version"));
    }
    let checksum = flags & 0x8000 != 0;
    let routing = flags & 0x4000 != 0;
    let key = flags & 0x2000 != 0;
    let seq = flags & 0x1000 != 0;
    if routing {
        return Err(invalid(
            Layer::Gre,
            0,
            "GRE source routing is not supported",
        ));
    }
    let mut off = 4;
    if checksum {
        off += 4;
    }
    if key {
        off += 4;
    }
    if seq {
        off += 4;
    }
    let payload = b
        .get(off..)
        .ok_or_else(|| short(Layer::Gre, 0, off, b.len()))?;
    Ok(match proto {
        0x0800 | 0x86DD => (Inner::Ip(payload), TunnelKind::Gre),
        0x6558 => (Inner::Ethernet(payload), TunnelKind::Gre),
        // ERSPAN type I has no header of its own (no sequence bit); type II has 8 bytes.
        0x88BE if !seq => (Inner::Ethernet(payload), TunnelKind::Erspan),
        0x88BE => {
            let inner = payload
                .get(8..)
                .ok_or_else(|| short(Layer::Erspan, off, 8, payload.len()))?;
            (Inner::Ethernet(inner), TunnelKind::Erspan)
        }
        0x22EB => {
            // ERSPAN type III: 12 bytes, plus 8 when the O (optional sub-header) bit is set
            // (last bit of the 12-byte header).
            let o_flag = payload
                .get(11)
                .ok_or_else(|| short(Layer::Erspan, off, 12, payload.len()))?
                & 0x01
                != 0;
            let hdr = if o_flag { 20 } else { 12 };
            let inner = payload
                .get(hdr..)
                .ok_or_else(|| short(Layer::Erspan, off, hdr, payload.len()))?;
            (Inner::Ethernet(inner), TunnelKind::Erspan)
        }
        _ => (Inner::Other, TunnelKind::Gre),
    })
}

/// Enhanced GRE (RFC 2637, PPTP): key always present (payload length and call ID), then
/// optional sequence and acknowledgment numbers, then a PPP frame.
fn enhanced_gre(b: &[u8], flags: u16, proto: u16) -> Result<(Inner<'_>, TunnelKind), DecodeError> {
    if proto != 0x880B {
        return Ok((Inner::Other, TunnelKind::Gre));
    }
    let mut off = 8;
    if flags & 0x1000 != 0 {
        off += 4;
    }
    if flags & 0x0080 != 0 {
        off += 4;
    }
    let ppp = b
        .get(off..)
        .ok_or_else(|| short(Layer::Gre, 0, off, b.len()))?;
    // PPP: optional address/control (0xFF 0x03), then a 1- or 2-byte protocol field
    // (RFC 1661 protocol-field compression: an odd first byte is a 1-byte protocol).
    let ppp = match ppp {
        [0xFF, 0x03, rest @ ..] => rest,
        other => other,
    };
    let (protocol, rest) = match ppp {
        [p, rest @ ..] if p & 1 == 1 => (u16::from(*p), rest),
        [hi, lo, rest @ ..] => (u16::from_be_bytes([*hi, *lo]), rest),
        _ => return Err(short(Layer::Gre, off, 2, ppp.len())),
    };
    Ok(match protocol {
        0x0021 | 0x0057 => (Inner::Ip(rest), TunnelKind::Gre),
        _ => (Inner::Other, TunnelKind::Gre),
    })
}

/// VXLAN (RFC 7348): 8 bytes with the I flag set, then an Ethernet frame. Returns `None`
/// when the bytes do not look like VXLAN (so the datagram is treated as plain UDP).
pub fn vxlan(b: &[u8]) -> Option<Inner<'_>> {
    let flags = *b.first()?;
    if flags & 0x08 == 0 || b.len() < 8 + 14 {
        return None;
    }
    Some(Inner::Ethernet(b.get(8..)?))
}

/// GTP-U version 1 (3GPP TS 29.281): a T-PDU (type 255) carries an IP packet. Returns
/// `None` when the bytes are not GTPv1-U.
pub fn gtpu(b: &[u8]) -> Option<Inner<'_>> {
    let flags = *b.first()?;
    let version = flags >> 5;
    let pt = flags & 0x10 != 0;
    if version != 1 || !pt {
        return None;
    }
    let msg_type = *b.get(1)?;
    let length = usize::from(be16(b, 2)?);
    let end = 8usize.checked_add(length)?;
    let body_end = end.min(b.len());
    if msg_type != 255 {
        return Some(Inner::Other);
    }
    let mut off = 8;
    if flags & 0x07 != 0 {
        // Sequence number (2), N-PDU number (1), next extension header type (1).
        let mut next_ext = *b.get(11)?;
        off = 12;
        // Extension headers: length in 4-byte units, last byte is the next type.
        let mut guard = 0;
        while next_ext != 0 {
            guard += 1;
            if guard > 16 {
                return None;
            }
            let units = usize::from(*b.get(off)?);
            if units == 0 {
                return None;
            }
            let len = units * 4;
            next_ext = *b.get(off + len - 1)?;
            off += len;
        }
    }
    let inner = b.get(off..body_end)?;
    match inner.first().map(|v| v >> 4) {
        Some(4) | Some(6) => Some(Inner::Ip(inner)),
        _ => Some(Inner::Other),
    }
}

fn short(layer: Layer, offset: usize, need: usize, have: usize) -> DecodeError {
    DecodeError::truncated(layer, offset, need, have)
}

fn invalid(layer: Layer, offset: usize, reason: &'static str) -> DecodeError {
    DecodeError::invalid(layer, offset, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_plain_ipv4() {
        let b = [0x00, 0x00, 0x08, 0x00, 0x45, 0x00];
        assert_eq!(
            gre(&b).unwrap(),
            (Inner::Ip(&[0x45, 0x00]), TunnelKind::Gre)
        );
    }

    #[test]
    fn gre_with_key_and_seq_skips_both() {
        let b = [0x30, 0x00, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0x45];
        assert_eq!(gre(&b).unwrap(), (Inner::Ip(&[0x45]), TunnelKind::Gre));
    }

    #[test]
    fn erspan_type2_skips_8_bytes() {
        let mut b = vec![0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 1];
        b.extend_from_slice(&[0x10, 0x01, 0x00, 0x01, 0, 0, 0, 0]);
        b.extend_from_slice(&[0xAA; 14]);
        assert_eq!(
            gre(&b).unwrap(),
            (Inner::Ethernet(&[0xAA; 14]), TunnelKind::Erspan)
        );
    }

    #[test]
    fn erspan_type3_with_optional_subheader() {
        let mut b = vec![0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 1];
        let mut hdr = [0u8; 12];
        hdr[11] = 0x01; // O flag
        b.extend_from_slice(&hdr);
        b.extend_from_slice(&[0u8; 8]);
        b.extend_from_slice(&[0xBB; 14]);
        assert_eq!(
            gre(&b).unwrap(),
            (Inner::Ethernet(&[0xBB; 14]), TunnelKind::Erspan)
        );
    }

    #[test]
    fn enhanced_gre_ppp_ipv4() {
        // Flags 0x3081: key, sequence, acknowledgment, version 1; PPP with address/control.
        let mut b = vec![
            0x30, 0x81, 0x88, 0x0B, 0, 4, 0, 0x8c, 0, 0, 0, 1, 0, 0, 0, 2,
        ];
        b.extend_from_slice(&[0xFF, 0x03, 0x00, 0x21, 0x45, 0x00]);
        assert_eq!(
            gre(&b).unwrap(),
            (Inner::Ip(&[0x45, 0x00]), TunnelKind::Gre)
        );
        // Compressed: no address/control, 1-byte protocol.
        let mut c = vec![0x20, 0x01, 0x88, 0x0B, 0, 2, 0, 1];
        c.extend_from_slice(&[0x21, 0x45]);
        assert_eq!(gre(&c).unwrap(), (Inner::Ip(&[0x45]), TunnelKind::Gre));
    }

    #[test]
    fn gre_cut_short() {
        assert!(gre(&[0x00, 0x00]).is_err());
        assert!(gre(&[0x10, 0x00, 0x88, 0xBE, 0, 0]).is_err());
    }

    #[test]
    fn vxlan_needs_i_flag() {
        let mut b = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
        b.extend_from_slice(&[0xCC; 14]);
        assert_eq!(vxlan(&b), Some(Inner::Ethernet(&[0xCC; 14])));
        b[0] = 0;
        assert_eq!(vxlan(&b), None);
    }

    #[test]
    fn gtpu_tpdu_with_sequence_and_extension() {
        // flags: version 1, PT, E and S set; type 255; length; TEID.
        let inner = [0x45u8, 0, 0, 20];
        let mut b = vec![0x36, 0xFF];
        let body_len = 4 + 4 + inner.len(); // seq/npdu/next + one 4-byte extension + inner
        b.extend_from_slice(&(body_len as u16).to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 1]); // TEID
        b.extend_from_slice(&[0, 1, 0, 0x85]); // seq, N-PDU, next ext = PDU session container
        b.extend_from_slice(&[1, 0x10, 0x01, 0x00]); // ext: 1 unit, content, next = 0
        b.extend_from_slice(&inner);
        assert_eq!(gtpu(&b), Some(Inner::Ip(&inner)));
    }

    #[test]
    fn gtpu_rejects_other_versions() {
        assert_eq!(gtpu(&[0x50, 0xFF, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(gtpu(&[]), None);
    }
}
