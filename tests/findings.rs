//! Each finding fires on a capture that shows it and stays silent on clean ones. Captures
//! of real traffic: the lab call flows (fixtures/lab/calls) and the lab with a real Linux
//! kernel SIP ALG on a NAT router, captured on both router sides (fixtures/lab/alg: ALG
//! on and off; see its README and manifest for what really happened on the wire).

mod common;

use algscope::findings::Cause;

/// (id, direction, cause, epoch) of every finding of a capture, sorted.
fn findings(rel: &str) -> Vec<(String, Option<&'static str>, &'static str, Option<usize>)> {
    let run = common::run(rel);
    let mut v: Vec<_> = run
        .records
        .findings
        .iter()
        .map(|f| (f.id.to_string(), f.direction, f.cause.as_str(), f.epoch))
        .collect();
    v.sort();
    v
}

fn f(
    id: &str,
    dir: Option<&'static str>,
    cause: Cause,
    epoch: Option<usize>,
) -> (String, Option<&'static str>, &'static str, Option<usize>) {
    (id.to_string(), dir, cause.as_str(), epoch)
}

#[test]
fn clean_calls_have_no_findings() {
    for file in [
        "lab/calls/captures/call_basic.pcap",
        "lab/calls/captures/call_hold_resume.pcap",
        "lab/calls/captures/call_hold_inactive_zero_addr.pcap",
        "lab/calls/captures/call_reinvite_port_change.pcap",
        "lab/calls/captures/call_t38_reinvite.pcap",
        "lab/calls/captures/call_refer_transfer.pcap",
        "lab/calls/captures/call_early_media_183.pcap",
        "lab/calls/captures/call_forked.pcap",
        "lab/calls/captures/call_udp_and_rtcp.pcap",
        "lab/alg/captures/alg_basic_on_lan.pcap",
        "lab/alg/captures/alg_hold_resume_on_lan.pcap",
        "lab/alg/captures/alg_register_on_lan.pcap",
        "lab/alg/captures/alg_register_off_lan.pcap",
        // SIP only (no media in the capture): silence proves nothing.
        "public/pkts__sipp_sll.pcap",
    ] {
        assert_eq!(findings(file), vec![], "{file}");
    }
}

#[test]
fn one_way_media_fires_and_hold_does_not() {
    // The caller sends nothing (tshark: one RTP stream, callee -> caller, 67 packets).
    assert_eq!(
        findings("lab/calls/captures/call_one_way_rtp.pcap"),
        vec![f(
            "one-way-media",
            Some("caller->callee"),
            Cause::Unknown,
            Some(0)
        )]
    );
    // ALG off, phone side of the router: the provider's RTP to the private address never
    // comes in (the router drops it; tshark on the WAN file shows it leaving the provider).
    assert_eq!(
        findings("lab/alg/captures/alg_basic_off_lan.pcap"),
        vec![f(
            "one-way-media",
            Some("callee->caller"),
            Cause::Unknown,
            Some(0)
        )]
    );
    // Hold (epoch 1, sendonly/recvonly): the callee's silence is expected; not in epochs
    // 0 and 2.
    assert_eq!(
        findings("lab/alg/captures/alg_hold_resume_off_lan.pcap"),
        vec![
            f(
                "one-way-media",
                Some("callee->caller"),
                Cause::Unknown,
                Some(0)
            ),
            f(
                "one-way-media",
                Some("callee->caller"),
                Cause::Unknown,
                Some(2)
            ),
        ]
    );
}

