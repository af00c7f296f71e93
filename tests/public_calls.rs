//! Calls, epochs, failed offers and per-epoch media on the public captures. Cross-checks
//! with tshark on the same files:
//! - states and epochs against the SIP/SDP messages (`tshark -r F -Y 'sip or sdp' -T fields
//!   -e frame.number -e sip.CSeq -e sip.Status-Code -e sdp.connection_info.address
//!   -e sdp.media.port -e sdp.media_attr`): every offer frame, answer frame and failed
//!   offer's final status is a frame tshark shows with that CSeq and status;
//! - media packets per epoch and direction against `tshark -r F -Y 'rtp or rtcp'
//!   -o rtp.heuristic_rtp:TRUE -T fields -e frame.number -e ip.dst -e udp.dstport`,
//!   counted between answer frames (register-invite-reinvite-bye's second epoch is
//!   labelled OPUS by tshark: 64 packets = 32 + 32; in the FAX capture tshark labels 3
//!   packets of epoch 1 RTP EVENT (RFC 2833) and 27 of epoch 2 T.38 after an H.248 SDP,
//!   which algscope does not read, so its counts there are 1145 = 1142 + 3 and 28 = 1 +
//!   27);
//! - sip-rtp-g711 has two concurrent calls announcing the same receive address
//!   (10.0.2.20:6000): each flow goes to the call whose other side announced its source
//!   port (27942: 425 PCMU packets, 28102: 414 PCMA packets, tshark's two streams);
//! - packets of flows tshark cannot tie to SDP (SIP_DTMF2: RTP to 192.168.105.172, an
//!   address in no SDP) are matched `latched`: sent to where the other side's media
//!   comes from.
//!
//! A proxied call seen on two paths (FAX, ipv6frag) has two legs, and a B2BUA that hands
//! media to the phones (b2bua-asterisk's re-INVITEs) makes two legs announce the same
//! addresses: media sent exactly where several legs' SDP says belongs to each of them.

mod common;

