//! Calls, epochs and media of the real lab call flows (fixtures/lab/calls, sipp between
//! network namespaces). Every figure here was cross-checked against tshark on the same
//! file:
//! - epoch lines (frame, media, c= address, port, direction) against the SDP tshark reads
//!   (fixtures/lab/calls/manifest.json `sdp`, made with
//!   `tshark -r F -Y sdp -T fields -e frame.number -e sdp.connection_info.address
//!   -e sdp.media.media -e sdp.media.port -e sdp.media_attr`);
//! - packets per epoch and direction against
//!   `tshark -r F -Y 'rtp or t38 or rtcp' -T fields -e frame.number -e ip.dst -e udp.dstport`
//!   counted between the epoch's answer frame and the next epoch's answer frame, sent to
//!   the receiving side's SDP address and port.

mod common;

struct Leg {
    call_id: &'static str,
    state: &'static str,
    /// (trigger, offer frame, answer frame, lines: (side, media, addr, port, direction)).
    epochs: &'static [Epoch],
    /// (trigger, status code; 0 = never answered).
    failed: &'static [(&'static str, u16)],
    /// (epoch, direction, protocol, packets, how matched).
    media: &'static [(usize, &'static str, &'static str, u64, &'static str)],
}

type Line = (&'static str, &'static str, &'static str, u16, &'static str);
type Epoch = (&'static str, u64, u64, &'static [Line]);
type OwnedLine = (String, String, String, u16, String);
type OwnedEpoch = (String, u64, u64, Vec<OwnedLine>);

