//! Evidence captures: the packets of each call that produced a finding, kept so that a
//! live run can hand the customer a pcap of the broken call (Wireshark opens it).
//!
//! Sans-IO like the engine: the driver hands in each frame with the Call-IDs the engine
//! tagged it with ([`crate::engine::Engine::frame_call_ids`]) and every record; the store
//! hands back [`CallEvidence`] for calls that are over and had a finding. Writing them is
//! the driver's business.
//!
//! What is kept per call (bounded, so memory follows the number of concurrent calls):
//! - every SIP packet, up to `max_sip_packets` (with the earlier IP fragments and TCP
//!   segments of a message, taken from a short ring of recent such frames);
//! - media packets while the call's media budget lasts: `media_after_sip` packets after
//!   each SIP message of the call (so each offer/answer, hold, resume or T.38 switch is
//!   followed by the media that shows whether it worked), up to `max_media_packets`.
//!
//! A store-wide byte bound (`max_total_bytes`) stops keeping packets when reached; every
//! packet not kept is counted.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::accounting::Class;
use crate::engine::{Event, Frame};
use crate::time::Timestamp;

/// Bounds of the evidence store.
#[derive(Debug, Clone, Copy)]
pub struct EvidenceConfig {
    pub max_sip_packets: usize,
    pub max_media_packets: usize,
    pub media_after_sip: usize,
    pub max_total_bytes: usize,
    /// Calls with a buffer at once (beyond it new calls get none, and are counted).
    pub max_calls: usize,
    /// Frames kept in the ring of recent fragments / TCP segments.
    pub recent_frames: usize,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig {
            max_sip_packets: 1_000,
            max_media_packets: 3_000,
            media_after_sip: 250,
            max_total_bytes: 256 << 20,
            max_calls: 20_000,
            recent_frames: 64,
        }
    }
}

/// One kept packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPacket {
    pub frame: u64,
    pub ts: Timestamp,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

/// The evidence of one call, ready to be written.
#[derive(Debug, Clone)]
pub struct CallEvidence {
    pub call_id: String,
    pub first_ts: Timestamp,
    /// In capture order.
    pub packets: Vec<StoredPacket>,
    /// The finding ids that made it evidence.
    pub findings: Vec<&'static str>,
    /// Packets of the call not kept (bounds).
    pub packets_not_kept: u64,
}

/// Counters for the status line and the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvidenceStats {
    /// Calls handed back as evidence.
    pub calls: u64,
    /// Packets not kept because a bound was reached.
    pub packets_not_kept: u64,
    /// Calls that got no buffer because `max_calls` was reached.
    pub calls_not_kept: u64,
    pub bytes_held: usize,
}

#[derive(Debug, Default)]
struct Buffer {
    first_ts: Option<Timestamp>,
    packets: Vec<StoredPacket>,
    sip: usize,
    media: usize,
    media_budget: usize,
    bytes: usize,
    not_kept: u64,
    findings: Vec<&'static str>,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct EvidenceStore {
    config: EvidenceConfig,
    calls: HashMap<String, Buffer>,
    recent: VecDeque<StoredPacket>,
    /// Calls whose last leg was released: settled after the records of this step.
    closing: HashSet<String>,
    ready: Vec<CallEvidence>,
    pub stats: EvidenceStats,
}

fn is_sip(class: Class) -> bool {
    matches!(class, Class::Sip | Class::SipKeepalive)
}

fn is_media(class: Class) -> bool {
    matches!(
        class,
        Class::Rtp | Class::Rtcp | Class::Udptl | Class::Stun | Class::Icmp
    )
}

impl EvidenceStore {
    pub fn new(config: EvidenceConfig) -> Self {
        EvidenceStore {
            config,
            ..Default::default()
        }
    }

