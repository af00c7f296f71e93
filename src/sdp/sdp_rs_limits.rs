//! What sdp-rs 0.2.1 really does with the SDP real devices send: each test asserts the
//! crate's own behaviour (not ours) for one case. `via_sdp_rs` decides from these when to
//! trust it; if a new sdp-rs release changes one, the test shows which decision to revisit.

use std::convert::TryFrom;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::panic;

use sdp_rs::lines::attribute::Attribute;
use sdp_rs::lines::media::{MediaType, ProtoType};
use sdp_rs::{Error, MediaDescription, SessionDescription};

const HEAD: &str = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
const AUDIO: &str = "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn sdp_rs(text: &str) -> Result<SessionDescription, Error> {
    SessionDescription::try_from(text)
}

/// A body sdp-rs must accept.
fn ok(text: &str) -> SessionDescription {
    match sdp_rs(text) {
        Ok(sd) => sd,
        Err(e) => panic!("sdp-rs refused {text:?}: {e:?}"),
    }
}

/// The only media section of an accepted body.
fn only_media(text: &str) -> MediaDescription {
    let sd = ok(text);
    assert_eq!(sd.media_descriptions.len(), 1, "{text:?}");
    sd.media_descriptions[0].clone()
}

fn media_attrs(text: &str) -> Vec<Attribute> {
    only_media(text).attributes
}

fn other(name: &str, value: Option<&str>) -> Attribute {
    Attribute::Other(name.into(), value.map(Into::into))
}

fn pcmu() -> Attribute {
    Attribute::Rtpmap(sdp_rs::lines::attribute::Rtpmap {
        payload_type: 0,
        encoding_name: "PCMU".into(),
        clock_rate: 8000,
        encoding_params: None,
    })
}

#[test]
fn baseline_is_accepted() {
    let sd = ok(&format!("{HEAD}{AUDIO}"));
    assert_eq!(
        sd.origin.unicast_address,
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))
    );
    let m = &sd.media_descriptions[0].media;
    assert_eq!((m.port, m.num_of_ports), (4000, None));
    assert_eq!(
        (&m.media, &m.proto, m.fmt.as_str()),
        (&MediaType::Audio, &ProtoType::RtpAvp, "0")
    );
    assert_eq!(sd.media_descriptions[0].attributes, vec![pcmu()]);
}

#[test]
fn inactive_is_not_a_direction() {
    // sdp-rs matches the misspelt "inacive", so a=inactive is an unknown attribute.
    let attrs = media_attrs(&format!("{HEAD}{AUDIO}a=inactive\r\n"));
    assert_eq!(attrs, vec![pcmu(), other("inactive", None)]);
}

#[test]
fn the_misspelling_inacive_is_the_inactive_variant() {
    let attrs = media_attrs(&format!("{HEAD}{AUDIO}a=inacive\r\n"));
    assert_eq!(attrs, vec![pcmu(), Attribute::Inactive]);
}

#[test]
fn sendonly_recvonly_sendrecv_are_typed_at_both_levels() {
    let text = format!("{HEAD}a=recvonly\r\n{AUDIO}a=sendonly\r\n");
    let sd = ok(&text);
    assert_eq!(sd.attributes, vec![Attribute::Recvonly]);
    assert_eq!(
        sd.media_descriptions[0].attributes,
        vec![pcmu(), Attribute::Sendonly]
    );
    let sd = ok(&format!("{HEAD}a=sendrecv\r\n{AUDIO}a=recvonly\r\n"));
    assert_eq!(sd.attributes, vec![Attribute::Sendrecv]);
    assert_eq!(
        sd.media_descriptions[0].attributes,
        vec![pcmu(), Attribute::Recvonly]
    );
}

#[test]
fn direction_case_and_trailing_space_are_unknown_attributes() {
    let attrs = media_attrs(&format!("{HEAD}{AUDIO}a=SendOnly\r\na=recvonly \r\n"));
    assert_eq!(
        attrs,
        vec![pcmu(), other("SendOnly", None), other("recvonly ", None)]
    );
}

