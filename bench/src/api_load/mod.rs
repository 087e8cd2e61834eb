//! Part 5 of the benchmark: API-server requests per minute at 10, 30 and 100 member
//! pods, in steady state and across one failover of the Prime Minister's pod, for
//! Parliament's Kubernetes side ([`publisher`]) beside two Lease elections,
//! kube-lease-manager 0.13 at its defaults ([`lease_manager`]) and client-go's at its
//! defaults ([`client_go`]); every run on its own kube API-server double over HTTP, all
//! runs at once ([`part`]).
//!
//! Wall-clock time, not virtual time: both Lease elections judge expiry by the clock
//! (kube-lease-manager reads `SystemTime`, client-go's its own monotonic observation), so
//! a paused tokio clock would not be honest.

pub mod client_go;
pub mod cluster;
pub mod lease_manager;
pub mod publisher;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Context;

use crate::stats::verdict;
use crate::table::Table;
use cluster::{Measured, Windows};

/// What the part runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiLoadPlan {
    /// Member pods per run.
    pub sizes: Vec<usize>,
    /// The windows of every run.
    pub windows: Windows,
    /// Seeds client-go's jitter.
    pub seed: u64,
}

impl ApiLoadPlan {
    /// 300 s of steady state and 120 s from the failover (30 s and 30 s with `--quick`).
    #[must_use]
    pub fn new(quick: bool) -> ApiLoadPlan {
        ApiLoadPlan {
            sizes: vec![10, 30, 100],
            windows: Windows {
                // kube-lease-manager's lease is 30 s: two periods settle its first
                // contention.
                warmup: Duration::from_secs(if quick { 15 } else { 60 }),
                steady: Duration::from_secs(if quick { 30 } else { 300 }),
                failover: Duration::from_secs(if quick { 30 } else { 120 }),
            },
            seed: 11,
        }
    }
}

const SYSTEMS: [&str; 3] = [publisher::SYSTEM, lease_manager::SYSTEM, client_go::SYSTEM];

/// Runs every system at every size at once and returns the part's markdown.
#[must_use]
pub fn part(plan: &ApiLoadPlan) -> String {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("a tokio runtime")
    {
        Ok(r) => r,
        Err(e) => return format!("Not measured: {e:#}\n"),
    };
    let w = plan.windows;
    let results: Vec<(&str, usize, Result<Measured, String>)> = runtime.block_on(async {
        let mut runs = Vec::new();
        for &pods in &plan.sizes {
            runs.push((
                publisher::SYSTEM,
                pods,
                tokio::spawn(publisher::run(pods, w)),
            ));
            runs.push((
                lease_manager::SYSTEM,
                pods,
                tokio::spawn(lease_manager::run(pods, w)),
            ));
            runs.push((
                client_go::SYSTEM,
                pods,
                tokio::spawn(client_go::run(pods, w, plan.seed)),
            ));
        }
        let mut results = Vec::new();
        for (system, pods, run) in runs {
            let outcome = match run.await {
                Ok(Ok(m)) => Ok(m),
                Ok(Err(e)) => Err(format!("{e:#}")),
                Err(e) => Err(e.to_string()),
            };
            results.push((system, pods, outcome));
        }
        results
    });
    report(plan, &results)
}

fn per_minute(count: u64, window: Duration) -> f64 {
    count as f64 * 60.0 / window.as_secs_f64().max(1.0)
}

