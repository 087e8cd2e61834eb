//! Part 2 of the benchmark: our engine beside openraft, the same in-memory 3-member
//! batched workload in one process ([`engine_vs_openraft`]). No disk, no network: each
//! side hands messages to the others in memory. Runs alternate between the two sides
//! (ours first in even repeats, openraft first in odd ones) so that a noisy neighbour
//! slows both; the ratio is taken per run pair.

pub(crate) mod cpu_time;
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
    /// Entries per second, openraft on one thread (a current-thread runtime), per run.
    pub openraft_one: Vec<f64>,
    /// Entries per second, openraft on a multi-thread runtime, per run.
    pub openraft: Vec<f64>,
    /// Entries per CPU second (all threads), ours, per run.
    pub ours_cpu: Vec<f64>,
    /// Entries per CPU second (all threads), openraft multi-threaded, per run.
    pub openraft_cpu: Vec<f64>,
    /// Messages per entry in our group (deterministic).
    pub messages_per_entry: f64,
}

fn rate(total: usize, took: Duration) -> f64 {
    total as f64 / took.as_secs_f64().max(1e-9)
}

/// Entries per second of wall time and per second of CPU time (NaN when the CPU time is
/// unknown or too short to resolve).
#[derive(Clone, Copy, Debug)]
struct Rates {
    wall: f64,
    cpu: f64,
}

/// Runs `f`, timing it by wall clock and by this process's CPU time.
fn measure(total: usize, f: impl FnOnce() -> anyhow::Result<Duration>) -> anyhow::Result<Rates> {
    let cpu0 = cpu_time::process_cpu();
    let took = f()?;
    let cpu = match (cpu0, cpu_time::process_cpu()) {
        (Some(a), Some(b)) if b > a => rate(total, b - a),
        _ => f64::NAN,
    };
    Ok(Rates {
        wall: rate(total, took),
        cpu,
    })
}

fn ours_once(
    plan: &RaftPlan,
    batch: usize,
    total: usize,
    payload: &Bytes,
) -> anyhow::Result<(Rates, f64)> {
    let mut g = EngineGroup::start(plan.members)?;
    let r = measure(total, || g.run(batch, total, payload))?;
    Ok((r, g.messages as f64 / total as f64))
}

fn openraft_once(
    rt: &tokio::runtime::Runtime,
    plan: &RaftPlan,
    batch: usize,
    total: usize,
    payload: &Bytes,
) -> anyhow::Result<Rates> {
    let g = rt.block_on(OpenraftGroup::start(plan.members))?;
    let r = measure(total, || rt.block_on(g.run(batch, total, payload)));
    rt.block_on(g.shutdown());
    r
}

/// Runs both sides for every batch size.
///
/// # Errors
/// Either side failed to start or to apply every command.
pub fn engine_vs_openraft(plan: &RaftPlan) -> anyhow::Result<Vec<BatchResult>> {
    let one = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("tokio runtime for openraft")?;
    let many = tokio::runtime::Builder::new_multi_thread()
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
            openraft_one: Vec::new(),
            openraft: Vec::new(),
            ours_cpu: Vec::new(),
            openraft_cpu: Vec::new(),
            messages_per_entry: f64::NAN,
        };
        for i in 0..plan.repeats {
            // Rotate who goes first, so that a neighbour's burst does not always land
            // on the same side.
            let (mut ours, mut single, mut multi) = (None, None, None);
            for k in 0..3 {
                match (i + k) % 3 {
                    0 => ours = Some(ours_once(plan, batch, total, &payload)?),
                    1 => single = Some(openraft_once(&one, plan, batch, total, &payload)?),
                    _ => multi = Some(openraft_once(&many, plan, batch, total, &payload)?),
                }
            }
            let (Some((ours, mpe)), Some(single), Some(multi)) = (ours, single, multi) else {
                continue;
            };
            r.ours.push(ours.wall);
            r.ours_cpu.push(ours.cpu);
            r.messages_per_entry = mpe;
            r.openraft_one.push(single.wall);
            r.openraft.push(multi.wall);
            r.openraft_cpu.push(multi.cpu);
        }
        eprintln!(
            "  batch {batch}: ours {} entries/s, openraft {} (1 thread) {} ({} threads)",
            show(&r.ours, 0),
            show(&r.openraft_one, 0),
            show(&r.openraft, 0),
            plan.openraft_threads
        );
        out.push(r);
    }
    Ok(out)
}

fn verdict(ratio: &[f64]) -> String {
    let Some(s) = crate::stats::Summary::of(ratio) else {
        return "n/a".to_owned();
    };
    let word = if s.max < 1.0 {
        "LOSES"
    } else if s.min > 1.0 {
        "wins"
    } else {
        "mixed"
    };
    format!("{}× {word}", s.show(2))
}

/// One row per batch size.
#[must_use]
pub fn raft_table(results: &[BatchResult], plan: &RaftPlan) -> Table {
    let threads = plan.openraft_threads;
    let many = format!("openraft, {threads} threads");
    let h = [
        "batch".to_owned(),
        "writes / run".to_owned(),
        "runs".to_owned(),
        "ours entries/s".to_owned(),
        "openraft, 1 thread".to_owned(),
        many.clone(),
        "ours ÷ openraft 1 thread".to_owned(),
        format!("ours ÷ {many}"),
        "ours entries / CPU s".to_owned(),
        format!("{many}: entries / CPU s"),
        "ours ÷ openraft per CPU s".to_owned(),
        "our msgs / entry".to_owned(),
    ];
    let header: Vec<&str> = h.iter().map(String::as_str).collect();
    let mut t = Table::new(&header);
    for r in results {
        t.row(vec![
            r.batch.to_string(),
            r.total.to_string(),
            r.ours.len().to_string(),
            show(&r.ours, 0),
            show(&r.openraft_one, 0),
            show(&r.openraft, 0),
            verdict(&ratios(&r.ours, &r.openraft_one)),
            verdict(&ratios(&r.ours, &r.openraft)),
            show(&r.ours_cpu, 0),
            show(&r.openraft_cpu, 0),
            verdict(&ratios(&r.ours_cpu, &r.openraft_cpu)),
            format!("{:.3}", r.messages_per_entry),
        ]);
    }
    t
}
