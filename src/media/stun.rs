//! STUN (RFC 5389 section 6): two zero bits, the magic cookie, and a length that matches.

use crate::decode::{be16, be32};

const MAGIC_COOKIE: u32 = 0x2112_A442;

/// True for a STUN message (binding requests and responses used for NAT keepalive and
/// ICE). Allocation-free.
pub fn is_stun(b: &[u8]) -> bool {
    let (Some(first), Some(len), Some(cookie)) = (b.first(), be16(b, 2), be32(b, 4)) else {
        return false;
    };
    first & 0xC0 == 0 && cookie == MAGIC_COOKIE && len % 4 == 0 && usize::from(len) + 20 == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_request() {
        let mut b = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
        b.extend_from_slice(&[7; 12]);
        assert!(is_stun(&b));
        b.push(0);
        assert!(!is_stun(&b));
        assert!(!is_stun(&[0x00, 0x01]));
    }
}
