//! URIs (RFC 3261 section 19.1, RFC 3966 `tel:`) and name-addr values (RFC 3261
//! section 20.10: From, To, Contact, Refer-To).
//!
//! The lexical split (scheme, userinfo, host, port, parameters, `<...>`, display name) is
//! ours, because it has to survive what real devices send. The typed host/port of a plain
//! `host[:port]` is taken from rsip 0.4 (`rsip::HostWithPort`), which types IPv4 hosts and
//! ports correctly. rsip is not given what it was measured to get wrong (see the
//! `rsip_limits` tests in `parse.rs`): it reads `[2001:db8::1]:5060` as the domain
//! `"[2001:db8::1]"`, a bare `2001:db8::1` as domain `2001:db8:` port 1, and a user part
//! containing a dot (`sip:first.last@host`) as part of the host. Those shapes, and
//! anything rsip refuses, go through our own fallback.

use std::convert::TryFrom;
use std::net::{IpAddr, Ipv6Addr};

use super::message::{Host, NameAddr, Uri};
use super::text::{find_unquoted, params, read_quoted};

/// Parses a URI as written. Never fails: what cannot be split is left in `raw` (and the
/// scheme is empty when there is none).
///
/// `sip:`/`sips:` URIs are split into user (the userinfo before any `:password`, user
/// parameters such as `;phone-context=` kept), host and port; URI parameters and headers
/// are left in `raw`. Other schemes (`tel:`, `urn:` ...) keep everything after the colon in
/// `user`. The scheme is lower-cased (RFC 3986 section 3.1: schemes are case-insensitive).
pub(crate) fn parse_uri(raw: &str) -> Uri {
    let raw = raw.trim();
    let mut uri = Uri {
        scheme: String::new(),
        user: None,
        host: None,
        port: None,
        raw: raw.to_string(),
    };
    let Some((scheme, rest)) = split_scheme(raw) else {
        return uri;
    };
    uri.scheme = scheme.to_ascii_lowercase();
    if uri.scheme == "sip" || uri.scheme == "sips" {
        // RFC 3261 section 19.1.1: userinfo is terminated by the first "@"; the host part
        // ends at ";" (uri-parameters) or "?" (headers).
        let (userinfo, hostpart) = match rest.find('@') {
            Some(at) => (rest.get(..at), rest.get(at + 1..).unwrap_or("")),
            None => (None, rest),
        };
        uri.user = userinfo.map(|u| u.split(':').next().unwrap_or(u).to_string());
        let hostport_end = hostpart
            .find(|c: char| c == ';' || c == '?' || c.is_whitespace())
            .unwrap_or(hostpart.len());
        let (host, port) = parse_hostport(hostpart.get(..hostport_end).unwrap_or(""));
        uri.host = host;
        uri.port = port;
    } else {
        uri.user = Some(rest.to_string());
    }
    uri
}

/// `scheme ":" rest` where scheme is `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`
/// (RFC 3986 section 3.1).
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then_some((scheme, rest))
}

/// Splits `host[:port]` (RFC 3261 section 25.1 `hostport`): IPv4 and bracketed IPv6
/// addresses become `Host::Ip`, other hosts stay names as written. A bare IPv6 address
/// without brackets (seen from broken stacks) is recognised too. An unusable port is
/// `None`; an empty host is `None`.
pub(crate) fn parse_hostport(s: &str) -> (Option<Host>, Option<u16>) {
    let s = s.trim();
    if s.is_empty() {
        return (None, None);
    }
    if is_plain_hostport(s) {
        if let Some(typed) = rsip_hostport(s) {
            return typed;
        }
    }
    own_hostport(s)
}

/// The shapes rsip 0.4 types correctly: no brackets, at most one colon, nothing that
/// belongs to a userinfo, parameters or whitespace.
fn is_plain_hostport(s: &str) -> bool {
    s.bytes().filter(|b| *b == b':').count() <= 1
        && !s
            .bytes()
            .any(|b| matches!(b, b'[' | b']' | b'@' | b';' | b'?' | b',') || b <= b' ')
        && !s.starts_with(':')
}

/// Typed host/port through `rsip::HostWithPort`, `None` where rsip refuses the value.
fn rsip_hostport(s: &str) -> Option<(Option<Host>, Option<u16>)> {
    let hp = rsip::HostWithPort::try_from(s).ok()?;
    let host = match hp.host {
        rsip::Host::IpAddr(ip) => Host::Ip(ip),
        rsip::Host::Domain(d) => {
            let d = d.to_string();
            if d.is_empty() {
                return None;
            }
            Host::Name(d)
        }
    };
    let port = hp.port.map(|p| *p.value());
    Some((Some(host), port))
}

