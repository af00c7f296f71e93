//! The capture-quality guard: loss in the capture (a busy capture host or mirror port
//! drops packets of both directions at the same moment) is told apart from loss in the
//! network (one direction). Fixtures derived from the real lab call by deleting frames
//! (fixtures/synthetic/derive_loss.sh). tshark on the same files
//! (`tshark -r F -q -z rtp,streams`): both-ways file, Lost 2 in each stream; one-way
//! file, Lost 4 in the caller's stream and 0 in the callee's.

mod common;

use algscope::report::calls::{coincident_gaps, quality};
use algscope::sip::call::Side;

fn lost(run: &common::Run) -> Vec<(Side, i64, u64)> {
    quality(&run.records.calls[0])
        .iter()
        .map(|q| (q.from, q.lost, q.packets))
        .collect()
}

#[test]
fn loss_in_both_directions_at_once_points_at_the_capture() {
    let run = common::run("synthetic/synthetic_call_capture_loss_both_ways.pcap");
    assert_eq!(
        lost(&run),
        vec![(Side::Caller, 2, 65), (Side::Callee, 2, 65)]
    );
    assert_eq!(coincident_gaps(&run.records.calls[0]), 1);
}

#[test]
fn loss_in_one_direction_is_the_network() {
    let run = common::run("synthetic/synthetic_call_network_loss_one_way.pcap");
    assert_eq!(
        lost(&run),
        vec![(Side::Caller, 4, 63), (Side::Callee, 0, 67)]
    );
    assert_eq!(coincident_gaps(&run.records.calls[0]), 0);
}
