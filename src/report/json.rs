//! JSON lines: one object per line, each with a `kind`. The schema is public (users'
//! scripts and CI read it) and versioned: see `docs/json-schema.md`. Fields are only ever
//! added within a schema version.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::calls::{coincident_gaps, last_attribution, media_legs, quality};
use super::Sink;
use crate::engine::{CallRecord, Event, FlowRecord, MalformedRecord, Summary};
use crate::sip::call::{MediaLine, Side};
use crate::source::SourceReport;

/// Bumped when a field changes meaning or is removed (never for additions).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Meta<'a> {
    kind: &'static str,
    schema_version: u32,
    tool: &'static str,
    version: &'static str,
    inputs: &'a [String],
}

#[derive(Serialize)]
struct Malformed<'a> {
    kind: &'static str,
    frame: u64,
    layer: &'static str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Tcp {
    retransmissions: u64,
    out_of_order: u64,
    gaps: u64,
    overflows: u64,
    evicted_streams: u64,
    keepalives: u64,
    junk_bytes: u64,
}

#[derive(Serialize)]
struct Decode {
    link_types: BTreeMap<String, u64>,
    tunnels: BTreeMap<&'static str, u64>,
    vlan_tagged: u64,
    mpls: u64,
    pppoe: u64,
    snaplen_cut: u64,
    reassembled_datagrams: u64,
    icmp_quoting_sip: u64,
    tcp: Tcp,
}

#[derive(Serialize)]
struct SummaryLine<'a> {
    kind: &'static str,
    packets_read: u64,
    first_ts: Option<String>,
    last_ts: Option<String>,
    sip_messages: u64,
    sip_requests: &'a BTreeMap<String, u64>,
    sip_responses: BTreeMap<String, u64>,
    sip_call_ids: usize,
    sip_transports: BTreeMap<&'static str, u64>,
    sip_anomalies: BTreeMap<String, u64>,
    sip_unparseable: u64,
    sip_truncated: u64,
    accounting: &'a crate::accounting::Accounting,
    decode: Decode,
    malformed_total: u64,
    events_dropped: u64,
    warnings: &'a [String],
    kernel_drops: u64,
    interface_drops: u64,
    sip_transactions: Transactions,
    calls: u64,
    registered_aors: u64,
    register_requests: u64,
    options_requests: u64,
    evicted: serde_json::Value,
}

#[derive(Serialize)]
struct Transactions {
    transactions: u64,
    retransmissions: u64,
    duplicates: u64,
    response_retransmissions: u64,
    orphan_responses: u64,
    timed_out: u64,
    unanswered: u64,
    seen_on_two_paths: u64,
}

/// Writes the JSON-lines stream.
pub struct JsonSink<W: Write> {
    out: W,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> Self {
        JsonSink { out }
    }

    fn line<T: Serialize>(&mut self, v: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, v).map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }
}

/// The `site` line (schema in docs/json-schema.md).
pub(crate) fn site_line(s: &crate::findings::site::Site) -> serde_json::Value {
    serde_json::json!({
        "kind": "site",
        "public_addr": s.public_addr.to_string(),
        "alg": s.alg,
        "score": s.score,
        "evidence": s.evidence.iter().map(|e| serde_json::json!({
            "finding": e.finding, "weight": e.weight, "call_id": e.call_id,
            "frame": e.frame, "why": e.why,
        })).collect::<Vec<_>>(),
        "advice": s.advice,
    })
}

fn evictions_json(e: &crate::engine::Evictions) -> serde_json::Value {
    serde_json::json!({
        "calls": e.calls,
        "flows": e.flows,
        "transactions": e.transactions,
        "registrations": e.registrations,
        "tcp_streams": e.tcp_streams,
        "fragment_datagrams": e.fragment_datagrams,
        "events": e.events,
    })
}

pub(crate) fn anomaly_name(a: crate::sip::Anomaly) -> String {
    // Debug names are CamelCase; the contract is snake_case.
    let mut s = String::new();
    for (i, ch) in format!("{a:?}").chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(ch.to_ascii_lowercase());
        } else {
            s.push(ch);
        }
    }
    s
}

