//! Placeholder until the tolerant parser lands (issue 3).
use super::message::SipMessage;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    #[error("no SIP start line at offset {offset}")]
    BadStartLine { offset: usize },
}

pub fn looks_like_sip(_bytes: &[u8]) -> bool {
    false
}

pub fn is_keepalive(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|b| *b == b'\r' || *b == b'\n')
}

pub fn parse_message(_bytes: &[u8]) -> Result<SipMessage, SipError> {
    Err(SipError::BadStartLine { offset: 0 })
}
