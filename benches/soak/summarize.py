#!/usr/bin/env python3
"""Figures of a soak run (see benches/soak/README.md).

    benches/soak/summarize.py OUTDIR [TRUTH.json] [--warmup 60]

Reads OUTDIR/samples.csv (VmRSS every second), OUTDIR/capture.jsonl (algscope's status
records, findings and summary), OUTDIR/tcpreplay.txt and OUTDIR/run.env, and prints:
the rate reached (tcpreplay and algscope's packets_per_s while loaded), VmRSS at the
end of the warm-up, at the end of the replay and its maximum after the warm-up, the
ratios, algscope's CPU share of its core, drops, evictions, and the one-way-media
findings against the generator's truth file.
"""

import argparse
import json
import os
import re
import statistics


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q / 100 * (len(xs) - 1)))))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("truth", nargs="?")
    p.add_argument("--warmup", type=float, default=60, help="seconds of replay")
    a = p.parse_args()
    env = open(os.path.join(a.out, "run.env")).read()
    t_start = float(re.search(r"replay start ([\d.]+)", env).group(1))
    t_end = float(re.search(r"replay end ([\d.]+)", env).group(1))
    print(f"replay: {t_end - t_start:.0f} s")

    tr = open(os.path.join(a.out, "tcpreplay.txt")).read()
    act = re.findall(r"Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds", tr)
    rated = re.findall(r"Rated: .*?, ([\d.]+) pps", tr)
    failed = re.search(r"Failed packets:\s+(\d+)", tr)
    sent = int(act[-1][0]) if act else None
    if act:
        print(f"tcpreplay: {sent:,} packets in {act[-1][2]} s = {rated[-1]} pps, "
              f"failed {failed.group(1) if failed else '?'}")
        # the per-10 s lines are cumulative; rate of each interval
        iv = []
        for (n0, _, s0), (n1, _, s1) in zip(act, act[1:-1]):
            if float(s1) > float(s0):
                iv.append((int(n1) - int(n0)) / (float(s1) - float(s0)))
        if iv:
            print(f"tcpreplay per 10 s interval: min {min(iv):,.0f} median "
                  f"{statistics.median(iv):,.0f} max {max(iv):,.0f} pps")

    # VmRSS samples
    rows = []
    for line in open(os.path.join(a.out, "samples.csv")).read().splitlines()[1:]:
        f = line.split(",")
        if len(f) == 6 and f[1]:
            # t, VmRSS, utime+stime, load, RssAnon (heap: the ring is RssFile)
            rows.append((float(f[0]), int(f[1]), int(f[4]), float(f[5]), int(f[2])))
    warm_t = t_start + a.warmup
    loaded = [r for r in rows if t_start <= r[0] <= t_end]
    after = [r for r in loaded if r[0] >= warm_t]
    if after:
        w = after[0]
        e = loaded[-1]
        mx = max(after, key=lambda r: r[1])
        mn = min(after, key=lambda r: r[1])
        print(f"VmRSS: start {rows[0][1] / 1024:.1f} MiB, at warm-up end "
              f"(+{w[0] - t_start:.0f} s) {w[1] / 1024:.1f} MiB, at replay end "
              f"(+{e[0] - t_start:.0f} s) {e[1] / 1024:.1f} MiB, after warm-up min "
              f"{mn[1] / 1024:.1f} max {mx[1] / 1024:.1f} MiB (at +{mx[0] - t_start:.0f} s)")
        print(f"VmRSS ratios: end/warm-up {e[1] / w[1]:.3f}, max/warm-up {mx[1] / w[1]:.3f}, "
              f"max/min after warm-up {mx[1] / mn[1]:.3f}")
        wa, ea = w[4], e[4]
        mxa = max(after, key=lambda r: r[4])
        mna = min(after, key=lambda r: r[4])
        print(f"RssAnon (VmRSS without the capture ring): at warm-up end {wa / 1024:.1f} MiB, "
              f"at replay end {ea / 1024:.1f} MiB, after warm-up min {mna[4] / 1024:.1f} max "
              f"{mxa[4] / 1024:.1f} MiB (at +{mxa[0] - t_start:.0f} s); end/warm-up "
              f"{ea / wa:.3f}, max/warm-up {mxa[4] / wa:.3f}")
        hz = os.sysconf("SC_CLK_TCK")
        cpu = (e[2] - loaded[0][2]) / hz / (e[0] - loaded[0][0])
        print(f"capturer CPU while loaded: {100 * cpu:.0f} % of one core; 1-min load average "
              f"median {statistics.median(r[3] for r in loaded):.2f} "
              f"max {max(r[3] for r in loaded):.2f}")
        # minute by minute
        print("minute: VmRSS / RssAnon MiB (last sample of the minute)")
        m = 0
        while t_start + 60 * m <= t_end:
            xs = [r for r in loaded if t_start + 60 * m <= r[0] < t_start + 60 * (m + 1)]
            if xs:
                print(f"  {m + 1:2d}: {xs[-1][1] / 1024:.1f} / {xs[-1][4] / 1024:.1f}")
            m += 1

    cap = os.path.join(a.out, "capture.jsonl")
    if not os.path.exists(cap):
        err = open(os.path.join(a.out, "capture.err")).read()
        print("tcpdump:", " / ".join(l for l in err.splitlines() if "packets" in l))
        return
    status, findings, summary = [], [], None
    for line in open(cap):
        r = json.loads(line)
        k = r.get("kind")
        if k == "status":
            status.append(r)
        elif k == "finding":
            findings.append(r)
        elif k == "summary":
            summary = r
    # status records while the replay ran (skip the first and last seconds)
    t0 = status[0]["elapsed_s"] if status else 0
    busy = [s for s in status if s["packets_per_s"] > 0]
    if busy:
        mid = busy[2:-2] or busy
        pps = [s["packets_per_s"] for s in mid]
        print(f"algscope packets_per_s (1 s records, {len(mid)} while loaded): min "
              f"{min(pps):,.0f} p5 {pct(pps, 5):,.0f} median {statistics.median(pps):,.0f} "
              f"max {max(pps):,.0f}")
        ca = [s["calls_active"] for s in mid]
        fa = [s["flows_active"] for s in mid]
        print(f"calls_active median {statistics.median(ca):,.0f} max {max(ca):,}; "
              f"flows_active median {statistics.median(fa):,.0f} max {max(fa):,}")
        rs = [s["rss_bytes"] for s in mid if s.get("rss_bytes")]
        if rs:
            print(f"algscope rss_bytes: first {rs[0] / 2**20:.1f} max {max(rs) / 2**20:.1f} "
                  f"last {rs[-1] / 2**20:.1f} MiB")
        first_drop = next((s for s in status if s["kernel_drops"] > 0), None)
        if first_drop:
            print(f"first kernel drop in the status record at {first_drop['elapsed_s']:.0f} s "
                  f"(capturer time)")
        last = status[-1]
        print(f"last status: kernel_drops {last['kernel_drops']:,} interface_drops "
              f"{last['interface_drops']:,} evicted {json.dumps(last['evicted'])} findings "
              f"{json.dumps(last['findings'])}")
    if summary:
        print(f"summary: packets_read {summary['packets_read']:,}, kernel_drops "
              f"{summary['kernel_drops']:,}, interface_drops {summary['interface_drops']:,}, "
              f"calls {summary['calls']:,}, sip_messages {summary['sip_messages']:,}, "
              f"malformed {summary['malformed_total']}, events_dropped "
              f"{summary['events_dropped']}")
        acc = {k: v for k, v in summary["accounting"].items() if v}
        print(f"  accounting {json.dumps(acc)}")
        print(f"  sip_transactions {json.dumps(summary['sip_transactions'])}")
        print(f"  evicted {json.dumps(summary.get('evicted'))}")
        if sent is not None:
            print(f"  sent - read = {sent - summary['packets_read']:,} "
                  f"({100 * (sent - summary['packets_read']) / max(sent, 1):.3f} %)")
    by_id = {}
    for f in findings:
        by_id[(f["id"], f["cause"])] = by_id.get((f["id"], f["cause"]), 0) + 1
    print(f"findings: {json.dumps({f'{k[0]}/{k[1]}': v for k, v in sorted(by_id.items())})}")
    if a.truth:
        t = json.load(open(a.truth))
        # the replay may have been cut (tcpreplay --duration/--limit): the capture second
        # the last sent packet belongs to, from the generator's cumulative counts
        cut = t["params"]["duration"]
        if sent is not None:
            cum = t.get("packets_by_second") or []
            cut = next((i + 1 for i, n in enumerate(cum) if n >= sent), cut)
        # algscope judges epochs of 1 s or more of its own (wall) time; a replay at
        # another rate than the file's stretches or squeezes capture time
        scale = (t_end - t_start) / cut if cut else 1.0
        exp = {(c["call_id"], c["direction"]) for c in t["one_way"]
               if (min(c["end_s"], cut) - c["answer_s"]) * scale >= 1.2}
        got = {(f["call_id"], f["direction"]) for f in findings if f["id"] == "one-way-media"}
        print(f"one-way-media: generated (judgeable within the replayed {cut:.0f} s of "
              f"capture) {len(exp)}, found {len(got)}, matching {len(exp & got)}, missing "
              f"{len(exp - got)}, spurious {len(got - exp)}")
        for x in sorted(exp - got)[:5]:
            print("  missing", x)
        for x in sorted(got - exp)[:5]:
            print("  spurious", x)


if __name__ == "__main__":
    main()
