//! The human report: comfy-table sections.

use std::io::{self, Write};

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};

use super::calls::{coincident_gaps, media_legs, packets_from, quality, weakest_match};
use super::json::anomaly_name;
use super::Sink;
use crate::engine::{Event, Summary};
use crate::media::flow::FlowProto;
use crate::sip::call::Side;
use crate::source::SourceReport;

/// Malformed records listed in the table (all are counted).
const MAX_LISTED: usize = 20;

/// Calls listed in the table (all are counted).
const MAX_CALL_ROWS: usize = 500;

pub struct TableSink<W: Write> {
    out: W,
    inputs: Vec<String>,
    calls: Vec<Vec<String>>,
    calls_total: u64,
    quality: Vec<Vec<String>>,
    unmatched: Vec<Vec<String>>,
    unmatched_total: u64,
    registrations: Vec<Vec<String>>,
    findings: Vec<crate::findings::Finding>,
    sites: Vec<crate::findings::site::Site>,
    flows_total: u64,
    /// Live runs: each finding is also printed as one line the moment it is decided.
    live: bool,
}

/// A finding as one line, for a live run's running log.
pub fn finding_line(f: &crate::findings::Finding) -> String {
    let mut s = format!("{} {}", f.severity.as_str().to_uppercase(), f.id);
    if let Some(c) = &f.call_id {
        s.push_str(&format!(" call {c}"));
    }
    if let Some(e) = f.epoch {
        s.push_str(&format!(" epoch {e}"));
    }
    if let Some(d) = f.direction {
        s.push_str(&format!(" {d}"));
    }
    s.push_str(&format!(" cause {}: {}", f.cause.as_str(), f.why));
    let frames: Vec<String> = f.evidence.iter().map(|e| e.frame.to_string()).collect();
    if !frames.is_empty() {
        s.push_str(&format!(" (frames {})", frames.join(", ")));
    }
    s
}

impl<W: Write> TableSink<W> {
    /// Live runs: print each finding as a line when it is decided (the tables still come
    /// at the end).
    pub fn live(mut self) -> Self {
        self.live = true;
        self
    }

    pub fn new(out: W) -> Self {
        TableSink {
            out,
            inputs: Vec::new(),
            calls: Vec::new(),
            calls_total: 0,
            quality: Vec::new(),
            unmatched: Vec::new(),
            unmatched_total: 0,
            registrations: Vec::new(),
            findings: Vec::new(),
            sites: Vec::new(),
            flows_total: 0,
            live: false,
        }
    }
}

fn media_cell(legs: &[super::calls::MediaLeg], from: Side) -> String {
    let mut parts = Vec::new();
    for proto in [FlowProto::Rtp, FlowProto::Udptl] {
        let n = packets_from(legs, from, proto);
        if let Some(m) = weakest_match(legs, from, proto) {
            parts.push(format!("{n} {} {}", proto.as_str(), m.as_str()));
        }
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.iter().map(Cell::new));
    t
}

fn right(n: impl ToString) -> Cell {
    Cell::new(n.to_string()).set_alignment(CellAlignment::Right)
}

