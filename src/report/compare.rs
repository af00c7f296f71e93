//! The output of `algscope compare`: JSON lines (`rewrite`, `one_sided`, `media_path`,
//! `finding`, `site`, then `compare_summary`) or tables.

use std::io::{self, Write};

use comfy_table::Cell;

use super::table::table;
use serde_json::json;

use crate::compare::Comparison;

fn ts(t: Option<crate::time::Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

/// Findings per severity (info, warning, error), for `--fail-on`.
pub fn findings_by_severity(c: &Comparison) -> [u64; 3] {
    let mut n = [0u64; 3];
    for f in &c.findings {
        n[f.severity as usize] += 1;
    }
    n
}

pub fn write_json(c: &Comparison, out: &mut impl Write) -> io::Result<()> {
    let mut line = |v: serde_json::Value| -> io::Result<()> {
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)?;
        out.write_all(b"\n")
    };
    line(json!({
        "kind": "meta",
        "schema_version": super::json::SCHEMA_VERSION,
        "tool": "algscope",
        "version": env!("CARGO_PKG_VERSION"),
        "inputs": [c.inside, c.outside],
        "inside": c.inside,
        "outside": c.outside,
    }))?;
    for r in &c.rewrites {
        line(json!({
            "kind": "rewrite",
            "call_id": r.call_id,
            "message": r.message,
            "way": r.way.as_str(),
            "field": r.field,
            "inside": r.inside,
            "outside": r.outside,
            "inside_frame": r.inside_frame,
            "outside_frame": r.outside_frame,
        }))?;
    }
    for o in &c.one_sided {
        line(json!({
            "kind": "one_sided",
            "seen": o.seen,
            "frame": o.frame,
            "ts": o.ts.to_string(),
            "src": o.src.to_string(),
            "dst": o.dst.to_string(),
            "call_id": o.call_id,
            "message": o.message,
            "fragments": o.fragments,
        }))?;
    }
    for p in &c.media {
        line(json!({
            "kind": "media_path",
            "proto": p.proto.as_str(),
            "ssrc": (p.proto == crate::media::flow::FlowProto::Rtp).then(|| format!("0x{:08x}", p.ssrc)),
            "way": p.way.as_str(),
            "far": p.far.to_string(),
            "near_inside": p.near_inside.map(|a| a.to_string()),
            "near_outside": p.near_outside.map(|a| a.to_string()),
            "inside_packets": p.inside_packets,
            "outside_packets": p.outside_packets,
            "call_id": p.call_id,
        }))?;
    }
    for f in &c.findings {
        line(super::json::finding_line(f))?;
    }
    for s in &c.sites {
        line(super::json::site_line(s))?;
    }
    let n = findings_by_severity(c);
    line(json!({
        "kind": "compare_summary",
        "inside": c.inside,
        "outside": c.outside,
        "overlap_start": ts(c.overlap.map(|o| o.0)),
        "overlap_end": ts(c.overlap.map(|o| o.1)),
        "paired_messages": c.paired,
        "rewrites": c.rewrites.len(),
        "one_sided_messages": c.one_sided.len(),
        "media_paths": c.media.len(),
        "empty_side": c.empty_side,
        "findings": {"info": n[0], "warning": n[1], "error": n[2]},
    }))?;
    out.flush()
}

pub fn write_table(c: &Comparison, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "algscope {}: router comparison",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out, "  inside:  {}", c.inside)?;
    writeln!(out, "  outside: {}", c.outside)?;
    match c.overlap {
        Some((a, b)) => writeln!(out, "  both captures cover {a} .. {b}")?,
        None => writeln!(
            out,
            "  the captures do not overlap in time: nothing can be compared (were they taken at the same time?)"
        )?,
    }
    if let Some(side) = c.empty_side {
        writeln!(
            out,
            "  the {side} capture holds no packet: taken as covering the same time"
        )?;
    }
    writeln!(
        out,
        "{} SIP messages seen on both sides, {} on one side only, {} fields rewritten",
        c.paired,
        c.one_sided.len(),
        c.rewrites.len()
    )?;
    if !c.rewrites.is_empty() {
        let mut t = table(&[
            "way",
            "field",
            "inside",
            "outside",
            "messages",
            "first (inside/outside frame)",
        ]);
        let mut groups: Vec<(&str, &str, &str, &str, usize, String)> = Vec::new();
        for r in &c.rewrites {
            match groups.iter_mut().find(|g| {
                g.0 == r.way.as_str() && g.1 == r.field && g.2 == r.inside && g.3 == r.outside
            }) {
                Some(g) => g.4 += 1,
                None => groups.push((
                    r.way.as_str(),
                    r.field,
                    &r.inside,
                    &r.outside,
                    1,
                    format!("{} / {}", r.inside_frame, r.outside_frame),
                )),
            }
        }
        for g in groups.iter().take(200) {
            t.add_row(vec![
                Cell::new(g.0),
                Cell::new(g.1),
                Cell::new(g.2),
                Cell::new(g.3),
                Cell::new(g.4),
                Cell::new(&g.5),
            ]);
        }
        writeln!(out, "\nRewritten by the router\n{t}")?;
    }
    if !c.one_sided.is_empty() {
        let mut t = table(&["seen only", "frame", "from", "to", "message", "Call-ID"]);
        for o in c.one_sided.iter().take(200) {
            t.add_row(vec![
                Cell::new(o.seen),
                Cell::new(o.frame),
                Cell::new(o.src),
                Cell::new(o.dst),
                Cell::new(&o.message),
                Cell::new(o.call_id.as_deref().unwrap_or("-")),
            ]);
        }
        writeln!(out, "\nSIP seen on one side only (not forwarded)\n{t}")?;
    }
    if !c.media.is_empty() {
        let mut t = table(&[
            "media",
            "way",
            "far end",
            "near inside",
            "near outside",
            "packets inside",
            "packets outside",
        ]);
        for p in &c.media {
            let opt = |a: Option<std::net::SocketAddr>| {
                a.map(|a| a.to_string()).unwrap_or_else(|| "-".into())
            };
            t.add_row(vec![
                Cell::new(format!("{} 0x{:08x}", p.proto.as_str(), p.ssrc)),
                Cell::new(p.way.as_str()),
                Cell::new(p.far),
                Cell::new(opt(p.near_inside)),
                Cell::new(opt(p.near_outside)),
                Cell::new(p.inside_packets),
                Cell::new(p.outside_packets),
            ]);
        }
        writeln!(out, "\nMedia on both sides\n{t}")?;
    }
    super::table::write_sites(out, &c.sites)?;
    super::table::write_findings(out, &c.findings)?;
    if c.findings.is_empty() {
        writeln!(
            out,
            "\nNo findings: the router forwarded SIP unchanged and dropped nothing."
        )?;
    }
    out.flush()
}
