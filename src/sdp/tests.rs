//! Tests of [`super::parse`]: real bodies from the fixture captures (`captures`), what real
//! devices send that the RFC does not allow (`tolerance`), and the two parsers run on the
//! same inputs and compared (`differential`).

mod bodies;
mod captures;
mod differential;
mod tolerance;

use std::net::IpAddr;

use super::model::{SdpParser, SessionDescription};
use super::{fallback, parse, scan, via_sdp_rs};

/// Both parsers on `body`: the sdp-rs path (`None` where it does not trust itself) and the
/// fallback, both marked as parsed by the fallback so they compare equal.
fn both(body: &[u8]) -> (Option<SessionDescription>, SessionDescription) {
    let decoded = String::from_utf8_lossy(body);
    let text = scan::text_of(&decoded);
    let lines = scan::scan(text);
    let via = via_sdp_rs::parse(text, &lines).map(|mut sd| {
        assert_eq!(sd.parsed_by, SdpParser::SdpRs);
        sd.parsed_by = SdpParser::Fallback;
        sd
    });
    (via, fallback::parse(&lines))
}

/// Parses `body`, asserting that it is SDP, that `parsed_by` is `by`, and (where sdp-rs
/// answers) that both parsers agree.
fn parsed(body: &[u8], by: SdpParser) -> SessionDescription {
    let sd = parse(body).expect("an SDP body");
    assert_eq!(sd.parsed_by, by, "{}", String::from_utf8_lossy(body));
    let (via, fallback) = both(body);
    assert_eq!(via.is_some(), by == SdpParser::SdpRs);
    if let Some(via) = via {
        assert_eq!(via, fallback, "sdp-rs and fallback disagree");
    }
    sd
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().expect("an address literal"))
}
