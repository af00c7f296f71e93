//! Via entries (RFC 3261 section 20.42 and the `via-parm` grammar in section 25.1, with
//! `received` from section 18.2.1 and `rport` from RFC 3581).
//!
//! A Via header may carry several entries separated by commas; `parse_via_header` splits
//! them (commas inside quoted strings and `[...]` do not split) and types each one.
//!
//! Each entry is first given to rsip 0.4's typed Via. Its answer is used only when it
//! round-trips (rsip's rendering equals the entry, ignoring ASCII case) and its sent-by is
//! a plain host: rsip was measured to misread IPv6 sent-by values and to refuse LWS
//! around `/`, unknown transports and large ports. Everything else goes through our own
//! parser, which accepts LWS where the RFC allows it, any transport token, bare and
//! bracketed IPv6 sent-by values, and `rport` with and without a value.

use super::message::{Host, RPort, Via};
use super::text::{params, split_list};
use super::uri::parse_hostport;

/// Every Via entry of one header value, in order.
pub(crate) fn parse_via_header(value: &str) -> Vec<Via> {
    split_list(value).into_iter().map(parse_via_entry).collect()
}

/// One `via-parm`. Never fails: a missing sent-by gives an empty host name.
pub(crate) fn parse_via_entry(entry: &str) -> Via {
    let entry = entry.trim();
    rsip_via(entry).unwrap_or_else(|| own_via(entry))
}

/// rsip's typed Via, when it can be trusted for this entry.
fn rsip_via(entry: &str) -> Option<Via> {
    use rsip::headers::{ToTypedHeader, UntypedHeader};
    let typed = rsip::headers::Via::new(entry).typed().ok()?;
    if !typed.to_string().eq_ignore_ascii_case(entry)
        || typed.uri.scheme.is_some()
        || typed.uri.auth.is_some()
    {
        return None;
    }
    let host = match &typed.uri.host_with_port.host {
        rsip::Host::IpAddr(ip) => Host::Ip(*ip),
        rsip::Host::Domain(d) => {
            let d = d.to_string();
            if d.is_empty() || d.contains(['[', ']', ':', '@']) {
                return None;
            }
            Host::Name(d)
        }
    };
    let mut via = Via {
        transport: typed.transport.to_string().to_ascii_uppercase(),
        host,
        port: typed.uri.host_with_port.port.map(|p| *p.value()),
        branch: None,
        received: None,
        rport: RPort::Absent,
        raw: entry.to_string(),
    };
    for p in &typed.params {
        match p {
            rsip::Param::Branch(b) if via.branch.is_none() => via.branch = Some(b.to_string()),
            rsip::Param::Received(r) if via.received.is_none() => {
                via.received = Some(r.to_string())
            }
            rsip::Param::Other(name, value)
                if name.to_string().eq_ignore_ascii_case("rport") && via.rport == RPort::Absent =>
            {
                via.rport = rport_from(value.as_ref().map(|v| v.to_string()).as_deref());
            }
            _ => {}
        }
    }
    Some(via)
}

/// `rport` (RFC 3581 section 3): no value (or an empty one) is a request, a port is the
/// value the server filled in. A value that is not a port still shows the parameter was
/// present, so it counts as requested.
fn rport_from(value: Option<&str>) -> RPort {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => RPort::Requested,
        Some(v) => match (v.bytes().all(|b| b.is_ascii_digit()), v.parse::<u16>()) {
            (true, Ok(p)) => RPort::Value(p),
            _ => RPort::Requested,
        },
    }
}

/// Our own `via-parm` parser:
/// `sent-protocol LWS sent-by *( SEMI via-params )`, where
/// `sent-protocol = protocol-name SLASH protocol-version SLASH transport` and LWS may
/// surround each SLASH, COLON and SEMI.
fn own_via(entry: &str) -> Via {
    let (head, param_str) = match entry.find(';') {
        Some(i) => (
            entry.get(..i).unwrap_or(""),
            entry.get(i + 1..).unwrap_or(""),
        ),
        None => (entry, ""),
    };
    let (transport, sent_by) = split_sent_protocol(head);
    let sent_by: String = sent_by.chars().filter(|c| !c.is_whitespace()).collect();
    let (host, port) = parse_hostport(&sent_by);
    let mut via = Via {
        transport: transport.to_ascii_uppercase(),
        host: host.unwrap_or_else(|| Host::Name(String::new())),
        port,
        branch: None,
        received: None,
        rport: RPort::Absent,
        raw: entry.to_string(),
    };
    for (name, value) in params(param_str) {
        if name.eq_ignore_ascii_case("branch") && via.branch.is_none() {
            via.branch = value.map(str::to_string);
        } else if name.eq_ignore_ascii_case("received") && via.received.is_none() {
            via.received = value.map(str::to_string);
        } else if name.eq_ignore_ascii_case("rport") && via.rport == RPort::Absent {
            via.rport = rport_from(value);
        }
    }
    via
}

