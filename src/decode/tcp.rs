//! TCP stream reassembly for SIP over TCP (RFC 3261 section 18.3).
//!
//! Only streams that carry SIP are reassembled: a stream is recognised by a SIP start line
//! (or CRLF keepalive) at the start of a segment, or as TLS when it runs on port 5061 and
//! starts with a TLS record (counted as encrypted signalling, not inspected). Reassembly
//! handles out-of-order segments, retransmissions and overlaps. A hole the capture never
//! fills (the capture missed a segment) is skipped when the receiver acknowledges bytes
//! beyond it, when it has waited longer than `hole_timeout`, or when too much is held
//! behind it; framing then resynchronises on the next start line. Every buffer is bounded;
//! a stream idle for longer than the timeout is dropped.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::sip::framing::{next_frame, StreamFrame};
use crate::sip::{is_keepalive, looks_like_sip, may_start_sip};
use crate::time::{Duration, Timestamp};

/// Bounds of the stream table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpConfig {
    /// Streams tracked at once; beyond it the least recently seen is dropped.
    pub max_streams: usize,
    /// Bytes buffered per stream waiting for a message to complete (a SIP message with a
    /// 64 KiB body must fit).
    pub max_buffer: usize,
    /// Out-of-order segments held per stream before the hole is declared lost.
    pub max_out_of_order: usize,
    /// How long (capture time) a hole may stay open before it is declared lost.
    pub hole_timeout: Duration,
    /// A stream with no segment for this long is dropped.
    pub idle_timeout: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            max_streams: 4_096,
            max_buffer: 256 * 1024,
            max_out_of_order: 64,
            hole_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// One direction of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamKey {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

impl StreamKey {
    fn reverse(self) -> StreamKey {
        StreamKey {
            src: self.dst,
            dst: self.src,
        }
    }
}

/// The parts of a TCP segment reassembly needs.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub seq: u32,
    /// The acknowledgment number, when the ACK flag is set.
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// What one segment was, for packet accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentClass {
    /// No payload (SYN, ACK, FIN, RST).
    Control,
    /// Payload on a SIP stream.
    Sip,
    /// Payload on a SIP stream that is only CR/LF keepalive.
    Keepalive,
    /// Payload on a TLS stream on the SIP TLS port.
    Tls,
    /// Payload on a stream that is not SIP.
    Other,
}

/// What reassembly produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// A whole SIP message (framed by Content-Length) on the stream `key`, and the frames
    /// of the segments that carried its bytes, in arrival order: the last one is the
    /// frame whose arrival completed it.
    Message {
        key: StreamKey,
        bytes: Vec<u8>,
        frames: Vec<u64>,
    },
    /// Bytes skipped because they are not SIP (after a hole, or junk between messages).
    Junk { len: usize, frame: u64 },
    /// A hole in the sequence space that never filled; `len` bytes are missing.
    Gap { len: usize, frame: u64 },
    /// A message grew past the buffer bound and was dropped.
    Overflow { len: usize, frame: u64 },
}

/// Counters of the reassembler, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpStats {
    pub retransmissions: u64,
    pub out_of_order: u64,
    pub gaps: u64,
    pub overflows: u64,
    pub evicted_streams: u64,
    pub keepalives: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unknown { segments: u8 },
    Sip,
    Tls,
    Other,
}

#[derive(Debug)]
struct Held {
    seq: u32,
    bytes: Vec<u8>,
    frame: u64,
    since: Timestamp,
}

#[derive(Debug)]
struct Stream {
    key: StreamKey,
    kind: Kind,
    next_seq: Option<u32>,
    buf: Vec<u8>,
    /// (frame, end offset in `buf`) of each segment whose bytes are still buffered.
    buf_frames: Vec<(u64, usize)>,
    ooo: Vec<Held>,
    last_seen: Timestamp,
    /// False while a stream taken for SIP on a partial start line has not framed a
    /// message yet: junk first means it was not SIP after all.
    confirmed: bool,
}

/// Payload segments looked at before a stream is declared not SIP.
const SNIFF_SEGMENTS: u8 = 4;
/// Frames remembered per buffered message (a 64 KiB body over 1460-byte segments is 45;
/// beyond the bound the last entry stands for the rest).
const MAX_FRAMES_PER_MESSAGE: usize = 64;
const SIP_TLS_PORT: u16 = 5061;

/// What every stream operation writes to.
struct Out<'a> {
    config: &'a TcpConfig,
    stats: &'a mut TcpStats,
    events: &'a mut Vec<StreamEvent>,
}

