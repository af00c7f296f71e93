//! Recognition of SIP start lines (RFC 3261 section 7.1 `Request-Line` and section 7.2
//! `Status-Line`), without allocation.
//!
//! The check is deliberately a little more tolerant than the ABNF: runs of SP/HTAB may
//! separate the elements, trailing whitespace is ignored and the version is compared
//! case-insensitively. It stays strict enough to reject HTTP, RTP and random bytes: a
//! request needs a token method, a Request-URI with a scheme (`:`) and `SIP/2.0`; a
//! response needs `SIP/2.0` and a status code from 100 to 699.

use std::ops::Range;

use super::text::{is_token_byte, is_wsp};

/// The longest first line the sniffers look at. Longer lines are not taken for SIP.
pub(crate) const MAX_START_LINE: usize = 1024;

const VERSION: &[u8] = b"SIP/2.0";

/// What a (possibly partial) first line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartCheck {
    /// `method SP Request-URI SP SIP/2.0`; ranges are within the checked line.
    Request {
        method: Range<usize>,
        uri: Range<usize>,
    },
    /// `SIP/2.0 SP code [SP reason]`; the reason range may be empty.
    Response { code: u16, reason: Range<usize> },
    /// The bytes so far are the beginning of a possible start line (only returned when the
    /// line is not complete yet).
    Prefix,
    /// Not a SIP start line.
    No,
}

impl StartCheck {
    /// True for a complete request or status line.
    pub(crate) fn is_start(&self) -> bool {
        matches!(
            self,
            StartCheck::Request { .. } | StartCheck::Response { .. }
        )
    }
}

/// Checks one line (without its LF; one trailing CR is ignored). With `complete == false`
/// the line may still grow: the answer is then `Prefix` for anything that is or could
/// become a start line, and `No` otherwise.
pub(crate) fn check_start_line(line: &[u8], complete: bool) -> StartCheck {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let resp = check_response(line, complete);
    if resp != StartCheck::No {
        return resp;
    }
    check_request(line, complete)
}

/// Outcome for a line that ended too early: a prefix if more bytes may come.
fn short(complete: bool) -> StartCheck {
    if complete {
        StartCheck::No
    } else {
        StartCheck::Prefix
    }
}

fn skip_wsp(line: &[u8], mut pos: usize) -> usize {
    while line.get(pos).is_some_and(|b| is_wsp(*b)) {
        pos += 1;
    }
    pos
}

/// `rest` starts with `SIP/2.0` (ASCII case-insensitive); `Some(false)` when `rest` is a
/// shorter prefix of it.
fn version_at(rest: &[u8]) -> Option<bool> {
    if rest.len() >= VERSION.len() {
        let head = rest.get(..VERSION.len())?;
        head.eq_ignore_ascii_case(VERSION).then_some(true)
    } else {
        let part = VERSION.get(..rest.len())?;
        rest.eq_ignore_ascii_case(part).then_some(false)
    }
}

fn check_response(line: &[u8], complete: bool) -> StartCheck {
    match version_at(line) {
        None => return StartCheck::No,
        Some(false) => return short(complete),
        Some(true) => {}
    }
    let mut pos = VERSION.len();
    match line.get(pos) {
        None => return short(complete),
        Some(b) if is_wsp(*b) => {}
        Some(_) => return StartCheck::No,
    }
    pos = skip_wsp(line, pos);
    let mut code: u16 = 0;
    for k in 0..3 {
        match line.get(pos + k) {
            None => return short(complete),
            Some(d) if d.is_ascii_digit() => code = code * 10 + u16::from(d - b'0'),
            Some(_) => return StartCheck::No,
        }
    }
    if !(100..=699).contains(&code) {
        return StartCheck::No;
    }
    pos += 3;
    let reason_start = match line.get(pos) {
        None => pos,
        Some(b) if is_wsp(*b) => skip_wsp(line, pos),
        Some(_) => return StartCheck::No,
    };
    let reason = line.get(reason_start..).unwrap_or(&[]);
    if reason
        .iter()
        .any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f)
    {
        return StartCheck::No;
    }
    if !complete {
        return StartCheck::Prefix;
    }
    let mut reason_end = line.len();
    while reason_end > reason_start && line.get(reason_end - 1).is_some_and(|b| is_wsp(*b)) {
        reason_end -= 1;
    }
    StartCheck::Response {
        code,
        reason: reason_start..reason_end,
    }
}

