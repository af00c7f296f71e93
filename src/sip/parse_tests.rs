//! Tests of the tolerant parser beyond the rsip comparison (`rsip_limits` in `parse.rs`).

use super::*;
use crate::sip::message::{Host, NameAddr, RPort, Uri, Via};
use std::net::IpAddr;

fn ip(s: &str) -> Host {
    Host::Ip(s.parse::<IpAddr>().unwrap())
}

fn name(s: &str) -> Host {
    Host::Name(s.to_string())
}

/// The compact-form INVITE from a Suricata test capture.
const SURICATA_COMPACT: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\nv: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\nt: Bob <sip:bob@biloxi.com>\r\nf: Alice <sip:alice@atlanta.com>;tag=1928301774\r\ni: a84b4c76e66710@pc33.atlanta.com\r\nCSeq: 314159 INVITE\r\nm: <sip:alice@pc33.atlanta.com>\r\nc: application/sdp\r\nl: 4\r\n\r\nv=0\r\n";

#[test]
fn suricata_compact_form_message() {
    let m = parse_message(SURICATA_COMPACT).unwrap();
    assert_eq!(
        m.start,
        StartLine::Request {
            method: Method::Invite,
            uri: "sip:bob@biloxi.com".into()
        }
    );
    let raw: Vec<(&str, &str)> = m
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    assert_eq!(
        raw,
        [
            ("v", "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds"),
            ("Max-Forwards", "70"),
            ("t", "Bob <sip:bob@biloxi.com>"),
            ("f", "Alice <sip:alice@atlanta.com>;tag=1928301774"),
            ("i", "a84b4c76e66710@pc33.atlanta.com"),
            ("CSeq", "314159 INVITE"),
            ("m", "<sip:alice@pc33.atlanta.com>"),
            ("c", "application/sdp"),
            ("l", "4"),
        ]
    );
    assert_eq!(m.headers[0].span, 35..90);
    assert_eq!(
        &SURICATA_COMPACT[m.headers[0].span.clone()],
        &b"v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds"[..]
    );
    assert!(m.headers.iter().all(|h| !h.folded && !h.space_before_colon));
    assert_eq!(
        m.call_id.as_deref(),
        Some("a84b4c76e66710@pc33.atlanta.com")
    );
    assert_eq!(
        m.cseq,
        Some(CSeq {
            seq: 314159,
            method: Method::Invite
        })
    );
    assert_eq!(
        m.from,
        Some(NameAddr {
            display: Some("Alice".into()),
            uri: Uri {
                scheme: "sip".into(),
                user: Some("alice".into()),
                host: Some(name("atlanta.com")),
                port: None,
                raw: "sip:alice@atlanta.com".into(),
            },
            tag: Some("1928301774".into()),
            expires: None,
            raw: "Alice <sip:alice@atlanta.com>;tag=1928301774".into(),
        })
    );
    assert_eq!(
        m.to,
        Some(NameAddr {
            display: Some("Bob".into()),
            uri: Uri {
                scheme: "sip".into(),
                user: Some("bob".into()),
                host: Some(name("biloxi.com")),
                port: None,
                raw: "sip:bob@biloxi.com".into(),
            },
            tag: None,
            expires: None,
            raw: "Bob <sip:bob@biloxi.com>".into(),
        })
    );
    assert_eq!(
        m.vias,
        vec![Via {
            transport: "UDP".into(),
            host: name("pc33.atlanta.com"),
            port: None,
            branch: Some("z9hG4bK776asdhds".into()),
            received: None,
            rport: RPort::Absent,
            raw: "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds".into(),
        }]
    );
    assert_eq!(
        m.contacts,
        vec![NameAddr {
            display: None,
            uri: Uri {
                scheme: "sip".into(),
                user: Some("alice".into()),
                host: Some(name("pc33.atlanta.com")),
                port: None,
                raw: "sip:alice@pc33.atlanta.com".into(),
            },
            tag: None,
            expires: None,
            raw: "<sip:alice@pc33.atlanta.com>".into(),
        }]
    );
    assert_eq!(m.content_type.as_deref(), Some("application/sdp"));
    assert_eq!(m.content_length, DeclaredLength::Value(4));
    assert_eq!(m.body, b"v=0\r\n");
    assert_eq!(m.sdp, Some(0..5));
    assert_eq!(m.sdp_bytes(), Some(&b"v=0\r\n"[..]));
    assert_eq!(
        m.anomalies,
        vec![Anomaly::CompactHeader, Anomaly::ContentLengthMismatch]
    );
    assert_eq!(m.len, SURICATA_COMPACT.len());
    assert!(looks_like_sip(SURICATA_COMPACT));
}

