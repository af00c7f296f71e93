//! SIP: the tolerant message parser (over rsip for typed values) and, in later issues,
//! transactions, dialogs and registrations.
//!
//! Entry points used by the engine:
//! - [`looks_like_sip`]: a cheap, allocation-free sniff of a SIP start line, run on every
//!   UDP datagram and on the start of TCP streams.
//! - [`is_keepalive`]: CRLF keepalives (RFC 5626), which are counted, not errors.
//! - [`parse_message`]: the tolerant parser; runs only where a start line was seen.
//! - [`framing::next_frame`]: message boundaries in a reassembled TCP byte stream.

/// Where the SDP is in a body (plain or multipart).
mod body;
pub mod call;
pub mod framing;
/// Allocation-free line and header-field scanning shared by the parser and the framer.
mod lines;
pub mod message;
pub mod nat_signs;
mod parse;
pub mod registration;
/// Allocation-free start-line recognition.
mod start;
/// Token classes, list and parameter splitting.
mod text;
pub mod transaction;
/// URIs and name-addr values (rsip types plain host/port).
mod uri;
/// Via entries (rsip's typed Via where it can be trusted).
mod via;

pub use message::*;
pub use parse::{is_keepalive, looks_like_sip, may_start_sip, parse_message, SipError};
