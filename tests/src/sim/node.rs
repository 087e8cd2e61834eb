//! What a simulated member is, as far as the [`World`](crate::sim::World) cares: the
//! [`Node`] trait.
//!
//! The world owns time, the network, clocks, crashes and the fault schedule; a node owns
//! its engine(s), its disk and its state machine. This node runs one replica of
//! one group ([`ReplicaNode`](crate::sim::ReplicaNode)); a member that hosts a district
//! group and a Commons seat implements the same trait and reuses everything else.

use parliament_engine::{NodeId, Time};

use crate::sim::{Digest, DiskFault};

/// Messages a node wants sent, each to one member.
#[derive(Debug)]
pub struct Outbox<M> {
    messages: Vec<(NodeId, M)>,
}

impl<M> Default for Outbox<M> {
    fn default() -> Self {
        Outbox {
            messages: Vec::new(),
        }
    }
}

impl<M> Outbox<M> {
    /// An empty outbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the network to carry `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.messages.push((to, msg));
    }

    /// Takes everything queued, in order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (NodeId, M)> {
        self.messages.drain(..)
    }

    /// Whether nothing is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// A member of the simulated cluster.
///
/// Every method receives `now` as read by this member's own (possibly drifting) clock,
/// and puts what it wants sent into `out`. A node must act on each of its engines'
/// outputs before returning, in the order the engine's `Ready` contract requires
/// (persist, then send, then apply): the world delivers `out` only after the call.
pub trait Node {
    /// What members send each other.
    type Message: Clone + Digest;

    /// Time passes: fire timers.
    fn tick(&mut self, now: Time, out: &mut Outbox<Self::Message>);

    /// A message from `from` arrives.
    fn receive(
        &mut self,
        now: Time,
        from: NodeId,
        msg: Self::Message,
        out: &mut Outbox<Self::Message>,
    );

    /// The process dies: all volatile state is lost, the disk survives.
    fn crash(&mut self);

    /// The process starts again from its disk. `seed` seeds the new incarnation's
    /// randomness, so each incarnation draws different election timeouts.
    fn restart(&mut self, now: Time, seed: u64, out: &mut Outbox<Self::Message>);

    /// Whether this member currently leads some group; the nemesis favours crashing and
    /// isolating leaders, where the interesting bugs are.
    fn leads(&self) -> bool;

    /// Arms (or, with `None`, disarms) a crash during this process's next persist that
    /// `fault` applies to. A crash or restart disarms it. A node without a disk model
    /// ignores it.
    fn arm_disk_fault(&mut self, fault: Option<DiskFault>) {
        let _ = fault;
    }

    /// Whether the armed fault fired during the last call: the node wrote what the fault
    /// leaves of that persist, dropped its volatile state as [`Node::crash`] does, and
    /// sent and reported nothing of that `Ready`; what earlier `Ready`s of the same call
    /// sent and reported stands (they were durable). Taking it clears it; the world then
    /// counts the node as crashed without calling [`Node::crash`].
    fn take_stopped(&mut self) -> bool {
        false
    }
}
