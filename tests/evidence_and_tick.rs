//! The live pieces, driven deterministically from capture files (sans-IO): the evidence
//! store keeps the packets of the call that had findings, and `Engine::tick` releases a
//! finished call (and decides its findings) without another packet.

use std::path::Path;

use algscope::accounting::Class;
use algscope::engine::{Config, Engine, Event};
use algscope::evidence::{EvidenceConfig, EvidenceStore};
use algscope::source::OfflineSource;
use algscope::time::Duration;

const ALG_OFF_WAN: &str = "fixtures/lab/alg/captures/alg_basic_off_wan.pcap";

/// Runs a capture through the engine and an evidence store the way the live driver does.
fn run(path: &str, config: EvidenceConfig) -> (EvidenceStore, Vec<(u64, Class)>) {
    let mut source = OfflineSource::open(&[Path::new(env!("CARGO_MANIFEST_DIR")).join(path)])
        .expect("open the capture");
    let mut engine = Engine::new(Config::default());
    let mut store = EvidenceStore::new(config);
    let mut classes = Vec::new();
    let drain = |engine: &mut Engine, store: &mut EvidenceStore| {
        while let Some(ev) = engine.poll() {
            store.event(&ev);
        }
        store.settle(|id| engine.active_legs(id));
    };
    source.run(|frame, _| {
        let class = engine.handle(frame);
        classes.push((engine.packets(), class));
        store.frame(engine.packets(), frame, class, engine.frame_call_ids());
        drain(&mut engine, &mut store);
        true
    });
    engine.finish();
    drain(&mut engine, &mut store);
    store.finish();
    (store, classes)
}

#[test]
fn evidence_holds_the_whole_broken_call() {
    let (mut store, classes) = run(ALG_OFF_WAN, EvidenceConfig::default());
    let ready = store.take_ready();
    assert_eq!(ready.len(), 1);
    let ev = &ready[0];
    assert!(ev.call_id.ends_with("@10.10.0.10"), "{}", ev.call_id);
    assert_eq!(
        ev.findings,
        ["sdp-private-address", "media-source-mismatch"]
    );
    // Every SIP and RTP frame of the capture (it holds this one call), nothing else: the
    // 2 other frames are ARP.
    let wanted: Vec<u64> = classes
        .iter()
        .filter(|(_, c)| matches!(c, Class::Sip | Class::Rtp))
        .map(|(f, _)| *f)
        .collect();
    let kept: Vec<u64> = ev.packets.iter().map(|p| p.frame).collect();
    assert_eq!(kept.len(), 141);
    assert_eq!(kept, wanted);
    assert_eq!(ev.packets_not_kept, 0);
    assert_eq!(store.stats.calls, 1);
    assert_eq!(store.stats.bytes_held, 0, "released after writing");
}

#[test]
fn evidence_media_budget_follows_each_sip_message() {
    // 5 media packets after each SIP message of the call: the phone's first RTP packets
    // after the ACK, and after the BYE none (the phone stops sending).
    let (mut store, classes) = run(
        ALG_OFF_WAN,
        EvidenceConfig {
            media_after_sip: 5,
            ..EvidenceConfig::default()
        },
    );
    let ev = store.take_ready().remove(0);
    let sip: Vec<u64> = classes
        .iter()
        .filter(|(_, c)| *c == Class::Sip)
        .map(|(f, _)| *f)
        .collect();
    let kept_sip: Vec<u64> = ev
        .packets
        .iter()
        .map(|p| p.frame)
        .filter(|f| sip.contains(f))
        .collect();
    assert_eq!(kept_sip, sip);
    // After each SIP message, at most 5 media packets until the next SIP message.
    let mut since_sip = 0;
    for p in &ev.packets {
        if sip.contains(&p.frame) {
            since_sip = 0;
        } else {
            since_sip += 1;
            assert!(since_sip <= 5, "frame {}", p.frame);
        }
    }
    // The capture: SIP in frames 3-7 (INVITE .. ACK) and 142-143 (BYE, 200), RTP in
    // 8-141. Kept: the SIP and the 5 RTP packets after the ACK.
    let kept: Vec<u64> = ev.packets.iter().map(|p| p.frame).collect();
    assert_eq!(kept, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 142, 143]);
    assert_eq!(ev.packets_not_kept, 134 - 5);
}

#[test]
fn tick_releases_a_finished_call_without_another_packet() {
    let mut source =
        OfflineSource::open(&[Path::new(env!("CARGO_MANIFEST_DIR")).join(ALG_OFF_WAN)])
            .expect("open the capture");
    let mut engine = Engine::new(Config::default());
    let mut last = None;
    source.run(|frame, _| {
        engine.handle(frame);
        last = Some(frame.ts);
        true
    });
    let last = last.expect("frames");
    let mut events = Vec::new();
    while let Some(ev) = engine.poll() {
        events.push(ev);
    }
    assert!(!events.iter().any(|e| matches!(e, Event::Call(_))));
    assert_eq!(engine.state_sizes().calls, 1);
    // Time moves on without packets: one second short of the linger, nothing; past it,
    // the call is released with its findings.
    engine.tick(last.plus(Duration::from_secs(59)));
    while let Some(ev) = engine.poll() {
        assert!(!matches!(ev, Event::Call(_)), "released too early");
    }
    engine.tick(last.plus(Duration::from_secs(62)));
    let mut calls = 0;
    let mut findings = Vec::new();
    while let Some(ev) = engine.poll() {
        match ev {
            Event::Call(_) => calls += 1,
            Event::Finding(f) => findings.push(f.id),
            _ => {}
        }
    }
    assert_eq!(calls, 1);
    assert_eq!(findings, ["sdp-private-address", "media-source-mismatch"]);
    assert_eq!(engine.state_sizes().calls, 0);
    // Time never moves backwards.
    engine.tick(last);
    assert_eq!(engine.state_sizes().calls, 0);
}
