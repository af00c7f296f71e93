#!/usr/bin/env python3
"""Soak capture generator for `algscope live` (see benches/soak/README.md).

Writes one long pcap (Ethernet, microsecond timestamps) of steady VoIP traffic:

* `--calls` call *slots*, each running one call after another for the whole capture
  (closed loop: when a call hangs up, the slot's next INVITE follows 0.2-2 s later), so
  the number of calls and the packet rate stay flat from the first seconds to the end,
  and calls are released and replaced continuously (about calls/78 new calls a second).
* each call: INVITE (SDP offer) / 100 / 180 / 200 (SDP answer) / ACK, ringing 0.5-4 s,
  talk 30-120 s (uniform), then BYE / 200 from the caller (60 %) or the callee;
  RTP both ways at 50 packets/s (G.711 PCMU, 20 ms, 12-byte RTP header + 160 bytes
  = 172-byte UDP payload, DSCP EF, per-direction random SSRC, sequence and timestamp
  start), RTCP SR+SDES every 5 s per sending direction (RTP port + 1).
* `--one-way` of the calls (default 2 %) have one-way media: one direction (chosen at
  random) sends neither RTP nor RTCP. algscope should report exactly those calls as
  `one-way-media` (direction = the silent one) and nothing else.
* every Call-ID, tag, SSRC and media address:port is unique in the whole capture, so
  nothing repeats: the capture is meant to be replayed once, not looped.
* the slots' first calls start in the first 2 s with a talk time drawn from the
  residual-life distribution of U(30,120) s, so the population is in steady state at
  once (no ramp-up).

Addresses (all public documentation ranges, none private, so no NAT/ALG finding is
expected): callers 198.51.100.1-254 (SIP port 5060, RTP 16384+), the proxy/SBC
203.0.113.1:5060, media servers 203.0.113.10-19 (RTP 20000+). Destination MACs are not
the capturing veth's, so the receiving kernel drops the packets after the packet taps
(no ICMP replies).

Also writes `--truth FILE` (JSON): the parameters, packet counts, and every one-way call
(Call-ID, silent direction, answer time, end time) for the comparison in summarize.py.

Cost: about 2-3 us of Python per packet (one core); 100 k packets/s for 8 minutes is
48 M packets, about 11 GB and 2-4 minutes to write. Run it with `nice`.

Only the Python standard library is used.
"""

import argparse
import heapq
import json
import random
import struct
import sys

