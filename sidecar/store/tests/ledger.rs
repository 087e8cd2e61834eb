//! The ledger's behaviour across restarts: round trips, truncation, hard state,
//! snapshots and compaction, and the writes it refuses.

mod common;

use common::{entries, hard_state, segments, tiny};
use parliament_engine::engine::{Persisted, SnapshotMeta};
use parliament_engine::{LogIndex, Term};
use parliament_store::{Error, Failpoint, Ledger, LedgerOptions};

fn meta(index: u64, term: u64) -> SnapshotMeta {
    SnapshotMeta {
        index: LogIndex(index),
        term: Term(term),
    }
}

#[test]
fn a_new_ledger_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, recovered) =
        Ledger::open(dir.path().join("member"), LedgerOptions::default()).unwrap();
    assert_eq!(recovered, Default::default());
    assert_eq!(ledger.last_index(), LogIndex(0));
    drop(ledger);
    let (_, again) = Ledger::open(dir.path().join("member"), LedgerOptions::default()).unwrap();
    assert_eq!(again, Default::default());
}

#[test]
fn entries_and_hard_state_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), LedgerOptions::default()).unwrap();
    ledger
        .persist(Some(hard_state(1, Some(2), 0)), &entries(1, 3, 1))
        .unwrap();
    ledger.persist(None, &entries(4, 10, 1)).unwrap();
    ledger
        .persist(Some(hard_state(1, Some(2), 7)), &[])
        .unwrap();
    assert_eq!(ledger.last_index(), LogIndex(10));
    assert_eq!(ledger.term(LogIndex(10)), Some(Term(1)));
    drop(ledger);

    let (ledger, recovered) = Ledger::open(dir.path(), LedgerOptions::default()).unwrap();
    assert_eq!(recovered.hard_state, hard_state(1, Some(2), 7));
    assert_eq!(recovered.entries, entries(1, 10, 1));
    assert_eq!(recovered.snapshot, None);
    assert_eq!(recovered.torn_tail, None);
    assert_eq!(ledger.last_index(), LogIndex(10));
    assert_eq!(Ledger::load(dir.path()).unwrap(), recovered);
    assert_eq!(
        recovered.into_persisted(),
        Persisted {
            hard_state: hard_state(1, Some(2), 7),
            entries: entries(1, 10, 1),
            snapshot: None,
        }
    );
}

#[test]
fn a_conflicting_suffix_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger
        .persist(Some(hard_state(1, None, 0)), &entries(1, 40, 1))
        .unwrap();
    ledger.persist(None, &entries(41, 60, 1)).unwrap();
    // A new leader of term 3 overwrites from index 30.
    ledger
        .persist(Some(hard_state(3, Some(1), 0)), &entries(30, 35, 3))
        .unwrap();
    assert_eq!(ledger.last_index(), LogIndex(35));
    ledger.persist(None, &entries(36, 38, 3)).unwrap();
    // And it may rewrite its own tail again, right at the end.
    ledger.persist(None, &entries(38, 38, 4)).unwrap();
    assert!(
        segments(dir.path()).len() > 1,
        "the test should cross segments"
    );
    drop(ledger);

    let (_, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    let mut want = entries(1, 29, 1);
    want.extend(entries(30, 37, 3));
    want.extend(entries(38, 38, 4));
    assert_eq!(recovered.entries, want);
    assert_eq!(recovered.hard_state, hard_state(3, Some(1), 0));
}

#[test]
fn the_hard_state_survives_segment_rolls_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger
        .persist(Some(hard_state(5, Some(3), 0)), &[])
        .unwrap();
    for i in 1..=200 {
        ledger.persist(None, &entries(i, i, 5)).unwrap();
    }
    assert!(segments(dir.path()).len() > 3);
    ledger.install_snapshot(meta(190, 5), b"image").unwrap();
    ledger.compact(LogIndex(190)).unwrap();
    assert!(
        segments(dir.path()).len() <= 2,
        "old segments were not deleted"
    );
    drop(ledger);

    let (_, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    assert_eq!(recovered.hard_state, hard_state(5, Some(3), 0));
    assert_eq!(recovered.entries, entries(191, 200, 5));
}

