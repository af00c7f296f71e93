//! TCP stream reassembly for SIP over TCP (RFC 3261 section 18.3).
//!
//! Only streams that carry SIP are reassembled: a stream is recognised by a SIP start line
//! (or CRLF keepalive) at the start of a segment, or as TLS when it runs on port 5061 and
//! starts with a TLS record (counted as encrypted signalling, not inspected). Reassembly
//! handles out-of-order segments, retransmissions and overlaps, and resynchronises after a
//! hole that is never filled. Every buffer is bounded; a stream idle for longer than the
//! timeout is dropped.

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
    /// A stream with no segment for this long is dropped.
    pub idle_timeout: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            max_streams: 4_096,
            max_buffer: 256 * 1024,
            max_out_of_order: 64,
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

/// The parts of a TCP segment reassembly needs.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub seq: u32,
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

/// What reassembly produced from a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// A whole SIP message (framed by Content-Length) and the frames of the segments
    /// that carried its bytes, in stream order (the last one completed it).
    Message { bytes: Vec<u8>, frames: Vec<u64> },
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
struct Stream {
    kind: Kind,
    next_seq: Option<u32>,
    buf: Vec<u8>,
    /// (frame, end offset in `buf`) of each segment whose bytes are still buffered.
    buf_frames: Vec<(u64, usize)>,
    ooo: Vec<(u32, Vec<u8>, u64)>,
    last_seen: Timestamp,
    /// False while a stream taken for SIP on a partial start line has not framed a
    /// message yet: junk first means it was not SIP after all.
    confirmed: bool,
}

