//! Packet accounting: every packet read ends in exactly one [`Class`], and the counters
//! add up to the packets read. Fragments are the one deferred case: a fragment is
//! `fragment_pending` until its datagram completes (then it is `fragment_reassembled`, and
//! the packet that completed it takes the datagram's class), turns out malformed, or is
//! dropped (timeout, table bound, end of capture: `fragment_dropped`).

use serde::Serialize;

/// Where one captured packet ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Carries SIP: a UDP datagram with a SIP message, or a TCP segment of a SIP stream.
    Sip,
    /// A CR/LF keepalive on a SIP port or stream (RFC 5626), not an error.
    SipKeepalive,
    /// TLS on the SIP TLS port: encrypted signalling, not inspected.
    SipTls,
    Rtp,
    Rtcp,
    /// UDPTL (T.38 fax) on a port an SDP announced.
    Udptl,
    Stun,
    /// UDP that is none of the above.
    UdpOther,
    /// TCP without payload (handshake, ACK, FIN, RST).
    TcpControl,
    /// TCP payload on a stream that is not SIP.
    TcpOther,
    /// ICMP and ICMPv6.
    Icmp,
    /// IP with another transport protocol.
    IpOther,
    /// A frame that carries no IP (ARP, LLC, ...).
    NonIp,
    /// Could not be decoded: bad headers, overlapping fragments, SIP that cannot be parsed.
    Malformed,
    /// Cut by the capture's snaplen before the part needed to classify it.
    Truncated,
    /// A fragment held until the rest of its datagram arrives (live runs only: at the end
    /// of a capture every pending fragment is resolved).
    FragmentPending,
    /// A fragment whose datagram was reassembled (the last fragment carries the class).
    FragmentReassembled,
    /// A fragment whose datagram never completed (timeout, table bound, end of capture).
    FragmentDropped,
}

impl Class {
    pub const ALL: [Class; 18] = [
        Class::Sip,
        Class::SipKeepalive,
        Class::SipTls,
        Class::Rtp,
        Class::Rtcp,
        Class::Udptl,
        Class::Stun,
        Class::UdpOther,
        Class::TcpControl,
        Class::TcpOther,
        Class::Icmp,
        Class::IpOther,
        Class::NonIp,
        Class::Malformed,
        Class::Truncated,
        Class::FragmentPending,
        Class::FragmentReassembled,
        Class::FragmentDropped,
    ];

    /// The stable name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Sip => "sip",
            Class::SipKeepalive => "sip_keepalive",
            Class::SipTls => "sip_tls",
            Class::Rtp => "rtp",
            Class::Rtcp => "rtcp",
            Class::Udptl => "udptl",
            Class::Stun => "stun",
            Class::UdpOther => "udp_other",
            Class::TcpControl => "tcp_control",
            Class::TcpOther => "tcp_other",
            Class::Icmp => "icmp",
            Class::IpOther => "ip_other",
            Class::NonIp => "non_ip",
            Class::Malformed => "malformed",
            Class::Truncated => "truncated",
            Class::FragmentPending => "fragment_pending",
            Class::FragmentReassembled => "fragment_reassembled",
            Class::FragmentDropped => "fragment_dropped",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The counters, one per [`Class`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    counts: [u64; 18],
}

impl Accounting {
    pub fn add(&mut self, class: Class) {
        self.counts[class.index()] += 1;
    }

    /// Moves `n` packets from one class to another (used when pending fragments resolve).
    pub fn transfer(&mut self, from: Class, to: Class, n: u64) {
        let n = n.min(self.counts[from.index()]);
        self.counts[from.index()] -= n;
        self.counts[to.index()] += n;
    }

    pub fn get(&self, class: Class) -> u64 {
        self.counts[class.index()]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// (name, count) for every class, in the documented order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Class::ALL.iter().map(|c| (c.as_str(), self.get(*c)))
    }
}

impl Serialize for Accounting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(Class::ALL.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_index_their_own_slot() {
        for (i, c) in Class::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }

    #[test]
    fn transfer_keeps_the_total() {
        let mut a = Accounting::default();
        a.add(Class::FragmentPending);
        a.add(Class::FragmentPending);
        a.add(Class::Rtp);
        a.transfer(Class::FragmentPending, Class::FragmentDropped, 2);
        assert_eq!(a.total(), 3);
        assert_eq!(a.get(Class::FragmentDropped), 2);
        assert_eq!(a.get(Class::FragmentPending), 0);
    }
}
