//! The design rule that keeps algscope fast: decoding, classifying and counting an RTP
//! datagram of a known flow (most of the traffic) allocates nothing. A counting global
//! allocator proves it for the whole engine path (Ethernet, VLAN, IPv4/IPv6, UDP,
//! classification, accounting, the flow's RTP statistics, periodic housekeeping). Only
//! a flow's first packet allocates (its table entry).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use algscope::decode::link::LinkType;
use algscope::engine::{Engine, Frame};
use algscope::{Class, Timestamp};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rtp_frame(seq: u16, vlan: bool, v6: bool) -> Vec<u8> {
    let mut rtp = vec![0x80, 0x08];
    rtp.extend_from_slice(&seq.to_be_bytes());
    rtp.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    rtp.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    rtp.extend_from_slice(&[0xd5; 160]);
    let mut udp = Vec::new();
    udp.extend_from_slice(&40_000u16.to_be_bytes());
    udp.extend_from_slice(&30_000u16.to_be_bytes());
    udp.extend_from_slice(&((8 + rtp.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(&rtp);
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    if vlan {
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x0a]);
    }
    if v6 {
        f.extend_from_slice(&[0x86, 0xdd, 0x6b, 0x80, 0, 0]);
        f.extend_from_slice(&(udp.len() as u16).to_be_bytes());
        f.extend_from_slice(&[17, 64]);
        f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    } else {
        f.extend_from_slice(&[0x08, 0x00, 0x45, 0xb8]);
        f.extend_from_slice(&((20 + udp.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2]);
    }
    f.extend_from_slice(&udp);
    f
}

#[test]
fn rtp_datagrams_allocate_nothing() {
    // Two flows (IPv4, with and without a VLAN tag, and IPv6), each with consecutive
    // sequence numbers: no loss, so nothing new to remember.
    let (mut v4, mut v6) = (0u16, 0u16);
    let frames: Vec<Vec<u8>> = (0..3000u16)
        .map(|i| {
            let seq = if i % 3 == 2 { &mut v6 } else { &mut v4 };
            *seq += 1;
            rtp_frame(*seq, i % 3 == 1, i % 3 == 2)
        })
        .collect();
    let mut engine = Engine::default();
    // Warm-up: the first packet of each flow (IPv4 and IPv6) creates its table entry.
    for f in &frames[..3] {
        let warm = Frame {
            ts: Timestamp::from_parts(1_767_225_599, 0),
            link: LinkType::Ethernet,
            data: f,
            orig_len: f.len() as u32,
        };
        assert_eq!(engine.handle(&warm), Class::Rtp);
    }

    let before = ALLOCS.load(Ordering::SeqCst);
    for (i, f) in frames.iter().enumerate() {
        // 20 ms apart: the run spans 60 s, so housekeeping runs about 60 times.
        let frame = Frame {
            ts: Timestamp::from_nanos(1_767_225_600_000_000_000 + i as i64 * 20_000_000),
            link: LinkType::Ethernet,
            data: f,
            orig_len: f.len() as u32,
        };
        assert_eq!(engine.handle(&frame), Class::Rtp);
    }
    let after = ALLOCS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "allocations on the RTP path");
    assert_eq!(engine.accounting().get(Class::Rtp), 3003);
}
