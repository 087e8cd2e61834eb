//! One established stream with a peer: a writer task that drains the peer's queue into
//! frames, and a reader that converts inbound batches of envelopes and delivers them to
//! the engine channel.
//!
//! Reader and writer run as separate tasks so that neither side's HTTP/2 flow control
//! can stall the other direction. The stream ends when the peer closes it, on any
//! protocol error (the dialer then reconnects), or on shutdown.

use std::sync::Arc;

use parliament_engine::westminster::Envelope;
use parliament_proto::peer::{Batch, Frame, frame};
use prost::Message as _;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tonic::Streaming;
use tracing::{debug, warn};

use crate::config::FRAME_OVERHEAD;
use crate::error::{Error, Result};
use crate::inbound::Inbound;
use crate::link::PeerLink;
use crate::shared::Shared;
use crate::stats::Counters;

/// Runs an established stream until it ends. `wrap` turns a frame into the outbound
/// channel's item (a `Frame` for the dialer, `Result<Frame, Status>` for the listener).
pub(crate) async fn run<T: Send + 'static>(
    shared: Arc<Shared>,
    link: Arc<PeerLink>,
    inbound: Streaming<Frame>,
    outbound: mpsc::Sender<T>,
    wrap: fn(Frame) -> T,
) -> Result<()> {
    let _up = link.stream_up();
    let (generation, superseded) = link.take_over();
    let writer = AbortOnDrop(tokio::spawn(write(
        Arc::clone(&shared),
        Arc::clone(&link),
        outbound,
        wrap,
        generation,
        superseded,
    )));
    let result = read(&shared, &link, inbound).await;
    drop(writer);
    result
}

/// Aborts the task when dropped, so a writer never outlives its stream.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn write<T>(
    shared: Arc<Shared>,
    link: Arc<PeerLink>,
    outbound: mpsc::Sender<T>,
    wrap: fn(Frame) -> T,
    generation: u64,
    mut superseded: watch::Receiver<u64>,
) {
    let budget = shared.config.max_frame_bytes.saturating_sub(FRAME_OVERHEAD);
    let peer = link.member.id;
    loop {
        // Flush when the queue drains or the frame budget fills, whichever comes first:
        // a batch is whatever is queued, up to the budget.
        let envelopes = tokio::select! {
            envelopes = link.queue.next_batch(budget) => envelopes,
            _ = superseded.wait_for(|g| *g != generation) => {
                debug!(%peer, "a newer stream took over the queue");
                return;
            }
            () = outbound.closed() => return,
        };
        let n = envelopes.len() as u64;
        let frame = Frame {
            kind: Some(frame::Kind::Batch(Batch { envelopes })),
        };
        let bytes = frame.encoded_len() as u64;
        if outbound.send(wrap(frame)).await.is_err() {
            debug!(%peer, lost = n, "stream closed while sending a batch");
            return;
        }
        Counters::add(&link.counters.sent_messages, n);
        Counters::add(&link.counters.sent_frames, 1);
        Counters::add(&link.counters.sent_bytes, bytes);
    }
}

async fn read(shared: &Shared, link: &PeerLink, mut inbound: Streaming<Frame>) -> Result<()> {
    let peer = link.member.id;
    loop {
        let next = tokio::select! {
            next = inbound.message() => next,
            () = shared.shutting_down() => return Ok(()),
        };
        let frame = match next {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(status) => {
                return Err(Error::Stream {
                    peer,
                    status: Box::new(status),
                });
            }
        };
        let batch = match frame.kind {
            Some(frame::Kind::Batch(batch)) => batch,
            Some(frame::Kind::Hello(_)) | None => {
                return Err(Error::Stream {
                    peer,
                    status: Box::new(tonic::Status::invalid_argument(
                        "protocol violation: only batches may follow the hello",
                    )),
                });
            }
        };
        let mut dropped = Dropped::default();
        for wire in batch.envelopes {
            let size = wire.encoded_len();
            let limit = shared.config.max_message_bytes;
            if size > limit {
                dropped.note(link, || {
                    format!("an envelope of {size} bytes is over the {limit}-byte limit")
                });
                continue;
            }
            let envelope = match Envelope::try_from(wire) {
                Ok(e) => e,
                Err(e) => {
                    dropped.note(link, || e.to_string());
                    continue;
                }
            };
            let delivered = tokio::select! {
                sent = shared.inbound.send(Inbound { peer, envelope }) => sent.is_ok(),
                () = shared.shutting_down() => return Ok(()),
            };
            if !delivered {
                // The engine task is gone: nobody to deliver to.
                return Ok(());
            }
            Counters::add(&link.counters.received_messages, 1);
        }
        if let Some(first) = dropped.first {
            warn!(%peer, dropped = dropped.count, %first, "dropped malformed inbound envelopes");
        }
    }
}

/// The malformed envelopes of one frame: counted one by one, logged once per frame with
/// the first reason, so a frame of a million bad envelopes is one log line.
#[derive(Default)]
struct Dropped {
    count: u64,
    first: Option<String>,
}

impl Dropped {
    fn note(&mut self, link: &PeerLink, reason: impl FnOnce() -> String) {
        Counters::add(&link.counters.malformed, 1);
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(reason());
        }
    }
}
