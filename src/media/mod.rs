//! Media: RTP, RTCP, UDPTL and STUN views, and (issue 4) flows and quality figures.

pub mod rtcp;
pub mod rtp;
pub mod stun;
