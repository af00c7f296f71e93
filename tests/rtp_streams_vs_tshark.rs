//! Every RTP stream tshark lists in every fixture (fixtures/rtp_streams.json, made by
//! tests/tools/tshark_rtp_streams.py with `tshark -r FILE -q -z rtp,streams
//! -o rtp.heuristic_rtp:TRUE`), recomputed with algscope's `RtpStreamStats`: packets and
//! lost exactly; max/mean jitter, min/mean/max delta and min jitter within 0.01 ms; the
//! "Problems?" flag equal.
//!
//! The engine does not hand out RTP packets yet, so this test decodes the frames itself:
//! the link layer with `algscope::decode::link`, IP with etherparse, UDP by hand, and the
//! tunnels the fixtures use (IP-in-IP, GRE with ERSPAN, VXLAN) with
//! `algscope::decode::tunnel`. IP fragments are not reassembled: no fixture's RTP is
//! fragmented (only SIP is), so no stream needs it. A UDP datagram is taken for RTP when
//! `algscope::media::rtp::parse` accepts it; packets are grouped by (source address and
//! port, destination address and port, SSRC), which is tshark's stream key
//! (`rtpstream_id_equal` with `RTPSTREAM_ID_EQUAL_SSRC`).
//!
//! Which packets are RTP, and their clock rates, as tshark decides them: tshark's SDP
//! dissector sets up a conversation for each media address and port an SDP describes (in
//! SIP, or in MEGACO/H.248), and the last `m=` line for an address and port decides the
//! protocol and the payload type names. `SdpMaps` below follows that with a minimal
//! scanner of SDP text in UDP datagrams (the destination's endpoint first, then the
//! source's). Then, as in ui/tap-rtp-analysis.c (`rtppacket_analyse`): static payload types
//! use RFC 3551's table (inside `RtpStreamStats`); a dynamic one uses its `a=rtpmap` rate,
//! no clock for `telephone-event`, and no clock at all when no SDP describes it (a stream
//! the heuristic dissector found: tshark shows "RTPType-N" and 0 jitter). The fixtures
//! where this matters:
//! - public/sipnab__SIP_DTMF2.cap: SIP frames 20-23, `a=rtpmap:96 telephone-event/8000`;
//! - public/sipnab__register-invite-reinvite-bye.pcap: the re-INVITE (frame 162) and its
//!   200 OK (frame 163), `a=rtpmap:96 opus/48000`;
//! - public/ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap: MEGACO frame 1435 describes
//!   10.23.1.52:16756 as `m=audio 16756 RTP/AVP 8 102` and then `m=image 16756 UDPTL t38`,
//!   so tshark decodes the last 27 RTP packets to that port (frames 1436-1488) as T.38 and
//!   leaves them out of stream 0x0eaf0eaf (132 packets, not 159); payload types 100 and 102
//!   of that call get no clock;
//! - public/ndpi__rtp.pcapng: payload types 111, 120 and 101 with no SDP at all: no clock.
//!
//! A second test shows that `RtpStreamStats::update` and the RTCP report walk allocate
//! nothing (a per-thread counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use algscope::decode::link::{self, LinkFacts, LinkType, Network};
use algscope::decode::tunnel::{self, Inner};
use algscope::media::rtcp_report::{self, RtcpPacket};
use algscope::media::rtp;
use algscope::media::stream::RtpStreamStats;
use algscope::Timestamp;
use etherparse::LaxIpSlice;
use serde_json::Value;

/// Counts allocations per thread, to show `RtpStreamStats::update` and the RTCP report
/// walk allocate nothing (tests run on parallel threads; each reads its own count).
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

/// tshark streams this test does not recompute: (file, "src:port > dst:port ssrc", why).
/// Empty: every stream of every fixture is matched. A stream that needed IP reassembly of
/// its RTP or a tunnel the helper does not open would be listed here with the reason.
const SKIPPED: &[(&str, &str, &str)] = &[];

/// Tolerance for the millisecond figures (tshark prints three decimals).
const TOL_MS: f64 = 0.01;

/// How deep tunnels are opened.
const MAX_DEPTH: u8 = 4;

/// One UDP datagram found in a frame.
struct Udp<'a> {
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    payload: &'a [u8],
}

