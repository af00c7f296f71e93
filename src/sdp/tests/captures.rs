//! Exact values for every real body in `bodies`, and the model's helpers on them.

use super::super::model::*;
use super::bodies::*;
use super::{ip, parsed};

fn rtpmap(payload_type: u8, encoding: &str, clock_rate: u32, channels: Option<u16>) -> RtpMap {
    RtpMap {
        payload_type,
        encoding: encoding.to_string(),
        clock_rate,
        channels,
    }
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

#[test]
fn g711_offer() {
    let sd = parsed(G711_OFFER, SdpParser::SdpRs);
    let expected = SessionDescription {
        origin: Some(Origin {
            username: "alice".into(),
            session_id: "1".into(),
            session_version: "1".into(),
            addr: ip("127.0.0.1"),
            raw: "alice 1 1 IN IP4 127.0.0.1".into(),
        }),
        connection: Some(Connection {
            addr: ip("127.0.0.1"),
            raw: "IN IP4 127.0.0.1".into(),
        }),
        direction: None,
        media: vec![MediaDescription {
            kind: MediaKind::Audio,
            port: 5094,
            port_count: 1,
            proto: "RTP/AVP".into(),
            formats: strings(&["0"]),
            connection: None,
            rtcp: None,
            direction: Some(Direction::SendRecv),
            rtpmaps: vec![rtpmap(0, "PCMU", 8000, None)],
            t38: vec![],
            raw: "audio 5094 RTP/AVP 0".into(),
        }],
        parsed_by: SdpParser::SdpRs,
    };
    assert_eq!(sd, expected);
    let m = &sd.media[0];
    assert_eq!(sd.media_addr(m), ip("127.0.0.1"));
    assert_eq!(
        sd.media_connection(m).map(|c| c.raw.as_str()),
        Some("IN IP4 127.0.0.1")
    );
    assert_eq!(sd.media_direction(m), Direction::SendRecv);
    assert_eq!(sd.clock_rate(m, 0), Some(8000));
}

#[test]
fn g711_answer() {
    let sd = parsed(G711_ANSWER, SdpParser::SdpRs);
    let origin = sd.origin.as_ref().unwrap();
    assert_eq!(
        (origin.username.as_str(), origin.session_id.as_str()),
        ("bob", "2")
    );
    assert_eq!(origin.raw, "bob 2 1 IN IP4 127.0.0.1");
    let m = &sd.media[0];
    assert_eq!((m.port, m.formats.clone()), (5084, strings(&["0"])));
    assert_eq!(m.raw, "audio 5084 RTP/AVP 0");
    assert_eq!(sd.media_addr(m), ip("127.0.0.1"));
    assert_eq!(sd.media_direction(m), Direction::SendRecv);
    assert_eq!(sd.clock_rate(m, 0), Some(8000));
}

#[test]
fn t38_reinvite() {
    let sd = parsed(T38_REINVITE, SdpParser::SdpRs);
    let origin = sd.origin.as_ref().unwrap();
    assert_eq!(
        (
            origin.username.as_str(),
            origin.session_id.as_str(),
            origin.session_version.as_str()
        ),
        ("-", "191", "1228500780")
    );
    assert_eq!(origin.addr, ip("10.23.1.52"));
    assert_eq!(sd.media.len(), 1);
    let m = &sd.media[0];
    assert_eq!(m.kind, MediaKind::Image);
    assert_eq!(
        (m.port, m.port_count, m.proto.as_str()),
        (16756, 1, "udptl")
    );
    assert_eq!(m.formats, strings(&["t38"]));
    assert_eq!((m.rtpmaps.len(), m.t38.len(), m.direction), (0, 0, None));
    assert_eq!(m.raw, "image 16756 udptl t38");
    assert_eq!(sd.media_addr(m), ip("10.23.1.52"));
    assert_eq!(sd.media_direction(m), Direction::SendRecv);
    // No RTP payload types in a UDPTL section: nothing from rtpmap, only the static table.
    assert_eq!(sd.clock_rate(m, 96), None);

    let hop = parsed(T38_REINVITE_PUBLIC_HOP, SdpParser::SdpRs);
    let m = &hop.media[0];
    assert_eq!((m.kind.clone(), m.port), (MediaKind::Image, 15580));
    assert_eq!(hop.media_addr(m), ip("138.132.169.101"));
    assert_eq!(
        hop.origin.unwrap().raw,
        "- 191 1228500780 IN IP4 138.132.169.101"
    );
}

#[test]
fn t38_attributes() {
    let sd = parsed(T38_REINVITE_WITH_ATTRIBUTES, SdpParser::SdpRs);
    let m = &sd.media[0];
    assert_eq!(
        (m.kind.clone(), m.port, m.proto.as_str()),
        (MediaKind::Image, 18002, "udptl")
    );
    let t38: Vec<(&str, &str)> = m
        .t38
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        t38,
        vec![
            ("T38FaxVersion", "0"),
            ("T38MaxBitRate", "14400"),
            ("T38FaxRateManagement", "transferredTCF"),
            ("T38FaxMaxBuffer", "200"),
            ("T38FaxMaxDatagram", "320"),
            ("T38FaxUdpEC", "t38UDPRedundancy"),
        ]
    );
    assert_eq!(sd.media_addr(m), ip("192.0.2.20"));
}

