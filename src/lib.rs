//! algscope: finds the VoIP failures that NAT routers and SIP ALGs cause.
//!
//! The data flow follows the folders: [`source`] (the only IO) hands frames to the
//! sans-IO [`engine`], which runs them through [`decode`] (link, tunnels, IP, fragments,
//! UDP, TCP), classifies datagrams ([`media`], [`sip`]) into the [`accounting`] partition,
//! and emits records that [`report`] prints.
#![forbid(unsafe_code)]

pub mod accounting;
pub mod analyze;
pub mod compare;
pub mod correlate;
pub mod decode;
pub mod engine;
pub mod evidence;
pub mod findings;
pub mod live;
pub mod media;
pub mod report;
pub mod sdp;
pub mod sip;
pub mod source;
pub mod time;

pub use accounting::{Accounting, Class};
pub use engine::{Config, Engine, Event, Frame, Summary};
pub use time::Timestamp;
