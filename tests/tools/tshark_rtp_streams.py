#!/usr/bin/env python3
"""Writes fixtures/rtp_streams.json: for every capture tracked by git under fixtures/, the
RTP streams tshark lists, with its statistics.

tests/rtp_streams_vs_tshark.rs feeds algscope's RtpStreamStats (src/media/stream.rs) with
the same packets and compares the figures. Regenerate after adding a fixture:

    python3 tests/tools/tshark_rtp_streams.py

Command per file (tshark 4.0; heuristic RTP on, so streams with no SIP/SDP count too):

    tshark -r FILE -q -z rtp,streams -o rtp.heuristic_rtp:TRUE

One row per stream, as tshark prints it (ui/cli/tap-rtp.c): start and end time, source
address and port, destination address and port, SSRC, payload type names (comma-separated,
may contain spaces), Pkts, "Lost (percent%)", Min/Mean/Max Delta (ms), Min/Mean/Max Jitter
(ms) and "X" when tshark saw a problem (a sequence error or a timestamp before the first).
Min Delta and Min Jitter are -1 when tshark had no packet to measure them on.

Only files tracked by git are listed (work in progress never lands in the ground truth),
and only files tshark can read (a file it refuses is left out).
"""
import json
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
COMMAND = ["tshark", "-q", "-z", "rtp,streams", "-o", "rtp.heuristic_rtp:TRUE"]

# The fixed-width columns first, the free-text payload in the middle, the numbers after it.
ROW = re.compile(
    r"^\s*(?P<start>-?[\d.]+)\s+(?P<end>-?[\d.]+)"
    r"\s+(?P<src>\S+)\s+(?P<src_port>\d+)\s+(?P<dst>\S+)\s+(?P<dst_port>\d+)"
    r"\s+0x(?P<ssrc>[0-9A-Fa-f]{8})\s+(?P<payload>.*?)"
    r"\s+(?P<packets>\d+)\s+(?P<lost>-?\d+) \((?P<lost_pct>-?[\d.]+|-?nan|-?inf)%\)"
    r"\s+(?P<min_delta>-?[\d.]+)\s+(?P<mean_delta>-?[\d.]+)\s+(?P<max_delta>-?[\d.]+)"
    r"\s+(?P<min_jitter>-?[\d.]+)\s+(?P<mean_jitter>-?[\d.]+)\s+(?P<max_jitter>-?[\d.]+)"
    r"\s*(?P<problem>X?)\s*$"
)


def streams(path):
    out = subprocess.run(["tshark", "-r", str(path)] + COMMAND[1:], capture_output=True,
                         text=True)
    if out.returncode != 0:
        return None
    rows = []
    inside = False
    for line in out.stdout.splitlines():
        if line.startswith("="):
            inside = "RTP Streams" in line
            continue
        if not inside or "Src IP addr" in line or not line.strip():
            continue
        m = ROW.match(line)
        if m is None:
            raise SystemExit(f"{path}: cannot read tshark row: {line!r}")
        g = m.groupdict()
        rows.append({
            "start_s": float(g["start"]),
            "end_s": float(g["end"]),
            "src": g["src"],
            "src_port": int(g["src_port"]),
            "dst": g["dst"],
            "dst_port": int(g["dst_port"]),
            "ssrc": "0x" + g["ssrc"].lower(),
            "payload": g["payload"].strip(),
            "packets": int(g["packets"]),
            "lost": int(g["lost"]),
            "min_delta_ms": float(g["min_delta"]),
            "mean_delta_ms": float(g["mean_delta"]),
            "max_delta_ms": float(g["max_delta"]),
            "min_jitter_ms": float(g["min_jitter"]),
            "mean_jitter_ms": float(g["mean_jitter"]),
            "max_jitter_ms": float(g["max_jitter"]),
            "problem": g["problem"] == "X",
        })
    # tshark prints streams newest first; keep a stable order independent of that.
    rows.sort(key=lambda r: (r["start_s"], r["src"], r["src_port"], r["dst"], r["dst_port"],
                             r["ssrc"]))
    return rows


def main():
    result = {}
    tracked = subprocess.run(["git", "ls-files", "fixtures"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    for path in sorted(ROOT / t for t in tracked):
        if path.suffix not in (".pcap", ".pcapng", ".cap") or not path.is_file():
            continue
        rows = streams(path)
        if rows is not None:
            result[str(path.relative_to(FIX))] = rows
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True)
    doc = {
        "generated_by": "tests/tools/tshark_rtp_streams.py",
        "command": "tshark -r FILE -q -z rtp,streams -o rtp.heuristic_rtp:TRUE",
        "tshark_version": version.stdout.splitlines()[0],
        "files": result,
    }
    (FIX / "rtp_streams.json").write_text(json.dumps(doc, sort_keys=True, indent=1) + "\n")


if __name__ == "__main__":
    main()
