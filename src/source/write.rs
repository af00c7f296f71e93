//! Writing captures: a plain pcap writer (nanosecond timestamps, the format Wireshark and
//! tcpdump read) and a rolling writer that rotates files by size and age and keeps the
//! newest few. Written by hand rather than through libpcap: the format is 24 bytes of
//! file header and 16 bytes per packet, and this way no C time structure crosses over.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::decode::link::LinkType;
use crate::time::Timestamp;

/// pcap magic for nanosecond timestamps.
const MAGIC_NANO: u32 = 0xa1b2_3c4d;
const FILE_HEADER: u64 = 24;
const RECORD_HEADER: u64 = 16;

/// A pcap file being written.
pub struct PcapWriter<W: Write> {
    out: W,
    bytes: u64,
    packets: u64,
}

impl PcapWriter<BufWriter<File>> {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let f = File::create(path)?;
        PcapWriter::new(BufWriter::new(f), link, snaplen)
    }
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let mut h = Vec::with_capacity(FILE_HEADER as usize);
        h.extend_from_slice(&MAGIC_NANO.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&snaplen.to_le_bytes());
        h.extend_from_slice(&(link.dlt() as u32).to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter {
            out,
            bytes: FILE_HEADER,
            packets: 0,
        })
    }

    /// Appends one packet (`data` as captured, `orig_len` its length on the wire).
    pub fn write(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let nanos = ts.as_nanos();
        let secs = nanos.div_euclid(1_000_000_000);
        let frac = nanos.rem_euclid(1_000_000_000);
        let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let mut h = [0u8; RECORD_HEADER as usize];
        h[0..4].copy_from_slice(&(secs as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(frac as u32).to_le_bytes());
        h[8..12].copy_from_slice(&caplen.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.max(caplen).to_le_bytes());
        self.out.write_all(&h)?;
        self.out
            .write_all(data.get(..caplen as usize).unwrap_or(data))?;
        self.bytes += RECORD_HEADER + u64::from(caplen);
        self.packets += 1;
        Ok(())
    }

    /// Bytes written so far (headers included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// When a rolling capture starts a new file, and how many files it keeps.
#[derive(Debug, Clone)]
pub struct RollingConfig {
    /// `FILE`: files are written as `<stem>-00001.<ext>`, `<stem>-00002.<ext>`, ...
    pub path: PathBuf,
    /// Start a new file once this many bytes were written to the current one.
    pub max_bytes: u64,
    /// Start a new file once the current one covers this much capture time.
    pub max_age: Option<crate::time::Duration>,
    /// Files kept; the oldest is deleted beyond it.
    pub max_files: usize,
}

/// A rolling capture (like `tcpdump -C -W`): the newest `max_files` files of at most
/// `max_bytes` each.
pub struct RollingWriter {
    config: RollingConfig,
    link: LinkType,
    snaplen: u32,
    current: Option<(PcapWriter<BufWriter<File>>, Timestamp)>,
    written: std::collections::VecDeque<PathBuf>,
    seq: u64,
    /// Files started so far.
    pub files: u64,
    pub packets: u64,
}

impl RollingWriter {
    pub fn new(config: RollingConfig, link: LinkType, snaplen: u32) -> Self {
        RollingWriter {
            config,
            link,
            snaplen,
            current: None,
            written: Default::default(),
            seq: 0,
            files: 0,
            packets: 0,
        }
    }

    fn file_name(&self, seq: u64) -> PathBuf {
        let p = &self.config.path;
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "capture".into());
        let ext = p
            .extension()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "pcap".into());
        p.with_file_name(format!("{stem}-{seq:05}.{ext}"))
    }

    /// The file being written now.
    pub fn current_path(&self) -> Option<&Path> {
        self.written.back().map(PathBuf::as_path)
    }

    pub fn write(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let rotate = match &self.current {
            None => true,
            Some((w, started)) => {
                w.bytes() >= self.config.max_bytes
                    || self.config.max_age.is_some_and(|a| ts.since(*started) >= a)
            }
        };
        if rotate {
            if let Some((mut w, _)) = self.current.take() {
                w.flush()?;
            }
            self.seq += 1;
            let path = self.file_name(self.seq);
            let w = PcapWriter::create(&path, self.link, self.snaplen)?;
            self.current = Some((w, ts));
            self.written.push_back(path);
            self.files += 1;
            while self.written.len() > self.config.max_files.max(1) {
                if let Some(old) = self.written.pop_front() {
                    // Already gone (removed by the user) is fine.
                    let _ = std::fs::remove_file(old);
                }
            }
        }
        if let Some((w, _)) = &mut self.current {
            w.write(ts, data, orig_len)?;
            self.packets += 1;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.current {
            Some((w, _)) => w.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_record_layout() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65_535).unwrap();
        w.write(
            Timestamp::from_parts(1_700_000_000, 123_456_789),
            &[1, 2, 3],
            60,
        )
        .unwrap();
        let b = w.into_inner();
        assert_eq!(b.len(), 24 + 16 + 3);
        assert_eq!(&b[0..4], &0xa1b2_3c4du32.to_le_bytes());
        assert_eq!(u32::from_le_bytes([b[20], b[21], b[22], b[23]]), 1);
        assert_eq!(
            u32::from_le_bytes([b[24], b[25], b[26], b[27]]),
            1_700_000_000
        );
        assert_eq!(
            u32::from_le_bytes([b[28], b[29], b[30], b[31]]),
            123_456_789
        );
        assert_eq!(u32::from_le_bytes([b[32], b[33], b[34], b[35]]), 3);
        assert_eq!(u32::from_le_bytes([b[36], b[37], b[38], b[39]]), 60);
        assert_eq!(&b[40..], &[1, 2, 3]);
    }

    #[test]
    fn rolling_keeps_the_newest_files() {
        let dir = std::env::temp_dir().join(format!("algscope-roll-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut r = RollingWriter::new(
            RollingConfig {
                path: dir.join("voip.pcap"),
                max_bytes: 24 + 2 * (16 + 100),
                max_age: None,
                max_files: 2,
            },
            LinkType::Ethernet,
            65_535,
        );
        for i in 0..7 {
            r.write(Timestamp::from_parts(i, 0), &[0u8; 100], 100)
                .unwrap();
        }
        r.flush().unwrap();
        // 7 packets, 2 per file: files 1..4, the newest two kept.
        assert_eq!(r.files, 4);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["voip-00003.pcap", "voip-00004.pcap"]);
        let last = std::fs::read(dir.join("voip-00004.pcap")).unwrap();
        assert_eq!(last.len(), 24 + 16 + 100);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
