//! Decoding: link layer, tunnels, IPv4/IPv6, fragments, UDP and TCP streams.
//!
//! # The contract
//! Decoding is total: every function here takes untrusted bytes and returns what it could
//! read, or a [`DecodeError`] that says which layer failed, why, and where. Nothing here
//! panics on any input: lengths are checked before every access (slices are taken with
//! `get`, never indexed past a checked bound), and every table (fragments, TCP streams) has
//! a configured bound. Views borrow the packet bytes; nothing on the RTP path allocates.

pub mod fragment;
pub mod link;
pub mod tcp;
pub mod tunnel;

use std::net::IpAddr;

/// The protocol layer a decode error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Link,
    Vlan,
    Mpls,
    Pppoe,
    Ip,
    Fragment,
    Gre,
    Erspan,
    Vxlan,
    GtpU,
    Tunnel,
    Udp,
    Tcp,
    Icmp,
    Sip,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Link => "link",
            Layer::Vlan => "vlan",
            Layer::Mpls => "mpls",
            Layer::Pppoe => "pppoe",
            Layer::Ip => "ip",
            Layer::Fragment => "fragment",
            Layer::Gre => "gre",
            Layer::Erspan => "erspan",
            Layer::Vxlan => "vxlan",
            Layer::GtpU => "gtp-u",
            Layer::Tunnel => "tunnel",
            Layer::Udp => "udp",
            Layer::Tcp => "tcp",
            Layer::Icmp => "icmp",
            Layer::Sip => "sip",
        }
    }
}

/// Why a packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes end before the layer's header or declared length does.
    #[error("{}: need {need} bytes at offset {offset}, have {have}", layer.as_str())]
    Truncated {
        layer: Layer,
        offset: usize,
        need: usize,
        have: usize,
    },
    /// A field holds a value the protocol does not allow.
    #[error("{}: {reason} at offset {offset}", layer.as_str())]
    Invalid {
        layer: Layer,
        offset: usize,
        reason: &'static str,
    },
}

impl DecodeError {
    /// The bytes end before `need` bytes at `offset` (only `have` are there).
    pub fn truncated(layer: Layer, offset: usize, need: usize, have: usize) -> DecodeError {
        DecodeError::Truncated {
            layer,
            offset,
            need,
            have,
        }
    }

    /// A field at `offset` holds a value the protocol does not allow.
    pub fn invalid(layer: Layer, offset: usize, reason: &'static str) -> DecodeError {
        DecodeError::Invalid {
            layer,
            offset,
            reason,
        }
    }

    pub fn layer(&self) -> Layer {
        match self {
            DecodeError::Truncated { layer, .. } | DecodeError::Invalid { layer, .. } => *layer,
        }
    }
}

/// Reads a big-endian u16 at `at`, if the bytes are there.
#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Reads a big-endian u32 at `at`, if the bytes are there.
#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// What the IP layer says about a packet, kept with the transport payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpInfo {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// DSCP (upper six bits of the IPv4 TOS / IPv6 traffic class).
    pub dscp: u8,
    pub ttl: u8,
    /// The transport protocol number (after IPv6 extension headers).
    pub proto: u8,
}

/// An IPv4 or IPv6 fragment, as found in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentInfo {
    /// Datagram identification (IPv4: 16 bits; IPv6: 32 bits).
    pub id: u32,
    /// Offset of this fragment's payload in bytes.
    pub offset: usize,
    pub more: bool,
}
