//! `icmp-unreachable`: an ICMP destination unreachable answering media (or signalling),
//! tied to the flow it refuses. When a router refuses media sent to its own public
//! address on a port an SDP announced, the SDP pointed media at the router (an ALG that
//! rewrote it) but the router kept no mapping open for that port: the ALG's pinhole is
//! missing (seen with the Linux ALG after a phone-initiated T.38 re-INVITE). Reported
//! once per refused destination.

use std::net::SocketAddr;

use super::one_way_media::direction;
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;

#[derive(Debug, Default)]
pub struct IcmpUnreachable {
    seen: super::Seen<SocketAddr>,
}

impl Detector for IcmpUnreachable {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::IcmpUnreachable(r) = ev else {
            return;
        };
        if r.call.is_none() && !r.quoted_sip {
            return;
        }
        if !self.seen.first_time(r.quoted_dst) {
            return;
        }
        let what = if r.v6 {
            format!("ICMPv6 destination unreachable (code {})", r.code)
        } else if r.code == 3 {
            "ICMP port unreachable".to_string()
        } else {
            format!("ICMP destination unreachable (code {})", r.code)
        };
        let router_refused = r.reporter == r.quoted_dst.ip();
        let (cause, why, advice) = match (&r.call, router_refused) {
            (Some((a, _)), true) => (
                Cause::Alg,
                format!(
                    "{} refused media sent to its own address {}, a port the {} announced \
                     in its SDP: the SDP pointed media at this router but the router kept \
                     no mapping open for that port (the SIP ALG did not open, or closed, \
                     the pinhole)",
                    r.reporter,
                    r.quoted_dst,
                    a.from.other().as_str()
                ),
                "disable the SIP ALG on the router at this address and let the provider latch \
                 media (or use an SBC); see the vendor notes for where the setting lives",
            ),
            (Some(_), false) => (
                Cause::Unknown,
                format!(
                    "{} answered media sent to {} with {what}: nothing listens there",
                    r.reporter, r.quoted_dst
                ),
                "check that the receiving side really listens on the port its SDP announced, \
                 and firewalls on the path",
            ),
            (None, _) => (
                Cause::Unknown,
                format!(
                    "{} answered SIP sent to {} with {what}",
                    r.reporter, r.quoted_dst
                ),
                "the SIP peer is not listening there: check its address and port, and any \
                 NAT mapping that expired",
            ),
        };
        out.push(Finding {
            site: matches!(cause, Cause::Alg).then_some(r.reporter),
            id: "icmp-unreachable",
            severity: Severity::Error,
            call_id: r.call.as_ref().map(|(_, id)| id.clone()),
            leg: r.call.as_ref().map(|(a, _)| a.call),
            epoch: r.call.as_ref().map(|(a, _)| a.epoch),
            direction: r.call.as_ref().map(|(a, _)| direction(a.from)),
            cause,
            why,
            evidence: vec![Evidence {
                frame: r.frame,
                shows: format!(
                    "{what} from {} for {} -> {}",
                    r.reporter, r.quoted_src, r.quoted_dst
                ),
            }],
            advice: advice.into(),
        });
    }
}
