//! State every task of one transport shares: configuration, roster, peer links, the
//! engine's inbound channel and the shutdown signal.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use parliament_engine::NodeId;
use tokio::sync::{mpsc, watch};

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