/// Our own `hostport` split, for everything rsip is not given or refuses.
fn own_hostport(s: &str) -> (Option<Host>, Option<u16>) {
    if let Some(inner_and_rest) = s.strip_prefix('[') {
        let (inner, rest) = match inner_and_rest.find(']') {
            Some(i) => (
                inner_and_rest.get(..i).unwrap_or(""),
                inner_and_rest.get(i + 1..).unwrap_or(""),
            ),
            None => (inner_and_rest, ""),
        };
        let host = match inner.parse::<Ipv6Addr>() {
            Ok(a) => Host::Ip(IpAddr::V6(a)),
            Err(_) => Host::Name(s.get(..s.len() - rest.len()).unwrap_or(s).to_string()),
        };
        let port = rest.strip_prefix(':').and_then(parse_port);
        return (Some(host), port);
    }
    if s.bytes().filter(|b| *b == b':').count() > 1 {
        if let Ok(a) = s.parse::<Ipv6Addr>() {
            return (Some(Host::Ip(IpAddr::V6(a))), None);
        }
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, parse_port(p)),
        None => (s, None),
    };
    if host.is_empty() {
        return (None, port);
    }
    let host = match host.parse::<IpAddr>() {
        Ok(ip) => Host::Ip(ip),
        Err(_) => Host::Name(host.to_string()),
    };
    (Some(host), port)
}

