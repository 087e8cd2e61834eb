//! Parliament runs: a few seeds of a 3×3 parliament under every fault, and replay.

use super::*;
use crate::sim::FaultSet;

fn small(seed: u64) -> ParliamentOptions {
    ParliamentOptions {
        seed,
        sizes: vec![3, 3, 3],
        faults: FaultSet::all(),
        steps: 20_000,
        ..ParliamentOptions::default()
    }
}

#[test]
fn three_by_three_parliaments_survive_every_fault() {
    let (mut acknowledged, mut disk_faults) = (0, 0);
    for seed in 0..10 {
        let opts = small(seed);
        let report = run_parliament(&opts).expect("valid options");
        assert!(
            report.passed(),
            "seed {seed}: {:?}\nreplay: {}",
            report.violations,
            opts.replay_command()
        );
        assert_eq!(report.histories.0, report.histories.1, "seed {seed}");
        acknowledged += report.ops.0;
        disk_faults += report.disk_faults.total();
    }
    assert!(disk_faults > 0, "no member ever crashed during a persist");
    assert!(
        acknowledged > 0,
        "the workload acknowledged no write at all"
    );
}

#[test]
fn rosters_change_under_every_fault_and_members_that_left_stop() {
    // The membership fault alone and with everything else: members join (starting with
    // an empty disk), members leave (founders, representatives, Lords), and every
    // invariant holds, a few changes a seed.
    let (mut joined, mut left, mut stopped) = (0, 0, 0);
    for (seed, faults) in [
        (0, FaultSet::none().with(crate::sim::Fault::Membership)),
        (1, FaultSet::all()),
        (2, FaultSet::all()),
        (3, FaultSet::all()),
    ] {
        let opts = ParliamentOptions {
            faults,
            steps: 40_000,
            ..small(seed)
        };
        let report = run_parliament(&opts).expect("valid options");
        assert!(
            report.passed(),
            "seed {seed}: {:?}\nreplay: {}",
            report.violations,
            opts.replay_command()
        );
        joined += report.roster_changes.0;
        left += report.roster_changes.1;
        stopped += report.roster_changes.2;
    }
    assert!(
        joined > 0 && left > 0,
        "no roster change: {joined} joined, {left} left"
    );
    assert!(stopped > 0, "no member that left ever stopped");
}

#[test]
fn a_seed_replays_to_the_same_trace() {
    let opts = ParliamentOptions {
        steps: 5_000,
        ..small(3)
    };
    let a = run_parliament(&opts).expect("valid options");
    let b = run_parliament(&opts).expect("valid options");
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.events, b.events);
    let other = run_parliament(&ParliamentOptions { seed: 4, ..opts }).expect("valid options");
    assert_ne!(a.trace_hash, other.trace_hash);
}

#[test]
fn uneven_districts_convene() {
    let opts = ParliamentOptions {
        sizes: vec![1, 5, 3],
        faults: FaultSet::none(),
        steps: 2_000,
        ..small(1)
    };
    let report = run_parliament(&opts).expect("valid options");
    assert!(report.passed(), "{:?}", report.violations);
    assert!(report.convene_after_start.is_some());
}

#[test]
fn a_calm_parliament_proposes_every_global_write_within_two_sessions() {
    let opts = ParliamentOptions {
        faults: FaultSet::none(),
        steps: 20_000,
        ..small(2)
    };
    let report = run_parliament(&opts).expect("valid options");
    assert!(report.passed(), "{:?}", report.violations);
    let (judged, worst, bound) = report.fairness;
    assert!(
        judged > 20,
        "the fairness checker judged only {judged} global writes in a calm run"
    );
    assert!(worst <= bound, "{worst:?} > {bound:?}");
    assert!(report.sessions.0 > 0, "the Prime Minister held no session");
}

#[test]
fn term_limits_rotate_both_levels_under_load_without_overlap() {
    let opts = ParliamentOptions {
        faults: FaultSet::none(),
        steps: 30_000,
        term_limit_ms: 6_000,
        ..small(5)
    };
    let report = run_parliament(&opts).expect("valid options");
    assert!(
        report.passed(),
        "{:?}\nreplay: {}",
        report.violations,
        opts.replay_command()
    );
    let h = &report.hand_overs;
    tracing::info!(?h, "hand-overs");
    assert!(h.district.completed >= 3, "{h:?}");
    assert!(h.commons.completed >= 1, "{h:?}");
    assert_eq!(h.district.completed, h.district.started, "{h:?}");
    assert_eq!(h.commons.completed, h.commons.started, "{h:?}");
    assert_eq!(h.overlapping, 0, "{h:?}");
    assert!(report.ops.0 > 100, "under load: {:?}", report.ops);
}

#[test]
fn lords_ratify_critical_decrees_and_unreachable_lords_are_replaced() {
    let (mut judged, mut sets, mut enacted) = (0, 0, 0);
    for seed in 0..10 {
        let opts = ParliamentOptions {
            faults: FaultSet::none().with(crate::sim::Fault::Partition),
            steps: 30_000,
            ..small(seed)
        };
        let report = run_parliament(&opts).expect("valid options");
        assert!(
            report.passed(),
            "seed {seed}: {:?}\nreplay: {}",
            report.violations,
            opts.replay_command()
        );
        enacted += report.critical.1;
        judged += report.critical.3;
        sets += report.lords_sets;
    }
    assert!(enacted > 0, "no critical decree took effect");
    assert_eq!(
        judged, enacted,
        "every enacted decree judged by critical-ratified"
    );
    assert!(
        sets > 10,
        "no Lord was ever replaced: {sets} sets in 10 seeds"
    );
}

#[test]
fn lords_rotate_several_times_when_their_terms_end_calm_or_not() {
    for (what, faults) in [("calm", FaultSet::none()), ("faulty", FaultSet::all())] {
        let (mut rotations, mut checked) = (0, 0);
        for seed in 0..2 {
            let opts = ParliamentOptions {
                faults,
                steps: 40_000,
                lord_term_ms: 6_000,
                ..small(seed)
            };
            let report = run_parliament(&opts).expect("valid options");
            assert!(
                report.passed(),
                "{what} seed {seed}: {:?}\nreplay: {}",
                report.violations,
                opts.replay_command()
            );
            rotations += report.lord_rotations;
            checked += report.lords_terms_checked;
        }
        tracing::info!(what, rotations, checked, "--- Lords rotated");
        assert!(
            rotations >= 6,
            "{what}: only {rotations} rotations in 3 seeds"
        );
        assert!(checked > 0, "{what}: lords-terms compared nothing");
    }
}
