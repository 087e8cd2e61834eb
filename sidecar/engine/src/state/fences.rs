//! The fence table of one scope: the highest term it has accepted from each group.

use std::collections::BTreeMap;

use crate::state::rejected::Rejected;
use crate::state::wire::to_u64;
use crate::types::{FencingToken, GroupId, Term};

/// Per group, the highest term of a fencing token that a command of this scope carried
/// and passed (docs/store.md#fencing).
///
/// Tokens order only within a group (docs/protocol.md §5.5), so each group has its own
/// entry. Entries are never evicted: forgetting one would let a deposed leader of that
/// group write again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fences {
    highest: BTreeMap<GroupId, Term>,
}

impl Fences {
    /// Checks `token` and, if it passes, raises its group's entry to it.
    ///
    /// A token passes when its term is at least the highest accepted for its group
    /// (equal terms are the same leadership writing again).
    pub(crate) fn admit(&mut self, token: FencingToken, max_groups: usize) -> Result<(), Rejected> {
        let groups = self.highest.len();
        match self.highest.get_mut(&token.group) {
            Some(seen) if *seen > token.term => Err(Rejected::StaleFence {
                fence: token,
                seen: FencingToken {
                    group: token.group,
                    term: *seen,
                },
            }),
            Some(seen) => {
                *seen = token.term;
                Ok(())
            }
            None if groups >= max_groups => Err(Rejected::TooManyFenceGroups {
                limit: to_u64(max_groups),
            }),
            None => {
                self.highest.insert(token.group, token.term);
                Ok(())
            }
        }
    }

    /// The highest token accepted for `group`.
    pub(crate) fn highest(&self, group: GroupId) -> Option<FencingToken> {
        self.highest
            .get(&group)
            .map(|term| FencingToken { group, term: *term })
    }

    /// Whether no fence was ever accepted.
    pub(crate) fn is_empty(&self) -> bool {
        self.highest.is_empty()
    }

    /// Every entry, in group order (for snapshots).
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (GroupId, Term)> + '_ {
        self.highest.iter().map(|(g, t)| (*g, *t))
    }

    /// Rebuilds a table from a snapshot's entries, which must be in strictly increasing
    /// group order; returns false otherwise.
    pub(crate) fn push_restored(&mut self, group: GroupId, term: Term) -> bool {
        if self
            .highest
            .last_key_value()
            .is_some_and(|(g, _)| *g >= group)
        {
            return false;
        }
        self.highest.insert(group, term);
        true
    }
}