#[test]
fn private_sdp_behind_nat_without_alg() {
    // WAN side, ALG off: SDP c=10.10.0.10 arriving from 198.51.100.1, the phone's RTP
    // leaving the router from 198.51.100.1:16000, the provider sending back to
    // 10.10.0.10:16000 (tshark -q -z rtp,streams on the WAN files; the router drops those,
    // its counters are in the *_router.txt files).
    for file in [
        "lab/alg/captures/alg_basic_off_wan.pcap",
        "lab/alg/captures/alg_hold_resume_off_wan.pcap",
        "lab/alg/captures/alg_t38_reinvite_off_wan.pcap",
    ] {
        assert_eq!(
            findings(file),
            vec![
                f(
                    "media-source-mismatch",
                    Some("caller->callee"),
                    Cause::Nat,
                    Some(0)
                ),
                f("sdp-private-address", None, Cause::Nat, Some(0)),
            ],
            "{file}"
        );
        let run = common::run(file);
        let m = run
            .records
            .findings
            .iter()
            .find(|x| x.id == "media-source-mismatch")
            .unwrap();
        assert_eq!(m.severity, algscope::findings::Severity::Warning);
        assert!(
            m.why
                .contains("comes from 198.51.100.1:16000 while its SDP announced 10.10.0.10:16000"),
            "{}",
            m.why
        );
    }
}

#[test]
fn t38_failures() {
    // The T.38 re-INVITE answered 488 (tshark: frame with status 488, CSeq INVITE).
    assert_eq!(
        findings("lab/calls/captures/call_t38_rejected.pcap"),
        vec![f("t38-failed", None, Cause::Unknown, None)]
    );
    // ALG on: the provider's UDPTL is refused by the router (ICMP port unreachable on the
    // WAN side), so on the phone side T.38 was accepted but no UDPTL ever arrives.
    assert_eq!(
        findings("lab/alg/captures/alg_t38_reinvite_on_lan.pcap"),
        vec![f(
            "t38-failed",
            Some("callee->caller"),
            Cause::Unknown,
            Some(1)
        )]
    );
}

#[test]
fn content_length_and_malformed_sip() {
    let run = common::run("synthetic/synthetic_sip_syntax.pcap");
    let got: Vec<(&str, Vec<u64>)> = run
        .records
        .findings
        .iter()
        .map(|f| (f.id, f.evidence.iter().map(|e| e.frame).collect()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("content-length-mismatch", vec![11]),
            ("malformed-sip", vec![14])
        ]
    );
    // The kernel ALG rewrites the SDP and fixes Content-Length (202 -> 206): no mismatch
    // (its only finding there is its own fingerprint).
    assert_eq!(
        findings("lab/alg/captures/alg_basic_on_wan.pcap"),
        vec![f("alg-rewrite", None, Cause::Alg, None)]
    );
}

#[test]
fn alg_fingerprint_on_the_public_side_only_with_the_alg_on() {
    // WAN side, ALG on (tshark -Y sip -T fields -e sip.Via -e sip.Contact -e sip.Call-ID
    // -e sdp.owner.address -e sdp.connection_info.address): Via, Contact, o= and c= say
    // 198.51.100.1, the Call-ID host still 10.10.0.10.
    let run = common::run("lab/alg/captures/alg_basic_on_wan.pcap");
    let alg: Vec<_> = run
        .records
        .findings
        .iter()
        .filter(|f| f.id == "alg-rewrite")
        .collect();
    assert_eq!(alg.len(), 1);
    let shows: Vec<&str> = alg[0].evidence.iter().map(|e| e.shows.as_str()).collect();
    assert_eq!(alg[0].evidence[0].frame, alg[0].evidence[1].frame);
    assert!(shows[0].contains("Call-ID host 10.10.0.10"), "{shows:?}");
    assert!(
        shows
            .iter()
            .any(|s| s.starts_with("Via: SIP/2.0/UDP 198.51.100.1")),
        "{shows:?}"
    );
    assert!(
        shows.iter().any(|s| s.starts_with("c=IN IP4 198.51.100.1")),
        "{shows:?}"
    );
    // The REGISTER and the OPTIONS of the registration run are two Call-IDs.
    let reg = findings("lab/alg/captures/alg_register_on_wan.pcap");
    assert_eq!(
        reg,
        vec![
            f("alg-rewrite", None, Cause::Alg, None),
            f("alg-rewrite", None, Cause::Alg, None)
        ]
    );
    // ALG off: the addresses stay private, nothing was rewritten.
    for file in [
        "lab/alg/captures/alg_basic_off_wan.pcap",
        "lab/alg/captures/alg_t38_reinvite_off_wan.pcap",
    ] {
        assert!(
            !findings(file).iter().any(|x| x.0 == "alg-rewrite"),
            "{file}"
        );
    }
}

