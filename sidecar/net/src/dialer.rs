//! The dialling side: opens a stream to one peer and redials with exponential backoff
//! and jitter whenever it fails. With [`Connect::Eager`] a stream is kept open to every
//! peer with a higher id from the start; with [`Connect::OnDemand`] a stream is opened
//! (to any peer) only while envelopes wait for it and no stream is up.

use std::sync::Arc;

use parliament_proto::peer::Frame;
use parliament_proto::peer::peer_client::PeerClient;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Endpoint;
use tracing::{debug, info, warn};

use crate::backoff::Backoff;
use crate::config::Connect;
use crate::connection;
use crate::error::{Error, Result};
use crate::handshake;
use crate::link::PeerLink;
use crate::shared::Shared;
use crate::stats::Counters;

/// Dials `link`'s peer until shutdown, or until a new roster drops the link.
pub(crate) async fn run(shared: Arc<Shared>, link: Arc<PeerLink>) {
    let config = &shared.config;
    let peer = link.member.id;
    // Each peer gets its own jitter sequence, so redials to several peers spread out.
    let seed = config.rng_seed.map(|s| s ^ peer.get().rotate_left(32));
    let mut backoff = Backoff::new(config.backoff_initial, config.backoff_max, seed);
    loop {
        if !shared.link(peer).is_some_and(|l| Arc::ptr_eq(&l, &link)) {
            info!(%peer, "no longer in the roster; stopped dialling");
            return;
        }
        if matches!(config.connect, Connect::OnDemand { .. }) {
            tokio::select! {
                () = link.wait_demand() => {}
                () = link.retired() => continue,
                () = shared.shutting_down() => return,
            }
        }
        let mut established = false;
        let outcome = tokio::select! {
            outcome = dial(&shared, &link, &mut established) => outcome,
            () = link.retired() => continue,
            () = shared.shutting_down() => return,
        };
        match (&outcome, established) {
            (Ok(()), _) => info!(%peer, "peer stream closed"),
            (Err(e), true) => warn!(%peer, error = %e, "stream lost"),
            (Err(e), false) => {
                Counters::add(&link.counters.connect_failures, 1);
                debug!(%peer, error = %e, "dial failed");
            }
        }
        if established {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = link.retired() => {}
            () = shared.shutting_down() => return,
        }
    }
}

/// One dial: connect, handshake, then run the stream until it ends.
async fn dial(shared: &Arc<Shared>, link: &Arc<PeerLink>, established: &mut bool) -> Result<()> {
    let config = &shared.config;
    let member = &link.member;
    let peer = member.id;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let transport_err = |source| Error::Transport {
        peer,
        address: member.address.clone(),
        source,
    };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{}", member.address))
        .map_err(transport_err)?
        .connect_timeout(config.connect_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(config.keepalive_interval)
        .keep_alive_timeout(config.keepalive_timeout)
        .keep_alive_while_idle(true);
    if let Some(tls) = &config.tls {
        endpoint = endpoint
            .tls_config(tls.client(&member.identity))
            .map_err(transport_err)?;
    }
    let channel = endpoint.connect().await.map_err(transport_err)?;
    let mut client = PeerClient::new(channel)
        .max_decoding_message_size(config.max_frame_bytes)
        .max_encoding_message_size(config.max_frame_bytes);

    let (tx, rx) = mpsc::channel::<Frame>(1);
    tx.try_send(handshake::hello(config))
        .map_err(|_| Error::Shutdown)?;
    let timeout = config.handshake_timeout;
    let handshake_timeout = || Error::HandshakeTimeout {
        peer,
        millis: timeout.as_millis(),
    };
    let stream_err = |status| Error::Stream {
        peer,
        status: Box::new(status),
    };
    let response = tokio::time::timeout(timeout, client.stream(ReceiverStream::new(rx)))
        .await
        .map_err(|_| handshake_timeout())?
        .map_err(stream_err)?;
    let mut inbound = response.into_inner();
    let first = tokio::time::timeout(timeout, inbound.message())
        .await
        .map_err(|_| handshake_timeout())?
        .map_err(stream_err)?
        .ok_or_else(|| Error::Refused(format!("{peer} closed the stream before its hello")))?;
    let hello = handshake::hello_of(first).map_err(Error::Refused)?;
    // rustls already checked the listener's certificate against its roster identity.
    let answered =
        handshake::check(config, &shared.roster(), &hello).map_err(|r| Error::Refused(r.reason))?;
    if answered != peer {
        return Err(Error::Refused(format!(
            "dialled {peer} at {} but {answered} answered; the roster address is wrong",
            member.address
        )));
    }
    *established = true;
    info!(%peer, address = %member.address, "connected to peer");
    let preferred = config.member < peer;
    connection::run(
        Arc::clone(shared),
        Arc::clone(link),
        inbound,
        tx,
        |f| f,
        preferred,
    )
    .await
}
