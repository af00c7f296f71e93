//! Calls: INVITE dialogs as seen on one signalling path, with their SDP offer/answer
//! media epochs.
//!
//! A call is keyed by Call-ID and the pair of signalling endpoints its INVITE travelled
//! between: a capture taken on both sides of a router (or of a proxy) sees the same
//! Call-ID on two paths, and each path has its own addresses and its own media. Messages
//! join the call of their exact endpoint pair, else a call of the same Call-ID that shares
//! one endpoint address (a response sent to another port, a NAT rewriting the port).
//!
//! Sides are told by the From tag (RFC 3261 section 12): the caller is the UA that sent
//! the initial INVITE; a request whose From tag is the caller's comes from the caller, and
//! a response to it from the callee.
//!
//! Every offer/answer exchange (RFC 3264; INVITE/18x, INVITE/200, re-INVITE, UPDATE,
//! PRACK, 200/ACK for a late offer) that completes gives an [`Epoch`]: both sides' m=
//! lines with address, port, direction and codecs. Offers that are rejected or never
//! answered are kept as [`FailedOffer`]s.

use std::net::{IpAddr, SocketAddr};

use super::message::{Method, SipMessage};
use crate::sdp::{self, Direction, MediaKind, SessionDescription};
use crate::time::Timestamp;

/// Which end of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// The UA that sent the initial INVITE.
    Caller,
    /// The UA it was sent to.
    Callee,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Caller => Side::Callee,
            Side::Callee => Side::Caller,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Caller => "caller",
            Side::Callee => "callee",
        }
    }
}

/// One side's m= line in an epoch: where that side wants to receive this stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine {
    pub side: Side,
    /// Frame of the SIP message that carried the SDP.
    pub frame: u64,
    /// Position of the m= line in the SDP (offer and answer lines pair by position).
    pub index: usize,
    pub media: MediaKind,
    /// Transport as written (`RTP/AVP`, `udptl` ...).
    pub proto: String,
    /// The connection address (media-level c= over session-level).
    pub addr: Option<IpAddr>,
    /// The c= line that applies, as written.
    pub connection_raw: Option<String>,
    pub port: u16,
    /// RTCP port and address (`a=rtcp`, else port + 1 on the same address).
    pub rtcp_port: Option<u16>,
    pub rtcp_addr: Option<IpAddr>,
    pub direction: Direction,
    /// Payload types with their clock rates (rtpmap, else the static table).
    pub payload_types: Vec<(u8, Option<u32>)>,
    /// Formats and rtpmap encodings as written, for the report (e.g. `0 PCMU/8000`).
    pub codecs: Vec<String>,
    /// `a=T38*` attributes.
    pub t38: Vec<(String, String)>,
    /// Where this side's SIP message came from (the signalling source address).
    pub signalling_src: SocketAddr,
}

impl MediaLine {
    /// Whether this m= line takes part at all (port 0 disables it, RFC 3264 section 6).
    pub fn enabled(&self) -> bool {
        self.port != 0
    }

    /// `c=0.0.0.0`: hold the RFC 2543 way.
    pub fn hold_address(&self) -> bool {
        self.addr.is_some_and(|a| a.is_unspecified())
    }

    /// Where media for this side is expected to arrive, when it can be sent at all.
    pub fn receive_addr(&self) -> Option<SocketAddr> {
        match self.addr {
            Some(a) if self.enabled() && !a.is_unspecified() => Some(SocketAddr::new(a, self.port)),
            _ => None,
        }
    }

    /// UDPTL (T.38) rather than RTP.
    pub fn is_udptl(&self) -> bool {
        self.proto.eq_ignore_ascii_case("udptl")
    }
}

/// The SDP o= line of one side in an epoch (ALG fingerprints: an ALG often rewrites c=
/// but not o=, and the session version must grow with each new offer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginLine {
    pub side: Side,
    pub frame: u64,
    pub raw: String,
    pub addr: Option<IpAddr>,
    pub session_version: String,
}