    /// One frame as the engine classified it, with the Call-IDs it was tagged with.
    pub fn frame<'a>(
        &mut self,
        frame_no: u64,
        frame: &Frame<'_>,
        class: Class,
        call_ids: impl Iterator<Item = &'a str>,
    ) {
        let mut tagged = false;
        for call_id in call_ids {
            tagged = true;
            self.keep(call_id, frame_no, frame, class);
        }
        if !tagged
            && matches!(
                class,
                Class::FragmentPending | Class::Sip | Class::TcpControl
            )
        {
            // A fragment or segment of a message not complete yet: its call is known
            // when the message is (`Event::Sip` names the frames).
            if self.recent.len() >= self.config.recent_frames {
                self.recent.pop_front();
            }
            if self.config.recent_frames > 0 {
                self.recent.push_back(StoredPacket {
                    frame: frame_no,
                    ts: frame.ts,
                    orig_len: frame.orig_len,
                    data: frame.data.to_vec(),
                });
            }
        }
    }

    fn buffer(&mut self, call_id: &str) -> Option<&mut Buffer> {
        if !self.calls.contains_key(call_id) {
            if self.calls.len() >= self.config.max_calls {
                self.stats.calls_not_kept += 1;
                return None;
            }
            self.calls.insert(call_id.to_string(), Buffer::default());
        }
        self.calls.get_mut(call_id)
    }

    fn keep(&mut self, call_id: &str, frame_no: u64, frame: &Frame<'_>, class: Class) {
        let cfg = self.config;
        let total = self.stats.bytes_held;
        let Some(b) = self.buffer(call_id) else {
            return;
        };
        if b.packets.last().is_some_and(|p| p.frame == frame_no) {
            return;
        }
        let sip = is_sip(class);
        let allowed = if sip {
            b.sip < cfg.max_sip_packets
        } else {
            is_media(class) && b.media < cfg.max_media_packets && b.media_budget > 0
        };
        if !allowed || total + frame.data.len() > cfg.max_total_bytes {
            b.not_kept += 1;
            self.stats.packets_not_kept += 1;
            return;
        }
        if sip {
            b.sip += 1;
            b.media_budget = cfg.media_after_sip;
        } else {
            b.media += 1;
            b.media_budget -= 1;
        }
        b.first_ts.get_or_insert(frame.ts);
        b.bytes += frame.data.len();
        b.packets.push(StoredPacket {
            frame: frame_no,
            ts: frame.ts,
            orig_len: frame.orig_len,
            data: frame.data.to_vec(),
        });
        self.stats.bytes_held += frame.data.len();
    }

    /// Every record the engine produced, in order.
    pub fn event(&mut self, ev: &Event) {
        match ev {
            Event::Sip(rec) if !rec.other_frames.is_empty() => {
                let Some(call_id) = rec.msg.call_id.as_deref() else {
                    return;
                };
                if !self.calls.contains_key(call_id) {
                    return;
                }
                let earlier: Vec<StoredPacket> = self
                    .recent
                    .iter()
                    .filter(|p| rec.other_frames.contains(&p.frame))
                    .cloned()
                    .collect();
                let cap = self.config.max_total_bytes;
                let mut held = self.stats.bytes_held;
                if let Some(b) = self.calls.get_mut(call_id) {
                    for p in earlier {
                        if held + p.data.len() > cap || b.packets.iter().any(|q| q.frame == p.frame)
                        {
                            continue;
                        }
                        held += p.data.len();
                        b.bytes += p.data.len();
                        b.packets.push(p);
                    }
                    b.packets.sort_by_key(|p| p.frame);
                }
                self.stats.bytes_held = held;
            }
            Event::Finding(f) => {
                if let Some(call_id) = &f.call_id {
                    if let Some(b) = self.calls.get_mut(call_id.as_str()) {
                        if !b.findings.contains(&f.id) {
                            b.findings.push(f.id);
                        }
                    }
                }
            }
            Event::Call(rec) => {
                self.closing.insert(rec.call.call_id.clone());
            }
            _ => {}
        }
    }

    /// After the records of one step: calls whose legs are all released become evidence
    /// (when they had a finding) or are forgotten. `active_legs` is the engine's count.
    pub fn settle(&mut self, active_legs: impl Fn(&str) -> usize) {
        let closing: Vec<String> = self.closing.drain().collect();
        for call_id in closing {
            if active_legs(&call_id) == 0 {
                self.close(&call_id);
            }
        }
    }

    fn close(&mut self, call_id: &str) {
        let Some(b) = self.calls.remove(call_id) else {
            return;
        };
        self.stats.bytes_held -= b.bytes;
        if b.findings.is_empty() {
            return;
        }
        self.stats.calls += 1;
        self.ready.push(CallEvidence {
            call_id: call_id.to_string(),
            first_ts: b.first_ts.unwrap_or(Timestamp::ZERO),
            packets: b.packets,
            findings: b.findings,
            packets_not_kept: b.not_kept,
        });
    }

    /// End of the run: every call with a finding becomes evidence.
    pub fn finish(&mut self) {
        let mut ids: Vec<String> = self.calls.keys().cloned().collect();
        ids.sort();
        for id in ids {
            self.close(&id);
        }
        self.recent.clear();
    }

    /// The evidence ready to be written.
    pub fn take_ready(&mut self) -> Vec<CallEvidence> {
        std::mem::take(&mut self.ready)
    }

    /// Calls holding a buffer now.
    pub fn calls_held(&self) -> usize {
        self.calls.len()
    }
}

/// A file name for a call's evidence: capture time and the Call-ID with anything but
/// letters, digits, `.`, `-` and `_` replaced (Call-IDs carry `@`, `/`, ...), bounded.
pub fn file_name(ev: &CallEvidence) -> String {
    let t = ev.first_ts.to_string();
    let time: String = t
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    let id: String = ev
        .call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    format!("{time}Z_{id}.pcap")
}
