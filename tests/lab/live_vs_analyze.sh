#!/usr/bin/env bash
# Live-capture proof for tests/live_lab.rs (run as root):
#   tests/lab/live_vs_analyze.sh ALGSCOPE OUTDIR
# Two namespaces joined by a veth pair: "phone" (192.0.2.10) and "provider"
# (192.0.2.20). In the phone namespace, `algscope live` and tcpdump capture
# the same interface at the same time while sipp runs two calls with RTP:
#   1. basic: RTP both ways (sipp's g711a.pcap played by both sides);
#   2. one_way_rtp: only the provider sends RTP (one-way audio on purpose).
# Then algscope is stopped with SIGTERM (it must print its full report).
# Writes OUTDIR/live.jsonl, live.err, tcpdump.pcap, evidence/, roll/ (the rolling capture).
# Scenarios: fixtures/lab/calls/scenarios (the lab's own call flows); media:
# sipp's stock g711a.pcap, linked under the names the scenarios play.
set -euo pipefail
ALGSCOPE=$(realpath "$1")
OUT=$(realpath -m "$2")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_NS_PREFIX=algtl
LAB_PROC_TIMEOUT=30
# shellcheck source=../../fixtures/lab/lib.sh
source "$ROOT/fixtures/lab/lib.sh"
SCEN="$ROOT/fixtures/lab/calls/scenarios"
AUDIO=${SIPP_AUDIO_SRC:-/usr/share/sip-tester/g711a.pcap}

for t in ip tcpdump sipp ethtool ss timeout; do
    command -v "$t" >/dev/null || lab_die "missing tool: $t"
done
[[ -r $AUDIO ]] || lab_die "missing $AUDIO (Debian package sip-tester)"

mkdir -p "$OUT/evidence" "$OUT/work" "$OUT/roll"
rm -f "$OUT"/evidence/*.pcap "$OUT"/roll/*.pcap
WD="$OUT/work"
ln -sf "$AUDIO" "$WD/a_1.pcap"
ln -sf "$AUDIO" "$WD/b_1.pcap"

trap 'lab_teardown; lab_cleanup_stale' EXIT
lab_cleanup_stale
A="$LAB_NS_PREFIX-$$-phone" B="$LAB_NS_PREFIX-$$-prov"
lab_ns_add "$A" v4only
lab_ns_add "$B" v4only
lab_veth "$A" eth0 02:00:c0:00:02:0a "$B" eth0 02:00:c0:00:02:14
lab_addr "$A" eth0 192.0.2.10/24
lab_addr "$B" eth0 192.0.2.20/24

lab_capture_start "$A" eth0 "$OUT/tcpdump.pcap"
TCPDUMP=$LAB_CAPTURE_PID
ip netns exec "$A" timeout -s KILL 60 "$ALGSCOPE" live -i eth0 --json --status-every 1 \
    --evidence-dir "$OUT/evidence" --write "$OUT/roll/voip.pcap" \
    >"$OUT/live.jsonl" 2>"$OUT/live.err" &
LIVE=$!
LAB_PIDS+=("$LIVE")
# algscope is capturing once its first status record is out
lab_wait_for "algscope live status" 50 grep -q '"kind":"status"' "$OUT/live.jsonl"

call() {
    local a=$1 b=$2 name=$3
    lab_sipp_uas "$B" "$WD" "$name-b" -sf "$SCEN/$b" -t u1 -i 192.0.2.20 -p 5060 \
        -mi 192.0.2.20 -mp 18000
    local uas=$LAB_UAS_PID
    lab_wait_listen "$B" udp 5060
    lab_sipp_uac "$A" "$WD" "$name-a" -sf "$SCEN/$a" -t u1 192.0.2.20:5060 \
        -i 192.0.2.10 -p 5060 -mi 192.0.2.10 -mp 16000 -s bob
    LAB_UAS_PID=$uas
    lab_wait_uas
}
call basic_a.xml basic_b.xml basic
sleep 0.5
call one_way_rtp_a.xml one_way_rtp_b.xml oneway
sleep 1
kill -TERM "$LIVE"
rc=0
wait "$LIVE" || rc=$?
lab_capture_stop "$TCPDUMP"
echo "algscope live exit $rc" >>"$OUT/live.err"
exit "$rc"
