//! `parliament-bench`: the benchmark program of issue #7. Prints tables, and with
//! `--write docs/benchmarks.md` writes them there (between the file's markers) with the
//! command that reproduces them. Benchmarks print; they never assert timings.
//!
//! ```text
//! cargo run --release -p parliament-bench -- [--quick] [--write docs/benchmarks.md]
//!     [--only hierarchy,raft,footprint,wall,failover,apiload] [--sizes 9,27,81,243,729]
//!     [--spread 243,729|none] [--per-process 27]
//! parliament-bench run …     # one Parliament member, as `parliament run …` (part 4 spawns these)
//! parliament-bench wall-host # some of part 7's members, steered on stdin (part 7 spawns these)
//! ```

mod api_load;
mod doc;
mod failover;
mod footprint;
mod lease;
mod member;
mod raft;
mod sim;
mod stats;
mod table;
mod wall;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::raft::RaftPlan;
use crate::sim::{HierarchyPlan, LoadOptions};

/// The openraft release measured (Cargo.toml pins it).
const OPENRAFT_VERSION: &str = "0.10.0-alpha.37";
/// The footprint part's parliament.
const FOOTPRINT_MEMBERS: usize = 1_000;
/// See [`FOOTPRINT_MEMBERS`].
const FOOTPRINT_DISTRICTS: usize = 30;

/// The parsed command line.
#[derive(Clone, Debug, Default)]
struct Args {
    quick: bool,
    write: Option<String>,
    only: Option<Vec<String>>,
    sizes: Option<Vec<usize>>,
    /// Part 7's sizes across host processes; empty: none.
    spread: Option<Vec<usize>>,
    /// Part 7's members per host process.
    per_process: Option<usize>,
}

/// The parts, in the order they run.
const PARTS: [&str; 6] = [
    "hierarchy",
    "raft",
    "footprint",
    "wall",
    "failover",
    "apiload",
];

const USAGE: &str = "usage: parliament-bench [--quick] [--write docs/benchmarks.md] [--only hierarchy,raft,footprint,wall,failover,apiload] [--sizes 9,27,...] [--spread 243,729|none] [--per-process 27]\n       parliament-bench run ARGS   (one member, as `parliament run ARGS`)\n       parliament-bench wall-host  (some of part 7's members, steered on stdin)";

/// `9,27,81`: member counts, each at least 1.
fn member_counts(list: &str) -> Option<Vec<usize>> {
    let sizes = list
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<usize>, _>>()
        .ok()?;
    (!sizes.is_empty() && sizes.iter().all(|&s| s >= 1)).then_some(sizes)
}

