//! Part 4 of the benchmark: failover of real Parliament member processes
//! ([`parliament`]) beside client-go's Lease election with its default timings
//! ([`lease_trials`]), measured one after the other in the same run, and the footprint
//! of one idle member process ([`part`] writes the tables).

pub mod lease_trials;
pub mod parliament;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::lease::{CLIENT_GO_DEFAULTS, JITTER_FACTOR};
use crate::stats::{Summary, percentile, verdict};
use crate::table::Table;

/// What the part runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailoverPlan {
    /// Trials of each Parliament kill (representative, Prime Minister), one after another.
    pub trials: usize,
    /// Lease trials, all at once.
    pub lease_trials: usize,
    /// How long the idle member's CPU is watched.
    pub idle_window: Duration,
    /// Seeds the Lease trials' phases and jitter.
    pub seed: u64,
}

impl FailoverPlan {
    /// 20 trials each (3 with `--quick`).
    #[must_use]
    pub fn new(quick: bool) -> FailoverPlan {
        FailoverPlan {
            trials: if quick { 3 } else { 20 },
            lease_trials: if quick { 3 } else { 20 },
            idle_window: Duration::from_secs(if quick { 3 } else { 10 }),
            seed: 7,
        }
    }
}

/// Runs the part and returns its markdown.
#[must_use]
pub fn part(plan: &FailoverPlan) -> String {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("a tokio runtime")
    {
        Ok(r) => r,
        Err(e) => return format!("Not measured: {e:#}\n"),
    };
    let ours = runtime.block_on(async {
        let dir = tempfile::tempdir().context("a temporary folder")?;
        parliament::trials(dir.path(), plan.trials, plan.idle_window).await
    });
    eprintln!(
        "  Lease election: {} trials at once, client-go defaults",
        plan.lease_trials
    );
    let lease = runtime.block_on(lease_trials::trials(
        plan.lease_trials,
        CLIENT_GO_DEFAULTS,
        plan.seed,
    ));
    report(plan, ours.as_ref(), lease.as_ref(), &parliament_binary())
}

/// The `parliament` binary built beside this one, and its size in bytes.
fn parliament_binary() -> Result<(PathBuf, u64), String> {
    let Ok(exe) = std::env::current_exe() else {
        return Err("this benchmark's own path is unknown".to_owned());
    };
    let Some(dir) = exe.parent() else {
        return Err("this benchmark's folder is unknown".to_owned());
    };
    let path = dir.join("parliament");
    match std::fs::metadata(&path) {
        Ok(m) => Ok((path, m.len())),
        Err(_) => Err(format!(
            "not built: no {} (`cargo build --release -p parliament` builds it)",
            path.display()
        )),
    }
}

/// n, median, p99, min, max of milliseconds; dashes when there are none.
fn latency_cells(ms: &[f64]) -> Vec<String> {
    let Some(s) = Summary::of(ms) else {
        return vec![
            "0".to_owned(),
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
        ];
    };
    let samples: Vec<Duration> = ms
        .iter()
        .map(|m| Duration::from_secs_f64(m / 1000.0))
        .collect();
    let p99 = percentile(&samples, 99.0).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    vec![
        s.count.to_string(),
        format!("{:.0}", s.median),
        format!("{p99:.0}"),
        format!("{:.0}", s.min),
        format!("{:.0}", s.max),
    ]
}

