//! Tunnels: the real lab call (fixtures/lab) re-encapsulated by
//! fixtures/tunnels/encapsulate.py in IP-in-IP (4in4, 6in4, 4in6, 6in6, with and without
//! the IPv6 encapsulation-limit option), GRE (key+sequence, over IPv6), gretap, ERSPAN
//! types I and II, VXLAN in GRE in 802.1Q, and IP-in-IP fragmented at the outer layer
//! (the sandbox kernel has no tunnel drivers; see fixtures/tunnels/README.md). The inner
//! call must come out exactly as tshark sees it (fixtures/tunnels/manifest.json).

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// (file, tunnel kinds decapsulated with their packet counts, non-IP/ICMP class, outer
/// fragments reassembled). The IPv4 call has 2 ARP frames (141 IP packets); the IPv6
/// call has 2 ICMPv6 packets (143 IP packets).
type Row = (
    &'static str,
    &'static [(&'static str, u64)],
    (&'static str, u64),
    u64,
);

const TUNNELS: &[Row] = &[
    (
        "tunnel_ipip_synthetic_encap.pcap",
        &[("ip-in-ip", 141)],
        ("non_ip", 2),
        0,
    ),
    (
        "tunnel_sit_synthetic_encap.pcap",
        &[("ip-in-ip", 143)],
        ("icmp", 2),
        0,
    ),
    (
        "tunnel_ip6tnl_4in6_synthetic_encap.pcap",
        &[("ip-in-ip", 141)],
        ("non_ip", 2),
        0,
    ),
    (
        "tunnel_ip6ip6_synthetic_encap.pcap",
        &[("ip-in-ip", 143)],
        ("icmp", 2),
        0,
    ),
    (
        "tunnel_ip6ip6_encaplimit_synthetic_encap.pcap",
        &[("ip-in-ip", 143)],
        ("icmp", 2),
        0,
    ),
    (
        "tunnel_gre_synthetic_encap.pcap",
        &[("gre", 141)],
        ("non_ip", 2),
        0,
    ),
    (
        "tunnel_gre_ipv6_synthetic_encap.pcap",
        &[("gre", 143)],
        ("icmp", 2),
        0,
    ),
    // Ethernet inside: the ARP frames travel inside the tunnel too.
    (
        "tunnel_gretap_synthetic_encap.pcap",
        &[("gre", 143)],
        ("non_ip", 2),
        0,
    ),
    (
        "tunnel_erspan_type1_synthetic_encap.pcap",
        &[("erspan", 143)],
        ("non_ip", 2),
        0,
    ),
    (
        "tunnel_erspan_type2_synthetic_encap.pcap",
        &[("erspan", 143)],
        ("non_ip", 2),
        0,
    ),
    (
        "tunnel_vlan_gre_vxlan_synthetic_encap.pcap",
        &[("gre", 143), ("vxlan", 143)],
        ("non_ip", 2),
        0,
    ),
    // The INVITE and the 200 OK are each cut in two outer fragments (4 frames, 145 in all).
    (
        "tunnel_ipip_outer_fragmented_synthetic_encap.pcap",
        &[("ip-in-ip", 141)],
        ("non_ip", 2),
        2,
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
fn every_tunnel_yields_the_inner_call() {
    let text = std::fs::read_to_string(common::fixture("tunnels/manifest.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let captures = doc["files"].as_array().unwrap();
    assert_eq!(captures.len(), TUNNELS.len());
    for e in captures {
        let file = e["file"].as_str().unwrap();
        let (_, tunnels, other, frags) = TUNNELS
            .iter()
            .find(|t| t.0 == file)
            .unwrap_or_else(|| panic!("{file} not listed"));
        let run = common::run(&format!("tunnels/{file}"));
        assert_eq!(
            run.summary.packets_read,
            e["packets"].as_u64().unwrap(),
            "{file}"
        );
        let got: BTreeMap<String, u64> = run.requests().into_iter().collect();
        assert_eq!(got, counts(&e["sip_requests"]), "{file}");
        let got: BTreeMap<String, u64> = run
            .responses()
            .into_iter()
            .map(|(c, n)| (c.to_string(), n))
            .collect();
        assert_eq!(got, counts(&e["sip_responses"]), "{file}");
        assert_eq!(
            run.summary.sip.distinct_call_ids(),
            e["sip_call_ids"].as_array().unwrap().len(),
            "{file}"
        );
        assert_eq!(
            run.class("rtp"),
            e["rtp_packets"].as_u64().unwrap(),
            "{file}"
        );
        let mut acc = vec![("sip", 7), ("rtp", 134), *other];
        if *frags > 0 {
            acc.push(("fragment_reassembled", *frags));
        }
        run.assert_accounting(&acc);
        let got: Vec<(&str, u64)> = run
            .summary
            .decode
            .tunnels
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(got, tunnels.to_vec(), "{file}");
        assert_eq!(run.summary.malformed_total, 0, "{file}");
    }
}
