//! Address classes the detectors reason with.

use std::net::IpAddr;

/// Addresses that cannot be reached from the Internet: RFC 1918, CGNAT 100.64/10 (RFC
/// 6598), link-local, loopback, IPv6 ULA (fc00::/7) and link-local (fe80::/10).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_private()
                || a.is_link_local()
                || a.is_loopback()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            a.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in [
            "192.0.2.1",
            "100.128.0.1",
            "8.8.8.8",
            "2001:db8::1",
            "172.32.0.1",
        ] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
    }
}
