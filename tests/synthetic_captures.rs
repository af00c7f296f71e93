//! The hand-built edge cases in fixtures/synthetic (scapy, see its README and
//! manifest.json, where each file's content is written down by construction). Each test
//! asserts the exact packet accounting and the facts the case exists for.

mod common;

use algscope::decode::Layer;
use algscope::engine::Transport;
use algscope::sip::{Anomaly, DeclaredLength, Host, Method, StartLine};

fn syn(name: &str) -> common::Run {
    common::run(&format!("synthetic/{name}"))
}

fn frames_of(run: &common::Run, call_id: &str) -> Vec<(u64, Vec<u64>)> {
    run.records
        .sip
        .iter()
        .filter(|r| r.msg.call_id.as_deref() == Some(call_id))
        .map(|r| (r.frame, r.other_frames.clone()))
        .collect()
}

#[test]
fn ipv4_fragments_in_order() {
    let run = syn("synthetic_ipv4_frag_inorder.pcap");
    run.assert_accounting(&[("sip", 2), ("fragment_reassembled", 2)]);
    let invite = &run.records.sip[0];
    assert_eq!((invite.frame, invite.other_frames.clone()), (3, vec![1, 2]));
    assert_eq!(invite.msg.len, 3049);
    assert_eq!(run.summary.decode.reassembled_datagrams, 1);
}

#[test]
fn ipv4_fragments_reordered_with_duplicate() {
    let run = syn("synthetic_ipv4_frag_reordered.pcap");
    run.assert_accounting(&[("sip", 2), ("fragment_reassembled", 3)]);
    assert_eq!(
        frames_of(&run, "frag-invite-1@192.0.2.10"),
        vec![(4, vec![1, 2, 3]), (5, vec![])]
    );
}

#[test]
fn overlapping_fragments_are_malformed_and_nothing_is_decoded() {
    let run = syn("synthetic_ipv4_frag_overlap.pcap");
    run.assert_accounting(&[("sip", 1), ("malformed", 3)]);
    assert_eq!(run.requests(), vec![("OPTIONS".to_string(), 1)]);
    let m: Vec<(u64, Layer)> = run
        .records
        .malformed
        .iter()
        .map(|m| (m.frame, m.layer))
        .collect();
    assert_eq!(m, vec![(2, Layer::Fragment), (3, Layer::Fragment)]);
    assert_eq!(
        run.records.malformed[0].reason,
        "overlapping fragments with different bytes"
    );
}

#[test]
fn incomplete_datagram_fragments_are_dropped() {
    let run = syn("synthetic_ipv4_frag_incomplete.pcap");
    run.assert_accounting(&[("sip", 2), ("fragment_dropped", 2)]);
}

#[test]
fn ipv6_fragments_out_of_order() {
    let run = syn("synthetic_ipv6_frag.pcap");
    run.assert_accounting(&[("sip", 2), ("fragment_reassembled", 2)]);
    assert_eq!(
        frames_of(&run, "frag6-invite@2001:db8::10"),
        vec![(3, vec![1, 2]), (4, vec![])]
    );
}

#[test]
fn tcp_segments_split_merged_reordered_and_retransmitted() {
    let run = syn("synthetic_tcp_sip_segments.pcap");
    run.assert_accounting(&[("sip", 12), ("sip_keepalive", 2), ("tcp_control", 6)]);
    let got: Vec<(u64, Vec<u64>, String)> = run
        .records
        .sip
        .iter()
        .map(|r| {
            assert_eq!(r.transport, Transport::Tcp);
            let s = match &r.msg.start {
                StartLine::Request { method, .. } => method.to_string(),
                StartLine::Response { code, .. } => code.to_string(),
            };
            (r.frame, r.other_frames.clone(), s)
        })
        .collect();
    let want: Vec<(u64, Vec<u64>, String)> = [
        (6, vec![4, 5], "REGISTER"),
        (7, vec![], "200"),
        (8, vec![], "OPTIONS"),
        (8, vec![], "MESSAGE"),
        (9, vec![], "200"),
        (10, vec![], "200"),
        (14, vec![13], "INVITE"),
        (16, vec![], "200"),
        (17, vec![], "ACK"),
    ]
    .into_iter()
    .map(|(f, o, s)| (f, o, s.to_string()))
    .collect();
    assert_eq!(got, want);
    let tcp = run.summary.decode.tcp;
    assert_eq!(
        (
            tcp.retransmissions,
            tcp.out_of_order,
            tcp.keepalives,
            tcp.gaps
        ),
        (1, 1, 2, 0)
    );
    let message = &run.records.sip[3].msg;
    assert_eq!(message.body.len(), 45);
    assert_eq!(message.content_length, DeclaredLength::Value(45));
}

