//! Both sides of a router: a capture taken inside (LAN) and one taken outside (WAN) at the
//! same time. Every SIP message that crossed the router appears in both; comparing the
//! two copies shows exactly what the router changed (a plain NAT changes only IP and UDP
//! headers: any change inside SIP is an application layer gateway at work), and what
//! entered the router and never left it. This is proof, where a single capture only
//! gives fingerprints.
//!
//! Pairing: a message is paired with the copy on the other side that has the same CSeq
//! (number and method), the same kind (request, or response code), is within
//! `MAX_SKEW` of it, preferring the same top Via branch (ALGs rewrite the Via host, not
//! its branch), then the nearest in time. Messages and media are only judged within the
//! time both captures cover.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};

use crate::engine::{Event, SipRecord, Summary};
use crate::findings::address::is_private;
use crate::findings::{Cause, Evidence, Finding, Severity};
use crate::media::flow::{Flow, FlowProto};
use crate::report::Sink;
use crate::source::SourceReport;
use crate::time::{Duration, Timestamp};

/// The most two copies of one message may be apart (router latency, clock offset).
pub const MAX_SKEW: Duration = Duration::from_secs(2);

/// SIP messages kept per side (a bound for very large captures; beyond it, counted).
const MAX_MESSAGES: usize = 500_000;

/// What one capture gave: its SIP messages and media flows.
#[derive(Debug, Default)]
pub struct Side {
    pub name: String,
    pub sips: Vec<SipRecord>,
    pub flows: Vec<Flow>,
    /// The Call-ID each flow (same index) was attributed to, when any.
    pub flow_calls: Vec<Option<String>>,
    pub messages_not_kept: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

impl Sink for Side {
    fn begin(&mut self, inputs: &[String]) -> std::io::Result<()> {
        self.name = inputs.join(", ");
        Ok(())
    }

    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        match ev {
            Event::Sip(r) => {
                if self.sips.len() < MAX_MESSAGES {
                    self.sips.push((**r).clone());
                } else {
                    self.messages_not_kept += 1;
                }
            }
            Event::Flow(f) => {
                let call = f
                    .flow
                    .attribution
                    .and_then(|a| f.call_ids.get(&a.call).cloned())
                    .or_else(|| f.call_ids.values().next().cloned());
                self.flows.push(f.flow.clone());
                self.flow_calls.push(call);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary, _source: &SourceReport) -> std::io::Result<()> {
        self.first_ts = summary.first_ts;
        self.last_ts = summary.last_ts;
        Ok(())
    }
}

/// Which way a message or stream crossed the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Way {
    /// From inside to outside (seen inside first).
    Out,
    /// From outside to inside.
    In,
}

impl Way {
    pub fn as_str(self) -> &'static str {
        match self {
            Way::Out => "inside->outside",
            Way::In => "outside->inside",
        }
    }
}

/// One field the router changed in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub inside_frame: u64,
    pub outside_frame: u64,
    pub way: Way,
    /// The Call-ID as seen inside.
    pub call_id: Option<String>,
    /// The message's start line (inside).
    pub message: String,
    pub field: &'static str,
    pub inside: String,
    pub outside: String,
}

/// A message seen on one side only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneSided {
    /// The side it was seen on: "inside" or "outside".
    pub seen: &'static str,
    pub frame: u64,
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub call_id: Option<String>,
    pub message: String,
    /// IP fragments the message was sent in (1: not fragmented).
    pub fragments: usize,
}

/// One media stream as both sides saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPath {
    pub proto: FlowProto,
    pub ssrc: u32,
    pub way: Way,
    /// The far end (the same address on both sides).
    pub far: SocketAddr,
    /// The near end as seen inside and outside (the NAT mapping).
    pub near_inside: Option<SocketAddr>,
    pub near_outside: Option<SocketAddr>,
    pub inside_packets: u64,
    pub outside_packets: u64,
    pub inside_frames: Option<(u64, u64)>,
    pub outside_frames: Option<(u64, u64)>,
    /// The call the stream belongs to (its Call-ID as either side matched it).
    pub call_id: Option<String>,
}

