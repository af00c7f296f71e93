//! `algscope live` against real calls: tests/lab/live_vs_analyze.sh builds two network
//! namespaces joined by a veth pair, captures the veth with `algscope live` and tcpdump at
//! the same time while sipp runs a call with RTP both ways and a call with RTP one way (on
//! purpose), then stops algscope with SIGTERM. The live findings must equal what
//! `algscope analyze` finds in tcpdump's capture of the same traffic; the evidence pcap
//! must hold the broken call.
//!
//! Needs root (namespaces, capture) and sipp, tcpdump, ethtool, ss (CI installs them and
//! runs as root); otherwise the test prints why and passes without running.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn missing_prerequisite() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root (network namespaces and capture need root)".into());
    }
    for tool in ["ip", "sipp", "tcpdump", "ethtool", "ss"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("{tool} not installed"));
        }
    }
    if !Path::new("/usr/share/sip-tester/g711a.pcap").exists() {
        return Some("sipp's g711a.pcap missing (Debian package sip-tester)".into());
    }
    None
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// (id, call_id, direction, cause) of every finding, sorted.
fn findings(records: &[Value]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = records
        .iter()
        .filter(|r| r["kind"] == "finding")
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_string(),
                r["call_id"].as_str().unwrap_or("-").to_string(),
                r["direction"].as_str().unwrap_or("-").to_string(),
                r["cause"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn analyze(path: &Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_algscope"))
        .args(["analyze", "--json"])
        .arg(path)
        .output()
        .expect("run algscope analyze");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn live_findings_equal_analyze_of_the_same_traffic() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("SKIPPED live_findings_equal_analyze_of_the_same_traffic: {why}");
        return;
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("live_lab");
    let _ = std::fs::remove_dir_all(&out);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/live_vs_analyze.sh");
    let run = Command::new(&script)
        .arg(env!("CARGO_BIN_EXE_algscope"))
        .arg(&out)
        .output()
        .expect("run the live lab");
    let err = std::fs::read_to_string(out.join("live.err")).unwrap_or_default();
    assert!(
        run.status.success(),
        "lab failed: {}\n{}\nalgscope stderr:\n{err}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );

    let live = lines(&std::fs::read_to_string(out.join("live.jsonl")).unwrap());
    // Stopped by SIGTERM, it still wrote the whole report: meta first, summary last.
    assert_eq!(live.first().map(|r| &r["kind"]), Some(&Value::from("meta")));
    assert_eq!(
        live.last().map(|r| &r["kind"]),
        Some(&Value::from("summary"))
    );
    let statuses: Vec<&Value> = live.iter().filter(|r| r["kind"] == "status").collect();
    assert!(
        statuses.len() >= 3,
        "a status record per second: {statuses:?}"
    );
    for s in &statuses {
        assert_eq!(s["kernel_drops"], 0, "{s}");
    }

    let captured = analyze(&out.join("tcpdump.pcap"));
    let live_summary = live.last().unwrap();
    let file_summary = captured.last().unwrap();
    // The same packets: algscope and tcpdump saw the same wire.
    assert_eq!(live_summary["packets_read"], file_summary["packets_read"]);
    assert_eq!(live_summary["accounting"], file_summary["accounting"]);
    assert_eq!(live_summary["calls"], 2);

    let calls: Vec<String> = captured
        .iter()
        .filter(|r| r["kind"] == "call")
        .map(|r| r["call_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let one_way_call = &calls[1];
    // The one-way call (the phone, the caller, sends nothing) and nothing else.
    let expected = vec![(
        "one-way-media".to_string(),
        one_way_call.clone(),
        "caller->callee".to_string(),
        "unknown".to_string(),
    )];
    assert_eq!(findings(&captured), expected);
    assert_eq!(findings(&live), expected);

    // Evidence: one pcap, the broken call's, with its SIP and its media.
    let evidence: Vec<PathBuf> = std::fs::read_dir(out.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    let name = evidence[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let sanitized: String = one_way_call
        .chars()
        .map(|c| if c == '@' { '_' } else { c })
        .collect();
    assert!(name.ends_with(&format!("Z_{sanitized}.pcap")), "{name}");
    let ev = analyze(&evidence[0]);
    assert_eq!(findings(&ev), expected);
    let ev_summary = ev.last().unwrap();
    // The whole call: INVITE/100/180/200/ACK/BYE/200 and every RTP packet of it.
    assert_eq!(ev_summary["sip_messages"], 7);
    let call_rtp: u64 = captured
        .iter()
        .filter(|r| r["kind"] == "flow")
        .flat_map(|r| r["epochs"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["call_id"].as_str() == Some(one_way_call.as_str()))
        .map(|e| e["packets"].as_u64().unwrap_or(0))
        .sum();
    assert!(call_rtp > 0);
    assert_eq!(ev_summary["accounting"]["rtp"].as_u64(), Some(call_rtp));

    // The rolling capture (--write): one file, holding every SIP and media packet of the
    // run and nothing else, so it analyzes to the same findings.
    let rolled: Vec<PathBuf> = std::fs::read_dir(out.join("roll"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(rolled.len(), 1, "{rolled:?}");
    assert!(rolled[0].ends_with("voip-00001.pcap"), "{rolled:?}");
    let roll = analyze(&rolled[0]);
    assert_eq!(findings(&roll), expected);
    let roll_summary = roll.last().unwrap();
    for class in ["sip", "rtp", "rtcp", "udptl"] {
        assert_eq!(
            roll_summary["accounting"][class], file_summary["accounting"][class],
            "{class}"
        );
    }
    assert_eq!(roll_summary["accounting"]["non_ip"], 0);
}
