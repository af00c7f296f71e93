//! SIP: the tolerant message parser (over rsip for typed values) and, in later issues,
//! transactions, dialogs and registrations.
//!
//! Entry points used by the engine:
//! - [`looks_like_sip`]: a cheap, allocation-free sniff of a SIP start line, run on every
//!   UDP datagram and on the start of TCP streams.
//! - [`is_keepalive`]: CRLF keepalives (RFC 5626), which are counted, not errors.
//! - [`parse_message`]: the tolerant parser; runs only where a start line was seen.
//! - [`framing::next_frame`]: message boundaries in a reassembled TCP byte stream.

pub mod framing;
pub mod message;
mod parse;

pub use message::*;
pub use parse::{is_keepalive, looks_like_sip, parse_message, SipError};
