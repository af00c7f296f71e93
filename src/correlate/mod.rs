//! Correlation: which call, epoch and stream a media flow belongs to, and how that was
//! decided.
//!
//! Every completed offer/answer epoch gives each side a place where it said it would
//! receive each stream (its SDP address and port, and the RTCP port). A flow is matched,
//! in this order of trust:
//! 1. `exact`: it is sent to an address:port an SDP announced;
//! 2. `latched`: it is sent to the port an SDP announced but at the address the receiver's
//!    SIP came from (a NAT that kept the port), or to the address the receiver's own
//!    media comes from (symmetric RTP, what rtpengine-style latching does);
//! 3. `port-only`: only the port matches, while the call is up;
//! 4. `unmatched`.
//!
//! Among several candidates the epoch in force at the packet's time wins (media may start
//! a little before the first answer is captured, so a 2 s grace is allowed before it).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::sip::call::{Call, Epoch, Side};
use crate::time::{Duration, Timestamp};

/// How a flow was matched to its expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKind {
    Exact,
    Latched,
    PortOnly,
    Unmatched,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Latched => "latched",
            MatchKind::PortOnly => "port-only",
            MatchKind::Unmatched => "unmatched",
        }
    }
}

/// What a flow was matched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attribution {
    /// `Call::id`.
    pub call: u64,
    pub epoch: usize,
    /// m= line position.
    pub stream: usize,
    /// The side that sends this flow.
    pub from: Side,
    pub how: MatchKind,
    /// The flow is RTCP (to the RTCP port) rather than the media itself.
    pub rtcp: bool,
    /// The stream is UDPTL (T.38).
    pub udptl: bool,
}

/// One place where a side said it would receive a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    call: u64,
    epoch: usize,
    stream: usize,
    receiver: Side,
    rtcp: bool,
    udptl: bool,
    start: Timestamp,
    /// The receiver's signalling source IP (its public address behind a NAT).
    sig_ip: IpAddr,
    /// Where the sending side said it receives this stream in the same epoch: with
    /// symmetric RTP, where its packets come from (tells apart concurrent calls that
    /// announce the same receive address).
    peer: Option<SocketAddr>,
}

/// Other call legs a flow is credited to besides its own (bounded).
const MAX_ALSO: usize = 3;

/// Media may arrive shortly before its answer is captured.
const GRACE: Duration = Duration::from_secs(2);

/// The expectations of every call that is still tracked.
#[derive(Debug, Default)]
pub struct Expectations {
    by_addr: HashMap<SocketAddr, Vec<Target>>,
    by_port: HashMap<u16, Vec<Target>>,
    /// Where a side's media comes from (symmetric RTP: it receives there too).
    latched: HashMap<SocketAddr, Vec<Target>>,
    /// Call time windows: (start, end) for port-only matching.
    windows: HashMap<u64, (Timestamp, Option<Timestamp>)>,
    /// Bumped whenever an expectation is added or removed.
    generation: u64,
    /// The generation at which the expectations for each address (by_addr and latched
    /// keys) and each port (by_port) last changed: a flow matched at an older generation
    /// is matched again on its next packet only when its destination's did change (so a
    /// busy link with calls starting and ending keeps most packets on the cached match).
    touched: HashMap<SocketAddr, u64>,
    touched_ports: HashMap<u16, u64>,
}

impl Expectations {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether what `lookup` would say for packets to `dst` may have changed since a flow
    /// was matched at `generation` (`u64::MAX`: never matched).
    pub fn changed_since(&self, dst: SocketAddr, generation: u64) -> bool {
        generation == u64::MAX
            || self.touched.get(&dst).is_some_and(|g| *g > generation)
            || self
                .touched_ports
                .get(&dst.port())
                .is_some_and(|g| *g > generation)
    }

    /// Forgets change marks no live flow can need: every flow still tracked was matched at
    /// `oldest` or later.
    pub fn prune_touched(&mut self, oldest: u64) {
        self.touched.retain(|_, g| *g > oldest);
        self.touched_ports.retain(|_, g| *g > oldest);
    }

    fn touch(&mut self, addr: SocketAddr) {
        self.touched.insert(addr, self.generation);
        self.touched_ports.insert(addr.port(), self.generation);
    }