#[test]
fn hold_inactive() {
    let sd = parsed(HOLD_INACTIVE, SdpParser::SdpRs);
    let c = sd.connection.as_ref().unwrap();
    assert_eq!((c.addr, c.raw.as_str()), (ip("0.0.0.0"), "IN IP4 0.0.0.0"));
    assert!(c.is_hold_address());
    assert_eq!(sd.origin.as_ref().unwrap().addr, ip("192.168.8.183"));
    // a=rtcp-xr is not a=rtcp, and sits at session level anyway.
    assert_eq!(sd.direction, None);
    let m = &sd.media[0];
    assert_eq!(
        (m.port, m.proto.as_str(), m.formats.clone()),
        (0, "RTP/AVP", strings(&["0"]))
    );
    assert_eq!(
        (m.direction, m.rtcp.clone()),
        (Some(Direction::Inactive), None)
    );
    assert_eq!(sd.media_direction(m), Direction::Inactive);
    assert!(!sd.media_direction(m).sends() && !sd.media_direction(m).receives());
    assert_eq!(sd.media_addr(m), ip("0.0.0.0"));
    assert_eq!(sd.clock_rate(m, 0), Some(8000));
}

#[test]
fn recvonly_offer_and_sendonly_answer() {
    let offer = parsed(RECVONLY_OFFER, SdpParser::SdpRs);
    let m = &offer.media[0];
    assert_eq!((m.port, m.direction), (6000, Some(Direction::RecvOnly)));
    assert_eq!(offer.media_direction(m), Direction::RecvOnly);
    assert_eq!(offer.media_addr(m), ip("10.0.2.20"));
    assert_eq!(offer.clock_rate(m, 0), Some(8000));

    let answer = parsed(SENDONLY_ANSWER, SdpParser::SdpRs);
    let origin = answer.origin.as_ref().unwrap();
    assert_eq!(
        (
            origin.username.as_str(),
            origin.session_id.as_str(),
            origin.session_version.as_str()
        ),
        ("FreeSWITCH", "1480144037", "1480144038")
    );
    let m = &answer.media[0];
    assert_eq!((m.port, m.formats.clone()), (27942, strings(&["0", "101"])));
    assert_eq!(
        m.rtpmaps,
        vec![
            rtpmap(0, "PCMU", 8000, None),
            rtpmap(101, "telephone-event", 8000, None)
        ]
    );
    assert_eq!(answer.media_direction(m), Direction::SendOnly);
    assert_eq!(answer.media_addr(m), ip("10.0.2.15"));
    assert_eq!(answer.clock_rate(m, 101), Some(8000));
    assert_eq!(answer.clock_rate(m, 102), None);
}

