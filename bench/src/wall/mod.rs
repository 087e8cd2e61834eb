//! Part 7 of the benchmark (docs/benchmarks.md §7): Parliament beside one flat group of
//! the same engine in wall time, with the sidecar's real members (`parliament::node::Node`:
//! engine task, ledger, gRPC peer transport) over loopback ([`hierarchy_vs_flat`]), all
//! in this process ([`Mode::InProcess`]) or spread over host processes
//! ([`Mode::Spread`], `host.rs` and `spread.rs`) for the sizes whose members need more
//! descriptors than one process may open. Flat is a parliament of one district of N
//! members: its district group is one Raft group of N voters and its district writes go
//! through exactly that group. Every figure is the median of the runs with min and max;
//! ratios are per run (the two topologies back to back, in alternating order).

mod cluster;
pub mod host;
mod load;
mod process;
mod seen;
mod spread;
mod traffic;

use std::fmt::Write as _;
use std::time::Duration;

use parliament::node::Settings;

pub use cluster::Topology;
pub use load::{RunOptions, WORKERS, WallReport, on_tmpfs};

use crate::sim::districts_for;
use crate::stats::{percentile, ratios, show, verdict};
use crate::table::Table;

/// The spec the members' settings come from: nothing but a name, so every timing,
/// session bound, term limit and the Lords are the CRD's defaults, as a cluster that
/// sets none would run.
const SPEC: &str = r"apiVersion: parliament.dev/v1alpha1
kind: Parliament
metadata:
  name: bench
spec:
  selector:
    matchLabels:
      app: bench
";

/// The settings [`SPEC`] gives (through `parliament::settings::from_spec`, as the sidecar).
///
/// # Errors
/// The spec does not parse (a bug in this file).
pub fn spec_settings() -> anyhow::Result<Settings> {
    let parliament = parliament_crds::parliament_from_yaml(SPEC)?;
    Ok(parliament::settings::from_spec(&parliament.spec))
}

/// Members per host process when spread: 729 members in 81 hosts. With 27 per host, a
/// flat group of 729 still filled each host's 20,000 descriptors while it tried to
/// elect (530,000 open in all); at 9 per host it keeps below a third of the limit, so
/// descriptors are not what stops it.
pub const PER_PROCESS: usize = 9;

/// Where a run's members live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// All in this process, on one runtime.
    InProcess,
    /// In host processes (`program wall-host`) of up to `per_process` members each.
    Spread {
        /// This benchmark's binary.
        program: std::path::PathBuf,
        /// Members per host.
        per_process: usize,
    },
}

/// What part 7 runs.
#[derive(Clone, Debug)]
pub struct WallPlan {
    /// Member counts, each with about √N districts.
    pub sizes: Vec<usize>,
    /// Runs of each topology per size.
    pub runs: usize,
    /// Closed-loop clients.
    pub clients: u32,
    /// Clients run this long before the window.
    pub warmup: Duration,
    /// The measurement window.
    pub window: Duration,
    /// Bytes of each write's value.
    pub value_bytes: usize,
    /// A topology that has not convened after this long is given up for its size.
    pub convene_bound: Duration,
    /// Member counts run again with the members spread over host processes.
    pub spread: Vec<usize>,
    /// Members per host process.
    pub per_process: usize,
}

impl WallPlan {
    /// The plan of a full run, or of a `--quick` one; `sizes` overrides the member counts.
    #[must_use]
    pub fn new(quick: bool, sizes: Option<&[usize]>) -> WallPlan {
        WallPlan {
            sizes: match (sizes, quick) {
                (Some(s), _) => s.to_vec(),
                (None, true) => vec![9, 27],
                (None, false) => vec![9, 27, 81, 243, 729],
            },
            runs: if quick { 1 } else { 3 },
            clients: 16,
            warmup: Duration::from_millis(if quick { 500 } else { 1_000 }),
            window: Duration::from_secs(if quick { 2 } else { 5 }),
            value_bytes: 64,
            convene_bound: Duration::from_secs(if quick { 60 } else { 120 }),
            spread: if quick { vec![81] } else { vec![243, 729] },
            per_process: PER_PROCESS,
        }
    }
}