#[test]
fn icmp_unreachable_tied_to_the_refused_media() {
    // ALG on, WAN side: after the phone's T.38 re-INVITE the router answers the
    // provider's UDPTL to 198.51.100.1:16002 with ICMP port unreachable (tshark -Y
    // 'icmp.type==3': 9 frames, the first is frame 81): reported once, tied to the call's
    // T.38 epoch, cause alg (the router refused media on a port the SDP sent to it).
    let run = common::run("lab/alg/captures/alg_t38_reinvite_on_wan.pcap");
    let icmp: Vec<_> = run
        .records
        .findings
        .iter()
        .filter(|f| f.id == "icmp-unreachable")
        .collect();
    assert_eq!(icmp.len(), 1);
    let f = icmp[0];
    assert_eq!(
        (f.cause, f.direction, f.epoch, f.evidence[0].frame),
        (Cause::Alg, Some("callee->caller"), Some(1), 81)
    );
    // SIP refused by a host (synthetic: ICMP and ICMPv6 errors quoting an INVITE).
    let got = findings("synthetic/synthetic_icmp_quoting_sip.pcap");
    assert_eq!(
        got,
        vec![
            f_("icmp-unreachable", None, Cause::Unknown, None),
            f_("icmp-unreachable", None, Cause::Unknown, None),
        ]
    );
}

fn f_(
    id: &str,
    dir: Option<&'static str>,
    cause: Cause,
    epoch: Option<usize>,
) -> (String, Option<&'static str>, &'static str, Option<usize>) {
    f(id, dir, cause, epoch)
}

#[test]
fn response_sent_to_the_via_port_not_the_source() {
    // The real lab call with the INVITE's source port re-mapped to 34567 (as a NAT would)
    // while its Via says 5060 without rport (fixtures/synthetic/derive_misrouted.py):
    // tshark -Y sip -T fields -e frame.number -e udp.srcport -e udp.dstport: frame 3
    // INVITE 34567 -> 5060, frames 4-6 responses 5060 -> 5060.
    let run = common::run("synthetic/synthetic_response_misrouted.pcap");
    let got: Vec<_> = run
        .records
        .findings
        .iter()
        .map(|f| (f.id, f.cause, f.evidence[0].frame))
        .collect();
    assert_eq!(got, vec![("response-misrouted", Cause::Nat, 4)]);
    assert!(run.records.findings[0]
        .why
        .contains("sent to 192.0.2.10:5060 while its request came from 192.0.2.10:34567"));
}

#[test]
fn sip_lost_in_fragments() {
    // pkts__fragmented_udp_sip.pcap (public, real): the INVITE is present only as its
    // first IP fragment (tshark decodes no INVITE; frame 1 has ip.flags.mf=1).
    let run = common::run("public/pkts__fragmented_udp_sip.pcap");
    let frag: Vec<_> = run
        .records
        .findings
        .iter()
        .filter(|f| f.id == "sip-fragmented")
        .collect();
    assert_eq!(frag.len(), 1);
    assert_eq!(
        frag[0].evidence.iter().map(|e| e.frame).collect::<Vec<_>>(),
        vec![1]
    );
    assert!(frag[0]
        .why
        .starts_with("\"INVITE sip:service@10.108.158.224:5060 SIP/2.0\" from 10.192.243.79:5060"));
    // Two of three fragments (synthetic): frames 1 and 2.
    let run = common::run("synthetic/synthetic_ipv4_frag_incomplete.pcap");
    let frames: Vec<Vec<u64>> = run
        .records
        .findings
        .iter()
        .filter(|f| f.id == "sip-fragmented")
        .map(|f| f.evidence.iter().map(|e| e.frame).collect())
        .collect();
    assert_eq!(frames, vec![vec![1, 2]]);
    // Reassembled fragments (the real lab's fragmented INVITEs) are no finding.
    for file in [
        "lab/captures/lab_udp_fragmented_invite.pcap",
        "lab/captures/lab_udp_fragmented_invite_ipv6.pcap",
    ] {
        assert_eq!(findings(file), vec![], "{file}");
    }
}

