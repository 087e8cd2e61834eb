//! `simulate --districts D --members K`: whole parliaments of Westminster members
//! (docs/simulation.md, "Parliaments").

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parliament_engine::Time;
use parliament_tests::sim::parliament::{
    HandOverCounts, ParliamentOptions, ParliamentReport, run_parliament,
};
use parliament_tests::sim::{DiskFaultCounts, Fault, FaultSet, Violation};

/// The parliament mode's own options, beside the shared ones.
pub struct Mode {
    /// `--districts`.
    pub districts: usize,
    /// `--members`: one size for every district, or one per district (`3,5,3`).
    pub members: String,
    /// `--scale`: spread `--members` (a total) over the districts, converge only.
    pub scale: bool,
    /// `--converge-only`.
    pub converge_only: bool,
    /// `--term-limit-ms`.
    pub term_limit_ms: u64,
    /// `--lord-term-ms`.
    pub lord_term_ms: u64,
    /// `--snapshot-every`.
    pub snapshot_every: u64,
}

/// Parses `--members 3` or `--members 3,5,3`.
pub fn parse_members(s: &str) -> Result<Vec<usize>, String> {
    s.split(',')
        .map(|p| {
            p.trim()
                .parse::<usize>()
                .map_err(|e| format!("--members {s:?}: {e}; give a size or sizes like 3,5,3"))
        })
        .collect()
}

/// The shared knobs the parliament mode uses.
pub struct Shared {
    pub seed: Option<u64>,
    pub seeds: Option<u64>,
    pub first_seed: u64,
    pub faults: FaultSet,
    pub steps: u64,
    pub clients: u32,
    pub keys: u32,
    pub tick_ms: u64,
    pub jobs: Option<usize>,
}

struct Outcome {
    seed: u64,
    options: ParliamentOptions,
    report: Option<ParliamentReport>,
    violations: Vec<Violation>,
}