/// Runs part 7 and returns its text: what was run, the two tables, and the sides that
/// could not be measured.
#[must_use]
pub fn part(plan: &WallPlan) -> String {
    let settings = match spec_settings() {
        Ok(s) => s,
        Err(e) => return format!("Not measured: {e:#}\n"),
    };
    // The runs across processes go first: runs in this process leave it holding what the
    // allocator kept (12 GiB after Parliament at 729), which the hosts of flat at 729
    // then need.
    let spread = if plan.spread.is_empty() {
        Ok(Vec::new())
    } else {
        std::env::current_exe().map(|program| {
            hierarchy_vs_flat(
                &plan.spread,
                plan,
                settings,
                &Mode::Spread {
                    program,
                    per_process: plan.per_process,
                },
            )
        })
    };
    let results = hierarchy_vs_flat(&plan.sizes, plan, settings, &Mode::InProcess);
    let mut s = String::new();
    let _ = write!(
        s,
        "{} run(s) per size and topology, back to back in alternating order, each on a fresh {WORKERS}-worker tokio runtime; {} closed-loop clients; {} ms of warm-up, then a {} s window; values of {} bytes; ledgers on {}. Median (min..max) over the runs.\n\n",
        plan.runs,
        plan.clients,
        plan.warmup.as_millis(),
        plan.window.as_secs_f64(),
        plan.value_bytes,
        if on_tmpfs() {
            "tmpfs (/dev/shm)"
        } else {
            "the temporary folder's disk"
        },
    );
    tables(&mut s, &results);
    if plan.spread.is_empty() {
        return s;
    }
    let _ = write!(
        s,
        "\n**Across processes.** The same runs with the members spread over host processes (`parliament-bench wall-host`) of at most {} members each, member i in host (i − 1) mod hosts, each host on a {WORKERS}-worker tokio runtime; clients call the members' handles inside the hosts (Parliament: dealt over the hosts in turn, each writing at random members of its host; flat: all at the leader's host). CPU, memory and descriptors are summed over the hosts.\n\n",
        plan.per_process
    );
    let spread = match spread {
        Ok(spread) => spread,
        Err(e) => {
            let _ = writeln!(s, "Not measured: this benchmark's own path: {e}");
            return s;
        }
    };
    tables(&mut s, &spread);
    s
}

/// The figures table, the ratio table and the problems of `results`.
fn tables(s: &mut String, results: &[SizeResult]) {
    let _ = writeln!(s, "{}", figures_table(results));
    let _ = writeln!(
        s,
        "Parliament ÷ flat, per run pair (lower is better except throughput):\n\n{}",
        ratio_table(results)
    );
    s.push_str(&problems(results));
}

/// Both topologies' reports for one size, run by run.
#[derive(Clone, Debug)]
pub struct SizeResult {
    /// Members.
    pub members: usize,
    /// Districts of the parliament.
    pub districts: usize,
    /// Per run: Parliament's and the flat group's report, when that side ran.
    pub runs: Vec<(Option<WallReport>, Option<WallReport>)>,
    /// Why a topology stopped at this size (Parliament, flat), if it did.
    pub problems: [Option<Problem>; 2],
}

/// Why a side was not measured or stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// For the table's note column.
    pub short: String,
    /// For the list below the tables.
    pub detail: String,
}

impl SizeResult {
    fn side(&self, t: Topology) -> Vec<&WallReport> {
        self.runs
            .iter()
            .filter_map(|(p, f)| match t {
                Topology::Parliament => p.as_ref(),
                Topology::Flat => f.as_ref(),
            })
            .collect()
    }

    fn problem(&self, t: Topology) -> Option<&Problem> {
        self.problems[usize::from(t == Topology::Flat)].as_ref()
    }
}

