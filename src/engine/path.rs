//! The per-packet path: link -> tunnels -> IP -> fragments -> UDP/TCP -> classification.
//! Every function returns the [`Class`] the packet ends in.

use std::net::{IpAddr, SocketAddr};

use etherparse::{IpNumber, Ipv6ExtensionSlice, LaxIpSlice, TcpHeaderSlice};

use super::{Engine, Event, Frame, IcmpRecord, SipRecord, Transport};
use crate::accounting::Class;
use crate::decode::fragment::FragmentOutcome;
use crate::decode::link::{self, LinkFacts, Network};
use crate::decode::tcp::{Segment, SegmentClass, StreamEvent, StreamKey};
use crate::decode::tunnel::{self, Inner, TunnelKind};
use crate::decode::{be16, DecodeError, FragmentInfo, IpInfo, Layer};
use crate::media::flow::{FlowProto, MediaPacket};
use crate::media::{rtcp, rtp, stun};
use crate::sip;

/// Per-packet context carried down the layers.
pub(super) struct Ctx {
    frame: u64,
    /// The frame's own capture time.
    ts: crate::time::Timestamp,
    /// The snaplen cut this frame.
    cut: bool,
    /// Frames of earlier IP fragments of the datagram being decoded.
    fragment_frames: Vec<u64>,
    /// DSCP and length of the (innermost) IP packet.
    dscp: u8,
    ip_len: usize,
}

const PROTO_IPV4_IN_IP: u8 = 4;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_IPV6_IN_IP: u8 = 41;
const PROTO_GRE: u8 = 47;
const PROTO_ICMP: u8 = 1;
const PROTO_ICMPV6: u8 = 58;

/// Lowest port heuristic RTP is accepted on without an SDP announcing it (RTP uses the
/// dynamic range; below it are DNS, NTP, SNMP, syslog...).
const RTP_MIN_PORT: u16 = 1024;

impl Engine {
    pub(super) fn decode_frame(&mut self, frame: &Frame<'_>) -> Class {
        let mut ctx = Ctx {
            frame: self.frame_no,
            ts: frame.ts,
            cut: (frame.data.len() as u64) < u64::from(frame.orig_len),
            fragment_frames: Vec::new(),
            dscp: 0,
            ip_len: 0,
        };
        if ctx.cut {
            self.decode_stats.snaplen_cut += 1;
        }
        self.decode_stats.link(frame.link);
        match link::strip(frame.link, frame.data) {
            Ok((net, facts)) => {
                self.link_facts(facts);
                match net {
                    Network::Ip(ip) => self.ip(&mut ctx, ip, 0),
                    Network::NonIp(_) => Class::NonIp,
                }
            }
            Err(e) => self.decode_error(&ctx, e),
        }
    }

    fn link_facts(&mut self, facts: LinkFacts) {
        if facts.vlan_tags > 0 {
            self.decode_stats.vlan_tagged += 1;
        }
        if facts.mpls_labels > 0 {
            self.decode_stats.mpls += 1;
        }
        if facts.pppoe {
            self.decode_stats.pppoe += 1;
        }
    }

    /// A decode failure: truncated when the snaplen explains it, malformed otherwise.
    fn decode_error(&mut self, ctx: &Ctx, e: DecodeError) -> Class {
        if ctx.cut && matches!(e, DecodeError::Truncated { .. }) {
            return Class::Truncated;
        }
        self.record_malformed(ctx.frame, e.layer(), e.to_string());
        Class::Malformed
    }

    /// A payload shorter than its header says: truncated when the snaplen explains it,
    /// malformed otherwise.
    fn cut_or_malformed(&mut self, ctx: &Ctx, layer: Layer, reason: &str) -> Class {
        if ctx.cut {
            Class::Truncated
        } else {
            self.record_malformed(ctx.frame, layer, reason.to_string());
            Class::Malformed
        }
    }