/// The comparison of two captures.
#[derive(Debug, Default)]
pub struct Comparison {
    pub inside: String,
    pub outside: String,
    pub paired: u64,
    pub rewrites: Vec<Rewrite>,
    pub one_sided: Vec<OneSided>,
    pub media: Vec<MediaPath>,
    pub findings: Vec<Finding>,
    pub sites: Vec<crate::findings::site::Site>,
    /// The time both captures cover.
    pub overlap: Option<(Timestamp, Timestamp)>,
    /// A side whose capture holds no packet at all.
    pub empty_side: Option<&'static str>,
}

/// The start line; a response with its CSeq method ("200 OK (INVITE)").
fn start_line(r: &SipRecord) -> String {
    match (&r.msg.start, &r.msg.cseq) {
        (crate::sip::StartLine::Response { .. }, cseq) => format!(
            "{} ({})",
            r.msg.start,
            cseq.as_ref()
                .map(|c| c.method.to_string())
                .unwrap_or_default()
        ),
        (start, _) => start.to_string(),
    }
}

type Key = (u32, String, u16);

/// CSeq number and method, and the status code (0 for requests). A request without a
/// CSeq (malformed, but forwarded all the same) is keyed by its method and CSeq 0; the
/// branch and the time then tell its copies apart.
fn key(r: &SipRecord) -> Option<Key> {
    match (r.msg.cseq.as_ref(), r.msg.method()) {
        (Some(c), _) => Some((c.seq, c.method.to_string(), r.msg.status().unwrap_or(0))),
        (None, Some(m)) => Some((0, m.to_string(), 0)),
        (None, None) => None,
    }
}

fn branch(r: &SipRecord) -> Option<&str> {
    r.msg.vias.first().and_then(|v| v.branch.as_deref())
}

/// The fields compared, as strings (absent fields are empty).
fn fields(r: &SipRecord) -> Vec<(&'static str, String)> {
    let m = &r.msg;
    let mut v = vec![
        ("Call-ID", m.call_id.clone().unwrap_or_default()),
        (
            "Request-URI",
            match &m.start {
                crate::sip::StartLine::Request { uri, .. } => uri.clone(),
                _ => String::new(),
            },
        ),
        (
            "From",
            m.from
                .as_ref()
                .map(|f| f.uri.raw.clone())
                .unwrap_or_default(),
        ),
        (
            "To",
            m.to.as_ref().map(|f| f.uri.raw.clone()).unwrap_or_default(),
        ),
        (
            "Via sent-by",
            m.vias
                .first()
                .map(|v| match v.port {
                    Some(p) => format!("{}:{p}", v.host),
                    None => v.host.to_string(),
                })
                .unwrap_or_default(),
        ),
        ("Via count", m.vias.len().to_string()),
        (
            "Contact",
            m.contacts
                .iter()
                .map(|c| c.uri.raw.clone())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Content-Length",
            match &m.content_length {
                crate::sip::DeclaredLength::Value(n) => n.to_string(),
                crate::sip::DeclaredLength::Invalid(s) => s.clone(),
                crate::sip::DeclaredLength::Absent => String::new(),
            },
        ),
        ("body length", m.body.len().to_string()),
        (
            "Max-Forwards",
            m.header("Max-Forwards")
                .map(|h| h.value.clone())
                .unwrap_or_default(),
        ),
        (
            "header names",
            m.headers
                .iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
    ];
    if let Some(sdp) = m.sdp_bytes() {
        let text = String::from_utf8_lossy(sdp);
        for (field, prefix) in [("SDP o=", "o="), ("SDP c=", "c="), ("SDP m=", "m=")] {
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim_end)
                .filter(|l| l.starts_with(prefix))
                .collect();
            v.push((field, lines.join(" | ")));
        }
        let cands = text
            .lines()
            .filter(|l| l.starts_with("a=candidate"))
            .count();
        v.push(("SDP a=candidate lines", cands.to_string()));
    }
    v
}

