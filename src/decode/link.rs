//! Link layers: from a captured frame to the network-layer packet it carries.
//!
//! Supported: Ethernet (with any stack of 802.1Q / 802.1ad / QinQ tags, MPLS label stacks
//! and PPPoE sessions), Linux cooked capture v1 and v2, raw IPv4/IPv6, and BSD loopback
//! (DLT_NULL in either byte order, DLT_LOOP).

use super::{be16, be32, DecodeError, Layer};

/// A link type from a capture file header (a pcap `LINKTYPE_`/`DLT_` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    Null,
    Ethernet,
    /// Raw IP, version from the first nibble (DLT_RAW 12/14, LINKTYPE_RAW 101).
    Raw,
    Ipv4,
    Ipv6,
    Loop,
    LinuxSll,
    LinuxSll2,
    /// Anything else: the engine cannot decode it.
    Unsupported(i32),
}

impl LinkType {
    pub fn from_dlt(dlt: i32) -> LinkType {
        match dlt {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Unsupported(other),
        }
    }

    /// The LINKTYPE_ value for a pcap file header (what `from_dlt` reads back).
    pub fn dlt(self) -> i32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll2 => 276,
            LinkType::Unsupported(d) => d,
        }
    }

    pub fn is_supported(self) -> bool {
        !matches!(self, LinkType::Unsupported(_))
    }

    /// The libpcap name of the link type, for messages.
    pub fn name(self) -> String {
        match self {
            LinkType::Null => "NULL (BSD loopback)".into(),
            LinkType::Ethernet => "EN10MB (Ethernet)".into(),
            LinkType::Raw => "RAW (raw IP)".into(),
            LinkType::Ipv4 => "IPV4".into(),
            LinkType::Ipv6 => "IPV6".into(),
            LinkType::Loop => "LOOP (OpenBSD loopback)".into(),
            LinkType::LinuxSll => "LINUX_SLL (Linux cooked v1)".into(),
            LinkType::LinuxSll2 => "LINUX_SLL2 (Linux cooked v2)".into(),
            LinkType::Unsupported(d) => format!("DLT {d}"),
        }
    }
}

/// What a frame carries once the link layer is stripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network<'a> {
    /// An IPv4 or IPv6 packet (the version is in its first nibble).
    Ip(&'a [u8]),
    /// A frame with no IP inside (ARP, LLC, LLDP, ...); the value is the EtherType or
    /// protocol seen, 0 when there is none (802.3 length frames).
    NonIp(u16),
}

/// Extra facts about the link layer, for statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkFacts {
    pub vlan_tags: u8,
    pub mpls_labels: u8,
    pub pppoe: bool,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88A8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MC: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

/// The most VLAN tags / MPLS labels walked before giving up (a bound against crafted loops).
const MAX_TAGS: u8 = 8;

/// Strips the link layer of a frame of the given type.
pub fn strip(link: LinkType, frame: &[u8]) -> Result<(Network<'_>, LinkFacts), DecodeError> {
    let mut facts = LinkFacts::default();
    let net = match link {
        LinkType::Ethernet => ethernet(frame, &mut facts)?,
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => Network::Ip(frame),
        LinkType::Null => null(frame, false)?,
        LinkType::Loop => null(frame, true)?,
        LinkType::LinuxSll => {
            // 16-byte header; protocol (EtherType) at offset 14.
            let proto = be16(frame, 14).ok_or_else(|| short(Layer::Link, 0, 16, frame.len()))?;
            ethertype_payload(proto, frame.get(16..).unwrap_or_default(), &mut facts)?
        }
        LinkType::LinuxSll2 => {
            // 20-byte header; protocol (EtherType) at offset 0.
            let proto = be16(frame, 0).ok_or_else(|| short(Layer::Link, 0, 20, frame.len()))?;
            if frame.len() < 20 {
                return Err(short(Layer::Link, 0, 20, frame.len()));
            }
            ethertype_payload(proto, frame.get(20..).unwrap_or_default(), &mut facts)?
        }
        LinkType::Unsupported(_) => {
            return Err(DecodeError::Invalid {
                layer: Layer::Link,
                offset: 0,
                reason: "unsupported link type",
            })
        }
    };
    Ok((net, facts))
}

