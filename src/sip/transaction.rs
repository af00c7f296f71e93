//! SIP transactions as a passive observer sees them (RFC 3261 section 17): a request,
//! its retransmissions, its provisional and final responses, matched by the top Via
//! branch and the CSeq method (section 17.1.3), or by Call-ID + CSeq + From tag for
//! RFC 2543 peers that send no `z9hG4bK` branch.
//!
//! A transaction whose request never gets a final response is `TimedOut` once 32 s
//! (Timer B for INVITE, Timer F otherwise, both 64*T1) have passed in capture time, and
//! `Unanswered` when the capture ends before that.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::message::{Method, SipMessage};
use crate::time::{Duration, Timestamp};

/// 64*T1 with T1 = 500 ms (RFC 3261 Timer B and Timer F).
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(32);

/// How a transaction is identified on the wire.
///
/// The path (the two endpoints, in a fixed order) is part of the key: a capture that sees
/// one transaction on two paths (both sides of a NAT, or of a proxy that keeps the branch)
/// sees two transactions, each with its own addresses, retransmissions and responses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxKey {
    /// The top Via branch, or (for RFC 2543 peers) Call-ID, CSeq number and From tag.
    pub id: String,
    /// The CSeq method (ACK is its own transaction only for 2xx; CANCEL is its own).
    pub method: Method,
    /// The two endpoints, lower address first.
    pub path: (SocketAddr, SocketAddr),
}

fn path(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl TxKey {
    /// The key of a message seen between `src` and `dst`, or `None` when it has no CSeq.
    pub fn of(msg: &SipMessage, src: SocketAddr, dst: SocketAddr) -> Option<TxKey> {
        let cseq = msg.cseq.as_ref()?;
        let branch = msg
            .vias
            .first()
            .and_then(|v| v.branch.as_deref())
            .filter(|b| b.starts_with("z9hG4bK"));
        let id = match branch {
            Some(b) => b.to_string(),
            None => format!(
                "{}|{}|{}",
                msg.call_id.as_deref().unwrap_or(""),
                cseq.seq,
                msg.from
                    .as_ref()
                    .and_then(|f| f.tag.as_deref())
                    .unwrap_or("")
            ),
        };
        Some(TxKey {
            id,
            method: cseq.method.clone(),
            path: path(src, dst),
        })
    }
}

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    /// Request seen, no final response yet.
    Pending,
    /// A final response was seen.
    Completed { code: u16 },
    /// No final response within 32 s of the request.
    TimedOut,
    /// The capture ended less than 32 s after the request, with no final response.
    Unanswered,
}

/// One transaction.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub key: TxKey,
    pub call_id: Option<String>,
    pub cseq: u32,
    /// Frame and time of the first copy of the request.
    pub request_frame: u64,
    pub request_ts: Timestamp,
    /// Who sent the request, to whom.
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// Copies of the request after the first (at least 50 ms later).
    pub retransmissions: u32,
    /// Copies of the request within 50 ms of the previous one (captured twice).
    pub duplicates: u32,
    last_copy: Timestamp,
    /// Frames of the request's retransmissions (bounded).
    pub retransmission_frames: Vec<u64>,
    /// Provisional responses: (code, frame).
    pub provisional: Vec<(u16, u64)>,
    /// The first final response: code, frame, time, and where it was sent.
    pub final_response: Option<FinalResponse>,
    /// Copies of final responses after the first.
    pub response_retransmissions: u32,
    pub state: TxState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinalResponse {
    pub code: u16,
    pub frame: u64,
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

/// Copies of a request closer than this are duplicates of one packet, not
/// retransmissions.
const DUPLICATE_WINDOW: Duration = Duration::from_millis(50);

/// Bounds of the transaction table.
const MAX_RETRANSMISSION_FRAMES: usize = 16;
const MAX_PROVISIONAL: usize = 16;

/// What a message did to the transaction table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxEvent {
    NewRequest,
    RequestRetransmission {
        count: u32,
    },
    /// The same request or final response captured twice within a few milliseconds.
    Duplicate,
    Provisional {
        code: u16,
    },
    Final {
        code: u16,
    },
    ResponseRetransmission,
    /// A response that matches no transaction seen (the capture started later, or the
    /// request went another way).
    OrphanResponse,
    /// An ACK (never a transaction of its own here).
    Ack,
    /// No branch and no CSeq: cannot be placed.
    Unkeyed,
}

