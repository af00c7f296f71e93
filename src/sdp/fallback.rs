//! The tolerant line parser: used whenever sdp-rs refuses a body or could have misread it
//! (see [`super::via_sdp_rs`]).
//!
//! It reads the lines the scanner found, in any order, and never fails: a line it cannot read
//! leaves its field empty (`None`, port 0, no rtpmap) and the raw text is kept where the
//! model has room for it. It accepts what real devices send and sdp-rs does not: missing
//! `v=`/`o=`/`s=`/`t=` lines, LF-only or mixed line ends, extra or trailing spaces, lines
//! in the wrong order, unknown line types, names instead of addresses, bracketed IPv6.
//! It does no indexing and no arithmetic on input data, and its work is bounded by the
//! scanner's limits (1024 lines, 64 m= sections).

use super::fields::{self, Attr};
use super::model::{SdpParser, SessionDescription};
use super::scan::{first, Scan};

/// Builds the description from scanned lines.
pub(super) fn parse(scan: &Scan<'_>) -> SessionDescription {
    let mut direction = None;
    for l in scan.session.iter().filter(|l| l.kind == b'a') {
        let (name, value) = fields::split_attr(l.value);
        if let Attr::Direction(d) = fields::classify(name, value) {
            direction.get_or_insert(d);
        }
    }
    let media = scan
        .media
        .iter()
        .map(|section| {
            let mut m = fields::media_line(section.m);
            m.connection = first(&section.lines, b'c').map(fields::connection);
            for l in section.lines.iter().filter(|l| l.kind == b'a') {
                let (name, value) = fields::split_attr(l.value);
                fields::apply_media(&mut m, fields::classify(name, value));
            }
            m
        })
        .collect();
    SessionDescription {
        origin: scan.session_line(b'o').map(fields::origin),
        connection: scan.session_line(b'c').map(fields::connection),
        direction,
        media,
        parsed_by: SdpParser::Fallback,
    }
}
