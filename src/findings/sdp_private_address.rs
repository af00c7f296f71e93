//! `sdp-private-address`: an SDP connection address that cannot be reached (RFC 1918,
//! CGNAT, link-local, ULA) sent by a side whose SIP arrives from another, public address:
//! nothing on the way translated the SDP (NAT without ALG), and the far end will send
//! media where it cannot arrive unless it latches. Reported once per call leg and side.

use super::one_way_media::{line_text, unrewritten_private};
use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::Event;
use crate::sip::call::Side;

#[derive(Debug, Default)]
pub struct SdpPrivateAddress;

impl Detector for SdpPrivateAddress {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Call(rec) = ev else { return };
        let epoch_lines = rec
            .call
            .epochs
            .iter()
            .flat_map(|e| e.lines.iter().map(move |l| (Some(e.index), l)));
        let offer_lines = rec
            .call
            .failed_offers
            .iter()
            .flat_map(|f| f.lines.iter().map(|l| (None, l)));
        let mut seen: Vec<Side> = Vec::new();
        for (epoch, l) in epoch_lines.chain(offer_lines) {
            if seen.contains(&l.side) || !l.enabled() || !unrewritten_private(l) {
                continue;
            }
            seen.push(l.side);
            out.push(Finding {
                site: Some(l.signalling_src.ip()),
                id: "sdp-private-address",
                severity: Severity::Warning,
                call_id: Some(rec.call.call_id.clone()),
                leg: Some(rec.call.id),
                epoch,
                direction: None,
                cause: Cause::Nat,
                why: format!(
                    "the {} announces media at the private address {} while its SIP comes \
                     from {}: the SDP crossed a NAT untranslated",
                    l.side.as_str(),
                    l.addr.map(|a| a.to_string()).unwrap_or_default(),
                    l.signalling_src
                ),
                evidence: vec![Evidence {
                    frame: l.frame,
                    shows: line_text(l),
                }],
                advice: "the far end must latch media to the address packets come from \
                         (symmetric RTP / comedia), or the phone must learn its public address \
                         (STUN, a configured public IP); a SIP ALG is not the fix"
                    .into(),
            });
        }
    }
}