/// The stream table.
#[derive(Debug, Default)]
pub struct TcpReassembler {
    config: TcpConfig,
    streams: HashMap<StreamKey, Stream>,
    pub stats: TcpStats,
}

fn seq_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

fn looks_like_tls(payload: &[u8]) -> bool {
    // TLS record: content type 20..=23, version major 3.
    matches!(payload, [20..=23, 3, minor, ..] if *minor <= 4)
}

/// Offset of the first line in `payload` that starts a SIP message, for a capture that
/// began in the middle of a stream.
fn find_start_line(payload: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(nl) = memchr::memchr(b'\n', payload.get(at..)?) {
        at += nl + 1;
        if looks_like_sip(payload.get(at..)?) {
            return Some(at);
        }
    }
    None
}

impl TcpReassembler {
    pub fn new(config: TcpConfig) -> Self {
        TcpReassembler {
            config,
            streams: HashMap::new(),
            stats: TcpStats::default(),
        }
    }

    pub fn streams(&self) -> usize {
        self.streams.len()
    }

    /// Feeds one segment; produced messages and anomalies are appended to `events`.
    pub fn segment(
        &mut self,
        now: Timestamp,
        frame: u64,
        key: StreamKey,
        seg: Segment<'_>,
        events: &mut Vec<StreamEvent>,
    ) -> SegmentClass {
        // An acknowledgment beyond a hole in the other direction: the receiver got bytes
        // the capture never saw, so the hole will not fill.
        if let Some(ack) = seg.ack {
            if let Some(rev) = self.streams.get_mut(&key.reverse()) {
                let mut out = Out {
                    config: &self.config,
                    stats: &mut self.stats,
                    events,
                };
                rev.acked(ack, frame, &mut out);
            }
        }
        if !self.streams.contains_key(&key) {
            if seg.payload.is_empty() && !seg.syn {
                return SegmentClass::Control;
            }
            if self.streams.len() >= self.config.max_streams {
                self.evict_oldest();
            }
            self.streams.insert(key, Stream::new(key, now));
        }
        let mut out = Out {
            config: &self.config,
            stats: &mut self.stats,
            events,
        };
        let Some(st) = self.streams.get_mut(&key) else {
            return SegmentClass::Control;
        };
        st.last_seen = now;
        if seg.syn {
            st.next_seq = Some(seg.seq.wrapping_add(1));
        }
        let class = if seg.payload.is_empty() {
            SegmentClass::Control
        } else {
            let seq = if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            st.payload(now, frame, seq, seg.payload, &mut out)
        };
        st.hole_timeout(now, frame, &mut out);
        if seg.fin || seg.rst {
            if let Some(mut st) = self.streams.remove(&key) {
                st.flush(frame, &mut out);
            }
        }
        class
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .streams
            .iter()
            .min_by_key(|(_, s)| s.last_seen)
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            self.streams.remove(&k);
            self.stats.evicted_streams += 1;
        }
    }

    /// Skips holes older than the hole timeout and drops streams idle for longer than
    /// the idle timeout.
    pub fn expire(&mut self, now: Timestamp, events: &mut Vec<StreamEvent>) {
        let mut out = Out {
            config: &self.config,
            stats: &mut self.stats,
            events,
        };
        let idle = self.config.idle_timeout;
        let mut stale = Vec::new();
        for (k, st) in self.streams.iter_mut() {
            st.hole_timeout(now, 0, &mut out);
            if now.since(st.last_seen) >= idle {
                stale.push(*k);
            }
        }
        for k in stale {
            if let Some(mut st) = self.streams.remove(&k) {
                st.flush(0, &mut out);
                out.stats.evicted_streams += 1;
            }
        }
    }

    /// End of capture: reports what every stream still holds.
    pub fn finish(&mut self, frame: u64, events: &mut Vec<StreamEvent>) {
        let mut out = Out {
            config: &self.config,
            stats: &mut self.stats,
            events,
        };
        for (_, mut st) in self.streams.drain() {
            st.flush(frame, &mut out);
        }
    }
}

impl Stream {
    fn new(key: StreamKey, now: Timestamp) -> Stream {
        Stream {
            key,
            kind: Kind::Unknown { segments: 0 },
            next_seq: None,
            buf: Vec::new(),
            buf_frames: Vec::new(),
            ooo: Vec::new(),
            last_seen: now,
            confirmed: true,
        }
    }