/// Splits `SIP / 2.0 / UDP host:port` into the transport token and the sent-by text.
/// Without two slashes there is no transport, and the last word is taken as sent-by.
fn split_sent_protocol(head: &str) -> (&str, &str) {
    let mut slashes = head.match_indices('/');
    let second = slashes.nth(1).map(|(i, _)| i);
    match second {
        Some(i) => {
            let after = head.get(i + 1..).unwrap_or("").trim_start();
            let t_end = after
                .find(|c: char| c.is_whitespace())
                .unwrap_or(after.len());
            (
                after.get(..t_end).unwrap_or(""),
                after.get(t_end..).unwrap_or(""),
            )
        }
        None => ("", head.split_whitespace().last().unwrap_or("")),
    }
}

/// For tests: whether rsip's typed Via was used for this entry.
#[cfg(test)]
pub(crate) fn typed_by_rsip(entry: &str) -> bool {
    rsip_via(entry.trim()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ip(s: &str) -> Host {
        Host::Ip(s.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn simple_entry() {
        let v = parse_via_entry("SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds");
        assert_eq!(
            v,
            Via {
                transport: "UDP".into(),
                host: Host::Name("pc33.atlanta.com".into()),
                port: None,
                branch: Some("z9hG4bK776asdhds".into()),
                received: None,
                rport: RPort::Absent,
                raw: "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds".into(),
            }
        );
    }

    #[test]
    fn received_and_rport_forms() {
        let v = parse_via_entry("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport");
        assert_eq!(v.host, Host::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
        assert_eq!((v.port, v.rport), (Some(5060), RPort::Requested));
        let v = parse_via_entry(
            "SIP/2.0/UDP 10.0.0.1:5060;received=203.0.113.7;rport=40123;branch=z9hG4bKb",
        );
        assert_eq!(v.received.as_deref(), Some("203.0.113.7"));
        assert_eq!(v.rport, RPort::Value(40123));
        assert_eq!(v.branch.as_deref(), Some("z9hG4bKb"));
        let v = parse_via_entry("SIP/2.0/UDP h;rport=");
        assert_eq!(v.rport, RPort::Requested);
        let v = parse_via_entry("SIP/2.0/UDP h;rport=99999");
        assert_eq!(v.rport, RPort::Requested);
    }

    #[test]
    fn lws_unknown_transport_and_ipv6() {
        let v = parse_via_entry("SIP / 2.0 / tcp  host.example : 5070 ; branch = z9hG4bKc ; rport");
        assert_eq!(v.transport, "TCP");
        assert_eq!(v.host, Host::Name("host.example".into()));
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.branch.as_deref(), Some("z9hG4bKc"));
        assert_eq!(v.rport, RPort::Requested);

        let v =
            parse_via_entry("SIP/2.0/XYZ [2001:db8::2]:5060;branch=z9hG4bKd;received=2001:db8::9");
        assert_eq!(v.transport, "XYZ");
        assert_eq!(v.host, ip("2001:db8::2"));
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.received.as_deref(), Some("2001:db8::9"));

        let v = parse_via_entry("SIP/2.0/UDP 2001:db8::5;branch=z9hG4bKe");
        assert_eq!((v.host, v.port), (ip("2001:db8::5"), None));

        let v = parse_via_entry("garbage");
        assert_eq!(
            (v.transport.as_str(), v.host),
            ("", Host::Name("garbage".into()))
        );
        let v = parse_via_entry("");
        assert_eq!(v.host, Host::Name(String::new()));
    }

    #[test]
    fn several_entries_in_one_value() {
        let vias = parse_via_header(
            "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;x=\"a,b\" , SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK2;received=198.51.100.1;rport=5062",
        );
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].host, ip("2001:db8::1"));
        assert_eq!(vias[0].branch.as_deref(), Some("z9hG4bK1"));
        assert_eq!(
            vias[0].raw,
            "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;x=\"a,b\""
        );
        assert_eq!(vias[1].transport, "TCP");
        assert_eq!(vias[1].host, ip("192.0.2.1"));
        assert_eq!(vias[1].received.as_deref(), Some("198.51.100.1"));
        assert_eq!(vias[1].rport, RPort::Value(5062));
    }

    /// Where rsip's typed Via is used, it must agree with our own parser.
    #[test]
    fn rsip_and_own_agree() {
        for e in [
            "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9;rport",
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9;rport=1234;received=1.2.3.4",
            "SIP/2.0/TCP h;received=1.2.3.4;rport=9",
            "SIP/2.0/udp h;BRANCH=x",
            "SIP/2.0/WSS abc.invalid;branch=x",
        ] {
            assert!(typed_by_rsip(e), "{e}");
            assert_eq!(rsip_via(e), Some(own_via(e)), "{e}");
        }
        for e in [
            "SIP / 2.0 / UDP h ; branch=x",
            "SIP/2.0/XYZ h;branch=x",
            "SIP/2.0/UDP h:70000;branch=x",
            "SIP/2.0/UDP [2001:db8::2]:5060;branch=x",
        ] {
            assert!(!typed_by_rsip(e), "{e}");
        }
    }
}
