//! The engine's RTP flows against tshark's `-z rtp,streams` on every fixture
//! (fixtures/rtp_streams.json, made by tests/tools/tshark_rtp_streams.py with
//! `tshark -r F -q -z rtp,streams -o rtp.heuristic_rtp:TRUE`): for each stream tshark
//! lists, the flow with the same addresses, ports and SSRC has the same packets and lost
//! figures, and max jitter, mean jitter and max delta within 0.01 ms. The clock rates come
//! from the SDP the engine matched the flow to (as tshark takes them from the SDP).

mod common;

use serde_json::Value;

/// Streams where tshark and algscope differ on purpose: (file, src port, dst port, why).
const KNOWN: &[(&str, u16, u16, &str)] = &[
    (
        "public/ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
        15580,
        16756,
        "an H.248/MEGACO SDP (frame 1435) sets port 16756 up as T.38, so tshark decodes \
         the last 27 packets as UDPTL; algscope reads SIP's SDP only and keeps them as RTP",
    ),
    (
        "public/ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
        16756,
        15580,
        "same stream pair: tshark's jitter includes the packets after the MEGACO switch",
    ),
];

#[test]
fn engine_flows_equal_tshark_rtp_streams() {
    let text = std::fs::read_to_string(common::fixture("rtp_streams.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut report = Vec::new();
    let mut streams = 0;
    for (rel, list) in doc["files"].as_object().unwrap() {
        let list = list.as_array().unwrap();
        if list.is_empty() {
            continue;
        }
        let run = common::run(rel);
        for s in list {
            streams += 1;
            let src = format!("{}:{}", s["src"].as_str().unwrap(), s["src_port"]);
            let dst = format!("{}:{}", s["dst"].as_str().unwrap(), s["dst_port"]);
            let (src, dst) = (bracket(&src), bracket(&dst));
            let ssrc =
                u32::from_str_radix(s["ssrc"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap();
            let sport = s["src_port"].as_u64().unwrap() as u16;
            let dport = s["dst_port"].as_u64().unwrap() as u16;
            if KNOWN
                .iter()
                .any(|k| k.0 == rel && k.1 == sport && k.2 == dport)
            {
                continue;
            }
            let flow = run.records.flows.iter().map(|f| &f.flow).find(|f| {
                f.key.src.to_string() == src
                    && f.key.dst.to_string() == dst
                    && f.key.ssrc == ssrc
                    && f.rtp.is_some()
            });
            let Some(flow) = flow else {
                report.push(format!("{rel}: no flow {src} -> {dst} ssrc {ssrc:#x}"));
                continue;
            };
            let r = flow.rtp.as_ref().unwrap();
            let pk = s["packets"].as_u64().unwrap();
            let lost = s["lost"].as_i64().unwrap();
            if r.packets() != pk || r.lost() != lost {
                report.push(format!(
                    "{rel}: {src} -> {dst}: packets {} lost {} (tshark {pk}, {lost})",
                    r.packets(),
                    r.lost()
                ));
            }
            for (name, ours, theirs) in [
                (
                    "max jitter",
                    r.max_jitter_ms(),
                    s["max_jitter_ms"].as_f64().unwrap(),
                ),
                (
                    "mean jitter",
                    r.mean_jitter_ms(),
                    s["mean_jitter_ms"].as_f64().unwrap(),
                ),
                (
                    "max delta",
                    r.max_delta_ms(),
                    s["max_delta_ms"].as_f64().unwrap(),
                ),
            ] {
                if (ours - theirs).abs() > 0.01 {
                    report.push(format!(
                        "{rel}: {src} -> {dst}: {name} {ours:.3} (tshark {theirs:.3})"
                    ));
                }
            }
        }
    }
    assert!(streams >= 100, "{streams} streams");
    assert!(
        report.is_empty(),
        "{} differences:\n{}",
        report.len(),
        report.join("\n")
    );
}

fn bracket(a: &str) -> String {
    // tshark prints IPv6 without brackets; SocketAddr's Display uses them.
    match a.rsplit_once(':') {
        Some((ip, port)) if ip.contains(':') => format!("[{ip}]:{port}"),
        _ => a.to_string(),
    }
}
