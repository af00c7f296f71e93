//! The analysis engine: sans-IO. It is fed captured frames (timestamp, link type, bytes)
//! and hands back records; it never reads a file, a socket or a clock. `analyze`, `live`
//! and the tests are drivers in front of the same engine.
//!
//! Calling order (as quinn-proto documents its `Connection`):
//! 1. [`Engine::handle`] for every captured frame, in capture order. Time only moves
//!    forward through the frames' timestamps.
//! 2. [`Engine::poll`] after each `handle` (or whenever convenient) to take the records
//!    produced so far. Unpolled records are bounded (`Config::max_queued_events`); beyond
//!    it the oldest are dropped and counted.
//! 3. [`Engine::finish`] once at the end: it resolves everything still pending (fragments,
//!    TCP streams) and returns the [`Summary`]; call `poll` once more after it.

mod media;
mod path;
mod signalling;
mod stats;

use std::collections::VecDeque;
use std::net::SocketAddr;

pub use media::{CallRecord, FlowRecord};
pub use stats::{DecodeStats, SipStats, Summary};

use crate::accounting::{Accounting, Class};
use crate::decode::fragment::{FragmentConfig, FragmentPool};
use crate::decode::link::LinkType;
use crate::decode::tcp::{StreamEvent, TcpConfig, TcpReassembler};
use crate::decode::Layer;
use crate::sip::SipMessage;
use crate::time::{Duration, Timestamp};

/// Engine bounds and options.
#[derive(Debug, Clone)]
pub struct Config {
    pub fragments: FragmentConfig,
    pub tcp: TcpConfig,
    /// Malformed records kept for the report (all are counted).
    pub max_malformed_records: usize,
    /// Records held for `poll` before the oldest are dropped.
    pub max_queued_events: usize,
    /// Tunnels nested deeper than this are malformed (a bound against crafted input).
    pub max_tunnel_depth: u8,
    /// How often (in capture time) timeouts are checked.
    pub housekeeping_interval: Duration,
    /// Calls tracked at once (beyond it new calls are not tracked, and counted).
    pub max_calls: usize,
    /// Finished transactions are kept this long (to recognise late retransmissions).
    pub transaction_linger: Duration,
    /// A finished call (and its media) is released this long after its last message.
    pub call_linger: Duration,
    /// A media flow with no packet for this long is closed.
    pub flow_idle: Duration,
    /// Media flows tracked at once.
    pub max_flows: usize,
    /// A call that is not over (no final response or BYE seen) is released anyway after
    /// this long without SIP and without media (a lost BYE must not hold state).
    pub stale_call: Duration,
    /// Live runs: a REGISTER binding is reported (and its findings decided) once its
    /// first kept attempt is this old, then followed on from its last attempt; a binding
    /// with nothing new for this long is released. `None` (files): at the end only.
    pub registration_window: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            fragments: FragmentConfig::default(),
            tcp: TcpConfig::default(),
            max_malformed_records: 1_000,
            max_queued_events: 100_000,
            max_tunnel_depth: 4,
            housekeeping_interval: Duration::from_secs(1),
            max_calls: 100_000,
            transaction_linger: Duration::from_secs(32),
            call_linger: Duration::from_secs(60),
            flow_idle: Duration::from_secs(30),
            max_flows: 200_000,
            stale_call: Duration::from_secs(900),
            registration_window: None,
        }
    }
}

/// Sizes of the engine's tables (see [`Engine::state_sizes`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateSizes {
    pub calls: usize,
    pub flows: usize,
    pub closed_flows_held: usize,
    pub transactions: usize,
    pub registrations: usize,
    pub tcp_streams: usize,
    pub fragment_datagrams: usize,
    pub queued_events: usize,
}

/// What the bounds made the engine drop or release early (all zero on a capture within
/// the bounds): shown in the live status and the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evictions {
    /// New calls not tracked because `max_calls` were tracked already.
    pub calls: u64,
    /// Media flows closed early because `max_flows` were tracked.
    pub flows: u64,
    /// Transactions dropped before their linger time (table bound).
    pub transactions: u64,
    /// REGISTER addresses-of-record not tracked (table bound).
    pub registrations: u64,
    /// SIP TCP streams dropped (table bound).
    pub tcp_streams: u64,
    /// IP datagrams dropped before they completed because of the fragment table bound.
    pub fragment_datagrams: u64,
    /// Records dropped because the driver did not poll them.
    pub events: u64,
}

impl Evictions {
    pub fn total(&self) -> u64 {
        self.calls
            + self.flows
            + self.transactions
            + self.registrations
            + self.tcp_streams
            + self.fragment_datagrams
            + self.events
    }
}

