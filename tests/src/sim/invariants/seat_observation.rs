//! What the parliament checkers are shown: [`SeatObservation`]s of a whole parliament,
//! beside the per-group [`Observation`](super::Observation)s each district's group gets.

use parliament_engine::westminster::{DistrictId, SeatRecord};
use parliament_engine::{LogIndex, NodeId, Term, Time};

/// Something that happened in a parliament run, as a parliament checker sees it. `at` is
/// always global virtual time.
#[derive(Clone, Copy, Debug)]
pub enum SeatObservation<'a> {
    /// A member leads the Commons in `term` (a Commons role event, or its seat status
    /// after a step): it is the Prime Minister of that term.
    PrimeMinister {
        /// The member.
        node: NodeId,
        /// Its district (whose seat leads).
        district: DistrictId,
        /// When.
        at: Time,
        /// The Commons term.
        term: Term,
    },
    /// A member hosts its district's seat as the incarnation `incarnation` (its district
    /// term): it is the representative of that district term.
    Hosting {
        /// The member.
        node: NodeId,
        /// Its district.
        district: DistrictId,
        /// When.
        at: Time,
        /// The district term it hosts the seat in.
        incarnation: Term,
    },
    /// A member's seat record after a step in which it ran.
    Record {
        /// The member.
        node: NodeId,
        /// Its district.
        district: DistrictId,
        /// When.
        at: Time,
        /// The record as the member has applied it.
        record: &'a SeatRecord,
    },
    /// A member applied a Commons entry to its global store (`Event::Applied` with
    /// group `COMMONS`).
    GlobalApplied {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
        /// The Commons index.
        index: LogIndex,
        /// The entry's Commons term.
        term: Term,
    },
    /// A member crashed: its volatile state (and its applied stores) are gone; a restart
    /// replays them from the district log.
    Crashed {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
    },
    /// A client was told its write committed.
    Acknowledged {
        /// When the client heard.
        at: Time,
        /// The scope, as text (`global`, `district/<name>`).
        scope: &'a str,
        /// The key.
        key: &'a str,
        /// The value written.
        value: &'a [u8],
        /// The write's revision in its scope.
        revision: u64,
    },
    /// After the final heal and convergence: what one member's store holds for a key
    /// some acknowledged write wrote.
    FinalRead {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
        /// The scope.
        scope: &'a str,
        /// The key.
        key: &'a str,
        /// The value's mod revision and bytes, `None` when absent (or not served).
        read: Option<(u64, &'a [u8])>,
    },
}

/// One property of a parliament's run, checked incrementally.
pub trait SeatInvariant: std::fmt::Debug {
    /// The property's name, as reports print it.
    fn name(&self) -> &'static str;

    /// Takes in one observation and appends any violation it reveals to `out`. It must
    /// never flag a correct run; when it cannot tell, it stays silent.
    fn observe(&mut self, obs: &SeatObservation<'_>, out: &mut Vec<super::Violation>);
}
