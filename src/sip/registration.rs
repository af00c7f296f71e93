//! REGISTER bindings per address-of-record (RFC 3261 section 10) and OPTIONS keepalives,
//! as the later registration findings need them: who registered from where, how often,
//! with which Contact and expiry, and how the registrar answered.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::message::{Method, SipMessage};
use crate::time::Timestamp;

/// One REGISTER request and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterAttempt {
    pub frame: u64,
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub contacts: Vec<String>,
    /// The Contacts' host and port when the host is an IP address.
    pub contact_addrs: Vec<(std::net::IpAddr, Option<u16>)>,
    /// Expiry asked for (Contact `expires` parameter, else the Expires header).
    pub expires: Option<u32>,
    pub cseq: u32,
    /// Final response code and frame, when seen.
    pub response: Option<(u16, u64)>,
    /// Expiry the registrar granted (in the 200's Contact or Expires).
    pub granted_expires: Option<u32>,
    /// NAT signs of the REGISTER (Kamailio `nat_uac_test` flags).
    pub nat_signs: super::nat_signs::NatSigns,
}

/// Everything seen for one address-of-record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub aor: String,
    pub attempts: Vec<RegisterAttempt>,
    /// Attempts beyond the kept ones (bounded).
    pub dropped_attempts: u64,
    /// Leading attempts already reported in an earlier window (live runs), kept so that
    /// the next refresh is still compared with the one before it.
    pub carried: usize,
}

impl Binding {
    /// Distinct source addresses the REGISTERs came from.
    pub fn sources(&self) -> Vec<SocketAddr> {
        let mut v: Vec<SocketAddr> = self.attempts.iter().map(|a| a.src).collect();
        v.sort();
        v.dedup();
        v
    }
}

const MAX_ATTEMPTS: usize = 256;
const MAX_AORS: usize = 65_536;
/// A binding with no REGISTER for this long is forgotten (live runs).
const FORGET_AFTER: crate::time::Duration = crate::time::Duration::from_secs(86_400);

/// Registrations and OPTIONS pings.
#[derive(Debug, Default)]
pub struct Registrations {
    pub bindings: HashMap<String, Binding>,
    /// OPTIONS requests per (source, destination).
    pub options: HashMap<(SocketAddr, SocketAddr), u64>,
    pub dropped_aors: u64,
}

fn expires_of(msg: &SipMessage) -> Option<u32> {
    msg.contacts.iter().find_map(|c| c.expires).or_else(|| {
        msg.header("Expires")
            .and_then(|h| h.value.trim().parse().ok())
    })
}

impl Registrations {
    pub fn on_message(
        &mut self,
        msg: &SipMessage,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        retransmission: bool,
    ) {
        let Some(cseq) = &msg.cseq else { return };
        match (msg.method(), &cseq.method) {
            (Some(Method::Options), _)
                if !retransmission
                    && (self.options.len() < MAX_AORS
                        || self.options.contains_key(&(src, dst))) =>
            {
                *self.options.entry((src, dst)).or_default() += 1;
            }
            (Some(Method::Register), _) if !retransmission => {
                let Some(aor) = msg.to.as_ref().map(|t| t.uri.raw.clone()) else {
                    return;
                };
                if !self.bindings.contains_key(&aor) && self.bindings.len() >= MAX_AORS {
                    self.dropped_aors += 1;
                    return;
                }
                let b = self.bindings.entry(aor.clone()).or_insert_with(|| Binding {
                    aor,
                    attempts: Vec::new(),
                    dropped_attempts: 0,
                    carried: 0,
                });
                if b.attempts.len() >= MAX_ATTEMPTS {
                    b.dropped_attempts += 1;
                    return;
                }
                b.attempts.push(RegisterAttempt {
                    frame,
                    ts,
                    src,
                    contacts: msg.contacts.iter().map(|c| c.raw.clone()).collect(),
                    contact_addrs: msg
                        .contacts
                        .iter()
                        .filter_map(|c| match c.uri.host {
                            Some(super::message::Host::Ip(ip)) => Some((ip, c.uri.port)),
                            _ => None,
                        })
                        .collect(),
                    expires: expires_of(msg),
                    cseq: cseq.seq,
                    response: None,
                    granted_expires: None,
                    nat_signs: super::nat_signs::signs(msg, src),
                });
            }
            (None, Method::Register) => {
                let code = msg.status().unwrap_or(0);
                if code < 200 {
                    return;
                }
                let Some(aor) = msg.to.as_ref().map(|t| &t.uri.raw) else {
                    return;
                };
                if let Some(b) = self.bindings.get_mut(aor) {
                    if let Some(a) = b
                        .attempts
                        .iter_mut()
                        .rev()
                        .find(|a| a.cseq == cseq.seq && a.response.is_none())
                    {
                        a.response = Some((code, frame));
                        if (200..300).contains(&code) {
                            a.granted_expires = expires_of(msg);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Live runs: the bindings whose first new attempt (not carried over from an earlier
    /// report) is `window` old, to be reported now; each goes on with its last attempt
    /// carried over, so the next refresh is still compared with it. A binding quiet for
    /// a day is forgotten.
    pub fn take_windows(&mut self, now: Timestamp, window: crate::time::Duration) -> Vec<Binding> {
        let mut out = Vec::new();
        self.bindings.retain(|_, b| {
            let Some(last) = b.attempts.last() else {
                return false;
            };
            if now.since(last.ts) >= FORGET_AFTER {
                return false;
            }
            let Some(first_new) = b.attempts.get(b.carried) else {
                return true;
            };
            if now.since(first_new.ts) < window {
                return true;
            }
            let last = last.clone();
            out.push(b.clone());
            b.attempts = vec![last];
            b.carried = 1;
            b.dropped_attempts = 0;
            true
        });
        out.sort_by(|a, b| a.aor.cmp(&b.aor));
        out
    }
}