    fn ip(&mut self, ctx: &mut Ctx, bytes: &[u8], depth: u8) -> Class {
        let ip = match LaxIpSlice::from_slice(bytes) {
            Ok((ip, _)) => ip,
            Err(etherparse::err::ip::LaxHeaderSliceError::Len(l)) => {
                return self.decode_error(
                    ctx,
                    DecodeError::Truncated {
                        layer: Layer::Ip,
                        offset: l.layer_start_offset,
                        need: l.required_len,
                        have: l.len,
                    },
                )
            }
            Err(etherparse::err::ip::LaxHeaderSliceError::Content(c)) => {
                self.record_malformed(ctx.frame, Layer::Ip, c.to_string());
                return Class::Malformed;
            }
        };
        let (info, frag) = match &ip {
            LaxIpSlice::Ipv4(v4) => {
                let h = v4.header();
                let frag = v4.is_payload_fragmented().then(|| FragmentInfo {
                    id: u32::from(h.identification()),
                    offset: usize::from(h.fragments_offset().byte_offset()),
                    more: h.more_fragments(),
                });
                let info = IpInfo {
                    src: IpAddr::V4(h.source_addr()),
                    dst: IpAddr::V4(h.destination_addr()),
                    dscp: h.dcp().value(),
                    ttl: h.ttl(),
                    proto: v4.payload().ip_number.0,
                };
                (info, frag)
            }
            LaxIpSlice::Ipv6(v6) => {
                let h = v6.header();
                let mut frag = None;
                if v6.is_payload_fragmented() {
                    for ext in v6.extensions().clone() {
                        if let Ipv6ExtensionSlice::Fragment(f) = ext {
                            frag = Some(FragmentInfo {
                                id: f.identification(),
                                offset: usize::from(f.fragment_offset().byte_offset()),
                                more: f.more_fragments(),
                            });
                        }
                    }
                }
                let info = IpInfo {
                    src: IpAddr::V6(h.source_addr()),
                    dst: IpAddr::V6(h.destination_addr()),
                    dscp: h.traffic_class() >> 2,
                    ttl: h.hop_limit(),
                    proto: v6.payload().ip_number.0,
                };
                (info, frag)
            }
        };
        let payload = ip.payload();
        let incomplete = payload.incomplete;
        ctx.dscp = info.dscp;
        ctx.ip_len = bytes.len();
        if payload.fragmented {
            let Some(frag) = frag else {
                self.record_malformed(
                    ctx.frame,
                    Layer::Fragment,
                    "fragment header unreadable".into(),
                );
                return Class::Malformed;
            };
            if incomplete {
                return self.cut_or_malformed(
                    ctx,
                    Layer::Fragment,
                    "fragment shorter than its IP length",
                );
            }
            let outcome = self.fragments.offer(
                self.now,
                ctx.frame,
                info.src,
                info.dst,
                info.proto,
                frag,
                payload.payload,
            );
            return match outcome {
                FragmentOutcome::Held => Class::FragmentPending,
                FragmentOutcome::Malformed { held, reason } => {
                    self.accounting
                        .transfer(Class::FragmentPending, Class::Malformed, held as u64);
                    self.record_malformed(ctx.frame, Layer::Fragment, reason.to_string());
                    Class::Malformed
                }
                FragmentOutcome::Complete { payload, frames } => {
                    self.accounting.transfer(
                        Class::FragmentPending,
                        Class::FragmentReassembled,
                        frames.len() as u64,
                    );
                    self.decode_stats.reassembled_datagrams += 1;
                    ctx.fragment_frames = frames;
                    self.transport(ctx, &info, &payload, false, depth)
                }
            };
        }
        self.transport(ctx, &info, payload.payload, incomplete, depth)
    }

