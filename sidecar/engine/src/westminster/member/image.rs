//! A member's snapshot images (docs/protocol.md#12-snapshots-and-compaction-of-a-member).
//!
//! Two images, one inside the other:
//!
//! ```text
//! global image := version:u8 (= 1) kind:u8 (= 'G')
//!                 global store:(len bytes) tickets standings nominees lords
//!                 representative limit:opt-duration prime minister limit:opt-duration
//!                 seated districts:(count, id*)
//! member image := version:u8 (= 1) kind:u8 (= 'M')
//!                 voters:(count, id*) learners:(count, id*)   (the district's
//!                 configuration at the image's index)
//!                 district store:(len bytes) table:(flag, len bytes)
//!                 seat record: incarnation term vote-flag vote commit
//!                              snapshot-flag snapshot-index snapshot-term entries
//!                 newest incarnations:(count, (district, term)*)
//!                 global image:(len bytes)
//! ```
//!
//! The global image is the state every member derives from the committed Commons log
//! (at the seat record's commit index); it is also the data of the seat's Commons
//! snapshot, so a lagging seat installs the same bytes. The member image adds what the
//! district log derives: the district store, the reputation table, the seat record.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::engine::{HardState, Membership, Snapshot, SnapshotMeta};
use crate::state::wire::{Reader, Writer, to_u64};
use crate::state::{self, Scope, StateMachine};
use crate::types::{LogIndex, NodeId, Term};
use crate::westminster::commons_decree::take_score;
use crate::westminster::district_command::{put_entries, take_entries};
use crate::westminster::lords::{count, put_duration, take_duration};
use crate::westminster::reputation::{ReputationTable, Score};
use crate::westminster::ticket_log::TicketLog;
use crate::westminster::{DecodeError, DistrictId, Lords, SeatRecord};

use super::Member;

const VERSION: u8 = 1;
const KIND_GLOBAL: u8 = b'G';
const KIND_MEMBER: u8 = b'M';

/// The global state decoded from an image, before it replaces the member's.
struct Global {
    kv: StateMachine,
    tickets: TicketLog,
    standings: BTreeMap<DistrictId, Score>,
    nominees: BTreeMap<DistrictId, NodeId>,
    lords: Lords,
    representative: Option<std::time::Duration>,
    prime_minister: Option<std::time::Duration>,
    seated_districts: std::collections::BTreeSet<DistrictId>,
}

fn put_opt_duration(w: &mut Writer, d: Option<std::time::Duration>) {
    w.bool(d.is_some());
    put_duration(w, d.unwrap_or_default());
}

