//! Directed disk faults: a member crashes in the middle of a persist at the one moment
//! that matters. With the storage the contract asks for, the checkers stay silent for
//! every kind of fault; with a planted storage bug ([`StorageBug`]), they must speak.

use std::time::Duration;

use parliament_engine::{NodeId, Time};

use super::Simulation;
use super::directed::{failures, quiet_group};
use crate::sim::{Command, DiskFault, DiskFaultKind, Partition, RequestTag, StorageBug, Violation};

/// Seeds each scenario runs over.
const SEEDS: std::ops::Range<u64> = 0..40;

/// Invariants that a storage bug must trip (not ready-contract or liveness).
const SAFETY: [&str; 4] = [
    "election-safety",
    "leader-completeness",
    "state-machine-safety",
    "no-committed-entry-lost",
];

fn setup_failed() -> Vec<Violation> {
    vec![Violation::new("setup", Time(0), None, "no leader")]
}

/// A client writes `n` values at `leader`.
fn write(sim: &mut Simulation, leader: NodeId, n: u64) {
    for op in 0..n {
        let cmd = Command {
            key: "k".to_owned(),
            value: format!("v{op}").into_bytes(),
        };
        let tag = RequestTag { client: 0, op };
        sim.world
            .act(leader, |node, now, out| node.propose(now, tag, &cmd, out));
        sim.after_member(leader);
    }
}

/// Arms `fault` on `id`, with `bug` planted there.
fn arm(sim: &mut Simulation, id: NodeId, kind: DiskFaultKind, bug: Option<StorageBug>) {
    if let (Some(bug), Some(node)) = (bug, sim.world.node_mut(id)) {
        node.plant(bug);
    }
    let seed = sim.world.rng().next_u64();
    sim.world
        .arm_disk_fault(id, DiskFault { kind, seed }, Duration::ZERO);
}

fn fired(sim: &Simulation, id: NodeId) -> bool {
    sim.world
        .node(id)
        .is_some_and(|n| n.disk_faults().total() > 0)
}

/// Only one follower hears the leader; it crashes persisting the leader's appends (as
/// `kind` says); the leader dies; the follower comes back and the third member hears
/// again. Without the follower's acknowledgement nothing can have committed, so the two
/// may overwrite the leader's entries; with it (a bug), they must not.
fn follower_crashes_persisting_an_append(
    seed: u64,
    kind: DiskFaultKind,
    bug: Option<StorageBug>,
) -> (Vec<Violation>, bool) {
    let Some((mut sim, leader, others)) = quiet_group(seed, 3) else {
        return (setup_failed(), false);
    };
    let (a, b) = (others[0], others[1]);
    sim.run_for(Duration::from_millis(500));
    tracing::info!(%leader, %a, %b, ?kind, ?bug, "--- only the follower hears the leader");
    sim.world
        .network_mut()
        .partition(Partition::symmetric(100, &[leader], &[b]));
    arm(&mut sim, a, kind, bug);
    tracing::info!("--- a client writes; the follower crashes persisting it");
    write(&mut sim, leader, 3);
    sim.run_for(Duration::from_millis(300));
    let fired = fired(&sim, a);
    tracing::info!("--- the leader dies; the follower comes back, the third member hears again");
    sim.crash(leader);
    sim.world.network_mut().heal(100);
    if sim.world.restart(a) {
        sim.after_member(a);
    }
    sim.run_for(Duration::from_secs(5));
    (sim.violations, fired)
}

