//! SDP (RFC 8866, formerly RFC 4566) bodies: what each side promised for its media.
//!
//! [`parse`] reads a body into the [`model`] types the dialog and correlation layers code
//! against. It tries the sdp-rs crate first and falls back to a tolerant line parser
//! whenever sdp-rs refuses the body or could have misread it; the measurements behind that
//! choice are the `sdp_rs_limits` tests, and `parsed_by` says which parser produced a result.
//!
//! - `scan`: bytes to lines and m= sections (bounded: 1024 lines, 64 sections);
//! - `fields`: the reading rules both parsers share (addresses, attributes);
//! - `via_sdp_rs`: the sdp-rs path and when it is trusted;
//! - `fallback`: the tolerant parser.

mod fallback;
mod fields;
pub mod model;
mod scan;
mod via_sdp_rs;

#[cfg(test)]
mod sdp_rs_limits;
#[cfg(test)]
mod tests;

pub use model::*;

/// Why a body is not SDP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The body has no `v=` line and no `m=` or `c=` line (in its first 1024 lines).
    #[error("not an SDP body: {reason}")]
    NotSdp { reason: &'static str },
}

/// Parses an SDP body. Invalid UTF-8 is replaced (U+FFFD), trailing NUL padding ignored.
///
/// Anything that looks like SDP gives a description, with the fields that cannot be read
/// left empty (`None`, port 0, no rtpmap) and the raw `o=`/`c=`/`m=` text kept.
///
/// # Errors
///
/// [`SdpError::NotSdp`] when the body has no `v=`, `m=` or `c=` line at all.
pub fn parse(body: &[u8]) -> Result<SessionDescription, SdpError> {
    let decoded = String::from_utf8_lossy(body);
    let text = scan::text_of(&decoded);
    let lines = scan::scan(text);
    if !lines.looks_like_sdp() {
        let reason = if lines.lines == 0 {
            "empty body"
        } else {
            "no v=, m= or c= line"
        };
        return Err(SdpError::NotSdp { reason });
    }
    Ok(via_sdp_rs::parse(text, &lines).unwrap_or_else(|| fallback::parse(&lines)))
}
