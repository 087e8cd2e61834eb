//! The listening side: the tonic `Peer` service that accepts streams from peers.

use std::sync::Arc;

use parliament_proto::peer::Frame;
use parliament_proto::peer::peer_server::Peer;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, warn};

use crate::connection;
use crate::error::Error;
use crate::handshake::{self, Refusal};
use crate::shared::Shared;

/// Accepts peer streams: reads the hello, refuses unknown peers, then runs the stream.
#[derive(Debug)]
pub(crate) struct PeerService {
    pub(crate) shared: Arc<Shared>,
}

#[tonic::async_trait]
impl Peer for PeerService {
    type StreamStream = ReceiverStream<Result<Frame, Status>>;

    async fn stream(
        &self,
        request: Request<Streaming<Frame>>,
    ) -> Result<Response<Self::StreamStream>, Status> {
        let shared = &self.shared;
        let remote = request.remote_addr();
        let certs = request.peer_certs();
        let mut inbound = request.into_inner();
        let timeout = shared.config.handshake_timeout;
        let first = match tokio::time::timeout(timeout, inbound.message()).await {
            Err(_) => {
                warn!(?remote, "peer sent no hello in time");
                return Err(Status::deadline_exceeded(format!(
                    "no hello within {} ms",
                    timeout.as_millis()
                )));
            }
            Ok(Err(status)) => return Err(status),
            Ok(Ok(None)) => return Err(Status::cancelled("stream ended before the hello")),
            Ok(Ok(Some(frame))) => frame,
        };
        let hello = handshake::hello_of(first).map_err(Status::invalid_argument)?;
        let checked = {
            let roster = shared.roster();
            handshake::check(&shared.config, &roster, &hello).and_then(|peer| {
                let certs = certs.as_deref().map(Vec::as_slice);
                handshake::check_certificate(&shared.config, &roster, peer, certs)
                    .map_err(Refusal::denied)?;
                Ok(peer)
            })
        };
        let peer = match checked {
            Ok(peer) => peer,
            Err(refusal) => {
                warn!(?remote, claimed = hello.member, reason = %refusal.reason, "refused a peer");
                return Err(refusal.status());
            }
        };
        let Some(link) = shared.link(peer) else {
            return Err(Status::permission_denied(format!(
                "member {peer} has no link here"
            )));
        };
        // Capacity 1: back-pressure reaches the queue, where the drop policy applies.
        let (tx, rx) = mpsc::channel(1);
        if tx.try_send(Ok(handshake::hello(&shared.config))).is_err() {
            return Err(Status::internal("could not queue the hello"));
        }
        info!(%peer, ?remote, "accepted a peer stream");
        let shared_timeout = shared.config.handshake_timeout;
        let shared = Arc::clone(shared);
        // Kept to tell the peer why its stream is reset (e.g. an oversize frame).
        let status_tx = tx.clone();
        tokio::spawn(async move {
            // Preferred when the peer that dialled has the lower id (see `link`).
            let preferred = peer < shared.config.member;
            match connection::run(shared, link, inbound, tx, Ok, preferred).await {
                Ok(()) => info!(%peer, "peer stream ended"),
                Err(e) => {
                    warn!(%peer, error = %e, "peer stream failed; resetting it");
                    if let Error::Stream { status, .. } = e {
                        let wait = shared_timeout;
                        let _ = tokio::time::timeout(wait, status_tx.send(Err(*status))).await;
                    }
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