impl<W: Write> Sink for TableSink<W> {
    fn begin(&mut self, inputs: &[String]) -> io::Result<()> {
        self.inputs = inputs.to_vec();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::Call(rec) => {
                self.calls_total += 1;
                if self.calls.len() < MAX_CALL_ROWS {
                    let c = &rec.call;
                    let legs = media_legs(rec);
                    let duration = c
                        .ended
                        .map(|(t, _)| format!("{:.1}", t.since(c.start).as_secs_f64()))
                        .unwrap_or_else(|| "-".into());
                    self.calls.push(vec![
                        c.call_id.clone(),
                        c.from.clone(),
                        c.to.clone(),
                        c.start.to_string(),
                        duration,
                        c.state.name(),
                        c.epochs.len().to_string(),
                        media_cell(&legs, Side::Caller),
                        media_cell(&legs, Side::Callee),
                    ]);
                    let gaps = coincident_gaps(rec);
                    for q in quality(rec) {
                        let opt = |v: Option<f64>, unit: &str| {
                            v.map(|x| format!("{x:.1}{unit}"))
                                .unwrap_or_else(|| "-".into())
                        };
                        self.quality.push(vec![
                            c.call_id.clone(),
                            match q.from {
                                Side::Caller => "caller->callee".into(),
                                Side::Callee => "callee->caller".into(),
                            },
                            q.packets.to_string(),
                            format!("{} ({:.1}%)", q.lost, q.loss_pct),
                            format!("{:.2} / {:.2}", q.mean_jitter_ms, q.max_jitter_ms),
                            opt(q.kbps, ""),
                            q.dscp
                                .iter()
                                .map(|d| d.to_string())
                                .collect::<Vec<_>>()
                                .join(","),
                            opt(q.rtt_ms, " ms"),
                            opt(q.mos, ""),
                            if gaps > 0 {
                                format!("capture loss? ({gaps} gaps both ways)")
                            } else {
                                String::new()
                            },
                        ]);
                    }
                }
            }
            Event::Flow(rec) => {
                self.flows_total += 1;
                if rec.call_ids.is_empty() {
                    self.unmatched_total += 1;
                    if self.unmatched.len() < MAX_LISTED {
                        let f = &rec.flow;
                        self.unmatched.push(vec![
                            f.key.src.to_string(),
                            f.key.dst.to_string(),
                            f.key.proto.as_str().to_string(),
                            f.packets.to_string(),
                            format!("{}-{}", f.first_frame, f.last_frame),
                        ]);
                    }
                }
            }
            Event::Site(s) if self.sites.len() < MAX_CALL_ROWS => {
                self.sites.push((**s).clone());
            }
            Event::Finding(f) => {
                if self.live {
                    writeln!(self.out, "{}", finding_line(f))?;
                }
                if self.findings.len() < MAX_CALL_ROWS {
                    self.findings.push((**f).clone());
                }
            }
            Event::Registration(b) if self.registrations.len() < MAX_CALL_ROWS => {
                let last = b.attempts.last();
                self.registrations.push(vec![
                    b.aor.clone(),
                    b.attempts.len().to_string(),
                    b.sources()
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    last.and_then(|a| a.response)
                        .map(|(c, _)| c.to_string())
                        .unwrap_or_else(|| "none".into()),
                    last.and_then(|a| a.granted_expires.or(a.expires))
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "-".into()),
                ]);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary, src: &SourceReport) -> io::Result<()> {
        let out = &mut self.out;
        writeln!(
            out,
            "algscope {}: {}",
            env!("CARGO_PKG_VERSION"),
            self.inputs.join(", ")
        )?;
        match (s.first_ts, s.last_ts) {
            (Some(a), Some(b)) => writeln!(
                out,
                "{} packets, {a} .. {b} ({:.3} s)",
                s.packets_read,
                b.since(a).as_secs_f64()
            )?,
            _ => writeln!(out, "{} packets", s.packets_read)?,
        }
        writeln!(
            out,
            "{} SIP messages ({} UDP, {} TCP), {} Call-IDs",
            s.sip.messages(),
            s.sip.udp_messages,
            s.sip.tcp_messages,
            s.sip.distinct_call_ids()
        )?;

        if !s.sip.requests.is_empty() || !s.sip.responses.is_empty() {
            let mut t = table(&["SIP", "count"]);
            for (m, n) in &s.sip.requests {
                t.add_row(vec![Cell::new(m), right(n)]);
            }
            for (c, n) in &s.sip.responses {
                t.add_row(vec![Cell::new(format!("{c} (response)")), right(n)]);
            }
            writeln!(out, "\nSIP messages\n{t}")?;
        }

        write_sites(out, &self.sites)?;
        write_findings(out, &self.findings)?;
        if !self.calls.is_empty() {
            let mut t = table(&[
                "Call-ID",
                "from",
                "to",
                "start",
                "s",
                "state",
                "epochs",
                "caller->callee",
                "callee->caller",
            ]);
            for row in &self.calls {
                t.add_row(row.iter().map(Cell::new));
            }
            writeln!(
                out,
                "\nCalls ({} in all; media: packets, protocol, how matched)\n{t}",
                self.calls_total
            )?;
        }
        if !self.quality.is_empty() {
            let mut t = table(&[
                "Call-ID",
                "direction",
                "packets",
                "lost",
                "jitter mean/max ms",
                "kbps",
                "DSCP",
                "RTT",
                "MOS (est.)",
                "note",
            ]);
            for row in &self.quality {
                t.add_row(row.iter().map(Cell::new));
            }
            writeln!(
                out,
                "\nMedia quality (MOS: ITU-T G.107 E-model estimate)\n{t}"
            )?;
        }
        if !self.registrations.is_empty() {
            let mut t = table(&["AOR", "REGISTERs", "from", "last response", "expires"]);
            for row in &self.registrations {
                t.add_row(row.iter().map(Cell::new));
            }
            writeln!(out, "\nRegistrations\n{t}")?;
        }
        if !self.unmatched.is_empty() {
            let mut t = table(&["src", "dst", "proto", "packets", "frames"]);
            for row in &self.unmatched {
                t.add_row(row.iter().map(Cell::new));
            }
            writeln!(
                out,
                "\nMedia flows matched to no call ({} of {} flows)\n{t}",
                self.unmatched_total, self.flows_total
            )?;
        }

        let mut t = table(&["class", "packets", "%"]);
        let total = s.accounting.total();
        for (name, n) in s.accounting.iter().filter(|(_, n)| *n > 0) {
            let pct = if total > 0 {
                100.0 * n as f64 / total as f64
            } else {
                0.0
            };
            t.add_row(vec![Cell::new(name), right(n), right(format!("{pct:.1}"))]);
        }
        t.add_row(vec![Cell::new("total"), right(total), right("100.0")]);
        writeln!(
            out,
            "\nPacket accounting (every packet read is in one class)\n{t}"
        )?;

        let d = &s.decode;
        let mut facts: Vec<(String, u64)> = Vec::new();
        for (k, v) in d.link_types() {
            facts.push((format!("link type {k}"), v));
        }
        for (k, v) in &d.tunnels {
            facts.push((format!("tunnel {}", k.as_str()), *v));
        }
        facts.extend([
            ("VLAN-tagged frames".to_string(), d.vlan_tagged),
            ("MPLS frames".into(), d.mpls),
            ("PPPoE frames".into(), d.pppoe),
            ("frames cut by snaplen".into(), d.snaplen_cut),
            (
                "datagrams reassembled from IP fragments".into(),
                d.reassembled_datagrams,
            ),
            ("ICMP errors quoting SIP".into(), d.icmp_quoting_sip),
            ("TCP retransmitted segments".into(), d.tcp.retransmissions),
            ("TCP out-of-order segments".into(), d.tcp.out_of_order),
            ("TCP holes never filled".into(), d.tcp.gaps),
            ("TCP bytes skipped (not SIP)".into(), d.tcp_junk_bytes),
            ("SIP messages over the buffer bound".into(), d.tcp.overflows),
            ("TCP streams evicted".into(), d.tcp.evicted_streams),
            (
                "SIP start lines that could not be parsed".into(),
                s.sip.unparseable,
            ),
            ("SIP messages cut by snaplen".into(), s.sip.truncated),
            ("records not polled (dropped)".into(), s.events_dropped),
            ("calls not tracked (table full)".into(), s.evictions.calls),
            ("media flows evicted (table full)".into(), s.evictions.flows),
            (
                "transactions evicted (table full)".into(),
                s.evictions.transactions,
            ),
            (
                "REGISTER AORs not tracked (table full)".into(),
                s.evictions.registrations,
            ),
            (
                "fragmented datagrams evicted (table full)".into(),
                s.evictions.fragment_datagrams,
            ),
        ]);
        for (k, v) in &s.sip.anomalies {
            facts.push((format!("SIP tolerated: {}", anomaly_name(*k)), *v));
        }
        let facts: Vec<_> = facts.into_iter().filter(|(_, v)| *v > 0).collect();
        if !facts.is_empty() {
            let mut t = table(&["decoder", "count"]);
            for (k, v) in facts {
                t.add_row(vec![Cell::new(k), right(v)]);
            }
            writeln!(out, "\nDecoding\n{t}")?;
        }

        if s.malformed_total > 0 {
            let mut t = table(&["frame", "layer", "why"]);
            for m in s.malformed.iter().take(MAX_LISTED) {
                t.add_row(vec![
                    right(m.frame),
                    Cell::new(m.layer.as_str()),
                    Cell::new(&m.reason),
                ]);
            }
            let more = s.malformed_total.saturating_sub(MAX_LISTED as u64);
            writeln!(out, "\nMalformed ({} in all)\n{t}", s.malformed_total)?;
            if more > 0 {
                writeln!(out, "... and {more} more (use --json for all kept records)")?;
            }
        }
        if src.kernel_drops > 0 || src.interface_drops > 0 {
            writeln!(
                out,
                "\nCapture loss: {} packets dropped by the kernel, {} by the interface",
                src.kernel_drops, src.interface_drops
            )?;
        }
        for w in &src.warnings {
            writeln!(out, "\nwarning: {w}")?;
        }
        out.flush()
    }
}