    /// Adds the places of a new epoch of `call`.
    pub fn add_epoch(&mut self, call: &Call, epoch: &Epoch) {
        self.generation += 1;
        for line in &epoch.lines {
            let udptl = line.is_udptl();
            let peer = epoch
                .line(line.side.other(), line.index)
                .and_then(|l| l.receive_addr());
            let base = Target {
                call: call.id,
                epoch: epoch.index,
                stream: line.index,
                receiver: line.side,
                rtcp: false,
                udptl,
                start: epoch.start,
                sig_ip: line.signalling_src.ip(),
                peer,
            };
            if let Some(addr) = line.receive_addr() {
                self.insert(addr, base);
                if let (Some(port), false) = (line.rtcp_port, udptl) {
                    let rtcp_addr = SocketAddr::new(line.rtcp_addr.unwrap_or(addr.ip()), port);
                    self.insert(rtcp_addr, Target { rtcp: true, ..base });
                }
            }
        }
        self.windows.entry(call.id).or_insert((call.start, None));
    }

    fn insert(&mut self, addr: SocketAddr, t: Target) {
        self.touch(addr);
        let v = self.by_addr.entry(addr).or_default();
        if !v.contains(&t) {
            v.push(t);
        }
        let v = self.by_port.entry(addr.port()).or_default();
        if !v.contains(&t) {
            v.push(t);
        }
    }

    /// Notes the end of a call (port-only matching stops a little after it).
    pub fn call_ended(&mut self, call: u64, at: Timestamp) {
        if let Some(w) = self.windows.get_mut(&call) {
            w.1 = Some(at);
        }
    }

    /// Forgets a released call.
    pub fn remove_call(&mut self, call: u64) {
        self.generation += 1;
        let mut changed: Vec<SocketAddr> = Vec::new();
        for map in [&mut self.by_addr, &mut self.latched] {
            map.retain(|addr, v| {
                let before = v.len();
                v.retain(|t| t.call != call);
                if v.len() != before {
                    changed.push(*addr);
                }
                !v.is_empty()
            });
        }
        let mut ports: Vec<u16> = Vec::new();
        self.by_port.retain(|port, v| {
            let before = v.len();
            v.retain(|t| t.call != call);
            if v.len() != before {
                ports.push(*port);
            }
            !v.is_empty()
        });
        for addr in changed {
            self.touch(addr);
        }
        for port in ports {
            self.touched_ports.insert(port, self.generation);
        }
        self.windows.remove(&call);
    }

    /// Remembers that `from` is where `sender` of (call, epoch, stream) sends media from.
    pub fn learn_source(&mut self, from: SocketAddr, a: &Attribution) {
        let t = Target {
            call: a.call,
            epoch: a.epoch,
            stream: a.stream,
            receiver: a.from,
            rtcp: a.rtcp,
            udptl: a.udptl,
            start: Timestamp::ZERO,
            sig_ip: from.ip(),
            peer: None,
        };
        let v = self.latched.entry(from).or_default();
        if !v.contains(&t) && v.len() < 16 {
            v.push(t);
            self.generation += 1;
            self.touch(from);
        }
    }

    /// Whether an SDP announced `dst` as a UDPTL port.
    pub fn is_udptl(&self, dst: SocketAddr) -> bool {
        self.by_addr
            .get(&dst)
            .is_some_and(|v| v.iter().any(|t| t.udptl && !t.rtcp))
    }

    /// Whether an SDP announced `dst` at all (for RTP on ports the heuristic avoids).
    pub fn is_announced(&self, dst: SocketAddr) -> bool {
        self.by_addr.contains_key(&dst)
    }

    /// Matches a packet sent from `src` to `dst` at `ts`.
    pub fn lookup(&self, src: SocketAddr, dst: SocketAddr, ts: Timestamp) -> Option<Attribution> {
        if let Some(t) = self.by_addr.get(&dst).and_then(|v| self.best(v, src, ts)) {
            return Some(attr(t, MatchKind::Exact));
        }
        if let Some(v) = self.by_port.get(&dst.port()) {
            let nat: Vec<Target> = v.iter().copied().filter(|t| t.sig_ip == dst.ip()).collect();
            if let Some(t) = self.best(&nat, src, ts) {
                return Some(attr(t, MatchKind::Latched));
            }
        }
        if let Some(t) = self.latched.get(&dst).and_then(|v| self.best(v, src, ts)) {
            return Some(attr(t, MatchKind::Latched));
        }
        if let Some(v) = self.by_port.get(&dst.port()) {
            let live: Vec<Target> = v
                .iter()
                .copied()
                .filter(|t| self.in_window(t.call, ts))
                .collect();
            if let Some(t) = self.best(&live, src, ts) {
                return Some(attr(t, MatchKind::PortOnly));
            }
        }
        None
    }

