//! The sdp-rs 0.2.1 path: parse with `sdp_rs::SessionDescription::try_from(&str)` and convert
//! its types into ours, but only where the measurements in `sdp_rs_limits` say it can be
//! trusted. [`parse`] returns `None` (use the fallback) when:
//!
//! - the body has an `r=` or `z=` line: sdp-rs turns their times into chrono durations that
//!   panic when out of range (`r=99999999999999999 1 0` aborts the parse with a panic);
//! - the body is over the scanner's limits or [`MAX_BYTES`]: sdp-rs has no limits, and on
//!   LF-only text it searches the rest of the body for a CRLF at every line (quadratic);
//! - sdp-rs refuses the body (missing `s=`/`t=`, a name in `c=`/`o=`, trailing spaces in an
//!   address, a last line without line end, lines out of RFC order, ...);
//! - the body mixes line ends (CRLF and bare LF, say): sdp-rs then reads several lines as
//!   one;
//! - sdp-rs accepted it but did not read every line: it stops silently at the first line it
//!   does not expect (an unknown type like `y=`, `b=` after `a=`, a blank line) and drops
//!   the rest. This is detected by counting the lines it represents against the lines the
//!   scanner found;
//! - a value does not fit our model (payload type over 255, negative clock rate), or an
//!   `o=`, `c=` or `m=` line is not single-spaced (sdp-rs reads two spaces as an empty field,
//!   an m= line with an empty proto for instance, and keeps a tab inside a field).
//!
//! What sdp-rs does not represent, or represents wrongly, is read through the shared rules
//! of [`super::fields`]: `a=inactive` (sdp-rs 0.2.1 only recognises the misspelt `inacive`
//! and returns `Other("inactive")`), case variants and trailing spaces of direction
//! attributes, `a=rtcp` and `T38...` attributes (`Other`). The raw text of `o=`, `c=` and
//! `m=` comes from the scanned lines: sdp-rs keeps no raw text and re-formats addresses.

use std::convert::TryFrom;
use std::panic;

use sdp_rs::lines::Attribute;

use super::fields::{self, Attr};
use super::model::{
    Connection, Direction, MediaDescription, MediaKind, Origin, RtpMap, SdpParser,
    SessionDescription,
};
use super::scan::{first, Scan};

/// Bodies larger than this go to the fallback (real SDP is well under 8 KiB).
pub(super) const MAX_BYTES: usize = 16 * 1024;

/// Parses `text` (whose scan is `scan`) with sdp-rs, or `None` when it cannot be trusted.
pub(super) fn parse(text: &str, scan: &Scan<'_>) -> Option<SessionDescription> {
    if scan.truncated
        || scan.has_repeat_or_zone
        || text.len() > MAX_BYTES
        || !one_kind_of_line_end(text)
    {
        return None;
    }
    // The r=/z= screen above avoids the panics we know of; this keeps an unknown one in a
    // later 0.2.x from taking the capture down with it.
    let sd = panic::catch_unwind(|| sdp_rs::SessionDescription::try_from(text))
        .ok()?
        .ok()?;
    if lines_read(&sd) != scan.lines || sd.media_descriptions.len() != scan.media.len() {
        return None;
    }
    let origin = &sd.origin;
    let origin = Origin {
        username: origin.username.clone(),
        session_id: origin.sess_id.clone(),
        session_version: origin.sess_version.clone(),
        addr: fields::typed_addr(
            &origin.nettype.to_string(),
            &origin.addrtype.to_string(),
            origin.unicast_address,
        ),
        raw: spaced(scan.session_line(b'o')?)?.to_string(),
    };
    let connection = match &sd.connection {
        Some(c) => Some(connection(c, spaced(scan.session_line(b'c')?)?)),
        None => None,
    };
    let mut direction = None;
    for a in &sd.attributes {
        if let Attr::Direction(d) = attr(a)? {
            direction.get_or_insert(d);
        }
    }
    let media = sd
        .media_descriptions
        .iter()
        .zip(&scan.media)
        .map(|(m, section)| media(m, section.m, first(&section.lines, b'c')))
        .collect::<Option<Vec<_>>>()?;
    Some(SessionDescription {
        origin: Some(origin),
        connection,
        direction,
        media,
        parsed_by: SdpParser::SdpRs,
    })
}

