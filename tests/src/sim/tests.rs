//! Whole-simulation tests: many seeds with every fault find nothing, and a seed replays
//! exactly.

use crate::sim::{FaultSet, SimOptions, run};

/// Small runs, so that the debug build stays fast.
fn quick(seed: u64) -> SimOptions {
    SimOptions {
        seed,
        steps: 20_000,
        elections: 1,
        ..SimOptions::default()
    }
}

#[test]
fn twenty_seeds_with_every_fault_find_no_violation() {
    let mut failures = Vec::new();
    let mut disk_faults = 0;
    for seed in 0..20 {
        let opts = quick(seed);
        tracing::info!(seed, "--- run a seed with every fault");
        match run(&opts) {
            Ok(report) if report.passed() => {
                disk_faults += report.disk_faults.total();
                assert!(
                    report.ops.0 > 0,
                    "seed {seed}: no write was ever acknowledged"
                );
            }
            Ok(report) => failures.push(format!(
                "seed {seed}: {}\n  replay: {}",
                report.violations[0],
                opts.replay_command()
            )),
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(disk_faults > 0, "no member ever crashed during a persist");
}

#[test]
fn a_seed_replays_exactly_and_seeds_differ() {
    let a = run(&quick(11)).map(|r| (r.trace_hash, r.events));
    let b = run(&quick(11)).map(|r| (r.trace_hash, r.events));
    let c = run(&quick(12)).map(|r| (r.trace_hash, r.events));
    assert!(a.is_ok());
    assert_eq!(a, b, "the same seed must replay the same trace");
    assert_ne!(a, c, "different seeds must explore different traces");
}

#[test]
fn a_calm_run_elects_and_commits() {
    let opts = SimOptions {
        seed: 3,
        steps: 3_000,
        faults: FaultSet::none(),
        ..SimOptions::default()
    };
    let report = run(&opts);
    let report = match report {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert!(report.passed(), "{:?}", report.violations);
    assert_eq!(report.crashes, opts.elections as u64);
    assert_eq!(report.elections.len(), opts.elections as usize);
    assert!(report.ops.0 > 10 && report.ops.1 > 10, "{:?}", report.ops);
}