    /// The call has started (with grace) and not ended at `ts`.
    fn is_up(&self, call: u64, ts: Timestamp) -> bool {
        match self.windows.get(&call) {
            Some((start, end)) => ts.plus(GRACE) >= *start && end.is_none_or(|e| ts <= e),
            None => false,
        }
    }

    /// Other calls that announced exactly `dst` and are up at `ts` (the same media seen
    /// from two call legs: a B2BUA that handed media to the phones directly, or one call
    /// on two signalling paths): the flow belongs to each of them too.
    pub fn also_exact(
        &self,
        src: SocketAddr,
        dst: SocketAddr,
        ts: Timestamp,
        primary: &Attribution,
    ) -> Vec<Attribution> {
        let Some(v) = self.by_addr.get(&dst) else {
            return Vec::new();
        };
        let mut calls: Vec<u64> = v
            .iter()
            .map(|t| t.call)
            .filter(|c| *c != primary.call && self.is_up(*c, ts))
            .collect();
        calls.sort_unstable();
        calls.dedup();
        calls
            .into_iter()
            .take(MAX_ALSO)
            .filter_map(|c| {
                let of_call: Vec<Target> = v.iter().copied().filter(|t| t.call == c).collect();
                self.best(&of_call, src, ts)
                    .map(|t| attr(t, MatchKind::Exact))
            })
            .collect()
    }

    fn in_window(&self, call: u64, ts: Timestamp) -> bool {
        match self.windows.get(&call) {
            Some((start, end)) => {
                ts.plus(GRACE) >= *start && end.is_none_or(|e| ts <= e.plus(Duration::from_secs(5)))
            }
            None => false,
        }
    }
}

impl Expectations {
    /// The target to credit: among the calls that expect this address and are up at
    /// `ts` (else all of them), the first call seen (the same SDP on two legs of one
    /// call, through a proxy, is one media path), and in it the latest epoch started by
    /// `ts` (with grace), else its earliest.
    fn best(&self, v: &[Target], src: SocketAddr, ts: Timestamp) -> Option<Target> {
        // Calls up at `ts` whose sending side announced `src` (symmetric RTP), then calls
        // up at `ts`, then the same two in the few seconds after their end, then any. A
        // call that is over never takes media from a call that is up on the same
        // addresses (consecutive calls between the same two ports).
        let symmetric = |ok: &dyn Fn(u64) -> bool| {
            v.iter()
                .filter(|t| t.peer == Some(src) && ok(t.call))
                .map(|t| t.call)
                .min()
        };
        let any = |ok: &dyn Fn(u64) -> bool| v.iter().map(|t| t.call).filter(|c| ok(*c)).min();
        let up = |c: u64| self.is_up(c, ts);
        let window = |c: u64| self.in_window(c, ts);
        let call = symmetric(&up)
            .or_else(|| any(&up))
            .or_else(|| symmetric(&window))
            .or_else(|| any(&window))
            .or_else(|| v.iter().map(|t| t.call).min())?;
        let of_call = || v.iter().filter(move |t| t.call == call);
        // The epoch in force: the latest started by `ts`; before the first answer, the
        // first epoch if it starts within the grace (media racing its answer).
        let started = of_call()
            .filter(|t| t.start <= ts)
            .max_by_key(|t| (t.start, t.epoch));
        started
            .or_else(|| {
                of_call()
                    .filter(|t| t.start <= ts.plus(GRACE))
                    .min_by_key(|t| (t.start, t.epoch))
            })
            .or_else(|| of_call().min_by_key(|t| (t.start, t.epoch)))
            .copied()
    }
}

fn attr(t: Target, how: MatchKind) -> Attribution {
    Attribution {
        call: t.call,
        epoch: t.epoch,
        stream: t.stream,
        from: t.receiver.other(),
        how,
        rtcp: t.rtcp,
        udptl: t.udptl,
    }
}