#[test]
fn tcp_hole_never_filled_resyncs_on_the_next_start_line() {
    let run = syn("synthetic_tcp_sip_gap.pcap");
    run.assert_accounting(&[("sip", 8), ("tcp_control", 6)]);
    let calls: Vec<(u64, String)> = run
        .records
        .sip
        .iter()
        .map(|r| (r.frame, r.msg.call_id.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        calls,
        vec![
            (4, "gap-register@192.0.2.10".to_string()),
            (5, "gap-register@192.0.2.10".to_string()),
            (7, "gap-options@192.0.2.10".to_string()),
            (8, "gap-invite@192.0.2.10".to_string()),
            (9, "gap-options@192.0.2.10".to_string()),
            (10, "gap-message@192.0.2.10".to_string()),
            (11, "gap-message@192.0.2.10".to_string()),
        ]
    );
    assert_eq!(run.summary.decode.tcp.gaps, 1);
    // The INVITE's first 300 bytes (before the hole) and its 597-byte tail (after it).
    assert_eq!(run.summary.decode.tcp_junk_bytes, 897);
}

#[test]
fn tls_on_5061_is_counted_not_inspected() {
    let run = syn("synthetic_tls_5061.pcap");
    run.assert_accounting(&[("sip_tls", 7), ("tcp_control", 6)]);
    assert!(run.records.sip.is_empty());
}

#[test]
fn gtpu_erspan3_mpls_pppoe_tunnels() {
    let run = syn("synthetic_gtpu.pcap");
    run.assert_accounting(&[("sip", 3)]);
    assert_eq!(tunnels(&run), vec![("gtp-u", 3)]);
    let run = syn("synthetic_erspan3.pcap");
    run.assert_accounting(&[("sip", 2)]);
    assert_eq!(tunnels(&run), vec![("erspan", 2)]);
    let run = syn("synthetic_mpls_pppoe.pcap");
    run.assert_accounting(&[("sip", 3)]);
    assert_eq!((run.summary.decode.mpls, run.summary.decode.pppoe), (2, 1));
}

fn tunnels(run: &common::Run) -> Vec<(&'static str, u64)> {
    run.summary
        .decode
        .tunnels
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect()
}

#[test]
fn bsd_loopback_both_byte_orders() {
    let run = syn("synthetic_null_loopback.pcap");
    run.assert_accounting(&[("sip", 5)]);
    let run = syn("synthetic_loop.pcap");
    run.assert_accounting(&[("sip", 3)]);
}

#[test]
fn snaplen_cut_rtp_is_still_rtp_but_sip_is_truncated() {
    let run = syn("synthetic_snaplen.pcap");
    run.assert_accounting(&[("rtp", 10), ("truncated", 2)]);
    assert_eq!(run.summary.decode.snaplen_cut, 12);
    assert_eq!(run.summary.sip.truncated, 1);
    assert!(run.records.sip.is_empty());
}

#[test]
fn sip_syntax_real_devices_send() {
    let run = syn("synthetic_sip_syntax.pcap");
    run.assert_accounting(&[
        ("sip", 12),
        ("sip_keepalive", 1),
        ("udp_other", 1),
        ("malformed", 1),
    ]);
    let by_frame = |f: u64| {
        &run.records
            .sip
            .iter()
            .find(|r| r.frame == f)
            .unwrap_or_else(|| panic!("no message in frame {f}"))
            .msg
    };
    assert_eq!(by_frame(1).anomalies, vec![Anomaly::FoldedHeader]);
    assert_eq!(by_frame(2).anomalies, vec![Anomaly::LfLineEnds]);
    assert_eq!(by_frame(3).anomalies, vec![Anomaly::SpaceBeforeColon]);
    assert_eq!(
        by_frame(3).call_id.as_deref(),
        Some("syntax-lower@192.0.2.10")
    );
    assert_eq!(by_frame(4).method(), Some(&Method::Other("FOOBAR".into())));
    assert_eq!(
        by_frame(5).start,
        StartLine::Request {
            method: Method::Invite,
            uri: "tel:+4917612345678901234".into()
        }
    );
    let v6 = by_frame(6);
    assert_eq!(v6.vias[0].host, Host::Ip("2001:db8::10".parse().unwrap()));
    assert_eq!(v6.vias[0].port, Some(5060));
    assert_eq!(by_frame(7).anomalies, vec![Anomaly::NonUtf8]);
    assert_eq!(by_frame(8).anomalies, vec![Anomaly::CompactHeader]);
    assert_eq!(by_frame(8).sdp, Some(0..234));
    assert_eq!(by_frame(9).sdp, Some(54..288));
    assert!(by_frame(9).sdp_bytes().unwrap().starts_with(b"v=0"));
    assert_eq!(by_frame(11).anomalies, vec![Anomaly::ContentLengthMismatch]);
    assert_eq!(
        by_frame(12).content_length,
        DeclaredLength::Invalid("abc".into())
    );
    // Frame 10 runs between ports 15060 and 25060: SIP is found by its start line.
    assert_eq!(
        run.records
            .sip
            .iter()
            .find(|r| r.frame == 10)
            .unwrap()
            .src
            .port(),
        15060
    );
    let m = &run.records.malformed;
    assert_eq!((m.len(), m[0].frame, m[0].layer), (1, 14, Layer::Sip));
}

#[test]
fn media_kinds_are_told_apart() {
    let run = syn("synthetic_media_kinds.pcap");
    // Frame 5 (an RTCP-looking packet with a wrong length) and the DNS query are other UDP.
    run.assert_accounting(&[("rtp", 4), ("rtcp", 2), ("stun", 2), ("udp_other", 2)]);
}

#[test]
fn icmp_errors_quoting_sip_are_icmp() {
    let run = syn("synthetic_icmp_quoting_sip.pcap");
    run.assert_accounting(&[("sip", 2), ("icmp", 2)]);
    assert_eq!(run.summary.decode.icmp_quoting_sip, 2);
}

#[test]
fn vlan_stack_and_non_ip_frames() {
    let run = syn("synthetic_vlan_stack.pcap");
    run.assert_accounting(&[("sip", 2), ("non_ip", 2)]);
    assert_eq!(run.summary.decode.vlan_tagged, 2);
}

#[test]
fn cut_file_keeps_what_was_read_and_warns() {
    let run = syn("synthetic_truncated_file.pcap");
    run.assert_accounting(&[("sip", 3)]);
    assert_eq!(run.report.warnings.len(), 1);
    assert!(
        run.report.warnings[0].contains("after 3 packets"),
        "{}",
        run.report.warnings[0]
    );
}

#[test]
fn not_a_capture_and_unknown_link_type_are_clear_errors() {
    use algscope::analyze::{analyze_files, AnalyzeError};
    use algscope::source::SourceError;
    let err = |name: &str| {
        let mut sink = common::Collect::default();
        analyze_files(
            &[common::fixture(&format!("synthetic/{name}"))],
            algscope::engine::Config::default(),
            &mut sink,
            |_, _| {},
        )
        .err()
        .unwrap_or_else(|| panic!("{name} should fail"))
    };
    match err("synthetic_not_a_capture.pcap") {
        AnalyzeError::Source(SourceError::NotACapture { .. }) => {}
        other => panic!("{other}"),
    }
    match err("synthetic_unknown_linktype.pcap") {
        AnalyzeError::Source(SourceError::UnsupportedLink { dlt: 147, .. }) => {}
        other => panic!("{other}"),
    }
}
