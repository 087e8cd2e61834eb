//! Part 2 of the benchmark: our engine beside openraft, the same in-memory 3-member
//! batched workload in one process ([`engine_vs_openraft`]). No disk, no network: each
//! side hands messages to the others in memory. Runs alternate between the two sides
//! (ours first in even repeats, openraft first in odd ones) so that a noisy neighbour
//! slows both; the ratio is taken per run pair.

mod engine_group;
mod openraft_group;
mod openraft_network;
mod openraft_store;

use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;

pub use engine_group::EngineGroup;
pub use openraft_group::OpenraftGroup;

use crate::stats::{ratios, show};
use crate::table::Table;

/// What part 2 runs.
#[derive(Clone, Debug)]
pub struct RaftPlan {
    /// Members of each group.
    pub members: u64,
    /// Commands per proposal (ours) or per `client_write_many` (openraft).
    pub batches: Vec<usize>,
    /// Commands per run for batches above 1.
    pub total: usize,
    /// Commands per run for batch 1 (every command waits for the previous one).
    pub total_unbatched: usize,
    /// Run pairs per batch size.
    pub repeats: usize,
    /// Bytes per command.
    pub payload_bytes: usize,
    /// Worker threads of openraft's tokio runtime.
    pub openraft_threads: usize,
}

/// One batch size's runs, one pair per repeat.
#[derive(Clone, Debug)]
pub struct BatchResult {
    /// Commands per batch.
    pub batch: usize,
    /// Commands per run.
    pub total: usize,
    /// Entries per second, ours, per run.
    pub ours: Vec<f64>,
    /// Entries per second, openraft, per run.
    pub openraft: Vec<f64>,
    /// Messages per entry in our group (deterministic).
    pub messages_per_entry: f64,
}

fn rate(total: usize, took: Duration) -> f64 {
    total as f64 / took.as_secs_f64().max(1e-9)
}

fn ours_once(
    plan: &RaftPlan,
    batch: usize,
    total: usize,
    payload: &Bytes,
) -> anyhow::Result<(f64, f64)> {
    let mut g = EngineGroup::start(plan.members)?;
    let took = g.run(batch, total, payload)?;
    Ok((rate(total, took), g.messages as f64 / total as f64))
}

/// Runs both sides for every batch size.
///
/// # Errors
/// Either side failed to start or to apply every command.
pub fn engine_vs_openraft(plan: &RaftPlan) -> anyhow::Result<Vec<BatchResult>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(plan.openraft_threads.max(1))
        .enable_all()
        .build()
        .context("tokio runtime for openraft")?;
    let payload = Bytes::from(vec![7u8; plan.payload_bytes]);
    let mut out = Vec::new();
    for &batch in &plan.batches {
        let total = if batch == 1 {
            plan.total_unbatched
        } else {
            plan.total
        };
        let total = total.div_ceil(batch) * batch;
        let mut r = BatchResult {
            batch,
            total,
            ours: Vec::new(),
            openraft: Vec::new(),
            messages_per_entry: f64::NAN,
        };
        for i in 0..plan.repeats {
            let theirs = || -> anyhow::Result<f64> {
                rt.block_on(async {
                    let g = OpenraftGroup::start(plan.members).await?;
                    let took = g.run(batch, total, &payload).await;
                    g.shutdown().await;
                    Ok(rate(total, took?))
                })
            };
            let (ours, theirs) = if i % 2 == 0 {
                let o = ours_once(plan, batch, total, &payload)?;
                (o, theirs()?)
            } else {
                let t = theirs()?;
                (ours_once(plan, batch, total, &payload)?, t)
            };
            r.ours.push(ours.0);
            r.messages_per_entry = ours.1;
            r.openraft.push(theirs);
        }
        eprintln!(
            "  batch {batch}: ours {} entries/s, openraft {} entries/s",
            show(&r.ours, 0),
            show(&r.openraft, 0)
        );
        out.push(r);
    }
    Ok(out)
}

/// One row per batch size.
#[must_use]
pub fn raft_table(results: &[BatchResult], plan: &RaftPlan) -> Table {
    let mut t = Table::new(&[
        "batch",
        "writes / run",
        "runs",
        "ours entries/s",
        "openraft entries/s",
        "ours / openraft (per run pair)",
        "our msgs / entry",
    ]);
    for r in results {
        let ratio = ratios(&r.ours, &r.openraft);
        let verdict = crate::stats::Summary::of(&ratio).map_or("n/a", |s| {
            if s.max < 1.0 {
                "LOSES"
            } else if s.min > 1.0 {
                "wins"
            } else {
                "mixed"
            }
        });
        t.row(vec![
            r.batch.to_string(),
            r.total.to_string(),
            plan.repeats.to_string(),
            show(&r.ours, 0),
            show(&r.openraft, 0),
            format!("{}× {verdict}", show(&ratio, 2)),
            format!("{:.3}", r.messages_per_entry),
        ]);
    }
    t
}
