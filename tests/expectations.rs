//! CI regression: every `fixtures/**/<capture>.expect.json` lists the findings its
//! capture must give (id, Call-ID, direction, cause). `algscope analyze --expect` exits
//! 0 when they are equal, 1 when they differ (printing the difference), 2 on bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn expectation_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            expectation_files(&path, out);
        } else if path.to_string_lossy().ends_with(".expect.json") {
            out.push(path);
        }
    }
}

fn algscope(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_algscope"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_fixture_meets_its_expectation() {
    let mut files = Vec::new();
    expectation_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut files,
    );
    files.sort();
    assert_eq!(files.len(), 99, "expectation files");
    for expect in files {
        let name = expect.to_string_lossy().into_owned();
        let capture = name.trim_end_matches(".expect.json").to_string() + ".pcap";
        assert!(Path::new(&capture).exists(), "{capture}");
        let out = algscope(&["analyze", "-q", "--expect", &name, &capture]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{capture}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_differing_expectation_exits_1_and_says_why() {
    let dir = std::env::temp_dir().join(format!("algscope-expect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wrong.expect.json");
    std::fs::write(
        &file,
        r#"{"findings": [{"id": "no-media", "call_id": "x", "direction": null, "cause": "nat"}]}"#,
    )
    .unwrap();
    let out = algscope(&[
        "analyze",
        "-q",
        "--expect",
        file.to_str().unwrap(),
        "fixtures/lab/calls/captures/call_one_way_rtp.pcap",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing: no-media call x direction - cause nat"),
        "{err}"
    );
    assert!(
        err.contains("unexpected: one-way-media call 1-2592@192.0.2.10 direction caller->callee cause unknown"),
        "{err}"
    );
    std::fs::write(&file, "not json").unwrap();
    let out = algscope(&[
        "analyze",
        "-q",
        "--expect",
        file.to_str().unwrap(),
        "fixtures/lab/calls/captures/call_basic.pcap",
    ]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
