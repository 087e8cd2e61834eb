//! A parliament of in-process members over loopback gRPC: [`InProcess`]. Each member is
//! the sidecar's real `Node` (engine task, ledger, peer transport) with its own peer
//! port on 127.0.0.1; the clients call the members' handles directly, as the sidecar's
//! client API does.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use parliament::directory::Directory;
use parliament::metrics::Metrics;
use parliament::node::{Node, NodeHandle, NodeOptions, Settings};
use parliament_crds::{Roster, RosterDistrict, RosterMember};
use parliament_engine::NodeId;
use parliament_tests::sim::parliament::ParliamentOptions;
use tokio::time::Instant;

use super::seen::{self, Links, Seen};

/// The two ways the same members are arranged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Topology {
    /// About √N districts; clients write global scope at random members.
    Parliament,
    /// One district of all N members (one Raft group of N voters); clients write
    /// district scope at its leader.
    Flat,
}

impl Topology {
    /// The table's name for it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Topology::Parliament => "Parliament",
            Topology::Flat => "flat",
        }
    }
}

/// The parliament's name in its transport handshakes.
const CLUSTER: &str = "bench";
/// How long a client request may wait in a member before it is answered with a timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often each member's core clock ticks (as `parliament run`).
const TICK: Duration = Duration::from_millis(5);
/// Listening ports are searched from here, below Linux's default ephemeral range
/// (32768–60999), so that the members' own outgoing connections cannot take one.
const FIRST_PORT: u16 = 12_000;

/// The name of district `d` (zero-padded: the directory numbers districts in name order).
#[must_use]
pub fn district_name(d: usize) -> String {
    format!("d{d:03}")
}

/// Running members.
#[derive(Debug)]
pub struct InProcess {
    nodes: Vec<Node>,
    handles: Vec<NodeHandle>,
    districts: usize,
}

/// The roster of `members` members in `districts` districts (sized as the simulator's
/// `ParliamentOptions::spread`), members numbered from 1 in district order, each with a
/// peer port on 127.0.0.1 that is free now.
///
/// # Errors
/// Not enough free ports.
pub fn roster(members: usize, districts: usize) -> anyhow::Result<Roster> {
    let ports = free_ports(members)?;
    let mut next = 1u64;
    // Field by field only where needed: the published roster grows fields (founders)
    // whose defaults are what a new parliament has.
    let mut roster = Roster {
        revision: 1,
        generation: 1,
        ..Roster::default()
    };
    for (d, size) in ParliamentOptions::spread(districts, members)
        .into_iter()
        .enumerate()
    {
        let name = district_name(d);
        let mut district = RosterDistrict {
            name: name.clone(),
            ..RosterDistrict::default()
        };
        for _ in 0..size {
            let port = ports[(next - 1) as usize];
            district.members.push(RosterMember {
                id: next,
                pod: format!("m{next}"),
                uid: format!("bench-{next}"),
                district: name.clone(),
                ip: Some("127.0.0.1".to_owned()),
                dns: None,
                peer_address: Some(format!("127.0.0.1:{port}")),
                api_address: None,
            });
            next += 1;
        }
        roster.districts.push(district);
    }
    Ok(roster)
}

