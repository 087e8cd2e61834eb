//! What the world schedules ([`Event`]) and what one step of it did ([`Step`]).

use parliament_engine::NodeId;

/// Something scheduled to happen.
#[derive(Debug)]
pub enum Event<M, A> {
    /// A member's timer fires.
    Tick(NodeId),
    /// A message arrives.
    Deliver {
        /// Sender.
        from: NodeId,
        /// Recipient.
        to: NodeId,
        /// The message.
        msg: M,
    },
    /// The nemesis acts.
    Nemesis,
    /// A partition heals.
    Heal(u64),
    /// A member crashed by the nemesis restarts, unless it has restarted since (the
    /// number counts the member's crashes, so a later crash gets its own restart).
    Restart(NodeId, u64),
    /// Something the scenario scheduled (client requests and the like).
    App(A),
}

/// What one call to [`World::step`] did, so the scenario knows what to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<A> {
    /// A member ran (a tick or a message).
    Member(NodeId),
    /// A member crashed.
    Crashed(NodeId),
    /// A member restarted (and ran).
    Restarted(NodeId),
    /// Nothing a checker needs to look at (a network change, an event for a down member).
    Quiet,
    /// A scenario event, for the scenario to handle.
    App(A),
}
