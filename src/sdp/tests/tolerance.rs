//! What real devices send that the RFC (or sdp-rs) does not allow, and the limits.

use super::super::model::*;
use super::super::{parse, SdpError};
use super::bodies::G711_OFFER;
use super::{ip, parsed};

/// The G.711 offer with `from` replaced by `to`.
fn offer_with(from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(G711_OFFER);
    assert!(text.contains(from), "{from:?}");
    text.replace(from, to).into_bytes()
}

#[test]
fn not_sdp_is_an_error() {
    let empty = Err(SdpError::NotSdp {
        reason: "empty body",
    });
    assert_eq!(parse(b""), empty);
    assert_eq!(parse(b"\0\0\0\r\n  \n"), empty);
    let none = Err(SdpError::NotSdp {
        reason: "no v=, m= or c= line",
    });
    assert_eq!(parse(b"hello world"), none);
    assert_eq!(
        parse(b"o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=sendrecv\r\n"),
        none
    );
    assert_eq!(parse(b"<xml>c=IN IP4 192.0.2.1</xml>"), none);
    let message = SdpError::NotSdp {
        reason: "empty body",
    }
    .to_string();
    assert_eq!(message, "not an SDP body: empty body");
}

#[test]
fn a_lone_c_m_or_v_line_is_sdp() {
    let sd = parsed(b"c=IN IP4 192.0.2.1", SdpParser::Fallback);
    assert_eq!(sd.connection.map(|c| c.addr), Some(ip("192.0.2.1")));
    let sd = parsed(b"m=audio 4000 RTP/AVP 0\n", SdpParser::Fallback);
    assert_eq!((sd.media.len(), sd.origin), (1, None));
    let sd = parsed(b"v=0\r\n", SdpParser::Fallback);
    assert_eq!(sd.media.len(), 0);
}

#[test]
fn lf_only_and_cr_only_bodies_use_sdp_rs_and_read_the_same() {
    let crlf = parse(G711_OFFER).unwrap();
    for end in ["\n", "\r"] {
        let body = String::from_utf8_lossy(G711_OFFER).replace("\r\n", end);
        assert_eq!(parsed(body.as_bytes(), SdpParser::SdpRs), crlf);
    }
}

#[test]
fn mixed_line_ends_use_the_fallback() {
    let body = offer_with("a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\n");
    let sd = parsed(&body, SdpParser::Fallback);
    assert_eq!(sd.media[0].direction, Some(Direction::SendRecv));
    assert_eq!(sd.media[0].rtpmaps.len(), 1);
}

#[test]
fn missing_s_and_t_lines() {
    let body = offer_with("s=call\r\n", "");
    let sd = parsed(&body, SdpParser::Fallback);
    assert_eq!(sd.media[0].port, 5094);
    let body = offer_with("t=0 0\r\n", "");
    let sd = parsed(&body, SdpParser::Fallback);
    assert_eq!(sd.connection.map(|c| c.addr), Some(ip("127.0.0.1")));
    assert_eq!(sd.media[0].direction, Some(Direction::SendRecv));
}

#[test]
fn extra_and_trailing_spaces() {
    // A trailing space after a direction: sdp-rs keeps it as an unknown attribute, we trim.
    let sd = parsed(&offer_with("a=sendrecv", "a=sendrecv "), SdpParser::SdpRs);
    assert_eq!(sd.media[0].direction, Some(Direction::SendRecv));
    // In an address sdp-rs refuses; the raw text keeps the space.
    let sd = parsed(
        &offer_with("c=IN IP4 127.0.0.1", "c=IN  IP4 127.0.0.1 "),
        SdpParser::Fallback,
    );
    let c = sd.connection.unwrap();
    assert_eq!(
        (c.addr, c.raw.as_str()),
        (ip("127.0.0.1"), "IN  IP4 127.0.0.1 ")
    );
    // A double space before the proto (sdp-rs: empty proto) and indented lines.
    let body = offer_with("m=audio 5094 RTP/AVP 0", "m=audio 5094  RTP/AVP  0 ");
    let sd = parsed(&body, SdpParser::Fallback);
    assert_eq!(
        (sd.media[0].proto.as_str(), sd.media[0].formats.clone()),
        ("RTP/AVP", vec!["0".to_string()])
    );
    let sd = parsed(
        &offer_with("a=sendrecv", "  a=sendrecv"),
        SdpParser::Fallback,
    );
    assert_eq!(sd.media[0].direction, Some(Direction::SendRecv));
}

