//! The live driver: a live interface in front of the engine, for runs of hours or days.
//!
//! The engine's time is the packets' time (libpcap stamps them with the host clock); when
//! the interface is quiet the driver ticks the engine with the host clock, so idle flows
//! close and finished calls are released (and their findings decided) without waiting for
//! the next packet. Besides the sink, the driver can keep evidence pcaps of the calls that
//! produced findings and a rolling capture of the VoIP packets seen, and reports a status
//! every few seconds.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::accounting::Class;
use crate::analyze::AnalyzeError;
use crate::engine::{Engine, Evictions, Summary};
use crate::evidence::{self, EvidenceConfig, EvidenceStore};
use crate::report::Sink;
use crate::source::write::{PcapWriter, RollingConfig, RollingWriter};
use crate::source::{LiveSource, SourceReport, IDLE_SLEEP};
use crate::time::Timestamp;

/// What a live run does besides analyzing.
#[derive(Debug, Clone, Default)]
pub struct LiveRunOptions {
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// How often the status callback runs.
    pub status_every: Option<Duration>,
    /// Write a pcap of each call with a finding into this directory.
    pub evidence_dir: Option<PathBuf>,
    pub evidence: EvidenceConfig,
    /// Keep a rolling capture of the VoIP packets seen.
    pub write: Option<RollingConfig>,
}

/// A snapshot for the status line (and the JSON `status` record).
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Host time of the snapshot.
    pub ts: Timestamp,
    pub elapsed: Duration,
    pub packets: u64,
    /// Packets per second since the previous status.
    pub packets_per_s: f64,
    pub calls_active: usize,
    pub flows_active: usize,
    pub registrations: usize,
    /// Findings so far: info, warning, error.
    pub findings: [u64; 3],
    pub kernel_drops: u64,
    pub interface_drops: u64,
    pub evictions: Evictions,
    pub evidence_files: u64,
    pub evidence_bytes_held: usize,
    pub written_packets: u64,
    /// Resident memory of this process, where the OS tells it (Linux).
    pub rss_bytes: Option<u64>,
}

/// What a live run ended with.
#[derive(Debug)]
pub struct LiveOutcome {
    pub summary: Summary,
    pub report: SourceReport,
    pub evidence_files: Vec<PathBuf>,
    pub written_packets: u64,
}

fn host_now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(d.as_secs() as i64, i64::from(d.subsec_nanos()))
}

/// Resident set size from /proc/self/statm (Linux); `None` elsewhere.
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Packets worth keeping in a rolling capture: signalling, media and what explains them.
fn voip(class: Class) -> bool {
    matches!(
        class,
        Class::Sip
            | Class::SipKeepalive
            | Class::SipTls
            | Class::Rtp
            | Class::Rtcp
            | Class::Udptl
            | Class::Stun
            | Class::Icmp
            | Class::FragmentPending
            | Class::FragmentReassembled
            | Class::FragmentDropped
            | Class::Malformed
            | Class::Truncated
    )
}

struct Outputs {
    evidence: Option<(PathBuf, EvidenceStore)>,
    rolling: Option<RollingWriter>,
    evidence_files: Vec<PathBuf>,
    link: crate::decode::link::LinkType,
}

impl Outputs {
    /// One captured frame: into the engine, then its packet to the evidence store and
    /// the rolling capture.
    fn feed(&mut self, engine: &mut Engine, frame: &crate::engine::Frame<'_>) -> io::Result<()> {
        let class = engine.handle(frame);
        if let Some((_, store)) = &mut self.evidence {
            store.frame(engine.packets(), frame, class, engine.frame_call_ids());
        }
        if let Some(w) = &mut self.rolling {
            if voip(class) {
                w.write(frame.ts, frame.data, frame.orig_len)?;
            }
        }
        Ok(())
    }

    fn write_evidence(&mut self) -> io::Result<()> {
        let Some((dir, store)) = &mut self.evidence else {
            return Ok(());
        };
        for ev in store.take_ready() {
            let path = unique(dir, &evidence::file_name(&ev));
            let mut w = PcapWriter::create(&path, self.link, 65_535)?;
            for p in &ev.packets {
                w.write(p.ts, &p.data, p.orig_len)?;
            }
            w.flush()?;
            self.evidence_files.push(path);
        }
        Ok(())
    }
}