const MULTIPART: &str = "INVITE sip:+4930123@gw.example.net;user=phone SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKmp1\r\n\
From: <sip:+4940111@example.net>;tag=a1\r\n\
To: <sip:+4930123@gw.example.net;user=phone>\r\n\
Call-ID: mp-1@192.0.2.10\r\n\
CSeq: 1 INVITE\r\n\
Content-Type: multipart/mixed; boundary=\"unique-boundary-1\"\r\n\
Content-Length: 244\r\n\
\r\n\
--unique-boundary-1\r\n\
Content-Type: application/isup;version=itu-t92+\r\n\
\r\n\
\x01\x00\x49\r\n\
--unique-boundary-1\r\n\
Content-Type: application/sdp\r\n\
\r\n\
v=0\r\n\
o=- 1 1 IN IP4 192.0.2.10\r\n\
s=-\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 8\r\n\
--unique-boundary-1--\r\n";

#[test]
fn multipart_body_sdp_part() {
    let m = parse_message(MULTIPART.as_bytes()).unwrap();
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 8";
    assert_eq!(m.body.len(), 244);
    assert_eq!(m.content_length, DeclaredLength::Value(244));
    assert_eq!(m.sdp, Some(131..131 + sdp.len()));
    assert_eq!(m.sdp_bytes(), Some(sdp.as_bytes()));
    assert_eq!(m.anomalies, vec![]);
    assert_eq!(m.to.unwrap().uri.user.as_deref(), Some("+4930123"));
}

fn minimal(extra_headers: &str, body: &str) -> String {
    format!(
        "MESSAGE sip:bob@biloxi.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKm\r\n\
         From: <sip:alice@atlanta.com>;tag=f\r\n\
         To: <sip:bob@biloxi.com>\r\n\
         Call-ID: cl@10.0.0.2\r\n\
         CSeq: 7 MESSAGE\r\n\
         {extra_headers}\r\n{body}"
    )
}

#[test]
fn content_length_larger_than_body() {
    let s = minimal(
        "Content-Type: text/plain\r\nContent-Length: 100\r\n",
        "0123456789abcdefghij",
    );
    let m = parse_message(s.as_bytes()).unwrap();
    assert_eq!(m.content_length, DeclaredLength::Value(100));
    assert_eq!(m.body, b"0123456789abcdefghij");
    assert_eq!(m.body.len(), 20);
    assert_eq!(m.sdp, None);
    assert_eq!(m.anomalies, vec![Anomaly::ContentLengthMismatch]);
    assert_eq!(m.len, s.len());
}

#[test]
fn content_length_not_a_number() {
    let s = minimal("Content-Length: bad\r\n", "");
    let m = parse_message(s.as_bytes()).unwrap();
    assert_eq!(m.content_length, DeclaredLength::Invalid("bad".into()));
    assert_eq!(m.anomalies, vec![Anomaly::ContentLengthInvalid]);
    assert_eq!(m.body, b"");
}

#[test]
fn content_length_absent_udp_body_kept() {
    let s = minimal("", "v=0\r\ns=-\r\n");
    let m = parse_message(s.as_bytes()).unwrap();
    assert_eq!(m.content_length, DeclaredLength::Absent);
    assert_eq!(m.content_type, None);
    assert_eq!(m.body, b"v=0\r\ns=-\r\n");
    assert_eq!(m.sdp, Some(0..10));
    assert_eq!(m.anomalies, vec![]);
}

