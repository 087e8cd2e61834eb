//! The district's published reputation table and the decisions read from it: candidacy
//! rank, hand-over target and Lords.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::types::{LogIndex, NodeId, Time};
use crate::westminster::reputation::Score;

/// One member's row in a [`ReputationTable`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// The member's score.
    pub score: Score,
    /// Its unbroken contact with the publisher when the table was computed, in whole
    /// milliseconds; zero when contact was broken. Carried to the next leader by
    /// [`Observer::adopt`](super::Observer::adopt).
    pub seniority: Duration,
}

/// A district's published reputation table: member → [`Row`], plus who computed it,
/// when, and at which index of the district log.
///
/// Every member applies the same decree, so every member ranks alike: all decisions
/// read from the table ([`rank_of`](Self::rank_of),
/// [`best_handover_target`](Self::best_handover_target), [`lords`](Self::lords)) are
/// pure functions of it. Ranking is by score, highest first, ties broken by `NodeId`,
/// lowest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReputationTable {
    publisher: NodeId,
    index: LogIndex,
    computed_at: Time,
    rows: BTreeMap<NodeId, Row>,
}

impl ReputationTable {
    /// An empty table computed by `publisher` at `computed_at` (its clock), when the
    /// district log reached `index`.
    #[must_use]
    pub fn new(publisher: NodeId, index: LogIndex, computed_at: Time) -> ReputationTable {
        ReputationTable {
            publisher,
            index,
            computed_at,
            rows: BTreeMap::new(),
        }
    }

    /// Sets `member`'s row, returning the row it replaces. `seniority` is kept in whole
    /// milliseconds (the encoding's unit), so a table round-trips exactly.
    pub fn insert(&mut self, member: NodeId, score: Score, seniority: Duration) -> Option<Row> {
        let millis = u64::try_from(seniority.as_millis()).unwrap_or(u64::MAX);
        let row = Row {
            score,
            seniority: Duration::from_millis(millis),
        };
        self.rows.insert(member, row)
    }

    /// The member that computed the table (the district leader).
    #[must_use]
    pub fn publisher(&self) -> NodeId {
        self.publisher
    }

    /// The district log index the table was computed at.
    #[must_use]
    pub fn index(&self) -> LogIndex {
        self.index
    }

    /// When the table was computed, by the publisher's clock (only comparable with other
    /// times of the same publisher).
    #[must_use]
    pub fn computed_at(&self) -> Time {
        self.computed_at
    }

    /// `member`'s row.
    #[must_use]
    pub fn row(&self, member: NodeId) -> Option<&Row> {
        self.rows.get(&member)
    }

    /// `member`'s score.
    #[must_use]
    pub fn score_of(&self, member: NodeId) -> Option<Score> {
        self.rows.get(&member).map(|row| row.score)
    }

    /// Every row, in ascending member order.
    pub fn rows(&self) -> impl Iterator<Item = (NodeId, &Row)> {
        self.rows.iter().map(|(id, row)| (*id, row))
    }

    /// How many members have a row.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no member has a row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every member, best first: score descending, ties by `NodeId` ascending.
    #[must_use]
    pub fn ranking(&self) -> Vec<NodeId> {
        let mut ranked: Vec<(Reverse<Score>, NodeId)> = self
            .rows
            .iter()
            .map(|(id, row)| (Reverse(row.score), *id))
            .collect();
        ranked.sort_unstable();
        ranked.into_iter().map(|(_, id)| id).collect()
    }

    /// `member`'s candidacy rank `(position, of)`, position 0 best, `of` the number of
    /// rows: the argument of `Replica::set_candidacy_rank` (docs/protocol.md §5.2).
    /// `None` for a member without a row; give the replica `None` too, and it draws from
    /// the whole election window.
    #[must_use]
    pub fn rank_of(&self, member: NodeId) -> Option<(u32, u32)> {
        let score = self.score_of(member)?;
        let ahead = self
            .rows
            .iter()
            .filter(|(id, row)| row.score > score || (row.score == score && **id < member))
            .count();
        Some((
            u32::try_from(ahead).ok()?,
            u32::try_from(self.rows.len()).ok()?,
        ))
    }

    /// The member to hand leadership to: the best-ranked of `candidates`, which the
    /// caller has checked are up to date (match equal to the leader's last index) and
    /// which must not include the leader itself. A candidate without a row ranks as score
    /// 0. `None` only when there is no candidate.
    #[must_use]
    pub fn best_handover_target(
        &self,
        candidates: impl IntoIterator<Item = NodeId>,
    ) -> Option<NodeId> {
        candidates
            .into_iter()
            .min_by_key(|id| (Reverse(self.score_of(*id).unwrap_or(Score::ZERO)), *id))
    }

    /// Up to `k` Lords, best first: walking the ranking, a member is taken when
    /// `district_of` places it in a district that has no Lord yet.
    ///
    /// Members `district_of` does not place (not in the roster) and members with score 0
    /// (nothing is known of them; an unreachable Lord would only weaken the Lords'
    /// majority) are passed over, so fewer than `k` may come back. Read it on a table
    /// that holds several districts' rows ([`ReputationTable::union`]); on one district's
    /// table it yields at most one Lord.
    #[must_use]
    pub fn lords<D: Ord>(
        &self,
        k: usize,
        mut district_of: impl FnMut(NodeId) -> Option<D>,
    ) -> Vec<NodeId> {
        let mut seated = BTreeSet::new();
        let mut lords = Vec::new();
        for member in self.ranking() {
            if lords.len() >= k {
                break;
            }
            if self.score_of(member).unwrap_or(Score::ZERO) == Score::ZERO {
                continue;
            }
            if let Some(district) = district_of(member)
                && seated.insert(district)
            {
                lords.push(member);
            }
        }
        lords
    }

    /// One table holding the rows of every table in `tables` (e.g. every district's, to
    /// choose Lords), stamped with the given `publisher`, `index` and `computed_at`.
    ///
    /// A member found in several tables (it moved district between publications) keeps
    /// the lower score and the shorter seniority: the result does not depend on the order
    /// of `tables`, and a member must look good in every view to rank high.
    #[must_use]
    pub fn union<'a>(
        publisher: NodeId,
        index: LogIndex,
        computed_at: Time,
        tables: impl IntoIterator<Item = &'a ReputationTable>,
    ) -> ReputationTable {
        let mut out = ReputationTable::new(publisher, index, computed_at);
        for table in tables {
            for (member, row) in table.rows() {
                out.rows
                    .entry(member)
                    .and_modify(|kept| {
                        kept.score = kept.score.min(row.score);
                        kept.seniority = kept.seniority.min(row.seniority);
                    })
                    .or_insert(*row);
            }
        }
        out
    }
}