/// Runs every size, printing progress on stderr. A topology that fails or does not
/// convene in time (with too few descriptors, for one) is reported with the reason
/// rather than left out.
#[must_use]
pub fn hierarchy_vs_flat(
    sizes: &[usize],
    plan: &WallPlan,
    settings: Settings,
    mode: &Mode,
) -> Vec<SizeResult> {
    let mut out = Vec::new();
    for &members in sizes {
        let districts = districts_for(members);
        let mut result = SizeResult {
            members,
            districts,
            runs: Vec::new(),
            problems: [None, None],
        };
        for run in 0..plan.runs {
            let mut pair: (Option<WallReport>, Option<WallReport>) = (None, None);
            // Alternate which goes first, so that drift in the machine's load falls on both.
            let order = if run % 2 == 0 {
                [Topology::Parliament, Topology::Flat]
            } else {
                [Topology::Flat, Topology::Parliament]
            };
            for topology in order {
                let slot = usize::from(topology == Topology::Flat);
                if result.problems[slot].is_some() {
                    continue;
                }
                let opts = RunOptions {
                    topology,
                    members,
                    districts: match topology {
                        Topology::Parliament => districts,
                        Topology::Flat => 1,
                    },
                    clients: plan.clients,
                    warmup: plan.warmup,
                    window: plan.window,
                    value_bytes: plan.value_bytes,
                    convene_bound: plan.convene_bound,
                    seed: run as u64 + 1,
                    settings,
                };
                let outcome = match mode {
                    Mode::InProcess => load::run(&opts).map(|r| (r, String::new())),
                    Mode::Spread {
                        program,
                        per_process,
                    } => spread::run(&opts, program, *per_process).map(|s| {
                        let most = s
                            .most_descriptors
                            .map_or_else(|| "?".to_owned(), |d| d.to_string());
                        (
                            s.report,
                            format!("; {} hosts, at most {most} descriptors in one", s.hosts),
                        )
                    }),
                };
                match outcome {
                    Ok((r, hosts)) => {
                        eprintln!(
                            "  {:<10} N={members} run {}: convened in {:.1} s, {} commits in {:.1} s, {:.1} CPU s; most streams: {}{hosts}",
                            topology.name(),
                            run + 1,
                            r.convened.as_secs_f64(),
                            r.commits(),
                            r.window.as_secs_f64(),
                            r.cpu.map_or(f64::NAN, |c| c.as_secs_f64()),
                            r.busiest
                        );
                        match topology {
                            Topology::Parliament => pair.0 = Some(r),
                            Topology::Flat => pair.1 = Some(r),
                        }
                    }
                    Err(e) => {
                        eprintln!(
                            "  {:<10} N={members} run {}: {e:#}",
                            topology.name(),
                            run + 1
                        );
                        // Running out of descriptors shows as failed dials and accepts.
                        let limit = process::open_files_limit()
                            .map_or(String::new(), |l| format!(" (open files limit {l})"));
                        result.problems[slot] = Some(Problem {
                            short: format!("failed in run {} (below)", run + 1),
                            detail: format!("run {}: {e:#}{limit}", run + 1),
                        });
                    }
                }
            }
            result.runs.push(pair);
        }
        out.push(result);
    }
    out
}

