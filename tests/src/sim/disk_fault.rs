//! A crash during a persist: [`DiskFault`], what kind it is ([`DiskFaultKind`]), and
//! where in one `Ready`'s writes it falls ([`DiskFault::crash_point`]).
//!
//! A member that crashes while persisting a `Ready` has sent and reported nothing of it
//! (the contract: nothing is sent before its persist is durable), and its disk holds a
//! prefix of that `Ready`'s writes, in the order the shell makes them (the sidecar's
//! `persist_send`): the leader's snapshot, then the hard state and entries, then the
//! member's own snapshot. What the prefix is depends on how the persist died
//! (docs/simulation.md, "Disk faults"):
//!
//! | kind | the disk after the crash |
//! | --- | --- |
//! | lost | none of it (written, not yet synced) |
//! | torn | the leader's snapshot, then the entries up to a random boundary, without the hard state |
//! | unsent | all of it (synced, crashed before sending) |
//! | failed | a write returned EIO: the store is poisoned and the process stops, with any prefix of the three steps (snapshot, frame, own snapshot) durable |
//! | corrupt | the hard state and entries frame was damaged, its checksum cuts it on recovery: the leader's snapshot only |
//! | snapshot | a crash while installing a snapshot: the old state, or the leader's snapshot installed (per the install rule) with the entries not written, or the entries durable and the member's own snapshot absent |
//!
//! The store (`parliament-store`'s `Ledger`) writes the hard state and entries as one
//! checksummed frame, so it never keeps part of them; a tear models a store that makes
//! each entry durable in order and the hard state last (etcd's WAL order). The other
//! order, hard state first, is not safe with this engine: a durable commit index ahead
//! of the entries that replace a stale suffix makes the restarted member apply the stale
//! entries. That is [`StorageBug::HardStateFirst`](crate::sim::StorageBug), which the
//! checkers must catch.
//!
//! Every outcome the store can leave is allowed, including the leader's snapshot durable
//! without the hard state that came with it when the snapshot's term is newer than the
//! stored one ([`ReadyWrites::install_newer_term`]): the engine restarts from it by
//! adopting the snapshot's term with no vote (it was an engine bug until then).

use crate::sim::SimRng;

/// How a persist dies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiskFaultKind {
    /// Nothing of the `Ready` reached the disk.
    Lost,
    /// Some of the entries reached it, cut at an entry boundary, the hard state not.
    Torn,
    /// Everything reached it; the crash came before anything was sent.
    Unsent,
    /// A write failed (EIO): the store is poisoned, the process stops, any prefix of its
    /// steps durable.
    Failed,
    /// The hard state and entries frame was damaged and is cut on recovery.
    Corrupt,
    /// The crash came during a snapshot install, the leader's or the member's own.
    Snapshot,
}

impl DiskFaultKind {
    /// Every kind, in report order.
    pub const ALL: [DiskFaultKind; 6] = [
        DiskFaultKind::Lost,
        DiskFaultKind::Torn,
        DiskFaultKind::Unsent,
        DiskFaultKind::Failed,
        DiskFaultKind::Corrupt,
        DiskFaultKind::Snapshot,
    ];

    /// The name in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            DiskFaultKind::Lost => "lost",
            DiskFaultKind::Torn => "torn",
            DiskFaultKind::Unsent => "unsent",
            DiskFaultKind::Failed => "failed",
            DiskFaultKind::Corrupt => "corrupt",
            DiskFaultKind::Snapshot => "during snapshot install",
        }
    }
}