fn check_request(line: &[u8], complete: bool) -> StartCheck {
    let method_end = line.iter().take_while(|b| is_token_byte(**b)).count();
    if method_end == 0 {
        return StartCheck::No;
    }
    match line.get(method_end) {
        None => return short(complete),
        Some(b) if is_wsp(*b) => {}
        Some(_) => return StartCheck::No,
    }
    let uri_start = skip_wsp(line, method_end);
    let uri_len = line
        .get(uri_start..)
        .unwrap_or(&[])
        .iter()
        .take_while(|b| **b > b' ' && **b != 0x7f)
        .count();
    let uri_end = uri_start + uri_len;
    match line.get(uri_end) {
        None => return short(complete),
        Some(b) if is_wsp(*b) => {}
        Some(_) => return StartCheck::No,
    }
    let uri = line.get(uri_start..uri_end).unwrap_or(&[]);
    if uri.is_empty() || !uri.contains(&b':') {
        return StartCheck::No;
    }
    let version_start = skip_wsp(line, uri_end);
    match version_at(line.get(version_start..).unwrap_or(&[])) {
        None => return StartCheck::No,
        Some(false) => return short(complete),
        Some(true) => {}
    }
    let tail = line.get(version_start + VERSION.len()..).unwrap_or(&[]);
    if !tail.iter().all(|b| is_wsp(*b)) {
        return StartCheck::No;
    }
    if !complete {
        return StartCheck::Prefix;
    }
    StartCheck::Request {
        method: 0..method_end,
        uri: uri_start..uri_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(l: &str) -> StartCheck {
        check_start_line(l.as_bytes(), true)
    }

    fn partial(l: &str) -> StartCheck {
        check_start_line(l.as_bytes(), false)
    }

    #[test]
    fn requests() {
        assert_eq!(
            full("INVITE sip:bob@biloxi.com SIP/2.0\r"),
            StartCheck::Request {
                method: 0..6,
                uri: 7..25
            }
        );
        assert_eq!(
            full("FOOBAR  tel:+49  sip/2.0 "),
            StartCheck::Request {
                method: 0..6,
                uri: 8..15
            }
        );
        assert_eq!(full("GET / HTTP/1.1"), StartCheck::No);
        assert_eq!(full("GET http://x/ HTTP/1.1"), StartCheck::No);
        assert_eq!(full("INVITE sip:x SIP/2.0x"), StartCheck::No);
        assert_eq!(full("INVITE sip:x SIP/2.1"), StartCheck::No);
        assert_eq!(full("INVITE sipx SIP/2.0"), StartCheck::No);
        assert_eq!(full("hello"), StartCheck::No);
        assert_eq!(full(""), StartCheck::No);
        assert_eq!(full("IN/VITE sip:x SIP/2.0"), StartCheck::No);
    }

    #[test]
    fn responses() {
        assert_eq!(
            full("SIP/2.0 200 OK"),
            StartCheck::Response {
                code: 200,
                reason: 12..14
            }
        );
        assert_eq!(
            full("sip/2.0 180 "),
            StartCheck::Response {
                code: 180,
                reason: 12..12
            }
        );
        assert_eq!(
            full("SIP/2.0 486"),
            StartCheck::Response {
                code: 486,
                reason: 11..11
            }
        );
        assert_eq!(full("SIP/2.0 099 Low"), StartCheck::No);
        assert_eq!(full("SIP/2.0 700 High"), StartCheck::No);
        assert_eq!(full("SIP/2.0 2000 OK"), StartCheck::No);
        assert_eq!(full("SIP/2.0 20"), StartCheck::No);
        assert_eq!(full("SIP/2.0 200 O\x01K"), StartCheck::No);
        assert_eq!(full("HTTP/1.1 200 OK"), StartCheck::No);
    }

    #[test]
    fn prefixes() {
        for p in [
            "I",
            "INVITE",
            "INVITE ",
            "INVITE sip:bob@bi",
            "INVITE sip:bob@biloxi.com ",
            "INVITE sip:bob@biloxi.com SI",
            "INVITE sip:bob@biloxi.com SIP/2.0",
            "INVITE sip:bob@biloxi.com SIP/2.0\r",
            "S",
            "SIP/2",
            "SIP/2.0 ",
            "SIP/2.0 20",
            "SIP/2.0 200 O",
        ] {
            assert_eq!(partial(p), StartCheck::Prefix, "{p:?}");
        }
        for p in ["GET / H", "INVITE sip:x HTTP", "SIP/2.0 2x", "SIP/3"] {
            assert_eq!(partial(p), StartCheck::No, "{p:?}");
        }
        assert_eq!(check_start_line(b"\x80", false), StartCheck::No);
    }
}
