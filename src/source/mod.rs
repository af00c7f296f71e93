//! Capture sources: the only code that does IO. Each source reads frames (from pcap/pcapng
//! files through libpcap, stdin, or a live interface) and hands them to a callback as
//! [`Frame`]s; what happens to them is the engine's business.

pub mod write;

use std::path::{Path, PathBuf};

use pcap::{Active, Capture, Offline, Precision};

use crate::decode::link::LinkType;
use crate::engine::Frame;
use crate::time::Timestamp;

/// Why a source could not be opened or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("{path}: no such file")]
    NotFound { path: String },
    #[error("{path}: permission denied (check the file's permissions)")]
    FileDenied { path: String },
    #[error("{path}: not a pcap or pcapng capture ({reason})")]
    NotACapture { path: String, reason: String },
    #[error(
        "{path}: link type {name} (DLT {dlt}) is not supported; algscope reads Ethernet, \
         Linux cooked (SLL/SLL2), raw IP and BSD loopback captures"
    )]
    UnsupportedLink {
        path: String,
        dlt: i32,
        name: String,
    },
    #[error(
        "interface {iface}: permission denied; run as root, or grant the capture \
         capabilities: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v algscope)"
    )]
    LiveDenied { iface: String },
    #[error("interface {iface}: {reason}")]
    Live { iface: String, reason: String },
    #[error("capture filter {filter:?}: {reason}")]
    Filter { filter: String, reason: String },
}

/// What a source noticed while reading (not fatal: the frames before it were analyzed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceReport {
    /// E.g. "capture.pcap: truncated dump file after 1234 packets".
    pub warnings: Vec<String>,
    /// Kernel and interface drops (live capture only).
    pub kernel_drops: u64,
    pub interface_drops: u64,
}

/// A frame owned by a source while several files are merged.
struct Pending {
    ts: Timestamp,
    data: Vec<u8>,
    orig_len: u32,
}

struct Input {
    name: String,
    cap: Capture<Offline>,
    link: LinkType,
    read: u64,
    /// Bytes consumed so far (record headers included; an estimate for pcapng).
    bytes: u64,
    pending: Option<Pending>,
    done: bool,
}

/// One or several capture files (or `-` for stdin), merged by timestamp.
pub struct OfflineSource {
    inputs: Vec<Input>,
    total_bytes: Option<u64>,
}

// time_t and suseconds_t are i64 on 64-bit Linux but not everywhere.
#[allow(clippy::useless_conversion)]
fn ts_of(h: &pcap::PacketHeader) -> Timestamp {
    // Opened with nanosecond precision: tv_usec holds nanoseconds.
    Timestamp::from_parts(i64::from(h.ts.tv_sec), i64::from(h.ts.tv_usec))
}

fn open_error(path: &str, e: pcap::Error) -> SourceError {
    let reason = e.to_string();
    let lower = reason.to_ascii_lowercase();
    if path != "-" && !Path::new(path).exists() {
        SourceError::NotFound { path: path.into() }
    } else if lower.contains("permission denied") {
        SourceError::FileDenied { path: path.into() }
    } else {
        SourceError::NotACapture {
            path: path.into(),
            reason: reason.trim_start_matches("libpcap error: ").to_string(),
        }
    }
}