/// Fields whose change is a rewrite of addresses or identity (what an ALG does), as
/// opposed to framing (lengths, header names).
fn is_address_field(field: &str) -> bool {
    matches!(
        field,
        "Call-ID"
            | "Request-URI"
            | "From"
            | "To"
            | "Via sent-by"
            | "Contact"
            | "SDP o="
            | "SDP c="
            | "SDP m="
    )
}

/// Compares the two sides. `inside` is the capture on the phones' side of the router.
pub fn compare(inside: &Side, outside: &Side) -> Comparison {
    let mut cmp = Comparison {
        inside: inside.name.clone(),
        outside: outside.name.clone(),
        ..Default::default()
    };
    // The time both captures cover. An empty capture (nothing at all crossed that side:
    // the router forwarded nothing) is taken as covering the other's time.
    let overlap = match (
        inside.first_ts,
        inside.last_ts,
        outside.first_ts,
        outside.last_ts,
    ) {
        (Some(a), Some(b), Some(c), Some(d)) if a.max(c) <= b.min(d) => Some((a.max(c), b.min(d))),
        (Some(a), Some(b), None, None) | (None, None, Some(a), Some(b)) => {
            cmp.empty_side = Some(if inside.first_ts.is_none() {
                "inside"
            } else {
                "outside"
            });
            Some((a, b))
        }
        _ => None,
    };
    cmp.overlap = overlap;
    let within = |ts: Timestamp| overlap.is_some_and(|(a, b)| ts >= a && ts <= b);

    // Index the outside messages by key.
    let mut by_key: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, r) in outside.sips.iter().enumerate() {
        if let Some(k) = key(r) {
            by_key.entry(k).or_default().push(i);
        }
    }
    let mut used = vec![false; outside.sips.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut unpaired_inside = Vec::new();
    for (i, r) in inside.sips.iter().enumerate() {
        let Some(k) = key(r) else {
            unpaired_inside.push(i);
            continue;
        };
        let b = branch(r);
        let best = by_key.get(&k).and_then(|cands| {
            cands
                .iter()
                .copied()
                .filter(|j| !used[*j])
                .filter(|j| {
                    let o = &outside.sips[*j];
                    let dt = (o.ts.as_nanos() - r.ts.as_nanos()).abs();
                    dt <= MAX_SKEW.as_nanos()
                })
                .min_by_key(|j| {
                    let o = &outside.sips[*j];
                    let same_branch =
                        b.is_some() && o.msg.vias.iter().any(|v| v.branch.as_deref() == b);
                    (!same_branch, (o.ts.as_nanos() - r.ts.as_nanos()).abs())
                })
        });
        match best {
            Some(j) => {
                used[j] = true;
                pairs.push((i, j));
            }
            None => unpaired_inside.push(i),
        }
    }
    cmp.paired = pairs.len() as u64;

    // Rewrites, per pair.
    for (i, j) in &pairs {
        let (a, b) = (&inside.sips[*i], &outside.sips[*j]);
        let way = if a.ts <= b.ts { Way::Out } else { Way::In };
        let fa = fields(a);
        let fb: BTreeMap<&str, String> = fields(b).into_iter().collect();
        for (field, va) in fa {
            let vb = fb.get(field).cloned().unwrap_or_default();
            if va != vb {
                cmp.rewrites.push(Rewrite {
                    inside_frame: a.frame,
                    outside_frame: b.frame,
                    way,
                    call_id: a.msg.call_id.clone(),
                    message: start_line(a),
                    field,
                    inside: va,
                    outside: vb,
                });
            }
        }
    }

    // Messages on one side only, within the time both sides cover.
    for i in unpaired_inside {
        let r = &inside.sips[i];
        if within(r.ts) {
            cmp.one_sided.push(one_sided("inside", r));
        }
    }
    for (j, r) in outside.sips.iter().enumerate() {
        if !used[j] && within(r.ts) {
            cmp.one_sided.push(one_sided("outside", r));
        }
    }

    cmp.media = media_paths(inside, outside, overlap);
    findings(&mut cmp, inside, outside, &pairs);
    let mut sites = crate::findings::site::Sites::default();
    for f in &cmp.findings {
        sites.add(f);
    }
    cmp.sites = sites.finish();
    cmp
}

