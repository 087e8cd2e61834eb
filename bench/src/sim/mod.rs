//! Part 1 of the benchmark: Parliament beside one flat group of the same engine, in the
//! simulator's virtual time, calm and seeded ([`hierarchy_vs_flat`]). Every figure is
//! the median of the seeds with min and max; ratios are per seed (the same seed drives
//! both topologies' worlds).

mod counted;
mod flat_load;
mod load;
mod parliament_load;

use std::fmt::Write as _;
use std::time::Duration;

use parliament_engine::state::{Command, Key, Scope, Write};

pub use flat_load::run_flat_load;
pub use load::{LoadOptions, LoadReport};
pub use parliament_load::{boot as boot_parliament, convene, run_parliament_load};

use crate::stats::{percentile, ratios, show, verdict};
use crate::table::Table;

/// What part 1 runs.
#[derive(Clone, Debug)]
pub struct HierarchyPlan {
    /// Member counts, each with about √N districts.
    pub sizes: Vec<usize>,
    /// Seeds per size.
    pub seeds: Vec<u64>,
    /// The workload (its `seed`, `members` and `districts` are set per run; its
    /// `commits` is the most any size measures).
    pub load: LoadOptions,
    /// Acknowledged writes × members per window: large sizes measure fewer writes, since
    /// simulating one costs about N² in the flat group (every message is an event and the
    /// engine's leader does O(N) work per response).
    pub budget: u64,
}

impl HierarchyPlan {
    /// Writes measured per window at `members`: `budget / members`, within [200, `load.commits`].
    #[must_use]
    pub fn commits_for(&self, members: usize) -> u64 {
        (self.budget / members.max(1) as u64).clamp(200.min(self.load.commits), self.load.commits)
    }
}

/// Both topologies' reports for one size, one pair per seed.
#[derive(Clone, Debug)]
pub struct SizeResult {
    /// Members.
    pub members: usize,
    /// Districts of the parliament.
    pub districts: usize,
    /// Per seed: Parliament's and the flat group's report.
    pub pairs: Vec<(LoadReport, LoadReport)>,
    /// Why a size stopped early, if it did.
    pub problem: Option<String>,
}

/// About √N districts, at least one.
#[must_use]
pub fn districts_for(members: usize) -> usize {
    ((members as f64).sqrt().round() as usize).max(1)
}

/// The entry payload of one of the workload's global writes, as Parliament encodes it.
#[must_use]
pub fn payload_bytes(value_bytes: usize) -> usize {
    let Ok(key) = Key::new("k0") else {
        return value_bytes;
    };
    let cmd: Command = Write::put(Scope::Global, key, vec![0u8; value_bytes]).into();
    cmd.encode().len()
}

