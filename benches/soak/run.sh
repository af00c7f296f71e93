#!/usr/bin/env bash
# Soak run for `algscope live` (see benches/soak/README.md).
#
#   benches/soak/run.sh PCAP OUTDIR
#
# Makes two network namespaces joined by a veth pair (algsoak-tx/algsoak-t ->
# algsoak-rx/algsoak-r), starts the capturer on algsoak-r pinned to one core, samples its
# VmRSS and CPU time every second from /proc, replays PCAP with tcpreplay (at the
# capture's own timing) from the other namespace pinned to the other core, waits TAIL
# seconds, stops the capturer with SIGINT, and removes the namespaces.
#
# Environment:
#   MODE=algscope|tcpdump  capturer (tcpdump -w /dev/null is the reference run)  [algscope]
#   ALG=PATH               algscope binary                [target/release/algscope]
#   ALG_CPU=0 TX_CPU=1     cores for the capturer and for tcpreplay (the veth receive path
#                          runs in the sender's context, so it is on TX_CPU too)
#   TX_ARGS="..."          extra tcpreplay arguments, e.g. "--duration 20" or
#                          "--multiplier 0.1"
#   BUFFER_MB=64           capture buffer: algscope --buffer-mb, tcpdump -B (in KiB)
#   ALG_ARGS="..."         extra algscope live arguments
#   NICE=0 TX_NICE=0       nice levels of the capturer and of tcpreplay (negative: to
#                          keep other work on a shared machine off their cores)
#   TAIL=5                 seconds to keep capturing after the replay ended
#   PERF_AT=N PERF_FOR=20  perf record the capturer N s after the start, for PERF_FOR s
#
# Writes into OUTDIR: capture.jsonl (algscope's JSON lines) or tcpdump.err, capture.err,
# samples.csv (host time, VmRSS, RssAnon, RssFile kB, utime+stime ticks, 1-min load
# average), tcpreplay.txt,
# links-before.txt / links-after.txt (ip -s link of both ends), softnet-before/after.txt,
# perf.txt (with PERF_AT), run.env (the command and settings).
set -euo pipefail