impl<W: Write> Sink for JsonSink<W> {
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn status(&mut self, s: &crate::live::Status) -> io::Result<()> {
        let e = &s.evictions;
        self.line(&serde_json::json!({
            "kind": "status",
            "ts": s.ts.to_string(),
            "elapsed_s": s.elapsed.as_secs_f64(),
            "packets": s.packets,
            "packets_per_s": s.packets_per_s,
            "calls_active": s.calls_active,
            "flows_active": s.flows_active,
            "registrations_active": s.registrations,
            "findings": {"info": s.findings[0], "warning": s.findings[1], "error": s.findings[2]},
            "kernel_drops": s.kernel_drops,
            "interface_drops": s.interface_drops,
            "evicted": evictions_json(e),
            "evidence_files": s.evidence_files,
            "evidence_bytes_held": s.evidence_bytes_held,
            "written_packets": s.written_packets,
            "rss_bytes": s.rss_bytes,
        }))
    }

    fn begin(&mut self, inputs: &[String]) -> io::Result<()> {
        self.line(&Meta {
            kind: "meta",
            schema_version: SCHEMA_VERSION,
            tool: "algscope",
            version: env!("CARGO_PKG_VERSION"),
            inputs,
        })
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::Malformed(MalformedRecord {
                frame,
                layer,
                reason,
            }) => self.line(&Malformed {
                kind: "malformed",
                frame: *frame,
                layer: layer.as_str(),
                reason,
            }),
            // SIP messages and ICMP errors are facts behind the other records.
            Event::Sip(_) | Event::IcmpUnreachable(_) | Event::SipFragmentsLost(_) => Ok(()),
            Event::Call(rec) => self.line(&call_line(rec)),
            Event::Flow(rec) => self.line(&flow_line(rec)),
            Event::Finding(f) => self.line(&finding_line(f)),
            Event::Site(s) => self.line(&site_line(s)),
            Event::Registration(b) => self.line(&serde_json::json!({
                "kind": "registration",
                "aor": b.aor,
                "sources": b.sources().iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "attempts": b.attempts.iter().map(|a| serde_json::json!({
                    "frame": a.frame,
                    "ts": a.ts.to_string(),
                    "src": a.src.to_string(),
                    "contacts": a.contacts,
                    "expires": a.expires,
                    "cseq": a.cseq,
                    "response": a.response.map(|(c, _)| c),
                    "response_frame": a.response.map(|(_, f)| f),
                    "granted_expires": a.granted_expires,
                    "nat_signs": a.nat_signs.names(),
                })).collect::<Vec<_>>(),
                "more_attempts": b.dropped_attempts,
            })),
        }
    }

    fn finish(&mut self, s: &Summary, src: &SourceReport) -> io::Result<()> {
        let d = &s.decode;
        let line = SummaryLine {
            kind: "summary",
            packets_read: s.packets_read,
            first_ts: s.first_ts.map(|t| t.to_string()),
            last_ts: s.last_ts.map(|t| t.to_string()),
            sip_messages: s.sip.messages(),
            sip_requests: &s.sip.requests,
            sip_responses: s
                .sip
                .responses
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            sip_call_ids: s.sip.distinct_call_ids(),
            sip_transports: [("udp", s.sip.udp_messages), ("tcp", s.sip.tcp_messages)]
                .into_iter()
                .collect(),
            sip_anomalies: s
                .sip
                .anomalies
                .iter()
                .map(|(k, v)| (anomaly_name(*k), *v))
                .collect(),
            sip_unparseable: s.sip.unparseable,
            sip_truncated: s.sip.truncated,
            accounting: &s.accounting,
            decode: Decode {
                link_types: d.link_types(),
                tunnels: d.tunnels.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
                vlan_tagged: d.vlan_tagged,
                mpls: d.mpls,
                pppoe: d.pppoe,
                snaplen_cut: d.snaplen_cut,
                reassembled_datagrams: d.reassembled_datagrams,
                icmp_quoting_sip: d.icmp_quoting_sip,
                tcp: Tcp {
                    retransmissions: d.tcp.retransmissions,
                    out_of_order: d.tcp.out_of_order,
                    gaps: d.tcp.gaps,
                    overflows: d.tcp.overflows,
                    evicted_streams: d.tcp.evicted_streams,
                    keepalives: d.tcp.keepalives,
                    junk_bytes: d.tcp_junk_bytes,
                },
            },
            malformed_total: s.malformed_total,
            events_dropped: s.events_dropped,
            warnings: &src.warnings,
            kernel_drops: src.kernel_drops,
            evicted: evictions_json(&s.evictions),
            interface_drops: src.interface_drops,
            sip_transactions: Transactions {
                transactions: s.transactions.transactions,
                retransmissions: s.transactions.retransmissions,
                duplicates: s.transactions.duplicates,
                response_retransmissions: s.transactions.response_retransmissions,
                orphan_responses: s.transactions.orphan_responses,
                timed_out: s.transactions.timed_out,
                unanswered: s.transactions.unanswered,
                seen_on_two_paths: s.transactions.seen_on_two_paths,
            },
            calls: s.calls,
            registered_aors: s.registered_aors,
            register_requests: s.register_requests,
            options_requests: s.options_requests,
        };
        self.line(&line)?;
        self.out.flush()
    }
}

