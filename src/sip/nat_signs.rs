//! NAT signs per message, in the spirit of Kamailio's `nat_uac_test` (its flag values,
//! so people who know it read them at once): what a message says about a NAT between its
//! sender and the capture point.
//!
//! | flag | Kamailio | sign |
//! |---|---|---|
//! | 1 | 1 | a Contact with a private address |
//! | 2 | 2 | the top Via host differs from the source address |
//! | 4 | 4 | the top Via host is a private address |
//! | 8 | 8 | the SDP carries a private address (c= or o=) |
//! | 16 | 16 | the top Via port differs from the source port |
//! | 32 | 32 | the source address is private |
//! | 128 | 128 | a Contact port differs from the source port |
//! | 256 | 256 | the SDP c= address differs from the source address |
//!
//! Responses are tested on their Contact and SDP only (their Via is the request's).

use std::net::{IpAddr, SocketAddr};

use super::message::{Host, SipMessage};
use crate::findings::address::is_private;

/// A set of NAT sign flags (Kamailio `nat_uac_test` values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NatSigns(pub u16);

pub const CONTACT_PRIVATE: u16 = 1;
pub const VIA_HOST_DIFFERS: u16 = 2;
pub const VIA_PRIVATE: u16 = 4;
pub const SDP_PRIVATE: u16 = 8;
pub const VIA_PORT_DIFFERS: u16 = 16;
pub const SOURCE_PRIVATE: u16 = 32;
pub const CONTACT_PORT_DIFFERS: u16 = 128;
pub const SDP_C_DIFFERS: u16 = 256;

const NAMES: [(u16, &str); 8] = [
    (CONTACT_PRIVATE, "contact_private"),
    (VIA_HOST_DIFFERS, "via_host_differs"),
    (VIA_PRIVATE, "via_private"),
    (SDP_PRIVATE, "sdp_private"),
    (VIA_PORT_DIFFERS, "via_port_differs"),
    (SOURCE_PRIVATE, "source_private"),
    (CONTACT_PORT_DIFFERS, "contact_port_differs"),
    (SDP_C_DIFFERS, "sdp_c_differs"),
];

impl NatSigns {
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }

    /// The names of the flags set, in flag order.
    pub fn names(self) -> Vec<&'static str> {
        NAMES
            .iter()
            .filter(|(f, _)| self.has(*f))
            .map(|(_, n)| *n)
            .collect()
    }
}

impl std::ops::BitOrAssign for NatSigns {
    fn bitor_assign(&mut self, rhs: NatSigns) {
        self.0 |= rhs.0;
    }
}

/// The signs of one message sent from `src`.
pub fn signs(msg: &SipMessage, src: SocketAddr) -> NatSigns {
    let mut f = 0u16;
    for c in &msg.contacts {
        if let Some(ip) = c.uri.host.as_ref().and_then(Host::ip) {
            if is_private(ip) {
                f |= CONTACT_PRIVATE;
            }
            if c.uri.port.unwrap_or(5060) != src.port() {
                f |= CONTACT_PORT_DIFFERS;
            }
        }
    }
    if msg.is_request() {
        if let Some(v) = msg.vias.first() {
            match v.host.ip() {
                Some(ip) => {
                    if ip != src.ip() {
                        f |= VIA_HOST_DIFFERS;
                    }
                    if is_private(ip) {
                        f |= VIA_PRIVATE;
                    }
                }
                // A name in the Via is not the source address either.
                None => f |= VIA_HOST_DIFFERS,
            }
            if v.port.unwrap_or(5060) != src.port() {
                f |= VIA_PORT_DIFFERS;
            }
        }
    }
    if is_private(src.ip()) {
        f |= SOURCE_PRIVATE;
    }
    if let Some(sdp) = msg.sdp_bytes().and_then(|b| crate::sdp::parse(b).ok()) {
        let origin = sdp.origin.as_ref().and_then(|o| o.addr);
        let conns: Vec<IpAddr> = sdp
            .connection
            .iter()
            .chain(sdp.media.iter().filter_map(|m| m.connection.as_ref()))
            .filter_map(|c| c.addr)
            .filter(|a| !a.is_unspecified())
            .collect();
        if conns.iter().chain(origin.iter()).any(|a| is_private(*a)) {
            f |= SDP_PRIVATE;
        }
        if conns.iter().any(|a| *a != src.ip()) {
            f |= SDP_C_DIFFERS;
        }
    }
    NatSigns(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> SipMessage {
        crate::sip::parse_message(text.replace('\n', "\r\n").as_bytes()).unwrap()
    }

    const INVITE: &str = "INVITE sip:bob@203.0.113.20 SIP/2.0
Via: SIP/2.0/UDP 10.10.0.10:5060;branch=z9hG4bK1
From: <sip:alice@10.10.0.10>;tag=1
To: <sip:bob@203.0.113.20>
Call-ID: 1@10.10.0.10
CSeq: 1 INVITE
Contact: <sip:alice@10.10.0.10:5060>
Content-Type: application/sdp
Content-Length: 71

v=0
o=- 1 1 IN IP4 10.10.0.10
s=-
c=IN IP4 10.10.0.10
t=0 0
m=audio 16000 RTP/AVP 0
";

    #[test]
    fn untranslated_invite_from_a_nat() {
        let m = msg(INVITE);
        // Seen on the WAN: masqueraded to 198.51.100.1:40000, SIP untouched.
        let s = signs(&m, "198.51.100.1:40000".parse().unwrap());
        assert_eq!(
            s.names(),
            [
                "contact_private",
                "via_host_differs",
                "via_private",
                "sdp_private",
                "via_port_differs",
                "contact_port_differs",
                "sdp_c_differs"
            ]
        );
        assert_eq!(s.0, 1 | 2 | 4 | 8 | 16 | 128 | 256);
        // Seen on the LAN, from the phone itself: only the private source.
        let s = signs(&m, "10.10.0.10:5060".parse().unwrap());
        assert_eq!(
            s.names(),
            [
                "contact_private",
                "via_private",
                "sdp_private",
                "source_private"
            ]
        );
    }

    #[test]
    fn rewritten_by_an_alg_shows_no_sign() {
        let m = msg(&INVITE
            .replace("10.10.0.10:5060", "198.51.100.1:5060")
            .replace("IN IP4 10.10.0.10", "IN IP4 198.51.100.1"));
        assert_eq!(signs(&m, "198.51.100.1:5060".parse().unwrap()), NatSigns(0));
    }
}
