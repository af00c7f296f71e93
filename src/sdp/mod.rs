//! SDP (RFC 4566/8866) bodies: what each side promised for its media.
//!
//! Placeholder until the SDP parser lands (issue 4): the types below are the contract the
//! dialog and correlation layers code against.

pub mod model;

pub use model::*;
