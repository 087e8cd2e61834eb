//! State every task of one transport shares: configuration, roster, peer links, the
//! engine's inbound channel and the shutdown signal.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use parliament_engine::NodeId;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::config::TransportConfig;
use crate::inbound::Inbound;
use crate::link::PeerLink;
use crate::roster::Roster;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: TransportConfig,
    /// Replaced by `Transport::set_roster`; read, never held across an await.
    pub(crate) roster: RwLock<Roster>,
    /// One link per roster member other than this one; replaced with the roster.
    pub(crate) links: Arc<RwLock<BTreeMap<NodeId, Arc<PeerLink>>>>,
    pub(crate) inbound: mpsc::Sender<Inbound>,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// The dialers, started at start (eager), on a roster change (eager) or by `send`
    /// (on demand); `Transport::shutdown` drains them.
    pub(crate) dialers: Mutex<JoinSet<()>>,
    /// The runtime the transport started on: `send` may run outside its context.
    pub(crate) runtime: Handle,
}

impl Shared {
    /// The roster now.
    pub(crate) fn roster(&self) -> RwLockReadGuard<'_, Roster> {
        // The lock guards plain data replaced whole: a panicked writer left it usable.
        self.roster.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The link to `peer`, while it is in the roster.
    pub(crate) fn link(&self, peer: NodeId) -> Option<Arc<PeerLink>> {
        read(&self.links).get(&peer).cloned()
    }

    /// Starts the dialer of `link`.
    pub(crate) fn spawn_dialer(self: &Arc<Self>, link: Arc<PeerLink>) {
        let task = crate::dialer::run(Arc::clone(self), link);
        let mut dialers = self.dialers.lock().unwrap_or_else(PoisonError::into_inner);
        // Dialers stop only at shutdown or when a roster drops their peer: reap those.
        while dialers.try_join_next().is_some() {}
        dialers.spawn_on(task, &self.runtime);
    }

    /// Resolves once the transport is shutting down.
    pub(crate) async fn shutting_down(&self) {
        let mut rx = self.shutdown.clone();
        // An error means the sender (the Transport) is gone: that is a shutdown too.
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// Reads the links map (see [`Shared::roster`] on poisoning).
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}