#[test]
fn lf_only_and_cr_only_line_ends_are_accepted() {
    let crlf = ok(&format!("{HEAD}{AUDIO}a=sendonly\r\n"));
    let lf = ok(&format!("{HEAD}{AUDIO}a=sendonly\r\n").replace("\r\n", "\n"));
    let cr = ok(&format!("{HEAD}{AUDIO}a=sendonly\r\n").replace("\r\n", "\r"));
    assert_eq!(lf, crlf);
    assert_eq!(cr, crlf);
}

#[test]
fn mixed_line_ends_join_lines() {
    // It looks for CRLF first, anywhere ahead: an LF-only line swallows the next ones.
    let text = format!("{HEAD}{AUDIO}a=x-foo:bar\na=sendonly\r\n");
    assert_eq!(
        media_attrs(&text),
        vec![pcmu(), other("x-foo", Some("bar\na=sendonly"))]
    );
    let text = format!("{HEAD}{AUDIO}").replacen("\r\n", "\n", 1);
    assert!(matches!(sdp_rs(&text), Err(Error::TokenizeError(_))));
}

#[test]
fn trailing_whitespace() {
    // In an address: refused. In the m= formats: kept in `fmt`.
    let text = format!("{HEAD}{AUDIO}").replace("IN IP4 192.0.2.1\r\nt", "IN IP4 192.0.2.1 \r\nt");
    assert!(matches!(sdp_rs(&text), Err(Error::ParseError(_))));
    let m = only_media(&format!("{HEAD}m=audio 4000 RTP/AVP 0 \r\n"));
    assert_eq!(m.media.fmt, "0 ");
    // In an rtpmap clock rate: refused.
    assert!(sdp_rs(&format!(
        "{HEAD}m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000 \r\n"
    ))
    .is_err());
}

#[test]
fn missing_v_o_s_or_t_is_refused() {
    let full = format!("{HEAD}{AUDIO}");
    for line in [
        "v=0\r\n",
        "o=- 1 2 IN IP4 192.0.2.1\r\n",
        "s=-\r\n",
        "t=0 0\r\n",
    ] {
        let text = full.replace(line, "");
        assert!(
            matches!(sdp_rs(&text), Err(Error::TokenizeError(_))),
            "{line:?}"
        );
    }
}

#[test]
fn lines_out_of_rfc_order_are_refused() {
    // Session a= before t=, and c= after b= at session level.
    let text = format!("{HEAD}{AUDIO}").replace("t=0 0\r\n", "a=sendrecv\r\nt=0 0\r\n");
    assert!(sdp_rs(&text).is_err());
    let text =
        "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nb=AS:64\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
    assert!(sdp_rs(text).is_err());
    // Two session-level c= lines.
    let text = format!("{HEAD}{AUDIO}").replace("t=0 0", "c=IN IP4 192.0.2.2\r\nt=0 0");
    assert!(sdp_rs(&text).is_err());
}

#[test]
fn fields_are_split_at_single_spaces_only() {
    // Two spaces make an empty field; a tab stays inside a field.
    let sd = ok(&format!("{HEAD}{AUDIO}").replace("o=- 1 2 IN", "o=- 1  IN"));
    assert_eq!(
        (sd.origin.sess_id.as_str(), sd.origin.sess_version.as_str()),
        ("1", "")
    );
    let sd = ok(&format!("{HEAD}{AUDIO}").replace("o=- 1 2 IN IP4", "o=- 1 2 IN I\t4"));
    assert_eq!(sd.origin.addrtype.to_string(), "I\t4");
}

#[test]
fn hold_address_and_ipv6_are_accepted_brackets_are_not() {
    let sd = ok(&format!("{HEAD}{AUDIO}").replace("c=IN IP4 192.0.2.1", "c=IN IP4 0.0.0.0"));
    let c = sd.connection.as_ref().map(|c| c.connection_address.base);
    assert_eq!(c, Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    let sd = ok(&format!("{HEAD}{AUDIO}").replace("c=IN IP4 192.0.2.1", "c=IN IP6 2001:db8::1"));
    let c = sd.connection.as_ref().map(|c| c.connection_address.base);
    assert_eq!(
        c,
        Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)))
    );
    let text = format!("{HEAD}{AUDIO}").replace("c=IN IP4 192.0.2.1", "c=IN IP6 [2001:db8::1]");
    assert!(matches!(sdp_rs(&text), Err(Error::ParseError(_))));
}