/// The transaction table, bounded: finished transactions are dropped after a linger
/// time, the oldest beyond `max`.
#[derive(Debug)]
pub struct Transactions {
    table: HashMap<TxKey, Transaction>,
    max: usize,
    /// For the last message handed in, when it was a response matched to a request: where
    /// that request came from (a response should go back there, RFC 3261 18.2.2 / 3581).
    pub last_request_src: Option<SocketAddr>,
    pub counts: TxCounts,
    pub timed_out: u64,
    pub evicted: u64,
    /// The first path each (branch, method) was seen on (bounded: forgotten all at once).
    first_path: HashMap<(String, Method), (SocketAddr, SocketAddr)>,
}

/// (branch, method) pairs remembered for `seen_on_two_paths`.
const MAX_FIRST_PATHS: usize = 65_536;

/// Running totals over the whole capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxCounts {
    /// Transactions (first copies of requests other than ACK).
    pub transactions: u64,
    pub retransmissions: u64,
    pub duplicates: u64,
    pub response_retransmissions: u64,
    /// Responses that matched no transaction seen.
    pub orphan_responses: u64,
    /// Transactions whose request got no final response in 32 s.
    pub timed_out: u64,
    /// Transactions still unanswered when the capture ended (less than 32 s after).
    pub unanswered: u64,
    /// New requests whose branch and method were already seen on another path: the same
    /// message captured on both sides of a NAT (two files of one router, or `-i any` on
    /// it), or relayed by a proxy that keeps the branch.
    pub seen_on_two_paths: u64,
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions::new(65_536)
    }
}

