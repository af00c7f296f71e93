//! Message boundaries in a reassembled SIP-over-TCP byte stream (RFC 3261 section 18.3).
//!
//! On a stream, a message is its header section (up to and including the empty line) plus
//! exactly Content-Length body bytes (`l:` is the compact form); without Content-Length the
//! body is empty, and an unusable Content-Length counts as 0 here (the parser then flags
//! it). CR/LF runs between messages are RFC 5626 keepalives. Anything that does not start
//! with a SIP start line is junk up to the next line that does. Nothing here allocates or
//! copies: the caller drains the reported number of bytes.

use super::lines::{
    content_length_value, is_content_length_name, line_at, HeaderItem, HeaderScanner, MAX_HEADERS,
};
use super::start::{check_start_line, StartCheck, MAX_START_LINE};

/// A header section not terminated within this many bytes is given up on: the first line
/// is reported as junk so the stream can resync.
pub const MAX_HEADER_SECTION: usize = 64 * 1024;

/// What the start of a reassembled SIP-over-TCP byte stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFrame {
    /// `n` bytes of CR/LF keepalive.
    Keepalive(usize),
    /// A whole SIP message of `n` bytes (headers plus Content-Length body).
    Message(usize),
    /// Not enough bytes yet to know.
    Incomplete,
    /// `n` bytes that are not SIP, to skip up to the next start line.
    Junk(usize),
}

/// Longest first line including its CRLF.
const START_WINDOW: usize = MAX_START_LINE + 2;

/// Classifies the start of `buf`. `Junk(n)` and `Keepalive(n)` always have `n >= 1`;
/// `Message(n)` has `n <= buf.len()`.
pub fn next_frame(buf: &[u8]) -> StreamFrame {
    if buf.is_empty() {
        return StreamFrame::Incomplete;
    }
    let crlf = buf
        .iter()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count();
    if crlf > 0 {
        return StreamFrame::Keepalive(crlf);
    }
    let window = buf.get(..buf.len().min(START_WINDOW)).unwrap_or(buf);
    if memchr::memchr(b'\n', window).is_none() {
        if buf.len() < START_WINDOW && check_start_line(buf, false) == StartCheck::Prefix {
            return StreamFrame::Incomplete;
        }
        return StreamFrame::Junk(resync(buf));
    }
    let first = line_at(buf, 0);
    if !check_start_line(first.bytes(buf), true).is_start() {
        return StreamFrame::Junk(resync(buf));
    }

    let head = buf.get(..buf.len().min(MAX_HEADER_SECTION)).unwrap_or(buf);
    let mut scanner = HeaderScanner::new(head, first.next);
    let mut fields = 0usize;
    let mut declared: Option<u32> = None;
    let body_start = loop {
        match scanner.next_item() {
            HeaderItem::Field(f) => {
                fields += 1;
                if fields <= MAX_HEADERS
                    && declared.is_none()
                    && !f.is_orphan_continuation(head)
                    && is_content_length_name(f.name(head))
                {
                    declared = Some(content_length_value(f.raw_value(head)).unwrap_or(0));
                }
            }
            HeaderItem::End(blank) => break blank.next,
            HeaderItem::Eof => {
                return if buf.len() >= MAX_HEADER_SECTION {
                    StreamFrame::Junk(first.next.max(1))
                } else {
                    StreamFrame::Incomplete
                };
            }
        }
    };
    let body_len = usize::try_from(declared.unwrap_or(0)).unwrap_or(usize::MAX);
    let total = body_start.saturating_add(body_len);
    if buf.len() >= total {
        StreamFrame::Message(total)
    } else {
        StreamFrame::Incomplete
    }
}

