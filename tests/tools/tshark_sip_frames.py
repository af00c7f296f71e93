#!/usr/bin/env python3
"""Writes fixtures/sip_frames.json: for every capture under fixtures/, the SIP messages
tshark sees, one [frame, "METHOD" or "CODE", call-id] per message, in frame order.

tests/sip_frames.rs compares algscope's SIP records (frame that completed each message,
start line, Call-ID) with this list. Regenerate after adding a fixture:

    python3 tests/tools/tshark_sip_frames.py

Command per file (TCP reassembly with out-of-order segments on, as algscope does):
    tshark -r FILE -o tcp.reassemble_out_of_order:TRUE -Y sip -T fields -E separator=/t
           -E occurrence=a -E aggregator=, -e frame.number -e sip.Method -e sip.Status-Code
           -e sip.Call-ID
Only files tracked by git are listed. One frame can hold several messages (TCP); tshark then gives comma-separated values.
"""
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"


def messages(path):
    cmd = [
        "tshark", "-r", str(path), "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "sip",
        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
        "-e", "frame.number", "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.Call-ID",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None
    rows = []
    for line in out.stdout.splitlines():
        parts = (line.split("\t") + ["", "", "", ""])[:4]
        frame, methods, codes, ids = parts
        methods = [m for m in methods.split(",") if m]
        codes = [c for c in codes.split(",") if c]
        ids = ids.split(",") if ids else []
        # tshark lists methods and codes separately; a frame with both kinds is rare
        # (TCP). Order: requests then responses, as tshark prints them.
        starts = methods + codes
        for i, s in enumerate(starts):
            rows.append([int(frame), s, ids[i] if i < len(ids) else None])
    return rows


def main():
    result = {}
    # Only captures committed to the repository (git ls-files), so that work in
    # progress never lands in the ground truth.
    tracked = subprocess.run(["git", "ls-files", "fixtures"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    for path in sorted(ROOT / t for t in tracked):
        if path.suffix not in (".pcap", ".pcapng", ".cap") or not path.is_file():
            continue
        rel = str(path.relative_to(FIX))
        rows = messages(path)
        if rows is not None:
            result[rel] = rows
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True)
    doc = {
        "generated_by": "tests/tools/tshark_sip_frames.py",
        "tshark_version": version.stdout.splitlines()[0],
        "files": result,
    }
    (FIX / "sip_frames.json").write_text(json.dumps(doc, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