    fn transport(
        &mut self,
        ctx: &mut Ctx,
        info: &IpInfo,
        payload: &[u8],
        incomplete: bool,
        depth: u8,
    ) -> Class {
        match info.proto {
            PROTO_IPV4_IN_IP | PROTO_IPV6_IN_IP => {
                if let Some(c) = self.tunnel_guard(ctx, depth) {
                    return c;
                }
                self.decode_stats.tunnel(TunnelKind::IpInIp);
                self.ip(ctx, payload, depth + 1)
            }
            PROTO_GRE => {
                if let Some(c) = self.tunnel_guard(ctx, depth) {
                    return c;
                }
                match tunnel::gre(payload) {
                    Ok((inner, kind)) => {
                        self.decode_stats.tunnel(kind);
                        self.inner(ctx, inner, depth)
                    }
                    Err(e) => self.decode_error(ctx, e),
                }
            }
            PROTO_UDP => self.udp(ctx, info, payload, incomplete, depth),
            PROTO_TCP => self.tcp(ctx, info, payload, incomplete),
            PROTO_ICMP | PROTO_ICMPV6 => {
                self.icmp(ctx, info, payload);
                Class::Icmp
            }
            _ => Class::IpOther,
        }
    }

    fn tunnel_guard(&mut self, ctx: &Ctx, depth: u8) -> Option<Class> {
        (depth >= self.config.max_tunnel_depth).then(|| {
            self.record_malformed(ctx.frame, Layer::Tunnel, "tunnels nested too deep".into());
            Class::Malformed
        })
    }

    fn inner(&mut self, ctx: &mut Ctx, inner: Inner<'_>, depth: u8) -> Class {
        match inner {
            Inner::Ip(b) => self.ip(ctx, b, depth + 1),
            Inner::Ethernet(b) => {
                let mut facts = LinkFacts::default();
                match link::ethernet(b, &mut facts) {
                    Ok(Network::Ip(ip)) => {
                        self.link_facts(facts);
                        self.ip(ctx, ip, depth + 1)
                    }
                    Ok(Network::NonIp(_)) => Class::NonIp,
                    Err(e) => self.decode_error(ctx, e),
                }
            }
            Inner::Other => Class::IpOther,
        }
    }

    fn udp(
        &mut self,
        ctx: &mut Ctx,
        info: &IpInfo,
        seg: &[u8],
        incomplete: bool,
        depth: u8,
    ) -> Class {
        let (Some(sport), Some(dport), Some(len)) = (be16(seg, 0), be16(seg, 2), be16(seg, 4))
        else {
            return self.decode_error(
                ctx,
                DecodeError::Truncated {
                    layer: Layer::Udp,
                    offset: 0,
                    need: 8,
                    have: seg.len(),
                },
            );
        };
        let len = usize::from(len);
        // A zero length is legal for IPv6 jumbograms only; take the IP length then.
        let end = if len == 0 { seg.len() } else { len };
        if end < 8 {
            self.record_malformed(ctx.frame, Layer::Udp, format!("UDP length {len} below 8"));
            return Class::Malformed;
        }
        let cut = incomplete || end > seg.len();
        if end > seg.len() && !ctx.cut && !incomplete {
            self.record_malformed(
                ctx.frame,
                Layer::Udp,
                format!("UDP length {len} beyond the {} bytes present", seg.len()),
            );
            return Class::Malformed;
        }
        let data = seg.get(8..end.min(seg.len())).unwrap_or_default();

        // Tunnels over UDP: decapsulate only when the header checks out.
        if depth < self.config.max_tunnel_depth {
            let inner = if tunnel::VXLAN_PORTS.contains(&dport) {
                tunnel::vxlan(data).map(|i| (i, TunnelKind::Vxlan))
            } else if dport == tunnel::GTPU_PORT || sport == tunnel::GTPU_PORT {
                tunnel::gtpu(data).map(|i| (i, TunnelKind::GtpU))
            } else {
                None
            };
            if let Some((inner, kind)) = inner {
                self.decode_stats.tunnel(kind);
                return self.inner(ctx, inner, depth);
            }
        }

        let src = SocketAddr::new(info.src, sport);
        let dst = SocketAddr::new(info.dst, dport);
        self.classify_udp(ctx, src, dst, data, cut)
    }

