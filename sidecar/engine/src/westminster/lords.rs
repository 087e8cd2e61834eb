//! The House of Lords as the Commons log decrees it: who sits, which critical decrees
//! wait, how each Lord voted, and what was enacted (docs/protocol.md#113-the-house-of-lords).
//! Every member derives it from the committed Commons log alone, so it is the same
//! everywhere at the same index.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use crate::state;
use crate::state::wire::{Reader, Writer, to_u64};
use crate::types::{LogIndex, NodeId};
use crate::westminster::reputation::Score;
use crate::westminster::{CommonsDecree, CriticalDecree, DecodeError, DistrictId, Roster, Ticket};

/// Enacted and rejected decrees remembered, newest last.
const MAX_DECIDED: usize = 1024;

/// A critical decree whose Lords' vote is decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enacted {
    /// The Commons index of its `Pending` entry.
    pub decree: LogIndex,
    /// The Commons index of the vote that decided it: where it took effect.
    pub index: LogIndex,
    /// What it decided.
    pub content: CriticalDecree,
    /// Whether it passed (a majority of the seated Lords voted aye) or was rejected
    /// (a majority can no longer vote aye).
    pub passed: bool,
    /// The seated Lords that voted aye when it was decided.
    pub ayes: BTreeSet<NodeId>,
    /// How many Lords sat when it was decided.
    pub seated: usize,
}

#[derive(Clone, Debug)]
struct Pending {
    content: CriticalDecree,
    ticket: Option<Ticket>,
    ayes: BTreeSet<NodeId>,
    nays: BTreeMap<NodeId, String>,
}

/// What a vote decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decided {
    /// Nothing yet.
    Open,
    /// The decree passed at this index: it takes effect here.
    Passed {
        content: CriticalDecree,
        ticket: Option<Ticket>,
    },
    /// The decree was rejected.
    Rejected {
        ticket: Option<Ticket>,
        reasons: Vec<String>,
    },
}

/// One Lord in a `Seated` decree: its district and when its term ends on the Commons
/// log clock (docs/protocol.md#113-the-house-of-lords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatedLord {
    /// The Lord.
    pub lord: NodeId,
    /// Its district.
    pub district: DistrictId,
    /// The log-clock reading at which its term ends (`None`: no term).
    pub term_end: Option<Duration>,
}

/// The Lords and their business.
#[derive(Clone, Debug, Default)]
pub struct Lords {
    seated: Vec<(NodeId, DistrictId)>,
    /// Each seated Lord's term end on the log clock.
    ends: BTreeMap<NodeId, Duration>,
    /// The log clock of the last `Seated` decree applied.
    clock: Option<Duration>,
    pending: BTreeMap<LogIndex, Pending>,
    decided: VecDeque<Enacted>,
}

impl Lords {
    /// The seated Lords and their districts, in the order decreed.
    #[must_use]
    pub fn seated(&self) -> &[(NodeId, DistrictId)] {
        &self.seated
    }

    /// Whether `member` sits in the Lords.
    #[must_use]
    pub fn is_lord(&self, member: NodeId) -> bool {
        self.seated.iter().any(|(l, _)| *l == member)
    }

    /// When `lord`'s term ends, on the Commons log clock (the clock the `Seated` decrees
    /// carry; compare with [`Lords::clock`]). `None` for a member that does not sit, or
    /// a Lord seated without a term.
    #[must_use]
    pub fn term_ends(&self, lord: NodeId) -> Option<Duration> {
        self.ends.get(&lord).copied()
    }

    /// The Commons log clock as the last `Seated` decree stamped it (`None` before the
    /// first).
    #[must_use]
    pub fn clock(&self) -> Option<Duration> {
        self.clock
    }

    /// The seated Lords with their term ends, in the order decreed.
    #[must_use]
    pub fn seated_terms(&self) -> Vec<SeatedLord> {
        self.seated
            .iter()
            .map(|(lord, district)| SeatedLord {
                lord: *lord,
                district: *district,
                term_end: self.term_ends(*lord),
            })
            .collect()
    }

    /// Critical decrees waiting for the Lords, by the index of their `Pending` entry.
    pub fn pending(&self) -> impl Iterator<Item = (LogIndex, &CriticalDecree)> {
        self.pending.iter().map(|(i, p)| (*i, &p.content))
    }

    /// Whether `lord`'s vote on the pending decree at `decree` is in the log.
    #[must_use]
    pub fn has_voted(&self, decree: LogIndex, lord: NodeId) -> bool {
        self.pending
            .get(&decree)
            .is_some_and(|p| p.ayes.contains(&lord) || p.nays.contains_key(&lord))
    }