/// How many bytes of junk to skip: up to the next line start that holds a SIP start line
/// (or, for the last, unfinished line, could still become one); else the whole buffer.
fn resync(buf: &[u8]) -> usize {
    let mut at = 0;
    while let Some(i) = buf.get(at..).and_then(|r| memchr::memchr(b'\n', r)) {
        let p = at + i + 1;
        let Some(rest) = buf.get(p..).filter(|r| !r.is_empty()) else {
            break;
        };
        let window = rest.get(..rest.len().min(START_WINDOW)).unwrap_or(rest);
        match memchr::memchr(b'\n', window) {
            Some(j) => {
                let line = window.get(..j).unwrap_or(&[]);
                if check_start_line(line, true).is_start() {
                    return p;
                }
            }
            None if rest.len() < START_WINDOW => {
                return if check_start_line(rest, false) == StartCheck::Prefix {
                    p
                } else {
                    buf.len()
                };
            }
            None => {}
        }
        at = p;
    }
    buf.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\nCall-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 16\r\n\r\nv=0\r\ns=session\r\n";
    const OK: &[u8] = b"SIP/2.0 200 OK\nl: 4\nCall-ID: x\n\nv=0\n";
    const BYE: &[u8] = b"BYE sip:alice@pc33.atlanta.com SIP/2.0\r\nCall-ID: a84b4c76e66710\r\n\r\n";

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn empty_is_incomplete() {
        assert_eq!(next_frame(b""), StreamFrame::Incomplete);
    }

    #[test]
    fn two_messages_in_one_buffer() {
        let buf = cat(&[INVITE, OK]);
        assert_eq!(next_frame(&buf), StreamFrame::Message(INVITE.len()));
        assert_eq!(
            next_frame(&buf[INVITE.len()..]),
            StreamFrame::Message(OK.len())
        );
    }

    #[test]
    fn message_without_content_length_has_no_body() {
        let buf = cat(&[BYE, b"v=0"]);
        assert_eq!(next_frame(&buf), StreamFrame::Message(BYE.len()));
    }

    #[test]
    fn invalid_content_length_counts_as_zero() {
        let m = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: bad\r\n\r\n";
        assert_eq!(next_frame(&cat(&[m, b"zz"])), StreamFrame::Message(m.len()));
    }

    #[test]
    fn folded_and_compact_content_length() {
        let m = b"MESSAGE sip:x SIP/2.0\r\nContent-Length:\r\n 3\r\n\r\nabc";
        assert_eq!(next_frame(m), StreamFrame::Message(m.len()));
        let m = b"MESSAGE sip:x SIP/2.0\r\nL : 3\r\n\r\nabcdef";
        assert_eq!(next_frame(m), StreamFrame::Message(m.len() - 3));
    }

    #[test]
    fn split_at_every_byte_boundary() {
        for msg in [INVITE, OK, BYE] {
            for k in 1..msg.len() {
                assert_eq!(next_frame(&msg[..k]), StreamFrame::Incomplete, "cut at {k}");
            }
            assert_eq!(next_frame(msg), StreamFrame::Message(msg.len()));
        }
    }

    #[test]
    fn keepalives_between_messages() {
        let buf = cat(&[b"\r\n\r\n", INVITE, b"\r\n", BYE]);
        assert_eq!(next_frame(&buf), StreamFrame::Keepalive(4));
        let rest = &buf[4..];
        assert_eq!(next_frame(rest), StreamFrame::Message(INVITE.len()));
        let rest = &rest[INVITE.len()..];
        assert_eq!(next_frame(rest), StreamFrame::Keepalive(2));
        assert_eq!(next_frame(&rest[2..]), StreamFrame::Message(BYE.len()));
    }

    #[test]
    fn junk_then_message() {
        let junk: &[u8] = b"\x00\x01garbage line\r\nmore junk\n";
        let buf = cat(&[junk, INVITE]);
        assert_eq!(next_frame(&buf), StreamFrame::Junk(junk.len()));
        assert_eq!(
            next_frame(&buf[junk.len()..]),
            StreamFrame::Message(INVITE.len())
        );
    }

    #[test]
    fn junk_keeps_a_tail_that_may_become_a_start_line() {
        assert_eq!(
            next_frame(b"HTTP/1.1 200 OK\r\nINVITE sip:bo"),
            StreamFrame::Junk(17)
        );
        assert_eq!(
            next_frame(b"HTTP/1.1 200 OK\r\n\x80\x81"),
            StreamFrame::Junk(19)
        );
        assert_eq!(next_frame(b"hello\x00"), StreamFrame::Junk(6));
        // A lone token may still grow into `hello sip:x SIP/2.0`.
        assert_eq!(next_frame(b"hello"), StreamFrame::Incomplete);
        assert_eq!(next_frame(b"INVITE sip:bo"), StreamFrame::Incomplete);
        // Body bytes of a message whose start was missed, then the next message.
        let buf = cat(&[b"a=sendrecv\r\n", BYE]);
        assert_eq!(next_frame(&buf), StreamFrame::Junk(12));
    }

    #[test]
    fn long_first_line_is_junk() {
        let mut buf = vec![b'A'; 2000];
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(BYE);
        assert_eq!(next_frame(&buf), StreamFrame::Junk(2002));
        assert_eq!(next_frame(&vec![b'A'; 2000]), StreamFrame::Junk(2000));
    }

    #[test]
    fn unterminated_header_section_resyncs() {
        let mut buf = b"INVITE sip:x SIP/2.0\r\n".to_vec();
        while buf.len() < MAX_HEADER_SECTION + 10 {
            buf.extend_from_slice(b"X-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n");
        }
        assert_eq!(next_frame(&buf[..60_000]), StreamFrame::Incomplete);
        assert_eq!(next_frame(&buf), StreamFrame::Junk(22));
    }

    #[test]
    fn large_body_is_framed_without_copying() {
        let mut buf = b"MESSAGE sip:x SIP/2.0\r\nContent-Length: 65536\r\n\r\n".to_vec();
        let head = buf.len();
        buf.resize(head + 65536, b'x');
        assert_eq!(next_frame(&buf[..head + 65535]), StreamFrame::Incomplete);
        buf.extend_from_slice(BYE);
        assert_eq!(next_frame(&buf), StreamFrame::Message(head + 65536));
    }
}
