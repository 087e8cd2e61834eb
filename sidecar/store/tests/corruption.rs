//! Fuzz-like property: any random damage to a ledger directory never panics the
//! loader. It either reports corruption, or returns the ledger as it was after one of
//! the persist calls (a torn tail was cut).

mod common;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use common::{copy_dir, entries, hard_state};
use parliament_engine::engine::{Entry, HardState, SnapshotMeta};
use parliament_engine::{LogIndex, Term};
use parliament_store::{Ledger, LedgerOptions, Recovered};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const OPTIONS: LedgerOptions = LedgerOptions {
    segment_bytes: 4096,
    prealloc_bytes: 512,
};

/// One state the ledger went through: its whole log and hard state.
struct State {
    log: Vec<Entry>,
    hard_state: HardState,
}

/// Builds a ledger with several segments, a rewritten suffix, a snapshot and a
/// compaction, and records every state it passed through.
fn build(dir: &Path) -> Vec<State> {
    let (mut ledger, _) = Ledger::open(dir, OPTIONS).unwrap();
    let mut history = Vec::new();
    let mut log = Vec::new();
    let mut hs = hard_state(1, Some(1), 0);
    let mut persist = |ledger: &mut Ledger, new_hs: Option<HardState>, new: Vec<Entry>| {
        ledger.persist(new_hs, &new).unwrap();
        if let Some(first) = new.first() {
            log.truncate(first.index.get() as usize - 1);
            log.extend(new);
        }
        hs = new_hs.unwrap_or(hs);
        history.push(State {
            log: log.clone(),
            hard_state: hs,
        });
    };
    persist(
        &mut ledger,
        Some(hard_state(1, Some(1), 0)),
        entries(1, 5, 1),
    );
    for i in (6..=60).step_by(5) {
        persist(&mut ledger, None, entries(i, i + 4, 1));
    }
    persist(
        &mut ledger,
        Some(hard_state(2, Some(2), 40)),
        entries(50, 52, 2),
    );
    for i in (53..=90).step_by(3) {
        persist(&mut ledger, None, entries(i, i + 2, 2));
    }
    let meta = SnapshotMeta {
        index: LogIndex(30),
        term: Term(1),
    };
    ledger.install_snapshot(meta, b"state at 30").unwrap();
    ledger.compact(LogIndex(30)).unwrap();
    for i in (92..=110).step_by(6) {
        persist(
            &mut ledger,
            Some(hard_state(2, Some(2), i)),
            entries(i, i + 5, 2),
        );
    }
    history
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "LOCK"))
        .collect();
    out.sort();
    out
}

/// Whether `recovered` is the ledger as it was after some persist call.
fn is_a_past_state(recovered: &Recovered, history: &[State]) -> bool {
    let first = recovered.first_index().get() as usize;
    history.iter().any(|state| {
        state.hard_state == recovered.hard_state
            && state.log.get(first - 1..) == Some(&recovered.entries[..])
    })
}

#[derive(Debug, Clone)]
enum Damage {
    /// Set the byte at this fraction of the file to a value.
    Byte { file: usize, at: f64, value: u8 },
    /// Cut the file at this fraction of its length.
    Truncate { file: usize, at: f64 },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        4 => (any::<usize>(), 0.0..1.0f64, any::<u8>())
            .prop_map(|(file, at, value)| Damage::Byte { file, at, value }),
        1 => (any::<usize>(), 0.0..1.0f64).prop_map(|(file, at)| Damage::Truncate { file, at }),
    ]
}

fn apply(dir: &Path, damage: &[Damage]) {
    let files = files(dir);
    for d in damage {
        match *d {
            Damage::Byte { file, at, value } => {
                let path = &files[file % files.len()];
                let len = fs::metadata(path).unwrap().len();
                if len > 0 {
                    let f = OpenOptions::new().write(true).open(path).unwrap();
                    f.write_all_at(&[value], ((len as f64) * at) as u64 % len)
                        .unwrap();
                }
            }
            Damage::Truncate { file, at } => {
                let path = &files[file % files.len()];
                let len = fs::metadata(path).unwrap().len();
                let f = OpenOptions::new().write(true).open(path).unwrap();
                f.set_len(((len as f64) * at) as u64).unwrap();
            }
        }
    }
}

#[test]
fn random_damage_never_panics_and_never_invents_a_state() {
    let base = tempfile::tempdir().unwrap();
    let history = build(base.path());
    let intact = Ledger::load(base.path()).unwrap();
    assert!(is_a_past_state(&intact, &history));
    let mut invented = intact.clone();
    invented.entries[3].term = Term(9);
    assert!(
        !is_a_past_state(&invented, &history),
        "the check must be able to fail"
    );

    let (loaded, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));

    let mut runner = TestRunner::new(Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(damage(), 1..4);
    runner
        .run(&strategy, |damage| {
            let dir = copy_dir(base.path());
            apply(dir.path(), &damage);
            match Ledger::load(dir.path()) {
                Ok(recovered) => {
                    loaded.set(loaded.get() + 1);
                    prop_assert!(
                        is_a_past_state(&recovered, &history),
                        "loaded a state that never was"
                    );
                }
                Err(e) => {
                    refused.set(refused.get() + 1);
                    prop_assert!(
                        matches!(e, parliament_store::Error::Corrupt { .. }),
                        "unexpected error {e}"
                    );
                }
            }
            if let Ok((_, recovered)) = Ledger::open(dir.path(), OPTIONS) {
                prop_assert!(is_a_past_state(&recovered, &history));
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "{} damaged directories loaded a past state, {} were refused as corrupt",
        loaded.get(),
        refused.get()
    );
    assert!(
        loaded.get() > 0 && refused.get() > 0,
        "both outcomes should occur"
    );
}