fn parse_port(p: &str) -> Option<u16> {
    let p = p.trim();
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

/// Parses a `name-addr` or `addr-spec` with its header parameters (RFC 3261 section 20.10).
///
/// Inside `<...>` everything belongs to the URI (a `;tag=` there is a URI parameter); after
/// `>`, or after an addr-spec without angle brackets, `;` starts header parameters (the RFC
/// forbids `;`, `,` and `?` in a bare addr-spec for exactly this reason). The display name
/// may be a quoted string (quotes removed, escapes resolved) or tokens. `*` (Contact,
/// RFC 3261 section 20.10) becomes a URI with an empty scheme and raw `*`.
pub(crate) fn parse_name_addr(value: &str) -> NameAddr {
    let value = value.trim();
    let mut display = None;
    let mut rest = value;
    if rest.starts_with('"') {
        let (d, after) = read_quoted(rest);
        display = Some(d);
        rest = after.trim_start();
    }
    let (uri_str, header_params) = if let Some(lt) = find_unquoted(rest, b'<') {
        if display.is_none() {
            let d = rest.get(..lt).unwrap_or("").trim();
            if !d.is_empty() {
                display = Some(d.to_string());
            }
        }
        let inner = rest.get(lt + 1..).unwrap_or("");
        match inner.find('>') {
            Some(gt) => (
                inner.get(..gt).unwrap_or(""),
                inner.get(gt + 1..).unwrap_or(""),
            ),
            None => (inner, ""),
        }
    } else {
        match rest.find(';') {
            Some(semi) => (
                rest.get(..semi).unwrap_or(""),
                rest.get(semi + 1..).unwrap_or(""),
            ),
            None => (rest, ""),
        }
    };
    let mut tag = None;
    let mut expires = None;
    for (name, val) in params(header_params) {
        if name.eq_ignore_ascii_case("tag") && tag.is_none() {
            tag = val.map(str::to_string);
        } else if name.eq_ignore_ascii_case("expires") && expires.is_none() {
            expires = val.and_then(|v| v.parse::<u32>().ok());
        }
    }
    NameAddr {
        display,
        uri: parse_uri(uri_str),
        tag,
        expires,
        raw: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn name(s: &str) -> Option<Host> {
        Some(Host::Name(s.to_string()))
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> Option<Host> {
        Some(Host::Ip(IpAddr::V4(Ipv4Addr::new(a, b, c, d))))
    }

    fn v6(s: &str) -> Option<Host> {
        s.parse::<Ipv6Addr>().ok().map(|a| Host::Ip(IpAddr::V6(a)))
    }

    #[test]
    fn hostports() {
        assert_eq!(
            parse_hostport("10.0.0.1:5060"),
            (v4(10, 0, 0, 1), Some(5060))
        );
        assert_eq!(parse_hostport("Atlanta.COM"), (name("Atlanta.COM"), None));
        assert_eq!(
            parse_hostport("[2001:db8::1]:5060"),
            (v6("2001:db8::1"), Some(5060))
        );
        assert_eq!(parse_hostport("[2001:db8::1]"), (v6("2001:db8::1"), None));
        assert_eq!(parse_hostport("2001:db8::1"), (v6("2001:db8::1"), None));
        assert_eq!(
            parse_hostport("[nonsense]:7"),
            (name("[nonsense]"), Some(7))
        );
        assert_eq!(parse_hostport("h:99999"), (name("h"), None));
        assert_eq!(parse_hostport("h:"), (name("h"), None));
        assert_eq!(parse_hostport(""), (None, None));
        assert_eq!(parse_hostport(":5060"), (None, Some(5060)));
    }

    /// Where rsip is asked, its answer must equal our own split.
    #[test]
    fn rsip_and_own_hostport_agree() {
        for s in [
            "10.0.0.1",
            "10.0.0.1:5060",
            "pc33.atlanta.com",
            "Example.COM:5070",
            "h:0",
            "h:65535",
            "1.2.3",
        ] {
            assert!(is_plain_hostport(s), "{s}");
            assert_eq!(rsip_hostport(s), Some(own_hostport(s)), "{s}");
        }
        for s in ["[2001:db8::1]:5060", "2001:db8::1", "a@b", "h name", "h;x"] {
            assert!(!is_plain_hostport(s), "{s}");
        }
    }

    #[test]
    fn sip_uris() {
        let u = parse_uri("sip:alice:pw@Atlanta.com:5070;transport=tcp?subject=x");
        assert_eq!(u.scheme, "sip");
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.host, name("Atlanta.com"));
        assert_eq!(u.port, Some(5070));
        assert_eq!(
            u.raw,
            "sip:alice:pw@Atlanta.com:5070;transport=tcp?subject=x"
        );

        let u = parse_uri("SIPS:first.last@[2001:db8::3]:5071");
        assert_eq!(u.scheme, "sips");
        assert_eq!(u.user.as_deref(), Some("first.last"));
        assert_eq!(u.host, v6("2001:db8::3"));
        assert_eq!(u.port, Some(5071));

        let u = parse_uri("sip:+1234;phone-context=x@gw.example;user=phone");
        assert_eq!(u.user.as_deref(), Some("+1234;phone-context=x"));
        assert_eq!(u.host, name("gw.example"));

        let u = parse_uri("sip:192.0.2.4");
        assert_eq!((u.user, u.host, u.port), (None, v4(192, 0, 2, 4), None));
    }

    #[test]
    fn other_uris() {
        let u = parse_uri("tel:+4917612345678901234");
        assert_eq!(u.scheme, "tel");
        assert_eq!(u.user.as_deref(), Some("+4917612345678901234"));
        assert_eq!((u.host, u.port), (None, None));
        let u = parse_uri("urn:service:sos");
        assert_eq!(
            (u.scheme.as_str(), u.user.as_deref()),
            ("urn", Some("service:sos"))
        );
        let u = parse_uri("*");
        assert_eq!((u.scheme.as_str(), u.user, u.raw.as_str()), ("", None, "*"));
        let u = parse_uri("no scheme here");
        assert_eq!(u.scheme, "");
    }

    #[test]
    fn name_addrs() {
        let n = parse_name_addr(r#" "Doe, \"J\"" <sip:j@x.org;tag=inuri>;tag=hdr;expires=60 "#);
        assert_eq!(n.display.as_deref(), Some("Doe, \"J\""));
        assert_eq!(n.uri.raw, "sip:j@x.org;tag=inuri");
        assert_eq!(n.tag.as_deref(), Some("hdr"));
        assert_eq!(n.expires, Some(60));
        assert_eq!(
            n.raw,
            r#""Doe, \"J\"" <sip:j@x.org;tag=inuri>;tag=hdr;expires=60"#
        );

        let n = parse_name_addr("<sip:a@b;tag=x>");
        assert_eq!((n.display, n.tag), (None, None));
        assert_eq!(n.uri.raw, "sip:a@b;tag=x");

        let n = parse_name_addr("sip:a@b;tag=x;Expires=7");
        assert_eq!(n.uri.raw, "sip:a@b");
        assert_eq!((n.tag.as_deref(), n.expires), (Some("x"), Some(7)));

        let n = parse_name_addr("Bob Smith <tel:+49>");
        assert_eq!(n.display.as_deref(), Some("Bob Smith"));
        assert_eq!(n.uri.user.as_deref(), Some("+49"));

        let n = parse_name_addr("<sip:u@open");
        assert_eq!(n.uri.user.as_deref(), Some("u"));
        assert_eq!(n.uri.host, name("open"));
        assert_eq!(n.uri.raw, "sip:u@open");

        let n = parse_name_addr("<sip:a@b>;expires=soon");
        assert_eq!(n.expires, None);
    }
}
