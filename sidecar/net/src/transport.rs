//! The transport: starts the listener and the dialers, queues outbound envelopes, and
//! hands inbound ones to the engine task.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use parliament_engine::NodeId;
use parliament_engine::westminster::Envelope;
use parliament_proto::peer;
use parliament_proto::peer::peer_server::PeerServer;
use prost::Message as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tracing::{error, info};

use crate::config::{Connect, TransportConfig};
use crate::error::{Error, Result};
use crate::inbound::Inbound;
use crate::kind;
use crate::link::PeerLink;
use crate::roster::Roster;
use crate::service::PeerService;
use crate::shared::Shared;
use crate::stats::{Counters, PeerStats, TransportStats};

/// How long [`Transport::shutdown`] waits for streams to close before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A member's peer transport: one stream per pair of members that talk, batched frames,
/// bounded per-peer queues, reconnects with backoff. See `docs/transport.md`.
///
/// A stream carries envelopes (district, Commons and session messages) both ways. With
/// [`Connect::OnDemand`] (the default) either member of a pair dials once it has
/// something to send and no stream is up, and an idle stream closes; with
/// [`Connect::Eager`] the lower id of every pair dials at start and redials forever.
/// [`Transport::send`] never waits: it queues (dropping the oldest envelope when the
/// peer's queue is full). Inbound envelopes arrive on the receiver returned by [`Transport::start`], which the single
/// task owning the engine (the Westminster `Member`) drains.
///
/// Dropping the transport stops it (tasks are aborted); [`Transport::shutdown`] stops
/// it gracefully and releases the listening port before returning.
#[derive(Debug)]
pub struct Transport {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    local_addr: SocketAddr,
}

impl Transport {
    /// Binds this member's roster address and starts the transport.
    ///
    /// # Errors
    /// As [`Transport::start`], and [`Error::Listen`] when the address cannot be bound.
    pub async fn bind(
        config: TransportConfig,
        roster: Roster,
    ) -> Result<(Transport, mpsc::Receiver<Inbound>)> {
        let Some(me) = roster.get(config.member) else {
            return Err(Error::Config(format!(
                "this member ({}) is not in the roster",
                config.member
            )));
        };
        let listener = TcpListener::bind(&me.address)
            .await
            .map_err(|source| Error::Listen {
                addr: me.address.clone(),
                source,
            })?;
        Transport::start(config, roster, listener).await
    }