/// What one `Ready` asks a member to write, as far as choosing a crash point goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadyWrites {
    /// A snapshot from the leader, installed first.
    pub install: bool,
    /// The leader's snapshot has a term newer than the stored hard state's, so the
    /// `Ready`'s hard state raises the term. Known engine bug: `Replica::new` refuses a
    /// snapshot newer than the hard state, so a crash between the install and the frame
    /// would leave a member that never restarts; until the engine accepts that disk, the
    /// install is durable only together with the frame.
    pub install_newer_term: bool,
    /// A hard state, made durable with the entries (a tear loses it).
    pub hard_state: bool,
    /// Entries.
    pub entries: usize,
    /// The member's own snapshot, stored (and the log compacted) last.
    pub taken: bool,
    /// Without the new hard state, how many leading entries the disk can hold and still
    /// be one the engine restarts from: an entry of a term newer than the stored hard
    /// state's is refused (`Replica::new`; docs/simulation.md, "Disk faults", on why the
    /// store never leaves that). `None`: all of them.
    pub entries_without_hard_state: Option<usize>,
}

impl ReadyWrites {
    /// Whether the `Ready` writes anything at all.
    #[must_use]
    pub fn any(&self) -> bool {
        self.install || self.hard_state || self.entries > 0 || self.taken
    }
}

/// The prefix of a `Ready`'s writes that is durable when the member crashes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashPoint {
    /// The leader's snapshot is installed.
    pub install: bool,
    /// The hard state is written.
    pub hard_state: bool,
    /// The first this many entries are written (the truncation comes with the first).
    pub entries: usize,
    /// The member's own snapshot is stored and the log compacted through it.
    pub taken: bool,
}

impl CrashPoint {
    /// Everything durable: what a persist that completes leaves.
    #[must_use]
    pub fn all(w: &ReadyWrites) -> CrashPoint {
        CrashPoint {
            install: w.install,
            hard_state: w.hard_state,
            entries: w.entries,
            taken: w.taken,
        }
    }

    /// Nothing durable.
    #[must_use]
    pub fn none() -> CrashPoint {
        CrashPoint::default()
    }

    /// The first `n` of the store's steps that `w` has, in order: the snapshot install,
    /// the hard state and entries frame (whole), the own snapshot.
    fn steps(w: &ReadyWrites, n: usize) -> CrashPoint {
        let install = w.install && n > 0;
        let n = n - usize::from(install);
        let frame = (w.hard_state || w.entries > 0) && n > 0;
        let n = n - usize::from(frame);
        CrashPoint {
            install,
            hard_state: frame && w.hard_state,
            entries: if frame { w.entries } else { 0 },
            taken: w.taken && n > 0,
        }
    }
}

/// A crash armed for a member's next persist it applies to, with the seed that picks
/// where the crash falls (drawn from the world's generator, so a seed replays it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskFault {
    /// How the persist dies.
    pub kind: DiskFaultKind,
    /// Picks the crash point inside the `Ready`.
    pub seed: u64,
}

impl DiskFault {
    /// A fault of a random kind.
    pub fn random(rng: &mut SimRng) -> DiskFault {
        let kind = *rng
            .pick(&DiskFaultKind::ALL)
            .unwrap_or(&DiskFaultKind::Lost);
        DiskFault {
            kind,
            seed: rng.next_u64(),
        }
    }

    /// Where a crash during `w` falls, or `None` when this fault does not apply to `w`
    /// and waits for a later persist (nothing to write; a tear with fewer than two
    /// writes in the frame; a snapshot crash without a snapshot).
    #[must_use]
    pub fn crash_point(&self, w: &ReadyWrites) -> Option<CrashPoint> {
        // Every outcome the store can leave is allowed, the leader's snapshot durable
        // without the hard state of its newer term included: the engine adopts the
        // snapshot's term with no vote (`Replica::new`).
        self.any_crash_point(w)
    }