fn report(plan: &ApiLoadPlan, results: &[(&str, usize, Result<Measured, String>)]) -> String {
    let w = plan.windows;
    let mut s = String::new();
    let _ = write!(
        s,
        "Every run on its own kube API-server double, all {} runs at once; each pod has its own client. After the first syncs (the publisher) or the first Prime Minister (the Lease elections) and {} s of warm-up: a steady window of {} s, then the Prime Minister's pod is killed (its tasks aborted, nothing released) and a window of {} s from the kill. Parliament's elections run between sidecars over gRPC and cost the API server nothing, so for the publisher the bench plays the engine and hands the roles to the successors at the kill. The Lease elections count the election alone: labels, status and the roster would come on top.\n\n",
        results.len(),
        w.warmup.as_secs(),
        w.steady.as_secs(),
        w.failover.as_secs(),
    );
    let mut table = Table::new(&[
        "system",
        "pods",
        "steady req/min",
        "steady writes/min",
        "req/min per pod",
        "requests in the failover window",
        "writes in it",
        "new PM after the kill (s)",
    ]);
    let mut problems = Vec::new();
    for (system, pods, outcome) in results {
        match outcome {
            Ok(m) => {
                let steady = per_minute(m.steady.total(), w.steady);
                table.row(vec![
                    m.system.to_owned(),
                    m.pods.to_string(),
                    format!("{steady:.1}"),
                    format!("{:.1}", per_minute(m.steady.writes(), w.steady)),
                    format!("{:.2}", steady / m.pods.max(1) as f64),
                    m.failover.total().to_string(),
                    m.failover.writes().to_string(),
                    if m.system == publisher::SYSTEM {
                        format!("{:.3}*", m.new_leader_after.as_secs_f64())
                    } else {
                        format!("{:.1}", m.new_leader_after.as_secs_f64())
                    },
                ]);
            }
            Err(e) => {
                table.row(vec![(*system).to_owned(), pods.to_string(), "—".to_owned()]);
                problems.push(format!("{system} at {pods} pods not measured: {e}"));
            }
        }
    }
    let _ = writeln!(s, "{table}");
    let _ = writeln!(
        s,
        "\\* the publisher's writes once the engine has elected; the election itself is the engine's (over gRPC: part 4) and is not in this figure.\n"
    );

    let find = |system: &str, pods: usize| {
        results.iter().find_map(|(sys, p, r)| match r {
            Ok(m) if *sys == system && *p == pods => Some(m),
            _ => None,
        })
    };
    let mut ratios = Table::new(&[
        "pods",
        "steady req/min ÷ kube-lease-manager",
        "÷ client-go",
        "failover window requests ÷ kube-lease-manager",
        "÷ client-go",
    ]);
    for &pods in &plan.sizes {
        let ours = find(publisher::SYSTEM, pods);
        let mut row = vec![pods.to_string()];
        for figure in [
            |m: &Measured| m.steady.total(),
            |m: &Measured| m.failover.total(),
        ] {
            for theirs in [lease_manager::SYSTEM, client_go::SYSTEM] {
                row.push(match (ours, find(theirs, pods)) {
                    (Some(a), Some(b)) if figure(b) > 0 => {
                        verdict(&[figure(a) as f64 / figure(b) as f64], false)
                    }
                    _ => "n/a".to_owned(),
                });
            }
        }
        ratios.row(row);
    }
    let _ = writeln!(
        s,
        "Parliament publisher ÷ each Lease election, requests in the same windows of the same run (lower is better):\n\n{ratios}"
    );

    if let Some(&largest) = plan.sizes.iter().max() {
        let measured: Vec<&Measured> = SYSTEMS
            .iter()
            .filter_map(|sys| find(sys, largest))
            .collect();
        let keys: BTreeSet<&(String, String)> =
            measured.iter().flat_map(|m| m.steady.0.keys()).collect();
        let mut header = vec!["verb", "resource"];
        header.extend(measured.iter().map(|m| m.system));
        let mut by_kind = Table::new(&header);
        for key in keys {
            let mut row = vec![key.0.clone(), key.1.clone()];
            row.extend(
                measured
                    .iter()
                    .map(|m| format!("{:.1}", per_minute(m.steady.get(&key.0, &key.1), w.steady))),
            );
            by_kind.row(row);
        }
        let _ = writeln!(
            s,
            "Where the steady requests go at {largest} pods (requests per minute):\n\n{by_kind}"
        );
    }
    for p in problems {
        let _ = writeln!(s, "- {p}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use parliament_kube_double::RequestCounts;

    fn counts(entries: &[(&str, &str, u64)]) -> RequestCounts {
        RequestCounts(
            entries
                .iter()
                .map(|(v, r, n)| (((*v).to_owned(), (*r).to_owned()), *n))
                .collect(),
        )
    }

    #[test]
    fn the_report_rates_pairs_and_names_what_failed() {
        let plan = ApiLoadPlan {
            sizes: vec![10],
            ..ApiLoadPlan::new(true)
        };
        let m = |system: &'static str, n: u64| Measured {
            system,
            pods: 10,
            steady: counts(&[("get", "leases", n)]),
            failover: counts(&[("update", "leases", n)]),
            new_leader_after: Duration::from_secs(17),
        };
        let results = vec![
            (publisher::SYSTEM, 10, Ok(m(publisher::SYSTEM, 10))),
            (lease_manager::SYSTEM, 10, Ok(m(lease_manager::SYSTEM, 40))),
            (client_go::SYSTEM, 10, Err("refused".to_owned())),
        ];
        let s = report(&plan, &results);
        let cells =
            |line: &str| -> Vec<String> { line.split('|').map(|c| c.trim().to_owned()).collect() };
        let ours = s
            .lines()
            .find(|l| l.starts_with("| Parliament publisher"))
            .map(cells)
            .unwrap();
        // 10 requests in 30 s; 10 requests in the failover window.
        assert_eq!(ours[2..4], ["10", "20.0"], "{s}");
        assert_eq!(ours[6], "10", "{s}");
        assert!(s.contains("0.25× wins"), "{s}");
        assert!(s.contains("client-go Lease election at 10 pods not measured: refused"));
        assert!(s.contains("Where the steady requests go at 10 pods"));
    }
}
