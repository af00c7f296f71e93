//! algscope: finds the VoIP failures that NAT routers and SIP ALGs cause.
#![forbid(unsafe_code)]

pub mod sip;
