//! The member as a running program: the engine task (`Driver`) that owns the core, the
//! ledger and the transport, and the `NodeHandle` through which the client API reaches it.

mod client_error;
mod clock;
mod driver;
mod request;
mod roles;

pub use client_error::{ClientError, LeaderHint};
pub use clock::Clock;
pub use request::{ReadAnswer, ReadLevel};
pub use roles::{MemberRole, RolesView, SeatView};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parliament_engine::engine::Role;
use parliament_engine::state::{Command, Key, Response, Scope};
use parliament_engine::westminster::{
    LordsConfig, Member, MemberConfig, SessionConfig, TermLimits, Timings,
};
use parliament_engine::{LogIndex, NodeId, Term};
use parliament_net::{TlsConfig, Transport, TransportConfig, TransportStats};
use parliament_store::{Ledger, LedgerOptions};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use driver::Driver;
use request::Request;

/// Consensus timings and session bounds of both levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// District timings.
    pub district: Timings,
    /// Commons timings.
    pub commons: Timings,
    /// Sessions.
    pub sessions: SessionConfig,
    /// Term limits of representatives and the Prime Minister.
    pub term_limits: TermLimits,
    /// The House of Lords.
    pub lords: LordsConfig,
    /// Applied district entries between two snapshots of this member (0: never).
    pub snapshot_every: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            district: Timings::district(),
            commons: Timings::commons(),
            sessions: SessionConfig::default(),
            term_limits: TermLimits::default(),
            lords: LordsConfig::default(),
            snapshot_every: 10_000,
        }
    }
}

/// Everything a member needs to run.
#[derive(Debug)]
pub struct NodeOptions {
    /// The parliament.
    pub directory: Arc<Directory>,
    /// This member.
    pub member: NodeId,
    /// Where its ledger lives.
    pub data_dir: PathBuf,
    /// Timings and sessions.
    pub settings: Settings,
    /// Mutual TLS for the peer transport; `None` for plain TCP.
    pub tls: Option<TlsConfig>,
    /// Where the peer service listens; `None`: the roster's address for this member.
    pub peer_listen: Option<String>,
    /// How long a client request may wait for its answer.
    pub request_timeout: Duration,
    /// How often the core's clock advances.
    pub tick: Duration,
}

/// The client API's way to the engine task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    requests: mpsc::Sender<Request>,
    roles: watch::Receiver<RolesView>,
    directory: watch::Receiver<Arc<Directory>>,
    request_timeout: Duration,
    shutdown: Arc<watch::Sender<bool>>,
    metrics: Arc<Metrics>,
    peers: TransportStats,
}

/// A running member.
#[derive(Debug)]
pub struct Node {
    /// The handle for the client API.
    pub handle: NodeHandle,
    /// The engine task; ends with an error when the ledger fails.
    pub task: JoinHandle<Result<()>>,
}