#[test]
fn attribute_case_variants() {
    let sd = parsed(&offer_with("a=sendrecv", "a=SendOnly"), SdpParser::SdpRs);
    assert_eq!(sd.media[0].direction, Some(Direction::SendOnly));
    let sd = parsed(
        &offer_with("a=sendrecv", "a=t38FaxVersion:1"),
        SdpParser::SdpRs,
    );
    assert_eq!(
        sd.media[0].t38,
        vec![("t38FaxVersion".to_string(), "1".to_string())]
    );
}

#[test]
fn misspelt_inactive_is_no_direction() {
    // sdp-rs reads `a=inacive` as its Inactive variant; neither path takes it as one.
    let sd = parsed(&offer_with("a=sendrecv", "a=inacive"), SdpParser::SdpRs);
    assert_eq!(sd.media[0].direction, None);
}

#[test]
fn trailing_empty_line_nul_padding_and_no_final_line_end() {
    let clean = parse(G711_OFFER).unwrap();
    let mut body = G711_OFFER.to_vec();
    body.extend_from_slice(b"\r\n");
    assert_eq!(parsed(&body, SdpParser::SdpRs), clean);
    let mut body = G711_OFFER.to_vec();
    body.extend_from_slice(&[0; 16]);
    assert_eq!(parsed(&body, SdpParser::SdpRs), clean);
    let body = &G711_OFFER[..G711_OFFER.len() - 2];
    let sd = parsed(body, SdpParser::Fallback);
    assert_eq!(
        SessionDescription {
            parsed_by: SdpParser::SdpRs,
            ..sd
        },
        clean
    );
}

#[test]
fn non_utf8_bytes() {
    // In the session name: harmless, sdp-rs reads it.
    let mut body = offer_with("s=call", "s=caf\u{e9}");
    let at = body.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
    body.splice(at..at + 2, [0xE9]);
    assert_eq!(parsed(&body, SdpParser::SdpRs).media[0].port, 5094);
    // In an address: no address, raw text with U+FFFD.
    let mut body = G711_OFFER.to_vec();
    let at = body.windows(9).position(|w| w == b"127.0.0.1").unwrap();
    body[at + 1] = 0xFF;
    let sd = parsed(&body, SdpParser::Fallback);
    assert_eq!(sd.origin.unwrap().addr, None);
    let c = sd.connection.unwrap();
    assert_eq!(
        (c.addr, c.raw.as_str()),
        (ip("127.0.0.1"), "IN IP4 127.0.0.1")
    );
}

#[test]
fn names_instead_of_addresses() {
    let body = offer_with(
        "alice 1 1 IN IP4 127.0.0.1",
        "alice 1 1 IN IP4 pc33.atlanta.example.com",
    );
    let sd = parsed(&body, SdpParser::Fallback);
    let origin = sd.origin.unwrap();
    assert_eq!(
        (
            origin.username.as_str(),
            origin.session_version.as_str(),
            origin.addr
        ),
        ("alice", "1", None)
    );
    let sd = parsed(
        &offer_with("c=IN IP4 127.0.0.1", "c=IN IP4 media.example.com"),
        SdpParser::Fallback,
    );
    assert_eq!(sd.media_addr(&sd.media[0]), None);
    // Family mismatch and an unknown nettype: no address.
    let sd = parsed(
        &offer_with("c=IN IP4 127.0.0.1", "c=IN IP4 2001:db8::1"),
        SdpParser::SdpRs,
    );
    assert_eq!(sd.connection.unwrap().addr, None);
    let sd = parsed(
        &offer_with("c=IN IP4 127.0.0.1", "c=ATM NSAP 127.0.0.1"),
        SdpParser::SdpRs,
    );
    assert_eq!(sd.connection.unwrap().addr, None);
}

