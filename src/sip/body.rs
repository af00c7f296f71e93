//! Where the SDP is in a SIP body (RFC 3261 section 20.15 Content-Type, RFC 4566 SDP,
//! RFC 2046 section 5.1 multipart bodies, RFC 5621 message bodies in SIP).

use std::ops::Range;

use memchr::memmem;

use super::lines::{line_at, HeaderItem, HeaderScanner};
use super::text::params;

/// How deep nested multipart bodies are followed.
const MAX_MULTIPART_DEPTH: usize = 4;
/// How many parts of one multipart body are looked at.
const MAX_PARTS: usize = 64;

/// The range of the SDP within `body`:
/// - `application/sdp` (media type compared case-insensitively, parameters allowed): the
///   whole body;
/// - `multipart/*` with a `boundary` parameter: the body of the first part whose own
///   Content-Type is `application/sdp` (nested multiparts are searched too);
/// - no Content-Type at all and a body starting with `v=0`: the whole body.
///
/// An empty body has no SDP.
pub(crate) fn locate_sdp(content_type: Option<&str>, body: &[u8]) -> Option<Range<usize>> {
    if body.is_empty() {
        return None;
    }
    match content_type {
        None => body.starts_with(b"v=0").then_some(0..body.len()),
        Some(ct) => sdp_in(ct, body, 0),
    }
}

fn media_type(ct: &str) -> &str {
    ct.split(';').next().unwrap_or("").trim()
}

fn sdp_in(ct: &str, body: &[u8], depth: usize) -> Option<Range<usize>> {
    let media = media_type(ct);
    if media.eq_ignore_ascii_case("application/sdp") {
        return Some(0..body.len());
    }
    let is_multipart = media
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/"));
    if !is_multipart || depth >= MAX_MULTIPART_DEPTH {
        return None;
    }
    let (_, params_str) = ct.split_once(';')?;
    let boundary = params(params_str)
        .find(|(n, _)| n.eq_ignore_ascii_case("boundary"))
        .and_then(|(_, v)| v)?;
    if boundary.is_empty() {
        return None;
    }
    for part in Parts::new(body, boundary.as_bytes()).take(MAX_PARTS) {
        let part_bytes = body.get(part.clone())?;
        let (part_ct, content) = part_headers(part_bytes);
        let Some(part_ct) = part_ct else { continue };
        let part_body = part_bytes.get(content.clone())?;
        if let Some(inner) = sdp_in(&part_ct, part_body, depth + 1) {
            let start = part.start + content.start;
            return Some(start + inner.start..start + inner.end);
        }
    }
    None
}

/// The Content-Type of a body part and the range of its content within the part. A part
/// without headers starts with its empty line (RFC 2046 section 5.1.1).
fn part_headers(part: &[u8]) -> (Option<String>, Range<usize>) {
    let mut scanner = HeaderScanner::new(part, 0);
    let mut ct = None;
    loop {
        match scanner.next_item() {
            HeaderItem::Field(f) => {
                let name = f.name(part);
                if ct.is_none()
                    && (name.eq_ignore_ascii_case(b"Content-Type")
                        || name.eq_ignore_ascii_case(b"c"))
                {
                    ct = Some(
                        String::from_utf8_lossy(f.raw_value(part))
                            .trim()
                            .to_string(),
                    );
                }
            }
            HeaderItem::End(blank) => return (ct, blank.next..part.len()),
            HeaderItem::Eof => return (ct, part.len()..part.len()),
        }
    }
}

/// Iterates the parts of a multipart body (RFC 2046 section 5.1.1): a delimiter is
/// `--boundary` at the start of a line; the line end before it belongs to the delimiter,
/// the rest of the delimiter line (transport padding) is ignored, `--boundary--` closes.
/// A body cut before its close delimiter ends its last part at the end of the body.
struct Parts<'a> {
    body: &'a [u8],
    boundary: &'a [u8],
    /// Where the next part starts, or `None` when done.
    pos: Option<usize>,
}

impl<'a> Parts<'a> {
    fn new(body: &'a [u8], boundary: &'a [u8]) -> Self {
        let mut parts = Parts {
            body,
            boundary,
            pos: None,
        };
        // The preamble before the first delimiter is ignored.
        parts.pos = parts
            .find_delimiter(0)
            .and_then(|d| parts.after_delimiter(d));
        parts
    }