/// Whether every line end is CRLF, or every one LF, or every one CR. sdp-rs looks for the
/// next CRLF anywhere ahead (then CR, then LF), so with mixed ends it reads several lines as
/// one, and a line swallowed that way is not always visible in the line count.
fn one_kind_of_line_end(text: &str) -> bool {
    let crlf = text.matches("\r\n").count();
    let cr = text.matches('\r').count().saturating_sub(crlf);
    let lf = text.matches('\n').count().saturating_sub(crlf);
    [crlf, cr, lf].iter().filter(|&&n| n > 0).count() <= 1
}

/// The number of lines sdp-rs represents (each of its values is one line, a `t=` with its
/// `r=`/`z=` lines excepted).
fn lines_read(sd: &sdp_rs::SessionDescription) -> usize {
    let times: usize = sd
        .times
        .iter()
        .map(|t| 1 + t.repeat.len() + usize::from(t.zone.is_some()))
        .sum();
    let media: usize = sd
        .media_descriptions
        .iter()
        .map(|m| {
            1 + usize::from(m.info.is_some())
                + m.connections.len()
                + m.bandwidths.len()
                + usize::from(m.key.is_some())
                + m.attributes.len()
        })
        .sum();
    3 + usize::from(sd.session_info.is_some())
        + usize::from(sd.uri.is_some())
        + sd.emails.len()
        + sd.phones.len()
        + usize::from(sd.connection.is_some())
        + sd.bandwidths.len()
        + times
        + usize::from(sd.key.is_some())
        + sd.attributes.len()
        + media
}

/// `raw` if its fields are separated by exactly one space, as RFC 8866's grammar has it
/// (SP). sdp-rs splits `o=`, `c=` and `m=` at each single space (two spaces make an empty
/// field, a tab stays inside one); the fallback splits at any run of whitespace. Only where
/// the two splits are the same is sdp-rs's reading used.
fn spaced(raw: &str) -> Option<&str> {
    let odd = raw.contains(|c: char| c.is_whitespace() && c != ' ');
    let plain = !odd && !raw.contains("  ") && !raw.starts_with(' ') && !raw.ends_with(' ');
    plain.then_some(raw)
}

/// A `c=` line; `raw` is its text.
fn connection(c: &sdp_rs::lines::Connection, raw: &str) -> Connection {
    Connection {
        addr: fields::typed_addr(
            &c.nettype.to_string(),
            &c.addrtype.to_string(),
            c.connection_address.base,
        ),
        raw: raw.to_string(),
    }
}

/// One m= section; `raw` is its m= text and `c_raw` the text of its first c= line.
fn media(m: &sdp_rs::MediaDescription, raw: &str, c_raw: Option<&str>) -> Option<MediaDescription> {
    let line = &m.media;
    let proto = line.proto.to_string();
    let connection = match m.connections.first() {
        Some(c) => Some(connection(c, spaced(c_raw?)?)),
        None => None,
    };
    let mut out = MediaDescription {
        kind: MediaKind::from_token(&line.media.to_string()),
        port: line.port,
        port_count: line.num_of_ports.map_or(1, u16::from),
        proto,
        formats: line.fmt.split_whitespace().map(str::to_string).collect(),
        connection,
        rtcp: None,
        direction: None,
        rtpmaps: Vec::new(),
        t38: Vec::new(),
        raw: spaced(raw)?.to_string(),
    };
    for a in &m.attributes {
        fields::apply_media(&mut out, attr(a)?);
    }
    Some(out)
}

/// Converts one sdp-rs attribute; `None` when it does not fit our model.
fn attr(a: &Attribute) -> Option<Attr> {
    Some(match a {
        Attribute::Rtpmap(r) => Attr::RtpMap(RtpMap {
            payload_type: u8::try_from(r.payload_type).ok()?,
            encoding: r.encoding_name.trim().to_string(),
            clock_rate: u32::try_from(r.clock_rate).ok()?,
            channels: match r.encoding_params {
                Some(n) => Some(u16::try_from(n).ok()?),
                None => None,
            },
        }),
        Attribute::Sendrecv => Attr::Direction(Direction::SendRecv),
        Attribute::Sendonly => Attr::Direction(Direction::SendOnly),
        Attribute::Recvonly => Attr::Direction(Direction::RecvOnly),
        // sdp-rs 0.2.1 produces `Inactive` only for the misspelt `a=inacive`, which is no
        // direction; the real `a=inactive` arrives as `Other` and is classified below.
        Attribute::Inactive => fields::classify("inacive", None),
        Attribute::Other(name, value) => fields::classify(name, value.as_deref()),
        _ => Attr::Ignored,
    })
}
