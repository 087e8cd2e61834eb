//! openraft's side of the comparison: a 3-member openraft cluster in one process, in
//! memory ([`OpenraftGroup`]), fed the same batches as our engine.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures::TryStreamExt;
use openraft::SnapshotPolicy;

use crate::raft::openraft_network::{OpenRaft, Router};
use crate::raft::openraft_store::{Counter, LogStore};

/// One write: an opaque command, as our engine's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd(pub Bytes);

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.0.len())
    }
}

/// Members carry no address: the router knows them by id.
pub type Node = openraft::EmptyNode;

openraft::declare_raft_types!(
    /// openraft's type configuration for the benchmark.
    pub Config:
        D = Cmd,
        R = (),
        Node = Node,
);

/// How long bootstrapping may take before the run gives up.
const BOOT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running cluster with member 0 leading.
pub struct OpenraftGroup {
    leader: OpenRaft,
    members: Vec<OpenRaft>,
    counters: Vec<Counter>,
}

impl fmt::Debug for OpenraftGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenraftGroup")
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

impl OpenraftGroup {
    /// Starts `n` members, initialises member 0 with all of them and waits until every
    /// member applied the initial membership.
    ///
    /// # Errors
    /// openraft refused the configuration or did not bootstrap in time.
    pub async fn start(n: u64) -> anyhow::Result<OpenraftGroup> {
        let config = Arc::new(
            openraft::Config {
                // As our engine's bench: up to 4096 entries per append.
                max_payload_entries: 4096,
                snapshot_policy: SnapshotPolicy::Never,
                ..openraft::Config::default()
            }
            .validate()
            .context("openraft config")?,
        );
        let router = Router::default();
        let mut members = Vec::new();
        let mut counters = Vec::new();
        for id in 0..n {
            let counter = Counter::default();
            let raft = OpenRaft::new(
                id,
                config.clone(),
                router.clone(),
                LogStore::default(),
                counter.clone(),
            )
            .await
            .context("openraft start")?;
            router.add(id, raft.clone());
            members.push(raft);
            counters.push(counter);
        }
        let ids: BTreeSet<u64> = (0..n).collect();
        members[0]
            .initialize(ids)
            .await
            .context("openraft initialize")?;
        for m in &members {
            m.wait(Some(BOOT_TIMEOUT))
                .applied_index(Some(1), "initial membership applied")
                .await
                .context("openraft bootstrap")?;
        }
        Ok(OpenraftGroup {
            leader: members[0].clone(),
            members,
            counters,
        })
    }

    /// Writes `total` commands in batches of `batch`, one batch outstanding at a time
    /// (each awaited until the leader applied it), and returns the wall time.
    ///
    /// # Errors
    /// A write failed, or the leader did not apply every command.
    pub async fn run(
        &self,
        batch: usize,
        total: usize,
        payload: &Bytes,
    ) -> anyhow::Result<Duration> {
        let before = self.counters[0].commands();
        let start = Instant::now();
        let mut written = 0;
        while written < total {
            let cmds = (0..batch).map(|_| Cmd(payload.clone()));
            let mut answers = self
                .leader
                .client_write_many(cmds)
                .await
                .context("openraft client_write_many")?;
            while let Some(answer) = answers.try_next().await.context("openraft fatal")? {
                answer.context("openraft write refused")?;
            }
            written += batch;
        }
        let took = start.elapsed();
        let applied = self.counters[0].commands() - before;
        if applied != written as u64 {
            bail!("openraft leader applied {applied} of {written} commands");
        }
        Ok(took)
    }

    /// Stops every member.
    pub async fn shutdown(self) {
        for m in self.members {
            let _ = m.shutdown().await;
        }
    }
}