impl Transactions {
    pub fn new(max: usize) -> Self {
        Transactions {
            table: HashMap::new(),
            max,
            last_request_src: None,
            counts: TxCounts::default(),
            timed_out: 0,
            evicted: 0,
            first_path: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn get(&self, key: &TxKey) -> Option<&Transaction> {
        self.table.get(key)
    }

    /// Feeds one message seen from `src` to `dst`.
    pub fn on_message(
        &mut self,
        msg: &SipMessage,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> TxEvent {
        self.last_request_src = None;
        let ev = self.classify(msg, frame, ts, src, dst);
        let c = &mut self.counts;
        match ev {
            TxEvent::NewRequest => c.transactions += 1,
            TxEvent::RequestRetransmission { .. } => c.retransmissions += 1,
            TxEvent::Duplicate => c.duplicates += 1,
            TxEvent::ResponseRetransmission => c.response_retransmissions += 1,
            TxEvent::OrphanResponse => c.orphan_responses += 1,
            _ => {}
        }
        ev
    }

    fn classify(
        &mut self,
        msg: &SipMessage,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> TxEvent {
        let Some(mut key) = TxKey::of(msg, src, dst) else {
            return TxEvent::Unkeyed;
        };
        if msg.status().is_some() && !self.table.contains_key(&key) {
            // A response sent to another port than the request came from (to the Via
            // port, or re-mapped by a NAT): the transaction on a path sharing both IPs.
            // (A linear scan: responses matching no path are rare.)
            let found = self.table.keys().find(|k| {
                k.id == key.id
                    && k.method == key.method
                    && [k.path.0.ip(), k.path.1.ip()].contains(&src.ip())
                    && [k.path.0.ip(), k.path.1.ip()].contains(&dst.ip())
            });
            // Else the transaction whose request went to this responder (the response
            // sent to another host: a NAT mapping owned by another phone, behind which it
            // reaches the wrong device).
            let found = found.or_else(|| {
                self.table.keys().find(|k| {
                    k.id == key.id && k.method == key.method && (k.path.0 == src || k.path.1 == src)
                })
            });
            if let Some(k) = found {
                key = k.clone();
            }
        }
        match msg.status() {
            // An ACK has no response and is no transaction of its own (for a non-2xx
            // final response it completes the INVITE's; for a 2xx it is end-to-end).
            None if key.method == Method::Ack => TxEvent::Ack,
            None => {
                if let Some(tx) = self.table.get_mut(&key) {
                    // A copy within a few milliseconds is the same packet captured twice
                    // (a mirror port duplicating it), not a retransmission (T1 = 500 ms).
                    if ts.since(tx.last_copy) < DUPLICATE_WINDOW {
                        tx.duplicates += 1;
                        tx.last_copy = ts;
                        return TxEvent::Duplicate;
                    }
                    tx.last_copy = ts;
                    tx.retransmissions += 1;
                    if tx.retransmission_frames.len() < MAX_RETRANSMISSION_FRAMES {
                        tx.retransmission_frames.push(frame);
                    }
                    return TxEvent::RequestRetransmission {
                        count: tx.retransmissions,
                    };
                }
                if self.table.len() >= self.max {
                    self.evict_oldest();
                }
                let cseq = msg.cseq.as_ref().map(|c| c.seq).unwrap_or(0);
                let id = (key.id.clone(), key.method.clone());
                let path = key.path;
                self.table.insert(
                    key.clone(),
                    Transaction {
                        key,
                        call_id: msg.call_id.clone(),
                        cseq,
                        request_frame: frame,
                        request_ts: ts,
                        src,
                        dst,
                        retransmissions: 0,
                        duplicates: 0,
                        last_copy: ts,
                        retransmission_frames: Vec::new(),
                        provisional: Vec::new(),
                        final_response: None,
                        response_retransmissions: 0,
                        state: TxState::Pending,
                    },
                );
                match self.first_path.get(&id) {
                    Some(p) if *p != path => self.counts.seen_on_two_paths += 1,
                    Some(_) => {}
                    None => {
                        if self.first_path.len() >= MAX_FIRST_PATHS {
                            self.first_path.clear();
                        }
                        self.first_path.insert(id, path);
                    }
                }
                TxEvent::NewRequest
            }
            Some(code) => {
                let Some(tx) = self.table.get_mut(&key) else {
                    return TxEvent::OrphanResponse;
                };
                self.last_request_src = Some(tx.src);
                if code < 200 {
                    if tx.provisional.len() < MAX_PROVISIONAL {
                        tx.provisional.push((code, frame));
                    }
                    return TxEvent::Provisional { code };
                }
                if let Some(first) = tx.final_response {
                    if ts.since(first.ts) < DUPLICATE_WINDOW && first.code == code {
                        return TxEvent::Duplicate;
                    }
                    tx.response_retransmissions += 1;
                    return TxEvent::ResponseRetransmission;
                }
                if tx.state == TxState::TimedOut {
                    // A late final response: it did not time out after all.
                    self.timed_out = self.timed_out.saturating_sub(1);
                    self.counts.timed_out = self.counts.timed_out.saturating_sub(1);
                }
                tx.final_response = Some(FinalResponse {
                    code,
                    frame,
                    ts,
                    src,
                    dst,
                });
                tx.state = TxState::Completed { code };
                TxEvent::Final { code }
            }
        }
    }

    /// Marks pending transactions older than 32 s as timed out and drops finished ones
    /// older than `linger`. Returns the transactions that timed out now.
    pub fn expire(&mut self, now: Timestamp, linger: Duration) -> Vec<Transaction> {
        let mut timed_out = Vec::new();
        for tx in self.table.values_mut() {
            if tx.state == TxState::Pending && now.since(tx.request_ts) >= TRANSACTION_TIMEOUT {
                tx.state = TxState::TimedOut;
                self.timed_out += 1;
                self.counts.timed_out += 1;
                timed_out.push(tx.clone());
            }
        }
        self.table.retain(|_, tx| {
            let done_at = match (&tx.final_response, tx.state) {
                (Some(f), _) => f.ts,
                (None, TxState::TimedOut) => tx.request_ts.plus(TRANSACTION_TIMEOUT),
                _ => return true,
            };
            now.since(done_at) < linger
        });
        timed_out
    }

    /// End of capture: pending transactions become timed out (32 s passed) or
    /// unanswered (the capture ended first).
    pub fn finish(&mut self, now: Timestamp) -> Vec<Transaction> {
        let mut out = Vec::new();
        for tx in self.table.values_mut() {
            if tx.state == TxState::Pending {
                tx.state = if now.since(tx.request_ts) >= TRANSACTION_TIMEOUT {
                    self.timed_out += 1;
                    self.counts.timed_out += 1;
                    TxState::TimedOut
                } else {
                    self.counts.unanswered += 1;
                    TxState::Unanswered
                };
                out.push(tx.clone());
            }
        }
        out
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .table
            .iter()
            .min_by_key(|(_, t)| t.request_ts)
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            self.table.remove(&k);
            self.evicted += 1;
        }
    }
}
