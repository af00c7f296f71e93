//! Placeholder until TCP framing lands (issue 3).

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

pub fn next_frame(buf: &[u8]) -> StreamFrame {
    if buf.is_empty() {
        StreamFrame::Incomplete
    } else {
        StreamFrame::Junk(buf.len())
    }
}
