//! Allocation-free scanning of SIP lines and header fields.
//!
//! RFC 3261 section 7 says lines end in CRLF; section 7.3.1 allows a header field to be
//! continued on further lines that start with SP or HTAB ("folding"); section 7.5 ends the
//! header section with an empty line. Real stacks also send bare LF line ends, which the
//! scanner accepts and reports (`lf_only`), so both the TCP framer and the tolerant parser
//! see the same lines.

use super::text::{is_wsp, parse_decimal_u32, trim_bytes};

/// The parser's bound on header fields (and colon-less lines) per message. Later lines are
/// skipped (`Anomaly::TooManyHeaders`); the framer ignores them the same way.
pub(crate) const MAX_HEADERS: usize = 256;

/// One physical line of `buf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    /// First byte of the line.
    pub start: usize,
    /// End of its content: before the CRLF or LF (or before a final CR when unterminated).
    pub end: usize,
    /// Start of the next line (`buf.len()` when this line is unterminated).
    pub next: usize,
    /// Terminated by a bare LF rather than CRLF.
    pub lf_only: bool,
    /// A line end was found.
    pub terminated: bool,
}

impl Line {
    pub(crate) fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    pub(crate) fn bytes<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start..self.end).unwrap_or(&[])
    }
}

/// The physical line starting at `from` (`from` is clamped to `buf.len()`).
pub(crate) fn line_at(buf: &[u8], from: usize) -> Line {
    let from = from.min(buf.len());
    let rest = buf.get(from..).unwrap_or(&[]);
    match memchr::memchr(b'\n', rest) {
        Some(i) => {
            let cr = i > 0 && rest.get(i - 1) == Some(&b'\r');
            Line {
                start: from,
                end: from + i - usize::from(cr),
                next: from + i + 1,
                lf_only: !cr,
                terminated: true,
            }
        }
        None => {
            let cr = rest.last() == Some(&b'\r');
            Line {
                start: from,
                end: buf.len() - usize::from(cr),
                next: buf.len(),
                lf_only: false,
                terminated: false,
            }
        }
    }
}

/// One logical header field: its first physical line plus any continuation lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderField {
    pub first: Line,
    /// Content end of the last physical line of the field.
    pub end: usize,
    /// Start of the line after the field.
    pub next: usize,
    /// Continued on further lines.
    pub folded: bool,
    /// At least one of its lines ended in a bare LF.
    pub lf_only: bool,
    /// Position of the first `:` on the first line, if any.
    pub colon: Option<usize>,
}

impl HeaderField {
    /// The name as written (before the colon, trimmed), empty when there is no colon.
    pub(crate) fn name<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        match self.colon {
            Some(c) => trim_bytes(buf.get(self.first.start..c).unwrap_or(&[])),
            None => &[],
        }
    }

    /// Whitespace between the name and the colon.
    pub(crate) fn space_before_colon(&self, buf: &[u8]) -> bool {
        match self.colon {
            Some(c) if c > self.first.start => buf.get(c - 1).is_some_and(|b| is_wsp(*b)),
            _ => false,
        }
    }

    /// The value bytes from after the colon to the end of the last line, folds included.
    pub(crate) fn raw_value<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        match self.colon {
            Some(c) => buf.get(c + 1..self.end).unwrap_or(&[]),
            None => &[],
        }
    }

    /// The first line starts with whitespace: a continuation with nothing to continue.
    pub(crate) fn is_orphan_continuation(&self, buf: &[u8]) -> bool {
        buf.get(self.first.start).is_some_and(|b| is_wsp(*b))
    }
}

/// What the header scanner found next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderItem {
    Field(HeaderField),
    /// The empty line ending the header section; the body starts at `line.next`.
    End(Line),
    /// The buffer ended before an empty line.
    Eof,
}

