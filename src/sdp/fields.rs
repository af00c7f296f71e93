//! Reading the values of the lines algscope relies on. Both parsers go through here for
//! the rules that must not differ between them (address families, attribute meanings, which
//! of several lines counts), so the sdp-rs path and the fallback agree by construction.
//!
//! Rules (each a tolerant reading of the cited grammar):
//! - addresses (`c=`, `o=`, `a=rtcp`): an `IpAddr` only for nettype `IN` with addrtype `IP4`
//!   and an IPv4 literal or `IP6` and an IPv6 literal (case-insensitive); a multicast
//!   `/ttl[/count]` suffix is ignored (RFC 8866 section 5.7), brackets around an IPv6 literal
//!   are tolerated; names and junk give `None`.
//! - attributes (RFC 8866 section 5.13, `a=<name>[:<value>]`): name and value are split at the
//!   first `:` and trimmed; the direction attributes take no value (RFC 3264 section 5.1,
//!   RFC 8866 section 6.7); `rtpmap` (RFC 8866 section 6.6), `rtcp` (RFC 3605 section 2.1),
//!   and every name starting with `T38` (ITU-T T.38 Annex D, for `m=image ... udptl t38`,
//!   RFC 6466) are read, the rest ignored.
//! - the first occurrence wins: first `o=`, first `c=` per level, first direction, first
//!   valid `a=rtcp` per m= section.

use std::net::IpAddr;

use super::model::{Connection, Direction, MediaDescription, MediaKind, Origin, RtcpAttr, RtpMap};

/// The address `ip` as typed by `<nettype> <addrtype>`, or `None` when they do not match.
pub(super) fn typed_addr(nettype: &str, addrtype: &str, ip: IpAddr) -> Option<IpAddr> {
    if !nettype.eq_ignore_ascii_case("IN") {
        return None;
    }
    match ip {
        IpAddr::V4(_) if addrtype.eq_ignore_ascii_case("IP4") => Some(ip),
        IpAddr::V6(_) if addrtype.eq_ignore_ascii_case("IP6") => Some(ip),
        _ => None,
    }
}

/// An address token: `192.0.2.1`, `233.252.0.1/127`, `ff15::1/3`, `[2001:db8::1]`.
fn ip_token(token: &str) -> Option<IpAddr> {
    let base = token.split('/').next().unwrap_or(token);
    let base = base
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or(base);
    base.parse().ok()
}

/// `<nettype> <addrtype> <address>` with nothing after it.
fn addr_of_triple<'a>(mut tokens: impl Iterator<Item = &'a str>) -> Option<IpAddr> {
    match (tokens.next(), tokens.next(), tokens.next(), tokens.next()) {
        (Some(net), Some(typ), Some(addr), None) => {
            ip_token(addr).and_then(|ip| typed_addr(net, typ, ip))
        }
        _ => None,
    }
}

/// A `c=` value (RFC 8866 section 5.7).
pub(super) fn connection(raw: &str) -> Connection {
    Connection {
        addr: addr_of_triple(raw.split_whitespace()),
        raw: raw.to_string(),
    }
}

/// An `o=` value (RFC 8866 section 5.2): `<username> <sess-id> <sess-version> <nettype>
/// <addrtype> <unicast-address>`. With six or more tokens the last five are the fixed fields
/// and the username is the rest (some devices put spaces in it); with fewer, the tokens
/// present fill the fields from the left and the address is `None`.
pub(super) fn origin(raw: &str) -> Origin {
    let t: Vec<&str> = raw.split_whitespace().collect();
    let (username, id, version, addr) = match t.as_slice() {
        [user @ .., id, version, net, typ, addr] if !user.is_empty() => (
            user.join(" "),
            *id,
            *version,
            ip_token(addr).and_then(|ip| typed_addr(net, typ, ip)),
        ),
        short => {
            let at = |i: usize| short.get(i).copied().unwrap_or("");
            (at(0).to_string(), at(1), at(2), None)
        }
    };
    Origin {
        username,
        session_id: id.to_string(),
        session_version: version.to_string(),
        addr,
        raw: raw.to_string(),
    }
}