#[test]
fn multicast_ttl_is_split_off() {
    let sd =
        ok(&format!("{HEAD}{AUDIO}").replace("c=IN IP4 192.0.2.1", "c=IN IP4 233.252.0.1/127"));
    let c = sd.connection.map(|c| c.connection_address);
    assert_eq!(
        c.map(|a| (a.base, a.ttl)),
        Some((IpAddr::V4(Ipv4Addr::new(233, 252, 0, 1)), Some(127)))
    );
}

#[test]
fn names_and_junk_in_addresses_are_refused() {
    let full = format!("{HEAD}{AUDIO}");
    for (from, to) in [
        (
            "o=- 1 2 IN IP4 192.0.2.1",
            "o=- 1 2 IN IP4 host.example.com",
        ),
        ("c=IN IP4 192.0.2.1", "c=IN IP4 media.example.com"),
        (
            "c=IN IP4 192.0.2.1",
            "c=IN IP4 '/**/OR/**/'1'/**/=/**/'1'--",
        ),
    ] {
        assert!(
            matches!(sdp_rs(&full.replace(from, to)), Err(Error::ParseError(_))),
            "{to}"
        );
    }
}

#[test]
fn t38_image_section_and_attributes_are_unknown_attributes() {
    let text = format!(
        "{HEAD}m=image 5004 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n\
         a=T38FaxFillBitRemoval\r\na=T38FaxRateManagement:transferredTCF\r\n\
         a=T38FaxMaxBuffer:200\r\na=T38FaxMaxDatagram:72\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n"
    );
    let m = only_media(&text);
    assert_eq!((&m.media.media, m.media.port), (&MediaType::Image, 5004));
    assert_eq!(
        (&m.media.proto, m.media.fmt.as_str()),
        (&ProtoType::Other("udptl".into()), "t38")
    );
    assert_eq!(
        m.attributes,
        vec![
            other("T38FaxVersion", Some("0")),
            other("T38MaxBitRate", Some("14400")),
            other("T38FaxFillBitRemoval", None),
            other("T38FaxRateManagement", Some("transferredTCF")),
            other("T38FaxMaxBuffer", Some("200")),
            other("T38FaxMaxDatagram", Some("72")),
            other("T38FaxUdpEC", Some("t38UDPRedundancy")),
        ]
    );
}

#[test]
fn rtcp_and_unknown_attributes_are_unparsed_text() {
    let text = format!(
        "{HEAD}{AUDIO}a=rtcp:5005 IN IP4 192.0.2.1\r\na=x-foo:bar baz\r\na=fmtp:101 0-16\r\n"
    );
    assert_eq!(
        media_attrs(&text),
        vec![
            pcmu(),
            other("rtcp", Some("5005 IN IP4 192.0.2.1")),
            other("x-foo", Some("bar baz")),
            other("fmtp", Some("101 0-16")),
        ]
    );
}

#[test]
fn one_bad_known_attribute_refuses_the_body() {
    let text = format!("{HEAD}{AUDIO}a=ptime:20 \r\n");
    assert!(matches!(sdp_rs(&text), Err(Error::ParseError(_))));
}

#[test]
fn rtpmap_values_wider_than_rtp() {
    // A payload type over 255 is accepted (u32).
    let m = only_media(&format!(
        "{HEAD}m=audio 4000 RTP/AVP 0\r\na=rtpmap:300 PCMU/8000\r\n"
    ));
    assert!(matches!(&m.attributes[0], Attribute::Rtpmap(r) if r.payload_type == 300));
    // Clock rate and channels are signed: "-0" reads as 0.
    let m = only_media(&format!(
        "{HEAD}m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/-0\r\n"
    ));
    assert!(matches!(&m.attributes[0], Attribute::Rtpmap(r) if r.clock_rate == 0));
    let m = only_media(&format!(
        "{HEAD}m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n"
    ));
    assert!(matches!(&m.attributes[0], Attribute::Rtpmap(r) if r.encoding_params == Some(2)));
}

#[test]
fn bandwidth_lines_in_order_are_read() {
    let text = format!("{HEAD}{AUDIO}").replace("t=0 0\r\n", "b=AS:64\r\nt=0 0\r\n");
    assert_eq!(ok(&text).bandwidths.len(), 1);
    let text = format!("{HEAD}m=audio 4000 RTP/AVP 0\r\nb=TIAS:64000\r\na=sendonly\r\n");
    let m = only_media(&text);
    assert_eq!(
        (m.bandwidths.len(), m.attributes),
        (1, vec![Attribute::Sendonly])
    );
}

