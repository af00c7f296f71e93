//! Real calls from the lab (fixtures/lab: sipp between network namespaces, captured with
//! tcpdump; ground truth from tshark in fixtures/lab/manifest.json). Every capture: the
//! packets, SIP per method and status, Call-IDs and RTP packets equal tshark's, and the
//! accounting is exact. Cross-checks for the accounting, per file:
//!   tshark -r F -Y 'not ip and not ipv6' | wc -l          (non_ip)
//!   tshark -r F -Y 'icmp or icmpv6' | wc -l               (icmp)
//!   tshark -r F -Y 'tcp.len==0' | wc -l                   (tcp_control)
//!   tshark -r F -Y 'tcp.len>0' | wc -l                    (SIP/TLS segments)
//!   tshark -r F -Y 'ip.flags.mf==1 || ip.frag_offset>0 || ipv6.fraghdr' | wc -l

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// (file, accounting classes that are not zero). Every file also has the call's 7 SIP
/// packets (or 14 TLS segments) and 134 RTP packets.
const ACCOUNTING: &[(&str, &[(&str, u64)])] = &[
    (
        "lab_linux_sll.pcap",
        &[("sip", 7), ("rtp", 134), ("non_ip", 2)],
    ),
    (
        "lab_linux_sll2.pcap",
        &[("sip", 7), ("rtp", 134), ("non_ip", 2)],
    ),
    (
        "lab_pcapng_call.pcapng",
        &[("sip", 7), ("rtp", 134), ("non_ip", 2)],
    ),
    ("lab_rawip.pcap", &[("sip", 7), ("rtp", 134)]),
    (
        "lab_tcp_call.pcap",
        &[("sip", 7), ("rtp", 134), ("tcp_control", 12), ("non_ip", 2)],
    ),
    (
        "lab_tls_5061.pcap",
        &[
            ("sip_tls", 14),
            ("rtp", 134),
            ("tcp_control", 12),
            ("non_ip", 2),
        ],
    ),
    // 2 ARP on the underlay and 2 inside the VXLAN tunnel.
    (
        "lab_tunnel_vxlan.pcap",
        &[("sip", 7), ("rtp", 134), ("non_ip", 4)],
    ),
    (
        "lab_udp_call_ipv4.pcap",
        &[("sip", 7), ("rtp", 134), ("non_ip", 2)],
    ),
    (
        "lab_udp_call_ipv4_nanosec.pcap",
        &[("sip", 7), ("rtp", 134), ("non_ip", 2)],
    ),
    (
        "lab_udp_call_ipv6.pcap",
        &[("sip", 7), ("rtp", 134), ("icmp", 2)],
    ),
    (
        "lab_udp_fragmented_invite.pcap",
        &[
            ("sip", 7),
            ("rtp", 134),
            ("non_ip", 2),
            ("fragment_reassembled", 1),
        ],
    ),
    (
        "lab_udp_fragmented_invite_ipv6.pcap",
        &[
            ("sip", 7),
            ("rtp", 134),
            ("icmp", 2),
            ("fragment_reassembled", 1),
        ],
    ),
    (
        "lab_vlan_8021q.pcap",
        &[("sip", 7), ("rtp", 134), ("non_ip", 2)],
    ),
    (
        "lab_vlan_qinq.pcap",
        &[("sip", 7), ("rtp", 134), ("non_ip", 2)],
    ),
];

fn counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

#[test]
fn every_lab_capture_matches_tshark_and_its_accounting() {
    let text = std::fs::read_to_string(common::fixture("lab/manifest.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let captures = doc["captures"].as_array().unwrap();
    assert_eq!(captures.len(), ACCOUNTING.len());
    for e in captures {
        let file = e["file"].as_str().unwrap();
        let run = common::run(&format!("lab/captures/{file}"));
        let s = &run.summary;
        assert_eq!(s.packets_read, e["packets"].as_u64().unwrap(), "{file}");
        let got: BTreeMap<String, u64> = run.requests().into_iter().collect();
        assert_eq!(got, counts(&e["sip_requests"]), "{file}");
        let got: BTreeMap<String, u64> = run
            .responses()
            .into_iter()
            .map(|(c, n)| (c.to_string(), n))
            .collect();
        assert_eq!(got, counts(&e["sip_responses"]), "{file}");
        let ids = e["sip_call_ids"].as_array().unwrap();
        assert_eq!(s.sip.distinct_call_ids(), ids.len(), "{file}");
        for r in &run.records.sip {
            let id = r.msg.call_id.clone().unwrap();
            assert!(ids.iter().any(|i| i.as_str() == Some(&id)), "{file}: {id}");
        }
        assert_eq!(
            run.class("rtp"),
            e["rtp_packets"].as_u64().unwrap(),
            "{file}"
        );
        let (_, acc) = ACCOUNTING
            .iter()
            .find(|(f, _)| *f == file)
            .unwrap_or_else(|| panic!("{file} has no accounting row"));
        run.assert_accounting(acc);
    }
}

#[test]
fn fragmented_invites_are_reassembled_with_their_frames() {
    // tshark -r F -Y 'sip.Method==INVITE' -T fields -e frame.number -e ip.fragment
    //   -e udp.length (ipv6.fragment for the IPv6 file): INVITE in frame 4, fragments
    //   3,4, UDP length 2785 (IPv4) and 2823 (IPv6): the SIP message is 8 bytes less.
    for (file, len) in [
        ("lab/captures/lab_udp_fragmented_invite.pcap", 2777),
        ("lab/captures/lab_udp_fragmented_invite_ipv6.pcap", 2815),
    ] {
        let run = common::run(file);
        let invite = run
            .records
            .sip
            .iter()
            .find(|r| r.msg.method() == Some(&algscope::sip::Method::Invite))
            .unwrap();
        assert_eq!(
            (invite.frame, invite.other_frames.clone()),
            (4, vec![3]),
            "{file}"
        );
        assert_eq!(invite.msg.len, len, "{file}");
        assert_eq!(run.summary.decode.reassembled_datagrams, 1);
    }
}

#[test]
fn vxlan_and_vlan_layers_are_counted() {
    let run = common::run("lab/captures/lab_tunnel_vxlan.pcap");
    // tshark -r F -Y vxlan | wc -l  -> 143
    let vx: Vec<_> = run
        .summary
        .decode
        .tunnels
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(vx, vec![("vxlan", 143)]);
    let run = common::run("lab/captures/lab_vlan_qinq.pcap");
    assert_eq!(run.summary.decode.vlan_tagged, 143);
}

#[test]
fn several_files_merge_by_timestamp() {
    // The same call captured twice (microsecond and nanosecond pcap): merged, every
    // frame is read once from each file, in time order, and SIP is counted twice.
    let a = common::fixture("lab/captures/lab_udp_call_ipv4.pcap");
    let b = common::fixture("lab/captures/lab_udp_call_ipv4_nanosec.pcap");
    let run = common::run_files(&[a, b]);
    assert_eq!(run.summary.packets_read, 286);
    run.assert_accounting(&[("sip", 14), ("rtp", 268), ("non_ip", 4)]);
    let ts: Vec<_> = run.records.sip.iter().map(|r| r.ts).collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted);
}
