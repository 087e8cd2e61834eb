//! Real-disk crash test: a child process appends to a ledger and reports every index
//! whose `persist` returned; the parent kills it with SIGKILL at a random moment,
//! reopens the directory and checks that every acknowledged entry is there, intact.
//!
//! The child is this same test binary, re-run with `--ignored --exact writer_child`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::entries;
use parliament_engine::engine::{HardState, SnapshotMeta};
use parliament_engine::{LogIndex, Term};
use parliament_store::{Ledger, LedgerOptions};

const DIR_VAR: &str = "PARLIAMENT_STORE_CRASH_DIR";
const SEED_VAR: &str = "PARLIAMENT_STORE_CRASH_SEED";
/// Small segments and chunks, so that kills land in rolls and preallocation too.
const OPTIONS: LedgerOptions = LedgerOptions {
    segment_bytes: 128 << 10,
    prealloc_bytes: 16 << 10,
};
/// How long the parent waits for the child's progress before failing.
const PATIENCE: Duration = Duration::from_secs(120);

/// A tiny deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The image of a snapshot at `index`: checkable by the parent.
fn snapshot_image(index: u64) -> Vec<u8> {
    (0..4096 + index % 1000)
        .map(|i| (i ^ index) as u8)
        .collect()
}

#[test]
#[ignore = "child process of sigkill_mid_write_loses_nothing_acknowledged"]
fn writer_child() {
    let (Ok(dir), Ok(seed)) = (std::env::var(DIR_VAR), std::env::var(SEED_VAR)) else {
        panic!("run by sigkill_mid_write_loses_nothing_acknowledged only");
    };
    let mut rng = Rng(seed.parse::<u64>().unwrap() | 1);
    let (mut ledger, recovered) = Ledger::open(&dir, OPTIONS).unwrap();
    // Each life of the writer is a new term, as a restarted member would see.
    let term = recovered.hard_state.term.get() + 1;
    let mut hs = HardState {
        term: Term(term),
        ..recovered.hard_state
    };
    ledger.persist(Some(hs), &[]).unwrap();
    // Entries after the last acknowledged one may have survived the previous kill
    // (durable but never acknowledged): this life appends after all of them.
    println!("FROM {} {term}", ledger.last_index().get());
    for n in 0u64..200_000 {
        let first = ledger.last_index().get() + 1;
        let last = first + rng.below(16);
        let new_hs = (n % 40 == 0).then(|| {
            hs.commit = LogIndex(first - 1);
            hs
        });
        ledger.persist(new_hs, &entries(first, last, term)).unwrap();
        println!("ACK {last} {term}");
        if n % 50 == 49 {
            let index = LogIndex(last - 5);
            let meta = SnapshotMeta {
                index,
                term: ledger.term(index).unwrap(),
            };
            ledger
                .install_snapshot(meta, &snapshot_image(index.get()))
                .unwrap();
            ledger.compact(index).unwrap();
            println!("SNAP {}", index.get());
        }
    }
}

/// What the child acknowledged before it died.
#[derive(Debug, Default)]
struct Acks {
    /// The term of every acknowledged index.
    terms: BTreeMap<u64, u64>,
    /// The first index the current writer appends at.
    from: u64,
    /// The highest acknowledged term.
    term: u64,
    /// The newest acknowledged snapshot.
    snapshot: u64,
}

impl Acks {
    fn take(&mut self, line: &str) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("FROM"), Some(last), Some(term)) => {
                self.from = last.parse::<u64>().unwrap() + 1;
                self.term = self.term.max(term.parse().unwrap());
            }
            (Some("ACK"), Some(last), Some(term)) => {
                let (last, term): (u64, u64) = (last.parse().unwrap(), term.parse().unwrap());
                for i in self.from..=last {
                    self.terms.insert(i, term);
                }
                self.from = last + 1;
            }
            (Some("SNAP"), Some(index), None) => self.snapshot = index.parse().unwrap(),
            _ => {}
        }
    }

    fn count(&self) -> usize {
        self.terms.len()
    }
}

/// Runs the writer on `dir` and kills it once it has acknowledged `kill_after` more
/// persist calls.
fn run_and_kill(dir: &Path, seed: u64, kill_after: usize, acks: &mut Acks) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .env(SEED_VAR, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest may print its own words before ours on the same line.
            if let Some(at) = ["FROM ", "ACK ", "SNAP "].iter().find_map(|w| line.find(w))
                && tx.send(line[at..].to_string()).is_err()
            {
                break;
            }
        }
    });
    let deadline = Instant::now() + PATIENCE;
    let mut seen = 0;
    while seen < kill_after {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen += usize::from(line.starts_with("ACK"));
                acks.take(&line);
            }
            Err(e) => panic!(
                "waited {PATIENCE:?} for the writer's {kill_after} acknowledgements, got {seen}: {e:?}"
            ),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Lines the writer printed before it died were acknowledged too.
    reader.join().unwrap();
    while let Ok(line) = rx.try_recv() {
        acks.take(&line);
    }
}

fn check(dir: &Path, acks: &Acks) {
    let (ledger, recovered) = Ledger::open(dir, OPTIONS).unwrap();
    if let Some(torn) = &recovered.torn_tail {
        eprintln!(
            "    cut a torn tail of {} bytes at {}",
            torn.len, torn.offset
        );
    }
    let last_ack = *acks.terms.keys().next_back().unwrap_or(&0);
    assert!(
        recovered.last_index().get() >= last_ack,
        "acknowledged index {last_ack} lost: the ledger ends at {}",
        recovered.last_index().get()
    );
    assert!(
        recovered.hard_state.term.get() >= acks.term,
        "acknowledged term lost"
    );
    let snap = recovered
        .snapshot
        .as_ref()
        .map_or(0, |s| s.meta.index.get());
    assert!(
        snap >= acks.snapshot,
        "acknowledged snapshot {} lost",
        acks.snapshot
    );
    if let Some(s) = &recovered.snapshot {
        assert_eq!(
            s.data,
            Bytes::from(snapshot_image(snap)),
            "snapshot image damaged"
        );
    }
    for e in &recovered.entries {
        let i = e.index.get();
        let want = entries(i, i, e.term.get()).remove(0).payload;
        assert_eq!(e.payload, want, "entry {i} damaged");
        if let Some(term) = acks.terms.get(&i) {
            assert_eq!(e.term.get(), *term, "acknowledged entry {i} replaced");
        }
    }
    drop(ledger);
}

#[test]
fn sigkill_mid_write_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_cafe);
    let mut acks = Acks::default();
    for round in 0..8u64 {
        let kill_after = 1 + rng.below(400) as usize;
        eprintln!("--- round {round}: kill the writer after {kill_after} more acknowledgements");
        run_and_kill(dir.path(), round + 1, kill_after, &mut acks);
        check(dir.path(), &acks);
        eprintln!(
            "    survived: {} acknowledged entries, snapshot at {}",
            acks.count(),
            acks.snapshot
        );
    }
}