fn take_opt_duration(
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Option<std::time::Duration>, DecodeError> {
    let some = r.bool(what)?;
    let d = take_duration(r, what)?;
    Ok(some.then_some(d))
}

fn header(r: &mut Reader<'_>, kind: u8, what: &'static str) -> Result<(), DecodeError> {
    r.version(what, VERSION)?;
    let at = r.position();
    let found = r.u8(what)?;
    if found != kind {
        return Err(state::Error::UnknownTag {
            what,
            tag: found,
            offset: at,
        }
        .into());
    }
    Ok(())
}

impl Member {
    /// The global image: the state derived from the committed Commons log.
    pub(super) fn global_image(&self) -> Bytes {
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(KIND_GLOBAL);
        w.bytes(&self.global_kv.snapshot());
        self.tickets.put(&mut w);
        w.u64(to_u64(self.standings.len()));
        for (d, s) in &self.standings {
            w.u64(d.0);
            w.u16(s.get());
        }
        w.u64(to_u64(self.nominees.len()));
        for (d, n) in &self.nominees {
            w.u64(d.0);
            w.u64(n.get());
        }
        self.lords.put(&mut w);
        put_opt_duration(&mut w, self.config.term_limits.representative);
        put_opt_duration(&mut w, self.config.term_limits.prime_minister);
        w.u64(to_u64(self.seated_districts.len()));
        for d in &self.seated_districts {
            w.u64(d.0);
        }
        Bytes::from(w.finish())
    }

    fn decode_global(bytes: &[u8]) -> Result<Global, DecodeError> {
        let mut r = Reader::new(bytes);
        header(&mut r, KIND_GLOBAL, "global image")?;
        let kv = StateMachine::restore(global_scopes(), r.bytes("global store")?)?;
        let tickets = TicketLog::take(&mut r)?;
        let mut standings = BTreeMap::new();
        for _ in 0..count(&mut r, "standings", 10)? {
            let d = DistrictId(r.u64("standing district")?);
            standings.insert(d, take_score(&mut r)?);
        }
        let mut nominees = BTreeMap::new();
        for _ in 0..count(&mut r, "nominees", 16)? {
            let d = DistrictId(r.u64("nominee district")?);
            nominees.insert(d, NodeId(r.u64("nominee")?));
        }
        let lords = Lords::take(&mut r)?;
        let representative = take_opt_duration(&mut r, "representative term limit")?;
        let prime_minister = take_opt_duration(&mut r, "prime minister term limit")?;
        let mut seated_districts = std::collections::BTreeSet::new();
        for _ in 0..count(&mut r, "seated districts", 8)? {
            seated_districts.insert(DistrictId(r.u64("seated district")?));
        }
        r.finish("global image")?;
        Ok(Global {
            kv,
            tickets,
            standings,
            nominees,
            lords,
            representative,
            prime_minister,
            seated_districts,
        })
    }

    /// Replaces the global state with a global image's (a Commons snapshot the seat
    /// record installed, or the global part of a member image).
    ///
    /// # Errors
    /// The image does not decode; nothing changed.
    pub(super) fn restore_global(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let g = Member::decode_global(bytes)?;
        self.adopt_global(g);
        Ok(())
    }

    fn adopt_global(&mut self, g: Global) {
        self.global_kv = g.kv;
        self.tickets = g.tickets;
        self.standings = g.standings;
        self.nominees = g.nominees;
        self.lords = g.lords;
        self.config.term_limits.representative = g.representative;
        self.config.term_limits.prime_minister = g.prime_minister;
        self.seated_districts = g.seated_districts;
        // Volatile readings restart from now: every seated Lord has a full timeout, and
        // the log clock runs on from the last `Seated` decree's stamp.
        self.lords_heard = self
            .lords
            .seated()
            .iter()
            .map(|(l, _)| (*l, self.now))
            .collect();
        self.lords_clock = self.lords.clock().map(|at| (at, self.now));
        self.votes_sent.clear();
        self.rank_seat();
    }

    /// The member image at the district's applied index. The seat record in it is
    /// compacted through its commit index, whose global state the image holds.
    pub(super) fn member_image(&self) -> Bytes {
        let global = self.global_image();
        let r = &self.seat_record;
        let commit = r.commit();
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(KIND_MEMBER);
        let membership = self.replica.membership_at(self.applied);
        for set in [&membership.voters, &membership.learners] {
            w.u64(to_u64(set.len()));
            for id in set {
                w.u64(id.get());
            }
        }
        w.bytes(&self.district_kv.snapshot());
        let table = self.duty.table().map(ReputationTable::encode);
        w.bool(table.is_some());
        w.bytes(table.as_deref().unwrap_or_default());
        w.u64(r.incarnation().get());
        let hs = r.hard_state();
        w.u64(hs.term.get());
        w.bool(hs.vote.is_some());
        w.u64(hs.vote.map_or(0, NodeId::get));
        w.u64(commit.get());
        let snap_term = r.term_at(commit).filter(|_| commit > LogIndex(0));
        w.bool(snap_term.is_some());
        w.u64(commit.get());
        w.u64(snap_term.map_or(0, Term::get));
        let after: Vec<_> = r
            .entries()
            .iter()
            .filter(|e| snap_term.is_none() || e.index > commit)
            .cloned()
            .collect();
        put_entries(&mut w, &after);
        w.u64(to_u64(self.newest_incarnation.len()));
        for (d, t) in &self.newest_incarnation {
            w.u64(d.0);
            w.u64(t.get());
        }
        w.bytes(&global);
        Bytes::from(w.finish())
    }

    /// Replaces everything the district log derives with a member image's: after a
    /// snapshot from the district leader, or at a restart from a stored snapshot.
    ///
    /// # Errors
    /// The image does not decode; nothing changed.
    pub(super) fn restore_member(
        &mut self,
        meta: SnapshotMeta,
        bytes: &[u8],
    ) -> Result<Membership, DecodeError> {
        let mut r = Reader::new(bytes);
        header(&mut r, KIND_MEMBER, "member image")?;
        let membership = take_membership(&mut r)?;
        let district_kv = StateMachine::restore(
            self.district_kv.config().clone(),
            r.bytes("district store")?,
        )?;
        let has_table = r.bool("reputation table flag")?;
        let raw = r.bytes("reputation table")?;
        let table = if has_table {
            Some(ReputationTable::decode(raw)?)
        } else {
            None
        };
        let incarnation = Term(r.u64("seat incarnation")?);
        let term = Term(r.u64("seat term")?);
        let has_vote = r.bool("seat vote flag")?;
        let vote = NodeId(r.u64("seat vote")?);
        let commit = LogIndex(r.u64("seat commit")?);
        let has_snapshot = r.bool("seat snapshot flag")?;
        let snap_meta = SnapshotMeta {
            index: LogIndex(r.u64("seat snapshot index")?),
            term: Term(r.u64("seat snapshot term")?),
        };
        let entries = take_entries(&mut r)?;
        let mut newest = BTreeMap::new();
        for _ in 0..count(&mut r, "newest incarnations", 16)? {
            let d = DistrictId(r.u64("incarnation district")?);
            newest.insert(d, Term(r.u64("incarnation")?));
        }
        let global = Bytes::copy_from_slice(r.bytes("global image")?);
        r.finish("member image")?;
        // Everything is decoded before anything changes.
        let g = Member::decode_global(&global)?;
        self.adopt_global(g);
        let hard_state = HardState {
            term,
            vote: has_vote.then_some(vote),
            commit,
        };
        let seat_snapshot = has_snapshot.then(|| Snapshot {
            meta: snap_meta,
            data: global,
        });
        self.seat_record =
            SeatRecord::from_parts(incarnation, hard_state, seat_snapshot, entries, commit);
        self.district_kv = district_kv;
        self.newest_incarnation = newest;
        if let Some(table) = table {
            self.adopt_restored_table(table);
        }
        self.applied = meta.index;
        self.global_reads.clear();
        Ok(membership)
    }

    /// A reputation table from an image: adopted and ranked from, as when applied from
    /// the log, but nothing is resubmitted (the standing is in the global image).
    fn adopt_restored_table(&mut self, table: ReputationTable) {
        let rank = table.rank_of(self.config.id);
        self.duty.adopt(table, self.now);
        if rank != self.district_rank {
            self.district_rank = rank;
            self.replica.set_candidacy_rank(rank);
        }
    }
}

fn take_membership(r: &mut Reader<'_>) -> Result<Membership, DecodeError> {
    let mut sets = [
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    ];
    for (set, what) in sets.iter_mut().zip(["image voters", "image learners"]) {
        for _ in 0..count(r, what, 8)? {
            set.insert(NodeId(r.u64(what)?));
        }
    }
    let [voters, learners] = sets;
    if voters.is_empty() {
        return Err(DecodeError::OutOfRange {
            what: "image voters",
            value: 0,
            offset: r.position(),
            rule: "a district configuration has at least one voter",
        });
    }
    Ok(Membership { voters, learners })
}

/// The district configuration a member image was taken under, read without decoding
/// the rest: a restarting member starts its replica with it.
///
/// # Errors
/// The image's header or configuration does not decode.
pub(super) fn membership_of(bytes: &[u8]) -> Result<Membership, DecodeError> {
    let mut r = Reader::new(bytes);
    header(&mut r, KIND_MEMBER, "member image")?;
    take_membership(&mut r)
}

/// The global store's configuration.
pub(super) fn global_scopes() -> state::Config {
    state::Config::for_scopes([Scope::Global, Scope::Critical])
}
