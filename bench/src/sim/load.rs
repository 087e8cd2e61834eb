//! What both topologies share: the closed-loop global-write workload's options
//! ([`LoadOptions`]), its bookkeeping ([`Clients`]) and its outcome ([`LoadReport`]).

use std::collections::BTreeMap;
use std::time::Duration;

use parliament_engine::{NodeId, Time};
use parliament_tests::sim::trace::{Digest, TraceHash};

use crate::sim::counted::Sent;

/// One calm, seeded run of the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Seeds the world (and so every choice of the run).
    pub seed: u64,
    /// Members in all.
    pub members: usize,
    /// Districts (ignored by the flat group).
    pub districts: usize,
    /// Clients, each with one write outstanding at a time.
    pub clients: u32,
    /// Acknowledged writes in the measurement window; it closes at the last one.
    pub commits: u64,
    /// Virtual time with clients running before the window opens.
    pub warmup: Duration,
    /// The window closes after this much virtual time even if `commits` were not reached.
    pub max_window: Duration,
    /// Bytes of each write's value.
    pub value_bytes: usize,
}

/// A client gives up on a write after this long and sends another (it counts as lost).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// Virtual time allowed to elect a leader (flat) or convene (Parliament).
pub const CONVENE_BOUND: Duration = Duration::from_secs(60);
/// Client think time between an answer and the next write.
pub const THINK: Duration = Duration::from_millis(1);

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Virtual time from boot to a leader (flat) or a Prime Minister and every
    /// representative (Parliament); `None` if it never happened within the bound.
    pub convened: Option<Duration>,
    /// Virtual latency of each write acknowledged in the window, submission to answer.
    pub latencies: Vec<Duration>,
    /// Length of the window (virtual).
    pub window: Duration,
    /// What the leader (flat) or the Prime Minister sent in the window.
    pub leader: Sent,
    /// Messages and bytes every member sent in the window.
    pub total_messages: u64,
    /// See `total_messages`.
    pub total_bytes: u64,
    /// The most distinct peers any one member sent to in the window.
    pub max_fan_out: usize,
    /// The most messages any one member sent in the window.
    pub max_sent: u64,
    /// Writes that timed out or were refused in the window.
    pub lost: u64,
    /// Wall time of the whole run.
    pub wall: Duration,
}

impl LoadReport {
    /// Acknowledged writes in the window.
    #[must_use]
    pub fn commits(&self) -> u64 {
        self.latencies.len() as u64
    }

    /// Commits per virtual second.
    #[must_use]
    pub fn throughput(&self) -> f64 {
        self.commits() as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// `x` per acknowledged write (NaN when nothing committed).
    #[must_use]
    pub fn per_commit(&self, x: u64) -> f64 {
        if self.commits() == 0 {
            return f64::NAN;
        }
        x as f64 / self.commits() as f64
    }

    /// Folds the members' window counters into the report.
    pub fn add_senders<'a>(&mut self, senders: impl IntoIterator<Item = &'a Sent>) {
        for s in senders {
            self.total_messages += s.messages;
            self.total_bytes += s.bytes;
            self.max_fan_out = self.max_fan_out.max(s.peers.len());
            self.max_sent = self.max_sent.max(s.messages);
        }
    }
}

/// The scenario's own events in the world's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadEvent {
    /// Client `client` sends its next write.
    Issue {
        /// Which client.
        client: u32,
    },
    /// Client `client` stops waiting for write `op`.
    Timeout {
        /// Which client.
        client: u32,
        /// Which of its writes.
        op: u64,
    },
}

impl Digest for LoadEvent {
    fn digest(&self, h: &mut TraceHash) {
        match *self {
            LoadEvent::Issue { client } => {
                h.write_str("issue");
                h.write_u64(u64::from(client));
            }
            LoadEvent::Timeout { client, op } => {
                h.write_str("timeout");
                h.write_u64(u64::from(client));
                h.write_u64(op);
            }
        }
    }
}

/// Each client's outstanding write and the window's tally.
#[derive(Debug, Default)]
pub struct Clients {
    /// By client: its write's number and when it was submitted.
    waiting: BTreeMap<u32, (u64, Time)>,
    next_op: u64,
    /// The window opened at this virtual time (`None` before).
    pub window_from: Option<Time>,
    /// Latencies of writes submitted in the window and answered.
    pub latencies: Vec<Duration>,
    /// Writes of the window that timed out or were refused.
    pub lost: u64,
    /// Members that produced output since the scenario last looked.
    pub touched: Vec<NodeId>,
}

impl Clients {
    /// Registers a submitted write; returns its number for the timeout.
    pub fn submitted(&mut self, client: u32, at: Time) -> u64 {
        self.next_op += 1;
        self.waiting.insert(client, (self.next_op, at));
        self.next_op
    }

    /// A write of `client` was answered at `at`; false if it was not waiting (already
    /// timed out).
    pub fn answered(&mut self, client: u32, at: Time) -> bool {
        let Some((_, called)) = self.waiting.remove(&client) else {
            return false;
        };
        if self.window_from.is_some_and(|from| called >= from) {
            self.latencies
                .push(Duration::from_millis(at.0.saturating_sub(called.0)));
        }
        true
    }

    /// The write `op` of `client` is given up (timed out or refused); false if that
    /// write is no longer outstanding.
    pub fn give_up(&mut self, client: u32, op: Option<u64>) -> bool {
        match self.waiting.get(&client) {
            Some(&(o, called)) if op.is_none_or(|op| op == o) => {
                self.waiting.remove(&client);
                if self.window_from.is_some_and(|from| called >= from) {
                    self.lost += 1;
                }
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_writes_submitted_in_the_window_count() {
        let mut c = Clients::default();
        c.submitted(0, Time(5));
        c.window_from = Some(Time(10));
        assert!(c.answered(0, Time(20)));
        assert!(c.latencies.is_empty(), "submitted before the window");
        let op = c.submitted(0, Time(30));
        assert!(!c.give_up(0, Some(op + 1)), "another write's timeout");
        assert!(c.answered(0, Time(42)));
        assert_eq!(c.latencies, vec![Duration::from_millis(12)]);
        assert!(!c.answered(0, Time(50)), "answered twice");
        c.submitted(1, Time(60));
        assert!(c.give_up(1, None));
        assert_eq!(c.lost, 1);
    }
}