fn run_seed(options: ParliamentOptions) -> Outcome {
    let seed = options.seed;
    let (report, violations) = match catch_unwind(AssertUnwindSafe(|| run_parliament(&options))) {
        Ok(Ok(r)) => {
            let v = r.violations.clone();
            (Some(r), v)
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

/// Runs the parliament mode and prints its report.
pub fn main(mode: &Mode, shared: &Shared) -> ExitCode {
    let members = match parse_members(&mode.members) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("simulate: {e}");
            return ExitCode::from(2);
        }
    };
    let sizes = if mode.scale {
        ParliamentOptions::spread(mode.districts, members.iter().sum())
    } else {
        match members.as_slice() {
            [one] => vec![*one; mode.districts],
            many if many.len() == mode.districts => many.to_vec(),
            many => {
                eprintln!(
                    "simulate: --members lists {} sizes for {} districts; give one size or one per district",
                    many.len(),
                    mode.districts
                );
                return ExitCode::from(2);
            }
        }
    };
    let base = ParliamentOptions {
        seed: 0,
        sizes,
        faults: if mode.scale {
            FaultSet::none()
        } else {
            shared.faults
        },
        steps: shared.steps,
        clients: if mode.scale { 0 } else { shared.clients },
        keys: shared.keys,
        tick_ms: shared.tick_ms,
        converge_only: mode.converge_only || mode.scale,
        term_limit_ms: mode.term_limit_ms,
        lord_term_ms: mode.lord_term_ms,
        snapshot_every: mode.snapshot_every,
    };
    if let Err(e) = base.validate() {
        eprintln!("simulate: {e}");
        return ExitCode::from(2);
    }
    let single = shared.seed.is_some();
    let seeds: Vec<u64> = match (shared.seed, shared.seeds) {
        (Some(s), _) => vec![s],
        (None, n) => (0..n.unwrap_or(20))
            .map(|i| shared.first_seed.wrapping_add(i))
            .collect(),
    };
    let jobs = shared
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, seeds.len().max(1));
    let started = Instant::now();
    let mut outcomes = run_all(&base, &seeds, jobs);
    let wall = started.elapsed();
    outcomes.sort_by_key(|o| o.seed);
    let violations = print(&outcomes, single, wall, &base);
    println!("simulate: {} seeds, {violations} violations", seeds.len());
    if violations > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_all(base: &ParliamentOptions, seeds: &[u64], jobs: usize) -> Vec<Outcome> {
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
                    let options = ParliamentOptions {
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

fn percentile(sorted: &[Duration], p: usize) -> u128 {
    if sorted.is_empty() {
        return 0;
    }
    let i = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[i].as_millis()
}

fn range(mut v: Vec<(Duration, u64)>) -> String {
    v.sort_unstable();
    match (v.first(), v.last()) {
        (Some((lo, _)), Some((hi, seed))) => format!(
            "{}–{} ms (slowest: seed {seed})",
            lo.as_millis(),
            hi.as_millis()
        ),
        _ => "never".to_owned(),
    }
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn print(outcomes: &[Outcome], single: bool, wall: Duration, base: &ParliamentOptions) -> usize {
    let mut violations = 0;
    let (mut start, mut heal) = (Vec::new(), Vec::new());
    let (mut district, mut global) = (Vec::new(), Vec::new());
    let (mut histories, mut linearizable) = (0, 0);
    let (mut sent, mut commits) = (0u64, 0u64);
    let (mut pm, mut rep, mut member) = ((0, 0), (0, 0), (0, 0));
    let mut ops = (0, 0, 0, 0);
    let (mut events, mut virtual_ms, mut crashes) = (0u64, 0u128, 0u64);
    let mut bound = Duration::ZERO;
    let (mut judged, mut worst, mut fair_bound) = (0u64, Duration::ZERO, Duration::ZERO);
    let (mut sessions, mut largest_session) = (0u64, 0u64);
    let mut tables = 0u64;
    let mut snapshots = (0u64, 0u64, 0u64);
    let (mut district_ho, mut commons_ho) = (HandOverCounts::default(), HandOverCounts::default());
    let mut overlapping = 0u64;
    let (mut critical, mut lords_sets) = ((0u64, 0u64, 0u64, 0u64), 0u64);
    let (mut rotations, mut terms_checked, mut refused) = (0u64, 0u64, 0u64);
    let (mut disk, mut armed) = (DiskFaultCounts::default(), 0u64);
    let mut roster = (0u64, 0u64, 0u64);
    for o in outcomes {
        if let Some(r) = &o.report {
            roster = (
                roster.0 + r.roster_changes.0,
                roster.1 + r.roster_changes.1,
                roster.2 + r.roster_changes.2,
            );
            disk.add(&r.disk_faults);
            armed += r.disk_faults_armed;
            if let Some(t) = r.convene_after_start {
                start.push((t, o.seed));
            }
            if let Some(t) = r.convene_after_heal {
                heal.push((t, o.seed));
            }
            district.extend_from_slice(&r.district_latencies);
            global.extend_from_slice(&r.global_latencies);
            histories += r.histories.0;
            linearizable += r.histories.1;
            sent += r.net.sent;
            commits += r.commons_commit;
            let max = |a: (usize, u64), b: (usize, u64)| (a.0.max(b.0), a.1.max(b.1));
            pm = max(pm, r.pm_fan_out);
            rep = max(rep, r.representative_fan_out);
            member = max(member, r.member_fan_out);
            ops = (
                ops.0 + r.ops.0,
                ops.1 + r.ops.1,
                ops.2 + r.ops.2,
                ops.3 + r.ops.3,
            );
            events += r.events;
            virtual_ms += r.virtual_time.as_millis();
            crashes += r.crashes;
            bound = r.convene_bound;
            judged += r.fairness.0;
            worst = worst.max(r.fairness.1);
            fair_bound = r.fairness.2;
            sessions += r.sessions.0;
            largest_session = largest_session.max(r.sessions.1);
            tables += r.tables;
            snapshots = (
                snapshots.0 + r.snapshots.0,
                snapshots.1 + r.snapshots.1,
                snapshots.2 + r.snapshots.2,
            );
            district_ho.add(&r.hand_overs.district);
            commons_ho.add(&r.hand_overs.commons);
            overlapping += r.hand_overs.overlapping;
            critical = (
                critical.0 + r.critical.0,
                critical.1 + r.critical.1,
                critical.2 + r.critical.2,
                critical.3 + r.critical.3,
            );
            lords_sets += r.lords_sets;
            rotations += r.lord_rotations;
            refused += r.lord_seatings_refused;
            terms_checked += r.lords_terms_checked;
            if single {
                println!(
                    "seed {}: {} districts ({} members), faults {}, {} chaos steps; {} events over {} virtual ms; {} crashes ({} during a persist); trace-hash: {:016x}",
                    o.seed,
                    r.options.sizes.len(),
                    r.options.members(),
                    r.options.faults,
                    r.options.steps,
                    r.events,
                    r.virtual_time.as_millis(),
                    r.crashes,
                    r.disk_faults.total(),
                    r.trace_hash
                );
                for p in &r.history_problems {
                    println!("  history: {p}");
                }
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
    println!(
        "parliament: {} districts of {:?} members ({} in all)",
        base.sizes.len(),
        base.sizes,
        base.members()
    );
    println!(
        "convened (a Prime Minister and every representative): after start {}; after heal {}; bound {} ms",
        range(start),
        range(heal),
        bound.as_millis()
    );
    district.sort_unstable();
    global.sort_unstable();
    println!(
        "commit latency (virtual): district median {} ms, p99 {} ms ({} writes); global median {} ms, p99 {} ms ({} writes)",
        percentile(&district, 50),
        percentile(&district, 99),
        district.len(),
        percentile(&global, 50),
        percentile(&global, 99),
        global.len()
    );
    println!(
        "sessions: {sessions} held, largest {largest_session} writes; fairness: {judged} calm global writes waited at most {} ms for their session (bound {} ms)",
        worst.as_millis(),
        fair_bound.as_millis()
    );
    println!("reputation: {tables} district tables published and applied");
    println!(
        "snapshots: {} taken, {} installed from a district leader, {} Commons snapshots installed by a seat",
        snapshots.0, snapshots.1, snapshots.2
    );
    println!(
        "disk faults (a crash during a persist): {armed} armed, {} fired: {disk}",
        disk.total()
    );
    let ho = |c: &HandOverCounts| {
        format!(
            "{} begun, {} completed, {} superseded, {} abandoned",
            c.started, c.completed, c.superseded, c.abandoned
        )
    };
    println!(
        "term limits ({} ms): district hand-overs {}; Commons hand-overs {}; {overlapping} begun while another was under way",
        base.term_limit_ms,
        ho(&district_ho),
        ho(&commons_ho)
    );
    println!(
        "lords: {lords_sets} sets seated; critical decrees: {} amendments proposed, {} enacted, {} rejected; critical-ratified judged {} decisions",
        critical.0, critical.1, critical.2, critical.3
    );
    if base.faults.has(Fault::Membership) {
        println!(
            "roster changes: {} members joined, {} left (of whom {} stopped once their district's configuration dropped them or crashed; the rest ran to the end)",
            roster.0, roster.1, roster.2
        );
    }
    println!(
        "lord terms ({} ms): {rotations} rotations, {refused} committed Seated decrees refused (repeats); lords-terms compared {terms_checked} member looks with the log",
        base.lord_term_ms
    );
    if commits > 0 {
        println!(
            "messages per global commit (all traffic / Commons entries committed): {:.1}",
            sent as f64 / commits as f64
        );
    }
    println!(
        "fan-out (distinct peers, messages sent) at the end: Prime Minister {:?}, largest representative {:?}, largest other member {:?}",
        pm, rep, member
    );
    println!(
        "workload: {} writes acknowledged, {} reads answered, {} definitely failed, {} unknown",
        ops.0, ops.1, ops.2, ops.3
    );
    if histories > 0 {
        println!("linearizable: {linearizable}/{histories} histories");
    }
    println!(
        "ran {events} events, {:.1} virtual s, {crashes} crashes, in {:.1} wall s; peak memory {}",
        virtual_ms as f64 / 1000.0,
        wall.as_secs_f64(),
        peak_memory()
    );
    violations
}
