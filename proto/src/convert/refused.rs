//! Conversions of refusals: the Westminster [`Refused`] and the engine [`Rejected`]
//! inside it, both carried variant for variant.
//!
//! `Refused::Engine(Rejected)` travels as its own variant, not as text: the origin of a
//! refused write then surfaces exactly the refusal the Prime Minister or representative
//! made (as the simulator, which passes envelopes in memory, does), and a client can
//! still tell a refusal worth retrying (`TooManyUncommitted`, `LeadershipLost`,
//! `TransferInProgress`) from an invalid command. The matches below are exhaustive, so a
//! new engine variant fails to compile here until the wire carries it.

use parliament_engine::engine::{ChangeError, Rejected};
use parliament_engine::westminster::Refused;
use parliament_engine::{GroupId, LogIndex, NodeId, Term};

use super::envelope::district;
use super::required;
use crate::error::{Error, Result};
use crate::peer;
use crate::peer::refused::Reason;
use crate::peer::rejected::Reason as RejectedReason;
use crate::peer::rejected::invalid_change::Error as ChangeErr;

impl From<&Refused> for peer::Refused {
    fn from(r: &Refused) -> peer::Refused {
        let reason = match r {
            Refused::WrongDistrict { scope } => {
                Reason::WrongDistrict(peer::refused::WrongDistrict {
                    scope: scope.clone(),
                })
            }
            Refused::NotLeader { group, leader } => Reason::NotLeader(peer::refused::NotLeader {
                group: group.get(),
                leader: leader.map(NodeId::get),
            }),
            Refused::Engine(rejected) => Reason::Engine(rejected.into()),
            Refused::Invalid(why) => Reason::Invalid(why.clone()),
            Refused::Busy {
                district,
                queued,
                max,
            } => Reason::Busy(peer::refused::Busy {
                district: district.0,
                queued: count(*queued),
                max: count(*max),
            }),
        };
        peer::Refused {
            reason: Some(reason),
        }
    }
}

impl TryFrom<peer::Refused> for Refused {
    type Error = Error;

    fn try_from(r: peer::Refused) -> Result<Refused> {
        Ok(match required(r.reason, "Refused", "reason")? {
            Reason::NotLeader(n) => Refused::NotLeader {
                group: GroupId(n.group),
                leader: n.leader.map(NodeId),
            },
            Reason::Busy(b) => Refused::Busy {
                district: district(b.district, "Refused.Busy")?,
                queued: usize_of(b.queued, "Refused.Busy", "queued")?,
                max: usize_of(b.max, "Refused.Busy", "max")?,
            },
            Reason::WrongDistrict(w) => Refused::WrongDistrict { scope: w.scope },
            Reason::Invalid(why) => Refused::Invalid(why),
            Reason::Engine(e) => Refused::Engine(Rejected::try_from(e)?),
        })
    }
}

impl From<&Rejected> for peer::Rejected {
    fn from(r: &Rejected) -> peer::Rejected {
        use peer::rejected;
        let unit = rejected::Unit {};
        let reason = match r {
            Rejected::NotLeader { leader, term } => {
                RejectedReason::NotLeader(rejected::NotLeader {
                    leader: leader.map(NodeId::get),
                    term: term.get(),
                })
            }
            Rejected::TransferInProgress { to } => {
                RejectedReason::TransferInProgress(rejected::TransferInProgress { to: to.get() })
            }
            Rejected::TooManyUncommitted { limit } => {
                RejectedReason::TooManyUncommitted(rejected::TooManyUncommitted {
                    limit: count(*limit),
                })
            }
            Rejected::EmptyProposal => RejectedReason::EmptyProposal(unit),
            Rejected::UnknownMember(id) => RejectedReason::UnknownMember(id.get()),
            Rejected::WrongGroup(group) => RejectedReason::WrongGroup(group.get()),
            Rejected::Misaddressed(id) => RejectedReason::Misaddressed(id.get()),
            Rejected::LeadershipLost => RejectedReason::LeadershipLost(unit),
            Rejected::ReservedCommand => RejectedReason::ReservedCommand(unit),
            Rejected::LeaderNotReady => RejectedReason::LeaderNotReady(unit),
            Rejected::ChangeInProgress { index } => {
                RejectedReason::ChangeInProgress(rejected::ChangeInProgress { index: index.get() })
            }
            Rejected::InvalidChange(e) => {
                let error = match e {
                    ChangeError::AlreadyMember(id) => ChangeErr::AlreadyMember(id.get()),
                    ChangeError::NotLearner(id) => ChangeErr::NotLearner(id.get()),
                    ChangeError::NotMember(id) => ChangeErr::NotMember(id.get()),
                    ChangeError::LastVoter(id) => ChangeErr::LastVoter(id.get()),
                };
                RejectedReason::InvalidChange(rejected::InvalidChange { error: Some(error) })
            }
            Rejected::LearnerLagging { id, matched, last } => {
                RejectedReason::LearnerLagging(rejected::LearnerLagging {
                    id: id.get(),
                    matched: matched.get(),
                    last: last.get(),
                })
            }
        };
        peer::Rejected {
            reason: Some(reason),
        }
    }
}

impl TryFrom<peer::Rejected> for Rejected {
    type Error = Error;

    fn try_from(r: peer::Rejected) -> Result<Rejected> {
        Ok(match required(r.reason, "Rejected", "reason")? {
            RejectedReason::NotLeader(n) => Rejected::NotLeader {
                leader: n.leader.map(NodeId),
                term: Term(n.term),
            },
            RejectedReason::TransferInProgress(t) => {
                Rejected::TransferInProgress { to: NodeId(t.to) }
            }
            RejectedReason::TooManyUncommitted(t) => Rejected::TooManyUncommitted {
                limit: usize_of(t.limit, "Rejected.TooManyUncommitted", "limit")?,
            },
            RejectedReason::EmptyProposal(_) => Rejected::EmptyProposal,
            RejectedReason::UnknownMember(id) => Rejected::UnknownMember(NodeId(id)),
            RejectedReason::WrongGroup(group) => Rejected::WrongGroup(GroupId(group)),
            RejectedReason::Misaddressed(id) => Rejected::Misaddressed(NodeId(id)),
            RejectedReason::LeadershipLost(_) => Rejected::LeadershipLost,
            RejectedReason::ReservedCommand(_) => Rejected::ReservedCommand,
            RejectedReason::LeaderNotReady(_) => Rejected::LeaderNotReady,
            RejectedReason::ChangeInProgress(c) => Rejected::ChangeInProgress {
                index: LogIndex(c.index),
            },
            RejectedReason::InvalidChange(c) => Rejected::InvalidChange(
                match required(c.error, "Rejected.InvalidChange", "error")? {
                    ChangeErr::AlreadyMember(id) => ChangeError::AlreadyMember(NodeId(id)),
                    ChangeErr::NotLearner(id) => ChangeError::NotLearner(NodeId(id)),
                    ChangeErr::NotMember(id) => ChangeError::NotMember(NodeId(id)),
                    ChangeErr::LastVoter(id) => ChangeError::LastVoter(NodeId(id)),
                },
            ),
            RejectedReason::LearnerLagging(l) => Rejected::LearnerLagging {
                id: NodeId(l.id),
                matched: LogIndex(l.matched),
                last: LogIndex(l.last),
            },
        })
    }
}

/// A count for the wire. `usize` is at most 64 bits on every target Rust supports.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A count from the wire, refused when this platform's `usize` cannot hold it.
fn usize_of(n: u64, message: &'static str, field: &'static str) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::Invalid {
        message,
        field,
        reason: format!("{n} does not fit this platform's usize"),
    })
}