/// Payload segments looked at before a stream is declared not SIP.
const SNIFF_SEGMENTS: u8 = 4;
/// Frames remembered per buffered message (a 64 KiB body over 1460-byte segments is 45).
const MAX_FRAMES_PER_MESSAGE: usize = 64;
const SIP_TLS_PORT: u16 = 5061;

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
        let rest = payload.get(at..)?;
        if looks_like_sip(rest) {
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

    /// Feeds one segment; produced messages and anomalies are appended to `out`.
    pub fn segment(
        &mut self,
        now: Timestamp,
        frame: u64,
        key: StreamKey,
        seg: Segment<'_>,
        out: &mut Vec<StreamEvent>,
    ) -> SegmentClass {
        if !self.streams.contains_key(&key) {
            if seg.payload.is_empty() && !seg.syn {
                return SegmentClass::Control;
            }
            if self.streams.len() >= self.config.max_streams {
                self.evict_oldest();
            }
            self.streams.insert(
                key,
                Stream {
                    kind: Kind::Unknown { segments: 0 },
                    next_seq: None,
                    buf: Vec::new(),
                    buf_frames: Vec::new(),
                    ooo: Vec::new(),
                    last_seen: now,
                    confirmed: true,
                },
            );
        }
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
            let payload_seq = if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            Self::payload(
                &self.config,
                &mut self.stats,
                st,
                key,
                frame,
                payload_seq,
                seg.payload,
                out,
            )
        };
        if seg.fin || seg.rst {
            if let Some(mut st) = self.streams.remove(&key) {
                Self::flush(&mut self.stats, &mut st, frame, out);
            }
        }
        class
    }

    #[allow(clippy::too_many_arguments)]
    fn payload(
        config: &TcpConfig,
        stats: &mut TcpStats,
        st: &mut Stream,
        key: StreamKey,
        frame: u64,
        seq: u32,
        payload: &[u8],
        out: &mut Vec<StreamEvent>,
    ) -> SegmentClass {
        match st.kind {
            Kind::Other => return SegmentClass::Other,
            Kind::Tls => return SegmentClass::Tls,
            Kind::Sip => {}
            Kind::Unknown { segments } => {
                let tls_port = key.src.port() == SIP_TLS_PORT || key.dst.port() == SIP_TLS_PORT;
                if tls_port && looks_like_tls(payload) {
                    st.kind = Kind::Tls;
                    return SegmentClass::Tls;
                }
                let start = if looks_like_sip(payload) || is_keepalive(payload) {
                    Some(0)
                } else if may_start_sip(payload) {
                    // The segment ends inside a start line: SIP until framing says not.
                    st.confirmed = false;
                    Some(0)
                } else {
                    find_start_line(payload)
                };
                match start {
                    Some(skip) => {
                        st.kind = Kind::Sip;
                        st.buf.clear();
                        st.buf_frames.clear();
                        st.ooo.clear();
                        if skip > 0 {
                            out.push(StreamEvent::Junk { len: skip, frame });
                        }
                        let skip32 = u32::try_from(skip).unwrap_or(u32::MAX);
                        st.next_seq = Some(seq.wrapping_add(skip32));
                        let rest = payload.get(skip..).unwrap_or_default();
                        return Self::in_order(config, stats, st, frame, rest, out);
                    }
                    None => {
                        let segments = segments.saturating_add(1);
                        st.kind = if segments >= SNIFF_SEGMENTS {
                            Kind::Other
                        } else {
                            Kind::Unknown { segments }
                        };
                        return SegmentClass::Other;
                    }
                }
            }
        }

        let next = *st.next_seq.get_or_insert(seq);
        let rel = seq_diff(seq, next);
        let mut data = payload;
        if rel < 0 {
            let skip = usize::try_from(-rel).unwrap_or(usize::MAX);
            if skip >= data.len() {
                stats.retransmissions += 1;
                return if is_keepalive(payload) {
                    SegmentClass::Keepalive
                } else {
                    SegmentClass::Sip
                };
            }
            data = data.get(skip..).unwrap_or_default();
        } else if rel > 0 {
            stats.out_of_order += 1;
            let dup = st
                .ooo
                .iter()
                .any(|(s, b, _)| *s == seq && b.len() >= data.len());
            if dup {
                stats.retransmissions += 1;
            } else {
                st.ooo.push((seq, data.to_vec(), frame));
            }
            let held: usize = st.ooo.iter().map(|(_, b, _)| b.len()).sum();
            if st.ooo.len() > config.max_out_of_order || held > config.max_buffer {
                Self::skip_hole(stats, st, frame, out);
                Self::drain_ooo(config, stats, st, frame, out);
            }
            return SegmentClass::Sip;
        }
        Self::in_order(config, stats, st, frame, data, out)
    }

    /// Appends in-order bytes, pulls in any out-of-order segments that now fit, and frames
    /// messages.
    fn in_order(
        config: &TcpConfig,
        stats: &mut TcpStats,
        st: &mut Stream,
        frame: u64,
        data: &[u8],
        out: &mut Vec<StreamEvent>,
    ) -> SegmentClass {
        let class = if is_keepalive(data) {
            SegmentClass::Keepalive
        } else {
            SegmentClass::Sip
        };
        Self::append(st, frame, data);
        Self::drain_ooo(config, stats, st, frame, out);
        class
    }

    fn append(st: &mut Stream, frame: u64, data: &[u8]) {
        st.buf.extend_from_slice(data);
        let end = st.buf.len();
        let same_frame = st.buf_frames.last().is_some_and(|(f, _)| *f == frame);
        if same_frame || st.buf_frames.len() >= MAX_FRAMES_PER_MESSAGE {
            // Same segment, or the bound is reached: the last entry stands for the rest.
            if let Some(last) = st.buf_frames.last_mut() {
                *last = (frame, end);
            }
        } else {
            st.buf_frames.push((frame, end));
        }
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        st.next_seq = st.next_seq.map(|n| n.wrapping_add(len));
    }

    fn drain_ooo(
        config: &TcpConfig,
        stats: &mut TcpStats,
        st: &mut Stream,
        frame: u64,
        out: &mut Vec<StreamEvent>,
    ) {
        while let Some(next) = st.next_seq {
            let Some(idx) = st.ooo.iter().position(|(s, _, _)| seq_diff(*s, next) <= 0) else {
                break;
            };
            let (s, bytes, seg_frame) = st.ooo.swap_remove(idx);
            let skip = usize::try_from(-seq_diff(s, next)).unwrap_or(usize::MAX);
            if let Some(rest) = bytes.get(skip..) {
                if !rest.is_empty() {
                    Self::append(st, seg_frame, rest);
                }
            }
        }
        Self::frame_messages(config, stats, st, frame, out);
    }

    fn frame_messages(
        config: &TcpConfig,
        stats: &mut TcpStats,
        st: &mut Stream,
        frame: u64,
        out: &mut Vec<StreamEvent>,
    ) {
        loop {
            match next_frame(&st.buf) {
                StreamFrame::Message(n) => {
                    st.confirmed = true;
                    let n = n.min(st.buf.len());
                    let bytes: Vec<u8> = st.buf.drain(..n).collect();
                    let frames = Self::consume_frames(st, n);
                    out.push(StreamEvent::Message { bytes, frames });
                }
                StreamFrame::Keepalive(n) => {
                    stats.keepalives += 1;
                    let n = n.min(st.buf.len());
                    st.buf.drain(..n);
                    Self::consume_frames(st, n);
                }
                StreamFrame::Junk(_) if !st.confirmed => {
                    // Taken for SIP on a partial first line, but it was not a start line.
                    st.kind = Kind::Other;
                    st.buf.clear();
                    st.buf_frames.clear();
                    st.ooo.clear();
                    break;
                }
                StreamFrame::Junk(n) => {
                    let n = n.clamp(1, st.buf.len().max(1)).min(st.buf.len());
                    st.buf.drain(..n);
                    Self::consume_frames(st, n);
                    out.push(StreamEvent::Junk { len: n, frame });
                }
                StreamFrame::Incomplete => break,
            }
            if st.buf.is_empty() {
                break;
            }
        }
        if st.buf.len() > config.max_buffer {
            stats.overflows += 1;
            out.push(StreamEvent::Overflow {
                len: st.buf.len(),
                frame,
            });
            st.buf.clear();
            st.buf_frames.clear();
        }
    }

    /// The frames whose bytes made up the first `n` buffered bytes (just drained); the
    /// segment that straddles the cut stays for the next message.
    fn consume_frames(st: &mut Stream, n: usize) -> Vec<u64> {
        let mut frames = Vec::new();
        let mut keep = 0;
        for (i, (f, end)) in st.buf_frames.iter().enumerate() {
            frames.push(*f);
            if *end > n {
                keep = i;
                break;
            }
            keep = i + 1;
        }
        st.buf_frames.drain(..keep);
        for (_, end) in st.buf_frames.iter_mut() {
            *end -= n;
        }
        frames
    }

    /// Declares the hole before the lowest out-of-order segment lost: the partial message
    /// in the buffer can never complete, so it is dropped, and reassembly restarts at the
    /// segment after the hole (framing skips to the next start line there).
    fn skip_hole(stats: &mut TcpStats, st: &mut Stream, frame: u64, out: &mut Vec<StreamEvent>) {
        let Some(next) = st.next_seq else { return };
        let Some(lowest) = st
            .ooo
            .iter()
            .map(|(s, _, _)| *s)
            .min_by_key(|s| seq_diff(*s, next))
        else {
            return;
        };
        let missing = usize::try_from(seq_diff(lowest, next).max(0)).unwrap_or(0);
        stats.gaps += 1;
        out.push(StreamEvent::Gap {
            len: missing,
            frame,
        });
        if !st.buf.is_empty() {
            out.push(StreamEvent::Junk {
                len: st.buf.len(),
                frame,
            });
            st.buf.clear();
            st.buf_frames.clear();
        }
        st.next_seq = Some(lowest);
    }

    /// End of a stream (FIN/RST, eviction or end of capture): fills nothing, reports what
    /// is left.
    fn flush(stats: &mut TcpStats, st: &mut Stream, frame: u64, out: &mut Vec<StreamEvent>) {
        if st.kind != Kind::Sip {
            return;
        }
        if !st.ooo.is_empty() {
            Self::skip_hole(stats, st, frame, out);
            let cfg = TcpConfig {
                max_buffer: usize::MAX,
                ..TcpConfig::default()
            };
            Self::drain_ooo(&cfg, stats, st, frame, out);
        }
        if !st.buf.is_empty() && !is_keepalive(&st.buf) {
            out.push(StreamEvent::Junk {
                len: st.buf.len(),
                frame,
            });
        }
        st.buf.clear();
        st.buf_frames.clear();
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

    /// Drops streams idle for longer than the timeout.
    pub fn expire(&mut self, now: Timestamp, out: &mut Vec<StreamEvent>) {
        let timeout = self.config.idle_timeout;
        let stale: Vec<StreamKey> = self
            .streams
            .iter()
            .filter(|(_, s)| now.since(s.last_seen) >= timeout)
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            if let Some(mut st) = self.streams.remove(&k) {
                Self::flush(&mut self.stats, &mut st, 0, out);
                self.stats.evicted_streams += 1;
            }
        }
    }

    /// End of capture: reports what every stream still holds.
    pub fn finish(&mut self, frame: u64, out: &mut Vec<StreamEvent>) {
        for (_, mut st) in self.streams.drain() {
            Self::flush(&mut self.stats, &mut st, frame, out);
        }
    }
}