/// Runs every size and seed, printing progress on stderr.
#[must_use]
pub fn hierarchy_vs_flat(plan: &HierarchyPlan) -> Vec<SizeResult> {
    let payload = payload_bytes(plan.load.value_bytes);
    let mut out = Vec::new();
    for &members in &plan.sizes {
        let districts = districts_for(members);
        let mut result = SizeResult {
            members,
            districts,
            pairs: Vec::new(),
            problem: None,
        };
        for &seed in &plan.seeds {
            let opts = LoadOptions {
                seed,
                members,
                districts,
                commits: plan.commits_for(members),
                ..plan.load
            };
            let pair = run_parliament_load(&opts).and_then(|p| {
                eprintln!(
                    "  parliament N={members} seed={seed}: {} commits in {:.1} wall s",
                    p.commits(),
                    p.wall.as_secs_f64()
                );
                let f = run_flat_load(&opts, payload)?;
                eprintln!(
                    "  flat       N={members} seed={seed}: {} commits in {:.1} wall s",
                    f.commits(),
                    f.wall.as_secs_f64()
                );
                Ok((p, f))
            });
            match pair {
                Ok(pair) => result.pairs.push(pair),
                Err(e) => {
                    result.problem = Some(format!("seed {seed}: {e:#}"));
                    break;
                }
            }
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
    commits: f64,
    convene_s: f64,
    median_ms: f64,
    p99_ms: f64,
    throughput: f64,
    leader_msgs: f64,
    leader_bytes: f64,
    all_msgs: f64,
    fan_out: f64,
    busiest: f64,
    lost: f64,
    wall_s: f64,
}

impl Figures {
    fn of(r: &LoadReport) -> Figures {
        Figures {
            commits: r.commits() as f64,
            convene_s: r.convened.map_or(f64::NAN, |d| d.as_secs_f64()),
            median_ms: ms(percentile(&r.latencies, 50.0)),
            p99_ms: ms(percentile(&r.latencies, 99.0)),
            throughput: r.throughput(),
            leader_msgs: r.per_commit(r.leader.messages),
            leader_bytes: r.per_commit(r.leader.bytes),
            all_msgs: r.per_commit(r.total_messages),
            fan_out: r.max_fan_out as f64,
            busiest: r.per_commit(r.max_sent),
            lost: r.lost as f64,
            wall_s: r.wall.as_secs_f64(),
        }
    }
}

fn column(reports: &[&LoadReport], f: impl Fn(&Figures) -> f64) -> Vec<f64> {
    reports.iter().map(|r| f(&Figures::of(r))).collect()
}

/// The figures table: one row per size and topology.
#[must_use]
pub fn figures_table(results: &[SizeResult]) -> Table {
    let mut t = Table::new(&[
        "N (districts)",
        "topology",
        "seeds",
        "writes / window",
        "convene (virtual s)",
        "commit latency median (ms)",
        "p99 (ms)",
        "commits / virtual s",
        "leader msgs / commit",
        "leader bytes / commit",
        "all msgs / commit",
        "largest fan-out (peers)",
        "busiest member msgs / commit",
        "lost writes",
        "wall s",
    ]);
    for r in results {
        let sides: [(&str, Vec<&LoadReport>); 2] = [
            ("Parliament", r.pairs.iter().map(|p| &p.0).collect()),
            ("flat", r.pairs.iter().map(|p| &p.1).collect()),
        ];
        for (name, reps) in sides {
            t.row(vec![
                format!("{} ({})", r.members, r.districts),
                name.to_owned(),
                reps.len().to_string(),
                show(&column(&reps, |f| f.commits), 0),
                show(&column(&reps, |f| f.convene_s), 2),
                show(&column(&reps, |f| f.median_ms), 0),
                show(&column(&reps, |f| f.p99_ms), 0),
                show(&column(&reps, |f| f.throughput), 0),
                show(&column(&reps, |f| f.leader_msgs), 1),
                show(&column(&reps, |f| f.leader_bytes), 0),
                show(&column(&reps, |f| f.all_msgs), 1),
                show(&column(&reps, |f| f.fan_out), 0),
                show(&column(&reps, |f| f.busiest), 1),
                show(&column(&reps, |f| f.lost), 0),
                show(&column(&reps, |f| f.wall_s), 1),
            ]);
        }
    }
    t
}

/// Parliament ÷ flat, per seed pair, with who wins.
#[must_use]
pub fn ratio_table(results: &[SizeResult]) -> Table {
    let mut t = Table::new(&[
        "N",
        "latency median P/F",
        "p99 P/F",
        "throughput P/F",
        "leader msgs / commit P/F",
        "leader bytes / commit P/F",
        "all msgs / commit P/F",
        "largest fan-out P/F",
    ]);
    for r in results {
        let (p, f): (Vec<&LoadReport>, Vec<&LoadReport>) =
            r.pairs.iter().map(|(p, f)| (p, f)).unzip();
        let ratio = |g: &dyn Fn(&Figures) -> f64| ratios(&column(&p, g), &column(&f, g));
        t.row(vec![
            r.members.to_string(),
            verdict(&ratio(&|x| x.median_ms), false),
            verdict(&ratio(&|x| x.p99_ms), false),
            verdict(&ratio(&|x| x.throughput), true),
            verdict(&ratio(&|x| x.leader_msgs), false),
            verdict(&ratio(&|x| x.leader_bytes), false),
            verdict(&ratio(&|x| x.all_msgs), false),
            verdict(&ratio(&|x| x.fan_out), false),
        ]);
    }
    t
}

/// Sizes that stopped early, one line each.
#[must_use]
pub fn problems(results: &[SizeResult]) -> String {
    let mut s = String::new();
    for r in results {
        if let Some(p) = &r.problem {
            let _ = writeln!(s, "- N = {}: stopped: {p}", r.members);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts_are_about_the_square_root_and_budgets_shrink_with_size() {
        let d: Vec<usize> = [9, 27, 81, 243, 729].map(districts_for).to_vec();
        assert_eq!(d, vec![3, 5, 9, 16, 27]);
        let plan = HierarchyPlan {
            sizes: Vec::new(),
            seeds: Vec::new(),
            load: LoadOptions {
                seed: 0,
                members: 0,
                districts: 0,
                clients: 1,
                commits: 1_000,
                warmup: Duration::ZERO,
                max_window: Duration::ZERO,
                value_bytes: 0,
            },
            budget: 200_000,
        };
        assert_eq!(plan.commits_for(9), 1_000);
        assert_eq!(plan.commits_for(729), 274);
        assert_eq!(plan.commits_for(5_000), 200);
    }
}