    /// The last decided critical decrees (at most 1,024), oldest first.
    pub fn decided(&self) -> impl Iterator<Item = &Enacted> {
        self.decided.iter()
    }

    /// A `Lords` decree: these sit from now on. A second Lord of a district is dropped,
    /// alike on every member.
    ///
    /// Nothing else is judged here: whether a Lord still belongs to its district, or its
    /// district to the Commons, lives in each member's roster, which members adopt at
    /// different moments, so judging it while applying would let two members seat
    /// different Lords from one log. The Prime Minister judges both when it proposes
    /// ([`plan`], over the districts with a seat) and replaces a Lord the roster dropped
    /// with its next decree.
    pub(crate) fn seat(&mut self, lords: &[(NodeId, DistrictId)]) {
        let mut districts = BTreeSet::new();
        self.seated = lords
            .iter()
            .copied()
            .filter(|(_, d)| districts.insert(*d))
            .collect();
        self.ends.clear();
    }

    /// A `Seated` decree stamped `at` on the log clock. It is refused (and changes
    /// nothing), alike on every member, when its clock runs backwards or it claims to
    /// rotate a Lord that does not sit or whose term had not ended at `at`: a rotation
    /// happens only after the term the log gave ended. Entries are filtered as in
    /// [`Lords::seat`].
    ///
    /// # Errors
    /// Why the decree was refused; the Lords are then as before.
    pub(crate) fn seat_terms(
        &mut self,
        at: Duration,
        lords: &[SeatedLord],
        rotated: Option<NodeId>,
    ) -> Result<(), &'static str> {
        if self.clock.is_some_and(|c| at < c) {
            return Err("its log clock runs backwards");
        }
        if let Some(r) = rotated {
            if !self.is_lord(r) {
                return Err("the rotated Lord does not sit");
            }
            if self.term_ends(r).is_none_or(|end| end > at) {
                return Err("the rotated Lord's term has not ended");
            }
        }
        let pairs: Vec<(NodeId, DistrictId)> = lords.iter().map(|s| (s.lord, s.district)).collect();
        self.seat(&pairs);
        for s in lords {
            if let Some(end) = s.term_end
                && self.is_lord(s.lord)
            {
                self.ends.insert(s.lord, end);
            }
        }
        self.clock = Some(at);
        Ok(())
    }

    /// A critical decree entered the Commons log at `index`.
    pub(crate) fn propose(
        &mut self,
        index: LogIndex,
        content: CriticalDecree,
        ticket: Option<Ticket>,
    ) {
        self.pending.insert(
            index,
            Pending {
                content,
                ticket,
                ayes: BTreeSet::new(),
                nays: BTreeMap::new(),
            },
        );
    }

    /// `lord` voted on the decree pending at `decree`, in the entry at `index`. Only a
    /// seated Lord's first vote counts; the decree passes at the vote that gives it a
    /// majority of the seated Lords, and is rejected at the one after which no majority
    /// is possible.
    pub(crate) fn vote(
        &mut self,
        index: LogIndex,
        decree: LogIndex,
        lord: NodeId,
        aye: bool,
        reason: String,
    ) -> Decided {
        if !self.is_lord(lord) {
            return Decided::Open;
        }
        let Some(p) = self.pending.get_mut(&decree) else {
            return Decided::Open;
        };
        if p.ayes.contains(&lord) || p.nays.contains_key(&lord) {
            return Decided::Open;
        }
        if aye {
            p.ayes.insert(lord);
        } else {
            p.nays.insert(lord, reason);
        }
        let seated: BTreeSet<NodeId> = self.seated.iter().map(|(l, _)| *l).collect();
        let ayes: BTreeSet<NodeId> = p.ayes.intersection(&seated).copied().collect();
        let nays = p.nays.keys().filter(|l| seated.contains(l)).count();
        let n = seated.len();
        let passed = 2 * ayes.len() > n;
        let hopeless = 2 * (n - nays) <= n;
        if !passed && !hopeless {
            return Decided::Open;
        }
        let Some(p) = self.pending.remove(&decree) else {
            return Decided::Open;
        };
        if self.decided.len() >= MAX_DECIDED {
            self.decided.pop_front();
        }
        self.decided.push_back(Enacted {
            decree,
            index,
            content: p.content.clone(),
            passed,
            ayes,
            seated: n,
        });
        if passed {
            Decided::Passed {
                content: p.content,
                ticket: p.ticket,
            }
        } else {
            Decided::Rejected {
                ticket: p.ticket,
                reasons: p.nays.into_values().collect(),
            }
        }
    }
}