RTP_PAYLOAD = 160  # G.711 20 ms
PTIME_US = 20_000
RTCP_EVERY_US = 5_000_000
PROXY = "203.0.113.1"
CALLERS = [f"198.51.100.{i}" for i in range(1, 255)]
MEDIA = [f"203.0.113.{i}" for i in range(10, 20)]
MAC_A = bytes.fromhex("020000a1a1a1")  # caller side
MAC_B = bytes.fromhex("020000b2b2b2")  # proxy / media side
BASE_SEC = 1_800_000_000  # pcap time of the first packet (2027-01-15); replay ignores it
DSCP_EF = 46 << 2
DSCP_CS3 = 24 << 2


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def headers(src, sport, dst, dport, udp_payload_len, tos, src_mac, dst_mac):
    """Ethernet + IPv4 + UDP headers (UDP checksum 0 = none, legal on IPv4)."""
    total = 20 + 8 + udp_payload_len
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, tos, total, 0, 0x4000, 64, 17, 0,
                      ip4(src), ip4(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    udph = struct.pack("!HHHH", sport, dport, 8 + udp_payload_len, 0)
    return dst_mac + src_mac + b"\x08\x00" + iph + udph


def rec(t_us, frame):
    n = len(frame)
    return struct.pack("<IIII", BASE_SEC + t_us // 1_000_000, t_us % 1_000_000, n, n) + frame


class Dir:
    """One RTP sending direction of a call."""

    __slots__ = ("hdr", "rtcp_hdr_len", "src", "sport", "dst", "dport", "ssrc", "seq",
                 "ts", "phase", "next_rtcp", "packets", "octets", "cname", "peer_ssrc")

    def __init__(self, rng, src, sport, dst, dport, smac, dmac):
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport
        self.hdr = headers(src, sport, dst, dport, 12 + RTP_PAYLOAD, DSCP_EF, smac, dmac)
        self.ssrc = rng.getrandbits(32)
        self.seq = rng.getrandbits(16)
        self.ts = rng.getrandbits(32)
        self.phase = rng.randrange(PTIME_US)
        self.next_rtcp = None
        self.packets = 0
        self.octets = 0
        self.cname = f"{rng.getrandbits(48):012x}@{src}".encode()
        self.peer_ssrc = 0


class Call:
    __slots__ = ("n", "slot", "call_id", "caller", "cport", "mip", "mport", "from_tag",
                 "to_tag", "branch", "invite_us", "answer_us", "media_start", "end_us",
                 "bye_by_caller", "silent", "fwd", "rev", "user", "dest")


PAYLOAD = b"\xff" * RTP_PAYLOAD  # PCMU silence


class Gen:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.duration_us = int(a.duration * 1_000_000)
        self.sip_heap = []  # (t_us, order, bytes)
        self.order = 0
        self.next_call_no = 0
        self.active = []  # calls with media scheduled
        self.start_call_later = []
        self.cum_by_second = []  # packets written by the end of each capture second
        self.truth_one_way = []
        self.counts = {"rtp": 0, "rtcp": 0, "sip": 0, "calls_started": 0,
                       "calls_ended": 0, "one_way_calls": 0}

    # ---- SIP -------------------------------------------------------------------------
    @staticmethod
    def sdp(user, sess, addr, port):
        return (f"v=0\no={user} {sess} {sess} IN IP4 {addr}\ns=soak\nc=IN IP4 {addr}\n"
                f"t=0 0\nm=audio {port} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\n"
                f"a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\na=ptime:20\n"
                f"a=sendrecv\n")

    def msg(self, start, headers_, body=""):
        if body:
            body = body.replace("\n", "\r\n")
            headers_ += "Content-Type: application/sdp\n"
        hdr = start + "\n" + headers_ + f"Content-Length: {len(body.encode())}\n\n"
        return hdr.replace("\n", "\r\n") + body

    def send(self, t_us, src, sport, dst, dport, text, to_proxy):
        smac, dmac = (MAC_A, MAC_B) if to_proxy else (MAC_B, MAC_A)
        frame = headers(src, sport, dst, dport, len(text.encode()), DSCP_CS3, smac, dmac) \
            + text.encode()
        self.order += 1
        heapq.heappush(self.sip_heap, (t_us, self.order, rec(t_us, frame)))

    def start_call(self, slot, t_us, first):
        rng = self.rng
        n = self.next_call_no
        self.next_call_no += 1
        c = Call()
        c.n, c.slot = n, slot
        c.caller = CALLERS[n % len(CALLERS)]
        c.cport = 16384 + 2 * ((n // len(CALLERS)) % 20000)
        c.mip = MEDIA[n % len(MEDIA)]
        c.mport = 20000 + 2 * ((n // len(MEDIA)) % 20000)
        c.call_id = f"soak{self.a.seed}-{n:07d}@{c.caller}"
        c.user = f"+1555{n:07d}"
        c.dest = f"+1444{rng.randrange(10**7):07d}"
        c.from_tag = f"{rng.getrandbits(40):010x}"
        c.to_tag = f"{rng.getrandbits(40):010x}"
        ring = rng.uniform(0.5, 4.0)
        if first:
            # residual talk time of U(30,120) in steady state: density P(D > x) / E[D]
            while True:
                x = rng.uniform(0, 120)
                if x < 30 or rng.random() < (120 - x) / 90:
                    break
            talk = max(x, 2.0)
        else:
            talk = rng.uniform(30, 120)
        c.invite_us = t_us
        c.answer_us = t_us + int(ring * 1e6)
        c.media_start = c.answer_us + 20_000
        c.end_us = c.answer_us + int(talk * 1e6)
        c.bye_by_caller = rng.random() < 0.6
        c.silent = None
        if rng.random() < self.a.one_way:
            c.silent = rng.choice(["caller->callee", "callee->caller"])
            self.counts["one_way_calls"] += 1
            self.truth_one_way.append({
                "call_id": c.call_id, "direction": c.silent,
                "answer_s": c.answer_us / 1e6, "end_s": c.end_us / 1e6})
        c.fwd = Dir(rng, c.caller, c.cport, c.mip, c.mport, MAC_A, MAC_B)
        c.rev = Dir(rng, c.mip, c.mport, c.caller, c.cport, MAC_B, MAC_A)
        c.fwd.peer_ssrc, c.rev.peer_ssrc = c.rev.ssrc, c.fwd.ssrc
        for d in (c.fwd, c.rev):
            d.next_rtcp = c.media_start + rng.randrange(RTCP_EVERY_US)
        self.counts["calls_started"] += 1
        self.sip_dialog(c)
        self.active.append(c)

    def sip_dialog(self, c):
        rng = self.rng
        cid, ua, px = c.call_id, c.caller, PROXY
        br = f"z9hG4bK{rng.getrandbits(48):012x}"
        via = f"Via: SIP/2.0/UDP {ua}:5060;branch={br};rport\n"
        frm = f"From: <sip:{c.user}@{ua}>;tag={c.from_tag}\n"
        to0 = f"To: <sip:{c.dest}@{px}>\n"
        to1 = f"To: <sip:{c.dest}@{px}>;tag={c.to_tag}\n"
        common = f"Call-ID: {cid}\n"
        ua_contact = f"Contact: <sip:{c.user}@{ua}:5060>\n"
        px_contact = f"Contact: <sip:{c.dest}@{px}:5060>\n"
        sess = rng.randrange(10**9)
        offer = self.sdp(c.user, sess, ua, c.cport)
        answer = self.sdp("sbc", sess + 1, c.mip, c.mport)
        t = c.invite_us
        inv = self.msg(f"INVITE sip:{c.dest}@{px} SIP/2.0",
                       via + "Max-Forwards: 70\n" + frm + to0 + common + "CSeq: 1 INVITE\n"
                       + ua_contact + "User-Agent: soak-ua/1.0\n"
                       "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\n", offer)
        self.send(t, ua, 5060, px, 5060, inv, True)
        self.send(t + 4_000, px, 5060, ua, 5060,
                  self.msg("SIP/2.0 100 Trying", via + frm + to0 + common + "CSeq: 1 INVITE\n"),
                  False)
        ringing_at = t + min(300_000, (c.answer_us - t) // 2)
        self.send(ringing_at, px, 5060, ua, 5060,
                  self.msg("SIP/2.0 180 Ringing", via + frm + to1 + common
                           + "CSeq: 1 INVITE\n" + px_contact), False)
        self.send(c.answer_us, px, 5060, ua, 5060,
                  self.msg("SIP/2.0 200 OK", via + frm + to1 + common + "CSeq: 1 INVITE\n"
                           + px_contact, answer), False)
        br2 = f"z9hG4bK{rng.getrandbits(48):012x}"
        self.send(c.answer_us + 15_000, ua, 5060, px, 5060,
                  self.msg(f"ACK sip:{c.dest}@{px}:5060 SIP/2.0",
                           f"Via: SIP/2.0/UDP {ua}:5060;branch={br2};rport\n"
                           "Max-Forwards: 70\n" + frm + to1 + common + "CSeq: 1 ACK\n"), True)
        if c.end_us > self.duration_us:
            return  # still talking when the capture ends
        br3 = f"z9hG4bK{rng.getrandbits(48):012x}"
        if c.bye_by_caller:
            v = f"Via: SIP/2.0/UDP {ua}:5060;branch={br3};rport\n"
            hdrs = frm + to1 + common + "CSeq: 2 BYE\n"
            self.send(c.end_us, ua, 5060, px, 5060,
                      self.msg(f"BYE sip:{c.dest}@{px}:5060 SIP/2.0",
                               v + "Max-Forwards: 70\n" + hdrs), True)
            self.send(c.end_us + 8_000, px, 5060, ua, 5060,
                      self.msg("SIP/2.0 200 OK", v + hdrs), False)
        else:
            v = f"Via: SIP/2.0/UDP {px}:5060;branch={br3}\n"
            hdrs = (f"From: <sip:{c.dest}@{px}>;tag={c.to_tag}\n"
                    f"To: <sip:{c.user}@{ua}>;tag={c.from_tag}\n" + common + "CSeq: 1 BYE\n")
            self.send(c.end_us, px, 5060, ua, 5060,
                      self.msg(f"BYE sip:{c.user}@{ua}:5060 SIP/2.0",
                               v + "Max-Forwards: 70\n" + hdrs), False)
            self.send(c.end_us + 8_000, ua, 5060, px, 5060,
                      self.msg("SIP/2.0 200 OK", v + hdrs), True)

    # ---- RTCP ------------------------------------------------------------------------
    def rtcp(self, d, t_us):
        # SR with one report block (about the other direction), then SDES CNAME.
        ntp_sec = BASE_SEC + t_us // 1_000_000 + 2_208_988_800
        ntp_frac = ((t_us % 1_000_000) << 32) // 1_000_000
        sr = struct.pack("!BBHIIIIII", 0x81, 200, 12, d.ssrc, ntp_sec & 0xFFFFFFFF, ntp_frac,
                         d.ts & 0xFFFFFFFF, d.packets, d.octets)
        block = struct.pack("!IIIIII", d.peer_ssrc, 0, 0, 0, 0, 0)
        item = bytes([1, len(d.cname)]) + d.cname + b"\0"
        item += b"\0" * (-(4 + len(item)) % 4)
        sdes_body = struct.pack("!I", d.ssrc) + item
        sdes = struct.pack("!BBH", 0x81, 202, len(sdes_body) // 4) + sdes_body
        pl = sr + block + sdes
        smac, dmac = (MAC_A, MAC_B) if d.src in CALLERS_SET else (MAC_B, MAC_A)
        frame = headers(d.src, d.sport + 1, d.dst, d.dport + 1, len(pl), DSCP_EF, smac,
                        dmac) + pl
        return rec(t_us, frame)

    # ---- main loop -------------------------------------------------------------------
    def run(self, out):
        a, rng = self.a, self.rng
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for slot in range(a.calls):
            self.start_call(slot, rng.randrange(2_000_000), True)
        pack_rtp = struct.Struct("!BBHII").pack
        pack_rec = struct.Struct("<IIII").pack
        plen = 14 + 20 + 8 + 12 + RTP_PAYLOAD
        tick = 0
        ticks = self.duration_us // PTIME_US
        written = 0
        while tick < ticks:
            t0 = tick * PTIME_US
            t1 = t0 + PTIME_US
            batch = []
            # SIP messages due in this tick
            heap = self.sip_heap
            while heap and heap[0][0] < t1:
                t, o, r = heapq.heappop(heap)
                batch.append((t, r))
                self.counts["sip"] += 1
            still = []
            for c in self.active:
                if c.end_us <= t0:
                    self.counts["calls_ended"] += 1
                    # the slot's next call
                    nxt = c.end_us + rng.randrange(200_000, 2_000_000)
                    if nxt < self.duration_us:
                        self.start_call_later.append((c.slot, nxt))
                    continue
                still.append(c)
                if c.media_start >= t1:
                    continue
                for d, silent in ((c.fwd, c.silent == "caller->callee"),
                                  (c.rev, c.silent == "callee->caller")):
                    if silent:
                        continue
                    t = t0 + d.phase
                    if t < c.media_start or t >= c.end_us:
                        continue
                    sec = BASE_SEC + t // 1_000_000
                    batch.append((t, pack_rec(sec, t % 1_000_000, plen, plen) + d.hdr
                                  + pack_rtp(0x80, 0 if d.packets else 0x80, d.seq, d.ts,
                                             d.ssrc) + PAYLOAD))
                    d.seq = (d.seq + 1) & 0xFFFF
                    d.ts = (d.ts + 160) & 0xFFFFFFFF
                    d.packets += 1
                    d.octets += RTP_PAYLOAD
                    self.counts["rtp"] += 1
                    if d.next_rtcp < t1 and d.next_rtcp < c.end_us:
                        batch.append((d.next_rtcp, self.rtcp(d, d.next_rtcp)))
                        d.next_rtcp += RTCP_EVERY_US
                        self.counts["rtcp"] += 1
            self.active = still
            for slot, t in self.start_call_later:
                self.start_call(slot, t, False)
            self.start_call_later = []
            # new calls' SIP may fall in this tick too
            while heap and heap[0][0] < t1:
                t, o, r = heapq.heappop(heap)
                batch.append((t, r))
                self.counts["sip"] += 1
            batch.sort(key=lambda x: x[0])
            out.write(b"".join(r for _, r in batch))
            written += len(batch)
            if tick % 50 == 49:
                self.cum_by_second.append(written)
            tick += 1
            if a.progress and tick % 500 == 0:
                print(f"\r{t1 / 1e6:7.1f} s  {written:,} packets  "
                      f"{len(self.active)} calls", end="", file=sys.stderr, flush=True)
        if a.progress:
            print(file=sys.stderr)
        self.counts["packets"] = written


CALLERS_SET = set(CALLERS)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=1060,
                   help="call slots (concurrent calls); 1060 gives about 100 k packets/s")
    p.add_argument("--duration", type=float, default=420, help="capture seconds")
    p.add_argument("--one-way", type=float, default=0.02,
                   help="share of calls with one-way media")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="pcap to write ('-' for stdout)")
    p.add_argument("--truth", help="JSON file with the counts and the one-way calls")
    p.add_argument("--progress", action="store_true")
    a = p.parse_args()
    g = Gen(a)
    out = sys.stdout.buffer if a.out == "-" else open(a.out, "wb", buffering=1 << 22)
    g.run(out)
    out.flush()
    if a.truth:
        # one-way calls whose media epoch lasted at least 1 s inside the capture are
        # judgeable by algscope (shorter epochs are not judged)
        dur = a.duration
        judgeable = [c for c in g.truth_one_way if min(c["end_s"], dur) - c["answer_s"] >= 1.5]
        with open(a.truth, "w") as f:
            json.dump({"params": vars(a), "counts": g.counts,
                       "one_way_judgeable": len(judgeable),
                       "packets_by_second": g.cum_by_second,
                       "one_way": g.truth_one_way}, f, indent=1)
    print(json.dumps(g.counts), file=sys.stderr)


if __name__ == "__main__":
    main()