/// A completed offer/answer exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch {
    pub index: usize,
    /// What carried it, e.g. `INVITE/200`, `INVITE/183`, `re-INVITE/200`, `UPDATE/200`,
    /// `200/ACK` (late offer).
    pub trigger: String,
    pub offerer: Side,
    pub offer_frame: u64,
    pub answer_frame: u64,
    /// When the answer was seen: media may follow from then on.
    pub start: Timestamp,
    /// When the next epoch started or the call ended.
    pub end: Option<Timestamp>,
    /// Answered by a provisional response (early media, RFC 3960).
    pub early: bool,
    /// The To tag of the dialog the answer came in (forked calls have several).
    pub to_tag: Option<String>,
    /// Both sides' m= lines (offer lines first).
    pub lines: Vec<MediaLine>,
    pub origins: Vec<OriginLine>,
}

impl Epoch {
    /// The m= line of `side` at position `index`.
    pub fn line(&self, side: Side, index: usize) -> Option<&MediaLine> {
        self.lines
            .iter()
            .find(|l| l.side == side && l.index == index)
    }

    /// Number of m= line positions.
    pub fn streams(&self) -> usize {
        self.lines.iter().map(|l| l.index + 1).max().unwrap_or(0)
    }

    /// Whether `from` is expected to send stream `index` to the other side in this epoch:
    /// both lines enabled, the sender's direction sends, the receiver's receives and its
    /// address is real (RFC 3264 section 5.1; `c=0.0.0.0` means do not send).
    pub fn expects_media(&self, from: Side, index: usize) -> bool {
        match (self.line(from, index), self.line(from.other(), index)) {
            (Some(s), Some(r)) => {
                s.enabled()
                    && r.enabled()
                    && s.direction.sends()
                    && r.direction.receives()
                    && r.receive_addr().is_some()
            }
            _ => false,
        }
    }
}

/// An offer that got no answer: rejected (`code`) or never answered (`code` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedOffer {
    pub trigger: String,
    pub offerer: Side,
    pub frame: u64,
    pub ts: Timestamp,
    pub code: Option<u16>,
    pub response_frame: Option<u64>,
    pub lines: Vec<MediaLine>,
}

/// A REFER (RFC 3515) in the call, with its response and the NOTIFYs reporting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refer {
    pub frame: u64,
    pub by: Side,
    pub cseq: u32,
    /// The Refer-To value as written (a transfer target can carry a private address).
    pub refer_to: String,
    /// The REFER's final response: code and frame.
    pub response: Option<(u16, u64)>,
    /// NOTIFYs with `Event: refer`: frame and the status line of their sipfrag body
    /// (RFC 3420), when readable.
    pub notifies: Vec<(u64, Option<u16>)>,
}

/// A request of the call that got no final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub method: Method,
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub retransmissions: u32,
    /// True after 32 s (Timer B/F), false when the capture ended sooner.
    pub timed_out: bool,
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// INVITE sent, no response beyond 100 yet.
    Trying,
    /// A provisional response (180/183) was seen.
    Early,
    /// Answered (2xx).
    Confirmed,
    /// Ended by BYE.
    Ended,
    /// Rejected with this final status.
    Failed(u16),
    /// CANCELled before an answer.
    Cancelled,
    /// The INVITE got no final response within 32 s.
    TimedOut,
    /// The capture ended before a final response or 32 s.
    Unanswered,
}

impl CallState {
    pub fn name(self) -> String {
        match self {
            CallState::Trying => "trying".into(),
            CallState::Early => "early".into(),
            CallState::Confirmed => "confirmed".into(),
            CallState::Ended => "ended".into(),
            CallState::Failed(c) => format!("failed-{c}"),
            CallState::Cancelled => "cancelled".into(),
            CallState::TimedOut => "timed-out".into(),
            CallState::Unanswered => "unanswered".into(),
        }
    }

    /// The call is over (nothing more is expected from signalling).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CallState::Ended
                | CallState::Failed(_)
                | CallState::Cancelled
                | CallState::TimedOut
                | CallState::Unanswered
        )
    }
}