fn one_sided(seen: &'static str, r: &SipRecord) -> OneSided {
    OneSided {
        seen,
        frame: r.frame,
        ts: r.ts,
        src: r.src,
        dst: r.dst,
        call_id: r.msg.call_id.clone(),
        message: start_line(r),
        fragments: if r.transport == crate::engine::Transport::Udp {
            r.other_frames.len() + 1
        } else {
            1
        },
    }
}

/// Streams by (protocol, SSRC, far end): the far end's address and the SSRC survive the
/// NAT; the near end is what the router maps.
fn media_paths(
    inside: &Side,
    outside: &Side,
    overlap: Option<(Timestamp, Timestamp)>,
) -> Vec<MediaPath> {
    // The far ends: addresses that appear in both captures' flows (the near side's
    // addresses differ across the NAT, the far side's do not).
    let endpoints = |s: &Side| -> std::collections::HashSet<SocketAddr> {
        s.flows
            .iter()
            .flat_map(|f| [f.key.src, f.key.dst])
            .collect()
    };
    let ins = endpoints(inside);
    let outs = endpoints(outside);
    let mut paths: BTreeMap<(FlowProto, u32, Way, SocketAddr), MediaPath> = BTreeMap::new();
    let in_overlap = |f: &Flow| overlap.is_some_and(|(a, b)| f.last_ts >= a && f.first_ts <= b);
    for (side, s) in [(0, inside), (1, outside)] {
        for (i, f) in s.flows.iter().enumerate().filter(|(_, f)| in_overlap(f)) {
            let call = s.flow_calls.get(i).cloned().flatten();
            let (src, dst) = (f.key.src, f.key.dst);
            // The far end is the endpoint both captures know; prefer a public one.
            let src_far = ins.contains(&src) && outs.contains(&src);
            let dst_far = ins.contains(&dst) && outs.contains(&dst);
            let (way, far, near) = match (src_far, dst_far) {
                (true, false) => (Way::In, src, dst),
                (false, true) => (Way::Out, dst, src),
                (true, true) if is_private(src.ip()) && !is_private(dst.ip()) => {
                    (Way::Out, dst, src)
                }
                (true, true) => (Way::In, src, dst),
                (false, false) if side == 1 => (Way::In, src, dst),
                (false, false) => (Way::Out, dst, src),
            };
            let p = paths
                .entry((f.key.proto, f.key.ssrc, way, far))
                .or_insert_with(|| MediaPath {
                    proto: f.key.proto,
                    ssrc: f.key.ssrc,
                    way,
                    far,
                    near_inside: None,
                    near_outside: None,
                    inside_packets: 0,
                    outside_packets: 0,
                    inside_frames: None,
                    outside_frames: None,
                    call_id: None,
                });
            if p.call_id.is_none() {
                p.call_id = call;
            }
            let (near_slot, packets, frames) = if side == 0 {
                (
                    &mut p.near_inside,
                    &mut p.inside_packets,
                    &mut p.inside_frames,
                )
            } else {
                (
                    &mut p.near_outside,
                    &mut p.outside_packets,
                    &mut p.outside_frames,
                )
            };
            near_slot.get_or_insert(near);
            *packets += f.packets;
            *frames = Some(match *frames {
                Some((a, b)) => (a.min(f.first_frame), b.max(f.last_frame)),
                None => (f.first_frame, f.last_frame),
            });
        }
    }
    paths.into_values().collect()
}

const ADVICE_ALG: &str = "disable SIP ALG on this router (Cisco/Linksys: Firewall/NAT, \"SIP \
                          ALG\" or SIP inspection; Netgear: \"Disable SIP ALG\" / SIP \
                          Transformations; TP-Link: NAT Forwarding > ALG; FortiGate: config \
                          system settings, set sip-expectation disable, set sip-nat-trace \
                          disable), or move SIP off its reach (TLS, a port other than 5060)";