#[test]
fn several_vias_in_one_line_and_on_several_lines() {
    let s = "SIP/2.0 200 OK\r\n\
        Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;received=203.0.113.9;rport=40001, SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2\r\n\
        v: SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bK3;rport\r\n\
        VIA : SIP/2.0/TLS 198.51.100.2;branch=z9hG4bK4 ,SIP/2.0/UDP h;received=192.0.2.1\r\n\
        From: <sip:a@b>;tag=x\r\nTo: <sip:c@d>;tag=y\r\nCall-ID: v@h\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n";
    let m = parse_message(s.as_bytes()).unwrap();
    type Row<'a> = (
        &'a str,
        Host,
        Option<u16>,
        Option<&'a str>,
        Option<&'a str>,
        RPort,
    );
    let got: Vec<Row> = m
        .vias
        .iter()
        .map(|v| {
            (
                v.transport.as_str(),
                v.host.clone(),
                v.port,
                v.branch.as_deref(),
                v.received.as_deref(),
                v.rport,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "UDP",
                ip("10.0.0.5"),
                Some(5060),
                Some("z9hG4bK1"),
                Some("203.0.113.9"),
                RPort::Value(40001)
            ),
            (
                "TCP",
                name("proxy.example.com"),
                None,
                Some("z9hG4bK2"),
                None,
                RPort::Absent
            ),
            (
                "UDP",
                ip("2001:db8::7"),
                Some(5062),
                Some("z9hG4bK3"),
                None,
                RPort::Requested
            ),
            (
                "TLS",
                ip("198.51.100.2"),
                None,
                Some("z9hG4bK4"),
                None,
                RPort::Absent
            ),
            (
                "UDP",
                name("h"),
                None,
                None,
                Some("192.0.2.1"),
                RPort::Absent
            ),
        ]
    );
    assert_eq!(m.vias[3].raw, "SIP/2.0/TLS 198.51.100.2;branch=z9hG4bK4");
    assert_eq!(m.status(), Some(200));
    assert_eq!(
        m.anomalies,
        vec![Anomaly::CompactHeader, Anomaly::SpaceBeforeColon]
    );
}

#[test]
fn response_with_empty_reason() {
    for (line, code) in [("SIP/2.0 180 \r\n", 180u16), ("SIP/2.0 603\r\n", 603)] {
        let s = format!("{line}Via: SIP/2.0/UDP h;branch=z9hG4bKr\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r@h\r\nCSeq: 1 INVITE\r\n\r\n");
        assert!(looks_like_sip(s.as_bytes()));
        let m = parse_message(s.as_bytes()).unwrap();
        assert_eq!(
            m.start,
            StartLine::Response {
                code,
                reason: String::new()
            }
        );
        assert_eq!(m.to.unwrap().tag.as_deref(), Some("2"));
        assert_eq!(m.anomalies, vec![]);
    }
}

#[test]
fn contacts_several_per_line_star_and_expires() {
    let s = minimal(
        "Contact: \"Doe, J\" <sip:j@[2001:db8::4]:5080;transport=tcp>;expires=60, <sip:k@10.1.1.1>;q=0.5\r\nm: sip:l@h;Expires=0\r\nContact: *\r\n",
        "",
    );
    let m = parse_message(s.as_bytes()).unwrap();
    type Row<'a> = (
        Option<&'a str>,
        &'a str,
        Option<Host>,
        Option<u16>,
        Option<u32>,
    );
    let got: Vec<Row> = m
        .contacts
        .iter()
        .map(|c| {
            (
                c.display.as_deref(),
                c.uri.raw.as_str(),
                c.uri.host.clone(),
                c.uri.port,
                c.expires,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some("Doe, J"),
                "sip:j@[2001:db8::4]:5080;transport=tcp",
                Some(ip("2001:db8::4")),
                Some(5080),
                Some(60)
            ),
            (None, "sip:k@10.1.1.1", Some(ip("10.1.1.1")), None, None),
            (None, "sip:l@h", Some(name("h")), None, Some(0)),
            (None, "*", None, None, None),
        ]
    );
    assert_eq!(m.anomalies, vec![Anomaly::CompactHeader]);
}