/// Decodes an Ethernet II frame (also used for Ethernet carried in GRE, ERSPAN and VXLAN).
pub fn ethernet<'a>(frame: &'a [u8], facts: &mut LinkFacts) -> Result<Network<'a>, DecodeError> {
    let ethertype = be16(frame, 12).ok_or_else(|| short(Layer::Link, 0, 14, frame.len()))?;
    ethertype_payload(ethertype, frame.get(14..).unwrap_or_default(), facts)
}

fn ethertype_payload<'a>(
    mut ethertype: u16,
    mut rest: &'a [u8],
    facts: &mut LinkFacts,
) -> Result<Network<'a>, DecodeError> {
    loop {
        match ethertype {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => return Ok(Network::Ip(rest)),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                facts.vlan_tags = facts.vlan_tags.saturating_add(1);
                if facts.vlan_tags > MAX_TAGS {
                    return Err(invalid(Layer::Vlan, 0, "too many VLAN tags"));
                }
                ethertype = be16(rest, 2).ok_or_else(|| short(Layer::Vlan, 0, 4, rest.len()))?;
                rest = rest.get(4..).unwrap_or_default();
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC => return mpls(rest, facts),
            ETHERTYPE_PPPOE_SESSION => return pppoe(rest, facts),
            // 802.3 length field (LLC/SNAP) or any other EtherType: not IP.
            other if other < 0x0600 => return Ok(Network::NonIp(0)),
            other => return Ok(Network::NonIp(other)),
        }
    }
}

fn mpls<'a>(mut rest: &'a [u8], facts: &mut LinkFacts) -> Result<Network<'a>, DecodeError> {
    loop {
        let entry = be32(rest, 0).ok_or_else(|| short(Layer::Mpls, 0, 4, rest.len()))?;
        facts.mpls_labels = facts.mpls_labels.saturating_add(1);
        if facts.mpls_labels > MAX_TAGS {
            return Err(invalid(Layer::Mpls, 0, "too many MPLS labels"));
        }
        rest = rest.get(4..).unwrap_or_default();
        if entry & 0x100 != 0 {
            break; // bottom of stack
        }
    }
    // No protocol field after MPLS: guess from the first nibble, as Wireshark does.
    match rest.first().map(|b| b >> 4) {
        Some(4) | Some(6) => Ok(Network::Ip(rest)),
        Some(_) => Ok(Network::NonIp(ETHERTYPE_MPLS)),
        None => Err(short(Layer::Mpls, 0, 1, 0)),
    }
}

fn pppoe<'a>(rest: &'a [u8], facts: &mut LinkFacts) -> Result<Network<'a>, DecodeError> {
    facts.pppoe = true;
    // 6-byte PPPoE header, then the 2-byte PPP protocol.
    let proto = be16(rest, 6).ok_or_else(|| short(Layer::Pppoe, 0, 8, rest.len()))?;
    let payload = rest.get(8..).unwrap_or_default();
    match proto {
        0x0021 | 0x0057 => Ok(Network::Ip(payload)),
        other => Ok(Network::NonIp(other)),
    }
}