PCAP=${1:?usage: run.sh PCAP OUTDIR}
OUT=${2:?usage: run.sh PCAP OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
MODE=${MODE:-algscope}
ALG=${ALG:-$HERE/../../target/release/algscope}
ALG_CPU=${ALG_CPU:-0}
TX_CPU=${TX_CPU:-1}
TX_ARGS=${TX_ARGS:-}
BUFFER_MB=${BUFFER_MB:-64}
ALG_ARGS=${ALG_ARGS:-}
NICE=${NICE:-0}
TX_NICE=${TX_NICE:-0}
TAIL=${TAIL:-5}
PERF_AT=${PERF_AT:-}
PERF_FOR=${PERF_FOR:-20}
NS_TX=algsoak-tx
NS_RX=algsoak-rx
IF_TX=algsoak-t
IF_RX=algsoak-r

mkdir -p "$OUT"
RX_PID='' SAMPLER_PID='' TX_PID='' PERF_PID=''

cleanup() {
    set +e
    if [ -n "$PERF_PID" ]; then
        for p in $(ps -o pid= --ppid "$PERF_PID"); do kill "$p" 2>/dev/null; done
    fi
    for p in $PERF_PID $TX_PID $SAMPLER_PID; do kill "$p" 2>/dev/null; done
    if [ -n "$RX_PID" ] && kill -0 "$RX_PID" 2>/dev/null; then
        kill -INT "$RX_PID"; sleep 3; kill "$RX_PID" 2>/dev/null
    fi
    ip netns del $NS_TX 2>/dev/null
    ip netns del $NS_RX 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in $NS_TX $NS_RX; do
    if ip netns list | grep -q "^$ns\b"; then ip netns del "$ns"; fi
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip link add $IF_TX netns $NS_TX type veth peer name $IF_RX netns $NS_RX
ip -n $NS_TX link set $IF_TX up
ip -n $NS_RX link set $IF_RX up
sleep 1

{
    echo "date: $(date -u +%FT%TZ)"
    echo "host: $(uname -r), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "pcap: $PCAP ($(stat -c %s "$PCAP") bytes)"
    echo "mode: $MODE  alg: $ALG  alg_cpu: $ALG_CPU  tx_cpu: $TX_CPU  nice: $NICE  tx_nice: $TX_NICE  buffer_mb: $BUFFER_MB  tx_args: $TX_ARGS  alg_args: $ALG_ARGS  tail: $TAIL"
    [ "$MODE" = algscope ] && echo "algscope: $("$ALG" --version 2>/dev/null || true) sha256 $(sha256sum "$ALG" | cut -c1-16)"
} > "$OUT/run.env"

ip -s -s -n $NS_TX link show $IF_TX > "$OUT/links-before.txt"
ip -s -s -n $NS_RX link show $IF_RX >> "$OUT/links-before.txt"
cat /proc/net/softnet_stat > "$OUT/softnet-before.txt"

# `ip netns exec`, `nice` and `taskset` all exec, so $! is the capturer's own pid.
if [ "$MODE" = algscope ]; then
    CMD=(ip netns exec $NS_RX nice -n "$NICE" taskset -c "$ALG_CPU" "$ALG" live -i $IF_RX --json --status-every 1 -q --buffer-mb "$BUFFER_MB" $ALG_ARGS)
    "${CMD[@]}" > "$OUT/capture.jsonl" 2> "$OUT/capture.err" &
else
    CMD=(ip netns exec $NS_RX nice -n "$NICE" taskset -c "$ALG_CPU" tcpdump -i $IF_RX -n -s 65535 -B $((BUFFER_MB * 1024)) --immediate-mode -w /dev/null)
    "${CMD[@]}" > /dev/null 2> "$OUT/capture.err" &
fi
RX_PID=$!
echo "capture: ${CMD[*]}" >> "$OUT/run.env"
sleep 2
kill -0 "$RX_PID" || { echo "capturer died:"; cat "$OUT/capture.err"; exit 1; }
echo "capturer pid $RX_PID ($(cat /proc/$RX_PID/comm))"

(
    echo "t,vmrss_kb,rss_anon_kb,rss_file_kb,cpu_ticks,load1"
    while kill -0 "$RX_PID" 2>/dev/null; do
        mem=$(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print r "," a "," f}' \
            /proc/$RX_PID/status 2>/dev/null) || break
        ticks=$(awk '{print $14 + $15}' /proc/$RX_PID/stat 2>/dev/null) || break
        echo "$(date +%s.%N),$mem,$ticks,$(cut -d' ' -f1 /proc/loadavg)"
        sleep 1
    done
) > "$OUT/samples.csv" &
SAMPLER_PID=$!

if [ -n "$PERF_AT" ]; then
    (
        sleep "$PERF_AT"
        taskset -c "$TX_CPU" perf record -F 499 -g -p "$RX_PID" -o "$OUT/perf.data" -- sleep "$PERF_FOR" \
            > /dev/null 2>&1
        perf report -i "$OUT/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
            | grep -v '^$' | grep -E '^ +[0-9]' | head -60 > "$OUT/perf.txt"
    ) &
    PERF_PID=$!
fi

TX=(ip netns exec $NS_TX nice -n "$TX_NICE" taskset -c "$TX_CPU" tcpreplay -i $IF_TX --stats=10 $TX_ARGS "$PCAP")
echo "replay: ${TX[*]}" >> "$OUT/run.env"
echo "replay start $(date +%s.%N)" >> "$OUT/run.env"
"${TX[@]}" > "$OUT/tcpreplay.txt" 2>&1 &
TX_PID=$!
wait $TX_PID || echo "tcpreplay exit $?"
TX_PID=
echo "replay end $(date +%s.%N)" >> "$OUT/run.env"
sleep "$TAIL"

ip -s -s -n $NS_TX link show $IF_TX > "$OUT/links-after.txt"
ip -s -s -n $NS_RX link show $IF_RX >> "$OUT/links-after.txt"
cat /proc/net/softnet_stat > "$OUT/softnet-after.txt"
if [ -n "$PERF_PID" ]; then wait "$PERF_PID" || true; PERF_PID=; fi

kill -INT "$RX_PID"
for _ in $(seq 60); do kill -0 "$RX_PID" 2>/dev/null || break; sleep 1; done
wait "$RX_PID" || true
RX_PID=
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=
tail -3 "$OUT/tcpreplay.txt"
[ "$MODE" = tcpdump ] && cat "$OUT/capture.err"
echo "done: $OUT"