/// Decodes an IP packet down to UDP, opening IP-in-IP, GRE and VXLAN.
fn ip_to_udp(bytes: &[u8], depth: u8) -> Option<Udp<'_>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (ip, _) = LaxIpSlice::from_slice(bytes).ok()?;
    let (src, dst) = match &ip {
        LaxIpSlice::Ipv4(v4) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
        ),
        LaxIpSlice::Ipv6(v6) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
        ),
    };
    let payload = ip.payload();
    if payload.fragmented {
        // Fragments are not reassembled here (no fixture fragments its RTP).
        return None;
    }
    let body = payload.payload;
    match payload.ip_number.0 {
        4 | 41 => ip_to_udp(body, depth + 1),
        47 => match tunnel::gre(body).ok()?.0 {
            Inner::Ip(inner) => ip_to_udp(inner, depth + 1),
            Inner::Ethernet(frame) => ethernet_to_udp(frame, depth + 1),
            Inner::Other => None,
        },
        17 => {
            let sport = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
            let dport = u16::from_be_bytes([*body.get(2)?, *body.get(3)?]);
            let len = usize::from(u16::from_be_bytes([*body.get(4)?, *body.get(5)?]));
            let end = len.clamp(8, body.len().max(8));
            let data = body.get(8..end.min(body.len()))?;
            if tunnel::VXLAN_PORTS.contains(&dport) {
                if let Some(Inner::Ethernet(frame)) = tunnel::vxlan(data) {
                    return ethernet_to_udp(frame, depth + 1);
                }
            }
            Some(Udp {
                src,
                dst,
                sport,
                dport,
                payload: data,
            })
        }
        _ => None,
    }
}

fn ethernet_to_udp(frame: &[u8], depth: u8) -> Option<Udp<'_>> {
    match link::ethernet(frame, &mut LinkFacts::default()).ok()? {
        Network::Ip(ip) => ip_to_udp(ip, depth),
        Network::NonIp(_) => None,
    }
}

/// What the last SDP said about a media endpoint (address, port).
struct Endpoint {
    /// The transport is RTP (`RTP/AVP` and kin), not UDPTL (T.38) or anything else.
    rtp: bool,
    /// (payload type, encoding name lowercased, clock rate) from `a=rtpmap`.
    rtpmaps: Vec<(u8, String, u32)>,
}

/// Media endpoints learned from SDP, as tshark's SDP dissector sets up conversations.
#[derive(Default)]
struct SdpMaps {
    maps: HashMap<(IpAddr, u16), Endpoint>,
}

impl SdpMaps {
    /// Reads the SDP carried as text in one UDP datagram, if any (in a SIP body, or in
    /// MEGACO/H.248 descriptors, which can hold several sessions): every `m=` line's port
    /// with the `c=` address that applies to it, its transport and its `a=rtpmap` lines.
    /// A later SDP for the same endpoint replaces the earlier one (tshark sets up a new
    /// conversation).
    fn learn(&mut self, udp: &[u8]) {
        let Ok(text) = std::str::from_utf8(udp) else {
            return;
        };
        if !text.contains("\nv=0") {
            return;
        }
        let mut session_addr: Option<IpAddr> = None;
        // (port, media-level address, endpoint)
        let mut media: Vec<(u16, Option<IpAddr>, Endpoint)> = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line == "v=0" {
                // A new session: its own session-level address.
                self.flush(&mut media, session_addr);
                session_addr = None;
            } else if let Some(c) = line.strip_prefix("c=") {
                let addr = c
                    .split_whitespace()
                    .nth(2)
                    .and_then(|a| a.split('/').next().and_then(|a| a.parse::<IpAddr>().ok()));
                match media.last_mut() {
                    Some(m) => m.1 = addr,
                    None => session_addr = addr,
                }
            } else if let Some(m) = line.strip_prefix("m=") {
                let mut words = m.split_whitespace().skip(1);
                let port = words
                    .next()
                    .and_then(|p| p.split('/').next().and_then(|p| p.parse::<u16>().ok()));
                let rtp = words
                    .next()
                    .is_some_and(|t| t.to_ascii_uppercase().contains("RTP"));
                let endpoint = Endpoint {
                    rtp,
                    rtpmaps: Vec::new(),
                };
                media.push((port.unwrap_or(0), None, endpoint));
            } else if let Some(map) = line.strip_prefix("a=rtpmap:") {
                let (Some(m), Some((pt, enc))) = (media.last_mut(), map.split_once(' ')) else {
                    continue;
                };
                let mut parts = enc.split('/');
                let name = parts.next().unwrap_or("").to_ascii_lowercase();
                let rate = parts
                    .next()
                    .and_then(|r| r.trim().parse().ok())
                    .unwrap_or(0);
                if let Ok(pt) = pt.trim().parse::<u8>() {
                    m.2.rtpmaps.push((pt, name, rate));
                }
            }
        }
        self.flush(&mut media, session_addr);
    }

    /// Records the media of one session. A later m= line for the same address and port
    /// wins, as in tshark.
    fn flush(&mut self, media: &mut Vec<(u16, Option<IpAddr>, Endpoint)>, session: Option<IpAddr>) {
        for (port, addr, endpoint) in media.drain(..) {
            if let Some(addr) = addr.or(session) {
                if port != 0 {
                    self.maps.insert((addr, port), endpoint);
                }
            }
        }
    }

    /// The SDP endpoint a packet belongs to: its destination's, else its source's.
    fn endpoint(&self, u: &Udp<'_>) -> Option<&Endpoint> {
        self.maps
            .get(&(u.dst, u.dport))
            .or_else(|| self.maps.get(&(u.src, u.sport)))
    }

    /// Whether SDP made this packet's endpoint something other than RTP: tshark then
    /// decodes it with that protocol (T.38 over UDPTL), whatever the bytes look like.
    fn not_rtp(&self, u: &Udp<'_>) -> bool {
        self.endpoint(u).is_some_and(|e| !e.rtp)
    }

    /// The clock tshark uses for a dynamic payload type between these endpoints:
    /// `Some(None)` for telephone-event (no clock), `Some(Some(rate))` from the rtpmap,
    /// `None` when no SDP describes it.
    fn clock(&self, u: &Udp<'_>, pt: u8) -> Option<Option<u32>> {
        self.endpoint(u)?
            .rtpmaps
            .iter()
            .find(|(p, _, _)| *p == pt)
            .map(|(_, name, rate)| {
                (!name.starts_with("telephone-event") && *rate != 0).then_some(*rate)
            })
    }
}