#[test]
fn a_line_it_does_not_expect_silently_drops_the_rest() {
    // b= after a= in a media section: Ok, but the a=sendonly after it is gone.
    let m = only_media(&format!("{HEAD}{AUDIO}b=AS:64\r\na=sendonly\r\n"));
    assert_eq!((m.bandwidths.len(), m.attributes), (0, vec![pcmu()]));
    // An unknown line type: same.
    assert_eq!(
        media_attrs(&format!("{HEAD}{AUDIO}y=1\r\na=sendonly\r\n")),
        vec![pcmu()]
    );
    // A blank line: same, including a whole second m= section.
    let sd = ok(&format!("{HEAD}{AUDIO}\r\nm=video 5000 RTP/AVP 31\r\n"));
    assert_eq!(sd.media_descriptions.len(), 1);
}

#[test]
fn last_line_without_line_end() {
    // Alone in its section: the body is refused. After another attribute: silently dropped.
    let text = format!("{HEAD}m=audio 4000 RTP/AVP 0\r\na=sendonly");
    assert!(matches!(sdp_rs(&text), Err(Error::TokenizeError(_))));
    assert_eq!(
        media_attrs(&format!("{HEAD}{AUDIO}a=sendonly")),
        vec![pcmu()]
    );
}

#[test]
fn trailing_empty_line_and_nul_padding_are_ignored() {
    let clean = ok(&format!("{HEAD}{AUDIO}"));
    assert_eq!(ok(&format!("{HEAD}{AUDIO}\r\n")), clean);
    assert_eq!(ok(&format!("{HEAD}{AUDIO}\0\0\0\0")), clean);
}

#[test]
fn lossily_decoded_bytes_are_accepted_where_free_text_is_allowed() {
    let body = format!("{HEAD}{AUDIO}")
        .replace("s=-", "s=caf\u{e9}")
        .into_bytes();
    let mut latin1 = body.clone();
    // 'é' in Latin-1 (one byte 0xE9) instead of UTF-8: invalid UTF-8.
    let at = body.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
    latin1.splice(at..at + 2, [0xE9]);
    let text = String::from_utf8_lossy(&latin1);
    assert_eq!(ok(&text).session_name.value(), "caf\u{FFFD}");
}

#[test]
fn m_line_shapes() {
    let m = only_media(&format!("{HEAD}m=audio 4000/2 RTP/AVP 0\r\n"));
    assert_eq!(m.media.num_of_ports, Some(2));
    // No format: refused.
    assert!(sdp_rs(&format!("{HEAD}m=audio 4000 RTP/AVP\r\n")).is_err());
    // A double space before the proto: accepted with an empty proto.
    let m = only_media(&format!("{HEAD}m=audio 4000  RTP/AVP 0\r\n"));
    assert_eq!(
        (&m.media.proto, m.media.fmt.as_str()),
        (&ProtoType::Other(String::new()), "RTP/AVP 0")
    );
}

#[test]
fn out_of_range_repeat_and_zone_times_panic() {
    for extra in ["r=99999999999999999 1 0\r\n", "z=1 99999999999999999d\r\n"] {
        let text = format!("{HEAD}{AUDIO}").replace("t=0 0\r\n", &format!("t=0 0\r\n{extra}"));
        assert!(panic::catch_unwind(|| sdp_rs(&text)).is_err(), "{extra:?}");
    }
    // In range they are fine.
    let text = format!("{HEAD}{AUDIO}").replace("t=0 0\r\n", "t=0 0\r\nr=604800 3600 0 90000\r\n");
    assert_eq!(ok(&text).times.first().repeat.len(), 1);
}

#[test]
fn no_limit_on_sections_or_lines() {
    let mut text = String::from(HEAD);
    for i in 0..2000 {
        text.push_str(&format!(
            "m=audio {} RTP/AVP 0\r\na=sendonly\r\n",
            4000 + 2 * i
        ));
    }
    assert_eq!(ok(&text).media_descriptions.len(), 2000);
}
