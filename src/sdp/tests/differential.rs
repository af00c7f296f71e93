//! The sdp-rs path and the fallback on the same inputs: wherever the sdp-rs path answers,
//! the two must give the same description. Inputs: the real bodies, their LF-only forms, and
//! many deterministic mutations of them (which also show that nothing panics).

use super::bodies::{ALL, COMPACT_FORM};
use super::{both, parse};

fn assert_agree(name: &str, body: &[u8]) -> bool {
    let (via, fallback) = both(body);
    if let Some(via) = &via {
        assert_eq!(
            via,
            &fallback,
            "{name}: {:?}",
            String::from_utf8_lossy(body)
        );
    }
    via.is_some()
}

#[test]
fn real_bodies_agree() {
    for (name, body) in ALL {
        assert_agree(name, body);
        let lf = String::from_utf8_lossy(body).replace("\r\n", "\n");
        assert_agree(name, lf.as_bytes());
    }
    // The compact-form body without its r=/z= lines goes through sdp-rs.
    let text = String::from_utf8_lossy(COMPACT_FORM)
        .replace("r=604800 3600 0 90000\r\n", "")
        .replace("z=2882844526 -1h 2898848070 0\r\n", "");
    assert!(assert_agree("COMPACT_FORM without r=/z=", text.as_bytes()));
}

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to an SDP reader.
const INTERESTING: &[u8] = b"\r\n \t\0:/=.-[]0123456789amcvostbrzk\xff\xc3";

/// Pieces of SDP that exercise the rules both parsers must share.
const SNIPPETS: &[&[u8]] = &[
    b"a=inactive\r\n",
    b"a=SENDONLY\r\n",
    b"a=recvonly:x\r\n",
    b"a=rtcp:5005 IN IP4 192.0.2.9\r\n",
    b"a=rtcp:",
    b"a=rtpmap:",
    b"a=T38FaxUdpEC:t38UDPFEC\r\n",
    b"a=t38faxfillbitremoval\r\n",
    b"c=IN IP6 2001:db8::1\r\n",
    b"c=IN IP4 233.252.0.1/127\r\n",
    b"m=audio 0 RTP/AVP 0\r\n",
    b"m=image 5004/2 udptl t38\r\n",
    b"b=AS:64\r\n",
    b"r=1 2 3\r\n",
    b"IN IP4 ",
    b"IN IP6 ",
    b"0.0.0.0",
    b"::",
    b"\t",
    b"  ",
    b"-",
    b"+",
    b"/",
    b"\xef\xbf\xbd",
];

/// Applies 1 to 4 random edits to `body`.
fn mutate(rng: &mut Rng, body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if at < out.len() => out[at] = INTERESTING[rng.below(INTERESTING.len())],
            1 => out.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            2 => {
                let end = (at + rng.below(12)).min(out.len());
                out.drain(at..end);
            }
            3 => out.truncate(at),
            4 => {
                // Duplicate a span (a line, often).
                let end = (at + rng.below(40)).min(out.len());
                let span = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, span);
            }
            5 => {
                let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
                out.splice(at..at, snippet.iter().copied());
            }
            _ => {
                let end = (at + 2).min(out.len());
                if &out[at..end] == b"\r\n" {
                    out.remove(at);
                }
            }
        }
    }
    out
}

#[test]
fn mutated_bodies_never_panic_and_agree() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut trusted, mut total) = (0, 0);
    for (name, body) in ALL {
        for _ in 0..2000 {
            let m = mutate(&mut rng, body);
            let _ = parse(&m);
            trusted += usize::from(assert_agree(name, &m));
            total += 1;
        }
    }
    // Both paths must really be exercised.
    assert!(
        trusted > total / 10 && trusted < total,
        "{trusted} of {total}"
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = rng.below(300);
        let body: Vec<u8> = (0..len)
            .map(|_| match rng.below(3) {
                0 => INTERESTING[rng.below(INTERESTING.len())],
                _ => rng.next() as u8,
            })
            .collect();
        let _ = parse(&body);
        assert_agree("random", &body);
    }
}