const CALLS: &[(&str, &[Leg])] = &[
    (
        "call_basic.pcap",
        &[Leg {
            call_id: "1-2587@192.0.2.10",
            state: "ended",
            epochs: &[(
                "INVITE/200",
                3,
                6,
                &[
                    ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                    ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                ],
            )],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 67, "exact"),
                (0, "callee->caller", "rtp", 67, "exact"),
            ],
        }],
    ),
    (
        "call_cancelled.pcap",
        &[Leg {
            call_id: "1-3147@192.0.2.10",
            state: "cancelled",
            epochs: &[],
            failed: &[("INVITE", 487)],
            media: &[],
        }],
    ),
    (
        "call_early_media_183.pcap",
        &[Leg {
            call_id: "1-3125@192.0.2.10",
            state: "ended",
            epochs: &[(
                "INVITE/183",
                3,
                5,
                &[
                    ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                    ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                ],
            )],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 67, "exact"),
                (0, "callee->caller", "rtp", 117, "exact"),
            ],
        }],
    ),
    (
        "call_forked.pcap",
        &[Leg {
            call_id: "1-3226@192.0.2.10",
            state: "ended",
            epochs: &[(
                "INVITE/200",
                3,
                7,
                &[
                    ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                    ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                ],
            )],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 67, "exact"),
                (0, "callee->caller", "rtp", 67, "exact"),
            ],
        }],
    ),
    (
        "call_hold_inactive_zero_addr.pcap",
        &[Leg {
            call_id: "1-2741@192.0.2.10",
            state: "ended",
            epochs: &[
                (
                    "INVITE/200",
                    3,
                    6,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                    ],
                ),
                (
                    "re-INVITE/200",
                    76,
                    77,
                    &[
                        ("caller", "audio", "0.0.0.0", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "inactive"),
                    ],
                ),
                (
                    "re-INVITE/200",
                    79,
                    80,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                    ],
                ),
            ],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 34, "exact"),
                (0, "callee->caller", "rtp", 34, "exact"),
                (2, "caller->callee", "rtp", 34, "exact"),
                (2, "callee->caller", "rtp", 34, "exact"),
            ],
        }],
    ),
    (
        "call_hold_resume.pcap",
        &[Leg {
            call_id: "1-2582@192.0.2.10",
            state: "ended",
            epochs: &[
                (
                    "INVITE/200",
                    3,
                    6,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                    ],
                ),
                (
                    "re-INVITE/200",
                    76,
                    77,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendonly"),
                        ("callee", "audio", "192.0.2.20", 18000, "recvonly"),
                    ],
                ),
                (
                    "re-INVITE/200",
                    113,
                    114,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                    ],
                ),
            ],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 34, "exact"),
                (0, "callee->caller", "rtp", 34, "exact"),
                (1, "caller->callee", "rtp", 34, "exact"),
                (2, "caller->callee", "rtp", 34, "exact"),
                (2, "callee->caller", "rtp", 34, "exact"),
            ],
        }],
    ),
    (
        "call_one_way_rtp.pcap",
        &[Leg {
            call_id: "1-2592@192.0.2.10",
            state: "ended",
            epochs: &[(
                "INVITE/200",
                3,
                6,
                &[
                    ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                    ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                ],
            )],
            failed: &[],
            media: &[(0, "callee->caller", "rtp", 67, "exact")],
        }],
    ),
    (
        "call_refer_transfer.pcap",
        &[
            Leg {
                call_id: "1-2999@192.0.2.10",
                state: "ended",
                epochs: &[(
                    "INVITE/200",
                    3,
                    6,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                    ],
                )],
                failed: &[],
                media: &[
                    (0, "caller->callee", "rtp", 34, "exact"),
                    (0, "callee->caller", "rtp", 34, "exact"),
                ],
            },
            Leg {
                call_id: "xfer///1-2999@192.0.2.10",
                state: "ended",
                epochs: &[(
                    "INVITE/200",
                    82,
                    85,
                    &[
                        ("caller", "audio", "192.0.2.10", 16002, "sendrecv"),
                        ("callee", "audio", "192.0.2.30", 20000, "sendrecv"),
                    ],
                )],
                failed: &[],
                media: &[
                    (0, "caller->callee", "rtp", 67, "exact"),
                    (0, "callee->caller", "rtp", 67, "exact"),
                ],
            },
        ],
    ),
    ("call_register_options.pcap", &[]),
    (
        "call_reinvite_port_change.pcap",
        &[Leg {
            call_id: "1-2746@192.0.2.10",
            state: "ended",
            epochs: &[
                (
                    "INVITE/200",
                    3,
                    6,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                    ],
                ),
                (
                    "re-INVITE/200",
                    76,
                    77,
                    &[
                        ("callee", "audio", "192.0.2.20", 18002, "sendrecv"),
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                    ],
                ),
            ],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 34, "exact"),
                (0, "callee->caller", "rtp", 34, "exact"),
                (1, "caller->callee", "rtp", 34, "exact"),
                (1, "callee->caller", "rtp", 34, "exact"),
            ],
        }],
    ),
    (
        "call_t38_reinvite.pcap",
        &[Leg {
            call_id: "1-2823@192.0.2.10",
            state: "ended",
            epochs: &[
                (
                    "INVITE/200",
                    3,
                    6,
                    &[
                        ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                        ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                    ],
                ),
                (
                    "re-INVITE/200",
                    76,
                    78,
                    &[
                        ("callee", "image", "192.0.2.20", 18002, "sendrecv"),
                        ("caller", "image", "192.0.2.10", 16002, "sendrecv"),
                    ],
                ),
            ],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 34, "exact"),
                (0, "callee->caller", "rtp", 34, "exact"),
                (1, "caller->callee", "udptl", 42, "exact"),
                (1, "callee->caller", "udptl", 15, "exact"),
            ],
        }],
    ),
    (
        "call_t38_rejected.pcap",
        &[Leg {
            call_id: "1-2904@192.0.2.10",
            state: "ended",
            epochs: &[(
                "INVITE/200",
                3,
                6,
                &[
                    ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                    ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                ],
            )],
            failed: &[("re-INVITE", 488)],
            media: &[
                (0, "caller->callee", "rtp", 100, "exact"),
                (0, "callee->caller", "rtp", 100, "exact"),
            ],
        }],
    ),
    (
        "call_udp_and_rtcp.pcap",
        &[Leg {
            call_id: "1-3490@192.0.2.10",
            state: "ended",
            epochs: &[(
                "INVITE/200",
                3,
                6,
                &[
                    ("caller", "audio", "192.0.2.10", 16000, "sendrecv"),
                    ("callee", "audio", "192.0.2.20", 18000, "sendrecv"),
                ],
            )],
            failed: &[],
            media: &[
                (0, "caller->callee", "rtp", 100, "exact"),
                (0, "caller->callee", "rtcp", 3, "exact"),
                (0, "callee->caller", "rtp", 100, "exact"),
                (0, "callee->caller", "rtcp", 3, "exact"),
            ],
        }],
    ),
];

