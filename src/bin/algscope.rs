//! The algscope command line: a thin layer from arguments to the library's drivers.
//!
//! Exit codes: 0 analysis done; 1 findings at or above `--fail-on`, or findings that
//! differ from `--expect`; 2 usage or input error. A closed output pipe (e.g. `| head`)
//! is a clean exit.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use algscope::analyze::{analyze_files, AnalyzeError};
use algscope::engine::{Config, Engine};
use algscope::live::LiveRunOptions;
use algscope::report::expect::{compare, ExpectFile, Recording};
use algscope::report::{json::JsonSink, ladder::LadderSink, table::TableSink, Sink};
use algscope::source::write::RollingConfig;
use algscope::source::{LiveOptions, LiveSource};

#[derive(Parser)]
#[command(
    name = "algscope",
    version,
    about = "Finds the VoIP failures that NAT routers and SIP ALGs cause"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze pcap/pcapng files (merged by timestamp; `-` reads stdin) or a live interface.
    Analyze(AnalyzeArgs),
    /// Watch a live interface (a SPAN port or tap) for hours or days: findings are printed
    /// the moment they are decided, a status line goes to stderr every few seconds, and
    /// the full report comes at the end (Ctrl-C, SIGTERM, --duration or --count).
    Live(LiveArgs),
    /// Compare a capture taken inside a router (LAN) with one taken outside it (WAN) at
    /// the same time: what the router rewrote in each SIP message, and what entered it
    /// and never left (SIP and media). Proof of a SIP ALG, where one capture gives hints.
    Compare(CompareArgs),
}

#[derive(Args)]
struct CompareArgs {
    /// The capture on the phones' side of the router (LAN).
    #[arg(value_name = "INSIDE")]
    inside: PathBuf,
    /// The capture on the provider's side (WAN), taken at the same time.
    #[arg(value_name = "OUTSIDE")]
    outside: PathBuf,
    /// Print JSON lines (schema in docs/json-schema.md).
    #[arg(long)]
    json: bool,
    /// Exit 1 when there is a finding of this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "warning", "error"])]
    fail_on: Option<String>,
}

#[derive(Args)]
struct LiveArgs {
    /// Interface to capture on (needs root or CAP_NET_RAW + CAP_NET_ADMIN).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: String,
    /// BPF capture filter (e.g. "udp or tcp port 5060 or portrange 10000-20000").
    #[arg(long, value_name = "BPF")]
    filter: Option<String>,
    /// Stop after this long: seconds, or a number with s, m, h or d (e.g. 8h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Stop after this many packets.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Print JSON lines (schema in docs/json-schema.md; live runs add "status" records).
    #[arg(long)]
    json: bool,
    /// Seconds between status lines (stderr; in --json also a "status" record).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    status_every: u64,
    /// No status line on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Write a pcap of each call that produced a finding into this directory (named by
    /// time and Call-ID; its SIP and media packets, bounded per call).
    #[arg(long, value_name = "DIR")]
    evidence_dir: Option<PathBuf>,
    /// Keep a rolling capture of the SIP, media and ICMP packets seen: FILE-00001.pcap,
    /// FILE-00002.pcap, ... (the oldest deleted beyond --write-files).
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Start a new rolling file after this many MB.
    #[arg(long, value_name = "MB", default_value_t = 100, requires = "write")]
    write_size: u64,
    /// Start a new rolling file after this long (e.g. 1h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "write")]
    write_every: Option<Duration>,
    /// Rolling files kept.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "write")]
    write_files: usize,
    /// Report REGISTER bindings (and decide registration findings) this often.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10m")]
    registration_window: Duration,
    /// Kernel capture buffer in MB.
    #[arg(long, value_name = "MB", default_value_t = 64)]
    buffer_mb: i32,
    /// Hand packets over one by one as they arrive (lower latency; in this mode each
    /// packet takes a 64 kB slot of the buffer, so far fewer fit: see BENCHMARKS.md).
    #[arg(long)]
    immediate: bool,
    /// Exit 1 when there is a finding of this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "warning", "error"])]
    fail_on: Option<String>,
}