fn direction_name(from: Side) -> &'static str {
    match from {
        Side::Caller => "caller->callee",
        Side::Callee => "callee->caller",
    }
}

fn line_json(l: &MediaLine) -> serde_json::Value {
    serde_json::json!({
        "frame": l.frame,
        "side": l.side.as_str(),
        "stream": l.index,
        "media": l.media.as_str(),
        "proto": l.proto,
        "addr": l.addr.map(|a| a.to_string()),
        "port": l.port,
        "rtcp_port": l.rtcp_port,
        "direction": l.direction.as_str(),
        "hold_address": l.hold_address(),
        "connection": l.connection_raw,
        "codecs": l.codecs,
        "t38": l.t38.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
        "signalling_src": l.signalling_src.to_string(),
    })
}

/// The `call` line (schema in docs/json-schema.md).
pub(crate) fn call_line(rec: &CallRecord) -> serde_json::Value {
    let c = &rec.call;
    let epochs: Vec<serde_json::Value> = c
        .epochs
        .iter()
        .map(|e| {
            serde_json::json!({
                "index": e.index,
                "trigger": e.trigger,
                "offerer": e.offerer.as_str(),
                "offer_frame": e.offer_frame,
                "answer_frame": e.answer_frame,
                "start": e.start.to_string(),
                "end": e.end.map(|t| t.to_string()),
                "early": e.early,
                "to_tag": e.to_tag,
                "lines": e.lines.iter().map(line_json).collect::<Vec<_>>(),
                "origins": e.origins.iter().map(|o| serde_json::json!({
                    "side": o.side.as_str(), "frame": o.frame, "raw": o.raw,
                    "addr": o.addr.map(|a| a.to_string()), "session_version": o.session_version,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let failed: Vec<serde_json::Value> = c
        .failed_offers
        .iter()
        .map(|f| {
            serde_json::json!({
                "trigger": f.trigger,
                "offerer": f.offerer.as_str(),
                "frame": f.frame,
                "code": f.code,
                "response_frame": f.response_frame,
                "lines": f.lines.iter().map(line_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let media: Vec<serde_json::Value> = media_legs(rec)
        .iter()
        .map(|l| {
            serde_json::json!({
                "epoch": l.epoch,
                "stream": l.stream,
                "direction": direction_name(l.from),
                "proto": l.proto.as_str(),
                "packets": l.packets,
                "matched": l.matched.as_str(),
                "flows": l.flows,
                "first_frame": l.first_frame,
                "last_frame": l.last_frame,
            })
        })
        .collect();
    let quality: Vec<serde_json::Value> = quality(rec)
        .iter()
        .map(|q| {
            serde_json::json!({
                "direction": direction_name(q.from),
                "packets": q.packets,
                "expected": q.expected,
                "lost": q.lost,
                "loss_pct": q.loss_pct,
                "max_jitter_ms": q.max_jitter_ms,
                "mean_jitter_ms": q.mean_jitter_ms,
                "kbps": q.kbps,
                "dscp": q.dscp,
                "ef": q.ef,
                "rtcp_fraction_lost_pct": q.rtcp_fraction_lost_pct,
                "rtcp_cumulative_lost": q.rtcp_cumulative_lost,
                "rtcp_jitter_ms": q.rtcp_jitter_ms,
                "ssrcs": q.ssrcs,
                "rtt_ms": q.rtt_ms,
                "payload_type": q.payload_type,
                "assumed_delay_ms": q.assumed_delay_ms,
                "r_factor_estimate": q.r_factor,
                "mos_estimate": q.mos,
            })
        })
        .collect();
    let gaps = coincident_gaps(rec);
    let end = c.ended.map(|(t, _)| t);
    serde_json::json!({
        "kind": "call",
        "call_id": c.call_id,
        "nat_signs": {
            "caller": c.nat_signs[0].names(),
            "callee": c.nat_signs[1].names(),
        },
        "leg": c.id,
        "from": c.from,
        "to": c.to,
        "caller": c.caller_sig.to_string(),
        "callee": c.callee_sig.to_string(),
        "start": c.start.to_string(),
        "start_frame": c.start_frame,
        "start_missing": c.start_missing,
        "answered": c.answered.map(|(t, _)| t.to_string()),
        "end": end.map(|t| t.to_string()),
        "duration_s": end.map(|e| e.since(c.start).as_secs_f64()),
        "state": c.state.name(),
        "messages": c.messages,
        "epochs": epochs,
        "failed_offers": failed,
        "media": media,
        "refers": c.refers.iter().map(|r| serde_json::json!({
            "frame": r.frame,
            "by": r.by.as_str(),
            "refer_to": r.refer_to,
            "response": r.response.map(|(code, _)| code),
            "response_frame": r.response.map(|(_, f)| f),
            "notifies": r.notifies.iter().map(|(f, st)| serde_json::json!({"frame": f, "sipfrag_status": st})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "replaces": c.replaces,
        "quality": quality,
        "capture_loss": {"coincident_gaps": gaps, "suspected": gaps > 0},
    })
}

/// The `flow` line (schema in docs/json-schema.md).
pub(crate) fn flow_line(rec: &FlowRecord) -> serde_json::Value {
    let f = &rec.flow;
    let a = last_attribution(f);
    let call_id = a.and_then(|a| rec.call_ids.get(&a.call));
    let rtp = f.rtp.as_ref();
    serde_json::json!({
        "kind": "flow",
        "id": f.id,
        "src": f.key.src.to_string(),
        "dst": f.key.dst.to_string(),
        "proto": f.key.proto.as_str(),
        "ssrc": rtp.map(|_| format!("0x{:08x}", f.key.ssrc)),
        "packets": f.packets,
        "lost": rtp.map(|r| r.lost()),
        "max_jitter_ms": rtp.map(|r| r.max_jitter_ms()),
        "mean_jitter_ms": rtp.map(|r| r.mean_jitter_ms()),
        "max_delta_ms": rtp.map(|r| r.max_delta_ms()),
        "first_ts": f.first_ts.to_string(),
        "last_ts": f.last_ts.to_string(),
        "first_frame": f.first_frame,
        "last_frame": f.last_frame,
        "kbps": f.kbps(),
        "dscp": f.dscp_values(),
        "call_id": call_id,
        "leg": a.filter(|_| call_id.is_some()).map(|a| a.call),
        "epoch": a.filter(|_| call_id.is_some()).map(|a| a.epoch),
        "stream": a.filter(|_| call_id.is_some()).map(|a| a.stream),
        "direction": a.filter(|_| call_id.is_some()).map(|a| direction_name(a.from)),
        "matched": match (a, call_id) {
            (Some(a), Some(_)) => a.how.as_str(),
            _ => "unmatched",
        },
        "udptl": (f.key.proto == crate::media::flow::FlowProto::Udptl).then(|| serde_json::json!({
            "expected": f.udptl.expected(),
            "duplicates": f.udptl.duplicates,
            "out_of_order": f.udptl.out_of_order,
            "t30_indicator": f.udptl.t30_indicator,
            "t30_data": f.udptl.t30_data,
        })),
        "epochs": f.epochs.iter().map(|s| serde_json::json!({
            "call_id": s.attribution.and_then(|a| rec.call_ids.get(&a.call)),
            "epoch": s.attribution.map(|a| a.epoch),
            "matched": s.attribution.map(|a| a.how.as_str()).unwrap_or("unmatched"),
            "packets": s.packets,
            "first_frame": s.first_frame,
            "last_frame": s.last_frame,
        })).collect::<Vec<_>>(),
    })
}

/// The `finding` line (schema in docs/json-schema.md).
pub(crate) fn finding_line(f: &crate::findings::Finding) -> serde_json::Value {
    serde_json::json!({
        "kind": "finding",
        "id": f.id,
        "severity": f.severity.as_str(),
        "call_id": f.call_id,
        "leg": f.leg,
        "epoch": f.epoch,
        "direction": f.direction,
        "cause": f.cause.as_str(),
        "why": f.why,
        "evidence": f.evidence.iter().map(|e| serde_json::json!({"frame": e.frame, "shows": e.shows})).collect::<Vec<_>>(),
        "advice": f.advice,
        "site": f.site.map(|a| a.to_string()),
    })
}