#[test]
fn bye_to_a_private_contact_and_unstable_registrations() {
    // ALG off, provider hangs up: its BYE goes to the phone's untranslated Contact
    // 10.10.0.10:5060 and is retransmitted without response (tshark on the WAN file:
    // 5 BYEs at 2.71, 3.22, 4.22, 6.22, 10.23 s, no 200; none on the LAN side).
    let run = common::run("lab/alg/captures/alg_provider_bye_off_wan.pcap");
    let failed: Vec<_> = run
        .records
        .findings
        .iter()
        .filter(|f| f.id == "call-failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].cause, Cause::Nat);
    assert!(
        failed[0]
            .why
            .starts_with("the BYE to 10.10.0.10:5060 was sent 5 times without any response"),
        "{}",
        failed[0].why
    );
    // The phone side of the same call: the provider's RTP never arrives, and the call
    // has no end in this capture (judged up to its last packet).
    assert_eq!(
        findings("lab/alg/captures/alg_provider_bye_off_lan.pcap"),
        vec![f(
            "one-way-media",
            Some("callee->caller"),
            Cause::Unknown,
            Some(0)
        )]
    );
    // With the ALG on the BYE reaches the phone: no call-failed.
    assert!(!findings("lab/alg/captures/alg_provider_bye_on_wan.pcap")
        .iter()
        .any(|x| x.0 == "call-failed"));
    // Registrar accepting private Contacts from the router's public address (ALG off):
    // one phone, then two phones behind the same NAT.
    assert_eq!(
        findings("lab/alg/captures/alg_register_off_wan.pcap"),
        vec![f("registration-unstable", None, Cause::Nat, None)]
    );
    assert_eq!(
        findings("lab/alg/captures/alg_two_phones_off_wan.pcap"),
        vec![
            f("registration-unstable", None, Cause::Nat, None),
            f("registration-unstable", None, Cause::Nat, None)
        ]
    );
    // ALG on: Contacts rewritten to 198.51.100.1:5060 and :50014, no collision.
    assert!(!findings("lab/alg/captures/alg_two_phones_on_wan.pcap")
        .iter()
        .any(|x| x.0 == "registration-unstable"));
    // A clean registration with refresh (lab call flows).
    assert_eq!(
        findings("lab/calls/captures/call_register_options.pcap"),
        vec![]
    );
}

fn sites(rel: &str) -> Vec<(String, &'static str, i32)> {
    let mut v = Vec::new();
    algscope::analyze::analyze_files(
        &[common::fixture(rel)],
        algscope::engine::Config::default(),
        &mut SiteSink(&mut v),
        |_, _| {},
    )
    .unwrap();
    v
}

struct SiteSink<'a>(&'a mut Vec<(String, &'static str, i32)>);

impl algscope::report::Sink for SiteSink<'_> {
    fn begin(&mut self, _: &[String]) -> std::io::Result<()> {
        Ok(())
    }
    fn event(&mut self, ev: &algscope::engine::Event) -> std::io::Result<()> {
        if let algscope::engine::Event::Site(s) = ev {
            self.0.push((s.public_addr.to_string(), s.alg, s.score));
        }
        Ok(())
    }
    fn finish(
        &mut self,
        _: &algscope::engine::Summary,
        _: &algscope::source::SourceReport,
    ) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn site_verdict_on_both_sides_of_a_real_alg() {
    // Every WAN capture of the kernel-ALG lab: the router's public address 198.51.100.1
    // is "likely" with the ALG on (its fingerprint, +3 per Call-ID; +2 for the refused
    // UDPTL) and "unlikely" with it off (SDP or Contact crossing untranslated, -2; media
    // from another address than announced, -1).
    let want = [
        ("basic", 3, -3),
        ("big_invite", 3, -3),
        ("hold_resume", 3, -3),
        ("provider_bye", 3, -3),
        ("register", 6, -2),
        ("t38_reinvite", 5, -3),
        ("two_phones", 6, -4),
    ];
    for (scenario, on, off) in want {
        let file = |alg: &str| format!("lab/alg/captures/alg_{scenario}_{alg}_wan.pcap");
        assert_eq!(
            sites(&file("on")),
            vec![("198.51.100.1".to_string(), "likely", on)],
            "{scenario} on"
        );
        assert_eq!(
            sites(&file("off")),
            vec![("198.51.100.1".to_string(), "unlikely", off)],
            "{scenario} off"
        );
    }
    // Phone side: the router's public address is not seen there.
    assert_eq!(sites("lab/alg/captures/alg_basic_on_lan.pcap"), vec![]);
}

#[test]
fn no_public_capture_is_judged_alg_likely() {
    let dir = common::fixture("public");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            continue;
        }
        for (addr, alg, score) in sites(&format!("public/{name}")) {
            assert_ne!(alg, "likely", "{name}: {addr} score {score}");
        }
    }
    // The one public verdict: suricata__sip_compact_form's INVITE announces the private
    // 192.168.1.2 while it comes from 1.1.1.1 (untranslated: no ALG).
    assert_eq!(
        sites("public/suricata__sip_compact_form.pcap"),
        vec![("1.1.1.1".to_string(), "unlikely", -2)]
    );
}

