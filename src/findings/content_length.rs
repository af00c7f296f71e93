//! `content-length-mismatch`: a SIP message over UDP whose Content-Length differs from the
//! body really present. A device that rewrites the body (an ALG changing SDP addresses)
//! must fix Content-Length; when it does not, the receiver cuts or pads the body.
//! Cause `alg` when the same message carries an ALG's fingerprint (public address fields
//! next to a private identity, see `alg_rewrite`) and the body is longer than declared by
//! a whole number of times the growth of each private-to-public address replacement (the
//! rewriter grew the body and kept the old length); else `unknown`. Reported once per
//! Call-ID (bounded).

use super::{Cause, Detector, Evidence, Finding, Severity};
use crate::engine::{Event, Transport};
use crate::sip::{Anomaly, DeclaredLength};

#[derive(Debug, Default)]
pub struct ContentLengthMismatch {
    seen: super::Seen<String>,
}

impl Detector for ContentLengthMismatch {
    fn on_event(&mut self, ev: &Event, _ctx: &super::CaptureContext, out: &mut Vec<Finding>) {
        let Event::Sip(r) = ev else { return };
        if r.transport != Transport::Udp || !r.msg.has_anomaly(Anomaly::ContentLengthMismatch) {
            return;
        }
        let call_id = r.msg.call_id.clone().unwrap_or_default();
        if !self.seen.first_time(call_id.clone()) {
            return;
        }
        let declared = match &r.msg.content_length {
            DeclaredLength::Value(n) => n.to_string(),
            DeclaredLength::Invalid(s) => s.clone(),
            DeclaredLength::Absent => "none".into(),
        };
        let body = r.msg.body.len();
        let alg = super::alg_rewrite::fingerprint(r).and_then(|fp| {
            let DeclaredLength::Value(n) = r.msg.content_length else {
                return None;
            };
            let n = usize::try_from(n).ok()?;
            let public = r.src.ip().to_string().len();
            let grown = body.checked_sub(n)?;
            // How many times the public address appears in the body: the rewrite can
            // have grown it by at most that many replacements.
            let public_ip = r.src.ip().to_string();
            let body_text = String::from_utf8_lossy(&r.msg.body);
            let replaced = body_text.matches(public_ip.as_str()).count();
            fp.private.iter().find_map(|(_, ip)| {
                let step = public.checked_sub(ip.to_string().len())?;
                let k = grown.checked_div(step).unwrap_or(0);
                (step > 0 && grown > 0 && grown % step == 0 && k <= replaced).then(|| {
                    format!(
                        "; the body grew by {grown} bytes, {} times the {step} bytes each \
                         {ip} -> {} replacement adds, and the same message shows the \
                         rewrite ({}): the ALG rewrote the SDP and kept the old length, so \
                         the receiver reads the body cut short",
                        grown / step,
                        r.src.ip(),
                        fp.rewritten
                            .iter()
                            .map(|(l, _)| *l)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            })
        });
        out.push(Finding {
            site: alg.as_ref().map(|_| r.src.ip()),
            id: "content-length-mismatch",
            severity: Severity::Warning,
            call_id: Some(call_id),
            leg: None,
            epoch: None,
            direction: None,
            cause: if alg.is_some() {
                Cause::Alg
            } else {
                Cause::Unknown
            },
            why: format!(
                "Content-Length says {declared} but the body has {body} bytes{}",
                alg.as_deref().unwrap_or("")
            ),
            evidence: vec![Evidence {
                frame: r.frame,
                shows: format!("Content-Length: {declared} ({} -> {})", r.src, r.dst),
            }],
            advice: "a device on the path changed the body without fixing Content-Length (a \
                     SIP ALG rewriting SDP is the usual one): disable the ALG, or fix the \
                     sender"
                .into(),
        });
    }
}
