//! The engine's SIP state: transactions, calls (with their epochs) and registrations,
//! fed by every SIP record; new epochs become media expectations.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::{Engine, SipRecord};
use crate::sip::call::{Call, CallEvent};
use crate::sip::registration::Registrations;
use crate::sip::transaction::{Transactions, TxEvent, TxKey, TxState};
use crate::sip::{Method, SipMessage};
use crate::time::Timestamp;

/// Calls and what goes with them.
#[derive(Debug, Default)]
pub(super) struct Signalling {
    pub transactions: Transactions,
    pub calls: HashMap<u64, Call>,
    pub by_call_id: HashMap<String, Vec<u64>>,
    pub next_call: u64,
    pub registrations: Registrations,
    /// Calls dropped because the table was full.
    pub evicted_calls: u64,
}

/// Methods that belong to an INVITE dialog (a call can be found by them when the capture
/// missed its INVITE).
fn invite_dialog_method(m: &Method) -> bool {
    matches!(
        m,
        Method::Invite | Method::Ack | Method::Bye | Method::Update | Method::Prack
    )
}

fn same_pair(call: &Call, src: SocketAddr, dst: SocketAddr) -> bool {
    (call.caller_sig == src && call.callee_sig == dst)
        || (call.caller_sig == dst && call.callee_sig == src)
}

fn shares_ip(call: &Call, src: SocketAddr, dst: SocketAddr) -> bool {
    let ips = [call.caller_sig.ip(), call.callee_sig.ip()];
    ips.contains(&src.ip()) && ips.contains(&dst.ip())
}

impl Engine {
    /// Updates transactions, calls and registrations with one SIP message.
    pub(super) fn signalling(&mut self, rec: &mut SipRecord) {
        let ev = self
            .sig
            .transactions
            .on_message(&rec.msg, rec.frame, rec.ts, rec.src, rec.dst);
        rec.request_from = self.sig.transactions.last_request_src;
        let msg = &rec.msg;
        let retransmission = matches!(
            ev,
            TxEvent::RequestRetransmission { .. }
                | TxEvent::ResponseRetransmission
                | TxEvent::Duplicate
        );
        self.sig
            .registrations
            .on_message(msg, rec.frame, rec.ts, rec.src, rec.dst, retransmission);
        let Some(id) = self.call_for(msg, rec.src, rec.dst, rec.frame, rec.ts) else {
            return;
        };
        self.frame_calls.push(id);
        let mut events = Vec::new();
        if let Some(call) = self.sig.calls.get_mut(&id) {
            if let TxEvent::RequestRetransmission { .. } = ev {
                let initial = msg.method() == Some(&Method::Invite)
                    && msg.cseq.as_ref().map(|c| c.seq) == call.initial_cseq();
                if initial {
                    call.invite_retransmissions += 1;
                }
            }
            call.on_message(msg, rec.frame, rec.ts, rec.src, retransmission, &mut events);
            let initial_ack = msg.method() == Some(&Method::Ack)
                && msg.cseq.as_ref().map(|c| c.seq) == call.initial_cseq();
            if initial_ack && call.ack_to.is_none() {
                call.ack_to = Some((rec.dst, rec.frame));
            }
        }
        self.call_events(id, &events, rec.ts);
    }

    pub(super) fn call_events(&mut self, id: u64, events: &[CallEvent], ts: Timestamp) {
        let Some(call) = self.sig.calls.get(&id) else {
            return;
        };
        for ev in events {
            match ev {
                CallEvent::NewEpoch(i) => {
                    if let Some(epoch) = call.epochs.get(*i) {
                        self.expectations.add_epoch(call, epoch);
                    }
                }
                CallEvent::StateChanged(state) if state.is_final() => {
                    let at = call.ended.map(|(t, _)| t).unwrap_or(ts);
                    self.expectations.call_ended(id, at);
                }
                _ => {}
            }
        }
    }