impl InProcess {
    /// Starts the members of `roster` whose ids `run` admits, each listening on its
    /// roster peer address, ledgers under `data`.
    ///
    /// # Errors
    /// The roster does not make a directory, or a member could not start.
    pub async fn start(
        roster: &Roster,
        run: impl Fn(u64) -> bool,
        settings: Settings,
        data: &Path,
    ) -> anyhow::Result<InProcess> {
        let directory = Arc::new(Directory::new(CLUSTER, roster).context("the roster")?);
        let districts = roster.districts.len();
        let members: Vec<(u64, String)> = roster
            .districts
            .iter()
            .flat_map(|d| &d.members)
            .filter(|m| run(m.id))
            .map(|m| (m.id, m.peer_address.clone().unwrap_or_default()))
            .collect();
        // All at once, as a StatefulSet with parallel pod management starts its pods:
        // started one after another, 729 members take seconds to come up, and the early
        // ones stand for election again and again in districts still half empty, each
        // time contacting every district peer (a stream each, held for the idle timeout).
        let starts = members.into_iter().map(|(id, address)| {
            let options = NodeOptions {
                directory: Arc::clone(&directory),
                member: NodeId(id),
                data_dir: data.join(format!("m{id}")),
                settings,
                tls: None,
                peer_listen: Some(address.clone()),
                request_timeout: REQUEST_TIMEOUT,
                tick: TICK,
            };
            async move {
                Node::start(options, Arc::new(Metrics::new()))
                    .await
                    .with_context(|| format!("starting member {id} on {address}"))
            }
        });
        let mut nodes = Vec::new();
        let mut failed = None;
        for started in futures::future::join_all(starts).await {
            match started {
                Ok(node) => nodes.push(node),
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        if let Some(e) = failed {
            InProcess {
                handles: nodes.iter().map(|n| n.handle.clone()).collect(),
                nodes,
                districts,
            }
            .stop()
            .await;
            return Err(e);
        }
        let handles = nodes.iter().map(|n| n.handle.clone()).collect();
        Ok(InProcess {
            nodes,
            handles,
            districts,
        })
    }

    /// Every member's handle, in id order.
    #[must_use]
    pub fn handles(&self) -> &[NodeHandle] {
        &self.handles
    }

    /// Every member's roles now, in id order.
    #[must_use]
    pub fn seen(&self) -> Vec<Seen> {
        self.handles.iter().map(Seen::of).collect()
    }

    /// What [`seen::leader`] names among these members.
    #[must_use]
    pub fn leader(&self, topology: Topology) -> Option<NodeId> {
        seen::leader(&self.seen(), topology, self.districts)
    }

    /// Polls the members' roles until [`InProcess::leader`] names one; returns it.
    ///
    /// # Errors
    /// None within `bound`; the message says what was missing.
    pub async fn convene(&self, topology: Topology, bound: Duration) -> anyhow::Result<NodeId> {
        let until = Instant::now() + bound;
        loop {
            if let Some(l) = self.leader(topology) {
                return Ok(l);
            }
            if Instant::now() > until {
                let roles = seen::why_not(&self.seen(), topology, self.districts, bound);
                bail!("{roles}{}", self.links().describe());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A member's id, district and role, as the progress log names it.
    #[must_use]
    pub fn describe(&self, id: NodeId) -> String {
        seen::describe(&self.seen(), id)
    }

    /// Stream ends, failed dials and open descriptors of these members' process.
    #[must_use]
    pub fn links(&self) -> Links {
        let mut links = Links {
            descriptors: super::process::open_descriptors(),
            ..Links::default()
        };
        for h in &self.handles {
            for (_, s) in h.peer_stats().peers() {
                links.stream_ends += s.streams;
                links.failed_dials += s.connect_failures;
            }
        }
        links
    }

    /// Stops every member and waits (bounded) for their engine tasks.
    pub async fn stop(self) {
        for h in &self.handles {
            h.shutdown();
        }
        let tasks = self.nodes.into_iter().map(|n| n.task);
        let _ =
            tokio::time::timeout(Duration::from_secs(20), futures::future::join_all(tasks)).await;
    }
}

/// `n` ports free on 127.0.0.1 now. The probes are all closed before any member starts:
/// a member dialling a port that a probe still held would wait out a handshake timeout
/// and back off.
fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    let mut probes = Vec::with_capacity(n);
    let mut port = FIRST_PORT;
    while probes.len() < n {
        if port >= 32_768 {
            bail!(
                "only {} free ports on 127.0.0.1 between {FIRST_PORT} and 32767; {n} members need one each",
                probes.len()
            );
        }
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
            probes.push((l, port));
        }
        port += 1;
    }
    Ok(probes.into_iter().map(|(_, p)| p).collect())
}
