//! `simulate`: runs seeded simulations of a consensus group under faults and reports
//! violations, liveness and election times.
//!
//! ```text
//! cargo run --release -p parliament-tests --bin simulate -- --seeds 200
//! cargo run --release -p parliament-tests --bin simulate -- --seed 17 --faults crash,partition
//! ```
//!
//! The last line is always `simulate: N seeds, V violations`; the exit status is 1 when
//! V > 0, and every failing seed is printed with the one command that replays it. Set
//! `RUST_LOG=info` (or `debug`) to follow a replay's story on stderr.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;

#[path = "simulate/parliament.rs"]
mod parliament;
use parliament_engine::Time;
use parliament_tests::sim::{
    DiskFaultCounts, ElectionSample, ElectionStats, FaultSet, Response, RunReport, SimOptions,
    Violation, run,
};

/// Deterministic simulation of a Parliament consensus group under network faults,
/// crashes and clock drift. Every invariant is checked after every step.
#[derive(Debug, Parser)]
#[command(name = "simulate", version)]
struct Args {
    /// Run this many seeds, from --first-seed on.
    #[arg(long, conflicts_with = "seed")]
    seeds: Option<u64>,
    /// Run (replay) exactly this seed and print its trace hash.
    #[arg(long)]
    seed: Option<u64>,
    /// The first seed of a --seeds run.
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Members of the group.
    #[arg(long, default_value_t = 5)]
    nodes: usize,
    /// Fault kinds, comma-separated: loss,dup,delay,reorder,partition,asym,crash,disk,
    /// drift,transfer,campaign,membership (parliaments only); or all, or none.
    #[arg(long, default_value = "all", value_parser = parse_faults)]
    faults: FaultSet,
    /// Events in the chaos phase of each seed.
    #[arg(long, default_value_t = 100_000)]
    steps: u64,
    /// Leader crashes timed per seed after the heal.
    #[arg(long, default_value_t = 3)]
    elections: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 3)]
    clients: u32,
    /// Keys the clients write and read.
    #[arg(long, default_value_t = 3)]
    keys: u32,
    /// Virtual milliseconds between a member's ticks.
    #[arg(long, default_value_t = 10)]
    tick_ms: u64,
    /// Snapshot and compact every this many applied entries (0: never).
    #[arg(long, default_value_t = 64)]
    snapshot_every: u64,
    /// Clock skew bound in ppm (default: 90% of what the engine's drift bound allows;
    /// larger values break the engine's clock assumption on purpose).
    #[arg(long)]
    skew_ppm: Option<i64>,
    /// Seeds run in parallel (each seed is single-threaded); default: one per core.
    #[arg(long)]
    jobs: Option<usize>,
    /// Parliament mode: this many districts of Westminster members (default: one group).
    #[arg(long)]
    districts: Option<usize>,
    /// Parliament mode: members per district, one size or one per district (3,5,3);
    /// with --scale, the total.
    #[arg(long, default_value = "3")]
    members: String,
    /// Parliament mode: spread --members (a total) over the districts, no faults, and
    /// only converge; prints the virtual time, wall time and peak memory.
    #[arg(long)]
    scale: bool,
    /// Parliament mode: only boot and convene.
    #[arg(long)]
    converge_only: bool,
    /// Parliament mode: term limit of representatives and the Prime Minister, in virtual
    /// ms (0: off; else at least 6000, the Commons election timeout).
    #[arg(long, default_value_t = 8_000)]
    term_limit_ms: u64,
    /// Parliament mode: term of a Lord, in virtual ms (0: no terms; else at least
    /// 6000); the seats end a third of it apart.
    #[arg(long, default_value_t = parliament_tests::sim::parliament::LORD_TERM_MS)]
    lord_term_ms: u64,
}

fn parse_faults(s: &str) -> Result<FaultSet, String> {
    s.parse()
        .map_err(|e: parliament_tests::Error| e.to_string())
}

/// One seed's result: its report, or the panic that ended it.
struct Outcome {
    seed: u64,
    options: SimOptions,
    report: Option<RunReport>,
    violations: Vec<Violation>,
}

fn run_seed(options: SimOptions) -> Outcome {
    let seed = options.seed;
    let result = catch_unwind(AssertUnwindSafe(|| run(&options)));
    let (report, violations) = match result {
        Ok(Ok(report)) => {
            let v = report.violations.clone();
            (Some(report), v)
        }
        Ok(Err(e)) => (
            None,
            vec![Violation::new("setup", Time(0), None, e.to_string())],
        ),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic without a message".to_owned());
            (
                None,
                vec![Violation::new(
                    "panic",
                    Time(0),
                    None,
                    format!("the run panicked: {msg}"),
                )],
            )
        }
    };
    Outcome {
        seed,
        options,
        report,
        violations,
    }
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(districts) = args.districts {
        let mode = parliament::Mode {
            districts,
            members: args.members.clone(),
            scale: args.scale,
            converge_only: args.converge_only,
            term_limit_ms: args.term_limit_ms,
            lord_term_ms: args.lord_term_ms,
            snapshot_every: args.snapshot_every,
        };
        let shared = parliament::Shared {
            seed: args.seed,
            seeds: args.seeds,
            first_seed: args.first_seed,
            faults: args.faults,
            steps: args.steps,
            clients: args.clients,
            keys: args.keys,
            tick_ms: args.tick_ms,
            jobs: args.jobs,
        };
        return parliament::main(&mode, &shared);
    }
    let base = SimOptions {
        seed: 0,
        nodes: args.nodes,
        faults: args.faults,
        steps: args.steps,
        elections: args.elections,
        clients: args.clients,
        keys: args.keys,
        tick_ms: args.tick_ms,
        snapshot_every: args.snapshot_every,
        skew_ppm: args.skew_ppm,
    };
    if let Err(e) = base.validate() {
        eprintln!("simulate: {e}");
        return ExitCode::from(2);
    }
    let single = args.seed.is_some();
    let seeds: Vec<u64> = match (args.seed, args.seeds) {
        (Some(s), _) => vec![s],
        (None, n) => {
            let n = n.unwrap_or(20);
            (0..n).map(|i| args.first_seed.wrapping_add(i)).collect()
        }
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, seeds.len().max(1));
    let started = Instant::now();
    let mut outcomes = run_all(&base, &seeds, jobs);
    let wall = started.elapsed();
    outcomes.sort_by_key(|o| o.seed);
    let violations = print_outcomes(&outcomes, single, wall);
    println!("simulate: {} seeds, {violations} violations", seeds.len());
    if violations > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_all(base: &SimOptions, seeds: &[u64], jobs: usize) -> Vec<Outcome> {
    let next = AtomicU64::new(0);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = usize::try_from(i).ok().and_then(|i| seeds.get(i)) else {
                        break;
                    };
                    let options = SimOptions {
                        seed,
                        ..base.clone()
                    };
                    if tx.send(run_seed(options)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        rx.iter().collect()
    })
}