impl OfflineSource {
    /// Opens every file; fails on the first that cannot be read or has an unsupported
    /// link type.
    pub fn open(paths: &[PathBuf]) -> Result<OfflineSource, SourceError> {
        let mut inputs = Vec::with_capacity(paths.len());
        let mut total = Some(0u64);
        for p in paths {
            let name = p.display().to_string();
            if name != "-" && p.is_dir() {
                return Err(SourceError::NotACapture {
                    path: name,
                    reason: "it is a directory".into(),
                });
            }
            let cap = Capture::from_file_with_precision(p, Precision::Nano)
                .map_err(|e| open_error(&name, e))?;
            let dlt = cap.get_datalink();
            let link = LinkType::from_dlt(dlt.0);
            if !link.is_supported() {
                return Err(SourceError::UnsupportedLink {
                    path: name,
                    dlt: dlt.0,
                    name: dlt.get_name().unwrap_or_else(|_| "unknown".into()),
                });
            }
            total = match (total, std::fs::metadata(p).ok().filter(|_| name != "-")) {
                (Some(t), Some(m)) => Some(t + m.len()),
                _ => None,
            };
            inputs.push(Input {
                name,
                cap,
                link,
                read: 0,
                bytes: 24,
                pending: None,
                done: false,
            });
        }
        Ok(OfflineSource {
            inputs,
            total_bytes: total,
        })
    }

    /// Total size of the files, when known (not for stdin): the progress bar's length.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }

    /// Reads every frame in timestamp order (ties keep file order) and hands it to `f`
    /// with the bytes consumed so far. `f` returns false to stop early.
    pub fn run(&mut self, mut f: impl FnMut(&Frame<'_>, u64) -> bool) -> SourceReport {
        let mut report = SourceReport::default();
        if self.inputs.len() == 1 {
            // One file: no copy, frames go straight from libpcap's buffer to the engine.
            if let Some(input) = self.inputs.first_mut() {
                loop {
                    match input.cap.next_packet() {
                        Ok(p) => {
                            input.read += 1;
                            input.bytes += 16 + u64::from(p.header.caplen);
                            let frame = Frame {
                                ts: ts_of(p.header),
                                link: input.link,
                                data: p.data,
                                orig_len: p.header.len,
                            };
                            if !f(&frame, input.bytes) {
                                break;
                            }
                        }
                        Err(pcap::Error::NoMorePackets) => break,
                        Err(e) => {
                            report.warnings.push(read_warning(input, &e));
                            break;
                        }
                    }
                }
            }
            return report;
        }
        loop {
            for input in self.inputs.iter_mut() {
                if input.pending.is_none() && !input.done {
                    match input.cap.next_packet() {
                        Ok(p) => {
                            input.read += 1;
                            input.bytes += 16 + u64::from(p.header.caplen);
                            input.pending = Some(Pending {
                                ts: ts_of(p.header),
                                data: p.data.to_vec(),
                                orig_len: p.header.len,
                            });
                        }
                        Err(pcap::Error::NoMorePackets) => input.done = true,
                        Err(e) => {
                            report.warnings.push(read_warning(input, &e));
                            input.done = true;
                        }
                    }
                }
            }
            let next = self
                .inputs
                .iter()
                .enumerate()
                .filter_map(|(i, inp)| inp.pending.as_ref().map(|p| (p.ts, i)))
                .min();
            let Some((_, idx)) = next else { break };
            let consumed: u64 = self.inputs.iter().map(|i| i.bytes).sum();
            let Some(input) = self.inputs.get_mut(idx) else {
                break;
            };
            let Some(p) = input.pending.take() else { break };
            let frame = Frame {
                ts: p.ts,
                link: input.link,
                data: &p.data,
                orig_len: p.orig_len,
            };
            if !f(&frame, consumed) {
                break;
            }
        }
        report
    }
}

fn read_warning(input: &Input, e: &pcap::Error) -> String {
    let msg = e.to_string();
    let msg = msg.trim_start_matches("libpcap error: ");
    format!(
        "{}: read error after {} packets: {msg} (the file is damaged or was cut; the packets before it were analyzed)",
        input.name, input.read
    )
}

/// How long a live source sleeps when no packet is waiting.
pub const IDLE_SLEEP: std::time::Duration = std::time::Duration::from_millis(5);

/// A live interface.
pub struct LiveSource {
    iface: String,
    cap: Capture<Active>,
    link: LinkType,
}

/// Live capture options.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub iface: String,
    pub filter: Option<String>,
    /// Bytes kept per packet; the default keeps whole SIP messages (jumbo frames too).
    pub snaplen: i32,
    pub promiscuous: bool,
    /// Kernel capture buffer in bytes (absorbs bursts while the engine is busy).
    pub buffer_bytes: i32,
    /// Hand each packet over the moment it arrives. Off (the default for `live`), libpcap
    /// packs packets into the ring's blocks (TPACKET_V3) and hands a block over when it
    /// fills or after the 100 ms timeout: many times more packets fit in the same ring
    /// (in immediate mode every packet takes a slot the size of the snaplen).
    pub immediate: bool,
}

