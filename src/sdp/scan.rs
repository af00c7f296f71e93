//! Line scanning shared by both parsers.
//!
//! An SDP body is a list of `<type>=<value>` lines (RFC 8866 section 5, RFC 4566 section 5):
//! session-level lines first, then one section per `m=` line. The scanner splits the text
//! into those lines and sections and nothing more; the values are read by [`super::fields`].
//!
//! Tolerance: CRLF, LF-only and CR-only line ends (and mixtures) all end a line; blank lines,
//! leading whitespace and trailing NUL padding are skipped. Bounds: at most [`MAX_LINES`]
//! lines and [`MAX_MEDIA`] m= sections are read, the rest is ignored (`truncated`).

/// The most lines read from one body.
pub(super) const MAX_LINES: usize = 1024;
/// The most m= sections read from one body.
pub(super) const MAX_MEDIA: usize = 64;

/// One non-blank line: `kind` is the type letter (`b'v'`, `b'o'`, `b'c'`, `b'm'`, `b'a'` ...),
/// 0 for a line that is not `<lowercase letter>=`; `value` is the text after `=` as written
/// (the whole line for kind 0), without the line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line<'a> {
    pub kind: u8,
    pub value: &'a str,
}

/// One m= section: the `m=` value and the lines after it up to the next `m=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Section<'a> {
    pub m: &'a str,
    pub lines: Vec<Line<'a>>,
}

/// A body split into its session part and its media sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scan<'a> {
    /// Lines before the first m= line.
    pub session: Vec<Line<'a>>,
    pub media: Vec<Section<'a>>,
    /// Non-blank lines read (at most [`MAX_LINES`]).
    pub lines: usize,
    /// The body has more than [`MAX_LINES`] lines or [`MAX_MEDIA`] sections; the excess was
    /// ignored.
    pub truncated: bool,
    /// An `r=` or `z=` line is present (sdp-rs 0.2.1 can panic on those, see
    /// [`super::via_sdp_rs`]).
    pub has_repeat_or_zone: bool,
}

impl Scan<'_> {
    /// Whether the body has a `v=`, `m=` or `c=` line at all: if not, it is not SDP.
    pub fn looks_like_sdp(&self) -> bool {
        !self.media.is_empty() || self.session.iter().any(|l| matches!(l.kind, b'v' | b'c'))
    }

    /// The first session-level line of a kind.
    pub fn session_line(&self, kind: u8) -> Option<&str> {
        first(&self.session, kind)
    }
}

/// The value of the first line of `kind` in `lines`.
pub(super) fn first<'a>(lines: &[Line<'a>], kind: u8) -> Option<&'a str> {
    lines.iter().find(|l| l.kind == kind).map(|l| l.value)
}

/// Whitespace and NUL: padding that never makes a line non-blank.
fn is_pad(c: char) -> bool {
    c.is_whitespace() || c == '\0'
}

/// The text a parser sees: the body decoded lossily (invalid UTF-8 becomes U+FFFD) without
/// trailing NUL padding.
pub(super) fn text_of(body: &str) -> &str {
    body.trim_end_matches('\0')
}

/// Splits `text` into lines and sections.
pub(super) fn scan(text: &str) -> Scan<'_> {
    let mut out = Scan {
        session: Vec::new(),
        media: Vec::new(),
        lines: 0,
        truncated: false,
        has_repeat_or_zone: false,
    };
    for raw in text.split(['\r', '\n']) {
        let t = raw.trim_start_matches(is_pad);
        if t.trim_end_matches(is_pad).is_empty() {
            continue;
        }
        if out.lines == MAX_LINES {
            out.truncated = true;
            break;
        }
        out.lines += 1;
        let line = match t.as_bytes() {
            [k, b'=', ..] if k.is_ascii_lowercase() => Line {
                kind: *k,
                value: t.get(2..).unwrap_or(""),
            },
            _ => Line { kind: 0, value: t },
        };
        out.has_repeat_or_zone |= matches!(line.kind, b'r' | b'z');
        if line.kind == b'm' {
            if out.media.len() == MAX_MEDIA {
                out.truncated = true;
                break;
            }
            out.media.push(Section {
                m: line.value,
                lines: Vec::new(),
            });
        } else if let Some(section) = out.media.last_mut() {
            section.lines.push(line);
        } else {
            out.session.push(line);
        }
    }
    out
}
