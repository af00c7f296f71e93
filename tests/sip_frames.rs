//! Every SIP message algscope finds in every fixture, compared with tshark's list
//! (fixtures/sip_frames.json, made by tests/tools/tshark_sip_frames.py): the frame that
//! completed the message, its method or status code, and its Call-ID. Where the two
//! differ on purpose, `KNOWN` lists the messages only one side has, with the reason
//! (also in fixtures/README.md).

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

type Msg = (u64, String, Option<String>);

/// (file, frame, start, what differs, why). What differs: "tshark" when only tshark
/// reports the message, "algscope" when only algscope does, "call-id" when both do but
/// only algscope reads its Call-ID.
const KNOWN: &[(&str, u64, &str, &str, &str)] = &[
    ("public/ipfixprobe__sip.pcap", 7, "INVITE", "tshark", ICMP),
    ("public/ipfixprobe__sip.pcap", 10, "INVITE", "tshark", ICMP),
    ("public/ipfixprobe__sip.pcap", 12, "INVITE", "tshark", ICMP),
    ("public/ipfixprobe__sip.pcap", 14, "INVITE", "tshark", ICMP),
    ("public/ipfixprobe__sip.pcap", 15, "INVITE", "tshark", ICMP),
    (
        "lab/mangle/captures/mangle_colliding_mappings_lan.pcap",
        12,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "lab/mangle/captures/mangle_colliding_mappings_lan.pcap",
        14,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "lab/mangle/captures/mangle_colliding_mappings_lan.pcap",
        16,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "lab/mangle/captures/mangle_colliding_mappings_lan.pcap",
        18,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "lab/mangle/captures/mangle_colliding_mappings_wan.pcap",
        10,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "lab/mangle/captures/mangle_colliding_mappings_wan.pcap",
        12,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "lab/mangle/captures/mangle_colliding_mappings_wan.pcap",
        14,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "lab/mangle/captures/mangle_colliding_mappings_wan.pcap",
        16,
        "OPTIONS",
        "tshark",
        ICMP,
    ),
    (
        "synthetic/synthetic_icmp_quoting_sip.pcap",
        2,
        "INVITE",
        "tshark",
        ICMP,
    ),
    (
        "synthetic/synthetic_icmp_quoting_sip.pcap",
        4,
        "INVITE",
        "tshark",
        ICMP,
    ),
    (
        "synthetic/synthetic_ipv4_frag_overlap.pcap",
        3,
        "INVITE",
        "tshark",
        "fragments overlap with different bytes: tshark keeps the first copy and decodes an \
         INVITE; algscope counts the datagram malformed (an ambiguous datagram is no evidence)",
    ),
    (
        "synthetic/synthetic_snaplen.pcap",
        1,
        "INVITE",
        "tshark",
        "the INVITE is cut by a 96-byte snaplen: tshark decodes the start line; algscope \
         counts the packet as truncated, not as a message it could not read",
    ),
    (
        "synthetic/synthetic_sip_syntax.pcap",
        3,
        "REGISTER",
        "call-id",
        "`call-id :` has a space before the colon; tshark does not take it for a header",
    ),
    (
        "synthetic/synthetic_tcp_sip_gap.pcap",
        7,
        "OPTIONS",
        "algscope",
        "after a segment the capture missed, tshark never resynchronises the stream; \
         algscope skips the hole once the receiver acknowledges past it (frame 8)",
    ),
    (
        "synthetic/synthetic_tcp_sip_gap.pcap",
        10,
        "MESSAGE",
        "algscope",
        "same stream after the hole (tshark with out-of-order reassembly waits forever)",
    ),
];

const ICMP: &str = "a copy of the datagram quoted inside an ICMP error: tshark decodes it as \
                    SIP, algscope counts the packet as ICMP (decode.icmp_quoting_sip)";

fn known(rel: &str, frame: u64, start: &str, what: &str) -> bool {
    KNOWN
        .iter()
        .any(|k| k.0 == rel && k.1 == frame && k.2 == start && k.3 == what)
}

/// algscope's messages, or `None` for a file that is not a capture algscope reads (the
/// damaged-file fixtures, which tshark lists as empty too).
fn ours(rel: &str) -> Option<Vec<Msg>> {
    let path = common::fixture(rel);
    assert!(
        path.exists(),
        "{rel} is in sip_frames.json but not in fixtures/"
    );
    let mut records = common::Collect::default();
    algscope::analyze::analyze_files(
        &[path],
        algscope::engine::Config::default(),
        &mut records,
        |_, _| {},
    )
    .ok()?;
    let mut v: Vec<Msg> = records
        .sip
        .iter()
        .map(|r| {
            let start = match r.msg.status() {
                Some(code) => code.to_string(),
                None => r.msg.method().map(|m| m.to_string()).unwrap_or_default(),
            };
            (r.frame, start, r.msg.call_id.clone())
        })
        .collect();
    v.sort();
    Some(v)
}

#[test]
fn sip_messages_match_tshark_frame_by_frame() {
    let text = std::fs::read_to_string(common::fixture("sip_frames.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let files = doc["files"].as_object().unwrap();
    let mut report = Vec::new();
    let mut compared = 0;
    let mut seen_known = 0;
    for (rel, rows) in files {
        let Some(got) = ours(rel) else { continue };
        compared += 1;
        let mut want: Vec<Msg> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[0].as_u64().unwrap(),
                    r[1].as_str().unwrap().to_string(),
                    r[2].as_str().map(str::to_string),
                )
            })
            .collect();
        want.sort();
        let mut only_tshark: BTreeMap<(u64, String), Option<String>> = want
            .iter()
            .map(|(f, s, c)| ((*f, s.clone()), c.clone()))
            .collect();
        let mut only_ours = Vec::new();
        for (f, s, c) in &got {
            match only_tshark.remove(&(*f, s.clone())) {
                Some(tc) if tc == *c => {}
                Some(tc) if tc.is_none() && known(rel, *f, s, "call-id") => seen_known += 1,
                Some(tc) => report.push(format!(
                    "{rel}: frame {f} {s}: Call-ID ours {c:?} tshark {tc:?}"
                )),
                None => only_ours.push((*f, s.clone())),
            }
        }
        for ((f, s), _) in only_tshark {
            if known(rel, f, &s, "tshark") {
                seen_known += 1;
            } else {
                report.push(format!("{rel}: frame {f} {s}: only tshark"));
            }
        }
        for (f, s) in only_ours {
            if known(rel, f, &s, "algscope") {
                seen_known += 1;
            } else {
                report.push(format!("{rel}: frame {f} {s}: only algscope"));
            }
        }
    }
    assert!(compared >= 50, "compared {compared} files");
    assert!(
        report.is_empty(),
        "{} differences:\n{}",
        report.len(),
        report.join("\n")
    );
    // Every listed difference must still occur (a fixed bug must leave the list too).
    assert_eq!(
        seen_known,
        KNOWN.len(),
        "KNOWN lists differences that no longer occur"
    );
}
