//! JSON lines: one object per line, each with a `kind`. The schema is public (users'
//! scripts and CI read it) and versioned: see `docs/json-schema.md`. Fields are only ever
//! added within a schema version.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::Sink;
use crate::engine::{Event, MalformedRecord, Summary};
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
            Event::Sip(_) => Ok(()),
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
            interface_drops: src.interface_drops,
        };
        self.line(&line)?;
        self.out.flush()
    }
}