    fn any_crash_point(&self, w: &ReadyWrites) -> Option<CrashPoint> {
        if !w.any() {
            return None;
        }
        let mut rng = SimRng::new(self.seed);
        let frame = w.hard_state || w.entries > 0;
        let steps = usize::from(w.install) + usize::from(frame) + usize::from(w.taken);
        let after_install = CrashPoint {
            install: w.install,
            ..CrashPoint::none()
        };
        match self.kind {
            DiskFaultKind::Lost => Some(CrashPoint::none()),
            DiskFaultKind::Unsent => Some(CrashPoint::all(w)),
            DiskFaultKind::Failed => {
                let n = rng.between(0, steps as u64) as usize;
                Some(CrashPoint::steps(w, n))
            }
            DiskFaultKind::Corrupt => frame.then_some(after_install),
            DiskFaultKind::Torn => Self::tear(&mut rng, w).map(|entries| CrashPoint {
                entries,
                ..after_install
            }),
            DiskFaultKind::Snapshot => {
                let mut points = Vec::new();
                if w.install {
                    points.extend([CrashPoint::none(), after_install]);
                }
                if w.taken {
                    points.push(CrashPoint {
                        taken: false,
                        ..CrashPoint::all(w)
                    });
                }
                rng.pick(&points).copied()
            }
        }
    }