/// "90", "90s", "15m", "8h", "2d".
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a number of seconds, or with s, m, h or d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use s, m, h or d)")),
    };
    Ok(Duration::from_secs(n * mult))
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Capture files (pcap or pcapng); `-` for stdin.
    #[arg(
        value_name = "FILE",
        required_unless_present = "interface",
        conflicts_with = "interface"
    )]
    files: Vec<PathBuf>,
    /// Capture live from this interface instead of reading files.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,
    /// BPF capture filter for live capture (e.g. "udp or tcp port 5060").
    #[arg(long, value_name = "BPF", requires = "interface")]
    filter: Option<String>,
    /// Live capture: stop after this many packets.
    #[arg(long, value_name = "N", requires = "interface")]
    count: Option<u64>,
    /// Live capture: stop after this many seconds.
    #[arg(long, value_name = "SECONDS", requires = "interface")]
    duration: Option<u64>,
    /// Print JSON lines (schema in docs/json-schema.md) instead of tables.
    #[arg(long, conflicts_with = "call")]
    json: bool,
    /// Print a ladder diagram of this Call-ID (SIP messages, media epochs, media).
    #[arg(long, value_name = "CALLID")]
    call: Option<String>,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
    /// Compare the findings with an expectation file: exit 0 when equal, 1 when they
    /// differ (the differences go to stderr).
    #[arg(long, value_name = "FILE", conflicts_with = "interface")]
    expect: Option<PathBuf>,
    /// Write the run's findings as an expectation file.
    #[arg(long, value_name = "FILE", conflicts_with = "interface")]
    write_expect: Option<PathBuf>,
    /// Exit 1 when there is a finding of this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "warning", "error"])]
    fail_on: Option<String>,
}

/// Exit status for a run: 1 when findings at or above `--fail-on` were made.
fn verdict(fail_on: Option<&str>, findings: [u64; 3]) -> ExitCode {
    let from = match fail_on {
        Some("info") => 0,
        Some("warning") => 1,
        Some("error") => 2,
        _ => return ExitCode::SUCCESS,
    };
    if findings.iter().skip(from).any(|n| *n > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(io::stderr(), "algscope: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<AnalyzeError>().is_some_and(
                |a| matches!(a, AnalyzeError::Output(io) if io.kind() == io::ErrorKind::BrokenPipe),
            )
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Live(args) => live(args),
        Command::Compare(args) => compare_cmd(args),
    }
}

fn sink(args: &AnalyzeArgs) -> Box<dyn Sink> {
    let out = io::BufWriter::new(io::stdout().lock());
    if let Some(call) = &args.call {
        Box::new(LadderSink::new(out, call))
    } else if args.json {
        Box::new(JsonSink::new(out))
    } else {
        Box::new(TableSink::new(out))
    }
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if let Some(iface) = &args.interface {
        return analyze_live(iface, &args);
    }
    let show = !args.quiet && io::stderr().is_terminal();
    let bar = if show {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let expected = match &args.expect {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the expectation file {}", path.display()))?;
            let file: ExpectFile = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: not an expectation file (see docs/json-schema.md)",
                    path.display()
                )
            })?;
            Some(file.findings)
        }
        None => None,
    };
    let mut inner = sink(&args);
    let mut sink = Recording {
        inner: inner.as_mut(),
        findings: Vec::new(),
    };
    let result = analyze_files(&args.files, Config::default(), &mut sink, |done, total| {
        if let Some(t) = total {
            bar.set_length(t);
        }
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let (summary, report) = result?;
    for w in &report.warnings {
        let _ = writeln!(io::stderr(), "algscope: warning: {w}");
    }
    let twice = summary.transactions.seen_on_two_paths;
    if twice > 0 {
        let _ = writeln!(
            io::stderr(),
            "algscope: note: {twice} SIP requests were seen on two paths (the same branch): the \
             input holds both sides of a NAT or ALG (two captures of one router, or -i any on \
             it); media findings may pair one side's SDP with the other side's flows. For \
             proof of what the router did, run: algscope compare INSIDE OUTSIDE"
        );
    }
    let found = std::mem::take(&mut sink.findings);
    if let Some(path) = &args.write_expect {
        let file = ExpectFile {
            findings: found.clone(),
        };
        let text = serde_json::to_string_pretty(&file)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(expected) = expected {
        let diff = compare(&expected, &found);
        if !diff.is_empty() {
            let mut err = io::stderr();
            let _ = writeln!(err, "algscope: findings differ from the expectation:");
            for d in diff {
                let _ = writeln!(err, "  {d}");
            }
            return Ok(ExitCode::from(1));
        }
    }
    Ok(verdict(args.fail_on.as_deref(), summary.findings))
}

/// Opens the interface, installs the Ctrl-C/SIGTERM handler and runs the live driver.
#[allow(clippy::too_many_arguments)]
fn live_run(
    iface: &str,
    filter: Option<String>,
    buffer_mb: i32,
    immediate: bool,
    config: Config,
    opts: &LiveRunOptions,
    sink: &mut dyn Sink,
    show_status: bool,
) -> anyhow::Result<algscope::live::LiveOutcome> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C / SIGTERM handler")?;
    }
    let mut source = LiveSource::open(&LiveOptions {
        iface: iface.to_string(),
        filter,
        snaplen: 65_535,
        promiscuous: true,
        buffer_bytes: buffer_mb.saturating_mul(1 << 20),
        immediate,
    })?;
    sink.begin(&[format!("live:{iface}")])?;
    let mut engine = Engine::new(config);
    let tty = io::stderr().is_terminal();
    let outcome = algscope::live::run(&mut source, &mut engine, sink, opts, &stop, |s| {
        if show_status {
            let line = algscope::live::status_line(s);
            let mut err = io::stderr();
            if tty {
                let _ = write!(err, "\r\x1b[2K{line}");
                let _ = err.flush();
            } else {
                let _ = writeln!(err, "{line}");
            }
        }
    });
    if show_status && tty {
        let _ = writeln!(io::stderr());
    }
    Ok(outcome?)
}