fn report(
    plan: &FailoverPlan,
    ours: Result<&parliament::Measured, &anyhow::Error>,
    lease: Result<&lease_trials::Measured, &anyhow::Error>,
    binary: &Result<(PathBuf, u64), String>,
) -> String {
    let t = CLIENT_GO_DEFAULTS;
    let mut s = String::new();
    let ports = match ours {
        Ok(m) => format!(
            " (ports {}–{}, the first free block from 20000)",
            m.base_port,
            usize::from(m.base_port) + 3 * parliament::DISTRICTS * parliament::MEMBERS_PER_DISTRICT
                - 1
        ),
        Err(_) => String::new(),
    };
    let _ = write!(
        s,
        "Parliament: {} districts × {} members, each a `parliament-bench run` process (`parliament::run::run`, as `parliament run`) on 127.0.0.1{ports}, examples/parliament.yaml's timings (the defaults: district elections 1–2 s, Commons 3–6 s, 100 ms heartbeats), mutual TLS; {} trials of each kill -9 in turn, the member restarted and the parliament reconvened before the next. *Serving*: a write (district scope for a representative, global for the Prime Minister) acknowledged by a surviving member, tried every 10 ms; *status*: `parliament status` shows another holder with a higher term.\n\n",
        parliament::DISTRICTS,
        parliament::MEMBERS_PER_DISTRICT,
        plan.trials,
    );
    let _ = write!(
        s,
        "Lease: client-go's leader election ported to Rust (`bench/src/lease.rs`) with its defaults (lease {} s, renew deadline {} s, retry {} s, acquire jitter ×{JITTER_FACTOR}), {} trials at once against one kube API-server double, each its own Lease and {} candidates with their own clients; the holder is killed (its task aborted, nothing released) at a random phase of 0–{} s after it first renewed, and a GET of the Lease every {} ms times the new holder (for a Lease, elected is published). Wall-clock time.\n\n",
        t.lease_duration.as_secs(),
        t.renew_deadline.as_secs(),
        t.retry_period.as_secs(),
        plan.lease_trials,
        lease_trials::CANDIDATES,
        t.retry_period.as_secs(),
        lease_trials::POLL.as_millis(),
    );

    let mut table = Table::new(&[
        "from the kill to … (ms)",
        "n",
        "median",
        "p99",
        "min",
        "max",
    ]);
    let mut named = |name: &str, ms: &[f64]| {
        let mut row = vec![name.to_owned()];
        row.extend(latency_cells(ms));
        table.row(row);
    };
    if let Ok(m) = ours {
        let f = &m.failovers;
        named("Parliament, representative killed: serving", &f.rep_serving);
        named(
            "Parliament, representative killed: in status",
            &f.rep_status,
        );
        named("Parliament, Prime Minister killed: serving", &f.pm_serving);
        named("Parliament, Prime Minister killed: in status", &f.pm_status);
    }
    if let Ok(l) = lease {
        named(
            "Lease (client-go defaults), holder killed: new holder",
            &l.failover_ms,
        );
    }
    let _ = writeln!(s, "{table}");
    let _ = writeln!(
        s,
        "p99 is the nearest rank, so with 100 trials or fewer it is the largest.\n"
    );

    if let (Ok(m), Ok(l)) = (ours, lease) {
        let median = |v: &[f64]| Summary::of(v).map(|s| s.median);
        let mut ratios = Table::new(&["Parliament kill", "Lease ÷ Parliament, median ÷ median"]);
        for (name, ms) in [
            ("representative: serving", &m.failovers.rep_serving),
            ("Prime Minister: serving", &m.failovers.pm_serving),
        ] {
            let cell = match (median(&l.failover_ms), median(ms)) {
                (Some(lm), Some(pm)) if pm > 0.0 => verdict(&[lm / pm], true),
                _ => "n/a".to_owned(),
            };
            ratios.row(vec![name.to_owned(), cell]);
        }
        let _ = writeln!(
            s,
            "Lease ÷ Parliament, **a ratio of the two medians**: trials of different systems cannot be paired, so this is not the per-run-pair ratio of the other parts (higher: Parliament fails over faster, *wins*).\n\n{ratios}"
        );
    }

    if let Ok(m) = ours {
        let f = &m.footprint;
        let mut table = Table::new(&["footprint", "value"]);
        table.row(vec![
            "first convening (9 members, from spawn)".to_owned(),
            format!("{:.1} s", f.first_convening.as_secs_f64()),
        ]);
        table.row(vec![
            "idle member RSS (a `parliament-bench run` process)".to_owned(),
            format!("{:.1} MiB", f.idle_rss_kib as f64 / 1024.0),
        ]);
        table.row(vec![
            format!(
                "idle member CPU ({:.0} s window, 100 ms heartbeats)",
                f.idle_window.as_secs_f64()
            ),
            format!("{:.2} % of one core", f.idle_cpu_percent),
        ]);
        table.row(vec![
            "`parliament` binary size (release, line tables, not stripped)".to_owned(),
            match binary {
                Ok((_, bytes)) => format!("{:.1} MiB", *bytes as f64 / 1_048_576.0),
                Err(why) => why.clone(),
            },
        ]);
        let _ = writeln!(s, "{table}");
    }

    let mut problems = Vec::new();
    match ours {
        Ok(m) => problems.extend(m.problems.iter().cloned()),
        Err(e) => problems.push(format!("Parliament not measured: {e:#}")),
    }
    match lease {
        Ok(l) => problems.extend(l.problems.iter().cloned()),
        Err(e) => problems.push(format!("Lease not measured: {e:#}")),
    }
    for p in problems {
        let _ = writeln!(s, "- {p}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_cells_show_dashes_for_nothing_and_p99_as_nearest_rank() {
        assert_eq!(latency_cells(&[])[0], "0");
        assert_eq!(
            latency_cells(&[3.0, 1.0, 2.0]),
            ["3", "2", "3", "1", "3"].map(str::to_owned)
        );
    }

    #[test]
    fn the_report_says_what_was_not_measured() {
        let plan = FailoverPlan::new(true);
        let lease = lease_trials::Measured {
            failover_ms: vec![15_000.0, 17_000.0],
            problems: vec!["Lease trial 3: gone".to_owned()],
        };
        let e = anyhow::anyhow!("no ports");
        let s = report(&plan, Err(&e), Ok(&lease), &Err("not built".to_owned()));
        assert!(s.contains("Parliament not measured: no ports"), "{s}");
        assert!(s.contains("| Lease (client-go defaults), holder killed: new holder |"));
        assert!(s.contains("Lease trial 3: gone"));
        assert!(
            !s.contains("median ÷ median"),
            "no ratio without both sides"
        );
    }
}
