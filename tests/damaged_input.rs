//! Damaged input never panics and is always accounted for: every frame of the public
//! fixtures is fed again cut at random lengths and with random bytes flipped (a seeded
//! xorshift, so every run is the same), and the engine must count every one of them.

mod common;

use algscope::decode::link::LinkType;
use algscope::engine::{Engine, Frame};
use algscope::Timestamp;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn frames(rel: &str) -> (LinkType, Vec<Vec<u8>>) {
    let mut cap = pcap::Capture::from_file(common::fixture(rel)).unwrap();
    let link = LinkType::from_dlt(cap.get_datalink().0);
    let mut v = Vec::new();
    while let Ok(p) = cap.next_packet() {
        v.push(p.data.to_vec());
    }
    (link, v)
}

#[test]
fn mutated_frames_never_panic_and_are_all_counted() {
    let files = [
        "public/sngrep__ipv6frag.pcap",
        "public/suricata__sip-tcp.pcap",
        "public/suricata__sip-body-large.pcap",
        "public/ndpi__gre.pcapng",
        "public/heplify__ipip0.pcap",
        "public/pkts__sip_rtp.pcap",
        "public/sipnab__b2bua-asterisk.pcapng",
        "public/zeek__sip-long-request-response-paths.pcap",
        "public/ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut fed = 0u64;
    let mut engine = Engine::default();
    for f in files {
        let (link, frames) = frames(f);
        for (i, data) in frames.iter().enumerate() {
            for variant in 0..6 {
                let mut d = data.clone();
                match variant {
                    0 => d.truncate(rng.below(d.len() + 1)),
                    1 | 2 => {
                        for _ in 0..1 + rng.below(4) {
                            let at = rng.below(d.len());
                            if let Some(b) = d.get_mut(at) {
                                *b ^= 1 << rng.below(8);
                            }
                        }
                    }
                    3 => {
                        // Flip bytes in the first 64 (the headers), where decoders branch.
                        let at = rng.below(d.len().min(64));
                        if let Some(b) = d.get_mut(at) {
                            *b = rng.next() as u8;
                        }
                    }
                    4 => d.extend((0..rng.below(64)).map(|_| rng.next() as u8)),
                    _ => {
                        let cut = rng.below(d.len() + 1);
                        d.truncate(cut);
                    }
                }
                let frame = Frame {
                    ts: Timestamp::from_parts(1_700_000_000 + i as i64, 0),
                    link,
                    data: &d,
                    // Claim the original length: the cut variants look snaplen-cut.
                    orig_len: data.len() as u32,
                };
                engine.handle(&frame);
                while engine.poll().is_some() {}
                fed += 1;
            }
        }
    }
    let s = engine.finish();
    assert_eq!(s.packets_read, fed);
    assert_eq!(s.accounting.total(), fed);
}

#[test]
fn random_bytes_on_every_link_type_are_counted() {
    let mut rng = XorShift(42);
    let mut engine = Engine::default();
    let links = [
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::Null,
        LinkType::Loop,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Ipv4,
        LinkType::Ipv6,
    ];
    let n = 20_000u64;
    for i in 0..n {
        let len = rng.below(200);
        let mut d: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Make a share of them start like IPv4/IPv6 so the deeper layers are reached.
        if let Some(b) = d.first_mut() {
            match i % 3 {
                0 => *b = 0x45,
                1 => *b = 0x60,
                _ => {}
            }
        }
        let frame = Frame {
            ts: Timestamp::from_nanos(i as i64 * 1_000_000),
            link: links[(i % links.len() as u64) as usize],
            data: &d,
            orig_len: d.len() as u32,
        };
        engine.handle(&frame);
        while engine.poll().is_some() {}
    }
    let s = engine.finish();
    assert_eq!(s.accounting.total(), n);
}