#[test]
fn media_not_back_after_resume() {
    // The real hold/resume call without the callee's RTP after the resume (frames 116-182
    // deleted, fixtures/synthetic/derive_loss.sh): hold-broken on the resume epoch, and
    // one-way-media for the same silence.
    assert_eq!(
        findings("synthetic/synthetic_hold_resume_no_media_back.pcap"),
        vec![
            f(
                "hold-broken",
                Some("callee->caller"),
                Cause::Unknown,
                Some(2)
            ),
            f(
                "one-way-media",
                Some("callee->caller"),
                Cause::Unknown,
                Some(2)
            ),
        ]
    );
    // Holds that work (sendonly/recvonly, RFC 2543 c=0.0.0.0 with inactive), and the
    // kernel-ALG lab's hold with the ALG on: no hold-broken.
    for file in [
        "lab/calls/captures/call_hold_resume.pcap",
        "lab/calls/captures/call_hold_inactive_zero_addr.pcap",
        "lab/alg/captures/alg_hold_resume_on_lan.pcap",
        "lab/alg/captures/alg_hold_resume_off_lan.pcap",
    ] {
        assert!(
            !findings(file).iter().any(|x| x.0 == "hold-broken"),
            "{file}"
        );
    }
}

#[test]
fn transfer_reported_failed_by_notify() {
    // The real lab transfer with the second NOTIFY's sipfrag changed from "SIP/2.0 200 OK"
    // to "SIP/2.0 486 Busy Here" (fixtures/synthetic/derive_transfer_failed.py; tshark -V
    // on frame 89 shows the sipfrag status line 486).
    let run = common::run("synthetic/synthetic_transfer_failed.pcap");
    let got: Vec<_> = run
        .records
        .findings
        .iter()
        .map(|f| (f.id, f.evidence.iter().map(|e| e.frame).collect::<Vec<_>>()))
        .collect();
    assert_eq!(got, vec![("transfer-broken", vec![76, 89])]);
    // The transfer that worked.
    assert_eq!(
        findings("lab/calls/captures/call_refer_transfer.pcap"),
        vec![]
    );
}
