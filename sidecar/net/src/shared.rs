//! State every task of one transport shares: configuration, roster, peer links, the
//! engine's inbound channel and the shutdown signal.

use std::collections::BTreeMap;
use std::sync::Arc;

use parliament_engine::NodeId;
use tokio::sync::{mpsc, watch};

use crate::config::TransportConfig;
use crate::inbound::Inbound;
use crate::link::PeerLink;
use crate::roster::Roster;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: TransportConfig,
    pub(crate) roster: Roster,
    /// One link per roster member other than this one.
    pub(crate) links: BTreeMap<NodeId, Arc<PeerLink>>,
    pub(crate) inbound: mpsc::Sender<Inbound>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// Resolves once the transport is shutting down.
    pub(crate) async fn shutting_down(&self) {
        let mut rx = self.shutdown.clone();
        // An error means the sender (the Transport) is gone: that is a shutdown too.
        let _ = rx.wait_for(|s| *s).await;
    }
}