    fn payload(
        &mut self,
        now: Timestamp,
        frame: u64,
        seq: u32,
        payload: &[u8],
        out: &mut Out<'_>,
    ) -> SegmentClass {
        match self.kind {
            Kind::Other => return SegmentClass::Other,
            Kind::Tls => return SegmentClass::Tls,
            Kind::Sip => {}
            Kind::Unknown { segments } => return self.sniff(segments, frame, seq, payload, out),
        }
        let next = *self.next_seq.get_or_insert(seq);
        let rel = seq_diff(seq, next);
        let class = if is_keepalive(payload) {
            SegmentClass::Keepalive
        } else {
            SegmentClass::Sip
        };
        if rel < 0 {
            let skip = usize::try_from(-rel).unwrap_or(usize::MAX);
            match payload.get(skip..) {
                Some(rest) if !rest.is_empty() => self.in_order(frame, rest, out),
                _ => out.stats.retransmissions += 1,
            }
        } else if rel > 0 {
            out.stats.out_of_order += 1;
            let dup = self
                .ooo
                .iter()
                .any(|h| h.seq == seq && h.bytes.len() >= payload.len());
            if dup {
                out.stats.retransmissions += 1;
            } else {
                self.ooo.push(Held {
                    seq,
                    bytes: payload.to_vec(),
                    frame,
                    since: now,
                });
            }
            let held: usize = self.ooo.iter().map(|h| h.bytes.len()).sum();
            if self.ooo.len() > out.config.max_out_of_order || held > out.config.max_buffer {
                self.skip_hole(frame, out);
            }
        } else {
            self.in_order(frame, payload, out);
        }
        class
    }

    /// The first payload segments of a stream decide what it is.
    fn sniff(
        &mut self,
        segments: u8,
        frame: u64,
        seq: u32,
        payload: &[u8],
        out: &mut Out<'_>,
    ) -> SegmentClass {
        let tls_port = self.key.src.port() == SIP_TLS_PORT || self.key.dst.port() == SIP_TLS_PORT;
        if tls_port && looks_like_tls(payload) {
            self.kind = Kind::Tls;
            return SegmentClass::Tls;
        }
        let start = if looks_like_sip(payload) || is_keepalive(payload) {
            Some(0)
        } else if may_start_sip(payload) {
            // The segment ends inside a start line: SIP until framing says otherwise.
            self.confirmed = false;
            Some(0)
        } else {
            find_start_line(payload)
        };
        let Some(skip) = start else {
            let segments = segments.saturating_add(1);
            self.kind = if segments >= SNIFF_SEGMENTS {
                Kind::Other
            } else {
                Kind::Unknown { segments }
            };
            return SegmentClass::Other;
        };
        self.kind = Kind::Sip;
        self.buf.clear();
        self.buf_frames.clear();
        self.ooo.clear();
        if skip > 0 {
            out.events.push(StreamEvent::Junk { len: skip, frame });
        }
        self.next_seq = Some(seq.wrapping_add(u32::try_from(skip).unwrap_or(u32::MAX)));
        let rest = payload.get(skip..).unwrap_or_default();
        self.in_order(frame, rest, out);
        if is_keepalive(rest) {
            SegmentClass::Keepalive
        } else {
            SegmentClass::Sip
        }
    }

    /// Appends in-order bytes, pulls in held segments that now fit, and frames messages.
    fn in_order(&mut self, frame: u64, data: &[u8], out: &mut Out<'_>) {
        self.append(frame, data);
        self.drain_held();
        self.frame_messages(frame, out);
    }

    fn append(&mut self, frame: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.buf.extend_from_slice(data);
        let end = self.buf.len();
        let same_frame = self.buf_frames.last().is_some_and(|(f, _)| *f == frame);
        if same_frame || self.buf_frames.len() >= MAX_FRAMES_PER_MESSAGE {
            if let Some(last) = self.buf_frames.last_mut() {
                *last = (frame, end);
            }
        } else {
            self.buf_frames.push((frame, end));
        }
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        self.next_seq = self.next_seq.map(|n| n.wrapping_add(len));
    }

    /// Appends every held segment that now starts at or before `next_seq`.
    fn drain_held(&mut self) {
        while let Some(next) = self.next_seq {
            let Some(idx) = self.ooo.iter().position(|h| seq_diff(h.seq, next) <= 0) else {
                break;
            };
            let held = self.ooo.swap_remove(idx);
            let skip = usize::try_from(-seq_diff(held.seq, next)).unwrap_or(usize::MAX);
            if let Some(rest) = held.bytes.get(skip..) {
                self.append(held.frame, rest);
            }
        }
    }

