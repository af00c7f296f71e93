//! The command line: output formats, exit codes, one-line errors.

use std::io::Write;
use std::process::{Command, Stdio};

fn algscope(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_algscope"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

fn one_line_error(out: &std::process::Output, starts: &str) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(starts), "{err}");
}

#[test]
fn json_lines_start_with_meta_and_end_with_summary() {
    let out = algscope(&["analyze", "--json", "fixtures/public/pkts__sip_rtp.pcap"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    // Flows close before their call is released, the call's findings follow it; the
    // summary is last. The capture's RTP runs one way only (501 packets, tshark's only
    // stream): a one-way-media finding.
    assert_eq!(kinds, vec!["meta", "flow", "call", "finding", "summary"]);
    assert_eq!(lines[3]["id"], "one-way-media");
    assert_eq!(lines[3]["direction"], "callee->caller");
    assert_eq!(lines[0]["schema_version"], 1);
    let flow = &lines[1];
    assert_eq!(flow["proto"], "rtp");
    assert_eq!(flow["packets"], 501);
    assert_eq!(flow["matched"], "exact");
    assert_eq!(flow["call_id"], lines[2]["call_id"]);
    let s = &lines[4];
    assert_eq!(s["kind"], "summary");
    // tshark: 507 frames, INVITE/ACK/BYE, 180, 200 x2, 501 RTP packets in one stream.
    assert_eq!(s["packets_read"], 507);
    assert_eq!(
        s["sip_requests"],
        serde_json::json!({"ACK": 1, "BYE": 1, "INVITE": 1})
    );
    assert_eq!(s["sip_responses"], serde_json::json!({"180": 1, "200": 2}));
    assert_eq!(s["accounting"]["rtp"], 501);
    assert_eq!(s["accounting"]["sip"], 6);
    let total: u64 = s["accounting"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 507);
}

#[test]
fn table_report_shows_sip_and_accounting() {
    let out = algscope(&["analyze", "fixtures/public/pkts__sip_rtp.pcap"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("507 packets"), "{text}");
    assert!(
        text.contains("6 SIP messages (6 UDP, 0 TCP), 1 Call-IDs"),
        "{text}"
    );
    assert!(text.contains("Packet accounting"), "{text}");
}

#[test]
fn stdin_is_read_with_a_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_algscope"))
        .args(["analyze", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/public/suricata__sip-tcp.pcap"),
    )
    .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let s: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(s["packets_read"], 11);
    assert_eq!(s["sip_transports"]["tcp"], 2);
}

#[test]
fn input_errors_are_one_line_and_exit_2() {
    one_line_error(
        &algscope(&["analyze", "fixtures/nope.pcap"]),
        "algscope: error: fixtures/nope.pcap: no such file",
    );
    one_line_error(
        &algscope(&["analyze", "fixtures/synthetic/synthetic_not_a_capture.pcap"]),
        "algscope: error: fixtures/synthetic/synthetic_not_a_capture.pcap: not a pcap or pcapng capture",
    );
    one_line_error(
        &algscope(&[
            "analyze",
            "fixtures/synthetic/synthetic_unknown_linktype.pcap",
        ]),
        "algscope: error: fixtures/synthetic/synthetic_unknown_linktype.pcap: link type",
    );
    one_line_error(
        &algscope(&["analyze", "fixtures"]),
        "algscope: error: fixtures: not a pcap or pcapng capture (it is a directory)",
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(algscope(&["analyze"]).status.code(), Some(2));
    assert_eq!(algscope(&["bogus"]).status.code(), Some(2));
}

#[test]
fn cut_file_is_analyzed_with_a_warning() {
    let out = algscope(&[
        "analyze",
        "-q",
        "fixtures/synthetic/synthetic_truncated_file.pcap",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("algscope: warning: "), "{err}");
    assert!(err.contains("after 3 packets"), "{err}");
}

#[test]
fn ladder_of_one_call() {
    let out = algscope(&[
        "analyze",
        "--call",
        "1-2582@192.0.2.10",
        "fixtures/lab/calls/captures/call_hold_resume.pcap",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Call-ID 1-2582@192.0.2.10: 13 messages, 1 call leg(s)"
    );
    // One row per SIP message, with its frame (tshark: 3,4,5,6,7,76,77,78,113,114,115,184,185).
    let frames: Vec<u64> = lines
        .iter()
        .filter(|l| l.contains('|'))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(
        frames,
        vec![3, 4, 5, 6, 7, 76, 77, 78, 113, 114, 115, 184, 185]
    );
    assert!(text.contains("== epoch 1 re-INVITE/200 (offer frame 76, answer frame 77): caller audio 192.0.2.10:16000 sendonly"), "{text}");
    assert!(
        text.contains(
            "media epoch 1 stream 0 caller->callee: 34 rtp packets, matched exact (frames 79-112)"
        ),
        "{text}"
    );
    assert!(
        !text.contains("media epoch 1 stream 0 callee->caller"),
        "{text}"
    );
}

#[test]
fn fail_on_severity_sets_exit_1() {
    // call_one_way_rtp has one error (one-way-media); call_basic has none.
    let one_way = "fixtures/lab/calls/captures/call_one_way_rtp.pcap";
    let basic = "fixtures/lab/calls/captures/call_basic.pcap";
    assert_eq!(algscope(&["analyze", "-q", one_way]).status.code(), Some(0));
    assert_eq!(
        algscope(&["analyze", "-q", "--fail-on", "error", one_way])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        algscope(&["analyze", "-q", "--fail-on", "warning", one_way])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        algscope(&["analyze", "-q", "--fail-on", "info", basic])
            .status
            .code(),
        Some(0)
    );
    // The synthetic syntax capture has warnings only.
    let warn = "fixtures/synthetic/synthetic_sip_syntax.pcap";
    assert_eq!(
        algscope(&["analyze", "-q", "--fail-on", "error", warn])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        algscope(&["analyze", "-q", "--fail-on", "warning", warn])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        algscope(&["analyze", "--fail-on", "bogus", basic])
            .status
            .code(),
        Some(2)
    );
}
