//! A small deterministic harness: members, their district "disks", a message queue.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::engine::{Persisted, Role};
use crate::state::{DistrictName, Key, Scope, Write};
use crate::types::{LogIndex, NodeId, Term, Time};
use crate::westminster::{
    COMMONS, DistrictId, DistrictRoster, Envelope, Event, Member, MemberConfig, MemberReady,
    Roster, SessionConfig,
};

pub(super) struct Parliament {
    pub members: BTreeMap<NodeId, Member>,
    pub disks: BTreeMap<NodeId, Persisted>,
    pub events: BTreeMap<NodeId, Vec<Event>>,
    pub queue: VecDeque<(NodeId, NodeId, Envelope)>,
    pub cut: BTreeSet<NodeId>,
    /// Links cut in both directions.
    pub cut_links: BTreeSet<(NodeId, NodeId)>,
    pub down: BTreeSet<NodeId>,
    pub roster: Roster,
    pub now: Time,
    pub delivered: u64,
    pub sessions: SessionConfig,
    /// Applied to every member's configuration at each start.
    pub configure: fn(&mut MemberConfig),
    /// The most members one seat message was sent to, in one `Ready`, since the last reset.
    pub most_copies: usize,
}

/// `districts` districts of `size` members; member ids are `10 * d + k`.
pub(super) fn roster(districts: u64, size: u64) -> Roster {
    Roster::new(
        (0..districts).map(|d| {
            (
                DistrictId(d),
                DistrictRoster {
                    name: DistrictName::new(format!("zone-{d}")).unwrap(),
                    members: (1..=size).map(|k| NodeId(10 * d + k)).collect(),
                    bootstrap_representative: None,
                },
            )
        }),
        None,
    )
    .unwrap()
}

impl Parliament {
    pub fn new(districts: u64, size: u64) -> Parliament {
        Parliament::with_sessions(districts, size, SessionConfig::default())
    }

    pub fn with_sessions(districts: u64, size: u64, sessions: SessionConfig) -> Parliament {
        Parliament::configured(districts, size, sessions, |_| {})
    }

    /// A parliament whose members' configurations pass through `configure`.
    pub fn configured(
        districts: u64,
        size: u64,
        sessions: SessionConfig,
        configure: fn(&mut MemberConfig),
    ) -> Parliament {
        let roster = roster(districts, size);
        let mut p = Parliament {
            members: BTreeMap::new(),
            disks: BTreeMap::new(),
            events: BTreeMap::new(),
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            cut_links: BTreeSet::new(),
            down: BTreeSet::new(),
            roster: roster.clone(),
            now: Time(0),
            delivered: 0,
            sessions,
            configure,
            most_copies: 0,
        };
        for id in roster.members() {
            p.disks.insert(id, Persisted::default());
            p.start(id);
        }
        p
    }

    pub fn start(&mut self, id: NodeId) {
        let mut cfg = MemberConfig::new(id, self.roster.clone(), id.0 * 7919 + self.now.0);
        cfg.sessions = self.sessions;
        (self.configure)(&mut cfg);
        let disk = self.disks[&id].clone();
        self.members
            .insert(id, Member::new(cfg, disk, self.now).unwrap());
        self.events.insert(id, Vec::new());
    }

    pub fn crash(&mut self, id: NodeId) {
        self.down.insert(id);
        self.members.remove(&id);
    }

    pub fn restart(&mut self, id: NodeId) {
        self.down.remove(&id);
        self.start(id);
    }

    pub fn member(&mut self, id: NodeId) -> &mut Member {
        self.members.get_mut(&id).unwrap()
    }