/// Five members. One follower receives the leader's last entries but is never heard by
/// it, so they do not commit; the leader dies and the other three elect a leader that
/// commits other entries at those indexes. The follower then hears the new leader and
/// crashes persisting the entries that replace its stale ones, which arrive with the
/// commit index that covers them: a tear. It restarts.
fn follower_tears_the_entries_replacing_a_stale_suffix(
    seed: u64,
    bug: Option<StorageBug>,
) -> (Vec<Violation>, bool) {
    let Some((mut sim, leader, others)) = quiet_group(seed, 5) else {
        return (setup_failed(), false);
    };
    let (f, rest) = (others[0], others[1..].to_vec());
    sim.run_for(Duration::from_millis(500));
    tracing::info!(%leader, %f, ?bug, "--- the follower hears the leader, nobody hears the follower");
    let net = sim.world.network_mut();
    net.partition(Partition::one_way(100, &[f], &[leader]));
    net.partition(Partition::symmetric(101, &[leader], &rest));
    net.partition(Partition::symmetric(102, &[f], &rest));
    write(&mut sim, leader, 3);
    sim.run_for(Duration::from_millis(300));
    tracing::info!("--- the leader dies; the other three elect a leader and commit");
    sim.crash(leader);
    let deadline = sim.world.now() + Duration::from_secs(10);
    sim.run_until(deadline, |s| {
        s.acknowledged_leader.is_some_and(|(l, _)| l != leader)
    });
    let Some((new_leader, _)) = sim.acknowledged_leader else {
        return (setup_failed(), false);
    };
    // Committed before the follower hears of them: they reach it with their commit.
    write(&mut sim, new_leader, 3);
    sim.run_for(Duration::from_millis(500));
    tracing::info!("--- the follower hears the new leader and tears what replaces its suffix");
    arm(&mut sim, f, DiskFaultKind::Torn, bug);
    // The leader's heartbeat bumps the follower's term on its own; its probe, a tick
    // later in the same round, brings the entries and their commit with the bump.
    let offset = Duration::from_millis(sim.world.rng().between(0, 300));
    sim.run_for(offset);
    sim.world.network_mut().heal(102);
    let deadline = sim.world.now() + Duration::from_secs(3);
    sim.run_until(deadline, |s| !s.world.is_up(f));
    let fired = fired(&sim, f);
    sim.run_for(Duration::from_millis(100));
    if sim.world.restart(f) {
        sim.after_member(f);
    }
    sim.run_for(Duration::from_secs(3));
    (sim.violations, fired)
}

/// The safety violations among `found`, and how many seeds fired their fault.
fn tally(runs: impl Iterator<Item = (u64, (Vec<Violation>, bool))>) -> (Vec<String>, usize) {
    let mut caught = Vec::new();
    let mut fired = 0;
    for (seed, (violations, f)) in runs {
        fired += usize::from(f);
        if let Some(v) = violations.iter().find(|v| SAFETY.contains(&v.invariant)) {
            caught.push(format!("seed {seed}: {v}"));
        }
    }
    (caught, fired)
}

#[test]
fn a_follower_crashing_during_any_persist_loses_nothing_committed() {
    for kind in DiskFaultKind::ALL {
        let mut fired = 0;
        let found = failures(SEEDS, |seed| {
            let (violations, f) = follower_crashes_persisting_an_append(seed, kind, None);
            fired += usize::from(f);
            violations
        });
        assert!(found.is_empty(), "{kind:?}:\n{}", found.join("\n"));
        tracing::info!(?kind, fired, "--- fired");
    }
}

#[test]
fn planted_acknowledgement_of_a_lost_write_is_caught() {
    let bug = Some(StorageBug::SendsBeforeDurable);
    let (caught, fired) = tally(SEEDS.map(|seed| {
        (
            seed,
            follower_crashes_persisting_an_append(seed, DiskFaultKind::Lost, bug),
        )
    }));
    tracing::info!(?caught, "--- caught");
    assert!(
        fired >= SEEDS.end as usize / 2,
        "the fault fired in only {fired} seeds"
    );
    assert!(
        caught.len() * 2 >= fired,
        "only {} of {fired} acknowledged lost writes caught: {caught:?}",
        caught.len()
    );
}

#[test]
fn a_tear_of_the_entries_replacing_a_stale_suffix_is_safe() {
    let mut fired = 0;
    let found = failures(SEEDS, |seed| {
        let (violations, f) = follower_tears_the_entries_replacing_a_stale_suffix(seed, None);
        fired += usize::from(f);
        violations
    });
    assert!(found.is_empty(), "{}", found.join("\n"));
    // Batches of one entry (a third of the seeds' engine settings) cannot tear.
    assert!(
        fired >= SEEDS.end as usize / 5,
        "the tear fired in only {fired} seeds"
    );
}

/// The tear must land on the one `Ready` that bumps the follower's term and brings the
/// replacing entries with their commit (the leader's probe arriving before its
/// heartbeat): about a quarter of the seeds.
#[test]
fn planted_hard_state_durable_before_its_entries_is_caught() {
    let bug = Some(StorageBug::HardStateFirst);
    let (caught, fired) = tally(SEEDS.map(|seed| {
        (
            seed,
            follower_tears_the_entries_replacing_a_stale_suffix(seed, bug),
        )
    }));
    tracing::info!(?caught, fired, "--- caught");
    assert!(
        caught.len() >= SEEDS.end as usize / 10,
        "only {} of {fired} tears caught: {caught:?}",
        caught.len()
    );
}