fn print_outcomes(outcomes: &[Outcome], single: bool, wall: Duration) -> usize {
    let mut violations = 0;
    let mut elections: Vec<ElectionSample> = Vec::new();
    let mut heal: Vec<(Duration, u64)> = Vec::new();
    let (mut events, mut virtual_ms) = (0u64, 0u64);
    let mut ops = (0, 0, 0, 0);
    let mut bound = Duration::ZERO;
    let (mut disk, mut armed, mut crashes) = (DiskFaultCounts::default(), 0u64, 0u64);
    for o in outcomes {
        if let Some(r) = &o.report {
            disk.add(&r.disk_faults);
            armed += r.disk_faults_armed;
            crashes += r.crashes;
            elections.extend_from_slice(&r.elections);
            if let Some(h) = r.heal_to_leader {
                heal.push((h, o.seed));
            }
            events += r.events;
            virtual_ms += r.virtual_time.as_millis();
            ops = (
                ops.0 + r.ops.0,
                ops.1 + r.ops.1,
                ops.2 + r.ops.2,
                ops.3 + r.ops.3,
            );
            bound = r.liveness_bound;
            if single {
                print_single(r);
            }
        }
        if !o.violations.is_empty() {
            violations += o.violations.len();
            println!("seed {}: FAILED", o.seed);
            for v in &o.violations {
                println!("  {v}");
            }
            println!("  replay: {}", o.options.replay_command());
        }
    }
    heal.sort_unstable();
    if let (Some((fastest, _)), Some((slowest, slow_seed))) = (heal.first(), heal.last()) {
        println!(
            "liveness: a quorum-acknowledged leader {}–{} ms after heal (slowest: seed {slow_seed}); bound {} ms",
            fastest.as_millis(),
            slowest.as_millis(),
            bound.as_millis()
        );
    }
    let s = ElectionStats::of(&elections);
    println!(
        "elections after a leader crash (default timeouts): {} measured, median {} ms, p99 {} ms, max {} ms; {} needed more than one campaign round ({} more than one term)",
        s.count,
        s.median.as_millis(),
        s.p99.as_millis(),
        s.max.as_millis(),
        s.multi_round,
        s.multi_term
    );
    println!(
        "workload: {} writes acknowledged, {} reads answered, {} definitely failed, {} unknown",
        ops.0, ops.1, ops.2, ops.3
    );
    println!(
        "disk faults (a crash during a persist): {armed} armed, {} fired: {disk}; {crashes} crashes in all",
        disk.total()
    );
    println!(
        "ran {events} events, {:.1} virtual s, in {:.1} wall s",
        virtual_ms as f64 / 1000.0,
        wall.as_secs_f64()
    );
    if single && let Some(r) = outcomes.first().and_then(|o| o.report.as_ref()) {
        println!("trace-hash: {:016x}", r.trace_hash);
    }
    violations
}

fn print_single(r: &RunReport) {
    let o = &r.options;
    println!(
        "seed {}: {} nodes, faults {}, {} chaos steps; {} events over {} virtual ms",
        o.seed,
        o.nodes,
        o.faults,
        o.steps,
        r.events,
        r.virtual_time.as_millis()
    );
    println!("  engine: {}", r.engine);
    println!(
        "  reached {}, committed through {}; {} crashes, {} snapshots installed from a leader",
        r.max_term, r.commit, r.crashes, r.restores
    );
    let n = r.net;
    println!(
        "  network: {} sent, {} lost, {} cut by partitions, {} duplicated, {} arrived at a down member",
        n.sent, n.lost, n.cut, n.duplicated, n.to_down
    );
    let mut reasons: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for op in r.history.ops() {
        if let Some(Response::Failed { reason }) = &op.response {
            *reasons.entry(reason.as_str()).or_default() += 1;
        }
    }
    for (reason, count) in reasons {
        println!("  {count} failed: {reason}");
    }
    for (i, e) in r.elections.iter().enumerate() {
        println!(
            "  election {}: {} ms, {} campaign round(s), {} term(s)",
            i + 1,
            e.took.as_millis(),
            e.rounds,
            e.terms
        );
    }
}