#[test]
fn tag_inside_angle_brackets_is_a_uri_param() {
    let s = "BYE sip:x@y SIP/2.0\r\nFrom: <sip:a@b;tag=inner>\r\nTo: sip:c@d;tag=outer\r\n\r\n";
    let m = parse_message(s.as_bytes()).unwrap();
    let from = m.from.unwrap();
    assert_eq!(from.tag, None);
    assert_eq!(from.uri.raw, "sip:a@b;tag=inner");
    let to = m.to.unwrap();
    assert_eq!(to.tag.as_deref(), Some("outer"));
    assert_eq!(to.uri.raw, "sip:c@d");
    assert_eq!(m.anomalies, vec![Anomaly::MissingMandatoryHeader]);
}

#[test]
fn junk_before_start_line() {
    let s = b"\r\n\x00\x17junk\r\nINVITE sip:x@y SIP/2.0\r\nCall-ID: j\r\n\r\n";
    let m = parse_message(s).unwrap();
    assert_eq!(m.method(), Some(&Method::Invite));
    assert_eq!(m.headers[0].span, 34..44);
    assert_eq!(&s[34..44], b"Call-ID: j");
    assert_eq!(
        m.anomalies,
        vec![
            Anomaly::JunkBeforeStartLine,
            Anomaly::MissingMandatoryHeader
        ]
    );
    assert_eq!(m.len, s.len());
    // Leading CR/LF alone is not junk.
    let m = parse_message(b"\r\n\r\nOPTIONS sip:x SIP/2.0\r\n\r\n").unwrap();
    assert_eq!(m.anomalies, vec![Anomaly::MissingMandatoryHeader]);
}

