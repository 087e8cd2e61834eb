//! Helpers shared by the ledger's integration tests.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::fs;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use parliament_engine::engine::{Entry, HardState, Payload};
use parliament_engine::{LogIndex, NodeId, Term};
use parliament_store::LedgerOptions;

/// A command whose bytes depend only on its index and term, so any copy can be checked.
pub fn command(index: u64, term: u64) -> Bytes {
    let len = (index * 7 + term) % 200;
    Bytes::from(
        (0..len)
            .map(|i| (index.wrapping_mul(31) ^ term ^ i) as u8)
            .collect::<Vec<_>>(),
    )
}

/// Entries `from..=to` in `term`; every fifth one is a no-op.
pub fn entries(from: u64, to: u64, term: u64) -> Vec<Entry> {
    (from..=to)
        .map(|i| Entry {
            term: Term(term),
            index: LogIndex(i),
            payload: if i % 5 == 0 {
                Payload::Noop
            } else {
                Payload::Command(command(i, term))
            },
        })
        .collect()
}

/// A hard state.
pub fn hard_state(term: u64, vote: Option<u64>, commit: u64) -> HardState {
    HardState {
        term: Term(term),
        vote: vote.map(NodeId),
        commit: LogIndex(commit),
    }
}

/// Options with tiny segments, so that tests cross segment boundaries, and files that
/// grow exactly by each frame (`prealloc_bytes: 1`) so frame boundaries are visible.
pub fn tiny() -> LedgerOptions {
    LedgerOptions {
        segment_bytes: 4096,
        prealloc_bytes: 1,
    }
}

/// The segment files in `dir`, oldest first.
pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    out.sort();
    out
}

/// Copies the files of `from` into a new temporary directory.
pub fn copy_dir(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for item in fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        fs::copy(item.path(), to.path().join(item.file_name())).unwrap();
    }
    to
}

/// The length of a file.
pub fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}