fn check(file: &str, legs: &[Leg]) {
    let run = common::run(&format!("lab/calls/captures/{file}"));
    let mut calls = run.records.calls.clone();
    calls.sort_by_key(|c| c.call.id);
    assert_eq!(calls.len(), legs.len(), "{file}: legs");
    for (rec, want) in calls.iter().zip(legs) {
        let c = &rec.call;
        assert_eq!(c.call_id, want.call_id, "{file}");
        assert_eq!(c.state.name(), want.state, "{file}: {}", c.call_id);
        let epochs: Vec<OwnedEpoch> = c
            .epochs
            .iter()
            .map(|e| {
                (
                    e.trigger.clone(),
                    e.offer_frame,
                    e.answer_frame,
                    e.lines
                        .iter()
                        .map(|l| {
                            (
                                l.side.as_str().to_string(),
                                l.media.as_str().to_string(),
                                l.addr.map(|a| a.to_string()).unwrap_or_default(),
                                l.port,
                                l.direction.as_str().to_string(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        let want_epochs: Vec<OwnedEpoch> = want
            .epochs
            .iter()
            .map(|(t, o, a, lines)| {
                (
                    t.to_string(),
                    *o,
                    *a,
                    lines
                        .iter()
                        .map(|(s, m, ad, p, d)| {
                            (
                                s.to_string(),
                                m.to_string(),
                                ad.to_string(),
                                *p,
                                d.to_string(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        assert_eq!(epochs, want_epochs, "{file}: {} epochs", c.call_id);
        let failed: Vec<(String, u16)> = c
            .failed_offers
            .iter()
            .map(|f| (f.trigger.clone(), f.code.unwrap_or(0)))
            .collect();
        let want_failed: Vec<(String, u16)> = want
            .failed
            .iter()
            .map(|(t, c)| (t.to_string(), *c))
            .collect();
        assert_eq!(failed, want_failed, "{file}: {} failed offers", c.call_id);
        let media: Vec<(usize, String, String, u64, String)> =
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
        let want_media: Vec<(usize, String, String, u64, String)> = want
            .media
            .iter()
            .map(|(e, d, p, n, m)| (*e, d.to_string(), p.to_string(), *n, m.to_string()))
            .collect();
        assert_eq!(media, want_media, "{file}: {} media", c.call_id);
    }
    // Every flow of these clean calls is matched exactly to a call.
    for f in &run.records.flows {
        assert!(
            !f.call_ids.is_empty(),
            "{file}: unmatched flow {} -> {}",
            f.flow.key.src,
            f.flow.key.dst
        );
    }
}

#[test]
fn lab_call_flows_epochs_and_media() {
    assert_eq!(CALLS.len(), 13);
    for (file, legs) in CALLS {
        check(file, legs);
    }
}

#[test]
fn register_and_options_are_not_calls() {
    // tshark -r call_register_options.pcap -Y sip -T fields -e frame.number -e sip.CSeq
    //   -e sip.Status-Code -e sip.Contact -e sip.Expires: REGISTER 3 (401 in 4),
    //   REGISTER 5 (200 in 6), refresh 7 (200 in 8), all Contact ...;expires=60;
    //   OPTIONS 9 (200 in 10).
    let run = common::run("lab/calls/captures/call_register_options.pcap");
    assert!(run.records.calls.is_empty());
    assert!(run.records.flows.is_empty());
    assert_eq!(run.records.registrations.len(), 1);
    let b = &run.records.registrations[0];
    assert_eq!(b.aor, "sip:alice@192.0.2.20:5060");
    type Attempt = (u64, u32, Option<u32>, Option<(u16, u64)>, Option<u32>);
    let attempts: Vec<Attempt> = b
        .attempts
        .iter()
        .map(|a| (a.frame, a.cseq, a.expires, a.response, a.granted_expires))
        .collect();
    assert_eq!(
        attempts,
        vec![
            (3, 1, Some(60), Some((401, 4)), None),
            (5, 2, Some(60), Some((200, 6)), Some(60)),
            (7, 3, Some(60), Some((200, 8)), Some(60)),
        ]
    );
    assert_eq!(b.sources(), vec!["192.0.2.10:5060".parse().unwrap()]);
    assert_eq!(
        (run.summary.register_requests, run.summary.options_requests),
        (3, 1)
    );
}

#[test]
fn refer_transfer_is_tracked() {
    // tshark -r call_refer_transfer.pcap -Y 'sip.Method==REFER or sip.Method==NOTIFY
    //   or sip.CSeq.method==REFER' -T fields -e frame.number -e sip.Method
    //   -e sip.Status-Code -e sip.Refer-To: 76 REFER <sip:carol@192.0.2.30:5060>, 77 202,
    //   78 NOTIFY (sipfrag "SIP/2.0 100 Trying"), 89 NOTIFY ("SIP/2.0 200 OK").
    let run = common::run("lab/calls/captures/call_refer_transfer.pcap");
    let mut calls = run.records.calls.clone();
    calls.sort_by_key(|c| c.call.id);
    let r = &calls[0].call.refers;
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].frame, r[0].by, r[0].refer_to.as_str(), r[0].response),
        (
            76,
            algscope::sip::call::Side::Callee,
            "<sip:carol@192.0.2.30:5060>",
            Some((202, 77))
        )
    );
    assert_eq!(r[0].notifies, vec![(78, Some(100)), (89, Some(200))]);
    assert!(calls[1].call.refers.is_empty());
}
