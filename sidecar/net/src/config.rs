//! Tunables of the peer transport, with defaults sized for a parliament of tens of members.

use std::time::Duration;

use parliament_engine::NodeId;

use crate::error::{Error, Result};
use crate::tls::TlsConfig;

/// Bytes a frame spends around its messages (frame and batch headers); a frame of
/// messages whose encoded sizes add up to `max_frame_bytes - FRAME_OVERHEAD` fits.
pub const FRAME_OVERHEAD: usize = 32;

/// When a member opens streams to its peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connect {
    /// At start, a stream to every peer (the lower id of each pair dials), redialled
    /// whenever it drops: N − 1 streams per member whether it ever sends on them or not.
    Eager,
    /// A stream to a peer only once there is something to send to it (either side of the
    /// pair dials), closed again by either side once it carried nothing either way for
    /// `idle_timeout`. A member then holds streams only to the peers it talks to: its
    /// district, the Commons seats it hosts or leads, the Lords. See docs/transport.md.
    OnDemand {
        /// How long a stream may carry nothing, in either direction, before it closes.
        idle_timeout: Duration,
    },
}

/// How a member talks to its peers. Build with [`TransportConfig::new`] and adjust fields.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// The parliament's name: peers of another parliament are refused.
    pub cluster: String,
    /// This member's id; must be in the roster.
    pub member: parliament_engine::NodeId,
    /// Messages queued per peer before the oldest is dropped.
    pub queue_capacity: usize,
    /// Largest frame sent or accepted, in encoded bytes. A peer that sends a larger one
    /// has its stream reset.
    pub max_frame_bytes: usize,
    /// Largest single message, in encoded bytes; `send` refuses larger ones.
    pub max_message_bytes: usize,
    /// Inbound messages buffered for the engine task before readers wait (back-pressure
    /// then reaches the senders through HTTP/2 flow control).
    pub inbound_capacity: usize,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// TCP (and TLS) connect timeout.
    pub connect_timeout: Duration,
    /// Time a peer has to send its hello after opening a stream, and to answer ours.
    pub handshake_timeout: Duration,
    /// HTTP/2 keep-alive ping interval: how quickly a silent dead peer is noticed.
    pub keepalive_interval: Duration,
    /// How long a keep-alive ping may go unanswered.
    pub keepalive_timeout: Duration,
    /// Seed of the reconnect jitter; `None` draws one from the OS.
    pub rng_seed: Option<u64>,
    /// Mutual TLS; `None` for plain TCP (tests and `parliament up` without TLS).
    pub tls: Option<TlsConfig>,
    /// When streams open and close.
    pub connect: Connect,
}

impl TransportConfig {
    /// Defaults for `member` of `cluster`.
    #[must_use]
    pub fn new(cluster: impl Into<String>, member: NodeId) -> TransportConfig {
        TransportConfig {
            cluster: cluster.into(),
            member,
            queue_capacity: 4096,
            max_frame_bytes: 4 << 20,
            max_message_bytes: 1 << 20,
            inbound_capacity: 1024,
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            handshake_timeout: Duration::from_secs(5),
            keepalive_interval: Duration::from_secs(5),
            keepalive_timeout: Duration::from_secs(10),
            rng_seed: None,
            tls: None,
            connect: Connect::OnDemand {
                idle_timeout: Duration::from_secs(60),
            },
        }
    }

    /// Checks that the values can work together.
    ///
    /// # Errors
    /// [`Error::Config`] naming the value that is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.cluster.is_empty() {
            return Err(Error::Config("cluster name is empty".to_owned()));
        }
        if self.queue_capacity == 0 || self.inbound_capacity == 0 {
            return Err(Error::Config(format!(
                "queue_capacity ({}) and inbound_capacity ({}) must be at least 1",
                self.queue_capacity, self.inbound_capacity
            )));
        }
        if self.max_message_bytes == 0
            || self.max_message_bytes.saturating_add(FRAME_OVERHEAD) > self.max_frame_bytes
        {
            return Err(Error::Config(format!(
                "max_message_bytes ({}) must be at least 1 and at most max_frame_bytes ({}) - {FRAME_OVERHEAD}",
                self.max_message_bytes, self.max_frame_bytes
            )));
        }
        if self.backoff_initial.is_zero() || self.backoff_initial > self.backoff_max {
            return Err(Error::Config(format!(
                "backoff_initial ({:?}) must be above zero and at most backoff_max ({:?})",
                self.backoff_initial, self.backoff_max
            )));
        }
        if let Connect::OnDemand { idle_timeout } = self.connect
            && idle_timeout.is_zero()
        {
            return Err(Error::Config(
                "connect: OnDemand needs an idle_timeout above zero".to_owned(),
            ));
        }
        Ok(())
    }
}
