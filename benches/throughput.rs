//! Throughput: the full engine against a bare libpcap read loop over the same file, in the
//! same process run. Figures are ratios, never asserted (see BENCHMARKS.md).
//!
//! Run: `cargo bench --bench throughput` (optionally `-- FILE...` for other captures).
//! Without arguments it measures a generated capture (synthetic: 100 concurrent G.711
//! calls, 20 ms RTP both ways plus RTCP and SIP, written to target/bench/) and the largest
//! real fixtures.

use std::path::{Path, PathBuf};
use std::time::Instant;

use algscope::engine::{Config, Engine};
use algscope::source::OfflineSource;

const RUNS: usize = 5;

fn bare_read(path: &Path) -> (u64, u64) {
    let mut cap = pcap::Capture::from_file(path).expect("open capture");
    let (mut n, mut bytes) = (0u64, 0u64);
    while let Ok(p) = cap.next_packet() {
        n += 1;
        bytes += p.data.len() as u64;
    }
    (n, bytes)
}

fn engine_run(path: &Path) -> (u64, u64) {
    let mut src = OfflineSource::open(&[path.to_path_buf()]).expect("open capture");
    let mut engine = Engine::new(Config::default());
    let mut bytes = 0u64;
    src.run(|frame, _| {
        bytes += frame.data.len() as u64;
        engine.handle(frame);
        while engine.poll().is_some() {}
        true
    });
    let s = engine.finish();
    assert_eq!(s.accounting.total(), s.packets_read);
    (s.packets_read, bytes)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn measure(f: impl Fn() -> (u64, u64)) -> (f64, u64, u64) {
    let mut secs = Vec::new();
    let mut last = (0, 0);
    for _ in 0..RUNS {
        let t = Instant::now();
        last = f();
        secs.push(t.elapsed().as_secs_f64());
    }
    (median(secs), last.0, last.1)
}

/// Writes a synthetic capture: `calls` concurrent calls for `seconds` of 20 ms G.711
/// RTP in both directions, RTCP every 5 s, and INVITE/200/ACK/BYE/200 per call.
fn generate(path: &Path, calls: u32, seconds: u32) {
    let dead = pcap::Capture::dead(pcap::Linktype::ETHERNET).expect("dead capture");
    let mut out = dead.savefile(path).expect("create bench capture");
    let mut write =
        |ts_us: u64, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]| {
            let frame = udp_frame(src, sport, dst, dport, payload);
            let header = pcap::PacketHeader {
                ts: libc_timeval(ts_us),
                caplen: frame.len() as u32,
                len: frame.len() as u32,
            };
            out.write(&pcap::Packet::new(&header, &frame));
        };
    let base: u64 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
    let phone = |c: u32| [10, 0, (c / 250) as u8, (c % 250 + 1) as u8];
    let server = [203, 0, 113, 10];
    for c in 0..calls {
        let sdp = format!(
            "v=0\r\no=- {c} 1 IN IP4 10.0.0.{}\r\ns=-\r\nc=IN IP4 10.0.0.{}\r\nt=0 0\r\nm=audio {} RTP/AVP 0\r\na=sendrecv\r\n",
            c % 250 + 1,
            c % 250 + 1,
            20_000 + 2 * c
        );
        let invite = format!(
            "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{c}\r\nFrom: <sip:alice@example.com>;tag=a{c}\r\nTo: <sip:bob@example.com>\r\nCall-ID: bench-{c}@10.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@10.0.0.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        write(
            base + u64::from(c) * 1000,
            phone(c),
            5060,
            server,
            5060,
            invite.as_bytes(),
        );
    }
    let packets_per_dir = seconds * 50;
    for i in 0..packets_per_dir {
        for c in 0..calls {
            let ts = base + 1_000_000 + u64::from(i) * 20_000 + u64::from(c) * 50;
            let mut rtp = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            rtp[2..4].copy_from_slice(&(i as u16).to_be_bytes());
            rtp[4..8].copy_from_slice(&(i * 160).to_be_bytes());
            rtp[8..12].copy_from_slice(&(0x1000 + c).to_be_bytes());
            rtp.extend_from_slice(&[0xff; 160]);
            let port = 20_000 + 2 * c as u16;
            write(ts, phone(c), port, server, 30_000 + 2 * c as u16, &rtp);
            rtp[8..12].copy_from_slice(&(0x9000 + c).to_be_bytes());
            write(ts + 10, server, 30_000 + 2 * c as u16, phone(c), port, &rtp);
            if i % 250 == 0 {
                let rr = [0x80, 201, 0, 1, 0, 0, 0x10, 0];
                write(
                    ts + 20,
                    phone(c),
                    port + 1,
                    server,
                    30_001 + 2 * c as u16,
                    &rr,
                );
            }
        }
    }
    out.flush().expect("flush bench capture");
}

fn libc_timeval(us: u64) -> libc::timeval {
    libc::timeval {
        tv_sec: (us / 1_000_000) as libc::time_t,
        tv_usec: (us % 1_000_000) as libc::suseconds_t,
    }
}

fn udp_frame(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    let total = (20 + 8 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0xb8]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut files: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
    if files.is_empty() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
        std::fs::create_dir_all(&dir).expect("create target/bench");
        let gen = dir.join("synthetic_100calls_60s.pcap");
        if !gen.exists() {
            generate(&gen, 100, 60);
        }
        files.push(gen);
        let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/public");
        files.push(fx.join("sipnab__sipp-branch-scenario.pcapng"));
        files.push(fx.join("sipnab__SIP_CALL_RTP_G711.pcap"));
    }
    println!(
        "{:<40} {:>9} {:>12} {:>12} {:>8}",
        "capture", "packets", "bare pkt/s", "engine pkt/s", "ratio"
    );
    for f in files {
        let (bare_s, n, _) = measure(|| bare_read(&f));
        let (eng_s, n2, bytes) = measure(|| engine_run(&f));
        assert_eq!(n, n2, "both loops read every packet");
        let name = f
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<40} {:>9} {:>12.0} {:>12.0} {:>7.2}x  ({:.1} MB/s through the engine)",
            name,
            n,
            n as f64 / bare_s,
            n as f64 / eng_s,
            eng_s / bare_s,
            bytes as f64 / eng_s / 1e6
        );
    }
    println!("ratio = engine time / bare libpcap read time, median of {RUNS} runs each");
}