#[test]
fn snapshot_compact_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger
        .persist(Some(hard_state(2, Some(1), 0)), &entries(1, 100, 2))
        .unwrap();
    for i in (101..=300).step_by(10) {
        ledger.persist(None, &entries(i, i + 9, 2)).unwrap();
    }
    let before = segments(dir.path()).len();

    tracing::info!("--- a local snapshot at 250 keeps the entries after it");
    ledger
        .install_snapshot(meta(250, 2), b"state at 250")
        .unwrap();
    assert_eq!(ledger.last_index(), LogIndex(300));
    assert_eq!(
        segments(dir.path()).len(),
        before,
        "install alone deletes nothing"
    );
    let recovered = Ledger::load(dir.path()).unwrap();
    assert_eq!(recovered.snapshot.as_ref().unwrap().meta, meta(250, 2));
    assert_eq!(&recovered.snapshot.unwrap().data[..], b"state at 250");
    assert_eq!(recovered.entries, entries(251, 300, 2));

    tracing::info!("--- compaction frees the segments the snapshot covers");
    assert!(matches!(
        ledger.compact(LogIndex(251)),
        Err(Error::CompactBeyondSnapshot { .. })
    ));
    ledger.compact(LogIndex(240)).unwrap();
    assert!(segments(dir.path()).len() < before);
    ledger.persist(None, &entries(301, 310, 2)).unwrap();
    drop(ledger);

    let (mut ledger, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    assert_eq!(recovered.first_index(), LogIndex(251));
    assert_eq!(recovered.entries, entries(251, 310, 2));
    assert_eq!(recovered.hard_state, hard_state(2, Some(1), 0));

    tracing::info!("--- a newer snapshot replaces the old file");
    ledger
        .install_snapshot(meta(305, 2), b"state at 305")
        .unwrap();
    ledger
        .install_snapshot(meta(300, 2), b"older: ignored")
        .unwrap();
    ledger.compact(LogIndex(305)).unwrap();
    drop(ledger);
    let snaps = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "snap")
        })
        .count();
    assert_eq!(snaps, 1);
    let recovered = Ledger::load(dir.path()).unwrap();
    assert_eq!(&recovered.snapshot.unwrap().data[..], b"state at 305");
    assert_eq!(recovered.entries, entries(306, 310, 2));
}

#[test]
fn a_snapshot_that_conflicts_with_the_log_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger
        .persist(Some(hard_state(1, None, 0)), &entries(1, 50, 1))
        .unwrap();
    // The leader's snapshot is at 80, term 3: this log ends before it.
    ledger
        .install_snapshot(meta(80, 3), b"leader state")
        .unwrap();
    assert_eq!(ledger.last_index(), LogIndex(80));
    assert!(matches!(
        ledger.persist(None, &entries(80, 80, 3)),
        Err(Error::BelowSnapshot { .. })
    ));
    ledger.persist(None, &entries(81, 85, 3)).unwrap();
    drop(ledger);
    let (mut ledger, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    assert_eq!(recovered.entries, entries(81, 85, 3));
    assert_eq!(
        segments(dir.path()).len(),
        1,
        "the discarded log's segments are gone"
    );

    // Same index, different term: the log conflicts and is discarded too.
    ledger
        .install_snapshot(meta(84, 4), b"newer leader")
        .unwrap();
    assert_eq!(ledger.term(LogIndex(85)), None);
    drop(ledger);
    let (_, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    assert_eq!(recovered.entries, vec![]);
    assert_eq!(recovered.last_index(), LogIndex(84));
}

#[test]
fn an_interrupted_snapshot_install_is_finished_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger
        .persist(Some(hard_state(1, None, 0)), &entries(1, 50, 1))
        .unwrap();
    // The snapshot file lands, then the crash hits before the log is reset.
    ledger.set_failpoint(Failpoint::FailWrite);
    assert!(ledger.install_snapshot(meta(40, 2), b"s").is_err());
    assert!(matches!(
        ledger.persist(None, &entries(51, 51, 1)),
        Err(Error::Poisoned { .. })
    ));
    drop(ledger);

    let (mut ledger, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    assert_eq!(recovered.snapshot.unwrap().meta, meta(40, 2));
    assert_eq!(
        recovered.entries,
        vec![],
        "entries 41..50 conflict with the snapshot"
    );
    ledger.persist(None, &entries(41, 42, 2)).unwrap();
    drop(ledger);
    assert_eq!(
        Ledger::load(dir.path()).unwrap().entries,
        entries(41, 42, 2)
    );
}

#[test]
fn refuses_writes_that_cannot_extend_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger.persist(None, &entries(1, 5, 1)).unwrap();
    let err = ledger.persist(None, &entries(7, 8, 1)).unwrap_err();
    assert!(matches!(err, Error::Gap { .. }), "{err}");
    assert!(err.to_string().contains("index 7"), "{err}");
    let mut holes = entries(6, 8, 1);
    holes.remove(1);
    let err = ledger.persist(None, &holes).unwrap_err();
    assert!(matches!(err, Error::NotConsecutive { .. }), "{err}");
    // Refusals are not failures: the ledger still works.
    ledger.persist(None, &entries(6, 6, 1)).unwrap();
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (_ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    let err = Ledger::open(dir.path(), tiny()).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

#[test]
fn a_failed_fsync_poisons_the_ledger_and_reopening_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ledger, _) = Ledger::open(dir.path(), tiny()).unwrap();
    ledger.persist(None, &entries(1, 5, 1)).unwrap();
    ledger.set_failpoint(Failpoint::FailSync);
    assert!(matches!(
        ledger.persist(None, &entries(6, 6, 1)),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        ledger.persist(None, &entries(6, 6, 1)),
        Err(Error::Poisoned { .. })
    ));
    drop(ledger);
    // The write reached the page cache, so it may survive: either outcome is allowed,
    // because the caller was never told it was durable.
    let (_, recovered) = Ledger::open(dir.path(), tiny()).unwrap();
    assert!(recovered.entries == entries(1, 5, 1) || recovered.entries == entries(1, 6, 1));
}