impl Lords {
    /// Appends the Lords to a snapshot image (docs/protocol.md#12-snapshots).
    pub(crate) fn put(&self, w: &mut Writer) {
        w.u64(to_u64(self.seated.len()));
        for (lord, district) in &self.seated {
            w.u64(lord.get());
            w.u64(district.0);
        }
        w.u64(to_u64(self.ends.len()));
        for (lord, end) in &self.ends {
            w.u64(lord.get());
            put_duration(w, *end);
        }
        w.bool(self.clock.is_some());
        put_duration(w, self.clock.unwrap_or_default());
        w.u64(to_u64(self.pending.len()));
        for (index, p) in &self.pending {
            w.u64(index.get());
            put_content(w, &p.content);
            w.bool(p.ticket.is_some());
            let t = p.ticket.unwrap_or(Ticket {
                origin: NodeId(0),
                epoch: 0,
                seq: 0,
            });
            w.u64(t.origin.get());
            w.u64(t.epoch);
            w.u64(t.seq);
            put_ids(w, &p.ayes);
            w.u64(to_u64(p.nays.len()));
            for (lord, reason) in &p.nays {
                w.u64(lord.get());
                w.str(reason);
            }
        }
        w.u64(to_u64(self.decided.len()));
        for e in &self.decided {
            w.u64(e.decree.get());
            w.u64(e.index.get());
            put_content(w, &e.content);
            w.bool(e.passed);
            put_ids(w, &e.ayes);
            w.u64(to_u64(e.seated));
        }
    }

    /// Reads what [`Lords::put`] wrote.
    ///
    /// # Errors
    /// A [`DecodeError`] naming the field; never panics.
    pub(crate) fn take(r: &mut Reader<'_>) -> Result<Lords, DecodeError> {
        let mut lords = Lords::default();
        for _ in 0..count(r, "seated Lords", 16)? {
            let lord = NodeId(r.u64("seated Lord")?);
            let district = DistrictId(r.u64("seated Lord's district")?);
            lords.seated.push((lord, district));
        }
        for _ in 0..count(r, "Lords' term ends", 16)? {
            let lord = NodeId(r.u64("Lord with a term")?);
            lords
                .ends
                .insert(lord, take_duration(r, "Lord's term end")?);
        }
        let has_clock = r.bool("Lords clock flag")?;
        let clock = take_duration(r, "Lords clock")?;
        lords.clock = has_clock.then_some(clock);
        for _ in 0..count(r, "pending critical decrees", 41)? {
            let index = LogIndex(r.u64("pending decree index")?);
            let content = take_content(r)?;
            let has_ticket = r.bool("pending decree ticket flag")?;
            let ticket = Ticket {
                origin: NodeId(r.u64("pending decree origin")?),
                epoch: r.u64("pending decree epoch")?,
                seq: r.u64("pending decree seq")?,
            };
            let ayes = take_ids(r, "pending decree ayes")?;
            let mut nays = BTreeMap::new();
            for _ in 0..count(r, "pending decree nays", 16)? {
                let lord = NodeId(r.u64("nay Lord")?);
                nays.insert(lord, r.str("nay reason")?.to_owned());
            }
            lords.pending.insert(
                index,
                Pending {
                    content,
                    ticket: has_ticket.then_some(ticket),
                    ayes,
                    nays,
                },
            );
        }
        for _ in 0..count(r, "decided critical decrees", 34)? {
            let decree = LogIndex(r.u64("decided decree")?);
            let index = LogIndex(r.u64("decided at")?);
            let content = take_content(r)?;
            let passed = r.bool("decided passed")?;
            let ayes = take_ids(r, "decided ayes")?;
            let seated = usize::try_from(r.u64("decided seated")?).unwrap_or(usize::MAX);
            lords.decided.push_back(Enacted {
                decree,
                index,
                content,
                passed,
                ayes,
                seated,
            });
        }
        Ok(lords)
    }
}

/// A count of items each at least `min` bytes long, refused when the input cannot hold
/// that many (before anything is allocated for them).
pub(crate) fn count(
    r: &mut Reader<'_>,
    what: &'static str,
    min: usize,
) -> Result<u64, DecodeError> {
    let n = r.u64(what)?;
    if n > to_u64(r.remaining() / min.max(1)) {
        return Err(state::Error::Truncated {
            what,
            offset: r.position(),
            needed: n.saturating_mul(to_u64(min)),
            available: r.remaining(),
        }
        .into());
    }
    Ok(n)
}

