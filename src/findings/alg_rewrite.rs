//! `alg-rewrite`: a SIP ALG's fingerprint in a single capture. A request whose address
//! fields (top Via, Contact, SDP c= and o=) carry the public address it was sent from,
//! while the sender's own identity fields (the From host, and the Call-ID host of an
//! initial request, which the UA made up) still carry a private address: the UA wrote its
//! private address everywhere and something on the way rewrote only the fields an ALG
//! knows (field notes, "what ALGs are known to do", items 1 and 2). A phone that learned
//! its public address (STUN) writes it in the same fields, so this is evidence for the
//! site verdict, not proof alone. Reported once per Call-ID.

use std::net::IpAddr;

use super::address::is_private;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;
use crate::sip::Host;

#[derive(Debug, Default)]
pub struct AlgRewrite {
    seen: super::Seen<String>,
}

/// The host part of a Call-ID (`local@host`) when it is an IP address.
fn call_id_ip(call_id: &str) -> Option<IpAddr> {
    let host = call_id.rsplit_once('@')?.1;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse().ok()
}

/// What a single message shows of a rewrite on its way (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Identity fields still carrying a private address: (label, address).
    pub private: Vec<(&'static str, IpAddr)>,
    /// Address fields carrying the public source address: (label, the line).
    pub rewritten: Vec<(&'static str, String)>,
    /// Address fields still carrying one of those private addresses next to the rewritten
    /// ones (a partial rewrite): (label, the line).
    pub left: Vec<(&'static str, String)>,
}

/// The ALG fingerprint of a request sent from a public address, if it shows one.
pub fn fingerprint(r: &crate::engine::SipRecord) -> Option<Fingerprint> {
    let msg = &r.msg;
    let src = r.src.ip();
    if !msg.is_request() || is_private(src) {
        return None;
    }
    let call_id = msg.call_id.as_deref()?;
    let initial = msg.to.as_ref().and_then(|t| t.tag.as_ref()).is_none();
    let mut identity: Vec<(&'static str, IpAddr)> = Vec::new();
    if let Some(ip) = msg
        .from
        .as_ref()
        .and_then(|f| f.uri.host.as_ref())
        .and_then(Host::ip)
    {
        identity.push(("From host", ip));
    }
    if initial {
        if let Some(ip) = call_id_ip(call_id) {
            identity.push(("Call-ID host", ip));
        }
    }
    let private: Vec<(&'static str, IpAddr)> = identity
        .into_iter()
        .filter(|(_, ip)| is_private(*ip))
        .collect();
    if private.is_empty() {
        return None;
    }
    let private_ips: Vec<IpAddr> = private.iter().map(|(_, ip)| *ip).collect();
    let mut rewritten: Vec<(&'static str, String)> = Vec::new();
    let mut left: Vec<(&'static str, String)> = Vec::new();
    let mut sort = |label: &'static str, ip: Option<IpAddr>, line: String| {
        if ip == Some(src) {
            rewritten.push((label, line));
        } else if ip.is_some_and(|ip| private_ips.contains(&ip)) {
            left.push((label, line));
        }
    };
    if let Some(v) = msg.vias.first() {
        sort("Via", v.host.ip(), format!("Via: {}", v.raw));
    }
    for c in &msg.contacts {
        sort(
            "Contact",
            c.uri.host.as_ref().and_then(Host::ip),
            format!("Contact: {}", c.raw),
        );
    }
    if let Some(sdp) = msg.sdp_bytes().and_then(|b| crate::sdp::parse(b).ok()) {
        if let Some(o) = sdp.origin.as_ref() {
            sort("SDP o=", o.addr, format!("o={}", o.raw));
        }
        let media_c = sdp.media.iter().filter_map(|m| m.connection.as_ref());
        for c in sdp.connection.iter().chain(media_c) {
            sort("SDP c=", c.addr, format!("c={}", c.raw));
        }
    }
    if rewritten.is_empty() {
        return None;
    }
    Some(Fingerprint {
        private,
        rewritten,
        left,
    })
}

fn labels(v: &[(&'static str, String)]) -> String {
    let mut l: Vec<&str> = v.iter().map(|(l, _)| *l).collect();
    l.dedup();
    l.join(", ")
}

impl Detector for AlgRewrite {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Sip(r) = ev else { return };
        let msg = &r.msg;
        let src = r.src.ip();
        let Some(call_id) = msg.call_id.as_deref() else {
            return;
        };
        if self.seen.contains(&call_id.to_string()) {
            return;
        }
        let Some(Fingerprint {
            private,
            rewritten,
            left,
        }) = fingerprint(r)
        else {
            return;
        };
        let sent_by = |v: &crate::sip::Via| (v.host.clone(), v.port.unwrap_or(5060));
        let proxy_via = matches!(msg.vias.as_slice(), [a, b, ..] if sent_by(a) == sent_by(b));
        self.seen.first_time(call_id.to_string());
        let kept = private
            .iter()
            .map(|(what, ip)| format!("{what} {ip}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Finding {
            site: Some(src),
            id: "alg-rewrite",
            severity: Severity::Warning,
            call_id: Some(call_id.to_string()),
            leg: None,
            epoch: None,
            direction: None,
            cause: Cause::Alg,
            why: format!(
                "{}{} sent from {src} carries that public address in {} while its own \
                 identity keeps the private address ({kept}): the address fields were \
                 rewritten on the way, the way a SIP ALG does{}",
                msg.method().map(|m| m.to_string()).unwrap_or_default(),
                if r.transport == crate::engine::Transport::Tcp {
                    " (over TCP: the ALG rewrites TCP streams too)"
                } else {
                    ""
                },
                labels(&rewritten),
                if proxy_via {
                    "; the request carries two Vias with that same address on top: a \
                     middlebox inserted its own Via like a proxy (the top Via is the \
                     router's, not the phone's)"
                        .to_string()
                } else {
                    String::new()
                } + &if left.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; a partial rewrite: {} still carry the private address, so the \
                         far end gets mixed private and public addresses in one message",
                        labels(&left)
                    )
                }
            ),
            evidence: std::iter::once(format!("sent from {} ({kept})", r.src))
                .chain(rewritten.into_iter().map(|(_, shows)| shows))
                .chain(
                    left.into_iter()
                        .map(|(l, shows)| format!("{shows} (not rewritten: {l})")),
                )
                .map(|shows| Evidence {
                    frame: r.frame,
                    shows,
                })
                .collect(),
            advice: "disable SIP ALG on the router with this public address (Cisco/Linksys: \
                     Firewall/NAT, \"SIP ALG\" or SIP inspection; Netgear: \"Disable SIP ALG\" / \
                     SIP Transformations; TP-Link: NAT Forwarding > ALG; FortiGate: config \
                     system settings, set sip-expectation disable, set sip-nat-trace disable), \
                     or move SIP off its reach (TLS, a port other than 5060)"
                .into(),
        });
    }
}
