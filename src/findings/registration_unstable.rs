//! `registration-unstable`: what makes phones lose registration or miss incoming calls.
//! - a Contact with a private address registered from a public address (the registrar
//!   will send incoming calls where they cannot arrive): `nat`;
//! - refreshes from a changing source port (the NAT mapping changed between refreshes):
//!   `nat`;
//! - the Contact changing between refreshes from the same phone (a rewrite that is not
//!   applied the same way every time);
//! - the granted expiry shorter than the time until the next refresh (the binding lapses);
//! - challenges (401/407) answered by new challenges three times or more in a row;
//! - several addresses-of-record bound to the same Contact address and port (phones
//!   behind one NAT whose bindings overwrite each other: incoming calls for one reach the
//!   other, "only one phone of the hunt group rings"); cause `alg` when a Contact carries
//!   the public address its REGISTER came from but another port (a rewrite that mapped
//!   several phones onto one public port), else `nat`.
//!
//! Decided per address-of-record at the end of the capture (live runs: every
//! `registration_window`, each kind of fault reported once per address-of-record).

use super::address::is_private;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;
use crate::sip::registration::Binding;

#[derive(Debug)]
pub struct RegistrationUnstable {
    /// (address-of-record, kind) already reported (live runs report a binding again in
    /// every window).
    reported: super::Seen<(String, Kind)>,
    /// Accepted Contact addresses and who registered them first: (AOR, frame, source).
    contacts: std::collections::HashMap<std::net::SocketAddr, (String, u64, std::net::SocketAddr)>,
}

/// Contact addresses remembered for collisions (forgotten all at once beyond it).
const MAX_CONTACTS: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    PrivateContact,
    PortChange,
    ContactChange,
    Collision,
    Lapse,
    AuthLoop,
}

/// Reported (address-of-record, kind) pairs remembered (beyond it, repeats are possible).
const MAX_REPORTED: usize = 100_000;

impl Default for RegistrationUnstable {
    fn default() -> Self {
        RegistrationUnstable {
            reported: super::Seen::new(MAX_REPORTED),
            contacts: Default::default(),
        }
    }
}

fn finding(
    b: &Binding,
    severity: Severity,
    cause: Cause,
    why: String,
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        site: None,
        id: "registration-unstable",
        severity,
        call_id: None,
        leg: None,
        epoch: None,
        direction: None,
        cause,
        why: format!("{}: {why}", b.aor),
        evidence,
        advice: "keep the NAT mapping alive and stable (registration refresh or keepalives \
                 shorter than the router's UDP timeout, often 30-60 s), let the registrar use \
                 the address REGISTERs come from (NAT-aware registrar, outbound/RFC 5626), \
                 and check for a SIP ALG rewriting Contacts"
            .into(),
    }
}

impl Detector for RegistrationUnstable {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Registration(b) = ev else { return };
        let mut found = Vec::new();
        self.judge(b, &mut found);
        self.collisions(b, &mut found);
        for (kind, f) in found {
            if self.reported.first_time((b.aor.clone(), kind)) {
                out.push(f);
            }
        }
    }
}

impl RegistrationUnstable {
    /// Another AOR already bound to a Contact this one was granted.
    fn collisions(&mut self, b: &Binding, out: &mut Vec<(Kind, Finding)>) {
        for a in &b.attempts {
            if !a.response.is_some_and(|(c, _)| (200..300).contains(&c)) {
                continue;
            }
            for (ip, port) in &a.contact_addrs {
                let contact = std::net::SocketAddr::new(*ip, port.unwrap_or(5060));
                let first = self.contacts.get(&contact).cloned();
                match first {
                    Some((other, frame, src)) if other != b.aor => {
                        let rewritten = |s: std::net::SocketAddr| {
                            s.ip() == contact.ip() && s.port() != contact.port()
                        };
                        let cause = if rewritten(a.src) || rewritten(src) {
                            Cause::Alg
                        } else {
                            Cause::Nat
                        };
                        let mut f = finding(
                            b,
                            Severity::Error,
                            cause,
                            format!(
                                "bound to the Contact {contact}, which {other} registered \
                                 too (from {src}; this one from {}): the bindings collide, so \
                                 requests for one phone reach the other (only one phone of \
                                 a hunt group rings){}",
                                a.src,
                                if cause == Cause::Alg {
                                    "; the Contact carries the public address with a port \
                                     the REGISTER did not come from: a rewrite mapped \
                                     several phones onto one public port"
                                } else {
                                    ""
                                }
                            ),
                            vec![
                                Evidence {
                                    frame,
                                    shows: format!("{other} Contact {contact} from {src}"),
                                },
                                Evidence {
                                    frame: a.frame,
                                    shows: format!(
                                        "{} Contact {} from {}",
                                        b.aor,
                                        a.contacts.join(", "),
                                        a.src
                                    ),
                                },
                            ],
                        );
                        f.site = Some(a.src.ip()).filter(|ip| !is_private(*ip));
                        out.push((Kind::Collision, f));
                        return;
                    }
                    Some(_) => {}
                    None => {
                        if self.contacts.len() >= MAX_CONTACTS {
                            self.contacts.clear();
                        }
                        self.contacts
                            .insert(contact, (b.aor.clone(), a.frame, a.src));
                    }
                }
            }
        }
    }

