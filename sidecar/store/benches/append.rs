//! Prints fsync'd appends/s and latency of the ledger for batches of 1, 16 and 256
//! entries of 128 bytes, beside the disk's raw fsync rate and redb (the embedded
//! database the ledger was measured against), all measured in the same run.
//!
//! ```text
//! cargo bench -p parliament-store --bench append -- [--dir DIR] [--rounds N]
//! ```
//! Variants run interleaved, round after round, so that a slow spell of a shared disk
//! hits all of them; the ratio column is the median over rounds of (variant appends/s)
//! / (raw fsyncs/s in the same round).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parliament_engine::engine::{Entry, Payload};
use parliament_engine::{LogIndex, Term};
use parliament_store::{Ledger, LedgerOptions};

const BATCHES: [usize; 3] = [1, 16, 256];
const ENTRY_BYTES: usize = 128;

/// One thing being measured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Raw,
    Ledger(usize),
    Redb(usize),
}

impl Variant {
    fn name(self) -> String {
        match self {
            Variant::Raw => "raw disk: 4 KiB write + fdatasync".into(),
            Variant::Ledger(b) => format!("ledger persist, batch {b}"),
            Variant::Redb(b) => format!("redb commit (Immediate), batch {b}"),
        }
    }

    fn batch(self) -> usize {
        match self {
            Variant::Raw => 1,
            Variant::Ledger(b) | Variant::Redb(b) => b,
        }
    }

    fn ops_per_round(self) -> usize {
        if self.batch() >= 256 { 40 } else { 100 }
    }
}

#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    ratios: Vec<f64>,
    rates: Vec<f64>,
}

const TABLE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("log");

struct Targets {
    raw: File,
    raw_at: u64,
    ledgers: Vec<(Ledger, u64)>,
    redbs: Vec<(redb::Database, u64)>,
}

fn batch(first: u64, n: usize) -> Vec<Entry> {
    (0..n as u64)
        .map(|i| Entry {
            term: Term(1),
            index: LogIndex(first + i),
            payload: Payload::Command(Bytes::from(vec![0xAB; ENTRY_BYTES])),
        })
        .collect()
}

impl Targets {
    fn new(dir: &Path, total_raw_ops: usize) -> Targets {
        let raw_path = dir.join("raw");
        let raw = File::create(&raw_path).expect("create raw file");
        // Written and synced up front: the loop then measures data flushes only.
        raw.write_all_at(&vec![0; 4096 * total_raw_ops], 0)
            .expect("preallocate raw file");
        raw.sync_all().expect("fsync raw file");
        let ledgers = BATCHES
            .iter()
            .map(|b| {
                let (l, _) =
                    Ledger::open(dir.join(format!("ledger-{b}")), LedgerOptions::default())
                        .expect("open ledger");
                (l, 1)
            })
            .collect();
        let redbs = BATCHES
            .iter()
            .map(|b| {
                (
                    redb::Database::create(dir.join(format!("redb-{b}"))).expect("open redb"),
                    1,
                )
            })
            .collect();
        Targets {
            raw,
            raw_at: 0,
            ledgers,
            redbs,
        }
    }

    /// Performs one fsync'd append of `v` and returns how long it took.
    fn op(&mut self, v: Variant) -> Duration {
        let slot = |b: usize| BATCHES.iter().position(|x| *x == b).unwrap_or(0);
        match v {
            Variant::Raw => {
                let block = [0x5A; 4096];
                let start = Instant::now();
                self.raw
                    .write_all_at(&block, self.raw_at)
                    .expect("raw write");
                self.raw.sync_data().expect("raw fdatasync");
                self.raw_at += 4096;
                start.elapsed()
            }
            Variant::Ledger(b) => {
                let (ledger, next) = &mut self.ledgers[slot(b)];
                let entries = batch(*next, b);
                let start = Instant::now();
                ledger.persist(None, &entries).expect("persist");
                *next += b as u64;
                start.elapsed()
            }
            Variant::Redb(b) => {
                let (db, next) = &mut self.redbs[slot(b)];
                let value = vec![0xAB; ENTRY_BYTES + 9];
                let start = Instant::now();
                let tx = db.begin_write().expect("begin");
                {
                    let mut table = tx.open_table(TABLE).expect("table");
                    for i in 0..b as u64 {
                        table.insert(*next + i, value.as_slice()).expect("insert");
                    }
                }
                tx.commit().expect("commit");
                *next += b as u64;
                start.elapsed()
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut rounds = 10;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "--rounds" => rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(rounds),
            _ => {} // cargo passes --bench
        }
    }
    let base = dir.unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(&base).expect("temporary directory");
    let mut variants = vec![Variant::Raw];
    for b in BATCHES {
        variants.push(Variant::Ledger(b));
        variants.push(Variant::Redb(b));
    }
    let mut targets = Targets::new(tmp.path(), rounds * Variant::Raw.ops_per_round());
    let mut samples: Vec<Samples> = variants.iter().map(|_| Samples::default()).collect();
    for round in 0..rounds {
        eprintln!("round {}/{rounds}", round + 1);
        let mut round_rates = Vec::new();
        for (v, s) in variants.iter().zip(&mut samples) {
            let mut total = Duration::ZERO;
            for _ in 0..v.ops_per_round() {
                let d = targets.op(*v);
                total += d;
                s.latencies.push(d);
            }
            let rate = v.ops_per_round() as f64 / total.as_secs_f64();
            s.rates.push(rate);
            round_rates.push(rate);
        }
        let raw = round_rates[0];
        for (s, rate) in samples.iter_mut().zip(&round_rates) {
            s.ratios.push(rate / raw);
        }
    }

    println!(
        "disk under {}; {rounds} rounds; entries of {ENTRY_BYTES} bytes",
        base.display()
    );
    println!();
    println!("| what | appends/s | entries/s | p50 | p99 | vs raw fsync |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (v, s) in variants.iter().zip(&mut samples) {
        s.latencies.sort();
        let rate = median(&mut s.rates);
        println!(
            "| {} | {:.0} | {:.0} | {:.3} ms | {:.3} ms | {:.2} |",
            v.name(),
            rate,
            rate * v.batch() as f64,
            percentile(&s.latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&s.latencies, 0.99).as_secs_f64() * 1e3,
            median(&mut s.ratios),
        );
    }
}
