//! State is bounded by concurrent calls, not by capture length: 400 calls one after the
//! other over more than an hour of capture time (synthetic frames built here: INVITE with
//! SDP, 200 with SDP, ACK, 2 s of RTP both ways, BYE, 200; a new call every 10 s) leave
//! the engine holding only the last few calls, while every call and flow is reported.

use algscope::decode::link::LinkType;
use algscope::engine::{Engine, Event, Frame};
use algscope::Timestamp;

fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0];
    f.extend_from_slice(&((20 + 8 + payload.len()) as u16).to_be_bytes());
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

const A: [u8; 4] = [192, 0, 2, 10];
const B: [u8; 4] = [198, 51, 100, 20];

fn sip(first: &str, call: u32, cseq: &str, to_tag: bool, sdp: Option<(&str, u16)>) -> Vec<u8> {
    let body = sdp
        .map(|(ip, port)| {
            format!(
                "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n"
            )
        })
        .unwrap_or_default();
    let tag = if to_tag { ";tag=b" } else { "" };
    let ct = if sdp.is_some() {
        "Content-Type: application/sdp\r\n"
    } else {
        ""
    };
    format!(
        "{first}\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{call}{}\r\nFrom: <sip:a@x>;tag=a\r\nTo: <sip:b@x>{tag}\r\n\
         Call-ID: bounded-{call}\r\nCSeq: {cseq}\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        cseq.replace(' ', ""),
        body.len()
    )
    .into_bytes()
}

fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut v = vec![0x80, 0];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(&[0xff; 160]);
    v
}

#[test]
fn four_hundred_sequential_calls_keep_state_flat() {
    let mut engine = Engine::default();
    let (mut calls, mut flows, mut max_calls, mut max_flows, mut max_tx) = (0, 0, 0, 0, 0);
    let base = 1_767_225_600_000_000_000i64;
    let feed = |engine: &mut Engine, t_ms: i64, bytes: Vec<u8>| {
        let frame = Frame {
            ts: Timestamp::from_nanos(base + t_ms * 1_000_000),
            link: LinkType::Ethernet,
            data: &bytes,
            orig_len: bytes.len() as u32,
        };
        engine.handle(&frame);
    };
    for call in 0..400u32 {
        let t0 = i64::from(call) * 10_000;
        let (pa, pb) = (
            20_000 + (call % 100) as u16 * 2,
            30_000 + (call % 100) as u16 * 2,
        );
        feed(
            &mut engine,
            t0,
            udp(
                A,
                5060,
                B,
                5060,
                &sip(
                    "INVITE sip:b@x SIP/2.0",
                    call,
                    "1 INVITE",
                    false,
                    Some(("192.0.2.10", pa)),
                ),
            ),
        );
        feed(
            &mut engine,
            t0 + 100,
            udp(
                B,
                5060,
                A,
                5060,
                &sip(
                    "SIP/2.0 200 OK",
                    call,
                    "1 INVITE",
                    true,
                    Some(("198.51.100.20", pb)),
                ),
            ),
        );
        feed(
            &mut engine,
            t0 + 110,
            udp(
                A,
                5060,
                B,
                5060,
                &sip("ACK sip:b@x SIP/2.0", call, "1 ACK", true, None),
            ),
        );
        for i in 0..100u16 {
            let t = t0 + 120 + i64::from(i) * 20;
            feed(&mut engine, t, udp(A, pa, B, pb, &rtp(i, call)));
            feed(
                &mut engine,
                t + 1,
                udp(B, pb, A, pa, &rtp(i, 0x8000_0000 | call)),
            );
        }
        feed(
            &mut engine,
            t0 + 2_200,
            udp(
                A,
                5060,
                B,
                5060,
                &sip("BYE sip:b@x SIP/2.0", call, "2 BYE", true, None),
            ),
        );
        feed(
            &mut engine,
            t0 + 2_210,
            udp(
                B,
                5060,
                A,
                5060,
                &sip("SIP/2.0 200 OK", call, "2 BYE", true, None),
            ),
        );
        while let Some(ev) = engine.poll() {
            match ev {
                Event::Call(rec) => {
                    calls += 1;
                    assert_eq!(rec.call.epochs.len(), 1);
                    assert_eq!(rec.flows.len(), 2, "{}", rec.call.call_id);
                }
                Event::Flow(_) => flows += 1,
                _ => {}
            }
        }
        let s = engine.state_sizes();
        max_calls = max_calls.max(s.calls);
        max_flows = max_flows.max(s.flows);
        max_tx = max_tx.max(s.transactions);
    }
    // Linger: calls are released 60 s after their last message once their flows are
    // closed (30 s after their last packet), transactions 32 s after completion; a call
    // starts every 10 s, so 7 calls (and their flows and transactions) overlap at most.
    assert_eq!(
        (max_calls, max_flows, max_tx),
        (7, 8, 8),
        "calls, flows, transactions held at once"
    );
    let summary = engine.finish();
    while let Some(ev) = engine.poll() {
        match ev {
            Event::Call(_) => calls += 1,
            Event::Flow(_) => flows += 1,
            _ => {}
        }
    }
    assert_eq!((calls, flows), (400, 800));
    assert_eq!(summary.accounting.get(algscope::Class::Rtp), 400 * 200);
    assert_eq!(engine.state_sizes().calls, 0);
    assert_eq!(engine.state_sizes().flows, 0);
}