#[test]
fn errors_without_a_start_line() {
    assert_eq!(parse_message(b""), Err(SipError::Empty));
    assert_eq!(parse_message(b"\n"), Err(SipError::Keepalive { len: 1 }));
    assert_eq!(
        parse_message(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        Err(SipError::BadStartLine { offset: 0 })
    );
    assert_eq!(
        parse_message(b"\r\nhello"),
        Err(SipError::BadStartLine { offset: 2 })
    );
    let mut far = vec![b'x'; 10];
    far.extend(std::iter::repeat_n(b"junk line\r\n".as_slice(), 300).flatten());
    far.extend_from_slice(b"OPTIONS sip:x SIP/2.0\r\n\r\n");
    assert_eq!(
        parse_message(&far),
        Err(SipError::BadStartLine { offset: 0 })
    );
    let long = vec![b'A'; 3000];
    assert_eq!(
        parse_message(&long),
        Err(SipError::StartLineTooLong {
            offset: 0,
            max: 1024
        })
    );
    assert_eq!(
        SipError::BadStartLine { offset: 3 }.to_string(),
        "no SIP start line at offset 3: not a request or status line"
    );
}

#[test]
fn start_line_only_without_line_end() {
    let m = parse_message(b"OPTIONS sip:x@y SIP/2.0").unwrap();
    assert_eq!(
        m.start,
        StartLine::Request {
            method: Method::Options,
            uri: "sip:x@y".into()
        }
    );
    assert_eq!(m.headers, vec![]);
    assert_eq!(m.body, b"");
    assert_eq!(m.anomalies, vec![Anomaly::MissingMandatoryHeader]);
}

#[test]
fn header_without_colon_and_orphan_continuation() {
    let s = b"OPTIONS sip:x SIP/2.0\r\n orphan: 1\r\nNoColonHere\r\n: empty name\r\nX-A: 1\r\n\r\n";
    let m = parse_message(s).unwrap();
    assert_eq!(m.headers.len(), 1);
    assert_eq!(m.headers[0].name, "X-A");
    assert_eq!(
        m.anomalies,
        vec![Anomaly::HeaderWithoutColon, Anomaly::MissingMandatoryHeader]
    );
}

#[test]
fn too_many_headers_are_bounded() {
    let mut s = b"OPTIONS sip:x SIP/2.0\r\n".to_vec();
    for i in 0..300 {
        s.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
    }
    s.extend_from_slice(b"Content-Length: 2\r\n\r\nab");
    let m = parse_message(&s).unwrap();
    assert_eq!(m.headers.len(), 256);
    assert_eq!(m.headers[255].name, "X-H255");
    assert_eq!(m.content_length, DeclaredLength::Absent);
    assert_eq!(m.body, b"ab");
    assert_eq!(
        m.anomalies,
        vec![Anomaly::TooManyHeaders, Anomaly::MissingMandatoryHeader]
    );
}

#[test]
fn mixed_line_ends_and_lowercase_method_is_extension() {
    let s = b"invite sip:x SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>\r\nCall-ID: m@h\r\nCSeq: 3 invite\r\n\nbody";
    let m = parse_message(s).unwrap();
    assert_eq!(m.method(), Some(&Method::Other("invite".into())));
    assert_eq!(
        m.cseq,
        Some(CSeq {
            seq: 3,
            method: Method::Other("invite".into())
        })
    );
    assert_eq!(m.body, b"body");
    assert_eq!(
        m.anomalies,
        vec![Anomaly::LfLineEnds, Anomaly::ExtensionMethod]
    );
}

#[test]
fn non_utf8_in_start_line_and_body_only_flags_headers() {
    let s = b"SIP/2.0 200 \xffOK\r\nCall-ID: x\r\n\r\n\xff\xfe";
    let m = parse_message(s).unwrap();
    assert_eq!(
        m.start,
        StartLine::Response {
            code: 200,
            reason: "\u{FFFD}OK".into()
        }
    );
    assert_eq!(m.body, b"\xff\xfe");
    assert_eq!(
        m.anomalies,
        vec![Anomaly::NonUtf8, Anomaly::MissingMandatoryHeader]
    );
    // Binary body alone is not an anomaly.
    let s = minimal("Content-Length: 2\r\n", "\u{7f}\u{7f}");
    assert_eq!(parse_message(s.as_bytes()).unwrap().anomalies, vec![]);
}

#[test]
fn sniffing() {
    for yes in [
        &b"INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: x\r\n"[..],
        b"\r\n\r\nOPTIONS sip:x SIP/2.0\r\n",
        b"FOOBAR tel:+4917612345678901234 sip/2.0\n",
        b"SIP/2.0 200 OK\r\n",
        b"SIP/2.0 100 \r\n",
        b"SIP/2.0 486",
        b"REGISTER sips:[2001:db8::1] SIP/2.0",
    ] {
        assert!(looks_like_sip(yes), "{:?}", String::from_utf8_lossy(yes));
    }
    let rtp = [
        0x80u8, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef,
    ];
    let mut long = b"INVITE sip:".to_vec();
    long.extend(std::iter::repeat_n(b'a', 2000));
    long.extend_from_slice(b" SIP/2.0\r\n");
    for no in [
        &b""[..],
        b"\r\n",
        b"hello",
        b"hello\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"POST sip:x HTTP/1.1\r\n",
        &rtp,
        b"INVITE sip:bob@bi",
        b"SIP/2.0 2000 OK\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        &long,
    ] {
        assert!(!looks_like_sip(no), "{:?}", String::from_utf8_lossy(no));
    }
}

#[test]
fn keepalive_detection() {
    assert!(is_keepalive(b"\r\n\r\n"));
    assert!(is_keepalive(b"\r\n"));
    assert!(is_keepalive(b"\n"));
    assert!(!is_keepalive(b""));
    assert!(!is_keepalive(b"\r\n\r\nx"));
    assert!(!is_keepalive(b" \r\n"));
}

/// A tiny deterministic generator, so the robustness test needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn never_panics_on_truncations_and_mutations() {
    let seeds: [&[u8]; 3] = [SURICATA_COMPACT, MULTIPART.as_bytes(), b"SIP/2.0 200 OK\nv: SIP / 2.0 / UDP [::1]:1;rport;received=\"x,y\"\nm: \"a\\\" <sip:[::1\nc: multipart/mixed;boundary=\"\"\n\n--\n"];
    let alphabet = b"\r\n :;,<>\"[]@=\\\t\xff\x00SIP/2.0v=0-lLcmfti";
    let mut rng = Lcg(0x5eed);
    for seed in seeds {
        for k in 0..=seed.len() {
            let _ = parse_message(&seed[..k]);
            let _ = looks_like_sip(&seed[..k]);
            let _ = crate::sip::framing::next_frame(&seed[..k]);
        }
        for _ in 0..3000 {
            let mut b = seed.to_vec();
            for _ in 0..(rng.next() % 8 + 1) {
                let pos = (rng.next() as usize) % (b.len() + 1);
                let c = alphabet[(rng.next() as usize) % alphabet.len()];
                match rng.next() % 3 {
                    0 if pos < b.len() => b[pos] = c,
                    1 => b.insert(pos, c),
                    _ if pos < b.len() => {
                        b.remove(pos);
                    }
                    _ => {}
                }
            }
            if let Ok(m) = parse_message(&b) {
                assert_eq!(m.len, b.len());
                for h in &m.headers {
                    assert!(h.span.end <= b.len() && h.span.start <= h.span.end);
                }
                if let Some(r) = &m.sdp {
                    assert!(r.end <= m.body.len());
                }
                let mut sorted = m.anomalies.clone();
                sorted.sort();
                sorted.dedup();
                assert_eq!(sorted, m.anomalies);
            }
            let _ = looks_like_sip(&b);
            match crate::sip::framing::next_frame(&b) {
                crate::sip::framing::StreamFrame::Message(n)
                | crate::sip::framing::StreamFrame::Junk(n)
                | crate::sip::framing::StreamFrame::Keepalive(n) => {
                    assert!(n >= 1 && n <= b.len())
                }
                crate::sip::framing::StreamFrame::Incomplete => {}
            }
        }
    }
}

