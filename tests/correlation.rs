//! How a flow is matched to an expectation, rank by rank, on a call behind a NAT without
//! ALG: the phone (private 10.0.0.5) announces its private address in SDP while its SIP
//! arrives from the router's public address 203.0.113.7. Messages are built here.

use std::net::SocketAddr;

use algscope::correlate::{Expectations, MatchKind};
use algscope::sip::call::{Call, Side};
use algscope::sip::parse_message;
use algscope::Timestamp;

fn msg(first: &str, to_tag: bool, sdp: &str) -> algscope::sip::SipMessage {
    let tag = if to_tag { ";tag=srv" } else { "" };
    let ct = if sdp.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    let text = format!(
        "{first}\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat1\r\nFrom: <sip:phone@example.com>;tag=ph\r\n\
         To: <sip:pbx@example.com>{tag}\r\nCall-ID: nat-1@10.0.0.5\r\nCSeq: 1 INVITE\r\n{ct}Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    parse_message(text.as_bytes()).unwrap()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn call_behind_nat() -> (Call, Expectations) {
    let phone_public = addr("203.0.113.7:5060");
    let pbx = addr("198.51.100.2:5060");
    let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let answer = "v=0\r\no=- 2 1 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n";
    let t = |s: i64| Timestamp::from_parts(1_767_225_600 + s, 0);
    let invite = msg("INVITE sip:pbx@example.com SIP/2.0", false, offer);
    let ok = msg("SIP/2.0 200 OK", true, answer);
    let mut call = Call::new(0, &invite, 1, t(0), phone_public, pbx);
    let mut events = Vec::new();
    call.on_message(&invite, 1, t(0), phone_public, false, &mut events);
    call.on_message(&ok, 2, t(1), pbx, false, &mut events);
    assert_eq!(call.epochs.len(), 1);
    let mut exp = Expectations::default();
    exp.add_epoch(&call, &call.epochs[0]);
    (call, exp)
}

#[test]
fn exact_latched_port_only_unmatched() {
    let (_, exp) = call_behind_nat();
    let t = Timestamp::from_parts(1_767_225_602, 0);
    // The phone sends to the PBX's SDP address: exact, from the caller.
    let a = exp
        .lookup(addr("203.0.113.7:4000"), addr("198.51.100.2:30000"), t)
        .unwrap();
    assert_eq!(
        (a.how, a.from, a.epoch, a.stream),
        (MatchKind::Exact, Side::Caller, 0, 0)
    );
    // The PBX sends to the private SDP address: exact too (a capture inside the NAT).
    let a = exp
        .lookup(addr("198.51.100.2:30000"), addr("10.0.0.5:4000"), t)
        .unwrap();
    assert_eq!((a.how, a.from), (MatchKind::Exact, Side::Callee));
    // The PBX latches: the SDP port at the address the phone's SIP came from.
    let a = exp
        .lookup(addr("198.51.100.2:30000"), addr("203.0.113.7:4000"), t)
        .unwrap();
    assert_eq!((a.how, a.from), (MatchKind::Latched, Side::Callee));
    // Only the port: another address, while the call is up.
    let a = exp
        .lookup(addr("198.51.100.2:30000"), addr("192.0.2.99:4000"), t)
        .unwrap();
    assert_eq!((a.how, a.from), (MatchKind::PortOnly, Side::Callee));
    // Nothing announced that port.
    assert!(exp
        .lookup(addr("198.51.100.2:30000"), addr("192.0.2.99:4002"), t)
        .is_none());
}

#[test]
fn symmetric_rtp_source_is_learned() {
    let (_, mut exp) = call_behind_nat();
    let t = Timestamp::from_parts(1_767_225_602, 0);
    // The phone's media leaves the NAT from a re-mapped port (203.0.113.7:61000).
    let a = exp
        .lookup(addr("203.0.113.7:61000"), addr("198.51.100.2:30000"), t)
        .unwrap();
    assert_eq!(a.how, MatchKind::Exact);
    assert!(exp
        .lookup(addr("198.51.100.2:30000"), addr("203.0.113.7:61000"), t)
        .is_none());
    exp.learn_source(addr("203.0.113.7:61000"), &a);
    // The PBX now sends there (rtpengine-style latching): matched as latched.
    let b = exp
        .lookup(addr("198.51.100.2:30000"), addr("203.0.113.7:61000"), t)
        .unwrap();
    assert_eq!(
        (b.how, b.from, b.epoch),
        (MatchKind::Latched, Side::Callee, 0)
    );
}

#[test]
fn port_only_stops_after_the_call() {
    let (call, mut exp) = call_behind_nat();
    let end = Timestamp::from_parts(1_767_225_610, 0);
    exp.call_ended(call.id, end);
    let later = Timestamp::from_parts(1_767_225_620, 0);
    assert!(exp
        .lookup(addr("198.51.100.2:30000"), addr("192.0.2.99:4000"), later)
        .is_none());
    // An exact address still matches (media after BYE is reported against its call).
    let a = exp
        .lookup(addr("198.51.100.2:30000"), addr("10.0.0.5:4000"), later)
        .unwrap();
    assert_eq!(a.how, MatchKind::Exact);
}