    fn judge(&self, b: &Binding, out: &mut Vec<(Kind, Finding)>) {
        let ok: Vec<_> = b
            .attempts
            .iter()
            .filter(|a| a.response.is_some_and(|(c, _)| (200..300).contains(&c)))
            .collect();
        // A private Contact registered from a public address.
        if let Some(a) = ok.iter().find(|a| {
            a.frame >= b.attempts.get(b.carried).map_or(u64::MAX, |n| n.frame)
                && !is_private(a.src.ip())
                && a.contact_addrs.iter().any(|(ip, _)| is_private(*ip))
        }) {
            let mut f = finding(
                b,
                Severity::Warning,
                Cause::Nat,
                format!(
                    "the registrar accepted the private Contact {} from {}: calls sent to \
                     that Contact cannot arrive (unless the registrar uses the address the \
                     REGISTER came from instead, as NAT-aware registrars do)",
                    a.contacts.first().map(String::as_str).unwrap_or(""),
                    a.src
                ),
                vec![Evidence {
                    frame: a.frame,
                    shows: format!("REGISTER from {} Contact: {}", a.src, a.contacts.join(", ")),
                }],
            );
            f.site = Some(a.src.ip());
            out.push((Kind::PrivateContact, f));
        }
        // The same phone (same IP) refreshing from another port: every change listed.
        let changes: Vec<(
            &&crate::sip::registration::RegisterAttempt,
            &&crate::sip::registration::RegisterAttempt,
        )> = ok
            .windows(2)
            .map(|p| (&p[0], &p[1]))
            .filter(|(a, c)| a.src.ip() == c.src.ip() && a.src.port() != c.src.port())
            .collect();
        if let Some((first, _)) = changes.first() {
            let ports: Vec<String> = std::iter::once(first.src.port())
                .chain(changes.iter().map(|(_, c)| c.src.port()))
                .map(|p| p.to_string())
                .collect();
            let mut evidence = vec![Evidence {
                frame: first.frame,
                shows: format!("REGISTER from {}", first.src),
            }];
            evidence.extend(changes.iter().map(|(_, c)| Evidence {
                frame: c.frame,
                shows: format!("REGISTER from {}", c.src),
            }));
            out.push((
                Kind::PortChange,
                finding(
                    b,
                    Severity::Warning,
                    Cause::Nat,
                    format!(
                        "refreshes from {} came from a new public port {} time(s) (ports {}): \
                         the NAT mapping expired or changed between refreshes, so requests \
                         sent to the old binding are lost until the next refresh",
                        first.src.ip(),
                        changes.len(),
                        ports.join(" -> ")
                    ),
                    evidence,
                ),
            ));
        }
        for pair in ok.windows(2) {
            let (a, c) = (pair[0], pair[1]);
            if a.src == c.src
                && !a.contacts.is_empty()
                && !c.contacts.is_empty()
                && a.contact_addrs != c.contact_addrs
            {
                out.push((
                    Kind::ContactChange,
                    finding(
                        b,
                        Severity::Warning,
                        Cause::Unknown,
                        format!(
                            "the Contact changed between refreshes from the same {}: {} then {}",
                            a.src,
                            a.contacts.join(", "),
                            c.contacts.join(", ")
                        ),
                        vec![
                            Evidence {
                                frame: a.frame,
                                shows: a.contacts.join(", "),
                            },
                            Evidence {
                                frame: c.frame,
                                shows: c.contacts.join(", "),
                            },
                        ],
                    ),
                ));
                break;
            }
        }
        for pair in ok.windows(2) {
            let (a, c) = (pair[0], pair[1]);
            let granted = a.granted_expires.or(a.expires);
            let gap = c.ts.since(a.ts).as_secs_f64();
            if let Some(g) = granted {
                // A refresh right at expiry (within 0.5 s plus 1 %) is timing, not a lapse.
                let tolerance = 0.5 + f64::from(g) * 0.01;
                if gap > f64::from(g) + tolerance {
                    out.push((Kind::Lapse, finding(
                        b,
                        Severity::Warning,
                        Cause::Unknown,
                        format!("the binding was granted for {g} s but the next refresh came after {gap:.0} s: it lapsed in between"),
                        vec![
                            Evidence { frame: a.frame, shows: format!("expires {g}") },
                            Evidence { frame: c.frame, shows: "next REGISTER".into() },
                        ],
                    )));
                    break;
                }
            }
        }
        let mut challenges = 0;
        for a in &b.attempts {
            match a.response {
                Some((401 | 407, _)) => {
                    challenges += 1;
                    if challenges == 3 {
                        out.push((
                            Kind::AuthLoop,
                            finding(
                                b,
                                Severity::Warning,
                                Cause::Unknown,
                                "three authentication challenges in a row without success: wrong \
                             credentials, or a rewrite breaking the digest"
                                    .into(),
                                vec![Evidence {
                                    frame: a.frame,
                                    shows: "REGISTER challenged again".into(),
                                }],
                            ),
                        ));
                    }
                }
                _ => challenges = 0,
            }
        }
    }
}