fn findings(cmp: &mut Comparison, inside: &Side, outside: &Side, pairs: &[(usize, usize)]) {
    // The router's public address: where inside messages come from on the outside.
    let mut public: Option<IpAddr> = None;
    for (i, j) in pairs {
        let (a, b) = (&inside.sips[*i], &outside.sips[*j]);
        if a.src != b.src && a.ts <= b.ts && !is_private(b.src.ip()) {
            public = Some(b.src.ip());
            break;
        }
    }
    // alg-rewrite, proven: per call (inside Call-ID), the address and identity fields the
    // router changed.
    let mut per_call: BTreeMap<String, Vec<&Rewrite>> = BTreeMap::new();
    for r in cmp.rewrites.iter().filter(|r| is_address_field(r.field)) {
        per_call
            .entry(r.call_id.clone().unwrap_or_default())
            .or_default()
            .push(r);
    }
    // Proxy-like changes (a Via added, Max-Forwards touched, header names re-cased or
    // re-ordered), per call.
    let mut proxy_like: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for r in cmp.rewrites.iter().filter(|r| r.way == Way::Out) {
        let what = match r.field {
            "Via count" => "added a Via",
            "Max-Forwards" => "changed Max-Forwards",
            "header names" => "re-cased or re-ordered header names",
            _ => continue,
        };
        let v = proxy_like
            .entry(r.call_id.clone().unwrap_or_default())
            .or_default();
        if !v.contains(&what) {
            v.push(what);
        }
    }
    // Partial rewrites: an outbound message whose outside copy still carries the phone's
    // private address in an address field (while the router rewrote others).
    let mut partial: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, j) in pairs {
        let (a, b) = (&inside.sips[*i], &outside.sips[*j]);
        if a.ts > b.ts || a.src == b.src || !is_private(a.src.ip()) {
            continue;
        }
        let private = a.src.ip().to_string();
        let left: Vec<&str> = fields(b)
            .into_iter()
            .filter(|(f, v)| {
                matches!(*f, "Via sent-by" | "Contact" | "SDP o=" | "SDP c=")
                    && v.contains(private.as_str())
            })
            .map(|(f, _)| f)
            .collect();
        let via_rest = b
            .msg
            .vias
            .iter()
            .skip(1)
            .any(|v| v.host.to_string() == private);
        if left.is_empty() && !via_rest {
            continue;
        }
        let mut what: Vec<String> = left.iter().map(|f| f.to_string()).collect();
        if via_rest {
            what.push("a lower Via".into());
        }
        let v = partial
            .entry(a.msg.call_id.clone().unwrap_or_default())
            .or_default();
        if v.len() < 4 {
            v.push(format!(
                "\"{}\" (outside frame {}) left {} at {private}",
                start_line(a),
                b.frame,
                what.join(", ")
            ));
        }
    }
    let mut alg_calls: Vec<String> = Vec::new();
    for (call_id, rs) in &per_call {
        let proxy = proxy_like.get(call_id).filter(|v| !v.is_empty());
        let mut fields: Vec<&str> = rs.iter().map(|r| r.field).collect();
        fields.sort_unstable();
        fields.dedup();
        let callid_rewritten = fields.contains(&"Call-ID");
        let first = rs[0];
        cmp.findings.push(Finding {
            site: public,
            id: "alg-rewrite",
            severity: if callid_rewritten {
                Severity::Error
            } else {
                Severity::Warning
            },
            call_id: Some(call_id.clone()).filter(|c| !c.is_empty()),
            leg: None,
            epoch: None,
            direction: None,
            cause: Cause::Alg,
            why: format!(
                "proven by comparing the two sides of the router: it rewrote {} inside SIP \
                 (first in \"{}\", inside frame {} / outside frame {}); a NAT alone changes \
                 only IP and UDP headers{}{}",
                fields.join(", "),
                first.message,
                first.inside_frame,
                first.outside_frame,
                proxy
                    .map(|v| format!(
                        "; it also behaved like a proxy on the way out: it {}",
                        v.join(", ")
                    ))
                    .unwrap_or_default()
                    + &partial
                        .get(call_id)
                        .map(|v| format!(
                            "; a partial rewrite: {} (mixed private and public addresses \
                             in one message)",
                            v.join("; ")
                        ))
                        .unwrap_or_default(),
                if callid_rewritten {
                    "; the Call-ID itself was changed, which breaks dialog matching across \
                     the router (Replaces, transfers, the provider's records)"
                } else {
                    ""
                }
            ),
            evidence: {
                let mut distinct: Vec<&&Rewrite> = Vec::new();
                for r in rs {
                    if !distinct.iter().any(|d| {
                        d.way == r.way
                            && d.field == r.field
                            && d.inside == r.inside
                            && d.outside == r.outside
                    }) {
                        distinct.push(r);
                    }
                }
                distinct
            }
            .into_iter()
            .take(12)
            .map(|r| Evidence {
                frame: r.inside_frame,
                shows: format!(
                    "{} {}: {} -> {} (outside frame {})",
                    r.way.as_str(),
                    r.field,
                    r.inside,
                    r.outside,
                    r.outside_frame
                ),
            })
            .collect(),
            advice: ADVICE_ALG.into(),
        });
        alg_calls.push(call_id.clone());
    }
    // Content-Length left stale by the rewrite: consistent on one side, not on the other.
    for (i, j) in pairs {
        let (a, b) = (&inside.sips[*i], &outside.sips[*j]);
        let consistent = |r: &SipRecord| match r.msg.content_length {
            crate::sip::DeclaredLength::Value(n) => n as usize == r.msg.body.len(),
            _ => true,
        };
        let (good, bad, way) = if a.ts <= b.ts {
            (a, b, Way::Out)
        } else {
            (b, a, Way::In)
        };
        if consistent(good) && !consistent(bad) && good.msg.body.len() != bad.msg.body.len() {
            cmp.findings.push(Finding {
                site: public,
                id: "content-length-mismatch",
                severity: Severity::Warning,
                call_id: a.msg.call_id.clone(),
                leg: None,
                epoch: None,
                direction: None,
                cause: Cause::Alg,
                why: format!(
                    "the router changed the body of \"{}\" ({way_s}) from {} to {} bytes and \
                     left Content-Length at {}: the receiver reads the body cut or padded",
                    start_line(a),
                    good.msg.body.len(),
                    bad.msg.body.len(),
                    match &bad.msg.content_length {
                        crate::sip::DeclaredLength::Value(n) => n.to_string(),
                        _ => "?".into(),
                    },
                    way_s = way.as_str(),
                ),
                evidence: vec![
                    Evidence {
                        frame: a.frame,
                        shows: format!("inside: body {} bytes", a.msg.body.len()),
                    },
                    Evidence {
                        frame: b.frame,
                        shows: format!(
                            "outside frame {}: body {} bytes",
                            b.frame,
                            b.msg.body.len()
                        ),
                    },
                ],
                advice: ADVICE_ALG.into(),
            });
            break;
        }
    }
    // router-dropped: SIP that reached the router and never left it.
    let mut groups: BTreeMap<(&'static str, String, String), Vec<&OneSided>> = BTreeMap::new();
    for o in &cmp.one_sided {
        groups
            .entry((
                o.seen,
                o.call_id.clone().unwrap_or_default(),
                o.message.clone(),
            ))
            .or_default()
            .push(o);
    }
    for ((seen, call_id, message), os) in groups {
        let first = os[0];
        let (entered, left) = if seen == "inside" {
            ("inside", "outside")
        } else {
            ("outside", "inside")
        };
        let private_dst = seen == "outside" && is_private(first.dst.ip());
        // A NAT forwards SIP whatever it says; a router whose SIP ALG is proven (it
        // rewrote messages in this capture) and that drops one is its ALG at work.
        let cause = if private_dst {
            Cause::Nat
        } else if !alg_calls.is_empty() {
            Cause::Alg
        } else {
            Cause::Unknown
        };
        cmp.findings.push(Finding {
            site: public,
            id: "router-dropped",
            severity: Severity::Error,
            call_id: Some(call_id.clone()).filter(|c| !c.is_empty()),
            leg: None,
            epoch: None,
            direction: None,
            cause,
            why: format!(
                "\"{message}\" from {} to {} was seen {} time(s) on the {entered} of the \
                 router and never on the {left}: the router did not forward it{}{}{}",
                first.src,
                first.dst,
                os.len(),
                if first.fragments > 1 {
                    format!(
                        " (each copy was sent in {} IP fragments: a router that drops or \
                         cannot reassemble fragments loses the whole message)",
                        first.fragments
                    )
                } else {
                    String::new()
                },
                if cmp.empty_side.is_some() {
                    format!(
                        " (the {left} capture holds no packet at all: if it was taken at the \
                         same time on the right interface, nothing left the router)"
                    )
                } else {
                    String::new()
                },
                if private_dst {
                    " (it is addressed to a private address taken from SIP that crossed the \
                     NAT untranslated)"
                } else {
                    ""
                }
            ),
            evidence: os
                .iter()
                .take(8)
                .map(|o| Evidence {
                    frame: o.frame,
                    shows: format!("{} frame {}: {} -> {}", o.seen, o.frame, o.src, o.dst),
                })
                .collect(),
            advice: "compare the router's firewall/NAT rules and SIP ALG: a message must leave \
                     the router as it entered (addresses aside)"
                .into(),
        });
    }
    // router-dropped media: a stream that entered with more packets than left.
    for p in &cmp.media {
        let (entered, left, entered_n, left_n) = match p.way {
            Way::In => ("outside", "inside", p.outside_packets, p.inside_packets),
            Way::Out => ("inside", "outside", p.inside_packets, p.outside_packets),
        };
        let missing = entered_n.saturating_sub(left_n);
        if missing < 5 || missing * 10 < entered_n {
            continue;
        }
        let dst_out = match p.way {
            Way::In => p.near_outside,
            Way::Out => Some(p.far),
        };
        let private_dst = p.way == Way::In && dst_out.is_some_and(|d| is_private(d.ip()));
        let cause = if private_dst {
            Cause::Nat
        } else if !alg_calls.is_empty() {
            Cause::Alg
        } else {
            Cause::Unknown
        };
        let frames = match p.way {
            Way::In => p.outside_frames,
            Way::Out => p.inside_frames,
        };
        cmp.findings.push(Finding {
            site: public,
            id: "router-dropped",
            severity: Severity::Error,
            call_id: p.call_id.clone(),
            leg: None,
            epoch: None,
            direction: None,
            cause,
            why: format!(
                "{} stream {} ({}, SSRC 0x{:08x}): {entered_n} packets on the {entered} of the \
                 router, {left_n} on the {left}: the router dropped {missing}{}",
                p.proto.as_str(),
                match p.way {
                    Way::In => format!(
                        "{} -> {}",
                        p.far,
                        dst_out.map(|d| d.to_string()).unwrap_or_default()
                    ),
                    Way::Out => format!(
                        "{} -> {}",
                        p.near_inside.map(|d| d.to_string()).unwrap_or_default(),
                        p.far
                    ),
                },
                p.way.as_str(),
                p.ssrc,
                if private_dst {
                    " (sent to a private address: SDP crossed the NAT untranslated)"
                } else if cause == Cause::Alg {
                    " (the ALG that rewrites this router's SIP did not open, or closed, the \
                     media pinhole)"
                } else {
                    ""
                }
            ),
            evidence: frames
                .map(|(a, b)| {
                    vec![Evidence {
                        frame: a,
                        shows: format!("{entered} frames {a}-{b}"),
                    }]
                })
                .unwrap_or_default(),
            advice: "disable the SIP ALG and let the far end latch media (or an SBC relay), \
                     or forward the RTP port range to the phones"
                .into(),
        });
    }
}