#[derive(Debug, Clone)]
struct PendingOffer {
    method: Method,
    cseq: u32,
    offerer: Side,
    frame: u64,
    ts: Timestamp,
    trigger: String,
    sdp: SessionDescription,
    signalling_src: SocketAddr,
    /// The answer already seen in a provisional response (its o= version), so that the
    /// same answer in the 200 does not make another epoch.
    early_answer: Option<(String, usize)>,
}

/// One call on one signalling path.
#[derive(Debug, Clone)]
pub struct Call {
    /// Engine-internal identity (stable for the run).
    pub id: u64,
    pub call_id: String,
    /// From and To as written in the initial INVITE.
    pub from: String,
    pub to: String,
    pub caller_tag: Option<String>,
    pub to_tags: Vec<String>,
    /// The signalling endpoints of the initial INVITE.
    pub caller_sig: SocketAddr,
    pub callee_sig: SocketAddr,
    pub start: Timestamp,
    pub start_frame: u64,
    /// True when the capture began after the INVITE (the call was found by an in-dialog
    /// request).
    pub start_missing: bool,
    pub answered: Option<(Timestamp, u64)>,
    pub ended: Option<(Timestamp, u64)>,
    pub last_activity: Timestamp,
    pub state: CallState,
    pub epochs: Vec<Epoch>,
    pub failed_offers: Vec<FailedOffer>,
    /// SIP messages of this call, in capture order (frame, bounded).
    pub frames: Vec<u64>,
    /// Transfers requested in this call.
    pub refers: Vec<Refer>,
    /// The Replaces header of the initial INVITE (RFC 3891): this call takes over another.
    pub replaces: Option<String>,
    /// Copies of the initial INVITE after the first (retransmissions, not duplicates).
    pub invite_retransmissions: u32,
    /// The ACK for the 2xx of the initial INVITE was seen.
    pub acked: bool,
    /// Copies of the 2xx to the initial INVITE after the first: the callee retransmits it
    /// until an ACK arrives, so copies mean the ACK did not (yet) reach it.
    pub answer_retransmissions: u32,
    /// Where the first ACK of the initial INVITE was sent, and its frame.
    pub ack_to: Option<(SocketAddr, u64)>,
    /// NAT signs (Kamailio `nat_uac_test` flags) of the messages each side sent, as seen
    /// at the capture point: caller, callee.
    pub nat_signs: [super::nat_signs::NatSigns; 2],
    /// Requests of the call that got no final response (any method).
    pub unanswered: Vec<Unanswered>,
    pub messages: u64,
    pending: Vec<PendingOffer>,
    initial_cseq: Option<u32>,
    cancelled: bool,
    /// CSeqs of INVITEs seen without SDP (their 2xx carries the offer).
    invites_without_sdp: Vec<u32>,
}

/// Messages remembered per call for the ladder (all are counted).
const MAX_FRAMES_PER_CALL: usize = 4_096;
/// Epochs and failed offers kept per call (a bound against endless re-INVITEs).
const MAX_EPOCHS: usize = 256;

/// What a message did to a call, for the engine's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    NewEpoch(usize),
    FailedOffer(usize),
    StateChanged(CallState),
}