/// One captured frame as a source hands it to the engine.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub ts: Timestamp,
    pub link: LinkType,
    /// The captured bytes (`caplen` of them).
    pub data: &'a [u8],
    /// The packet's length on the wire (larger than `data` when the snaplen cut it).
    pub orig_len: u32,
}

/// How a SIP message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// A SIP message as seen on the wire.
#[derive(Debug, Clone)]
pub struct SipRecord {
    /// The frame that completed the message (last fragment, last TCP segment).
    pub frame: u64,
    /// Other frames that carried parts of it (earlier IP fragments, the TCP segment with
    /// its first byte), in capture order.
    pub other_frames: Vec<u64>,
    pub ts: Timestamp,
    pub transport: Transport,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub msg: SipMessage,
    /// For a response matched to its request: where the request came from (the response
    /// should be sent back there).
    pub request_from: Option<SocketAddr>,
}

/// A packet (or stream part) that could not be decoded, kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedRecord {
    pub frame: u64,
    pub layer: Layer,
    pub reason: String,
}

/// What the engine hands back. New kinds of records are added over time: match with a
/// wildcard arm.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    Sip(Box<SipRecord>),
    Malformed(MalformedRecord),
    /// A media flow closed (idle, evicted, or end of capture).
    Flow(Box<FlowRecord>),
    /// A call released (finished and quiet for the linger time, or end of capture),
    /// with its epochs and the flows attributed to it.
    Call(Box<CallRecord>),
    /// The REGISTERs of one address-of-record (at the end of the capture).
    Registration(Box<crate::sip::registration::Binding>),
    /// A conclusion of one of the detectors (`findings`).
    Finding(Box<crate::findings::Finding>),
    /// An ICMP destination unreachable that quotes a UDP datagram.
    IcmpUnreachable(Box<IcmpRecord>),
    /// A fragmented SIP datagram whose other fragments never arrived.
    SipFragmentsLost(Box<LostSip>),
    /// The ALG verdict for one public address (at the end of the capture).
    Site(Box<crate::findings::site::Site>),
}

/// A SIP message sent in IP fragments of which only some were captured (the first one,
/// with the start line, among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostSip {
    pub frames: Vec<u64>,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The message's first line, as far as it arrived.
    pub start_line: String,
}

/// An ICMP (or ICMPv6) destination unreachable quoting a UDP datagram: who refused what,
/// and the call the refused datagram belongs to when it matches an SDP.
#[derive(Debug, Clone, PartialEq)]
pub struct IcmpRecord {
    pub frame: u64,
    pub ts: Timestamp,
    /// Who sent the ICMP error (the host or router that refused the datagram).
    pub reporter: std::net::IpAddr,
    pub v6: bool,
    /// ICMP code (v4: 3 = port unreachable, 1 = host unreachable; v6: 4 = port).
    pub code: u8,
    /// The refused datagram's addresses.
    pub quoted_src: SocketAddr,
    pub quoted_dst: SocketAddr,
    /// The refused datagram was SIP.
    pub quoted_sip: bool,
    /// The call (and epoch, stream, sending side) of the refused media, with its Call-ID.
    pub call: Option<(crate::correlate::Attribution, String)>,
}

/// The engine. See the module documentation for the calling order.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    frame_no: u64,
    first_ts: Option<Timestamp>,
    now: Timestamp,
    last_housekeeping: Timestamp,
    accounting: Accounting,
    fragments: FragmentPool,
    tcp: TcpReassembler,
    decode_stats: DecodeStats,
    sip_stats: SipStats,
    malformed: Vec<MalformedRecord>,
    malformed_total: u64,
    events: VecDeque<Event>,
    events_dropped: u64,
    stream_scratch: Vec<StreamEvent>,
    sig: signalling::Signalling,
    expectations: crate::correlate::Expectations,
    media: media::MediaState,
    detectors: Vec<Box<dyn crate::findings::Detector + Send>>,
    sites: crate::findings::site::Sites,
    /// Findings so far per severity (info, warning, error).
    findings: [u64; 3],
    /// Calls (engine ids) the last handled frame was counted for.
    frame_calls: Vec<u64>,
    /// Packets the capture itself lost so far (a live source's kernel and interface
    /// drops), as the driver reports them.
    capture_drops: u64,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(Config::default())
    }
}

impl Engine {
    pub fn new(config: Config) -> Self {
        Engine {
            fragments: FragmentPool::new(config.fragments),
            tcp: TcpReassembler::new(config.tcp),
            config,
            frame_no: 0,
            first_ts: None,
            now: Timestamp::ZERO,
            last_housekeeping: Timestamp::ZERO,
            accounting: Accounting::default(),
            decode_stats: DecodeStats::default(),
            sip_stats: SipStats::default(),
            malformed: Vec::new(),
            malformed_total: 0,
            events: VecDeque::new(),
            events_dropped: 0,
            stream_scratch: Vec::new(),
            sig: signalling::Signalling::default(),
            expectations: crate::correlate::Expectations::default(),
            media: media::MediaState::default(),
            detectors: crate::findings::all(),
            sites: crate::findings::site::Sites::default(),
            findings: [0; 3],
            frame_calls: Vec::new(),
            capture_drops: 0,
        }
    }