/// The sites table and each site's advice (also used by `compare`).
pub(crate) fn write_sites(
    out: &mut impl Write,
    sites: &[crate::findings::site::Site],
) -> io::Result<()> {
    if !sites.is_empty() {
        let mut t = table(&["public address", "SIP ALG", "score", "evidence"]);
        for site in sites {
            let evidence = site
                .evidence
                .iter()
                .map(|e| {
                    let frame = e.frame.map(|f| format!(" frame {f}")).unwrap_or_default();
                    format!("{} ({:+}){frame}", e.finding, e.weight)
                })
                .collect::<Vec<_>>()
                .join("\n");
            t.add_row(vec![
                Cell::new(site.public_addr),
                Cell::new(site.alg),
                right(site.score),
                Cell::new(evidence),
            ]);
        }
        writeln!(
            out,
            "\nSites (is a SIP ALG at work on this public address?)\n{t}"
        )?;
        for site in sites {
            writeln!(out, "  {}: {}", site.public_addr, site.advice)?;
        }
    }
    Ok(())
}

/// The findings table and the advice of each finding id (also used by `compare`).
pub(crate) fn write_findings(
    out: &mut impl Write,
    findings: &[crate::findings::Finding],
) -> io::Result<()> {
    if !findings.is_empty() {
        let mut t = table(&[
            "finding",
            "severity",
            "Call-ID",
            "direction",
            "cause",
            "why",
            "evidence",
        ]);
        for f in findings {
            let evidence = f
                .evidence
                .iter()
                .map(|e| format!("frame {}: {}", e.frame, e.shows))
                .collect::<Vec<_>>()
                .join("\n");
            t.add_row(vec![
                Cell::new(f.id),
                Cell::new(f.severity.as_str()),
                Cell::new(f.call_id.as_deref().unwrap_or("-")),
                Cell::new(f.direction.unwrap_or("-")),
                Cell::new(f.cause.as_str()),
                Cell::new(&f.why),
                Cell::new(evidence),
            ]);
        }
        writeln!(out, "\nFindings ({})\n{t}", findings.len())?;
        let mut advice: Vec<(&str, &str)> =
            findings.iter().map(|f| (f.id, f.advice.as_str())).collect();
        advice.sort();
        advice.dedup();
        for (id, a) in advice {
            writeln!(out, "  {id}: {a}")?;
        }
    }
    Ok(())
}