fn ms(d: Option<Duration>) -> f64 {
    d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// The figures of one report, in table order.
struct Figures {
    convene_s: f64,
    throughput: f64,
    median_ms: f64,
    p99_ms: f64,
    leader_msgs: f64,
    leader_bytes: f64,
    all_msgs: f64,
    fan_out: f64,
    busiest: f64,
    cpu_ms: f64,
    cores: f64,
    idle_cores: f64,
    lost: f64,
    rss_mib: f64,
    streams: f64,
    member_streams: f64,
    descriptors: f64,
}

impl Figures {
    fn of(r: &WallReport) -> Figures {
        let cpu = r.cpu.map_or(f64::NAN, |c| c.as_secs_f64());
        Figures {
            convene_s: r.convened.as_secs_f64(),
            throughput: r.throughput(),
            median_ms: ms(percentile(&r.latencies, 50.0)),
            p99_ms: ms(percentile(&r.latencies, 99.0)),
            leader_msgs: r.per_commit(r.leader.messages as f64),
            leader_bytes: r.per_commit(r.leader.bytes as f64),
            all_msgs: r.per_commit(r.total_messages as f64),
            fan_out: r.max_fan_out as f64,
            busiest: r.per_commit(r.max_sent as f64),
            cpu_ms: r.per_commit(cpu * 1000.0),
            cores: cpu / r.window.as_secs_f64().max(1e-9),
            idle_cores: r.idle_cores.unwrap_or(f64::NAN),
            lost: r.lost as f64,
            rss_mib: r.rss_mib.unwrap_or(f64::NAN),
            streams: r.streams as f64,
            member_streams: r.max_member_streams as f64,
            descriptors: r.descriptors.map_or(f64::NAN, |d| d as f64),
        }
    }
}

/// One column of the figures table: its figure and its decimals.
type Cell = (fn(&Figures) -> f64, usize);

fn column(reports: &[&WallReport], f: impl Fn(&Figures) -> f64) -> Vec<f64> {
    reports.iter().map(|r| f(&Figures::of(r))).collect()
}

/// Short: what the note column says about a side's runs.
fn note(r: &SizeResult, t: Topology, reps: &[&WallReport]) -> String {
    let mut notes = Vec::new();
    if let Some(p) = r.problem(t) {
        notes.push(p.short.clone());
    }
    let changed = reps.iter().filter(|x| x.leader_changed).count();
    if changed > 0 {
        notes.push(format!("leader changed in {changed} run(s)"));
    }
    let dropped: u64 = reps.iter().map(|x| x.dropped).sum();
    if dropped > 0 {
        notes.push(format!("{dropped} envelopes dropped by full queues"));
    }
    notes.join("; ")
}

/// The figures table: one row per size and topology, a size or side that could not be
/// measured included, with its note.
#[must_use]
pub fn figures_table(results: &[SizeResult]) -> Table {
    let mut t = Table::new(&[
        "N (districts)",
        "topology",
        "runs",
        "convene (wall s)",
        "commits / s",
        "commit latency median (ms)",
        "p99 (ms)",
        "leader msgs / commit",
        "leader bytes / commit",
        "all msgs / commit",
        "largest fan-out (peers)",
        "busiest member msgs / commit",
        "CPU ms / commit",
        "cores busy",
        "idle cores",
        "lost writes",
        "RSS (MiB)",
        "streams up",
        "most streams, one member",
        "open descriptors",
        "note",
    ]);
    for r in results {
        for topology in [Topology::Parliament, Topology::Flat] {
            let reps = r.side(topology);
            let districts = match topology {
                Topology::Parliament => r.districts,
                Topology::Flat => 1,
            };
            let mut row = vec![
                format!("{} ({districts})", r.members),
                topology.name().to_owned(),
                reps.len().to_string(),
            ];
            let cells: [Cell; 17] = [
                (|f| f.convene_s, 1),
                (|f| f.throughput, 0),
                (|f| f.median_ms, 1),
                (|f| f.p99_ms, 1),
                (|f| f.leader_msgs, 1),
                (|f| f.leader_bytes, 0),
                (|f| f.all_msgs, 1),
                (|f| f.fan_out, 0),
                (|f| f.busiest, 1),
                (|f| f.cpu_ms, 2),
                (|f| f.cores, 2),
                (|f| f.idle_cores, 2),
                (|f| f.lost, 0),
                (|f| f.rss_mib, 0),
                (|f| f.streams, 0),
                (|f| f.member_streams, 0),
                (|f| f.descriptors, 0),
            ];
            for (f, decimals) in cells {
                row.push(if reps.is_empty() {
                    "—".to_owned()
                } else {
                    show(&column(&reps, f), decimals)
                });
            }
            row.push(note(r, topology, &reps));
            t.row(row);
        }
    }
    t
}

/// Parliament ÷ flat, per run pair, with who wins.
#[must_use]
pub fn ratio_table(results: &[SizeResult]) -> Table {
    let mut t = Table::new(&[
        "N",
        "pairs",
        "throughput P/F",
        "latency median P/F",
        "p99 P/F",
        "leader msgs / commit P/F",
        "leader bytes / commit P/F",
        "all msgs / commit P/F",
        "largest fan-out P/F",
        "CPU / commit P/F",
        "streams up P/F",
    ]);
    for r in results {
        let (p, f): (Vec<&WallReport>, Vec<&WallReport>) = r
            .runs
            .iter()
            .filter_map(|(p, f)| p.as_ref().zip(f.as_ref()))
            .unzip();
        if p.is_empty() {
            let mut row = vec![r.members.to_string(), "0".to_owned()];
            row.resize(11, "—".to_owned());
            t.row(row);
            continue;
        }
        let ratio = |g: &dyn Fn(&Figures) -> f64| ratios(&column(&p, g), &column(&f, g));
        t.row(vec![
            r.members.to_string(),
            p.len().to_string(),
            verdict(&ratio(&|x| x.throughput), true),
            verdict(&ratio(&|x| x.median_ms), false),
            verdict(&ratio(&|x| x.p99_ms), false),
            verdict(&ratio(&|x| x.leader_msgs), false),
            verdict(&ratio(&|x| x.leader_bytes), false),
            verdict(&ratio(&|x| x.all_msgs), false),
            verdict(&ratio(&|x| x.fan_out), false),
            verdict(&ratio(&|x| x.cpu_ms), false),
            verdict(&ratio(&|x| x.streams), false),
        ]);
    }
    t
}

/// Sides that were not measured or stopped early, one line each with the reason.
#[must_use]
pub fn problems(results: &[SizeResult]) -> String {
    let mut s = String::new();
    for r in results {
        match (r.problem(Topology::Parliament), r.problem(Topology::Flat)) {
            (Some(p), Some(f)) if p == f => {
                let _ = writeln!(s, "- N = {}, both: {}", r.members, p.detail);
            }
            (p, f) => {
                for (t, why) in [(Topology::Parliament, p), (Topology::Flat, f)] {
                    if let Some(why) = why {
                        let _ = writeln!(s, "- N = {}, {}: {}", r.members, t.name(), why.detail);
                    }
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_gives_the_crd_defaults() {
        let s = spec_settings().expect("the spec parses");
        assert_eq!(s.district.election_timeout_min, Duration::from_millis(1000));
        assert_eq!(s.district.heartbeat_interval, Duration::from_millis(100));
        assert_eq!(s.sessions.interval, Duration::from_millis(10));
    }

    fn report(commits: u64, ms: u64, leader_msgs: u64) -> WallReport {
        WallReport {
            latencies: vec![Duration::from_millis(ms); commits as usize],
            window: Duration::from_secs(1),
            leader: traffic::Sent {
                messages: leader_msgs,
                ..traffic::Sent::default()
            },
            ..WallReport::default()
        }
    }

    #[test]
    fn a_side_that_did_not_run_still_has_its_row_and_its_reason() {
        let results = vec![SizeResult {
            members: 729,
            districts: 27,
            runs: vec![(Some(report(100, 50, 4_000)), None)],
            problems: [
                None,
                Some(Problem {
                    short: "failed in run 1 (below)".to_owned(),
                    detail: "run 1: not convened within 90 s".to_owned(),
                }),
            ],
        }];
        let figures = figures_table(&results).to_string();
        let rows: Vec<&str> = figures.lines().skip(2).collect();
        assert_eq!(rows.len(), 2, "{figures}");
        assert!(
            rows[0].contains("Parliament") && rows[0].contains(" 40.0 "),
            "{figures}"
        );
        assert!(
            rows[1].contains("flat") && rows[1].contains("failed in run 1"),
            "{figures}"
        );
        assert_eq!(
            problems(&results),
            "- N = 729, flat: run 1: not convened within 90 s\n"
        );
        let ratio = ratio_table(&results).to_string();
        assert!(
            ratio
                .lines()
                .nth(2)
                .is_some_and(|l| l.contains(" 0 |") && l.contains("—")),
            "{ratio}"
        );
    }

    #[test]
    fn ratios_pair_runs_of_the_same_round() {
        let results = vec![SizeResult {
            members: 9,
            districts: 3,
            runs: vec![
                (Some(report(100, 40, 300)), Some(report(400, 10, 800))),
                (Some(report(50, 80, 150)), Some(report(500, 8, 1000))),
            ],
            problems: [None, None],
        }];
        let ratio = ratio_table(&results).to_string();
        // Throughput 0.25 and 0.1 → median 0.175; latency 4 and 10 → 7.
        assert!(ratio.contains("0.17 (0.10..0.25)× LOSES"), "{ratio}");
        assert!(ratio.contains("7.00 (4.00..10.00)× LOSES"), "{ratio}");
    }
}
