//! The knobs of one parliament run: [`ParliamentOptions`].

use std::fmt::Write as _;

use crate::Error;
use crate::sim::FaultSet;

/// Options of one parliament run; a run is fully determined by them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParliamentOptions {
    /// The seed every random choice derives from.
    pub seed: u64,
    /// Members of each district, in district order (`--members 3,5,3`).
    pub sizes: Vec<usize>,
    /// Fault kinds injected during the chaos phase. `partition` also cuts whole districts
    /// off and cuts representatives from their own district; `crash` also crashes the
    /// Prime Minister and representatives.
    pub faults: FaultSet,
    /// Events processed in the chaos phase.
    pub steps: u64,
    /// Concurrent clients (0: no workload).
    pub clients: u32,
    /// Keys per scope the clients use.
    pub keys: u32,
    /// Interval between a member's timer ticks, in virtual ms (jittered ±50%).
    pub tick_ms: u64,
    /// Only boot and convene (a Prime Minister and every representative), then stop: the
    /// scale run.
    pub converge_only: bool,
    /// Term limit of representatives and the Prime Minister, in virtual ms (0: off).
    pub term_limit_ms: u64,
    /// Term of a Lord, in virtual ms (0: no terms); seats end a third of it apart.
    pub lord_term_ms: u64,
    /// Every member snapshots its state and compacts its district log (and its record
    /// of the seat's Commons log) every this many applied district entries (0: never).
    pub snapshot_every: u64,
}

/// The default `--lord-term-ms`: short enough that a run rotates every seat several times.
pub const LORD_TERM_MS: u64 = 12_000;

impl Default for ParliamentOptions {
    fn default() -> Self {
        ParliamentOptions {
            seed: 0,
            sizes: vec![3, 3, 3],
            faults: FaultSet::all(),
            steps: 100_000,
            clients: 4,
            keys: 2,
            tick_ms: 10,
            converge_only: false,
            term_limit_ms: 8_000,
            lord_term_ms: LORD_TERM_MS,
            snapshot_every: 64,
        }
    }
}

impl ParliamentOptions {
    /// `districts` districts sharing `members` as evenly as possible (the scale run's
    /// 1,000 members in 30 districts).
    #[must_use]
    pub fn spread(districts: usize, members: usize) -> Vec<usize> {
        let d = districts.max(1);
        (0..d)
            .map(|i| members / d + usize::from(i < members % d))
            .collect()
    }

    /// Members in all.
    #[must_use]
    pub fn members(&self) -> usize {
        self.sizes.iter().sum()
    }

    /// Checks the options for values the simulator cannot run.
    ///
    /// # Errors
    /// [`Error::Option`] naming the option, its value and the accepted range.
    pub fn validate(&self) -> Result<(), Error> {
        if self.sizes.is_empty() || self.sizes.len() > 100 {
            return Err(Error::Option {
                option: "--districts",
                value: self.sizes.len().to_string(),
                want: "between 1 and 100",
            });
        }
        if self.sizes.iter().any(|s| !(1..=101).contains(s)) || self.members() > 5_000 {
            return Err(Error::Option {
                option: "--members",
                value: sizes_arg(&self.sizes),
                want: "between 1 and 101 per district, at most 5000 in all",
            });
        }
        if self.tick_ms == 0 || self.tick_ms > 50 {
            return Err(Error::Option {
                option: "--tick-ms",
                value: self.tick_ms.to_string(),
                want: "between 1 and 50 (a fraction of the heartbeat interval)",
            });
        }
        if self.term_limit_ms != 0 && self.term_limit_ms < 6_000 {
            return Err(Error::Option {
                option: "--term-limit-ms",
                value: self.term_limit_ms.to_string(),
                want: "0 (off) or at least 6000 (the Commons election timeout)",
            });
        }
        if self.lord_term_ms != 0 && self.lord_term_ms < 6_000 {
            return Err(Error::Option {
                option: "--lord-term-ms",
                value: self.lord_term_ms.to_string(),
                want: "0 (off) or at least 6000 (the Commons election timeout)",
            });
        }
        if self.keys == 0 {
            return Err(Error::Option {
                option: "--keys",
                value: "0".to_owned(),
                want: "at least 1",
            });
        }
        Ok(())
    }

    /// The one command that replays this run exactly.
    #[must_use]
    pub fn replay_command(&self) -> String {
        let d = ParliamentOptions::default();
        let mut cmd = format!(
            "cargo run --release -p parliament-tests --bin simulate -- --seed {} --districts {} --members {} --faults {} --steps {}",
            self.seed,
            self.sizes.len(),
            sizes_arg(&self.sizes),
            self.faults,
            self.steps
        );
        for (flag, value, default) in [
            ("clients", u64::from(self.clients), u64::from(d.clients)),
            ("keys", u64::from(self.keys), u64::from(d.keys)),
            ("tick-ms", self.tick_ms, d.tick_ms),
            ("term-limit-ms", self.term_limit_ms, d.term_limit_ms),
            ("lord-term-ms", self.lord_term_ms, d.lord_term_ms),
            ("snapshot-every", self.snapshot_every, d.snapshot_every),
        ] {
            if value != default {
                let _ = write!(cmd, " --{flag} {value}");
            }
        }
        if self.converge_only {
            cmd.push_str(" --converge-only");
        }
        cmd
    }
}

/// `3,5,3`, or `3` when every district has the same size.
fn sizes_arg(sizes: &[usize]) -> String {
    match sizes {
        [first, rest @ ..] if rest.iter().all(|s| s == first) => first.to_string(),
        _ => sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_shares_members_evenly() {
        let s = ParliamentOptions::spread(30, 1000);
        assert_eq!(s.len(), 30);
        assert_eq!(s.iter().sum::<usize>(), 1000);
        assert!(s.iter().all(|&n| n == 33 || n == 34));
    }

    #[test]
    fn replay_command_names_the_topology() {
        let o = ParliamentOptions {
            seed: 7,
            sizes: vec![3, 5, 3],
            clients: 2,
            ..ParliamentOptions::default()
        };
        let cmd = o.replay_command();
        assert!(
            cmd.contains("--seed 7 --districts 3 --members 3,5,3 --faults loss"),
            "{cmd}"
        );
        assert!(cmd.ends_with("--clients 2"), "{cmd}");
        let same = ParliamentOptions::default().replay_command();
        assert!(same.contains("--districts 3 --members 3 "), "{same}");
    }
}
