//! The knobs of one simulation run.

use std::fmt::Write as _;

use crate::Error;
use crate::sim::FaultSet;

/// Options of one run; a run is fully determined by them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimOptions {
    /// The seed every random choice derives from.
    pub seed: u64,
    /// Members of the group.
    pub nodes: usize,
    /// Fault kinds injected during the chaos phase.
    pub faults: FaultSet,
    /// Events processed in the chaos phase.
    pub steps: u64,
    /// Leader crashes timed after the heal.
    pub elections: u32,
    /// Concurrent clients.
    pub clients: u32,
    /// Keys the clients use.
    pub keys: u32,
    /// Interval between a member's timer ticks, in virtual ms (jittered ±50%).
    pub tick_ms: u64,
    /// Members snapshot their state machine and compact their log every this many
    /// applied entries (0: never); lagging members then catch up by snapshot.
    pub snapshot_every: u64,
    /// Clock skew bound in ppm; `None` for 90% of what the engine's drift bound allows.
    /// Larger values break the engine's assumption and may break lease safety.
    pub skew_ppm: Option<i64>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 0,
            nodes: 5,
            faults: FaultSet::all(),
            steps: 100_000,
            elections: 3,
            clients: 3,
            keys: 3,
            tick_ms: 10,
            snapshot_every: 64,
            skew_ppm: None,
        }
    }
}

impl SimOptions {
    /// Checks the options for values the simulator cannot run.
    ///
    /// # Errors
    /// [`Error::Option`] naming the option, its value and the accepted range.
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=15).contains(&self.nodes) {
            return Err(Error::Option {
                option: "--nodes",
                value: self.nodes.to_string(),
                want: "between 1 and 15",
            });
        }
        if self.tick_ms == 0 || self.tick_ms > 50 {
            return Err(Error::Option {
                option: "--tick-ms",
                value: self.tick_ms.to_string(),
                want: "between 1 and 50 (a fraction of the heartbeat interval)",
            });
        }
        if self.keys == 0 {
            return Err(Error::Option {
                option: "--keys",
                value: "0".to_owned(),
                want: "at least 1",
            });
        }
        if let Some(s) = self.skew_ppm
            && !(0..1_000_000).contains(&s)
        {
            return Err(Error::Option {
                option: "--skew-ppm",
                value: s.to_string(),
                want: "between 0 and 999999",
            });
        }
        Ok(())
    }

    /// The one command that replays this run exactly.
    #[must_use]
    pub fn replay_command(&self) -> String {
        let d = SimOptions::default();
        let mut cmd = format!(
            "cargo run --release -p parliament-tests --bin simulate -- --seed {} --nodes {} --faults {} --steps {}",
            self.seed, self.nodes, self.faults, self.steps
        );
        for (flag, value, default) in [
            (
                "elections",
                u64::from(self.elections),
                u64::from(d.elections),
            ),
            ("clients", u64::from(self.clients), u64::from(d.clients)),
            ("keys", u64::from(self.keys), u64::from(d.keys)),
            ("tick-ms", self.tick_ms, d.tick_ms),
            ("snapshot-every", self.snapshot_every, d.snapshot_every),
        ] {
            if value != default {
                let _ = write!(cmd, " --{flag} {value}");
            }
        }
        if let Some(s) = self.skew_ppm {
            let _ = write!(cmd, " --skew-ppm {s}");
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_command_names_every_non_default_option() {
        let o = SimOptions {
            seed: 42,
            elections: 1,
            skew_ppm: Some(300_000),
            ..SimOptions::default()
        };
        let cmd = o.replay_command();
        assert!(
            cmd.contains("--seed 42 --nodes 5 --faults loss,dup,delay"),
            "{cmd}"
        );
        assert!(cmd.ends_with("--elections 1 --skew-ppm 300000"), "{cmd}");
    }

    #[test]
    fn out_of_range_options_say_what_is_accepted() {
        let e = SimOptions {
            nodes: 0,
            ..SimOptions::default()
        }
        .validate();
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("--nodes is 0; it must be between 1 and 15".to_owned())
        );
    }
}
