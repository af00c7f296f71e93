//! A text ladder diagram of one Call-ID: every SIP message between the endpoints, with
//! frame numbers and times, the media epochs where their answers arrive, and the media
//! that flowed in each epoch.

use std::io::{self, Write};
use std::net::SocketAddr;

use super::calls::media_legs;
use crate::engine::{CallRecord, SipRecord};
use crate::sip::call::{Epoch, Side};
use crate::sip::StartLine;

/// Width of one endpoint column.
const COL: usize = 26;
/// Endpoints drawn (more are folded into the last column).
const MAX_COLS: usize = 6;

fn label(r: &SipRecord) -> String {
    let mut s = match &r.msg.start {
        StartLine::Request { method, .. } => method.to_string(),
        StartLine::Response { code, reason } => format!("{code} {reason}"),
    };
    if let Some(c) = &r.msg.cseq {
        if r.msg.status().is_some() {
            s.push_str(&format!(" ({})", c.method));
        }
    }
    if r.msg.sdp.is_some() {
        s.push_str(" +SDP");
    }
    if r.transport == crate::engine::Transport::Tcp {
        s.push_str(" [tcp]");
    }
    s
}

fn arrow(from: usize, to: usize, text: &str, width: usize) -> String {
    let mut line: Vec<char> = vec![' '; width];
    for i in 0..MAX_COLS.min(width / COL + 1) {
        if let Some(c) = line.get_mut(i * COL) {
            *c = '|';
        }
    }
    let (a, b) = (from.min(to) * COL, from.max(to) * COL);
    if a == b {
        // A message to itself (same endpoint both ways): mark it.
        let t: String = format!("|<> {text}");
        for (i, ch) in t.chars().enumerate() {
            if let Some(c) = line.get_mut(a + i) {
                *c = ch;
            }
        }
        return line.into_iter().collect::<String>().trim_end().to_string();
    }
    for c in line.iter_mut().take(b).skip(a + 1) {
        *c = '-';
    }
    if to > from {
        if let Some(c) = line.get_mut(b - 1) {
            *c = '>';
        }
    } else if let Some(c) = line.get_mut(a + 1) {
        *c = '<';
    }
    let room = b - a - 4;
    let text: String = text.chars().take(room).collect();
    let start = a + 2 + (room.saturating_sub(text.chars().count())) / 2;
    for (i, ch) in text.chars().enumerate() {
        if let Some(c) = line.get_mut(start + i) {
            *c = ch;
        }
    }
    line.into_iter().collect::<String>().trim_end().to_string()
}

fn epoch_text(e: &Epoch) -> String {
    let mut parts = Vec::new();
    for side in [Side::Caller, Side::Callee] {
        let lines: Vec<String> = e
            .lines
            .iter()
            .filter(|l| l.side == side)
            .map(|l| {
                let addr = l.addr.map(|a| a.to_string()).unwrap_or_else(|| "?".into());
                format!(
                    "{} {}:{} {} {}",
                    l.media.as_str(),
                    addr,
                    l.port,
                    l.direction.as_str(),
                    l.codecs.first().cloned().unwrap_or_default()
                )
            })
            .collect();
        parts.push(format!("{} {}", side.as_str(), lines.join("; ")));
    }
    format!(
        "== epoch {} {}{} (offer frame {}, answer frame {}): {}",
        e.index,
        e.trigger,
        if e.early { " early" } else { "" },
        e.offer_frame,
        e.answer_frame,
        parts.join(" | ")
    )
}

