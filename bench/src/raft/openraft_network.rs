//! openraft's network for the comparison, in process: [`Router`] hands each RPC straight
//! to the target's `Raft` handle (no serialisation, no sockets), as our engine's
//! benchmark hands messages over through queues.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use openraft::alias::{SnapshotOf, VoteOf};
use openraft::error::{RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{OptionalSend, RaftNetworkFactory, RaftNetworkV2};

use crate::raft::openraft_group::{Config, Node};
use crate::raft::openraft_store::Counter;

/// One member's handle.
pub type OpenRaft = openraft::Raft<Config, Counter>;

/// Every member's handle, by id; clones share the table.
#[derive(Clone, Debug, Default)]
pub struct Router {
    table: Arc<Mutex<BTreeMap<u64, OpenRaft>>>,
}

impl Router {
    /// Makes `raft` reachable as `id`.
    pub fn add(&self, id: u64, raft: OpenRaft) {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, raft);
    }

    fn get(&self, id: u64) -> Option<OpenRaft> {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
    }
}

/// The connection to one member.
#[derive(Debug)]
pub struct Link {
    router: Router,
    target: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("member {0} is not in the router")]
struct NotRouted(u64);

impl Link {
    fn raft(&self) -> Result<OpenRaft, Unreachable<Config>> {
        self.router
            .get(self.target)
            .ok_or_else(|| Unreachable::new(&NotRouted(self.target)))
    }
}

impl RaftNetworkFactory<Config> for Router {
    type Network = Link;

    async fn new_client(&mut self, target: u64, _node: &Node) -> Link {
        Link {
            router: self.clone(),
            target,
        }
    }
}

impl RaftNetworkV2<Config> for Link {
    type SnapshotData = u64;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<Config>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<Config>, RPCError<Config>> {
        let raft = self.raft()?;
        raft.append_entries(rpc)
            .await
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<Config>,
        _option: RPCOption,
    ) -> Result<VoteResponse<Config>, RPCError<Config>> {
        let raft = self.raft()?;
        raft.vote(rpc)
            .await
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<Config>,
        _option: RPCOption,
    ) -> Result<VoteResponse<Config>, RPCError<Config>> {
        let raft = self.raft()?;
        raft.pre_vote(rpc)
            .await
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))
    }

    async fn full_snapshot(
        &mut self,
        vote: VoteOf<Config>,
        snapshot: SnapshotOf<Config, u64>,
        _cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<Config>, StreamingError<Config>> {
        let raft = self.raft()?;
        raft.install_full_snapshot(vote, snapshot)
            .await
            .map_err(|e| StreamingError::Unreachable(Unreachable::new(&e)))
    }
}
