//! Live capture through the CLI on the loopback interface: needs root (or the capture
//! capabilities); without them the test says why and passes without running. CI runs as
//! root. The engine is the same as for files; this proves the live source, the BPF
//! filter option and the stop conditions.

use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

fn can_capture() -> Result<(), String> {
    match pcap::Capture::from_device("lo").and_then(|c| c.open()) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn live_loopback_with_filter_counts_sip() {
    if let Err(why) = can_capture() {
        eprintln!("SKIPPED live_loopback_with_filter_counts_sip: cannot capture on lo ({why}); run as root");
        return;
    }
    let child = Command::new(env!("CARGO_BIN_EXE_algscope"))
        .args([
            "analyze",
            "-i",
            "lo",
            "--filter",
            "udp dst port 15099",
            "--duration",
            "3",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start algscope");
    std::thread::sleep(Duration::from_millis(1000));
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..3 {
        let msg = format!(
            "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bKlive{i}\r\n\
             From: <sip:t@127.0.0.1>;tag=live\r\nTo: <sip:probe@127.0.0.1>\r\nCall-ID: live-{i}@127.0.0.1\r\n\
             CSeq: {i} OPTIONS\r\nContent-Length: 0\r\n\r\n",
            sock.local_addr().unwrap().port()
        );
        sock.send_to(msg.as_bytes(), "127.0.0.1:15099").unwrap();
        // Not matched by the filter: must not be counted.
        sock.send_to(b"noise", "127.0.0.1:15098").unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("algscope ran");
    assert!(out.status.success(), "exit {:?}", out.status);
    let text = String::from_utf8(out.stdout).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a summary line")).unwrap();
    assert_eq!(summary["kind"], "summary");
    // Exactly the 3 OPTIONS the filter lets through (ICMP errors for the closed port go
    // to the sender, not to port 15099).
    assert_eq!(summary["packets_read"], 3, "{text}");
    assert_eq!(summary["sip_requests"]["OPTIONS"], 3);
    assert_eq!(summary["sip_call_ids"], 3);
    assert_eq!(summary["accounting"]["sip"], 3);
}

#[test]
fn missing_interface_is_one_line_and_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_algscope"))
        .args(["analyze", "-i", "no-such-if0", "--duration", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("algscope: error: interface no-such-if0"),
        "{err}"
    );
}

/// As a user without privileges: one clear error line naming the setcap fix, exit 2;
/// with the capabilities the README's setcap line grants, the same user can capture.
/// Needs root (to drop to `nobody` and to set file capabilities) and setpriv + setcap.
#[test]
fn non_root_needs_the_capabilities_and_works_with_them() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let tools = ["setpriv", "setcap"].iter().all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !root || !tools {
        eprintln!("SKIPPED non_root_needs_the_capabilities_and_works_with_them: needs root, setpriv and setcap");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("algscope-caps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.join("algscope");
    std::fs::copy(env!("CARGO_BIN_EXE_algscope"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |extra: &[&str]| {
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(&bin)
            .args(["live", "-i", "lo", "--duration", "1", "-q"])
            .args(extra)
            .output()
            .unwrap()
    };
    let denied = as_nobody(&[]);
    assert_eq!(denied.status.code(), Some(2));
    let err = String::from_utf8_lossy(&denied.stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("permission denied") && err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
    let set = Command::new("setcap")
        .args(["cap_net_raw,cap_net_admin=eip"])
        .arg(&bin)
        .output()
        .unwrap();
    if !set.status.success() {
        // e.g. a temp filesystem without extended attributes
        eprintln!(
            "SKIPPED the capability half: setcap failed: {}",
            String::from_utf8_lossy(&set.stderr)
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let granted = as_nobody(&["--json"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    let out = String::from_utf8_lossy(&granted.stdout);
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "summary");
}