    fn handle(&mut self, id: NodeId, ready: MemberReady) {
        let disk = self.disks.get_mut(&id).unwrap();
        let offset = |d: &Persisted| d.snapshot.as_ref().map_or(0, |s| s.meta.index.0);
        if let Some(snap) = ready.snapshot {
            // The store's install rule: keep the log after it only if it holds its entry.
            let keep = disk
                .entries
                .iter()
                .any(|e| e.index == snap.meta.index && e.term == snap.meta.term);
            disk.entries.retain(|e| keep && e.index > snap.meta.index);
            disk.snapshot = Some(snap);
        }
        if let Some(hs) = ready.hard_state {
            disk.hard_state = hs;
        }
        if let Some(first) = ready.entries.first() {
            let keep = (first.index.0 - offset(disk) - 1) as usize;
            assert!(keep <= disk.entries.len(), "a gap in the persisted log");
            disk.entries.truncate(keep);
            disk.entries.extend(ready.entries.iter().cloned());
        }
        if let Some(taken) = ready.taken {
            assert!(
                disk.entries
                    .iter()
                    .any(|e| e.index == taken.meta.index && e.term == taken.meta.term),
                "a member snapshotted an index it has not persisted"
            );
            disk.entries.retain(|e| e.index > taken.meta.index);
            disk.snapshot = Some(taken);
        }
        let direct_seat_messages: Vec<_> = ready
            .messages
            .iter()
            .filter_map(|(_, env)| match env {
                Envelope::Commons {
                    forwarded: false,
                    message,
                    ..
                } => Some(message),
                _ => None,
            })
            .collect();
        for m in &direct_seat_messages {
            let copies = direct_seat_messages.iter().filter(|o| *o == m).count();
            self.most_copies = self.most_copies.max(copies);
        }
        for (to, env) in ready.messages {
            self.queue.push_back((id, to, env));
        }
        self.events.get_mut(&id).unwrap().extend(ready.events);
    }

    pub fn drain(&mut self) {
        let ids: Vec<NodeId> = self.members.keys().copied().collect();
        for id in ids {
            while self.members[&id].has_ready() {
                let r = self.member(id).take_ready();
                self.handle(id, r);
            }
        }
    }

    pub fn deliver_all(&mut self) {
        self.drain();
        let mut budget = 1_000_000u64;
        while let Some((from, to, env)) = self.queue.pop_front() {
            budget -= 1;
            assert!(budget > 0, "message storm");
            if self.cut.contains(&from)
                || self.cut.contains(&to)
                || self.down.contains(&to)
                || self.cut_links.contains(&(from, to))
                || self.cut_links.contains(&(to, from))
            {
                continue;
            }
            let now = self.now;
            let Some(m) = self.members.get_mut(&to) else {
                continue;
            };
            let _ = m.step(now, from, env);
            self.delivered += 1;
            while self.members[&to].has_ready() {
                let r = self.member(to).take_ready();
                self.handle(to, r);
            }
        }
    }

    pub fn run_for(&mut self, ms: u64) {
        let end = self.now.0 + ms;
        while self.now.0 < end {
            self.now = Time(self.now.0 + 10);
            let now = self.now;
            for m in self.members.values_mut() {
                m.tick(now);
            }
            self.deliver_all();
        }
    }

    pub fn prime_ministers(&self) -> Vec<NodeId> {
        self.members
            .values()
            .filter(|m| m.is_prime_minister())
            .map(Member::id)
            .collect()
    }

    pub fn representatives(&self) -> BTreeMap<DistrictId, Vec<NodeId>> {
        let mut out: BTreeMap<DistrictId, Vec<NodeId>> = BTreeMap::new();
        for m in self.members.values() {
            if m.district_status().role == Role::Leader {
                out.entry(m.district()).or_default().push(m.id());
            }
        }
        out
    }

    /// Runs until there is exactly one PM among members not cut off.
    pub fn elect_prime_minister(&mut self) -> NodeId {
        for _ in 0..3000 {
            self.run_for(10);
            let pms: Vec<NodeId> = self
                .prime_ministers()
                .into_iter()
                .filter(|id| !self.cut.contains(id))
                .collect();
            if pms.len() == 1 {
                return pms[0];
            }
        }
        panic!("no Prime Minister within 30 s of virtual time");
    }

    /// Proposes a global put at the PM and runs until every live member applied it.
    pub fn global_put(&mut self, key: &str, value: &'static str) -> (LogIndex, Term) {
        let pm = self.elect_prime_minister();
        let now = self.now;
        let cmd = Write::put(Scope::Global, Key::new(key).unwrap(), value).into();
        let p = self.member(pm).propose(now, &cmd).unwrap();
        assert_eq!(p.group, COMMONS);
        (p.index, p.term)
    }

    pub fn global_value(&self, id: NodeId, key: &str) -> Option<bytes::Bytes> {
        self.members[&id]
            .get(&Scope::Global, &Key::new(key).unwrap())
            .unwrap()
            .value
            .map(|v| v.value)
    }

    pub fn commons_applied(&self, id: NodeId) -> Vec<(LogIndex, Term)> {
        self.events[&id]
            .iter()
            .filter_map(|e| match e {
                Event::Applied {
                    group, index, term, ..
                } if *group == COMMONS => Some((*index, *term)),
                _ => None,
            })
            .collect()
    }
}
