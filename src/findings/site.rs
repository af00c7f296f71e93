//! The site verdict: for each public address (a router or NAT) the findings speak about,
//! is a SIP ALG likely at work there? Evidence for an ALG (its fingerprint in rewritten
//! requests, media refused on a port an SDP sent to the router) raises the score;
//! evidence of SIP crossing the NAT untranslated (private SDP or Contact arriving from
//! the public address) lowers it. Every point of the score names the finding it came
//! from.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Cause, Finding};

/// How strongly each finding speaks for (+) or against (-) an ALG at its site.
fn weight(f: &Finding) -> i32 {
    match (f.id, f.cause) {
        ("alg-rewrite", _) => 3,
        ("icmp-unreachable", Cause::Alg) => 2,
        ("content-length-mismatch", Cause::Alg) => 2,
        ("registration-unstable", Cause::Alg) => 2,
        ("sdp-private-address", _) => -2,
        ("registration-unstable", Cause::Nat) => -2,
        ("media-source-mismatch", Cause::Nat) => -1,
        _ => 0,
    }
}

/// The verdict for one public address.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub public_addr: IpAddr,
    /// `likely`, `unlikely` or `unknown`.
    pub alg: &'static str,
    pub score: i32,
    /// Every finding that moved the score.
    pub evidence: Vec<SiteEvidence>,
    pub advice: String,
}

/// One finding that moved a site's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteEvidence {
    pub finding: &'static str,
    pub weight: i32,
    pub call_id: Option<String>,
    /// The finding's first evidence frame.
    pub frame: Option<u64>,
    pub why: String,
}

/// Collects findings and decides at the end.
#[derive(Debug, Default)]
pub struct Sites {
    sites: BTreeMap<IpAddr, Site>,
}

/// Findings kept as evidence per site (all are scored).
const MAX_EVIDENCE: usize = 20;
const MAX_SITES: usize = 10_000;

impl Sites {
    pub fn add(&mut self, f: &Finding) {
        let (Some(addr), w) = (f.site, weight(f)) else {
            return;
        };
        if w == 0 || (!self.sites.contains_key(&addr) && self.sites.len() >= MAX_SITES) {
            return;
        }
        let site = self.sites.entry(addr).or_insert_with(|| Site {
            public_addr: addr,
            alg: "unknown",
            score: 0,
            evidence: Vec::new(),
            advice: String::new(),
        });
        site.score += w;
        if site.evidence.len() < MAX_EVIDENCE {
            site.evidence.push(SiteEvidence {
                finding: f.id,
                weight: w,
                call_id: f.call_id.clone(),
                frame: f.evidence.first().map(|e| e.frame),
                why: f.why.clone(),
            });
        }
    }

    /// The verdicts, one per site.
    pub fn finish(self) -> Vec<Site> {
        self.sites
            .into_values()
            .map(|mut s| {
                let (alg, advice) = if s.score >= 3 {
                    (
                        "likely",
                        "disable SIP ALG on this router: Cisco/Linksys: Advanced \
                     settings, Firewall/NAT, \"SIP ALG\", SIP inspection or SIP helper; Netgear: \
                     \"Disable SIP ALG\" or \"SIP Transformations\" (some models: Advanced > \
                     Setup > WAN Setup); TP-Link: Advanced > NAT Forwarding > ALG, or Security > \
                     Firewall; FortiGate CLI: config system settings, set sip-expectation \
                     disable, set sip-nat-trace disable. Or keep SIP out of its reach: TLS, or a \
                     port other than 5060",
                    )
                } else if s.score <= -2 {
                    (
                        "unlikely",
                        "SIP crosses this NAT untranslated (no ALG acting on it): the \
                     far end must handle the NAT (media latching, NAT-aware registrar, an SBC) \
                     or the phones must announce their public address (STUN); do not turn an \
                     ALG on",
                    )
                } else {
                    (
                        "unknown",
                        "not enough evidence either way: capture on both sides of the \
                     router, or a call that carries SDP through it",
                    )
                };
                s.alg = alg;
                s.advice = advice.into();
                s
            })
            .collect()
    }
}