impl LiveSource {
    pub fn open(opts: &LiveOptions) -> Result<LiveSource, SourceError> {
        let iface = opts.iface.clone();
        let live_err = |e: pcap::Error| {
            let reason = e.to_string();
            if reason.to_ascii_lowercase().contains("permission")
                || reason.contains("Operation not permitted")
            {
                SourceError::LiveDenied {
                    iface: iface.clone(),
                }
            } else {
                SourceError::Live {
                    iface: iface.clone(),
                    reason: reason.trim_start_matches("libpcap error: ").to_string(),
                }
            }
        };
        let mut cap = Capture::from_device(opts.iface.as_str())
            .map_err(live_err)?
            .promisc(opts.promiscuous)
            .immediate_mode(opts.immediate)
            .snaplen(opts.snaplen)
            .precision(Precision::Nano)
            .timeout(100)
            .buffer_size(opts.buffer_bytes)
            .open()
            .map_err(live_err)?
            // Non-blocking: a blocking read can wait forever on a quiet interface, and the
            // run must still stop on time and on Ctrl-C.
            .setnonblock()
            .map_err(live_err)?;
        if let Some(filter) = &opts.filter {
            cap.filter(filter, true).map_err(|e| SourceError::Filter {
                filter: filter.clone(),
                reason: e
                    .to_string()
                    .trim_start_matches("libpcap error: ")
                    .to_string(),
            })?;
        }
        let dlt = cap.get_datalink();
        let link = LinkType::from_dlt(dlt.0);
        if !link.is_supported() {
            return Err(SourceError::UnsupportedLink {
                path: opts.iface.clone(),
                dlt: dlt.0,
                name: dlt.get_name().unwrap_or_else(|_| "unknown".into()),
            });
        }
        Ok(LiveSource {
            iface: opts.iface.clone(),
            cap,
            link,
        })
    }

    /// The next captured frame, or `None` when none is waiting (the interface is quiet:
    /// the caller decides whether to sleep, tick the engine or stop).
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        match self.cap.next_packet() {
            Ok(p) => Ok(Some(Frame {
                ts: ts_of(p.header),
                link: self.link,
                data: p.data,
                orig_len: p.header.len,
            })),
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => Ok(None),
            Err(e) => Err(SourceError::Live {
                iface: self.iface.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// The interface's link type.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Packets the kernel dropped (buffer full) and the interface dropped, so far.
    pub fn drops(&mut self) -> (u64, u64) {
        match self.cap.stats() {
            Ok(s) => (u64::from(s.dropped), u64::from(s.if_dropped)),
            Err(_) => (0, 0),
        }
    }

    /// Captures until `f` returns false (called for every frame) or `idle` returns false
    /// (called whenever no packet is waiting, then the source sleeps a few ms).
    pub fn run(
        &mut self,
        mut f: impl FnMut(&Frame<'_>) -> bool,
        mut idle: impl FnMut() -> bool,
    ) -> Result<SourceReport, SourceError> {
        loop {
            match self.next_frame()? {
                Some(frame) => {
                    if !f(&frame) {
                        break;
                    }
                }
                None => {
                    if !idle() {
                        break;
                    }
                    std::thread::sleep(IDLE_SLEEP);
                }
            }
        }
        let (kernel_drops, interface_drops) = self.drops();
        Ok(SourceReport {
            kernel_drops,
            interface_drops,
            ..SourceReport::default()
        })
    }
}