#[test]
fn ipv6_offer() {
    // sdp-rs refuses the bracketed o= address; the fallback reads it.
    let sd = parsed(IPV6_OFFER, SdpParser::Fallback);
    let origin = sd.origin.as_ref().unwrap();
    assert_eq!(origin.addr, ip("fd17:625c:f037:2:a00:27ff:feb9:1521"));
    assert_eq!(
        origin.raw,
        "user1 53655765 2353687637 IN IP6 [fd17:625c:f037:2:a00:27ff:feb9:1521]"
    );
    let c = sd.connection.as_ref().unwrap();
    assert_eq!(c.addr, ip("fd17:625c:f037:2:a00:27ff:feb9:1521"));
    assert_eq!(c.raw, "IN IP6 fd17:625c:f037:2:a00:27ff:feb9:1521");
    let m = &sd.media[0];
    assert_eq!(m.formats, strings(&["100", "101", "0", "120", "121"]));
    assert_eq!(
        m.rtpmaps,
        vec![
            rtpmap(100, "AMR-WB", 16000, None),
            rtpmap(101, "AMR-WB", 16000, None),
            rtpmap(110, "AMR", 8000, None),
            rtpmap(111, "AMR", 8000, None),
            rtpmap(0, "PCMU", 8000, None),
            rtpmap(120, "telephone-event", 8000, None),
            rtpmap(121, "telephone-event", 16000, None),
        ]
    );
    assert_eq!((m.direction, sd.direction), (None, None));
    assert_eq!(sd.media_direction(m), Direction::SendRecv);
    assert_eq!(sd.media_addr(m), ip("fd17:625c:f037:2:a00:27ff:feb9:1521"));
    assert_eq!(sd.clock_rate(m, 100), Some(16000));
    assert_eq!(sd.clock_rate(m, 121), Some(16000));
}

#[test]
fn sql_injection_in_c_line() {
    let sd = parsed(SQL_INJECTION, SdpParser::Fallback);
    let c = sd.connection.as_ref().unwrap();
    assert_eq!(
        (c.addr, c.raw.as_str()),
        (None, "IN IP4 '/**/OR/**/'1'/**/=/**/'1'--")
    );
    assert!(!c.is_hold_address());
    assert_eq!(sd.origin.as_ref().unwrap().addr, ip("179.43.150.26"));
    assert_eq!(sd.media.len(), 2);
    let (audio, video) = (&sd.media[0], &sd.media[1]);
    assert_eq!(
        (audio.kind.clone(), audio.port, audio.formats.len()),
        (MediaKind::Audio, 20002, 14)
    );
    assert_eq!(audio.rtpmaps.len(), 14);
    assert_eq!(
        audio.rtpmaps[13],
        rtpmap(101, "telephone-event", 8000, None)
    );
    assert_eq!(sd.media_direction(audio), Direction::SendRecv);
    assert_eq!((video.kind.clone(), video.port), (MediaKind::Video, 43000));
    assert_eq!(video.formats, strings(&["34", "115", "125", "120"]));
    // `a=sendrend` (sic, last line, no line end) is no direction.
    assert_eq!(video.direction, None);
    assert_eq!(sd.clock_rate(video, 125), Some(90000));
    assert_eq!(sd.media_addr(audio), None);
    assert_eq!(sd.media_addr(video), None);
}

#[test]
fn compact_form_invite() {
    // r= and z= lines: kept away from sdp-rs (it can panic on them).
    let sd = parsed(COMPACT_FORM, SdpParser::Fallback);
    let origin = sd.origin.as_ref().unwrap();
    assert_eq!(origin.raw, "SIPPS 105015165 105015162 IN IP4 192.168.1.2");
    assert_eq!(
        (
            origin.username.as_str(),
            origin.session_id.as_str(),
            origin.session_version.as_str()
        ),
        ("SIPPS", "105015165", "105015162")
    );
    assert_eq!(origin.addr, ip("192.168.1.2"));
    assert_eq!(sd.direction, Some(Direction::SendRecv));
    let m = &sd.media[0];
    assert_eq!(
        (m.port, m.formats.clone()),
        (30000, strings(&["0", "8", "97", "2", "3"]))
    );
    assert_eq!(m.rtpmaps, vec![rtpmap(0, "pcmu", 8000, None)]);
    assert_eq!(m.direction, None);
    assert_eq!(sd.media_direction(m), Direction::SendRecv);
    assert_eq!(sd.media_addr(m), ip("192.168.1.2"));
    assert_eq!(sd.clock_rate(m, 8), Some(8000));
    assert_eq!(sd.clock_rate(m, 97), None);
}