    /// Feeds one captured frame; returns the class the packet was counted in. Frames are
    /// numbered from 1 in the order they are handed in (as Wireshark numbers them).
    pub fn handle(&mut self, frame: &Frame<'_>) -> Class {
        self.frame_no += 1;
        self.frame_calls.clear();
        if self.first_ts.is_none() {
            self.first_ts = Some(frame.ts);
        }
        if frame.ts > self.now {
            self.now = frame.ts;
        }
        let class = self.decode_frame(frame);
        self.accounting.add(class);
        if self.now.since(self.last_housekeeping) >= self.config.housekeeping_interval {
            self.housekeeping();
        }
        class
    }

    /// Moves the capture clock to `now` without a frame, so that a quiet interface still
    /// closes idle flows, times out transactions and releases finished calls. Live drivers
    /// call it with the time packets are stamped with (the host clock) when no packet
    /// arrives; time never moves backwards.
    pub fn tick(&mut self, now: Timestamp) {
        if self.first_ts.is_none() || now <= self.now {
            return;
        }
        self.now = now;
        if self.now.since(self.last_housekeeping) >= self.config.housekeeping_interval {
            self.housekeeping();
        }
    }

    /// The Call-IDs of the calls the last handled frame belongs to (its SIP message's
    /// call, or the calls its media was attributed to); empty for other frames.
    pub fn frame_call_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.frame_calls
            .iter()
            .filter_map(|id| self.sig.calls.get(id).map(|c| c.call_id.as_str()))
    }

    /// How many legs with this Call-ID the engine still tracks (0 once all are released).
    pub fn active_legs(&self, call_id: &str) -> usize {
        self.sig.by_call_id.get(call_id).map_or(0, Vec::len)
    }

    /// What the bounds made the engine drop so far.
    pub fn evictions(&self) -> Evictions {
        Evictions {
            calls: self.sig.evicted_calls,
            flows: self.media.flows.evicted,
            transactions: self.sig.transactions.evicted,
            registrations: self.sig.registrations.dropped_aors,
            tcp_streams: self.tcp.stats.evicted_streams,
            fragment_datagrams: self.fragments.evicted_datagrams(),
            events: self.events_dropped,
        }
    }

    /// Takes the next record produced so far.
    pub fn poll(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The driver reports the packets its capture lost so far (kernel and interface
    /// drops of a live source). Findings decided after a loss say so: a packet missing
    /// from the capture looks like one missing from the network.
    pub fn capture_dropped(&mut self, total: u64) {
        self.capture_drops = self.capture_drops.max(total);
    }

    /// Findings so far per severity: info, warning, error.
    pub fn findings(&self) -> [u64; 3] {
        self.findings
    }

    /// Packets handed in so far.
    pub fn packets(&self) -> u64 {
        self.frame_no
    }

    /// How much state the engine holds now: what must stay flat over a long live run.
    pub fn state_sizes(&self) -> StateSizes {
        StateSizes {
            calls: self.sig.calls.len(),
            flows: self.media.flows.len(),
            closed_flows_held: self.media.call_flows.values().map(Vec::len).sum(),
            transactions: self.sig.transactions.len(),
            registrations: self.sig.registrations.bindings.len(),
            tcp_streams: self.tcp.streams(),
            fragment_datagrams: self.fragments.pending_datagrams(),
            queued_events: self.events.len(),
        }
    }

    pub fn accounting(&self) -> &Accounting {
        &self.accounting
    }

    /// Resolves everything still pending and returns the summary of the run.
    pub fn finish(&mut self) -> Summary {
        let dropped = self.fragments.drain();
        self.accounting.transfer(
            Class::FragmentPending,
            Class::FragmentDropped,
            dropped as u64,
        );
        self.dropped_fragments();
        let mut out = std::mem::take(&mut self.stream_scratch);
        self.tcp.finish(self.frame_no, &mut out);
        self.stream_events(&mut out);
        self.stream_scratch = out;
        self.signalling_finish();
        self.media_finish();
        let summary = self.summary();
        let mut bindings: Vec<_> = self
            .sig
            .registrations
            .bindings
            .drain()
            .map(|(_, b)| b)
            .collect();
        bindings.sort_by(|a, b| a.aor.cmp(&b.aor));
        for b in bindings {
            self.push_event(Event::Registration(Box::new(b)));
        }
        let mut found = Vec::new();
        for d in self.detectors.iter_mut() {
            d.finish(&mut found);
        }
        self.push_findings(found);
        for site in std::mem::take(&mut self.sites).finish() {
            self.queue(Event::Site(Box::new(site)));
        }
        Summary {
            findings: self.findings,
            ..summary
        }
    }

    /// The summary of what was seen so far (also usable mid-run, e.g. for a live status).
    pub fn summary(&self) -> Summary {
        Summary {
            packets_read: self.frame_no,
            first_ts: self.first_ts,
            last_ts: self.first_ts.map(|_| self.now),
            accounting: self.accounting.clone(),
            sip: self.sip_stats.clone(),
            decode: self.decode_stats.with_tcp(self.tcp.stats),
            malformed: self.malformed.clone(),
            malformed_total: self.malformed_total,
            events_dropped: self.events_dropped,
            transactions: self.sig.transactions.counts,
            calls: self.sig.next_call,
            registered_aors: self.sig.registrations.bindings.len() as u64,
            register_requests: self
                .sig
                .registrations
                .bindings
                .values()
                .map(|b| b.attempts.len() as u64 + b.dropped_attempts)
                .sum(),
            options_requests: self.sig.registrations.options.values().sum(),
            state: self.state_sizes(),
            evictions: self.evictions(),
            findings: self.findings,
        }
    }

    fn housekeeping(&mut self) {
        self.last_housekeeping = self.now;
        let dropped = self.fragments.expire(self.now);
        self.accounting.transfer(
            Class::FragmentPending,
            Class::FragmentDropped,
            dropped as u64,
        );
        self.dropped_fragments();
        let mut out = std::mem::take(&mut self.stream_scratch);
        self.tcp.expire(self.now, &mut out);
        self.stream_events(&mut out);
        self.stream_scratch = out;
        self.signalling_timers();
        self.media_timers();
        let oldest = self.media.flows.oldest_generation();
        self.expectations.prune_touched(oldest);
        if let Some(window) = self.config.registration_window {
            for b in self.sig.registrations.take_windows(self.now, window) {
                self.push_event(Event::Registration(Box::new(b)));
            }
        }
    }

    /// Dropped datagrams that were SIP become records (a router dropping fragments).
    fn dropped_fragments(&mut self) {
        for d in self.fragments.take_dropped() {
            let Some(head) = d.head.as_deref() else {
                continue;
            };
            let (Some(sport), Some(dport), Some(payload)) = (
                crate::decode::be16(head, 0),
                crate::decode::be16(head, 2),
                head.get(8..),
            ) else {
                continue;
            };
            let sip = crate::sip::looks_like_sip(payload) || crate::sip::may_start_sip(payload);
            if d.proto != 17 || !sip {
                continue;
            }
            let line = payload.split(|b| *b == b'\n').next().unwrap_or_default();
            let start_line = String::from_utf8_lossy(line).trim_end().to_string();
            self.push_event(Event::SipFragmentsLost(Box::new(LostSip {
                frames: d.frames,
                src: SocketAddr::new(d.src, sport),
                dst: SocketAddr::new(d.dst, dport),
                start_line,
            })));
        }
    }

    fn push_event(&mut self, ev: Event) {
        let mut found = Vec::new();
        let ctx = crate::findings::CaptureContext {
            media_packets: [Class::Rtp, Class::Rtcp, Class::Udptl]
                .iter()
                .map(|c| self.accounting.get(*c))
                .sum(),
            other_packets: [
                Class::NonIp,
                Class::Icmp,
                Class::UdpOther,
                Class::TcpOther,
                Class::IpOther,
                Class::Stun,
            ]
            .iter()
            .map(|c| self.accounting.get(*c))
            .sum(),
        };
        for d in self.detectors.iter_mut() {
            d.on_event(&ev, &ctx, &mut found);
        }
        self.queue(ev);
        self.push_findings(found);
    }

    fn push_findings(&mut self, found: Vec<crate::findings::Finding>) {
        for mut f in found {
            if self.capture_drops > 0 {
                f.why.push_str(&format!(
                    " [caution: the capture itself has dropped {} packets so far (kernel/interface \
                     drops): what looks missing may be missing from the capture, not the network]",
                    self.capture_drops
                ));
            }
            self.findings[f.severity as usize] += 1;
            self.sites.add(&f);
            self.queue(Event::Finding(Box::new(f)));
        }
    }

    fn queue(&mut self, ev: Event) {
        if self.events.len() >= self.config.max_queued_events {
            self.events.pop_front();
            self.events_dropped += 1;
        }
        self.events.push_back(ev);
    }

    fn record_malformed(&mut self, frame: u64, layer: Layer, reason: String) {
        self.malformed_total += 1;
        let rec = MalformedRecord {
            frame,
            layer,
            reason,
        };
        if self.malformed.len() < self.config.max_malformed_records {
            self.malformed.push(rec.clone());
        }
        self.push_event(Event::Malformed(rec));
    }
}