pub(crate) fn put_duration(w: &mut Writer, d: Duration) {
    w.u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
}

pub(crate) fn take_duration(
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Duration, DecodeError> {
    Ok(Duration::from_nanos(r.u64(what)?))
}

fn put_ids(w: &mut Writer, ids: &BTreeSet<NodeId>) {
    w.u64(to_u64(ids.len()));
    for id in ids {
        w.u64(id.get());
    }
}

fn take_ids(r: &mut Reader<'_>, what: &'static str) -> Result<BTreeSet<NodeId>, DecodeError> {
    let mut ids = BTreeSet::new();
    for _ in 0..count(r, what, 8)? {
        ids.insert(NodeId(r.u64(what)?));
    }
    Ok(ids)
}

/// A critical decree's content, as its `Pending` decree encodes it.
fn put_content(w: &mut Writer, content: &CriticalDecree) {
    w.bytes(
        &CommonsDecree::Pending {
            decree: content.clone(),
        }
        .encode(),
    );
}

fn take_content(r: &mut Reader<'_>) -> Result<CriticalDecree, DecodeError> {
    let at = r.position();
    match CommonsDecree::decode(r.bytes("critical decree")?)? {
        CommonsDecree::Pending { decree } => Ok(decree),
        _ => Err(DecodeError::OutOfRange {
            what: "critical decree",
            value: 0,
            offset: at,
            rule: "must be a pending critical decree",
        }),
    }
}

/// The Lords the Prime Minister proposes: the seated ones that are still in the roster
/// and not `silent`, then, for districts without a Lord by standing (highest first, ties
/// by id), their nominee if it is not silent, up to `count` (docs/protocol.md §11.3).
#[must_use]
pub(crate) fn choose(
    count: usize,
    seated: &[(NodeId, DistrictId)],
    roster: &Roster,
    standings: &BTreeMap<DistrictId, Score>,
    nominees: &BTreeMap<DistrictId, NodeId>,
    silent: impl Fn(NodeId) -> bool,
) -> Vec<(NodeId, DistrictId)> {
    let count = count.min(roster.districts().count());
    let mut out: Vec<(NodeId, DistrictId)> = seated
        .iter()
        .copied()
        .filter(|(l, d)| roster.district_of(*l) == Some(*d) && !silent(*l))
        .take(count)
        .collect();
    let mut districts: Vec<DistrictId> = roster.districts().map(|(d, _)| d).collect();
    districts.sort_by_key(|d| (std::cmp::Reverse(standings.get(d).copied()), *d));
    for d in districts {
        if out.len() >= count {
            break;
        }
        if out.iter().any(|(_, x)| *x == d) {
            continue;
        }
        if let Some(&n) = nominees.get(&d)
            && roster.district_of(n) == Some(d)
            && !silent(n)
        {
            out.push((n, d));
        }
    }
    out
}

/// The Lords the Prime Minister proposes at log-clock reading `now`, and the Lord whose
/// term ended that they rotate out, if any (docs/protocol.md §11.3).
///
/// At most one term ends per decree: the earliest ended one of a reachable Lord. Its
/// seat goes to the best-standing district without a Lord other than its own, else to
/// its own district's nominee if that is another member, else it is reseated for a new
/// term (no eligible member is better than an empty seat). Lords kept keep their term
/// ends; a Lord taking a freed seat inherits that seat's schedule (the old end moved on
/// by whole terms past `now`), and a new seat takes the first point of the `term /
/// count` grid after `now` that is at least half a step from every other end, so ends
/// stay staggered. Without a term, every end is `None`.
#[must_use]
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan(
    count: usize,
    term: Option<Duration>,
    now: Duration,
    seated: &[SeatedLord],
    roster: &Roster,
    standings: &BTreeMap<DistrictId, Score>,
    nominees: &BTreeMap<DistrictId, NodeId>,
    silent: impl Fn(NodeId) -> bool,
) -> (Vec<SeatedLord>, Option<NodeId>) {
    let present =
        |s: &&SeatedLord| roster.district_of(s.lord) == Some(s.district) && !silent(s.lord);
    let expiring = term.and_then(|_| {
        seated
            .iter()
            .filter(present)
            .filter(|s| s.term_end.is_some_and(|e| e <= now))
            .min_by_key(|s| (s.term_end, s.lord))
            .copied()
    });
    let pairs: Vec<(NodeId, DistrictId)> = seated
        .iter()
        .filter(|s| Some(s.lord) != expiring.map(|x| x.lord))
        .map(|s| (s.lord, s.district))
        .collect();
    let want = match expiring {
        None => choose(count, &pairs, roster, standings, nominees, &silent),
        Some(x) => {
            let gone = |l: NodeId| l == x.lord || silent(l);
            let mut others = nominees.clone();
            others.remove(&x.district);
            let mut w = choose(count, &pairs, roster, standings, &others, gone);
            if w.len() < count.min(roster.districts().count()) {
                w = choose(count, &w, roster, standings, nominees, gone);
            }
            if w.len() < count.min(roster.districts().count())
                && !w.iter().any(|(_, d)| *d == x.district)
            {
                w.push((x.lord, x.district));
            }
            w
        }
    };
    let Some(term) = term.filter(|t| !t.is_zero()) else {
        let lords = want
            .into_iter()
            .map(|(lord, district)| SeatedLord {
                lord,
                district,
                term_end: None,
            })
            .collect();
        return (lords, None);
    };
    let rotated = expiring.map(|x| x.lord);
    let kept = |l: NodeId| Some(l) != rotated && want.iter().any(|(w, _)| *w == l);
    let mut ends: BTreeMap<NodeId, Duration> = seated
        .iter()
        .filter(|s| kept(s.lord))
        .filter_map(|s| s.term_end.map(|e| (s.lord, e)))
        .collect();
    let mut freed: VecDeque<Duration> = {
        let mut f: Vec<Duration> = seated
            .iter()
            .filter(|s| !kept(s.lord))
            .filter_map(|s| s.term_end)
            .map(|e| next_end(e, term, now))
            .collect();
        f.sort();
        f.into()
    };
    let seats = count.min(roster.districts().count()).max(1);
    let step = term / u32::try_from(seats).unwrap_or(u32::MAX);
    for (lord, _) in &want {
        if ends.contains_key(lord) {
            continue;
        }
        let end = freed
            .pop_front()
            .unwrap_or_else(|| grid_end(now, term, step, ends.values()));
        ends.insert(*lord, end);
    }
    let lords = want
        .into_iter()
        .map(|(lord, district)| SeatedLord {
            lord,
            district,
            term_end: ends.get(&lord).copied(),
        })
        .collect();
    (lords, rotated)
}

/// `end` moved on by whole terms until it lies after `now`.
fn next_end(end: Duration, term: Duration, now: Duration) -> Duration {
    if end > now {
        return end;
    }
    let behind = (now - end).as_millis();
    let t = term.as_millis().max(1);
    let terms = u32::try_from(behind / t + 1).unwrap_or(u32::MAX);
    end + term.saturating_mul(terms)
}

/// The earliest point of the grid `anchor + j·step` (the anchor is the earliest end in
/// `taken`, else `now`), taken modulo `term` into `(now, now + term]`, that is at least
/// half a step from every end in `taken` modulo `term`; when none is (more seats than
/// the grid has room for), a full term from `now`, moved on a millisecond at a time past
/// any end already taken, so two seats filled by one decree never end together.
fn grid_end<'a>(
    now: Duration,
    term: Duration,
    step: Duration,
    taken: impl Iterator<Item = &'a Duration> + Clone,
) -> Duration {
    let t = term.as_millis().max(1);
    let far = |c: Duration| {
        taken.clone().all(|e| {
            let d = c.as_millis().abs_diff(e.as_millis()) % t;
            2 * d.min(t - d) >= step.as_millis()
        })
    };
    let anchor = taken.clone().min().copied().unwrap_or(now);
    let step = step.max(Duration::from_millis(1));
    let points = (t / step.as_millis().max(1)).clamp(1, 1_024);
    let mut best: Option<Duration> = None;
    for j in 1..=points {
        let p = anchor + step.saturating_mul(u32::try_from(j).unwrap_or(u32::MAX));
        // Into (now, now + term]: the same point of the rotation, a whole number of terms
        // earlier or later.
        let ms = |d: Duration| d.as_millis();
        let base = ms(now) + 1;
        let offset = (ms(p) + t - base % t) % t;
        let c = Duration::from_millis(u64::try_from(base + offset).unwrap_or(u64::MAX));
        if far(c) && best.is_none_or(|b| c < b) {
            best = Some(c);
        }
    }
    if let Some(c) = best {
        return c;
    }
    let mut c = now + term;
    while taken.clone().any(|e| *e == c) {
        c += Duration::from_millis(1);
    }
    c
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::state::DistrictName;
    use crate::westminster::DistrictRoster;

    fn roster(n: u64) -> Roster {
        Roster::new(
            (0..n).map(|d| {
                (
                    DistrictId(d),
                    DistrictRoster {
                        name: DistrictName::new(format!("zone-{d}")).unwrap(),
                        members: (1..=3).map(|k| NodeId(10 * d + k)).collect(),
                        bootstrap_representative: None,
                    },
                )
            }),
            None,
        )
        .unwrap()
    }

    fn write() -> CriticalDecree {
        CriticalDecree::Write(Bytes::from_static(b"w"))
    }

    #[test]
    fn a_decree_passes_at_the_vote_that_makes_the_majority_and_only_lords_count() {
        let mut l = Lords::default();
        l.seat(&[
            (NodeId(1), DistrictId(0)),
            (NodeId(12), DistrictId(1)),
            (NodeId(23), DistrictId(2)),
        ]);
        l.propose(LogIndex(10), write(), None);
        assert_eq!(
            l.vote(LogIndex(11), LogIndex(10), NodeId(2), true, String::new()),
            Decided::Open,
            "not a Lord"
        );
        assert_eq!(
            l.vote(LogIndex(12), LogIndex(10), NodeId(1), true, String::new()),
            Decided::Open
        );
        assert_eq!(
            l.vote(LogIndex(13), LogIndex(10), NodeId(1), true, String::new()),
            Decided::Open,
            "twice"
        );
        assert!(l.has_voted(LogIndex(10), NodeId(1)));
        assert_eq!(
            l.vote(LogIndex(14), LogIndex(10), NodeId(23), true, String::new()),
            Decided::Passed {
                content: write(),
                ticket: None
            }
        );
        let d: Vec<&Enacted> = l.decided().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].decree, d[0].index, d[0].passed, d[0].seated),
            (LogIndex(10), LogIndex(14), true, 3)
        );
        assert_eq!(d[0].ayes, BTreeSet::from([NodeId(1), NodeId(23)]));
        assert_eq!(l.pending().count(), 0);
    }

    #[test]
    fn a_decree_is_rejected_once_no_majority_can_vote_aye() {
        let mut l = Lords::default();
        l.seat(&[
            (NodeId(1), DistrictId(0)),
            (NodeId(12), DistrictId(1)),
            (NodeId(23), DistrictId(2)),
        ]);
        l.propose(LogIndex(5), write(), None);
        assert_eq!(
            l.vote(LogIndex(6), LogIndex(5), NodeId(1), false, "no".into()),
            Decided::Open
        );
        assert_eq!(
            l.vote(LogIndex(7), LogIndex(5), NodeId(12), false, "never".into()),
            Decided::Rejected {
                ticket: None,
                reasons: vec!["no".into(), "never".into()]
            }
        );
        assert!(!l.decided().next().unwrap().passed);
    }

    #[test]
    fn seating_drops_second_lords_of_a_district_and_nothing_else() {
        let mut l = Lords::default();
        // n99 is in no roster this member knows: another member's newer roster may name
        // it, so applying the decree does not judge it.
        l.seat(&[
            (NodeId(1), DistrictId(0)),
            (NodeId(2), DistrictId(0)),
            (NodeId(12), DistrictId(0)),
            (NodeId(99), DistrictId(2)),
            (NodeId(13), DistrictId(1)),
        ]);
        assert_eq!(
            l.seated(),
            &[
                (NodeId(1), DistrictId(0)),
                (NodeId(99), DistrictId(2)),
                (NodeId(13), DistrictId(1))
            ]
        );
    }

    #[test]
    fn the_choice_keeps_reachable_lords_and_fills_from_the_best_standing_districts() {
        let r = roster(4);
        let standings: BTreeMap<DistrictId, Score> =
            [(0, 5_000), (1, 9_000), (2, 7_000), (3, 9_000)]
                .into_iter()
                .map(|(d, s)| (DistrictId(d), Score::new(s).unwrap()))
                .collect();
        let nominees: BTreeMap<DistrictId, NodeId> = (0..4)
            .map(|d| (DistrictId(d), NodeId(10 * d + 2)))
            .collect();
        let none = choose(3, &[], &r, &standings, &nominees, |_| false);
        assert_eq!(
            none,
            vec![
                (NodeId(12), DistrictId(1)),
                (NodeId(32), DistrictId(3)),
                (NodeId(22), DistrictId(2))
            ]
        );
        tracing::info!("--- a silent Lord is replaced by the best district without a Lord");
        let again = choose(3, &none, &r, &standings, &nominees, |l| l == NodeId(32));
        assert_eq!(
            again,
            vec![
                (NodeId(12), DistrictId(1)),
                (NodeId(22), DistrictId(2)),
                (NodeId(2), DistrictId(0))
            ]
        );
        assert_eq!(
            choose(3, &again, &r, &standings, &nominees, |_| false),
            again
        );
        assert_eq!(
            choose(9, &[], &r, &standings, &nominees, |_| false).len(),
            4,
            "at most one per district"
        );
    }

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn sl(lord: u64, district: u64, end: Option<u64>) -> SeatedLord {
        SeatedLord {
            lord: NodeId(lord),
            district: DistrictId(district),
            term_end: end.map(at),
        }
    }

    #[test]
    fn the_plan_staggers_terms_and_rotates_one_ended_term_at_a_time() {
        let r4 = roster(4);
        let r3 = roster(3);
        let standings: BTreeMap<DistrictId, Score> =
            [(0, 5_000), (1, 9_000), (2, 7_000), (3, 8_000)]
                .into_iter()
                .map(|(d, s)| (DistrictId(d), Score::new(s).unwrap()))
                .collect();
        let nominees: BTreeMap<DistrictId, NodeId> = (0..4)
            .map(|d| (DistrictId(d), NodeId(10 * d + 2)))
            .collect();
        let three = vec![
            sl(12, 1, Some(1_000)),
            sl(32, 3, Some(2_000)),
            sl(22, 2, Some(3_000)),
        ];
        // (what, roster, term ms, clock ms, seated, silent, expected Lords, rotated)
        type Case<'a> = (
            &'a str,
            &'a Roster,
            Option<u64>,
            u64,
            Vec<SeatedLord>,
            Option<u64>,
            Vec<SeatedLord>,
            Option<u64>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                "first seating: ends term/L apart from now",
                &r4,
                Some(3_000),
                500,
                vec![],
                None,
                vec![
                    sl(12, 1, Some(1_500)),
                    sl(32, 3, Some(2_500)),
                    sl(22, 2, Some(3_500)),
                ],
                None,
            ),
            (
                "no term ended: nothing changes",
                &r4,
                Some(3_000),
                999,
                three.clone(),
                None,
                three.clone(),
                None,
            ),
            (
                "the earliest ended term goes to the best district without a Lord, one term on",
                &r4,
                Some(3_000),
                2_500,
                three.clone(),
                None,
                vec![
                    sl(32, 3, Some(2_000)),
                    sl(22, 2, Some(3_000)),
                    sl(2, 0, Some(4_000)),
                ],
                Some(12),
            ),
            (
                "every district sits: its own nominee if another member, else reseated",
                &r3,
                Some(3_000),
                1_000,
                vec![
                    sl(12, 1, Some(2_000)),
                    sl(2, 0, Some(3_000)),
                    sl(21, 2, Some(1_000)),
                ],
                None,
                vec![
                    sl(12, 1, Some(2_000)),
                    sl(2, 0, Some(3_000)),
                    sl(22, 2, Some(4_000)),
                ],
                Some(21),
            ),
            (
                "the only choice is reseated for a fresh term",
                &r3,
                Some(3_000),
                1_000,
                vec![
                    sl(12, 1, Some(1_000)),
                    sl(2, 0, Some(2_000)),
                    sl(22, 2, Some(3_000)),
                ],
                None,
                vec![
                    sl(2, 0, Some(2_000)),
                    sl(22, 2, Some(3_000)),
                    sl(12, 1, Some(4_000)),
                ],
                Some(12),
            ),
            (
                "a seat left empty long ago keeps its phase",
                &r4,
                Some(3_000),
                7_200,
                vec![
                    sl(12, 1, Some(1_000)),
                    sl(32, 3, Some(8_000)),
                    sl(22, 2, Some(9_000)),
                ],
                None,
                vec![
                    sl(32, 3, Some(8_000)),
                    sl(22, 2, Some(9_000)),
                    sl(2, 0, Some(10_000)),
                ],
                Some(12),
            ),
            (
                "a silent Lord's successor inherits its end; no rotation",
                &r4,
                Some(3_000),
                500,
                three.clone(),
                Some(32),
                vec![
                    sl(12, 1, Some(1_000)),
                    sl(22, 2, Some(3_000)),
                    sl(2, 0, Some(2_000)),
                ],
                None,
            ),
            (
                "a silent Lord whose term ended is replaced, not rotated",
                &r4,
                Some(3_000),
                1_500,
                three.clone(),
                Some(12),
                vec![
                    sl(32, 3, Some(2_000)),
                    sl(22, 2, Some(3_000)),
                    sl(2, 0, Some(4_000)),
                ],
                None,
            ),
            (
                "a new seat beside two Lords takes the free point of the grid",
                &r4,
                Some(3_000),
                0,
                vec![sl(12, 1, Some(1_000)), sl(32, 3, Some(3_000))],
                None,
                vec![
                    sl(12, 1, Some(1_000)),
                    sl(32, 3, Some(3_000)),
                    sl(22, 2, Some(2_000)),
                ],
                None,
            ),
            (
                "no terms: no ends and no rotation",
                &r4,
                None,
                9_999,
                vec![sl(12, 1, None)],
                None,
                vec![sl(12, 1, None), sl(32, 3, None), sl(22, 2, None)],
                None,
            ),
        ];
        for (what, roster, term, now, seated, silent, want, rotated) in cases {
            let got = plan(
                3,
                term.map(at),
                at(now),
                &seated,
                roster,
                &standings,
                &nominees,
                |l| Some(l.get()) == silent,
            );
            assert_eq!(got, (want, rotated.map(NodeId)), "{what}");
        }
    }

    #[test]
    fn new_seats_take_grid_points_of_the_rotation_even_a_term_before_the_anchor() {
        // Three seats, a 12 s term: ends 4 s apart. One seat ends at 40 s; at 28.474 s two
        // new seats are filled. The grid points after the anchor (44 s, 48 s) lie beyond
        // now + term; a term earlier (32 s, 36 s) they are in range. Before, both seats
        // fell back to now + term and ended together (the simulator's lords-terms
        // checker found it, seed 173 of 3x3).
        let term = Duration::from_secs(12);
        let step = Duration::from_secs(4);
        let now = Duration::from_millis(28_474);
        let mut taken = vec![Duration::from_secs(40)];
        let first = grid_end(now, term, step, taken.iter());
        taken.push(first);
        let second = grid_end(now, term, step, taken.iter());
        assert_eq!(
            (first, second),
            (Duration::from_secs(32), Duration::from_secs(36))
        );
        // More seats than room: never the same end twice.
        let crowded: Vec<Duration> = (0..3)
            .map(|i| now + term + Duration::from_millis(i))
            .collect();
        let c = grid_end(now, term, Duration::from_secs(12), crowded.iter());
        assert!(!crowded.contains(&c), "{c:?}");
    }

    #[test]
    fn a_seated_decree_is_refused_when_it_rotates_early_or_turns_the_clock_back() {
        let mut l = Lords::default();
        let first = [
            sl(1, 0, Some(1_000)),
            sl(12, 1, Some(2_000)),
            sl(23, 2, Some(3_000)),
        ];
        assert_eq!(l.seat_terms(at(0), &first, None), Ok(()));
        assert_eq!(l.term_ends(NodeId(12)), Some(at(2_000)));
        assert_eq!(l.term_ends(NodeId(2)), None);
        let next = [
            sl(12, 1, Some(2_000)),
            sl(23, 2, Some(3_000)),
            sl(2, 0, Some(4_000)),
        ];
        // (what, clock ms, rotated, result)
        let cases: Vec<(&str, u64, u64, Result<(), &str>)> = vec![
            (
                "before the term ended",
                999,
                1,
                Err("the rotated Lord's term has not ended"),
            ),
            (
                "a member that does not sit",
                1_000,
                2,
                Err("the rotated Lord does not sit"),
            ),
        ];
        for (what, clock, rotated, result) in cases {
            assert_eq!(
                l.seat_terms(at(clock), &next, Some(NodeId(rotated))),
                result,
                "{what}"
            );
            assert_eq!(
                l.term_ends(NodeId(1)),
                Some(at(1_000)),
                "{what}: nothing changed"
            );
        }
        assert_eq!(l.seat_terms(at(1_000), &next, Some(NodeId(1))), Ok(()));
        assert_eq!(l.clock(), Some(at(1_000)));
        assert!(!l.is_lord(NodeId(1)));
        assert_eq!(
            l.seat_terms(at(900), &next, None),
            Err("its log clock runs backwards")
        );
    }
}