type Epoch = (&'static str, u64, u64);
type Failed = (&'static str, u64, u16);
type Media = (usize, &'static str, &'static str, u64, &'static str);
type Leg = (
    &'static str,
    &'static str,
    &'static [Epoch],
    &'static [Failed],
    &'static [Media],
);

const CALLS: &[(&str, &[Leg])] = &[
    (
        "pkts__sip_rtp.pcap",
        &[(
            "1-7879@127.0.0.1",
            "ended",
            &[("INVITE/200", 1, 3)],
            &[],
            &[(0, "caller->callee", "rtp", 501, "exact")],
        )],
    ),
    (
        "sipnab__register-invite-reinvite-bye.pcap",
        &[(
            "1-3812687@127.0.0.1",
            "ended",
            &[("INVITE/200", 3, 6), ("re-INVITE/200", 162, 163)],
            &[],
            &[
                (0, "caller->callee", "rtp", 77, "exact"),
                (0, "callee->caller", "rtp", 77, "exact"),
                (1, "caller->callee", "rtp", 32, "exact"),
                (1, "callee->caller", "rtp", 32, "exact"),
            ],
        )],
    ),
    (
        "sipnab__sip-rtp-g711.pcap",
        &[
            (
                "1-1966@10.0.2.20",
                "ended",
                &[("INVITE/200", 1, 4)],
                &[],
                &[(0, "callee->caller", "rtp", 425, "exact")],
            ),
            (
                "1-1968@10.0.2.20",
                "confirmed",
                &[("INVITE/200", 434, 437)],
                &[],
                &[(0, "callee->caller", "rtp", 414, "exact")],
            ),
        ],
    ),
    (
        "sipnab__SIP_CALL_RTP_G711.pcap",
        &[
            (
                "12013223@200.57.7.195",
                "confirmed",
                &[("INVITE/200", 1, 498)],
                &[],
                &[
                    (0, "caller->callee", "rtp", 891, "exact"),
                    (0, "caller->callee", "rtcp", 6, "exact"),
                    (0, "callee->caller", "rtp", 548, "exact"),
                    (0, "callee->caller", "rtcp", 8, "exact"),
                ],
            ),
            (
                "12015624@200.57.7.195",
                "unanswered",
                &[],
                &[("INVITE", 2964, 0)],
                &[],
            ),
        ],
    ),
    (
        "sipnab__b2bua-asterisk.pcapng",
        &[
            (
                "M2Q0ZDc1ZGM1NzIyMTlhZTA3NDU3NTgzMzA5YmJmZWQ.",
                "ended",
                &[("INVITE/200", 22, 34), ("re-INVITE/200", 37, 38)],
                &[("INVITE", 19, 401)],
                &[
                    (1, "caller->callee", "rtp", 1, "exact"),
                    (1, "callee->caller", "rtp", 355, "exact"),
                ],
            ),
            (
                "37686afc57ce24ac655742b3644a7bb8@172.16.98.101:5060",
                "ended",
                &[
                    ("INVITE/200", 24, 32),
                    ("re-INVITE/200", 35, 41),
                    ("re-INVITE/200", 406, 407),
                ],
                &[],
                &[
                    (0, "caller->callee", "rtp", 1, "exact"),
                    (1, "callee->caller", "rtp", 355, "exact"),
                ],
            ),
        ],
    ),
    (
        "sipnab__SIP_DTMF2.cap",
        &[
            ("5514@192.168.105.110", "failed-603", &[], &[], &[]),
            (
                "25672@192.168.105.110",
                "confirmed",
                &[("200/ACK", 21, 22)],
                &[],
                &[
                    (0, "caller->callee", "rtp", 666, "exact"),
                    (0, "callee->caller", "rtp", 665, "latched"),
                ],
            ),
        ],
    ),
    (
        "sngrep__ipv6frag.pcap",
        &[
            (
                "71846-1647924829-397430@fd17:625c:f037:2:a00:27ff:feb9:1521",
                "ended",
                &[
                    ("INVITE/183", 2, 7),
                    ("UPDATE/200", 12, 15),
                    ("INVITE/183", 2, 17),
                    ("UPDATE/200", 22, 25),
                ],
                &[],
                &[],
            ),
            (
                "71846-1647924829-397430@fd17:625c:f037:2:a00:27ff:feb9:1521",
                "ended",
                &[
                    ("INVITE/183", 5, 6),
                    ("UPDATE/200", 13, 14),
                    ("INVITE/183", 5, 16),
                    ("UPDATE/200", 23, 24),
                ],
                &[],
                &[],
            ),
        ],
    ),
    (
        "sipnab__sip-488-codec-reject.pcapng",
        &[(
            "NA4y5nr9Jk",
            "failed-488",
            &[],
            &[("INVITE", 7, 401), ("INVITE", 10, 488)],
            &[],
        )],
    ),
    (
        "suricata__sip.pcap",
        &[
            (
                "105090259-446faf7a@192.168.1.2",
                "failed-408",
                &[],
                &[("INVITE", 223, 408)],
                &[],
            ),
            (
                "85216695-42dcdb1d@192.168.1.2",
                "failed-403",
                &[],
                &[("INVITE", 321, 407), ("INVITE", 346, 403)],
                &[],
            ),
            (
                "24487391-449bf2a0@192.168.1.2",
                "failed-403",
                &[],
                &[("INVITE", 548, 407), ("INVITE", 578, 403)],
                &[],
            ),
            (
                "11894297-4432a9f8@192.168.1.2",
                "failed-480",
                &[("INVITE/183", 617, 620)],
                &[("INVITE", 602, 407)],
                &[
                    (0, "caller->callee", "rtp", 9, "exact"),
                    (0, "caller->callee", "rtcp", 1, "exact"),
                ],
            ),
        ],
    ),
    (
        "ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
        &[
            (
                "00e9d4a500e9d48-0015-0001-0000-0000@10.35.40.25",
                "ended",
                &[
                    ("INVITE/200", 23, 49),
                    ("re-INVITE/200", 176, 179),
                    ("re-INVITE/200", 1412, 1426),
                ],
                &[("re-INVITE", 1398, 488)],
                &[
                    (0, "callee->caller", "rtp", 106, "exact"),
                    (1, "caller->callee", "rtp", 1145, "exact"),
                    (1, "callee->caller", "rtp", 25, "exact"),
                    (2, "caller->callee", "rtp", 26, "exact"),
                    (2, "callee->caller", "rtp", 28, "exact"),
                ],
            ),
            (
                "00e9d4a500e9d48-0015-0001-0000-0000@10.35.40.25",
                "ended",
                &[
                    ("INVITE/200", 24, 50),
                    ("re-INVITE/200", 166, 172),
                    ("re-INVITE/200", 1415, 1427),
                ],
                &[("re-INVITE", 1394, 488)],
                &[
                    (0, "callee->caller", "rtp", 102, "exact"),
                    (1, "caller->callee", "rtp", 1145, "exact"),
                    (1, "callee->caller", "rtp", 26, "exact"),
                    (2, "caller->callee", "rtp", 26, "exact"),
                    (2, "callee->caller", "rtp", 28, "exact"),
                ],
            ),
            (
                "SD4909701-9ff11bf72eb4a347c92974d8fbbc2668-ao8o3i1",
                "ended",
                &[
                    ("INVITE/200", 27, 48),
                    ("re-INVITE/200", 164, 180),
                    ("re-INVITE/200", 1414, 1425),
                ],
                &[("re-INVITE", 1400, 488)],
                &[],
            ),
        ],
    ),
    (
        "pkts__sipp_sll.pcap",
        &[
            (
                "1-16732@127.0.1.1",
                "ended",
                &[("INVITE/200", 1, 3)],
                &[],
                &[],
            ),
            (
                "2-16732@127.0.1.1",
                "ended",
                &[("INVITE/200", 5, 7)],
                &[],
                &[],
            ),
            (
                "3-16732@127.0.1.1",
                "ended",
                &[("INVITE/200", 11, 13)],
                &[],
                &[],
            ),
            (
                "4-16732@127.0.1.1",
                "ended",
                &[("INVITE/200", 17, 19)],
                &[],
                &[],
            ),
            (
                "5-16732@127.0.1.1",
                "ended",
                &[("INVITE/200", 24, 27)],
                &[],
                &[],
            ),
        ],
    ),
];

#[test]
fn public_calls_epochs_and_media() {
    for (file, legs) in CALLS {
        let run = common::run(&format!("public/{file}"));
        let mut calls = run.records.calls.clone();
        calls.sort_by_key(|c| c.call.id);
        assert_eq!(calls.len(), legs.len(), "{file}: legs");
        for (rec, (call_id, state, epochs, failed, media)) in calls.iter().zip(legs.iter()) {
            let c = &rec.call;
            assert_eq!(c.call_id, *call_id, "{file}");
            assert_eq!(c.state.name(), *state, "{file}: {call_id}");
            let got: Vec<(String, u64, u64)> = c
                .epochs
                .iter()
                .map(|e| (e.trigger.clone(), e.offer_frame, e.answer_frame))
                .collect();
            let want: Vec<(String, u64, u64)> = epochs
                .iter()
                .map(|(t, o, a)| (t.to_string(), *o, *a))
                .collect();
            assert_eq!(got, want, "{file}: {call_id} epochs");
            let got: Vec<(String, u64, u16)> = c
                .failed_offers
                .iter()
                .map(|f| (f.trigger.clone(), f.frame, f.code.unwrap_or(0)))
                .collect();
            let want: Vec<(String, u64, u16)> = failed
                .iter()
                .map(|(t, f, c)| (t.to_string(), *f, *c))
                .collect();
            assert_eq!(got, want, "{file}: {call_id} failed offers");
            let got: Vec<(usize, String, String, u64, String)> =
                algscope::report::calls::media_legs(rec)
                    .iter()
                    .map(|l| {
                        let dir = match l.from {
                            algscope::sip::call::Side::Caller => "caller->callee",
                            algscope::sip::call::Side::Callee => "callee->caller",
                        };
                        (
                            l.epoch.unwrap_or(usize::MAX),
                            dir.to_string(),
                            l.proto.as_str().to_string(),
                            l.packets,
                            l.matched.as_str().to_string(),
                        )
                    })
                    .collect();
            let want: Vec<(usize, String, String, u64, String)> = media
                .iter()
                .map(|(e, d, p, n, m)| (*e, d.to_string(), p.to_string(), *n, m.to_string()))
                .collect();
            assert_eq!(got, want, "{file}: {call_id} media");
        }
    }
}

#[test]
fn flows_without_signalling_stay_unmatched() {
    // ndpi__rtp.pcapng: 5 RTP streams and no SIP at all (tshark finds them only with its
    // RTP heuristic): all reported, none matched.
    let run = common::run("public/ndpi__rtp.pcapng");
    assert!(run.records.calls.is_empty());
    let flows: Vec<u64> = run.records.flows.iter().map(|f| f.flow.packets).collect();
    assert_eq!(flows.iter().sum::<u64>(), 69);
    assert!(run.records.flows.iter().all(|f| f.call_ids.is_empty()));
}

#[test]
fn transactions_retransmissions_and_timeouts() {
    // ndpi__webex.pcap: 22 REGISTERs, CSeq 4 and 5, 11 copies each, never answered
    // (`tshark -r F -Y sip -T fields -e frame.time_relative -e sip.CSeq`: the copies are
    // 0.5 s and more apart and the capture runs past 32 s after each first copy).
    let t = common::run("public/ndpi__webex.pcap").summary.transactions;
    assert_eq!(
        (
            t.transactions,
            t.retransmissions,
            t.duplicates,
            t.timed_out,
            t.unanswered
        ),
        (2, 20, 0, 2, 0)
    );
    // sipnab__sipp-branch-scenario.pcapng: 1334 INVITE + 1334 REGISTER + 1135 BYE
    // transactions (tshark's method counts; ACK is no transaction).
    let run = common::run("public/sipnab__sipp-branch-scenario.pcapng");
    assert_eq!(run.summary.transactions.transactions, 3803);
    assert_eq!(run.summary.calls, 1334);
    // The FAX capture holds 14 SIP messages captured twice within a millisecond (the
    // same packet seen on two interfaces): duplicates, not retransmissions.
    let t = common::run("public/ndpi__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap")
        .summary
        .transactions;
    assert_eq!(
        (t.transactions, t.retransmissions, t.duplicates),
        (21, 0, 14)
    );
}