    /// The call a message belongs to, created when the message starts one.
    fn call_for(
        &mut self,
        msg: &SipMessage,
        src: SocketAddr,
        dst: SocketAddr,
        frame: u64,
        ts: Timestamp,
    ) -> Option<u64> {
        let call_id = msg.call_id.as_ref()?;
        let candidates = self.sig.by_call_id.get(call_id);
        if let Some(ids) = candidates {
            let calls = &self.sig.calls;
            let exact = ids
                .iter()
                .rev()
                .find(|id| calls.get(id).is_some_and(|c| same_pair(c, src, dst)));
            if let Some(id) = exact {
                return Some(*id);
            }
            let near = ids
                .iter()
                .rev()
                .find(|id| calls.get(id).is_some_and(|c| shares_ip(c, src, dst)));
            // A new initial INVITE on another path starts a call of its own (the same
            // Call-ID through a proxy or a NAT, or a forking proxy's other branch, even to
            // another port of the same address); anything else joins the nearest call.
            let initial_invite = msg.method() == Some(&Method::Invite)
                && msg.to.as_ref().and_then(|t| t.tag.as_ref()).is_none();
            match near {
                Some(id) if !initial_invite => return Some(*id),
                None if !initial_invite => return ids.last().copied(),
                _ => {}
            }
        }
        let starts_call = match (msg.method(), &msg.cseq) {
            (Some(m), _) => invite_dialog_method(m) && *m != Method::Ack,
            (None, Some(c)) => c.method == Method::Invite,
            (None, None) => false,
        };
        if !starts_call {
            return None;
        }
        if self.sig.calls.len() >= self.config.max_calls {
            self.sig.evicted_calls += 1;
            return None;
        }
        let id = self.sig.next_call;
        self.sig.next_call += 1;
        // A response seen first: the caller is where it goes.
        let (caller, callee) = if msg.is_request() {
            (src, dst)
        } else {
            (dst, src)
        };
        let mut call = Call::new(id, msg, frame, ts, caller, callee);
        if !msg.is_request() {
            call.start_missing = true;
        }
        self.sig.calls.insert(id, call);
        self.sig
            .by_call_id
            .entry(call_id.clone())
            .or_default()
            .push(id);
        Some(id)
    }

    /// Timer B/F: INVITEs of calls that got no final response in 32 s.
    pub(super) fn signalling_timers(&mut self) {
        let linger = self.config.transaction_linger;
        let timed_out = self.sig.transactions.expire(self.now, linger);
        self.unanswered_invites(timed_out.iter().map(|t| (t, true)));
    }

    /// End of capture: pending INVITEs are unanswered, pending offers failed.
    pub(super) fn signalling_finish(&mut self) {
        let pending = self.sig.transactions.finish(self.now);
        self.unanswered_invites(pending.iter().map(|t| (t, t.state == TxState::TimedOut)));
        let now = self.now;
        let ids: Vec<u64> = self.sig.calls.keys().copied().collect();
        for id in ids {
            let mut events = Vec::new();
            if let Some(call) = self.sig.calls.get_mut(&id) {
                call.finish(now, &mut events);
            }
            self.call_events(id, &events, now);
        }
    }

    fn unanswered_invites<'a>(
        &mut self,
        txs: impl Iterator<Item = (&'a crate::sip::transaction::Transaction, bool)>,
    ) {
        let mut hits = Vec::new();
        for (tx, timed_out) in txs {
            let Some(ids) = tx.call_id.as_ref().and_then(|c| self.sig.by_call_id.get(c)) else {
                continue;
            };
            for id in ids {
                // A request of the call may go elsewhere than the INVITE's path (a BYE to
                // the Contact): it belongs to the leg whose endpoints it leaves from or
                // goes to.
                if let Some(call) = self.sig.calls.get(id) {
                    let ips = [call.caller_sig.ip(), call.callee_sig.ip()];
                    if ips.contains(&tx.src.ip()) || ips.contains(&tx.dst.ip()) {
                        hits.push((*id, tx.clone(), timed_out));
                    }
                }
            }
        }
        for (id, tx, timed_out) in hits {
            let mut events = Vec::new();
            if let Some(call) = self.sig.calls.get_mut(&id) {
                let initial =
                    tx.key.method == Method::Invite && call.initial_cseq() == Some(tx.cseq);
                if initial && same_pair(call, tx.src, tx.dst) {
                    call.invite_unanswered(timed_out, &mut events);
                }
                if call.unanswered.len() < 64 {
                    call.unanswered.push(crate::sip::call::Unanswered {
                        method: tx.key.method.clone(),
                        frame: tx.request_frame,
                        dst: tx.dst,
                        src: tx.src,
                        retransmissions: tx.retransmissions,
                        timed_out,
                    });
                }
            }
            self.call_events(id, &events, self.now);
        }
    }

    /// The transaction of a message, for the report.
    pub fn transaction(&self, key: &TxKey) -> Option<&crate::sip::transaction::Transaction> {
        self.sig.transactions.get(key)
    }
}
