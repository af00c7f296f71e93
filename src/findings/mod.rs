//! Findings: what algscope concludes, each decided by one small detector in its own file
//! (`one_way_media.rs` decides `one-way-media` and `no-media`, and so on). Detectors read
//! the engine's records (SIP messages, released calls with their epochs and media,
//! malformed records) and never touch the engine's state.
//!
//! Every finding says what is wrong, how sure (severity), which call, epoch and direction,
//! what most likely caused it (`alg`, `nat` or `unknown`) and why, the evidence (frame
//! numbers and the lines they show), and what to do.
//!
//! Every finding also names the public address it speaks about (when it does), and
//! `site.rs` turns those into the per-address ALG verdict.

pub mod address;
pub mod alg_rewrite;
pub mod call_failed;
pub mod content_length;
pub mod hold_broken;
pub mod icmp_unreachable;
pub mod malformed_sip;
pub mod media_source_mismatch;
pub mod one_way_media;
pub mod registration_unstable;
pub mod response_misrouted;
pub mod sdp_private_address;
pub mod sip_fragmented;
pub mod site;
pub mod t38_failed;
pub mod transfer_broken;

use crate::engine::Event;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What most likely caused a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// A SIP ALG rewrote (or failed to rewrite) signalling.
    Alg,
    /// Plain NAT, without an ALG.
    Nat,
    Unknown,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Alg => "alg",
            Cause::Nat => "nat",
            Cause::Unknown => "unknown",
        }
    }
}

/// One piece of evidence: a frame and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub frame: u64,
    pub shows: String,
}

/// A conclusion, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable id (listed in the README).
    pub id: &'static str,
    pub severity: Severity,
    pub call_id: Option<String>,
    pub leg: Option<u64>,
    pub epoch: Option<usize>,
    /// `caller->callee` or `callee->caller`.
    pub direction: Option<&'static str>,
    pub cause: Cause,
    pub why: String,
    pub evidence: Vec<Evidence>,
    pub advice: String,
    /// The public address (a router or NAT) the finding speaks about, for the per-site
    /// ALG verdict.
    pub site: Option<std::net::IpAddr>,
}

/// What the detectors may know about the capture as a whole, so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureContext {
    /// RTP, RTCP and UDPTL packets seen so far: a capture with none was filtered to
    /// signalling (or taken where media does not pass), and silence proves nothing.
    pub media_packets: u64,
    /// Packets that are neither SIP nor media (ARP, ICMP, other UDP/TCP): a capture with
    /// some was not filtered to signalling, so silence in it means something.
    pub other_packets: u64,
}

impl Finding {
    /// The common part of a finding about one call leg (no epoch, direction or site):
    /// detectors fill in `why`, `evidence`, `advice` and what else applies with struct
    /// update syntax.
    pub fn about_call(
        id: &'static str,
        severity: Severity,
        call: &crate::sip::call::Call,
        cause: Cause,
    ) -> Finding {
        Finding {
            id,
            severity,
            call_id: Some(call.call_id.clone()),
            leg: Some(call.id),
            epoch: None,
            direction: None,
            cause,
            why: String::new(),
            evidence: Vec::new(),
            advice: String::new(),
            site: None,
        }
    }
}

/// A bounded "reported already" set for detectors that report once per call or address.
/// It keeps two generations: when the newer one fills half the bound, the older one is
/// forgotten. Memory stays bounded over a days-long live run and reporting never stops;
/// a key forgotten this way (not seen for a long time) can be reported again.
#[derive(Debug)]
pub struct Seen<T: std::hash::Hash + Eq> {
    current: std::collections::HashSet<T>,
    previous: std::collections::HashSet<T>,
    half: usize,
}

impl<T: std::hash::Hash + Eq> Default for Seen<T> {
    fn default() -> Self {
        Seen::new(20_000)
    }
}

impl<T: std::hash::Hash + Eq> Seen<T> {
    pub fn new(bound: usize) -> Self {
        Seen {
            current: Default::default(),
            previous: Default::default(),
            half: (bound / 2).max(1),
        }
    }

    pub fn contains(&self, k: &T) -> bool {
        self.current.contains(k) || self.previous.contains(k)
    }

    /// Records `k`; true when it was not there yet.
    pub fn first_time(&mut self, k: T) -> bool {
        if self.contains(&k) {
            return false;
        }
        if self.current.len() >= self.half {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(k);
        true
    }
}

/// A detector: reads records, adds findings.
pub trait Detector: std::fmt::Debug {
    fn on_event(&mut self, ev: &Event, ctx: &CaptureContext, out: &mut Vec<Finding>);
    /// End of capture.
    fn finish(&mut self, _out: &mut Vec<Finding>) {}
}

/// Every detector.
pub fn all() -> Vec<Box<dyn Detector + Send>> {
    vec![
        Box::new(one_way_media::OneWayMedia),
        Box::new(sdp_private_address::SdpPrivateAddress),
        Box::new(t38_failed::T38Failed),
        Box::new(content_length::ContentLengthMismatch::default()),
        Box::new(malformed_sip::MalformedSip::default()),
        Box::new(icmp_unreachable::IcmpUnreachable::default()),
        Box::new(alg_rewrite::AlgRewrite::default()),
        Box::new(media_source_mismatch::MediaSourceMismatch),
        Box::new(call_failed::CallFailed::default()),
        Box::new(response_misrouted::ResponseMisrouted::default()),
        Box::new(sip_fragmented::SipFragmented::default()),
        Box::new(registration_unstable::RegistrationUnstable::default()),
        Box::new(hold_broken::HoldBroken),
        Box::new(transfer_broken::TransferBroken),
    ]
}
