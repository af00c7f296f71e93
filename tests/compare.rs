//! `algscope compare INSIDE OUTSIDE` on the labs' captures of both router legs (the same
//! run, tcpdump on lan0 and wan0 at once): what the router rewrote and what it dropped,
//! with the figures tshark and the router's counters give (fixtures/lab/alg/README.md,
//! fixtures/lab/mangle/README.md).

use std::process::Command;

use serde_json::Value;

fn compare(base: &str) -> Vec<Value> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_algscope"))
        .args(["compare", "--json"])
        .arg(format!("{dir}/fixtures/lab/{base}_lan.pcap"))
        .arg(format!("{dir}/fixtures/lab/{base}_wan.pcap"))
        .output()
        .expect("run algscope compare");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn kind<'a>(v: &'a [Value], k: &str) -> Vec<&'a Value> {
    v.iter().filter(|r| r["kind"] == k).collect()
}

fn summary(v: &[Value]) -> (u64, u64, u64, u64) {
    let s = kind(v, "compare_summary")[0];
    (
        s["paired_messages"].as_u64().unwrap(),
        s["one_sided_messages"].as_u64().unwrap(),
        s["rewrites"].as_u64().unwrap(),
        s["media_paths"].as_u64().unwrap(),
    )
}

/// (id, cause, severity) of every finding.
fn findings(v: &[Value]) -> Vec<(String, String, String)> {
    kind(v, "finding")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["cause"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn f(id: &str, cause: &str, severity: &str) -> (String, String, String) {
    (id.into(), cause.into(), severity.into())
}

/// (proto, way, far, near inside, near outside, packets inside, packets outside)
fn media(v: &[Value]) -> Vec<(String, String, String, String, String, u64, u64)> {
    kind(v, "media_path")
        .iter()
        .map(|m| {
            (
                m["proto"].as_str().unwrap().to_string(),
                m["way"].as_str().unwrap().to_string(),
                m["far"].as_str().unwrap().to_string(),
                m["near_inside"].as_str().unwrap_or("-").to_string(),
                m["near_outside"].as_str().unwrap_or("-").to_string(),
                m["inside_packets"].as_u64().unwrap(),
                m["outside_packets"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn rewritten(v: &[Value], field: &str) -> Vec<(String, String, u64)> {
    kind(v, "rewrite")
        .iter()
        .filter(|r| r["field"] == field)
        .map(|r| {
            (
                r["inside"].as_str().unwrap().to_string(),
                r["outside"].as_str().unwrap().to_string(),
                r["inside_frame"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn m(
    proto: &str,
    way: &str,
    near_in: &str,
    near_out: &str,
    n_in: u64,
    n_out: u64,
) -> (String, String, String, String, String, u64, u64) {
    (
        proto.into(),
        way.into(),
        if proto == "udptl" {
            "203.0.113.20:18002"
        } else {
            "203.0.113.20:18000"
        }
        .into(),
        near_in.into(),
        near_out.into(),
        n_in,
        n_out,
    )
}

#[test]
fn linux_alg_rewrite_is_proven_field_by_field() {
    let v = compare("alg/captures/alg_basic_on");
    // 7 messages each side (INVITE 100 180 200 ACK BYE 200), 19 field changes.
    assert_eq!(summary(&v), (7, 0, 19, 2));
    assert_eq!(findings(&v), [f("alg-rewrite", "alg", "warning")]);
    assert_eq!(
        rewritten(&v, "SDP c="),
        [(
            "c=IN IP4 10.10.0.10".into(),
            "c=IN IP4 198.51.100.1".into(),
            3
        )]
    );
    assert_eq!(
        rewritten(&v, "Content-Length"),
        [("202".into(), "206".into(), 3)]
    );
    // The Call-ID is not rewritten by the Linux ALG.
    assert!(rewritten(&v, "Call-ID").is_empty());
    assert_eq!(
        media(&v),
        [
            m(
                "rtp",
                "outside->inside",
                "10.10.0.10:16000",
                "198.51.100.1:16000",
                67,
                67
            ),
            m(
                "rtp",
                "inside->outside",
                "10.10.0.10:16000",
                "198.51.100.1:16000",
                67,
                67
            ),
        ]
    );
    let site = kind(&v, "site")[0];
    assert_eq!(site["public_addr"], "198.51.100.1");
    assert_eq!(site["alg"], "likely");
}

#[test]
fn nat_without_alg_changes_no_sip_and_drops_media_sent_to_the_private_address() {
    let v = compare("alg/captures/alg_basic_off");
    assert_eq!(summary(&v), (7, 0, 0, 2));
    assert_eq!(findings(&v), [f("router-dropped", "nat", "error")]);
    // Tied to the call whose SDP the WAN side matched the stream to.
    assert_eq!(kind(&v, "finding")[0]["call_id"], "1-19394@10.10.0.10");
    // The router's filter_fwd counter: 67 provider RTP packets dropped.
    assert_eq!(
        media(&v),
        [
            m("rtp", "outside->inside", "-", "10.10.0.10:16000", 0, 67),
            m(
                "rtp",
                "inside->outside",
                "10.10.0.10:16000",
                "198.51.100.1:16000",
                67,
                67
            ),
        ]
    );
}

#[test]
fn t38_udptl_refused_by_the_alg_router() {
    let v = compare("alg/captures/alg_t38_reinvite_on");
    assert_eq!(summary(&v), (11, 0, 32, 4));
    assert_eq!(
        findings(&v),
        [
            f("alg-rewrite", "alg", "warning"),
            f("router-dropped", "alg", "error")
        ]
    );
    let media = media(&v);
    // The provider's 15 UDPTL packets reach the WAN leg and never the LAN; the phone's 42
    // leave from a random port (34336), not the 16002 its SDP announced.
    assert!(media.contains(&m(
        "udptl",
        "outside->inside",
        "-",
        "198.51.100.1:16002",
        0,
        15
    )));
    assert!(media.contains(&m(
        "udptl",
        "inside->outside",
        "10.10.0.10:16002",
        "198.51.100.1:34336",
        42,
        42
    )));
}

#[test]
fn call_id_rewrite_is_an_error() {
    let v = compare("mangle/captures/mangle_callid_rewrite");
    assert_eq!(summary(&v), (7, 0, 19, 2));
    assert_eq!(findings(&v), [f("alg-rewrite", "alg", "error")]);
    let ids = rewritten(&v, "Call-ID");
    assert_eq!(ids.len(), 7, "all 7 messages of the call");
    assert!(ids
        .iter()
        .all(|(a, b, _)| a == "1-11854@10.10.0.10" && b == "ALG5078FE24F8A2A4B4E862"));
}

#[test]
fn pinhole_closed_on_hold_drops_the_provider_audio_after_resume() {
    let v = compare("mangle/captures/mangle_pinhole_closed_on_hold");
    assert_eq!(summary(&v), (13, 0, 28, 2));
    assert_eq!(
        findings(&v),
        [
            f("alg-rewrite", "alg", "warning"),
            f("router-dropped", "alg", "error")
        ]
    );
    // The router's "media without ALG pinhole" counter: 34 of the provider's 68 dropped.
    assert_eq!(
        media(&v),
        [
            m(
                "rtp",
                "outside->inside",
                "10.10.0.10:16000",
                "198.51.100.1:16000",
                34,
                68
            ),
            m(
                "rtp",
                "inside->outside",
                "10.10.0.10:16000",
                "198.51.100.1:16000",
                102,
                102
            ),
        ]
    );
}

#[test]
fn ack_and_bye_to_a_private_contact_never_cross() {
    let v = compare("alg/captures/alg_inbound_call_off");
    assert_eq!(summary(&v), (9, 7, 0, 2));
    assert_eq!(
        findings(&v),
        [
            f("router-dropped", "nat", "error"),
            f("router-dropped", "nat", "error"),
            f("router-dropped", "nat", "error")
        ]
    );
    let one_sided: Vec<(String, String)> = kind(&v, "one_sided")
        .iter()
        .map(|o| {
            (
                o["seen"].as_str().unwrap().to_string(),
                o["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let acks = one_sided
        .iter()
        .filter(|(s, m)| s == "outside" && m.starts_with("ACK"))
        .count();
    let byes = one_sided
        .iter()
        .filter(|(s, m)| s == "outside" && m.starts_with("BYE"))
        .count();
    // 4 ACKs go to 10.10.0.10; 4 BYEs were sent, the last after the LAN capture ended.
    assert_eq!((acks, byes), (4, 3));
}

#[test]
fn dropped_fragments_leave_an_empty_outside() {
    let v = compare("mangle/captures/mangle_dropped_fragments");
    assert_eq!(summary(&v), (0, 5, 0, 0));
    assert_eq!(kind(&v, "compare_summary")[0]["empty_side"], "outside");
    assert_eq!(findings(&v), [f("router-dropped", "unknown", "error")]);
    let why = kind(&v, "finding")[0]["why"].as_str().unwrap().to_string();
    assert!(
        why.contains("5 time(s)") && why.contains("2 IP fragments"),
        "{why}"
    );
}

#[test]
fn stale_content_length_after_a_rewrite() {
    let v = compare("mangle/captures/mangle_bad_content_length");
    assert_eq!(summary(&v), (7, 0, 11, 2));
    assert_eq!(
        findings(&v),
        [
            f("alg-rewrite", "alg", "warning"),
            f("content-length-mismatch", "alg", "warning")
        ]
    );
    assert_eq!(
        rewritten(&v, "body length"),
        [("202".into(), "206".into(), 3)]
    );
    assert!(rewritten(&v, "Content-Length").is_empty());
}

#[test]
fn odd_syntax_partial_rewrite_and_a_dropped_malformed_bye() {
    // The kernel ALG rewrote every compact and folded header but one: the BYE's Via folded
    // between "SIP/2.0/UDP" and its address kept 10.10.0.10; and it dropped the malformed
    // BYE without CSeq (on LAN, not on WAN). Requests without CSeq are still paired.
    let v = compare("alg/captures/alg_odd_syntax_on");
    let got = findings(&v);
    assert_eq!(
        got,
        [
            f("alg-rewrite", "alg", "warning"),
            f("alg-rewrite", "alg", "warning"),
            f("alg-rewrite", "alg", "warning"),
            f("router-dropped", "alg", "error")
        ]
    );
    let whys: Vec<String> = kind(&v, "finding")
        .iter()
        .map(|f| f["why"].as_str().unwrap().to_string())
        .collect();
    assert!(
        whys.iter().any(|w| w.contains(
            "\"BYE sip:bob@203.0.113.20:5060\" (outside frame 108) left Via sent-by at 10.10.0.10"
        )),
        "{whys:?}"
    );
    let dropped = kind(&v, "one_sided");
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0]["seen"], "inside");
    assert!(dropped[0]["message"].as_str().unwrap().starts_with("BYE"));

    // Without the ALG nothing SIP is dropped or changed; only the provider's RTP to the
    // private address is lost.
    let v = compare("alg/captures/alg_odd_syntax_off");
    assert_eq!(findings(&v), [f("router-dropped", "nat", "error")]);
    assert_eq!(summary(&v).1, 0, "no one-sided SIP");
    assert_eq!(summary(&v).2, 0, "no rewrite");
}

#[test]
fn analyze_of_both_sides_at_once_points_to_compare() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_algscope"))
        .args(["analyze", "--json", "-q"])
        .arg(format!(
            "{dir}/fixtures/lab/alg/captures/alg_basic_on_lan.pcap"
        ))
        .arg(format!(
            "{dir}/fixtures/lab/alg/captures/alg_basic_on_wan.pcap"
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    // INVITE and BYE crossed the router: each seen on the LAN path and the WAN path.
    assert_eq!(summary["sip_transactions"]["seen_on_two_paths"], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 SIP requests were seen on two paths") && err.contains("algscope compare"),
        "{err}"
    );
    // One side alone: nothing seen twice, no note.
    let out = Command::new(env!("CARGO_BIN_EXE_algscope"))
        .args(["analyze", "--json", "-q"])
        .arg(format!(
            "{dir}/fixtures/lab/alg/captures/alg_basic_on_wan.pcap"
        ))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}