fn parse_args(argv: &[String]) -> anyhow::Result<Option<Args>> {
    let mut args = Args::default();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.quick = true,
            "--write" => match it.next() {
                Some(p) => args.write = Some(p.clone()),
                None => bail!("--write needs a path, such as docs/benchmarks.md"),
            },
            "--only" => {
                let parts: Vec<String> = it
                    .next()
                    .map(|p| p.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                if parts.is_empty() || parts.iter().any(|p| !PARTS.contains(&p.as_str())) {
                    bail!("--only takes a list of {}", PARTS.join(", "));
                }
                args.only = Some(parts);
            }
            "--sizes" => match it.next().map(|p| member_counts(p)) {
                Some(Some(sizes)) => args.sizes = Some(sizes),
                _ => bail!("--sizes takes member counts, such as 9,27,81"),
            },
            "--spread" => match it.next().map(String::as_str) {
                Some("none") => args.spread = Some(Vec::new()),
                Some(p) => match member_counts(p) {
                    Some(sizes) => args.spread = Some(sizes),
                    None => bail!("--spread takes member counts, such as 243,729, or none"),
                },
                None => bail!("--spread takes member counts, such as 243,729, or none"),
            },
            "--per-process" => match it.next().and_then(|p| p.parse::<usize>().ok()) {
                Some(n) if n >= 1 => args.per_process = Some(n),
                _ => bail!("--per-process takes a member count, such as 27"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(Some(args))
}

impl Args {
    fn wants(&self, part: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|p| p == part))
    }

    /// The command that reproduces this run.
    fn command(&self) -> String {
        let mut c = "cargo run --release -p parliament-bench --".to_owned();
        if self.quick {
            c.push_str(" --quick");
        }
        if let Some(o) = &self.only {
            let _ = write!(c, " --only {}", o.join(","));
        }
        if let Some(s) = &self.sizes {
            let sizes: Vec<String> = s.iter().map(ToString::to_string).collect();
            let _ = write!(c, " --sizes {}", sizes.join(","));
        }
        if let Some(s) = &self.spread {
            let sizes: Vec<String> = s.iter().map(ToString::to_string).collect();
            if sizes.is_empty() {
                c.push_str(" --spread none");
            } else {
                let _ = write!(c, " --spread {}", sizes.join(","));
            }
        }
        if let Some(n) = self.per_process {
            let _ = write!(c, " --per-process {n}");
        }
        if let Some(w) = &self.write {
            let _ = write!(c, " --write {w}");
        }
        c
    }
}

fn hierarchy_plan(args: &Args) -> HierarchyPlan {
    HierarchyPlan {
        sizes: match (&args.sizes, args.quick) {
            (Some(s), _) => s.clone(),
            (None, true) => vec![9, 27, 81],
            (None, false) => vec![9, 27, 81, 243, 729],
        },
        seeds: if args.quick { vec![1] } else { vec![1, 2, 3] },
        load: LoadOptions {
            seed: 0,
            members: 0,
            districts: 0,
            clients: 16,
            commits: if args.quick { 200 } else { 1_000 },
            warmup: Duration::from_millis(300),
            max_window: Duration::from_secs(30),
            value_bytes: 64,
        },
        budget: 200_000,
    }
}

fn raft_plan(args: &Args) -> RaftPlan {
    RaftPlan {
        members: 3,
        batches: vec![1, 64, 1024],
        total: if args.quick { 32_768 } else { 409_600 },
        total_unbatched: if args.quick { 2_000 } else { 20_000 },
        repeats: if args.quick { 3 } else { 5 },
        payload_bytes: 64,
        openraft_threads: std::thread::available_parallelism().map_or(2, usize::from),
    }
}

/// One line naming the machine, for the doc.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    // What else ran is unknown; the load average says how busy the machine was.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| load_average(&l).map(str::to_owned))
        .map_or_else(
            || "load average unknown".to_owned(),
            |l| format!("load average {l} at the start"),
        );
    format!("{date} on {cores} cores of {cpu} ({load})")
}

/// The 1-minute load average of a `/proc/loadavg` line.
fn load_average(loadavg: &str) -> Option<&str> {
    loadavg
        .split_whitespace()
        .next()
        .filter(|l| l.parse::<f64>().is_ok())
}

fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match argv.first().map(String::as_str) {
        Some(footprint::CHILD_FLAG) => return footprint::child(&argv[1..]),
        Some(member::COMMAND) => return member::run(&argv),
        Some(wall::host::COMMAND) => return wall::host::run(),
        _ => {}
    }
    let Some(args) = parse_args(&argv)? else {
        return Ok(());
    };
    let started = Instant::now();
    let mut parts: Vec<(&str, String)> = Vec::new();
    // Each part says how it was made: `--only` replaces some parts and keeps others.
    let stamp = format!("Measured {} with `{}`.\n\n", machine(), args.command());
    println!("{stamp}");

    if args.wants("hierarchy") {
        let plan = hierarchy_plan(&args);
        eprintln!(
            "--- 1. hierarchy vs flat (virtual time): sizes {:?}, seeds {:?}",
            plan.sizes, plan.seeds
        );
        let results = sim::hierarchy_vs_flat(&plan);
        let mut s = stamp.clone();
        let _ = write!(
            s,
            "{} seed(s) per size, {} closed-loop clients, up to {} acknowledged global writes (values of {} bytes) per window after {} ms of warm-up; median (min..max) over the seeds.\n\n",
            plan.seeds.len(),
            plan.load.clients,
            plan.load.commits,
            plan.load.value_bytes,
            plan.load.warmup.as_millis()
        );
        let _ = writeln!(s, "{}", sim::figures_table(&results));
        let _ = writeln!(
            s,
            "Parliament ÷ flat, per seed (lower is better except throughput):\n\n{}",
            sim::ratio_table(&results)
        );
        s.push_str(&sim::problems(&results));
        println!("{s}");
        parts.push(("hierarchy", s));
    }

    if args.wants("raft") {
        let plan = raft_plan(&args);
        eprintln!(
            "--- 2. engine vs openraft {OPENRAFT_VERSION}, {} members",
            plan.members
        );
        let s = stamp.clone()
            + &match raft::engine_vs_openraft(&plan) {
                Ok(results) => format!(
                    "{} members, {}-byte commands, one batch outstanding at a time; ours on the calling thread, openraft {OPENRAFT_VERSION} on a current-thread tokio runtime and on a {}-thread one. Median (min..max) of {} runs; each ratio is per run (the three sides run back to back, in rotating order). CPU seconds are summed over every thread of the process.\n\n{}",
                    plan.members,
                    plan.payload_bytes,
                    plan.openraft_threads,
                    plan.repeats,
                    raft::raft_table(&results, &plan)
                ),
                Err(e) => format!("Not measured: {e:#}\n"),
            };
        println!("{s}");
        parts.push(("raft", s));
    }

    if args.wants("footprint") {
        let seeds: Vec<u64> = if args.quick { vec![1] } else { vec![1, 2, 3] };
        eprintln!(
            "--- 3. footprint: {FOOTPRINT_MEMBERS} members in {FOOTPRINT_DISTRICTS} districts"
        );
        let s = stamp.clone()
            + &match footprint::footprint(FOOTPRINT_MEMBERS, FOOTPRINT_DISTRICTS, &seeds) {
                Ok(trials) => format!(
                    "{} trial(s), each in a fresh process: boot, then run until a Prime Minister and every representative exist (no clients, calm network).\n\n{}",
                    trials.len(),
                    footprint::footprint_table(&trials, FOOTPRINT_MEMBERS, FOOTPRINT_DISTRICTS)
                ),
                Err(e) => format!("Not measured: {e:#}\n"),
            };
        println!("{s}");
        parts.push(("footprint", s));
    }

    if args.wants("wall") {
        let mut plan = wall::WallPlan::new(args.quick, args.sizes.as_deref());
        if let Some(s) = &args.spread {
            plan.spread.clone_from(s);
        }
        if let Some(n) = args.per_process {
            plan.per_process = n;
        }
        eprintln!(
            "--- 7. hierarchy vs flat (wall time): sizes {:?} in one process, {:?} over host processes of {} members, {} run(s)",
            plan.sizes, plan.spread, plan.per_process, plan.runs
        );
        let s = stamp.clone() + &wall::part(&plan);
        println!("{s}");
        parts.push(("wall", s));
    }

    if args.wants("failover") {
        let plan = failover::FailoverPlan::new(args.quick);
        eprintln!(
            "--- 4. failover: Parliament member processes ({} trials of each kill), then client-go Lease election ({} trials at once)",
            plan.trials, plan.lease_trials
        );
        let s = stamp.clone() + &failover::part(&plan);
        println!("{s}");
        parts.push(("failover", s));
    }

    if args.wants("apiload") {
        let plan = api_load::ApiLoadPlan::new(args.quick);
        eprintln!(
            "--- 5. API-server load: pods {:?}, {} s warm-up, {} s steady, {} s failover, all runs at once",
            plan.sizes,
            plan.windows.warmup.as_secs(),
            plan.windows.steady.as_secs(),
            plan.windows.failover.as_secs()
        );
        let s = stamp.clone() + &api_load::part(&plan);
        println!("{s}");
        parts.push(("apiload", s));
    }

    eprintln!("--- done in {:.0} wall s", started.elapsed().as_secs_f64());
    if let Some(path) = &args.write {
        doc::write(path, &parts)?;
        eprintln!("wrote {path}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_stamp_carries_the_load_average() {
        assert_eq!(load_average("1.06 2.35 2.77 2/400 1234\n"), Some("1.06"));
        assert_eq!(load_average("garbage"), None);
        assert_eq!(load_average(""), None);
        assert!(machine().contains("load average"), "{}", machine());
    }

    #[test]
    fn the_printed_command_reproduces_the_arguments() {
        let a = parse_args(&argv(
            "--quick --only raft,footprint --write docs/benchmarks.md",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            a.command(),
            "cargo run --release -p parliament-bench -- --quick --only raft,footprint --write docs/benchmarks.md"
        );
        assert!(a.wants("raft") && !a.wants("hierarchy"));
        let b = parse_args(&argv("--only failover,apiload"))
            .unwrap()
            .unwrap();
        assert!(b.wants("failover") && b.wants("apiload") && !b.wants("wall"));
        assert!(
            Args::default().wants("apiload"),
            "every part without --only"
        );
        assert!(parse_args(&argv("--only disk")).is_err());
        assert!(parse_args(&argv("--sizes 0")).is_err());
        assert!(parse_args(&argv("--help")).unwrap().is_none());
    }
}
