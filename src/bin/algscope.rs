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
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use algscope::analyze::{analyze_files, drain, finish, AnalyzeError};
use algscope::engine::{Config, Engine};
use algscope::report::expect::{compare, ExpectFile, Recording};
use algscope::report::{json::JsonSink, ladder::LadderSink, table::TableSink, Sink};
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
fn verdict(args: &AnalyzeArgs, findings: [u64; 3]) -> ExitCode {
    let from = match args.fail_on.as_deref() {
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
    Ok(verdict(&args, summary.findings))
}

fn analyze_live(iface: &str, args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let mut source = LiveSource::open(&LiveOptions {
        iface: iface.to_string(),
        filter: args.filter.clone(),
        snaplen: 65_535,
        promiscuous: true,
    })?;
    let mut sink = sink(args);
    sink.begin(&[format!("live:{iface}")])?;
    let mut engine = Engine::new(Config::default());
    let started = Instant::now();
    let deadline = args.duration.map(Duration::from_secs);
    let count = args.count;
    let mut err = None;
    let keep_going = |engine: &Engine| {
        !stop.load(Ordering::SeqCst)
            && count.is_none_or(|c| engine.packets() < c)
            && deadline.is_none_or(|d| started.elapsed() < d)
    };
    let report = {
        let engine_cell = std::cell::RefCell::new(&mut engine);
        source.run(
            |frame| {
                let mut engine = engine_cell.borrow_mut();
                engine.handle(frame);
                if let Err(e) = drain(&mut engine, sink.as_mut()) {
                    err = Some(e);
                    return false;
                }
                keep_going(&engine)
            },
            || keep_going(&engine_cell.borrow()),
        )?
    };
    if let Some(e) = err {
        return Err(e.into());
    }
    let summary = finish(&mut engine, sink.as_mut(), &report)?;
    Ok(verdict(args, summary.findings))
}