#[test]
fn multicast_connection_and_port_count() {
    let body = offer_with("c=IN IP4 127.0.0.1", "c=IN IP4 233.252.0.1/127/2");
    let sd = parsed(&body, SdpParser::SdpRs);
    let c = sd.connection.unwrap();
    assert_eq!(
        (c.addr, c.raw.as_str()),
        (ip("233.252.0.1"), "IN IP4 233.252.0.1/127/2")
    );
    let sd = parsed(
        &offer_with("c=IN IP4 127.0.0.1", "c=IN IP6 ff15::101/3"),
        SdpParser::SdpRs,
    );
    assert_eq!(sd.connection.unwrap().addr, ip("ff15::101"));
    let sd = parsed(&offer_with("5094 RTP", "5094/2 RTP"), SdpParser::SdpRs);
    assert_eq!((sd.media[0].port, sd.media[0].port_count), (5094, 2));
    let sd = parsed(&offer_with("5094 RTP", "5094/300 RTP"), SdpParser::Fallback);
    assert_eq!((sd.media[0].port, sd.media[0].port_count), (5094, 300));
    let sd = parsed(&offer_with("5094 RTP", "70000 RTP"), SdpParser::Fallback);
    assert_eq!(
        (sd.media[0].port, sd.media[0].raw.as_str()),
        (0, "audio 70000 RTP/AVP 0")
    );
}

#[test]
fn media_level_connection_overrides_session_level() {
    let body = offer_with(
        "RTP/AVP 0\r\n",
        "RTP/AVP 0\r\nc=IN IP4 198.51.100.7\r\nc=IN IP4 198.51.100.8\r\n",
    );
    let sd = parsed(&body, SdpParser::SdpRs);
    let m = &sd.media[0];
    assert_eq!(
        m.connection.as_ref().map(|c| c.raw.as_str()),
        Some("IN IP4 198.51.100.7")
    );
    assert_eq!(sd.media_addr(m), ip("198.51.100.7"));
    assert_eq!(sd.connection.unwrap().addr, ip("127.0.0.1"));
}

#[test]
fn session_and_media_directions() {
    let body = offer_with("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n");
    let body = String::from_utf8_lossy(&body).replace("a=sendrecv\r\n", "");
    let sd = parsed(body.as_bytes(), SdpParser::SdpRs);
    assert_eq!(
        (sd.direction, sd.media[0].direction),
        (Some(Direction::SendOnly), None)
    );
    assert_eq!(sd.media_direction(&sd.media[0]), Direction::SendOnly);
    // Media level wins; the first of two wins.
    let body = offer_with("t=0 0\r\n", "t=0 0\r\na=inactive\r\n");
    let body =
        String::from_utf8_lossy(&body).replace("a=sendrecv\r\n", "a=recvonly\r\na=sendonly\r\n");
    let sd = parsed(body.as_bytes(), SdpParser::SdpRs);
    assert_eq!(sd.direction, Some(Direction::Inactive));
    assert_eq!(sd.media_direction(&sd.media[0]), Direction::RecvOnly);
}

#[test]
fn rtcp_attribute() {
    let sd = parsed(
        &offer_with("a=sendrecv", "a=rtcp:5095 IN IP4 192.0.2.1"),
        SdpParser::SdpRs,
    );
    assert_eq!(
        sd.media[0].rtcp,
        Some(RtcpAttr {
            port: 5095,
            addr: ip("192.0.2.1")
        })
    );
    let sd = parsed(&offer_with("a=sendrecv", "a=rtcp:5095"), SdpParser::SdpRs);
    assert_eq!(
        sd.media[0].rtcp,
        Some(RtcpAttr {
            port: 5095,
            addr: None
        })
    );
    let sd = parsed(
        &offer_with("a=sendrecv", "a=rtcp:5095 IN IP6 2001:db8::9"),
        SdpParser::SdpRs,
    );
    assert_eq!(
        sd.media[0].rtcp,
        Some(RtcpAttr {
            port: 5095,
            addr: ip("2001:db8::9")
        })
    );
    let sd = parsed(
        &offer_with("a=sendrecv", "a=rtcp:x\r\na=rtcp:5097 IN IP4 host"),
        SdpParser::SdpRs,
    );
    assert_eq!(
        sd.media[0].rtcp,
        Some(RtcpAttr {
            port: 5097,
            addr: None
        })
    );
}

