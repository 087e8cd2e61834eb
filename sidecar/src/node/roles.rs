//! `RolesView`: what this member knows of the roles of its parliament, published after
//! every step of the core for the client API, the metrics, the status table and the
//! Kubernetes publisher.

use parliament_engine::engine::Role;
use parliament_engine::westminster::DistrictId;
use parliament_engine::{FencingToken, LogIndex, NodeId, Term};

/// The role a member shows on its pod label and in `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberRole {
    /// An ordinary district member.
    Member,
    /// The leader of its district, hosting the district's seat.
    Representative,
    /// The representative whose seat leads the Commons.
    PrimeMinister,
}

impl MemberRole {
    /// The label value (`parliament.dev/role`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Representative => "representative",
            MemberRole::PrimeMinister => "prime-minister",
        }
    }
}

/// The seat, while this member hosts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatView {
    /// The seat's role in the Commons.
    pub role: Role,
    /// Its Commons term.
    pub term: Term,
    /// The district whose seat leads the Commons, when known.
    pub leader: Option<DistrictId>,
    /// While it leads: the Prime Minister's fencing token.
    pub token: Option<FencingToken>,
    /// The Commons commit index the district has recorded.
    pub commit: LogIndex,
}

/// One member's view of the roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolesView {
    /// This member.
    pub member: NodeId,
    /// Its district.
    pub district: DistrictId,
    /// Its role in the district group.
    pub district_role: Role,
    /// Its district term.
    pub district_term: Term,
    /// The district's leader (representative), when known.
    pub representative: Option<NodeId>,
    /// While it leads the district: the representative's fencing token.
    pub district_token: Option<FencingToken>,
    /// The district commit index.
    pub district_commit: LogIndex,
    /// The seat, while hosted here.
    pub seat: Option<SeatView>,
    /// The Commons commit index this member has applied (from the district's record).
    pub global_commit: LogIndex,
    /// The last session this member held as Prime Minister.
    pub session: Option<LogIndex>,
    /// Global writes queued here (as representative) and waiting (as Prime Minister).
    pub queued: usize,
    /// Global writes waiting in Prime Minister session queues here.
    pub waiting: usize,
    /// Sessions this member has held as Prime Minister since it started.
    pub sessions_held: u64,
    /// Writes in the last session it held.
    pub last_session_size: usize,
    /// The global store's applied revision.
    pub global_revision: u64,
    /// The seated Lords, as the Commons log decreed them.
    pub lords: Vec<NodeId>,
    /// The district's published reputation table: member and score (0–10,000).
    pub reputation: Vec<(NodeId, u16)>,
    /// When this member last knew a district leader, Unix ms (0: never).
    pub leader_seen_unix_ms: u64,
    /// The revision of the roster this member runs with.
    pub roster_revision: u64,
    /// The district configuration in effect here: its voters, in id order.
    pub voters: Vec<NodeId>,
    /// And its learners (joined, not yet promoted), in id order.
    pub learners: Vec<NodeId>,
}

impl RolesView {
    /// Whether this member sits in the House of Lords.
    #[must_use]
    pub fn is_lord(&self) -> bool {
        self.lords.contains(&self.member)
    }

    /// The role for labels and `status`.
    #[must_use]
    pub fn member_role(&self) -> MemberRole {
        match &self.seat {
            Some(s) if s.role == Role::Leader => MemberRole::PrimeMinister,
            _ if self.district_role == Role::Leader => MemberRole::Representative,
            _ => MemberRole::Member,
        }
    }
}