    fn classify_udp(
        &mut self,
        ctx: &mut Ctx,
        src: SocketAddr,
        dst: SocketAddr,
        data: &[u8],
        cut: bool,
    ) -> Class {
        if sip::is_keepalive(data) {
            return Class::SipKeepalive;
        }
        if sip::looks_like_sip(data) {
            if cut {
                self.sip_stats.truncated += 1;
                return Class::Truncated;
            }
            return match sip::parse_message(data) {
                Ok(msg) => {
                    let other_frames = std::mem::take(&mut ctx.fragment_frames);
                    self.sip_message(SipRecord {
                        frame: ctx.frame,
                        other_frames,
                        ts: ctx.ts,
                        transport: Transport::Udp,
                        src,
                        dst,
                        msg,
                        request_from: None,
                    });
                    Class::Sip
                }
                Err(e) => {
                    self.sip_stats.unparseable += 1;
                    self.record_malformed(ctx.frame, Layer::Sip, e.to_string());
                    Class::Malformed
                }
            };
        }
        if data.len() >= 8
            && data
                .get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/2.0 "))
        {
            // Meant as a SIP response, but the status line is unreadable.
            self.sip_stats.unparseable += 1;
            self.record_malformed(
                ctx.frame,
                Layer::Sip,
                "SIP/2.0 without a readable status line".into(),
            );
            return Class::Malformed;
        }
        if stun::is_stun(data) {
            return Class::Stun;
        }
        let (class, proto, hdr) = if self.expectations.is_udptl(dst) {
            (Class::Udptl, FlowProto::Udptl, None)
        } else if rtcp::parse(data).is_some() {
            (Class::Rtcp, FlowProto::Rtcp, None)
        } else {
            let dynamic = src.port() >= RTP_MIN_PORT && dst.port() >= RTP_MIN_PORT;
            match rtp::parse(data) {
                Ok(h) if dynamic || self.expectations.is_announced(dst) => {
                    (Class::Rtp, FlowProto::Rtp, Some(h))
                }
                _ => return Class::UdpOther,
            }
        };
        self.media_packet(MediaPacket {
            ts: ctx.ts,
            frame: ctx.frame,
            src,
            dst,
            proto,
            rtp: hdr,
            payload: data,
            ip_len: ctx.ip_len,
            dscp: ctx.dscp,
        });
        class
    }

    fn tcp(&mut self, ctx: &mut Ctx, info: &IpInfo, seg: &[u8], incomplete: bool) -> Class {
        let h = match TcpHeaderSlice::from_slice(seg) {
            Ok(h) => h,
            Err(etherparse::err::tcp::HeaderSliceError::Len(l)) => {
                return self.decode_error(
                    ctx,
                    DecodeError::Truncated {
                        layer: Layer::Tcp,
                        offset: 0,
                        need: l.required_len,
                        have: l.len,
                    },
                )
            }
            Err(etherparse::err::tcp::HeaderSliceError::Content(c)) => {
                self.record_malformed(ctx.frame, Layer::Tcp, c.to_string());
                return Class::Malformed;
            }
        };
        if incomplete {
            // Payload missing: reassembly will see the hole; the packet itself is cut.
            return self.cut_or_malformed(
                ctx,
                Layer::Tcp,
                "TCP segment shorter than its IP length",
            );
        }
        let payload = seg.get(h.slice().len()..).unwrap_or_default();
        let key = StreamKey {
            src: SocketAddr::new(info.src, h.source_port()),
            dst: SocketAddr::new(info.dst, h.destination_port()),
        };
        let segment = Segment {
            seq: h.sequence_number(),
            ack: h.ack().then(|| h.acknowledgment_number()),
            syn: h.syn(),
            fin: h.fin(),
            rst: h.rst(),
            payload,
        };
        let mut out = std::mem::take(&mut self.stream_scratch);
        let class = self
            .tcp
            .segment(self.now, ctx.frame, key, segment, &mut out);
        self.stream_events(&mut out);
        self.stream_scratch = out;
        match class {
            SegmentClass::Control => Class::TcpControl,
            SegmentClass::Sip => Class::Sip,
            SegmentClass::Keepalive => Class::SipKeepalive,
            SegmentClass::Tls => Class::SipTls,
            SegmentClass::Other => Class::TcpOther,
        }
    }

