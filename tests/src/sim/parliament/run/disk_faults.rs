//! Directed disk faults in a parliament: a district follower crashes persisting its
//! leader's append while it is the only member that can acknowledge it. With the storage
//! the contract asks for, the district's checkers stay silent; with a planted storage
//! bug that acknowledges the lost write ([`StorageBug::SendsBeforeDurable`]), they must
//! flag the committed entry the district then loses.

use std::time::Duration;

use parliament_engine::engine::Role;
use parliament_engine::state::{Command, Key, Write};
use parliament_engine::westminster::DistrictId;
use parliament_engine::{NodeId, Time};

use super::ParliamentRun;
use crate::sim::parliament::ParliamentOptions;
use crate::sim::{
    DiskFault, DiskFaultKind, FaultSet, MemberNode, Partition, StorageBug, Violation,
};

const SEEDS: std::ops::Range<u64> = 0..5;

/// Invariants that losing an acknowledged entry must trip.
const SAFETY: [&str; 4] = [
    "leader-completeness",
    "state-machine-safety",
    "no-committed-entry-lost",
    "acknowledged-present",
];

/// Runs the parliament for `d` of virtual time; false on a violation.
fn run_for(run: &mut ParliamentRun, d: Duration) -> bool {
    let until = run.world.now() + d;
    while run.world.now() < until {
        if !run.step() {
            return false;
        }
    }
    true
}

/// The leader of district 0 and its two followers, once every member agrees on it.
fn district_roles(run: &ParliamentRun) -> Option<(NodeId, NodeId, NodeId)> {
    let members: Vec<NodeId> = run
        .roster
        .district(DistrictId(0))?
        .members
        .iter()
        .copied()
        .collect();
    let leads = |id: NodeId| {
        run.world
            .node(id)
            .and_then(MemberNode::member)
            .is_some_and(|m| m.district_status().role == Role::Leader)
    };
    let leader = members.iter().copied().find(|&id| leads(id))?;
    let others: Vec<NodeId> = members.into_iter().filter(|&id| id != leader).collect();
    Some((leader, *others.first()?, *others.get(1)?))
}

/// A quiet 3×3 parliament: boot, convene, settle. `kind` armed on a follower of district
/// 0 that alone hears its leader, with `bug` planted there; the leader takes writes, then
/// crashes; the follower restarts and the third member hears again.
fn follower_crashes_persisting_an_append(
    seed: u64,
    kind: DiskFaultKind,
    bug: Option<StorageBug>,
) -> (Vec<Violation>, bool) {
    let setup = |why: &str| vec![Violation::new("setup", Time(0), None, why.to_owned())];
    let opts = ParliamentOptions {
        seed,
        sizes: vec![3, 3, 3],
        faults: FaultSet::none(),
        clients: 0,
        term_limit_ms: 0,
        lord_term_ms: 0,
        ..ParliamentOptions::default()
    };
    let Ok(mut run) = ParliamentRun::new(&opts) else {
        return (setup("options"), false);
    };
    for id in run.world.boot() {
        run.after_member(id);
    }
    let start = run.world.now();
    if run.convene(start, "after boot").is_none() || !run_for(&mut run, Duration::from_secs(1)) {
        return (run.violations, false);
    }
    let Some((leader, a, b)) = district_roles(&run) else {
        return (setup("no district leader"), false);
    };
    tracing::info!(%leader, %a, %b, ?kind, ?bug, "--- only one follower hears the district leader");
    run.world
        .network_mut()
        .partition(Partition::symmetric(1 << 50, &[leader], &[b]));
    if let (Some(bug), Some(node)) = (bug, run.world.node_mut(a)) {
        node.plant(bug);
    }
    let fault = DiskFault {
        kind,
        seed: run.world.rng().next_u64(),
    };
    run.world.arm_disk_fault(a, fault, Duration::ZERO);
    tracing::info!("--- the leader takes writes; the follower crashes persisting one");
    let scope = run.scopes[0].clone();
    for i in 0..3 {
        let Ok(key) = Key::new(format!("k{i}")) else {
            return (setup("key"), false);
        };
        let cmd: Command = Write::put(scope.clone(), key, bytes::Bytes::from(vec![b'v'; 3])).into();
        run.world.act(leader, |node, now, out| {
            let r = node.member_mut().map(|m| m.propose(now, &cmd));
            node.drain(out);
            r
        });
        run.touched.insert(leader);
    }
    run_for(&mut run, Duration::from_millis(300));
    let fired = run
        .world
        .node(a)
        .is_some_and(|n| n.disk_faults().total() > 0);
    tracing::info!("--- the leader dies; the follower restarts, the third member hears again");
    if run.world.crash(leader) {
        run.observe_crash(leader);
    }
    run.world.network_mut().heal(1 << 50);
    if run.world.restart(a) {
        run.after_member(a);
    }
    run_for(&mut run, Duration::from_secs(5));
    (run.violations, fired)
}

#[test]
fn a_district_follower_crashing_during_any_persist_loses_nothing_committed() {
    for kind in DiskFaultKind::ALL {
        for seed in SEEDS {
            let (violations, _) = follower_crashes_persisting_an_append(seed, kind, None);
            assert!(
                violations.is_empty(),
                "{kind:?} seed {seed}: {:?}",
                violations.first().map(ToString::to_string)
            );
        }
    }
}

#[test]
fn planted_acknowledgement_of_a_lost_write_is_caught_in_a_district() {
    let (mut caught, mut fired) = (Vec::new(), 0);
    for seed in SEEDS {
        let (violations, f) = follower_crashes_persisting_an_append(
            seed,
            DiskFaultKind::Lost,
            Some(StorageBug::SendsBeforeDurable),
        );
        fired += usize::from(f);
        if let Some(v) = violations.iter().find(|v| SAFETY.contains(&v.invariant)) {
            caught.push(format!("seed {seed}: {v}"));
        }
    }
    tracing::info!(?caught, fired, "--- caught");
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