fn analyze_live(iface: &str, args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let mut sink = sink(args);
    let opts = LiveRunOptions {
        count: args.count,
        duration: args.duration.map(Duration::from_secs),
        ..LiveRunOptions::default()
    };
    let outcome = live_run(
        iface,
        args.filter.clone(),
        64,
        false,
        Config::default(),
        &opts,
        sink.as_mut(),
        false,
    )?;
    Ok(verdict(args.fail_on.as_deref(), outcome.summary.findings))
}

fn live(args: LiveArgs) -> anyhow::Result<ExitCode> {
    let out = io::BufWriter::new(io::stdout().lock());
    let mut sink: Box<dyn Sink> = if args.json {
        Box::new(JsonSink::new(out))
    } else {
        Box::new(TableSink::new(out).live())
    };
    if let Some(dir) = &args.evidence_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the evidence directory {}", dir.display()))?;
    }
    let opts = LiveRunOptions {
        count: args.count,
        duration: args.duration,
        status_every: Some(Duration::from_secs(args.status_every.max(1))),
        evidence_dir: args.evidence_dir.clone(),
        write: args.write.clone().map(|path| RollingConfig {
            path,
            max_bytes: args.write_size.max(1) << 20,
            max_age: args
                .write_every
                .map(|d| algscope::time::Duration::from_secs(d.as_secs() as i64)),
            max_files: args.write_files.max(1),
        }),
        ..LiveRunOptions::default()
    };
    let config = Config {
        registration_window: Some(algscope::time::Duration::from_secs(
            args.registration_window.as_secs().max(1) as i64,
        )),
        ..Config::default()
    };
    let outcome = live_run(
        &args.interface,
        args.filter.clone(),
        args.buffer_mb,
        args.immediate,
        config,
        &opts,
        sink.as_mut(),
        !args.quiet,
    )?;
    if !args.quiet {
        let mut err = io::stderr();
        for p in &outcome.evidence_files {
            let _ = writeln!(err, "algscope: evidence written: {}", p.display());
        }
    }
    Ok(verdict(args.fail_on.as_deref(), outcome.summary.findings))
}

fn compare_cmd(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let inside = algscope::analyze::record_side(&args.inside)?;
    let outside = algscope::analyze::record_side(&args.outside)?;
    let mut cmp = algscope::compare::compare(&inside, &outside);
    cmp.inside = args.inside.display().to_string();
    cmp.outside = args.outside.display().to_string();
    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.json {
        algscope::report::compare::write_json(&cmp, &mut out)?;
    } else {
        algscope::report::compare::write_table(&cmp, &mut out)?;
    }
    Ok(verdict(
        args.fail_on.as_deref(),
        algscope::report::compare::findings_by_severity(&cmp),
    ))
}