type Key = (String, u16, String, u16, u32);

/// Reads a capture and computes the statistics of every RTP stream in it.
fn streams_of(path: &Path) -> HashMap<Key, RtpStreamStats> {
    let mut cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let link_type = LinkType::from_dlt(cap.get_datalink().0);
    let mut sdp = SdpMaps::default();
    let mut streams: HashMap<Key, RtpStreamStats> = HashMap::new();
    let mut frame = 0u64;
    while let Ok(p) = cap.next_packet() {
        frame += 1;
        let ts = Timestamp::from_parts(p.header.ts.tv_sec, p.header.ts.tv_usec);
        let Ok((Network::Ip(ip), _)) = link::strip(link_type, p.data) else {
            continue;
        };
        let Some(udp) = ip_to_udp(ip, 0) else {
            continue;
        };
        let Ok(hdr) = rtp::parse(udp.payload) else {
            sdp.learn(udp.payload);
            continue;
        };
        if sdp.not_rtp(&udp) {
            continue;
        }
        let key = (
            udp.src.to_string(),
            udp.sport,
            udp.dst.to_string(),
            udp.dport,
            hdr.ssrc,
        );
        let stats = streams.entry(key).or_default();
        if hdr.payload_type >= 96 {
            if let Some(clock) = sdp.clock(&udp, hdr.payload_type) {
                stats.set_payload_clock_rate(hdr.payload_type, clock);
            }
        }
        stats.update(ts, frame, &hdr, p.header.len as usize);
    }
    streams
}

fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
}