/// Writes the ladder of `call_id`.
pub fn write_ladder(
    out: &mut dyn Write,
    call_id: &str,
    sips: &[SipRecord],
    calls: &[CallRecord],
) -> io::Result<()> {
    if sips.is_empty() && calls.is_empty() {
        writeln!(out, "No SIP message with Call-ID {call_id} in the capture.")?;
        return Ok(());
    }
    let mut cols: Vec<SocketAddr> = Vec::new();
    for r in sips {
        for a in [r.src, r.dst] {
            if !cols.contains(&a) && cols.len() < MAX_COLS {
                cols.push(a);
            }
        }
    }
    let col_of = |a: SocketAddr| {
        cols.iter()
            .position(|c| *c == a)
            .unwrap_or(cols.len().saturating_sub(1))
    };
    let width = COL * cols.len().saturating_sub(1) + 1;
    writeln!(
        out,
        "Call-ID {call_id}: {} messages, {} call leg(s)",
        sips.len(),
        calls.len()
    )?;
    let head: String = cols
        .iter()
        .map(|c| format!("{:<COL$}", c.to_string()))
        .collect::<String>();
    writeln!(out, "{:>8} {:>10}  {}", "frame", "time", head.trim_end())?;
    let t0 = sips
        .first()
        .map(|r| r.ts)
        .or_else(|| calls.first().map(|c| c.call.start));
    for r in sips {
        let t = t0.map(|t0| r.ts.since(t0).as_secs_f64()).unwrap_or(0.0);
        writeln!(
            out,
            "{:>8} {:>9.3}s  {}",
            r.frame,
            t,
            arrow(col_of(r.src), col_of(r.dst), &label(r), width)
        )?;
        for c in calls {
            for e in c.call.epochs.iter().filter(|e| e.answer_frame == r.frame) {
                writeln!(out, "{:>21}{}", "", epoch_text(e))?;
            }
        }
    }
    for c in calls {
        let call = &c.call;
        writeln!(
            out,
            "\nLeg {} ({} -> {}): {}, {} epoch(s), {} failed offer(s)",
            call.id,
            call.caller_sig,
            call.callee_sig,
            call.state.name(),
            call.epochs.len(),
            call.failed_offers.len()
        )?;
        for f in &call.failed_offers {
            let code = f
                .code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "no answer".into());
            writeln!(
                out,
                "  failed offer {} by {} (frame {}): {code}",
                f.trigger,
                f.offerer.as_str(),
                f.frame
            )?;
        }
        for l in media_legs(c) {
            let dir = match l.from {
                Side::Caller => "caller->callee",
                Side::Callee => "callee->caller",
            };
            let epoch = l
                .epoch
                .map(|e| format!("epoch {e}"))
                .unwrap_or_else(|| "no epoch".into());
            writeln!(
                out,
                "  media {epoch} stream {} {dir}: {} {} packets, matched {} (frames {}-{})",
                l.stream,
                l.packets,
                l.proto.as_str(),
                l.matched.as_str(),
                l.first_frame,
                l.last_frame
            )?;
        }
    }
    Ok(())
}

/// A sink that keeps one Call-ID's messages and call legs and writes its ladder at the
/// end (`algscope analyze --call CALLID`).
pub struct LadderSink<W: Write> {
    out: W,
    call_id: String,
    sips: Vec<SipRecord>,
    calls: Vec<CallRecord>,
}

/// Messages kept for one ladder.
const MAX_LADDER_MESSAGES: usize = 10_000;

impl<W: Write> LadderSink<W> {
    pub fn new(out: W, call_id: &str) -> Self {
        LadderSink {
            out,
            call_id: call_id.to_string(),
            sips: Vec::new(),
            calls: Vec::new(),
        }
    }
}

impl<W: Write> super::Sink for LadderSink<W> {
    fn begin(&mut self, _inputs: &[String]) -> io::Result<()> {
        Ok(())
    }

    fn event(&mut self, ev: &crate::engine::Event) -> io::Result<()> {
        match ev {
            crate::engine::Event::Sip(r)
                if r.msg.call_id.as_deref() == Some(self.call_id.as_str())
                    && self.sips.len() < MAX_LADDER_MESSAGES =>
            {
                self.sips.push((**r).clone());
            }
            crate::engine::Event::Call(c) if c.call.call_id == self.call_id => {
                self.calls.push((**c).clone());
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(
        &mut self,
        _summary: &crate::engine::Summary,
        _source: &crate::source::SourceReport,
    ) -> io::Result<()> {
        self.calls.sort_by_key(|c| c.call.id);
        write_ladder(&mut self.out, &self.call_id, &self.sips, &self.calls)?;
        self.out.flush()
    }
}
