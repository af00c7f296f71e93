//! Media: RTP, RTCP, UDPTL and STUN views, and (issue 4) flows and quality figures.

pub mod flow;
pub mod quality;
pub mod rtcp;
pub mod rtcp_report;
pub mod rtp;
pub mod stream;
pub mod stun;