#[test]
fn rtp_stream_figures_equal_tshark() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let text = std::fs::read_to_string(root.join("rtp_streams.json"))
        .expect("fixtures/rtp_streams.json (run tests/tools/tshark_rtp_streams.py)");
    let doc: Value = serde_json::from_str(&text).expect("rtp_streams.json is JSON");
    let files = doc["files"].as_object().expect("files");

    let mut failures = Vec::new();
    let mut skipped_seen = Vec::new();
    let mut matched = 0usize;
    for (rel, rows) in files {
        let rows = rows.as_array().expect("stream list");
        if rows.is_empty() {
            continue;
        }
        let mine = streams_of(&root.join(rel));
        for row in rows {
            let ssrc_text = row["ssrc"].as_str().expect("ssrc");
            let ssrc =
                u32::from_str_radix(ssrc_text.trim_start_matches("0x"), 16).expect("hex SSRC");
            let key: Key = (
                row["src"].as_str().expect("src").to_string(),
                row["src_port"].as_u64().expect("src_port") as u16,
                row["dst"].as_str().expect("dst").to_string(),
                row["dst_port"].as_u64().expect("dst_port") as u16,
                ssrc,
            );
            let name = format!("{}:{} > {}:{} {ssrc_text}", key.0, key.1, key.2, key.3);
            if let Some(skip) = SKIPPED.iter().find(|s| s.0 == rel && s.1 == name) {
                skipped_seen.push(skip.1);
                continue;
            }
            let Some(s) = mine.get(&key) else {
                failures.push(format!("{rel}: {name}: stream not found"));
                continue;
            };
            let mut diffs = Vec::new();
            let packets = row["packets"].as_u64().expect("packets");
            if s.packets() != packets {
                diffs.push(format!("packets {} (tshark {packets})", s.packets()));
            }
            let lost = row["lost"].as_i64().expect("lost");
            if s.lost() != lost {
                diffs.push(format!("lost {} (tshark {lost})", s.lost()));
            }
            let figures = [
                ("max_jitter_ms", s.max_jitter_ms()),
                ("mean_jitter_ms", s.mean_jitter_ms()),
                ("min_jitter_ms", s.min_jitter_ms().unwrap_or(-1.0)),
                ("max_delta_ms", s.max_delta_ms()),
                ("mean_delta_ms", s.mean_delta_ms()),
                ("min_delta_ms", s.min_delta_ms().unwrap_or(-1.0)),
            ];
            for (field, value) in figures {
                let want = num(row, field);
                if (value - want).abs() > TOL_MS {
                    diffs.push(format!("{field} {value:.3} (tshark {want:.3})"));
                }
            }
            let problem = row["problem"].as_bool().expect("problem");
            if s.problem() != problem {
                diffs.push(format!("problem {} (tshark {problem})", s.problem()));
            }
            if diffs.is_empty() {
                matched += 1;
            } else {
                failures.push(format!("{rel}: {name}: {}", diffs.join(", ")));
            }
        }
    }
    for (file, stream, _) in SKIPPED {
        if !skipped_seen.contains(stream) {
            failures.push(format!(
                "{file}: {stream}: listed as skipped but not in tshark's list"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} stream(s) differ from tshark ({matched} match):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(matched > 0, "no stream compared");
}

#[test]
fn stream_update_and_rtcp_walk_allocate_nothing() {
    let mut rtp_bytes = vec![0x80u8, 0x00, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44];
    rtp_bytes.extend_from_slice(&[0xff; 160]);
    // fixtures/public/sipnab__SIP_CALL_RTP_G711.pcap frame 529: SR + RR + SDES.
    let rtcp_hex = "81c8000cd2bd4e3ec59286d4f645a1cb000002800000000400000280d2bd4e3e\
                    00000000000400040000000086d4f6450000000181c90007d2bd4e3e58f33dea\
                    0000000000002c440000000086d4f6450000000181ca0007d2bd4e3e0114756e\
                    6b6e6f776e403230302e35372e372e32303400000000";
    let rtcp: Vec<u8> = (0..rtcp_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&rtcp_hex[i..i + 2], 16).expect("hex"))
        .collect();
    let mut stats = RtpStreamStats::new(Some(8000));
    let before = allocs();
    let mut blocks = 0u64;
    for i in 0..10_000u32 {
        let seq = (i as u16).wrapping_mul(if i % 97 == 0 { 3 } else { 1 });
        rtp_bytes[2..4].copy_from_slice(&seq.to_be_bytes());
        rtp_bytes[4..8].copy_from_slice(&(i * 160).to_be_bytes());
        rtp_bytes[1] = if i % 50 == 0 { 0x80 } else { 0x00 };
        let hdr = rtp::parse(&rtp_bytes).expect("RTP");
        let t = Timestamp::from_nanos(i64::from(i) * 20_000_000 + i64::from(i % 7) * 100_000);
        stats.update(t, u64::from(i) + 1, &hdr, 214);
        for p in rtcp_report::packets(&rtcp) {
            if let Ok(RtcpPacket::SenderReport { blocks: b, .. })
            | Ok(RtcpPacket::ReceiverReport { blocks: b, .. }) = p
            {
                for block in b {
                    std::hint::black_box(block.round_trip(t));
                    blocks += 1;
                }
            }
        }
    }
    let after = allocs();
    assert_eq!(
        after - before,
        0,
        "allocations on the RTP/RTCP statistics path"
    );
    assert_eq!(stats.packets(), 10_000);
    assert_eq!(blocks, 20_000);
}