/// `dir/name`, or `dir/name` with a counter when that exists already.
fn unique(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let stem = name.trim_end_matches(".pcap");
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}.pcap")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Runs `engine` on `source` until `stop` is set, `count` packets or `duration` passed;
/// records go to `sink` as they are produced (flushed after each step), `status` is called
/// every `status_every` (and the sink gets the status too). Ends with the summary written to the sink.
pub fn run(
    source: &mut LiveSource,
    engine: &mut Engine,
    sink: &mut dyn Sink,
    opts: &LiveRunOptions,
    stop: &AtomicBool,
    mut status: impl FnMut(&Status),
) -> Result<LiveOutcome, AnalyzeError> {
    let link = source.link();
    let mut out = Outputs {
        evidence: match &opts.evidence_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                Some((dir.clone(), EvidenceStore::new(opts.evidence)))
            }
            None => None,
        },
        rolling: opts
            .write
            .clone()
            .map(|c| RollingWriter::new(c, link, 65_535)),
        evidence_files: Vec::new(),
        link,
    };
    let started = Instant::now();
    let mut last_status = started;
    let mut last_packets = 0u64;
    let mut last_tick = started;
    loop {
        if stop.load(Ordering::SeqCst)
            || opts.count.is_some_and(|c| engine.packets() >= c)
            || opts.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        let got = match source.next_frame()? {
            Some(frame) => {
                out.feed(engine, &frame)?;
                true
            }
            None => false,
        };
        let now = Instant::now();
        if !got || now.duration_since(last_tick) >= Duration::from_millis(500) {
            // Quiet interface, or a busy one for half a second: move the clock on.
            engine.tick(host_now());
            last_tick = now;
        }
        step(engine, sink, &mut out)?;
        if let Some(every) = opts.status_every {
            if now.duration_since(last_status) >= every {
                let (kernel_drops, interface_drops) = source.drops();
                engine.capture_dropped(kernel_drops + interface_drops);
                let secs = now.duration_since(last_status).as_secs_f64();
                let s = snapshot(
                    engine,
                    &out,
                    started,
                    (engine.packets() - last_packets) as f64 / secs.max(1e-9),
                    (kernel_drops, interface_drops),
                );
                status(&s);
                sink.status(&s)?;
                sink.flush()?;
                if let Some(w) = &mut out.rolling {
                    w.flush()?;
                }
                last_status = now;
                last_packets = engine.packets();
            }
        }
        if !got {
            std::thread::sleep(IDLE_SLEEP);
        }
    }
    // What the kernel still holds was captured before the stop: analyze it too (bounded,
    // so a flood cannot keep the run from ending). Outside immediate mode the last block
    // is handed over after the ring's 100 ms timeout: wait for it once.
    std::thread::sleep(Duration::from_millis(150));
    for _ in 0..1_000_000 {
        let Some(frame) = source.next_frame()? else {
            break;
        };
        out.feed(engine, &frame)?;
        step(engine, sink, &mut out)?;
    }
    let (kernel_drops, interface_drops) = source.drops();
    engine.capture_dropped(kernel_drops + interface_drops);
    let report = SourceReport {
        kernel_drops,
        interface_drops,
        ..SourceReport::default()
    };
    let summary = engine.finish();
    drain_into(engine, sink, &mut out)?;
    if let Some((_, store)) = &mut out.evidence {
        store.finish();
    }
    out.write_evidence()?;
    if let Some(w) = &mut out.rolling {
        w.flush()?;
    }
    sink.finish(&summary, &report)?;
    sink.flush()?;
    Ok(LiveOutcome {
        summary,
        report,
        evidence_files: out.evidence_files,
        written_packets: out.rolling.as_ref().map_or(0, |w| w.packets),
    })
}

/// Hands the engine's records to the sink and the evidence store; whether there were any.
fn drain_into(engine: &mut Engine, sink: &mut dyn Sink, out: &mut Outputs) -> io::Result<bool> {
    let mut any = false;
    while let Some(ev) = engine.poll() {
        if let Some((_, store)) = &mut out.evidence {
            store.event(&ev);
        }
        sink.event(&ev)?;
        any = true;
    }
    if any {
        if let Some((_, store)) = &mut out.evidence {
            store.settle(|id| engine.active_legs(id));
        }
    }
    Ok(any)
}

/// After a frame or a tick: records to the sink (flushed: a finding shows the moment it
/// is decided), finished evidence to disk.
fn step(engine: &mut Engine, sink: &mut dyn Sink, out: &mut Outputs) -> io::Result<()> {
    if drain_into(engine, sink, out)? {
        out.write_evidence()?;
        sink.flush()?;
    }
    Ok(())
}

fn snapshot(
    engine: &Engine,
    out: &Outputs,
    started: Instant,
    pps: f64,
    drops: (u64, u64),
) -> Status {
    let sizes = engine.state_sizes();
    Status {
        ts: host_now(),
        elapsed: started.elapsed(),
        packets: engine.packets(),
        packets_per_s: pps,
        calls_active: sizes.calls,
        flows_active: sizes.flows,
        registrations: sizes.registrations,
        findings: engine.findings(),
        kernel_drops: drops.0,
        interface_drops: drops.1,
        evictions: engine.evictions(),
        evidence_files: out.evidence_files.len() as u64,
        evidence_bytes_held: out.evidence.as_ref().map_or(0, |(_, s)| s.stats.bytes_held),
        written_packets: out.rolling.as_ref().map_or(0, |w| w.packets),
        rss_bytes: rss_bytes(),
    }
}

/// The status as one line for people (stderr).
pub fn status_line(s: &Status) -> String {
    let mut line = format!(
        "{:>7.0}s  {} pkts ({:.0}/s)  calls {}  flows {}  findings {} err {} warn {} info  drops kernel {} if {}",
        s.elapsed.as_secs_f64(),
        s.packets,
        s.packets_per_s,
        s.calls_active,
        s.flows_active,
        s.findings[2],
        s.findings[1],
        s.findings[0],
        s.kernel_drops,
        s.interface_drops,
    );
    let ev = s.evictions.total();
    if ev > 0 {
        line.push_str(&format!("  evicted {ev}"));
    }
    if s.evidence_files > 0 {
        line.push_str(&format!("  evidence {}", s.evidence_files));
    }
    if let Some(rss) = s.rss_bytes {
        line.push_str(&format!("  rss {} MiB", rss >> 20));
    }
    line
}
