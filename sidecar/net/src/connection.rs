//! One established stream with a peer: a writer task that drains the peer's queue into
//! frames while this stream owns it, and a reader that converts inbound batches of
//! envelopes and delivers them to the engine channel.
//!
//! Reader and writer run as separate tasks so that neither side's HTTP/2 flow control
//! can stall the other direction. The stream ends when the peer closes it, on any
//! protocol error (the dialer then reconnects), on shutdown, and — with
//! [`Connect::OnDemand`] — once it carried no frame either way for the idle timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parliament_engine::westminster::Envelope;
use parliament_proto::peer::{Batch, Frame, frame};
use prost::Message as _;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tonic::Streaming;
use tracing::{debug, info, warn};

use crate::config::{Connect, FRAME_OVERHEAD};
use crate::error::{Error, Result};
use crate::inbound::Inbound;
use crate::link::PeerLink;
use crate::shared::Shared;
use crate::stats::Counters;

/// Runs an established stream until it ends. `wrap` turns a frame into the outbound
/// channel's item (a `Frame` for the dialer, `Result<Frame, Status>` for the listener);
/// `preferred`: the stream was dialled by the lower id of the pair (see `link`).
pub(crate) async fn run<T: Send + 'static>(
    shared: Arc<Shared>,
    link: Arc<PeerLink>,
    inbound: Streaming<Frame>,
    outbound: mpsc::Sender<T>,
    wrap: fn(Frame) -> T,
    preferred: bool,
) -> Result<()> {
    let up = link.stream_up(preferred);
    // Frames moved either way on this stream: the idle timer's clock.
    let activity = Arc::new(AtomicU64::new(0));
    let writer = AbortOnDrop(tokio::spawn(write(
        Arc::clone(&shared),
        Arc::clone(&link),
        outbound,
        wrap,
        up.id(),
        Arc::clone(&activity),
    )));
    let result = match shared.config.connect {
        Connect::Eager => read(&shared, &link, inbound, &activity).await,
        Connect::OnDemand { idle_timeout } => tokio::select! {
            result = read(&shared, &link, inbound, &activity) => result,
            () = idle(&activity, idle_timeout) => {
                Counters::add(&link.counters.idle_closes, 1);
                info!(peer = %link.member.id, ?idle_timeout, "closing an idle peer stream");
                Ok(())
            }
        },
    };
    drop(writer);
    drop(up);
    result
}

/// Resolves once no frame moved on the stream for a whole `timeout` (so between one and
/// two timeouts after the last one).
async fn idle(activity: &AtomicU64, timeout: Duration) {
    loop {
        let before = activity.load(Ordering::Relaxed);
        tokio::time::sleep(timeout).await;
        if activity.load(Ordering::Relaxed) == before {
            return;
        }
    }
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
    stream: u64,
    activity: Arc<AtomicU64>,
) {
    let budget = shared.config.max_frame_bytes.saturating_sub(FRAME_OVERHEAD);
    let peer = link.member.id;
    loop {
        tokio::select! {
            () = link.wait_owner(stream) => {}
            () = outbound.closed() => return,
        }
        loop {
            // Flush when the queue drains or the frame budget fills, whichever comes
            // first: a batch is whatever is queued, up to the budget.
            let envelopes = tokio::select! {
                envelopes = link.queue.next_batch(budget) => envelopes,
                () = link.wait_not_owner(stream) => {
                    debug!(%peer, "another stream took the queue over");
                    break;
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
            activity.fetch_add(1, Ordering::Relaxed);
            Counters::add(&link.counters.sent_messages, n);
            Counters::add(&link.counters.sent_frames, 1);
            Counters::add(&link.counters.sent_bytes, bytes);
        }
    }
}

async fn read(
    shared: &Shared,
    link: &PeerLink,
    mut inbound: Streaming<Frame>,
    activity: &AtomicU64,
) -> Result<()> {
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
        activity.fetch_add(1, Ordering::Relaxed);
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