#[test]
fn rtpmap_shapes() {
    let sd = parsed(&offer_with("PCMU/8000", "opus/48000/2"), SdpParser::SdpRs);
    let r = &sd.media[0].rtpmaps[0];
    assert_eq!(
        (r.encoding.as_str(), r.clock_rate, r.channels),
        ("opus", 48000, Some(2))
    );
    // Payload type over 255: sdp-rs reads it, our model cannot; the fallback drops it.
    let sd = parsed(&offer_with("rtpmap:0 ", "rtpmap:300 "), SdpParser::Fallback);
    assert_eq!(sd.media[0].rtpmaps, vec![]);
    // A trailing space after the clock rate: sdp-rs refuses the body.
    let sd = parsed(&offer_with("PCMU/8000", "PCMU/8000 "), SdpParser::Fallback);
    assert_eq!(sd.media[0].rtpmaps[0].clock_rate, 8000);
}

#[test]
fn lines_sdp_rs_would_drop_silently() {
    for (from, to) in [
        ("a=sendrecv", "b=AS:64\r\na=sendrecv"),
        ("a=sendrecv", "y=unknown\r\na=sendrecv"),
        ("a=sendrecv", "\r\na=sendrecv"),
    ] {
        let sd = parsed(&offer_with(from, to), SdpParser::Fallback);
        assert_eq!(sd.media[0].direction, Some(Direction::SendRecv), "{to:?}");
    }
}

#[test]
fn repeat_and_zone_lines_go_to_the_fallback_without_panic() {
    let sd = parsed(
        &offer_with(
            "t=0 0\r\n",
            "t=0 0\r\nr=99999999999999999 1 0\r\nz=1 99999999999999999d\r\n",
        ),
        SdpParser::Fallback,
    );
    assert_eq!(sd.media[0].port, 5094);
}

#[test]
fn bounded_work() {
    let mut body = String::from("v=0\r\nc=IN IP4 192.0.2.1\r\n");
    for i in 0..100 {
        body.push_str(&format!(
            "m=audio {} RTP/AVP 0\r\na=sendonly\r\n",
            4000 + 2 * i
        ));
    }
    let sd = parsed(body.as_bytes(), SdpParser::Fallback);
    assert_eq!(sd.media.len(), 64);
    assert_eq!(sd.media[63].port, 4126);

    let mut body = String::from("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n");
    body.push_str(&"a=rtpmap:0 PCMU/8000\r\n".repeat(5000));
    let sd = parsed(body.as_bytes(), SdpParser::Fallback);
    assert_eq!(sd.media[0].rtpmaps.len(), 1021);

    // 64 sections and 1024 lines exactly: still sdp-rs.
    let mut body = String::from("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");
    for i in 0..64 {
        body.push_str(&format!("m=audio {} RTP/AVP 0\r\n", 4000 + 2 * i));
    }
    body.push_str(&"a=x\r\n".repeat(1024 - 68));
    assert_eq!(parsed(body.as_bytes(), SdpParser::SdpRs).media.len(), 64);

    // One huge line.
    let mut body = G711_OFFER.to_vec();
    body.extend_from_slice(b"a=x-pad:");
    body.extend(std::iter::repeat_n(b'x', 1 << 20));
    let sd = parsed(&body, SdpParser::Fallback);
    assert_eq!(sd.media[0].direction, Some(Direction::SendRecv));
}