    /// Turns reassembled stream output into records.
    pub(super) fn stream_events(&mut self, out: &mut Vec<StreamEvent>) {
        for ev in out.drain(..) {
            match ev {
                StreamEvent::Message {
                    key,
                    bytes,
                    mut frames,
                } => {
                    let frame = frames.pop().unwrap_or(self.frame_no);
                    match sip::parse_message(&bytes) {
                        Ok(msg) => {
                            self.sip_message(SipRecord {
                                frame,
                                other_frames: frames,
                                ts: self.now,
                                transport: Transport::Tcp,
                                src: key.src,
                                dst: key.dst,
                                msg,
                                request_from: None,
                            });
                        }
                        Err(e) => {
                            self.sip_stats.unparseable += 1;
                            self.record_malformed(frame, Layer::Sip, e.to_string());
                        }
                    }
                }
                StreamEvent::Junk { len, .. } => self.decode_stats.tcp_junk_bytes += len as u64,
                StreamEvent::Gap { .. } => {}
                StreamEvent::Overflow { len, frame } => self.record_malformed(
                    frame,
                    Layer::Tcp,
                    format!("SIP message over the {len}-byte stream buffer bound dropped"),
                ),
            }
        }
    }

    fn sip_message(&mut self, mut rec: SipRecord) {
        self.sip_stats.count(&rec.msg, rec.transport);
        self.signalling(&mut rec);
        self.push_event(Event::Sip(Box::new(rec)));
    }

    /// ICMP destination unreachable / time exceeded quote the offending datagram: note
    /// when it was SIP (tshark counts the quoted message as SIP).
    fn icmp(&mut self, ctx: &Ctx, info: &IpInfo, b: &[u8]) {
        let (Some(kind), Some(code)) = (b.first(), b.get(1)) else {
            return;
        };
        // Destination unreachable (v4 type 3, v6 type 1) and time exceeded (11 / 3).
        let error = match info.proto {
            PROTO_ICMP => matches!(kind, 3 | 11),
            _ => matches!(kind, 1 | 3),
        };
        if !error {
            return;
        }
        let Some(quoted) = b.get(8..) else { return };
        let Ok((ip, _)) = LaxIpSlice::from_slice(quoted) else {
            return;
        };
        let p = ip.payload();
        if p.ip_number != IpNumber::UDP || p.fragmented {
            return;
        }
        let (Some(sport), Some(dport)) = (be16(p.payload, 0), be16(p.payload, 2)) else {
            return;
        };
        let quoted_sip = p.payload.get(8..).is_some_and(sip::looks_like_sip);
        if quoted_sip {
            self.decode_stats.icmp_quoting_sip += 1;
        }
        let quoted_src = SocketAddr::new(ip.source_addr(), sport);
        let quoted_dst = SocketAddr::new(ip.destination_addr(), dport);
        let unreachable = match info.proto {
            PROTO_ICMP => *kind == 3,
            _ => *kind == 1,
        };
        if !unreachable {
            return;
        }
        let attribution = self.expectations.lookup(quoted_src, quoted_dst, ctx.ts);
        let call =
            attribution.and_then(|a| self.sig.calls.get(&a.call).map(|c| (a, c.call_id.clone())));
        if let Some((a, _)) = &call {
            self.frame_calls.push(a.call);
        }
        self.push_event(Event::IcmpUnreachable(Box::new(IcmpRecord {
            frame: ctx.frame,
            ts: ctx.ts,
            reporter: info.src,
            v6: info.proto == PROTO_ICMPV6,
            code: *code,
            quoted_src,
            quoted_dst,
            quoted_sip,
            call,
        })));
    }
}