    fn frame_messages(&mut self, frame: u64, out: &mut Out<'_>) {
        while !self.buf.is_empty() {
            match next_frame(&self.buf) {
                StreamFrame::Message(n) => {
                    self.confirmed = true;
                    let n = n.min(self.buf.len());
                    let bytes: Vec<u8> = self.buf.drain(..n).collect();
                    let mut frames = self.consume_frames(n);
                    // Frames are numbered in arrival order: the highest one completed it.
                    frames.sort_unstable();
                    frames.dedup();
                    out.events.push(StreamEvent::Message {
                        key: self.key,
                        bytes,
                        frames,
                    });
                }
                StreamFrame::Keepalive(n) => {
                    out.stats.keepalives += 1;
                    let n = n.min(self.buf.len());
                    self.buf.drain(..n);
                    self.consume_frames(n);
                }
                StreamFrame::Junk(_) if !self.confirmed => {
                    // Taken for SIP on a partial first line, but it was not a start line.
                    self.kind = Kind::Other;
                    self.buf.clear();
                    self.buf_frames.clear();
                    self.ooo.clear();
                    return;
                }
                StreamFrame::Junk(n) => {
                    let n = n.clamp(1, self.buf.len());
                    self.buf.drain(..n);
                    self.consume_frames(n);
                    out.events.push(StreamEvent::Junk { len: n, frame });
                }
                StreamFrame::Incomplete => break,
            }
        }
        if self.buf.len() > out.config.max_buffer {
            out.stats.overflows += 1;
            out.events.push(StreamEvent::Overflow {
                len: self.buf.len(),
                frame,
            });
            self.buf.clear();
            self.buf_frames.clear();
        }
    }

    /// The frames whose bytes made up the first `n` buffered bytes (just drained); the
    /// segment that straddles the cut stays for the next message.
    fn consume_frames(&mut self, n: usize) -> Vec<u64> {
        let mut frames = Vec::new();
        let mut keep = 0;
        for (i, (f, end)) in self.buf_frames.iter().enumerate() {
            frames.push(*f);
            if *end > n {
                keep = i;
                break;
            }
            keep = i + 1;
        }
        self.buf_frames.drain(..keep);
        for (_, end) in self.buf_frames.iter_mut() {
            *end = end.saturating_sub(n);
        }
        frames
    }

    /// The other side acknowledged `ack`: a hole before it will never fill.
    fn acked(&mut self, ack: u32, frame: u64, out: &mut Out<'_>) {
        let Some(next) = self.next_seq else { return };
        if self.kind == Kind::Sip && !self.ooo.is_empty() && seq_diff(ack, next) > 0 {
            self.skip_hole(frame, out);
        }
    }

    /// A hole open for longer than the hole timeout will not fill.
    fn hole_timeout(&mut self, now: Timestamp, frame: u64, out: &mut Out<'_>) {
        let oldest = self.ooo.iter().map(|h| h.since).min();
        if oldest.is_some_and(|t| now.since(t) >= out.config.hole_timeout) {
            self.skip_hole(frame, out);
        }
    }

    /// Declares the hole before the lowest held segment lost: the partial message in the
    /// buffer can never complete, so it is dropped, and reassembly restarts at the held
    /// segment (framing skips to the next start line there).
    fn skip_hole(&mut self, frame: u64, out: &mut Out<'_>) {
        let Some(next) = self.next_seq else { return };
        let Some(lowest) = self
            .ooo
            .iter()
            .map(|h| h.seq)
            .min_by_key(|s| seq_diff(*s, next))
        else {
            return;
        };
        let missing = usize::try_from(seq_diff(lowest, next).max(0)).unwrap_or(0);
        out.stats.gaps += 1;
        out.events.push(StreamEvent::Gap {
            len: missing,
            frame,
        });
        if !self.buf.is_empty() {
            out.events.push(StreamEvent::Junk {
                len: self.buf.len(),
                frame,
            });
            self.buf.clear();
            self.buf_frames.clear();
        }
        self.next_seq = Some(lowest);
        self.drain_held();
        self.frame_messages(frame, out);
    }

    /// End of the stream (FIN/RST, eviction or end of capture): skips any hole, frames
    /// what it can, and reports what is left.
    fn flush(&mut self, frame: u64, out: &mut Out<'_>) {
        if self.kind != Kind::Sip {
            return;
        }
        while !self.ooo.is_empty() {
            let before = self.ooo.len();
            self.skip_hole(frame, out);
            if self.ooo.len() == before {
                break;
            }
        }
        if !self.buf.is_empty() && !is_keepalive(&self.buf) {
            out.events.push(StreamEvent::Junk {
                len: self.buf.len(),
                frame,
            });
        }
        self.buf.clear();
        self.buf_frames.clear();
    }
}
