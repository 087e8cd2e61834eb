//! A parliament of in-process members over loopback gRPC: [`InProcess`]. Each member is
//! the sidecar's real `Node` (engine task, ledger, peer transport) with its own peer
//! port on 127.0.0.1; the clients call the members' handles directly, as the sidecar's
//! client API does.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use parliament::directory::Directory;
use parliament::metrics::Metrics;
use parliament::node::{MemberRole, Node, NodeHandle, NodeOptions, Settings};
use parliament_crds::{Roster, RosterDistrict, RosterMember};
use parliament_engine::NodeId;
use parliament_engine::engine::Role;
use parliament_tests::sim::parliament::ParliamentOptions;
use tokio::time::Instant;

/// The two ways the same members are arranged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl InProcess {
    /// Starts `members` members in `districts` districts (sized as the simulator's
    /// `ParliamentOptions::spread`), ledgers under `data`, each on a free port.
    ///
    /// # Errors
    /// No free ports, or a member could not start.
    pub async fn start(
        members: usize,
        districts: usize,
        settings: Settings,
        data: &Path,
    ) -> anyhow::Result<InProcess> {
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
        let directory = Arc::new(Directory::new(CLUSTER, &roster).context("the roster")?);
        // All at once, as a StatefulSet with parallel pod management starts its pods:
        // started one after another, 729 members take seconds to come up, and the early
        // ones stand for election again and again in districts still half empty, each
        // time contacting every district peer (a stream each, held for the idle timeout).
        let starts = ports.into_iter().enumerate().map(|(i, port)| {
            let id = i as u64 + 1;
            let options = NodeOptions {
                directory: Arc::clone(&directory),
                member: NodeId(id),
                data_dir: data.join(format!("m{id}")),
                settings,
                tls: None,
                peer_listen: Some(format!("127.0.0.1:{port}")),
                request_timeout: REQUEST_TIMEOUT,
                tick: TICK,
            };
            async move {
                Node::start(options, Arc::new(Metrics::new()))
                    .await
                    .with_context(|| format!("starting member {id} on port {port}"))
            }
        });
        let mut nodes = Vec::with_capacity(members);
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

    /// The member that leads the writes of `topology`: the Prime Minister once every
    /// district's seat is hosted, or the flat group's leader once it has committed in its
    /// term. The newest term wins when two members think they lead.
    #[must_use]
    pub fn leader(&self, topology: Topology) -> Option<NodeId> {
        let mut hosted = BTreeSet::new();
        let mut best: Option<(u64, NodeId)> = None;
        for h in &self.handles {
            let roles = h.roles();
            let v = roles.borrow();
            let term = match topology {
                Topology::Parliament => {
                    if v.seat.is_some() {
                        hosted.insert(v.district);
                    }
                    match &v.seat {
                        Some(s) if v.member_role() == MemberRole::PrimeMinister => Some(s.term.0),
                        _ => None,
                    }
                }
                Topology::Flat => (v.district_role == Role::Leader && v.district_commit.0 > 0)
                    .then_some(v.district_term.0),
            };
            if let Some(t) = term
                && best.is_none_or(|(bt, _)| t > bt)
            {
                best = Some((t, v.member));
            }
        }
        if topology == Topology::Parliament && hosted.len() < self.districts {
            return None;
        }
        best.map(|(_, id)| id)
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
                bail!("{}", self.why_not(topology, bound));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A member's id, district and role, as the progress log names it.
    #[must_use]
    pub fn describe(&self, id: NodeId) -> String {
        let Some(h) = self
            .handles
            .iter()
            .find(|h| h.roles().borrow().member == id)
        else {
            return format!("member {id}");
        };
        let roles = h.roles();
        let v = roles.borrow();
        format!(
            "member {id} of district {}, {}",
            v.district,
            v.member_role().label()
        )
    }

    fn why_not(&self, topology: Topology, bound: Duration) -> String {
        let (mut ends, mut failed) = (0, 0);
        for h in &self.handles {
            for (_, s) in h.peer_stats().peers() {
                ends += s.streams;
                failed += s.connect_failures;
            }
        }
        let open = super::process::open_descriptors()
            .map_or_else(|| "unknown".to_owned(), |d| d.to_string());
        let transport = format!(
            "; by then {} peer streams were up, {failed} dials had failed, and {open} descriptors were open",
            ends / 2
        );
        self.why_not_roles(topology, bound) + &transport
    }

    fn why_not_roles(&self, topology: Topology, bound: Duration) -> String {
        let views: Vec<_> = self
            .handles
            .iter()
            .map(|h| h.roles().borrow().clone())
            .collect();
        let representatives: BTreeSet<_> = views
            .iter()
            .filter(|v| v.district_role == Role::Leader)
            .map(|v| v.district)
            .collect();
        let hosted: BTreeSet<_> = views
            .iter()
            .filter(|v| v.seat.is_some())
            .map(|v| v.district)
            .collect();
        match topology {
            Topology::Parliament => format!(
                "not convened within {} s: {} of {} districts had a representative, {} a hosted seat, and {} Prime Minister",
                bound.as_secs(),
                representatives.len(),
                self.districts,
                hosted.len(),
                if views
                    .iter()
                    .any(|v| v.member_role() == MemberRole::PrimeMinister)
                {
                    "a"
                } else {
                    "no"
                }
            ),
            Topology::Flat => format!(
                "no leader that committed in its term within {} s ({} member(s) thought they led)",
                bound.as_secs(),
                views
                    .iter()
                    .filter(|v| v.district_role == Role::Leader)
                    .count()
            ),
        }
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