#[test]
fn never_panics_on_random_bytes() {
    let alphabet = b"\r\n :;,<>\"[]@=\\\t\xff\x00SIP/2.0INVITE sip:v=0-lLcmfti";
    let mut rng = Lcg(7);
    for _ in 0..5000 {
        let len = (rng.next() % 300) as usize;
        let mut b: Vec<u8> = (0..len)
            .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
            .collect();
        if rng.next() % 2 == 0 {
            let mut with_start = b"INVITE sip:x SIP/2.0\r\n".to_vec();
            with_start.append(&mut b);
            b = with_start;
        }
        let _ = parse_message(&b);
        let _ = looks_like_sip(&b);
        let _ = is_keepalive(&b);
        let _ = crate::sip::framing::next_frame(&b);
    }
}

#[test]
fn framed_tcp_message_parses_with_its_body() {
    let mut stream = SURICATA_COMPACT.to_vec();
    stream.extend_from_slice(b"\r\n");
    // With `l: 4` the frame ends one byte before the datagram's end.
    let crate::sip::framing::StreamFrame::Message(n) = crate::sip::framing::next_frame(&stream)
    else {
        panic!("message expected")
    };
    assert_eq!(n, SURICATA_COMPACT.len() - 1);
    let m = parse_message(&stream[..n]).unwrap();
    assert_eq!(m.body, b"v=0\r");
    assert_eq!(m.anomalies, vec![Anomaly::CompactHeader]);
}