    /// Start of the next delimiter at a line start, searching from `from`.
    fn find_delimiter(&self, from: usize) -> Option<usize> {
        let finder = memmem::Finder::new(b"--");
        let mut at = from;
        while let Some(rest) = self.body.get(at..) {
            let i = at + finder.find(rest)?;
            let at_line_start = i == 0 || self.body.get(i - 1) == Some(&b'\n');
            let name_matches = self
                .body
                .get(i + 2..)
                .is_some_and(|r| r.starts_with(self.boundary));
            if at_line_start && name_matches {
                return Some(i);
            }
            at = i + 1;
        }
        None
    }

    /// The start of the part after the delimiter at `d`, or `None` for a close delimiter
    /// or a delimiter line without a line end.
    fn after_delimiter(&self, d: usize) -> Option<usize> {
        let after = d + 2 + self.boundary.len();
        if self.body.get(after..).is_some_and(|r| r.starts_with(b"--")) {
            return None;
        }
        let line = line_at(self.body, after);
        line.terminated.then_some(line.next)
    }
}

impl Iterator for Parts<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let start = self.pos?;
        match self.find_delimiter(start) {
            Some(d) => {
                let mut end = d;
                if end > start && self.body.get(end - 1) == Some(&b'\n') {
                    end -= 1;
                    if end > start && self.body.get(end - 1) == Some(&b'\r') {
                        end -= 1;
                    }
                }
                self.pos = self.after_delimiter(d);
                Some(start..end)
            }
            None => {
                self.pos = None;
                Some(start..self.body.len())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp_text(ct: Option<&str>, body: &[u8]) -> Option<String> {
        locate_sdp(ct, body).map(|r| String::from_utf8_lossy(&body[r]).into_owned())
    }

    #[test]
    fn plain_sdp_types() {
        let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
        assert_eq!(
            locate_sdp(Some("application/sdp"), body),
            Some(0..body.len())
        );
        assert_eq!(
            locate_sdp(Some(" Application/SDP ; charset=x"), body),
            Some(0..body.len())
        );
        assert_eq!(locate_sdp(None, body), Some(0..body.len()));
        assert_eq!(locate_sdp(None, b"hello"), None);
        assert_eq!(locate_sdp(Some("text/plain"), body), None);
        assert_eq!(locate_sdp(Some("application/sdp"), b""), None);
    }

    #[test]
    fn multipart_mixed_quoted_boundary() {
        let body = b"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1 \r\ncontent-type: application/SDP\r\nContent-Disposition: session\r\n\r\nv=0\r\nc=IN IP4 192.0.2.1\r\n--b1--\r\nepilogue";
        assert_eq!(
            sdp_text(Some("multipart/mixed;boundary=\"b1\""), body),
            Some("v=0\r\nc=IN IP4 192.0.2.1".to_string())
        );
    }

    #[test]
    fn multipart_lf_only_unquoted_and_nested() {
        let body = b"--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: application/sdp\n\nv=0\nm=audio 4000 RTP/AVP 0\n--inner--\n--outer--\n";
        assert_eq!(
            sdp_text(Some("Multipart/Mixed; Boundary=outer"), body),
            Some("v=0\nm=audio 4000 RTP/AVP 0".to_string())
        );
    }

    #[test]
    fn multipart_truncated_and_missing() {
        let body = b"--x\r\nContent-Type: application/sdp\r\n\r\nv=0\r\ns=cut";
        assert_eq!(
            sdp_text(Some("multipart/mixed;boundary=x"), body),
            Some("v=0\r\ns=cut".to_string())
        );
        // No boundary parameter, no SDP part, boundary text inside a line.
        assert_eq!(locate_sdp(Some("multipart/mixed"), body), None);
        let body = b"--x\r\nContent-Type: text/plain\r\n\r\na --x b\r\n--x--";
        assert_eq!(locate_sdp(Some("multipart/mixed;boundary=x"), body), None);
        assert_eq!(locate_sdp(Some("multipart/mixed;boundary="), body), None);
    }
}