/// BSD loopback: a 4-byte address family, host byte order for DLT_NULL (so either order
/// is accepted), network byte order for DLT_LOOP.
fn null(frame: &[u8], network_order: bool) -> Result<Network<'_>, DecodeError> {
    let raw = frame
        .get(..4)
        .ok_or_else(|| short(Layer::Link, 0, 4, frame.len()))?;
    let be = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let le = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let family = if network_order || be < 256 { be } else { le };
    let payload = frame.get(4..).unwrap_or_default();
    match family {
        // AF_INET everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD),
        // 30 (macOS).
        2 | 10 | 24 | 28 | 30 => Ok(Network::Ip(payload)),
        _ => Ok(Network::NonIp(0)),
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

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn ethernet_ipv4() {
        let f = eth(0x0800, &[0x45, 1, 2]);
        let (n, facts) = strip(LinkType::Ethernet, &f).unwrap();
        assert_eq!(n, Network::Ip(&[0x45, 1, 2]));
        assert_eq!(facts.vlan_tags, 0);
    }

    #[test]
    fn qinq_two_tags() {
        let mut inner = vec![0, 10];
        inner.extend_from_slice(&0x8100u16.to_be_bytes());
        inner.extend_from_slice(&[0, 20]);
        inner.extend_from_slice(&0x86DDu16.to_be_bytes());
        inner.push(0x60);
        let f = eth(0x88A8, &inner);
        let (n, facts) = strip(LinkType::Ethernet, &f).unwrap();
        assert_eq!(n, Network::Ip(&[0x60]));
        assert_eq!(facts.vlan_tags, 2);
    }

    #[test]
    fn vlan_tag_cut_short_is_truncated() {
        let f = eth(0x8100, &[0, 10]);
        assert!(matches!(
            strip(LinkType::Ethernet, &f),
            Err(DecodeError::Truncated {
                layer: Layer::Vlan,
                ..
            })
        ));
    }

    #[test]
    fn endless_vlan_tags_are_bounded() {
        let mut payload = Vec::new();
        for _ in 0..20 {
            payload.extend_from_slice(&[0, 1, 0x81, 0x00]);
        }
        let f = eth(0x8100, &payload);
        assert!(matches!(
            strip(LinkType::Ethernet, &f),
            Err(DecodeError::Invalid {
                layer: Layer::Vlan,
                ..
            })
        ));
    }

    #[test]
    fn arp_and_llc_are_non_ip() {
        assert_eq!(
            strip(LinkType::Ethernet, &eth(0x0806, &[0; 28])).unwrap().0,
            Network::NonIp(0x0806)
        );
        assert_eq!(
            strip(LinkType::Ethernet, &eth(46, &[0; 46])).unwrap().0,
            Network::NonIp(0)
        );
    }

    #[test]
    fn mpls_two_labels_then_ipv4() {
        // label 16 (not bottom), label 17 (bottom of stack), then IPv4.
        let payload = [0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x11, 0x40, 0x45];
        let f = eth(0x8847, &payload);
        let (n, facts) = strip(LinkType::Ethernet, &f).unwrap();
        assert_eq!(n, Network::Ip(&[0x45]));
        assert_eq!(facts.mpls_labels, 2);
    }

    #[test]
    fn pppoe_session_ipv4() {
        let payload = [0x11, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x21, 0x45, 0x00];
        let f = eth(0x8864, &payload);
        let (n, facts) = strip(LinkType::Ethernet, &f).unwrap();
        assert_eq!(n, Network::Ip(&[0x45, 0x00]));
        assert!(facts.pppoe);
    }

    #[test]
    fn sll_and_sll2() {
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&0x0800u16.to_be_bytes());
        sll.push(0x45);
        assert_eq!(
            strip(LinkType::LinuxSll, &sll).unwrap().0,
            Network::Ip(&[0x45])
        );
        let mut sll2 = 0x86DDu16.to_be_bytes().to_vec();
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.push(0x60);
        assert_eq!(
            strip(LinkType::LinuxSll2, &sll2).unwrap().0,
            Network::Ip(&[0x60])
        );
        assert!(strip(LinkType::LinuxSll2, &sll2[..10]).is_err());
    }

    #[test]
    fn null_both_byte_orders_and_loop() {
        assert_eq!(
            strip(LinkType::Null, &[2, 0, 0, 0, 0x45]).unwrap().0,
            Network::Ip(&[0x45])
        );
        assert_eq!(
            strip(LinkType::Null, &[0, 0, 0, 30, 0x60]).unwrap().0,
            Network::Ip(&[0x60])
        );
        assert_eq!(
            strip(LinkType::Loop, &[0, 0, 0, 24, 0x60]).unwrap().0,
            Network::Ip(&[0x60])
        );
        assert!(strip(LinkType::Null, &[2, 0]).is_err());
    }

    #[test]
    fn unknown_dlt_is_unsupported() {
        assert_eq!(LinkType::from_dlt(147), LinkType::Unsupported(147));
        assert_eq!(LinkType::from_dlt(101), LinkType::Raw);
        assert!(strip(LinkType::Unsupported(147), &[0; 20]).is_err());
    }
}