impl Node {
    /// Opens the ledger, restarts the core from it, starts the transport and the engine
    /// task.
    ///
    /// # Errors
    /// The ledger cannot be opened (a corrupt file is named with its offset), the core
    /// refuses the persisted state, or the transport cannot listen.
    pub async fn start(options: NodeOptions, metrics: Arc<Metrics>) -> Result<Node> {
        let directory = options.directory;
        let me = options.member;
        if directory.member(me).is_none() {
            return Err(Error::Config(format!(
                "member {me} is not in the roster; check --member or the roster file"
            )));
        }
        let ledger_dir = options.data_dir.join("ledger");
        std::fs::create_dir_all(&ledger_dir).map_err(|source| Error::File {
            path: ledger_dir.clone(),
            source,
        })?;
        let (ledger, recovered) = Ledger::open(&ledger_dir, LedgerOptions::default())?;
        if let Some(torn) = &recovered.torn_tail {
            tracing::warn!(?torn, "the ledger had a torn tail from a crash; it was cut");
        }
        tracing::info!(member = %me, last_index = %recovered.last_index(), term = %recovered.hard_state.term, "ledger opened");
        let clock = Clock::new();
        let mut config = MemberConfig::new(me, directory.roster().clone(), rand::random());
        config.district = options.settings.district;
        config.commons = options.settings.commons;
        config.sessions = options.settings.sessions;
        config.term_limits = options.settings.term_limits;
        config.lords = options.settings.lords;
        config.snapshot_every = options.settings.snapshot_every;
        let member = Member::new(config, recovered.into_persisted(), clock.now())?;

        let mut transport_config = TransportConfig::new(directory.cluster(), me);
        transport_config.tls = options.tls;
        let transport_roster = directory.transport_roster();
        let (transport, inbound) = match options.peer_listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(&addr)
                    .await
                    .map_err(|source| Error::Listen { addr, source })?;
                Transport::start(transport_config, transport_roster, listener).await?
            }
            None => Transport::bind(transport_config, transport_roster).await?,
        };

        let peers = transport.stats_handle();
        let (requests_tx, requests_rx) = mpsc::channel(4096);
        let initial = RolesView {
            member: me,
            district: member.district(),
            district_role: Role::Follower,
            district_term: Term(0),
            representative: None,
            district_token: None,
            district_commit: LogIndex(0),
            seat: None,
            global_commit: LogIndex(0),
            session: None,
            queued: 0,
            waiting: 0,
            sessions_held: 0,
            last_session_size: 0,
            global_revision: 0,
            leader_seen_unix_ms: 0,
            lords: Vec::new(),
            reputation: Vec::new(),
            roster_revision: directory.revision(),
            voters: Vec::new(),
            learners: Vec::new(),
        };
        let (roles_tx, roles_rx) = watch::channel(initial);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (directory_tx, directory) = watch::channel(directory);
        let driver = Driver::new(
            member,
            ledger,
            transport,
            directory_tx,
            clock,
            (options.tick, options.request_timeout),
            (requests_rx, inbound, roles_tx, shutdown_rx),
            metrics.clone(),
        );
        let task = tokio::spawn(driver.run());
        Ok(Node {
            handle: NodeHandle {
                requests: requests_tx,
                roles: roles_rx,
                directory,
                request_timeout: options.request_timeout,
                shutdown: Arc::new(shutdown_tx),
                metrics,
                peers,
            },
            task,
        })
    }
}

impl NodeHandle {
    /// Proposes a command and waits for its answer.
    ///
    /// # Errors
    /// A [`ClientError`] saying what to do.
    pub async fn write(&self, command: Command) -> Result<Response, ClientError> {
        let (reply, answer) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + self.request_timeout;
        self.send(Request::Write {
            command,
            deadline,
            reply,
        })
        .await?;
        answer.await.map_err(|_| gone())?
    }

    /// Reads a key at a level.
    ///
    /// # Errors
    /// A [`ClientError`] saying what to do.
    pub async fn read(
        &self,
        scope: Scope,
        key: Key,
        level: ReadLevel,
    ) -> Result<ReadAnswer, ClientError> {
        let (reply, answer) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + self.request_timeout;
        self.send(Request::Read {
            scope,
            key,
            level,
            deadline,
            reply,
        })
        .await?;
        let started = std::time::Instant::now();
        let result = answer.await.map_err(|_| gone())?;
        self.metrics
            .observe_read(level.name(), started.elapsed().as_secs_f64());
        result
    }

    /// Hands the engine task a roster the operator published: pods joined or left. The
    /// directory and the transport's address book are replaced and the core adopts it
    /// (`Member::set_roster`); the district's representative then changes the district
    /// configuration one member at a time. Returns whether it was adopted: a roster not
    /// newer than the one in use is ignored (watches replay old versions).
    ///
    /// # Errors
    /// [`Error::Roster`] when the roster cannot be used or the core refuses it (it moves
    /// this member to another district, changes districts or founders); nothing changed.
    pub async fn set_roster(&self, roster: parliament_crds::Roster) -> Result<bool> {
        let (reply, answer) = oneshot::channel();
        let stopped = || Error::Roster("the engine task has stopped".to_owned());
        self.requests
            .send(Request::SetRoster {
                roster: Box::new(roster),
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn send(&self, request: Request) -> Result<(), ClientError> {
        self.requests.send(request).await.map_err(|_| gone())
    }

    /// The roles now, and changes as they happen.
    #[must_use]
    pub fn roles(&self) -> watch::Receiver<RolesView> {
        self.roles.clone()
    }

    /// The parliament's directory, as of the newest roster the member adopted.
    #[must_use]
    pub fn directory(&self) -> Arc<Directory> {
        self.directory.borrow().clone()
    }

    /// The metrics registry's owner.
    #[must_use]
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The peer links' counters (queues, drops, messages, frames and bytes sent).
    #[must_use]
    pub fn peer_stats(&self) -> &TransportStats {
        &self.peers
    }

    /// Asks the engine task to stop.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

fn gone() -> ClientError {
    ClientError::Unavailable("the engine task has stopped; retry at another member".to_owned())
}
