//! Every public capture in fixtures/public (copied from ../shared/captures, sources in
//! fixtures/README.md) against the tshark ground truth in fixtures/public/manifest.json:
//! packets read, accounting adding up, SIP messages per method and status code, distinct
//! Call-IDs. Where algscope and tshark differ on purpose, the difference is listed in
//! `KNOWN_DIFFERENCES` with its reason (also in fixtures/README.md).
//!
//! The manifest was made with TShark 4.0.17:
//!   tshark -r FILE -Y 'sip.Request-Line' -T fields -e sip.Method
//!   tshark -r FILE -Y 'sip.Status-Line'  -T fields -e sip.Status-Code
//!   tshark -r FILE -Y sip -T fields -e sip.Call-ID
//!   capinfos -T -r -M -c FILE

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// (file, "request METHOD" | "response CODE" | "call_ids", tshark's count, ours, why).
const KNOWN_DIFFERENCES: &[(&str, &str, u64, u64, &str)] = &[(
    "ipfixprobe__sip.pcap",
    "request INVITE",
    14,
    9,
    "5 of tshark's INVITEs are the copies quoted inside ICMP port-unreachable errors; \
     algscope counts those packets as ICMP (decode.icmp_quoting_sip = 5), not as SIP messages",
)];

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(common::fixture("public/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

fn expected(file: &str, what: &str, tshark: u64) -> u64 {
    for (f, w, t, ours, _) in KNOWN_DIFFERENCES {
        if *f == file && *w == what {
            assert_eq!(*t, tshark, "{file}: manifest changed for {what}");
            return *ours;
        }
    }
    tshark
}

#[test]
fn every_public_capture_matches_tshark() {
    let entries = manifest();
    assert_eq!(entries.len(), 27);
    for e in entries {
        let file = e["file"].as_str().unwrap();
        let run = common::run(&format!("public/{file}"));
        let s = &run.summary;
        assert_eq!(
            s.packets_read,
            e["packets"].as_u64().unwrap(),
            "{file}: packets"
        );
        assert_eq!(
            s.accounting.total(),
            s.packets_read,
            "{file}: accounting total"
        );
        assert_eq!(
            run.class("fragment_pending"),
            0,
            "{file}: pending fragments after finish"
        );

        let mut want_req = BTreeMap::new();
        for (m, n) in counts(&e["sip_requests"]) {
            let n = expected(file, &format!("request {m}"), n);
            if n > 0 {
                want_req.insert(m, n);
            }
        }
        let got_req: BTreeMap<String, u64> = run.requests().into_iter().collect();
        assert_eq!(got_req, want_req, "{file}: SIP requests");

        let mut want_resp = BTreeMap::new();
        for (c, n) in counts(&e["sip_responses"]) {
            let n = expected(file, &format!("response {c}"), n);
            if n > 0 {
                want_resp.insert(c, n);
            }
        }
        let got_resp: BTreeMap<String, u64> = run
            .responses()
            .into_iter()
            .map(|(c, n)| (c.to_string(), n))
            .collect();
        assert_eq!(got_resp, want_resp, "{file}: SIP responses");

        let ids = expected(file, "call_ids", e["sip_call_ids"].as_u64().unwrap());
        assert_eq!(
            s.sip.distinct_call_ids() as u64,
            ids,
            "{file}: distinct Call-IDs"
        );
    }
}

#[test]
fn icmp_quoted_invites_are_counted_apart() {
    let run = common::run("public/ipfixprobe__sip.pcap");
    assert_eq!(run.summary.decode.icmp_quoting_sip, 5);
    assert_eq!(run.class("icmp"), 5);
}