impl Call {
    /// A call started by `msg` (an INVITE, or an in-dialog request of a call whose start
    /// the capture missed).
    pub fn new(
        id: u64,
        msg: &SipMessage,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Call {
        let start_missing = msg.to.as_ref().and_then(|t| t.tag.as_ref()).is_some();
        Call {
            id,
            call_id: msg.call_id.clone().unwrap_or_default(),
            from: msg
                .from
                .as_ref()
                .map(|f| f.uri.raw.clone())
                .unwrap_or_default(),
            to: msg
                .to
                .as_ref()
                .map(|t| t.uri.raw.clone())
                .unwrap_or_default(),
            caller_tag: msg.from.as_ref().and_then(|f| f.tag.clone()),
            to_tags: Vec::new(),
            caller_sig: src,
            callee_sig: dst,
            start: ts,
            start_frame: frame,
            start_missing,
            answered: None,
            ended: None,
            last_activity: ts,
            state: if start_missing {
                CallState::Confirmed
            } else {
                CallState::Trying
            },
            epochs: Vec::new(),
            failed_offers: Vec::new(),
            frames: Vec::new(),
            refers: Vec::new(),
            replaces: msg
                .header("Replaces")
                .map(|h| h.value.clone())
                .filter(|_| !start_missing),
            messages: 0,
            invite_retransmissions: 0,
            acked: false,
            answer_retransmissions: 0,
            ack_to: None,
            nat_signs: Default::default(),
            unanswered: Vec::new(),
            pending: Vec::new(),
            initial_cseq: if start_missing {
                None
            } else {
                msg.cseq.as_ref().map(|c| c.seq)
            },
            cancelled: false,
            invites_without_sdp: Vec::new(),
        }
    }

    /// Which side sent `msg`.
    pub fn side_of(&self, msg: &SipMessage) -> Side {
        let from_caller = match (
            &self.caller_tag,
            msg.from.as_ref().and_then(|f| f.tag.as_ref()),
        ) {
            (Some(c), Some(t)) => c == t,
            _ => true,
        };
        match (msg.is_request(), from_caller) {
            (true, true) | (false, false) => Side::Caller,
            (true, false) | (false, true) => Side::Callee,
        }
    }

    /// Feeds one SIP message of this call. `retransmission` is true for a copy of a
    /// request or response already seen (it changes nothing but the counters).
    #[allow(clippy::too_many_arguments)]
    pub fn on_message(
        &mut self,
        msg: &SipMessage,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        retransmission: bool,
        events: &mut Vec<CallEvent>,
    ) {
        self.messages += 1;
        self.last_activity = ts;
        if self.frames.len() < MAX_FRAMES_PER_CALL {
            self.frames.push(frame);
        }
        if retransmission {
            let answer = msg.status().is_some_and(|c| (200..300).contains(&c))
                && msg.cseq.as_ref().is_some_and(|c| {
                    c.method == Method::Invite && Some(c.seq) == self.initial_cseq
                });
            if answer {
                self.answer_retransmissions += 1;
            }
            return;
        }
        let side = self.side_of(msg);
        self.nat_signs[match side {
            Side::Caller => 0,
            Side::Callee => 1,
        }] |= super::nat_signs::signs(msg, src);
        if let Some(tag) = msg.to.as_ref().and_then(|t| t.tag.as_ref()) {
            if !self.to_tags.contains(tag) && self.to_tags.len() < 16 {
                self.to_tags.push(tag.clone());
            }
        }
        let Some(cseq) = msg.cseq.clone() else { return };
        let sdp = msg
            .sdp_bytes()
            .and_then(|b| sdp::parse(b).ok())
            .filter(|s| !s.media.is_empty());
        match msg.method() {
            Some(method) => {
                self.on_request(msg, method, cseq.seq, frame, ts, src, side, sdp, events)
            }
            None => {
                let code = msg.status().unwrap_or(0);
                self.on_response(
                    msg,
                    &cseq.method,
                    cseq.seq,
                    code,
                    frame,
                    ts,
                    src,
                    side,
                    sdp,
                    events,
                )
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_request(
        &mut self,
        msg: &SipMessage,
        method: &Method,
        cseq: u32,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        side: Side,
        sdp: Option<SessionDescription>,
        events: &mut Vec<CallEvent>,
    ) {
        let in_dialog = msg.to.as_ref().and_then(|t| t.tag.as_ref()).is_some();
        match method {
            Method::Invite if !in_dialog => {
                // A new initial INVITE on the same Call-ID: after an auth challenge.
                if matches!(self.state, CallState::Failed(401 | 407)) {
                    self.set_state(CallState::Trying, events);
                }
                self.initial_cseq = Some(cseq);
            }
            Method::Bye => {
                if self.ended.is_none() {
                    self.ended = Some((ts, frame));
                }
                self.close_epoch(ts);
                // A BYE after a failure (seen in load tests) does not undo it.
                if !matches!(self.state, CallState::Failed(_) | CallState::Cancelled) {
                    self.set_state(CallState::Ended, events);
                }
            }
            Method::Cancel => self.cancelled = true,
            Method::Refer => {
                if self.refers.len() < MAX_EPOCHS {
                    self.refers.push(Refer {
                        frame,
                        by: side,
                        cseq,
                        refer_to: msg
                            .header("Refer-To")
                            .map(|h| h.value.clone())
                            .unwrap_or_default(),
                        response: None,
                        notifies: Vec::new(),
                    });
                }
                return;
            }
            Method::Notify => {
                let refer_event = msg
                    .header("Event")
                    .is_some_and(|h| h.value.trim().to_ascii_lowercase().starts_with("refer"));
                if refer_event {
                    let status = sipfrag_status(&msg.body);
                    if let Some(r) = self.refers.last_mut() {
                        if r.notifies.len() < 16 {
                            r.notifies.push((frame, status));
                        }
                    }
                }
                return;
            }
            Method::Ack => {
                if Some(cseq) == self.initial_cseq {
                    self.acked = true;
                }
                // ACK with SDP answers an offer made in a 2xx (late offer).
                if let Some(sdp) = sdp {
                    if let Some(i) = self.pending.iter().position(|p| {
                        p.method == Method::Invite && p.cseq == cseq && p.offerer != side
                    }) {
                        let p = self.pending.remove(i);
                        let trigger = format!("{}/ACK", p.trigger);
                        self.add_epoch(p, trigger, frame, ts, src, &sdp, false, None, events);
                    }
                }
                return;
            }
            _ => {}
        }
        let Some(sdp) = sdp else {
            if *method == Method::Invite && self.invites_without_sdp.len() < MAX_EPOCHS {
                self.invites_without_sdp.push(cseq);
            }
            return;
        };
        // PRACK/UPDATE with SDP may answer an offer of the other side.
        if matches!(method, Method::Prack | Method::Update) {
            if let Some(i) = self
                .pending
                .iter()
                .position(|p| p.offerer != side && p.early_answer.is_none() && p.method != *method)
            {
                let p = self.pending.remove(i);
                let trigger = format!("{}/{}", p.trigger, method);
                self.add_epoch(p, trigger, frame, ts, src, &sdp, false, None, events);
                return;
            }
        }
        let trigger = match method {
            Method::Invite if in_dialog => "re-INVITE".to_string(),
            m => m.to_string(),
        };
        // A copy of the same offer seen on the way (same CSeq and method): keep one.
        self.pending
            .retain(|p| !(p.method == *method && p.cseq == cseq && p.offerer == side));
        self.pending.push(PendingOffer {
            method: method.clone(),
            cseq,
            offerer: side,
            frame,
            ts,
            trigger,
            sdp,
            signalling_src: src,
            early_answer: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_response(
        &mut self,
        msg: &SipMessage,
        method: &Method,
        cseq: u32,
        code: u16,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        side: Side,
        sdp: Option<SessionDescription>,
        events: &mut Vec<CallEvent>,
    ) {
        let initial = *method == Method::Invite && Some(cseq) == self.initial_cseq;
        if initial {
            match code {
                101..=199 if self.state == CallState::Trying => {
                    self.set_state(CallState::Early, events)
                }
                200..=299 if !self.state.is_final() || self.state == CallState::Cancelled => {
                    if self.answered.is_none() {
                        self.answered = Some((ts, frame));
                    }
                    self.set_state(CallState::Confirmed, events);
                }
                300..=699 if self.answered.is_none() => {
                    let state = if code == 487 && self.cancelled {
                        CallState::Cancelled
                    } else {
                        CallState::Failed(code)
                    };
                    if self.ended.is_none() {
                        self.ended = Some((ts, frame));
                    }
                    self.set_state(state, events);
                }
                _ => {}
            }
        }
        if *method == Method::Refer && code >= 200 {
            if let Some(r) = self
                .refers
                .iter_mut()
                .rev()
                .find(|r| r.cseq == cseq && r.response.is_none())
            {
                r.response = Some((code, frame));
            }
        }
        if !matches!(method, Method::Invite | Method::Update | Method::Prack) {
            return;
        }
        let to_tag = msg.to.as_ref().and_then(|t| t.tag.clone());
        let pending = self
            .pending
            .iter()
            .position(|p| p.method == *method && p.cseq == cseq && p.offerer != side);
        match (pending, code, sdp) {
            (Some(i), 101..=299, Some(sdp)) => {
                let early = code < 200;
                let version = sdp
                    .origin
                    .as_ref()
                    .map(|o| o.session_version.clone())
                    .unwrap_or_default();
                let same_as_early = self.pending.get(i).and_then(|p| p.early_answer.clone());
                if let Some((v, epoch)) = same_as_early {
                    if v == version {
                        // The 200 repeats the answer of the 18x: the early epoch holds.
                        if !early {
                            if let Some(e) = self.epochs.get_mut(epoch) {
                                e.early = false;
                            }
                            self.pending.remove(i);
                        }
                        return;
                    }
                }
                let Some(p) = self.pending.get(i).cloned() else {
                    return;
                };
                let trigger = format!("{}/{}", p.trigger, code);
                let idx = self.add_epoch(p, trigger, frame, ts, src, &sdp, early, to_tag, events);
                if early {
                    if let (Some(p), Some(idx)) = (self.pending.get_mut(i), idx) {
                        p.early_answer = Some((version, idx));
                    }
                } else {
                    self.pending.remove(i);
                }
            }
            (Some(i), 200..=299, None) => {
                // Answered without SDP: an earlier 18x answer stands (no longer early).
                let p = self.pending.remove(i);
                if let Some((_, epoch)) = p.early_answer {
                    if let Some(e) = self.epochs.get_mut(epoch) {
                        e.early = false;
                    }
                }
            }
            (Some(i), 300..=699, _) => {
                let p = self.pending.remove(i);
                if p.early_answer.is_none() {
                    self.failed_offer(p, Some(code), Some(frame), events);
                }
            }
            (None, 200..=299, Some(sdp))
                if *method == Method::Invite && self.invites_without_sdp.contains(&cseq) =>
            {
                // INVITE without SDP: the 2xx carries the offer, the ACK the answer.
                self.pending
                    .retain(|p| !(p.method == Method::Invite && p.cseq == cseq));
                self.pending.push(PendingOffer {
                    method: Method::Invite,
                    cseq,
                    offerer: side,
                    frame,
                    ts,
                    trigger: format!("{code}"),
                    sdp,
                    signalling_src: src,
                    early_answer: None,
                });
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_epoch(
        &mut self,
        offer: PendingOffer,
        trigger: String,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        answer: &SessionDescription,
        early: bool,
        to_tag: Option<String>,
        events: &mut Vec<CallEvent>,
    ) -> Option<usize> {
        if self.epochs.len() >= MAX_EPOCHS {
            return None;
        }
        self.close_epoch(ts);
        let mut lines = media_lines(&offer.sdp, offer.offerer, offer.frame, offer.signalling_src);
        lines.extend(media_lines(answer, offer.offerer.other(), frame, src));
        let mut origins = Vec::new();
        for (sdp, side, f) in [
            (&offer.sdp, offer.offerer, offer.frame),
            (answer, offer.offerer.other(), frame),
        ] {
            if let Some(o) = &sdp.origin {
                origins.push(OriginLine {
                    side,
                    frame: f,
                    raw: o.raw.clone(),
                    addr: o.addr,
                    session_version: o.session_version.clone(),
                });
            }
        }
        let index = self.epochs.len();
        self.epochs.push(Epoch {
            index,
            trigger,
            offerer: offer.offerer,
            offer_frame: offer.frame,
            answer_frame: frame,
            start: ts,
            end: None,
            early,
            to_tag,
            lines,
            origins,
        });
        events.push(CallEvent::NewEpoch(index));
        Some(index)
    }

    fn failed_offer(
        &mut self,
        p: PendingOffer,
        code: Option<u16>,
        response_frame: Option<u64>,
        events: &mut Vec<CallEvent>,
    ) {
        if self.failed_offers.len() >= MAX_EPOCHS {
            return;
        }
        let lines = media_lines(&p.sdp, p.offerer, p.frame, p.signalling_src);
        self.failed_offers.push(FailedOffer {
            trigger: p.trigger,
            offerer: p.offerer,
            frame: p.frame,
            ts: p.ts,
            code,
            response_frame,
            lines,
        });
        events.push(CallEvent::FailedOffer(self.failed_offers.len() - 1));
    }

    fn close_epoch(&mut self, ts: Timestamp) {
        if let Some(e) = self.epochs.last_mut() {
            if e.end.is_none() {
                e.end = Some(ts);
            }
        }
    }

    fn set_state(&mut self, state: CallState, events: &mut Vec<CallEvent>) {
        if self.state != state {
            self.state = state;
            events.push(CallEvent::StateChanged(state));
        }
    }

    /// The initial INVITE timed out (no final response in 32 s) or the capture ended.
    pub fn invite_unanswered(&mut self, timed_out: bool, events: &mut Vec<CallEvent>) {
        if matches!(self.state, CallState::Trying | CallState::Early) {
            let state = if timed_out {
                CallState::TimedOut
            } else {
                CallState::Unanswered
            };
            self.set_state(state, events);
        }
    }

    /// End of capture (or release): offers still pending were never answered.
    pub fn finish(&mut self, now: Timestamp, events: &mut Vec<CallEvent>) {
        for p in std::mem::take(&mut self.pending) {
            if p.early_answer.is_none() {
                self.failed_offer(p, None, None, events);
            }
        }
        if self.ended.is_none() && self.state.is_final() {
            self.ended = Some((now, 0));
        }
        if let Some(e) = self.epochs.last_mut() {
            if e.end.is_none() && self.state.is_final() {
                e.end = self.ended.map(|(t, _)| t);
            }
        }
    }

    /// The initial INVITE's CSeq number.
    pub fn initial_cseq(&self) -> Option<u32> {
        self.initial_cseq
    }

    /// The epoch in force at `ts` (the last one started at or before it).
    pub fn epoch_at(&self, ts: Timestamp) -> Option<&Epoch> {
        self.epochs.iter().rev().find(|e| e.start <= ts)
    }
}

/// The status code of a `message/sipfrag` body (RFC 3420): its first line, e.g.
/// `SIP/2.0 200 OK`.
fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let line = body.split(|b| *b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("SIP/2.0") {
        return None;
    }
    words.next()?.parse().ok()
}

/// The m= lines of one side's SDP as media expectations.
fn media_lines(
    sdp: &SessionDescription,
    side: Side,
    frame: u64,
    src: SocketAddr,
) -> Vec<MediaLine> {
    sdp.media
        .iter()
        .enumerate()
        .map(|(index, m)| {
            let addr = sdp.media_addr(m);
            let rtcp_port = match &m.rtcp {
                Some(r) => Some(r.port),
                None if !m.proto.eq_ignore_ascii_case("udptl") && m.port != 0 => {
                    m.port.checked_add(1)
                }
                None => None,
            };
            let rtcp_addr = m.rtcp.as_ref().and_then(|r| r.addr).or(addr);
            let payload_types: Vec<(u8, Option<u32>)> = m
                .formats
                .iter()
                .filter_map(|f| f.parse::<u8>().ok())
                .map(|pt| (pt, sdp.clock_rate(m, pt)))
                .collect();
            let codecs = m
                .formats
                .iter()
                .map(|f| {
                    let pt = f.parse::<u8>().ok();
                    match m.rtpmaps.iter().find(|r| Some(r.payload_type) == pt) {
                        Some(r) => format!("{f} {}/{}", r.encoding, r.clock_rate),
                        None => f.clone(),
                    }
                })
                .collect();
            MediaLine {
                side,
                frame,
                index,
                media: m.kind.clone(),
                proto: m.proto.clone(),
                addr,
                connection_raw: sdp.media_connection(m).map(|c| c.raw.clone()),
                port: m.port,
                rtcp_port,
                rtcp_addr,
                direction: sdp.media_direction(m),
                payload_types,
                codecs,
                t38: m.t38.clone(),
                signalling_src: src,
            }
        })
        .collect()
}