/// An `m=` value (RFC 8866 section 5.14): `<media> <port>[/<count>] <proto> <fmt> ...`.
/// A port that is not a number reads as 0; a missing or unreadable count as 1.
pub(super) fn media_line(raw: &str) -> MediaDescription {
    let mut t = raw.split_whitespace();
    let kind = MediaKind::from_token(t.next().unwrap_or(""));
    let port_field = t.next().unwrap_or("");
    let (port, count) = match port_field.split_once('/') {
        Some((port, count)) => (port, Some(count)),
        None => (port_field, None),
    };
    let port = port.parse().unwrap_or(0);
    let port_count = count.and_then(|n| n.parse().ok()).unwrap_or(1);
    let proto = t.next().unwrap_or("").to_string();
    let formats = t.map(str::to_string).collect();
    MediaDescription {
        kind,
        port,
        port_count,
        proto,
        formats,
        connection: None,
        rtcp: None,
        direction: None,
        rtpmaps: Vec::new(),
        t38: Vec::new(),
        raw: raw.to_string(),
    }
}

/// What an attribute means to algscope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Attr {
    Direction(Direction),
    RtpMap(RtpMap),
    Rtcp(RtcpAttr),
    /// A `T38...` attribute: name and value (empty for a flag), trimmed.
    T38(String, String),
    Ignored,
}

/// Splits an `a=` value into name and value at the first `:`.
pub(super) fn split_attr(raw: &str) -> (&str, Option<&str>) {
    match raw.split_once(':') {
        Some((name, value)) => (name, Some(value)),
        None => (raw, None),
    }
}

/// The meaning of attribute `name` with `value`.
pub(super) fn classify(name: &str, value: Option<&str>) -> Attr {
    let name = name.trim();
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() {
        if let Some(d) = direction(name) {
            return Attr::Direction(d);
        }
    }
    if name.eq_ignore_ascii_case("rtpmap") {
        return rtpmap(value).map_or(Attr::Ignored, Attr::RtpMap);
    }
    if name.eq_ignore_ascii_case("rtcp") {
        return rtcp(value).map_or(Attr::Ignored, Attr::Rtcp);
    }
    if name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("T38")) {
        return Attr::T38(name.to_string(), value.to_string());
    }
    Attr::Ignored
}

/// `sendrecv`, `sendonly`, `recvonly`, `inactive` (case-insensitive).
fn direction(name: &str) -> Option<Direction> {
    [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ]
    .into_iter()
    .find(|d| name.eq_ignore_ascii_case(d.as_str()))
}

/// `<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` (RFC 8866 section
/// 6.6). `None` when the payload type or the clock rate is unreadable; unreadable channels
/// read as `None`.
pub(super) fn rtpmap(value: &str) -> Option<RtpMap> {
    let (pt, rest) = value.trim().split_once(char::is_whitespace)?;
    let mut parts = rest.trim_start().splitn(3, '/');
    let encoding = parts.next()?.trim().to_string();
    let clock_rate = int(parts.next()?)?;
    let channels = parts.next().and_then(int);
    Some(RtpMap {
        payload_type: pt.parse().ok()?,
        encoding,
        clock_rate,
        channels,
    })
}

/// A decimal integer as sdp-rs reads the rtpmap numbers (signed, so `-0` is 0), if it fits
/// `T`.
fn int<T: TryFrom<i64>>(s: &str) -> Option<T> {
    s.trim()
        .parse::<i64>()
        .ok()
        .and_then(|n| T::try_from(n).ok())
}

/// `<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605 section 2.1). `None` when
/// the port is unreadable; an unreadable address part reads as `addr: None`.
fn rtcp(value: &str) -> Option<RtcpAttr> {
    let mut t = value.split_whitespace();
    let port = t.next()?.parse().ok()?;
    Some(RtcpAttr {
        port,
        addr: addr_of_triple(t),
    })
}

/// Records a media-level attribute on `m`.
pub(super) fn apply_media(m: &mut MediaDescription, attr: Attr) {
    match attr {
        Attr::Direction(d) => {
            m.direction.get_or_insert(d);
        }
        Attr::RtpMap(r) => m.rtpmaps.push(r),
        Attr::Rtcp(r) => {
            m.rtcp.get_or_insert(r);
        }
        Attr::T38(name, value) => m.t38.push((name, value)),
        Attr::Ignored => {}
    }
}