/// Walks the header section of a message, starting after the start line.
pub(crate) struct HeaderScanner<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> HeaderScanner<'a> {
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        HeaderScanner { buf, pos }
    }

    /// The next header field, the end of the header section, or the end of the buffer.
    pub(crate) fn next_item(&mut self) -> HeaderItem {
        if self.pos >= self.buf.len() {
            return HeaderItem::Eof;
        }
        let first = line_at(self.buf, self.pos);
        if first.is_empty() {
            if first.terminated {
                self.pos = first.next;
                return HeaderItem::End(first);
            }
            self.pos = self.buf.len();
            return HeaderItem::Eof;
        }
        let colon = memchr::memchr(b':', first.bytes(self.buf)).map(|i| first.start + i);
        let mut field = HeaderField {
            first,
            end: first.end,
            next: first.next,
            folded: false,
            lf_only: first.lf_only,
            colon,
        };
        let mut last = first;
        while last.terminated {
            let cont = line_at(self.buf, last.next);
            let starts_wsp = self.buf.get(cont.start).is_some_and(|b| is_wsp(*b));
            if cont.is_empty() || !starts_wsp {
                break;
            }
            field.folded = true;
            field.lf_only |= cont.lf_only;
            field.end = cont.end;
            field.next = cont.next;
            last = cont;
        }
        self.pos = field.next;
        HeaderItem::Field(field)
    }
}

/// `Content-Length` or its compact form `l` (RFC 3261 sections 20.14 and 7.3.3).
pub(crate) fn is_content_length_name(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"Content-Length") || name.eq_ignore_ascii_case(b"l")
}

/// The value of a Content-Length field, folding whitespace included: decimal digits only.
pub(crate) fn content_length_value(raw_value: &[u8]) -> Option<u32> {
    parse_decimal_u32(raw_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_crlf_lf_and_unterminated() {
        let buf = b"a\r\nbb\ncc\r";
        assert_eq!(
            line_at(buf, 0),
            Line {
                start: 0,
                end: 1,
                next: 3,
                lf_only: false,
                terminated: true
            }
        );
        assert_eq!(
            line_at(buf, 3),
            Line {
                start: 3,
                end: 5,
                next: 6,
                lf_only: true,
                terminated: true
            }
        );
        assert_eq!(
            line_at(buf, 6),
            Line {
                start: 6,
                end: 8,
                next: 9,
                lf_only: false,
                terminated: false
            }
        );
        assert_eq!(line_at(buf, 99).start, 9);
    }

    #[test]
    fn scanner_folds_and_ends() {
        let buf = b"Subject: a\r\n b\n\tc\r\nX : y\r\nnocolon\r\n\r\nbody";
        let mut s = HeaderScanner::new(buf, 0);
        let HeaderItem::Field(f) = s.next_item() else {
            panic!("field expected")
        };
        assert!(f.folded && f.lf_only);
        assert_eq!(f.name(buf), b"Subject");
        assert_eq!(f.raw_value(buf), b" a\r\n b\n\tc");
        assert_eq!((f.first.start, f.end, f.next), (0, 17, 19));
        let HeaderItem::Field(g) = s.next_item() else {
            panic!("field expected")
        };
        assert_eq!(g.name(buf), b"X");
        assert!(g.space_before_colon(buf));
        assert!(!g.folded);
        let HeaderItem::Field(h) = s.next_item() else {
            panic!("field expected")
        };
        assert_eq!(h.colon, None);
        assert_eq!(h.name(buf), b"");
        let HeaderItem::End(l) = s.next_item() else {
            panic!("end expected")
        };
        assert_eq!(buf.get(l.next..), Some(&b"body"[..]));
    }

    #[test]
    fn scanner_eof_without_blank_line() {
        let buf = b"A: 1\r\n\r";
        let mut s = HeaderScanner::new(buf, 0);
        assert!(matches!(s.next_item(), HeaderItem::Field(_)));
        assert_eq!(s.next_item(), HeaderItem::Eof);
        assert_eq!(s.next_item(), HeaderItem::Eof);
    }

    #[test]
    fn content_length_values() {
        assert!(is_content_length_name(b"content-length"));
        assert!(is_content_length_name(b"L"));
        assert!(!is_content_length_name(b"Content-Type"));
        assert_eq!(content_length_value(b" 4\r\n "), Some(4));
        assert_eq!(content_length_value(b"1\r\n 2"), None);
    }
}