    /// How many entries a tear keeps: a proper, non-empty prefix of the entries, then
    /// the hard state, as a store that makes each durable in turn leaves it; only as
    /// many as the engine can restart from without the new hard state.
    fn tear(rng: &mut SimRng, w: &ReadyWrites) -> Option<usize> {
        let most = if w.hard_state {
            w.entries
        } else {
            w.entries.saturating_sub(1)
        };
        let most = most.min(w.entries_without_hard_state.unwrap_or(usize::MAX));
        (most > 0).then(|| rng.between(1, most as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(install: bool, hard_state: bool, entries: usize, taken: bool) -> ReadyWrites {
        ReadyWrites {
            install,
            install_newer_term: false,
            hard_state,
            entries,
            taken,
            entries_without_hard_state: None,
        }
    }

    fn points(kind: DiskFaultKind, w: &ReadyWrites) -> Vec<Option<CrashPoint>> {
        (0..200)
            .map(|seed| DiskFault { kind, seed }.crash_point(w))
            .collect()
    }

    #[test]
    fn lost_and_unsent_are_nothing_and_everything() {
        let w = writes(true, true, 3, true);
        assert!(
            points(DiskFaultKind::Lost, &w)
                .iter()
                .all(|p| *p == Some(CrashPoint::none()))
        );
        let all = CrashPoint {
            install: true,
            hard_state: true,
            entries: 3,
            taken: true,
        };
        assert!(
            points(DiskFaultKind::Unsent, &w)
                .iter()
                .all(|p| *p == Some(all))
        );
        for kind in DiskFaultKind::ALL {
            assert_eq!(
                DiskFault { kind, seed: 1 }.crash_point(&ReadyWrites::default()),
                None,
                "{kind:?} fired on a Ready that writes nothing"
            );
        }
    }

    #[test]
    fn a_tear_keeps_some_entries_and_never_the_hard_state() {
        let w = writes(true, true, 3, true);
        let mut seen = std::collections::BTreeSet::new();
        for p in points(DiskFaultKind::Torn, &w) {
            let Some(p) = p else {
                panic!("a hard state and 3 entries can be torn")
            };
            assert!(p.install && !p.hard_state && !p.taken, "{p:?}");
            seen.insert(p.entries);
        }
        assert_eq!(seen, [1, 2, 3].into_iter().collect());
        // Without a hard state, all the entries is not a tear.
        let mut seen = std::collections::BTreeSet::new();
        for p in points(DiskFaultKind::Torn, &writes(false, false, 3, false)) {
            seen.insert(p.map(|p| p.entries));
        }
        assert_eq!(seen, [Some(1), Some(2)].into_iter().collect());
        let one = writes(false, false, 1, false);
        assert!(
            points(DiskFaultKind::Torn, &one)
                .iter()
                .all(Option::is_none),
            "one entry alone cannot tear"
        );
    }

    #[test]
    fn a_tear_never_leaves_entries_newer_than_the_stored_term() {
        let w = ReadyWrites {
            entries_without_hard_state: Some(2),
            ..writes(false, true, 5, false)
        };
        for p in points(DiskFaultKind::Torn, &w).into_iter().flatten() {
            assert!((1..=2).contains(&p.entries), "{p:?}");
        }
        let newer = ReadyWrites {
            entries_without_hard_state: Some(0),
            ..w
        };
        assert!(
            points(DiskFaultKind::Torn, &newer)
                .iter()
                .all(Option::is_none)
        );
    }

    #[test]
    fn snapshot_crashes_fall_around_the_installs() {
        let w = writes(true, true, 2, true);
        let mut seen = std::collections::BTreeSet::new();
        for p in points(DiskFaultKind::Snapshot, &w).into_iter().flatten() {
            seen.insert((p.install, p.hard_state, p.entries, p.taken));
        }
        let want = [
            (false, false, 0, false),
            (true, false, 0, false),
            (true, true, 2, false),
        ];
        assert_eq!(seen, want.into_iter().collect());
        assert_eq!(
            DiskFault {
                kind: DiskFaultKind::Snapshot,
                seed: 0
            }
            .crash_point(&writes(false, true, 2, false)),
            None
        );
    }

    #[test]
    fn a_failed_write_leaves_any_prefix_of_whole_steps_and_a_corrupt_frame_is_cut() {
        let w = writes(true, true, 2, true);
        let mut seen = std::collections::BTreeSet::new();
        for p in points(DiskFaultKind::Failed, &w).into_iter().flatten() {
            seen.insert((p.install, p.hard_state, p.entries, p.taken));
        }
        let want = [
            (false, false, 0, false),
            (true, false, 0, false),
            (true, true, 2, false),
            (true, true, 2, true),
        ];
        assert_eq!(seen, want.into_iter().collect());
        let c = DiskFault {
            kind: DiskFaultKind::Corrupt,
            seed: 9,
        };
        assert_eq!(
            c.crash_point(&writes(true, true, 2, true)),
            Some(CrashPoint {
                install: true,
                ..CrashPoint::none()
            })
        );
        assert_eq!(c.crash_point(&writes(true, false, 0, true)), None);
    }

    #[test]
    fn an_install_of_a_newer_term_may_be_left_without_its_hard_state() {
        // The engine restarts from that disk (adopting the snapshot's term), so the
        // faults leave it too: some kind crashes after the install, before the frame.
        let w = ReadyWrites {
            install_newer_term: true,
            ..writes(true, true, 2, false)
        };
        let left = DiskFaultKind::ALL.iter().any(|kind| {
            points(*kind, &w)
                .into_iter()
                .flatten()
                .any(|p| p.install && !p.hard_state)
        });
        assert!(left, "no fault leaves the install alone");
    }

    /// The sidecar installs the leader's snapshot, then persists the hard state that
    /// raised its term (`persist_send` in sidecar/src/node/driver.rs); a crash between
    /// the two leaves this disk, which the engine must restart from.
    #[test]
    fn a_crash_between_a_snapshot_install_and_its_hard_state_leaves_a_disk_the_engine_restarts_from()
     {
        use bytes::Bytes;
        use parliament_engine::engine::{
            Config, Entry, HardState, Payload, Replica, Snapshot, SnapshotMeta,
        };
        use parliament_engine::{GroupId, LogIndex, NodeId, Term, Time};

        let entry = |index: u64, term: u64| Entry {
            term: Term(term),
            index: LogIndex(index),
            payload: Payload::Noop,
        };
        let mut disk = crate::sim::Disk::new();
        let stored = HardState {
            term: Term(2),
            vote: None,
            commit: LogIndex(1),
        };
        assert!(
            disk.write(Some(stored), &[entry(1, 1), entry(2, 2)])
                .is_ok()
        );
        // A leader of t3 sends a snapshot through index 5 (term 3) as its first message:
        // the Ready installs it and raises the term to 3; the crash comes between.
        disk.install_snapshot(Snapshot {
            meta: SnapshotMeta {
                index: LogIndex(5),
                term: Term(3),
            },
            data: Bytes::new(),
        });
        let config = Config::new(NodeId(1), GroupId(1), [NodeId(1), NodeId(2), NodeId(3)]);
        let restarted = Replica::new(config, disk.persisted(), Time(0));
        assert!(restarted.is_ok(), "{:?}", restarted.err());
    }
}