    /// Starts the transport on `listener`: serves the peer service and, with
    /// [`Connect::Eager`], dials every roster member with a higher id. Must run inside a
    /// tokio runtime.
    ///
    /// # Errors
    /// [`Error::Config`] when the configuration is invalid or this member is not in the
    /// roster; [`Error::Tls`] when the TLS material cannot be used.
    pub async fn start(
        config: TransportConfig,
        roster: Roster,
        listener: TcpListener,
    ) -> Result<(Transport, mpsc::Receiver<Inbound>)> {
        config.validate()?;
        if !roster.contains(config.member) {
            return Err(Error::Config(format!(
                "this member ({}) is not in the roster",
                config.member
            )));
        }
        let local_addr = listener.local_addr().map_err(Error::LocalAddr)?;
        let links: BTreeMap<NodeId, Arc<PeerLink>> = roster
            .members()
            .filter(|m| m.id != config.member)
            .map(|m| {
                (
                    m.id,
                    Arc::new(PeerLink::new(m.clone(), config.queue_capacity)),
                )
            })
            .collect();
        let (inbound_tx, inbound_rx) = mpsc::channel(config.inbound_capacity);
        let (shutdown, shutdown_rx) = watch::channel(false);

        let mut server = Server::builder()
            .tcp_nodelay(true)
            .http2_keepalive_interval(Some(config.keepalive_interval))
            .http2_keepalive_timeout(Some(config.keepalive_timeout));
        if let Some(tls) = &config.tls {
            server = server
                .tls_config(tls.server())
                .map_err(|e| Error::Tls(e.to_string()))?;
        }
        let shared = Arc::new(Shared {
            config,
            roster: RwLock::new(roster),
            links: Arc::new(RwLock::new(links)),
            inbound: inbound_tx,
            shutdown: shutdown_rx,
            dialers: std::sync::Mutex::default(),
            runtime: tokio::runtime::Handle::current(),
        });
        let service = PeerServer::new(PeerService {
            shared: Arc::clone(&shared),
        })
        .max_decoding_message_size(shared.config.max_frame_bytes)
        .max_encoding_message_size(shared.config.max_frame_bytes);
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));

        let mut tasks = JoinSet::new();
        let signal = Arc::clone(&shared);
        let member = shared.config.member;
        tasks.spawn(async move {
            let stop = async move { signal.shutting_down().await };
            if let Err(e) = server
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, stop)
                .await
            {
                error!(%member, error = %e, "peer service stopped");
            }
        });
        if shared.config.connect == Connect::Eager {
            let links: Vec<_> = crate::shared::read(&shared.links)
                .iter()
                .filter(|(id, _)| **id > member)
                .map(|(_, link)| Arc::clone(link))
                .collect();
            for link in links {
                shared.spawn_dialer(link);
            }
        }
        let peers = crate::shared::read(&shared.links).len();
        info!(%member, address = %local_addr, peers, "peer transport started");
        Ok((
            Transport {
                shared,
                shutdown,
                tasks,
                local_addr,
            },
            inbound_rx,
        ))
    }

    /// Queues `envelope` for `peer` (one of `MemberReady::messages`). Never waits: when
    /// the peer's queue is full the oldest queued envelope is dropped and counted in
    /// [`PeerStats::dropped_overflow`].
    ///
    /// # Errors
    /// [`Error::UnknownPeer`] when `peer` is not another roster member;
    /// [`Error::MessageTooLarge`] when the envelope encodes to more than
    /// `max_message_bytes` (it is dropped and counted in [`PeerStats::dropped_oversize`]).
    pub fn send(&self, peer: NodeId, envelope: &Envelope) -> Result<()> {
        let link = self.shared.link(peer).ok_or(Error::UnknownPeer { peer })?;
        let wire = peer::Envelope::from(envelope);
        let size = wire.encoded_len();
        let limit = self.shared.config.max_message_bytes;
        if size > limit {
            Counters::add(&link.counters.dropped_oversize, 1);
            let (envelope, kind) = kind::of(envelope);
            return Err(Error::MessageTooLarge {
                peer,
                envelope,
                kind,
                size,
                limit,
            });
        }
        link.queue.push(wire, size);
        if matches!(self.shared.config.connect, Connect::OnDemand { .. }) && link.demanded() {
            self.shared.spawn_dialer(link);
        }
        Ok(())
    }

    /// The counters of the link to `peer`, or `None` when it is not a peer.
    #[must_use]
    pub fn stats(&self, peer: NodeId) -> Option<PeerStats> {
        self.shared.link(peer).map(|l| l.stats())
    }

    /// A handle that reads every link's counters from another task.
    #[must_use]
    pub fn stats_handle(&self) -> TransportStats {
        TransportStats::new(&self.shared.links)
    }

    /// The other roster members, in id order.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + '_ {
        let peers: Vec<_> = crate::shared::read(&self.shared.links)
            .keys()
            .copied()
            .collect();
        peers.into_iter()
    }

    /// Adopts a new roster while running (pods joined or left): a link, with its queue
    /// and counters, is kept for every member whose address and identity did not change;
    /// a new member gets a new link (dialled if its id is higher); a member no longer
    /// listed loses its link (its dialer stops, sends to it fail with
    /// [`Error::UnknownPeer`], its hellos are refused). Returns the members added and
    /// removed. A roster without this member is adopted too: the member is leaving.
    pub fn set_roster(&mut self, roster: Roster) -> (Vec<NodeId>, Vec<NodeId>) {
        let me = self.shared.config.member;
        let capacity = self.shared.config.queue_capacity;
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut spawn = Vec::new();
        {
            let mut links = self
                .shared
                .links
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let mut next = BTreeMap::new();
            for m in roster.members().filter(|m| m.id != me) {
                match links.get(&m.id) {
                    Some(link) if link.member == *m => {
                        next.insert(m.id, Arc::clone(link));
                    }
                    _ => {
                        let link = Arc::new(PeerLink::new(m.clone(), capacity));
                        if m.id > me && self.shared.config.connect == Connect::Eager {
                            spawn.push(Arc::clone(&link));
                        }
                        added.push(m.id);
                        next.insert(m.id, link);
                    }
                }
            }
            for (id, link) in links.iter() {
                if next.get(id).is_none_or(|l| !Arc::ptr_eq(l, link)) {
                    link.retire();
                    removed.push(*id);
                }
            }
            *links = next;
            *self
                .shared
                .roster
                .write()
                .unwrap_or_else(PoisonError::into_inner) = roster;
        }
        for link in spawn {
            self.shared.spawn_dialer(link);
        }
        info!(member = %me, ?added, ?removed, "peer transport adopted a new roster");
        (added, removed)
    }

    /// Resolves once a stream with `peer` is up (immediately if one is).
    ///
    /// # Errors
    /// [`Error::UnknownPeer`] when `peer` is not another roster member.
    pub async fn wait_connected(&self, peer: NodeId) -> Result<()> {
        let link = self.shared.link(peer).ok_or(Error::UnknownPeer { peer })?;
        link.wait_connected().await;
        Ok(())
    }

    /// The address the peer service listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops dialling and serving, closes every stream, and waits (briefly) for the
    /// listener to be released.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        let mut dialers = std::mem::take(
            &mut *self
                .shared
                .dialers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let drain = async {
            while self.tasks.join_next().await.is_some() {}
            while dialers.join_next().await.is_some() {}
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
            self.tasks.abort_all();
            dialers.abort_all();
            while self.tasks.join_next().await.is_some() {}
            while dialers.join_next().await.is_some() {}
        }
        info!(member = %self.shared.config.member, "peer transport stopped");
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
