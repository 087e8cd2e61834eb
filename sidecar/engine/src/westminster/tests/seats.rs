//! Seats, the Prime Minister and the global log: DESIGN.md §6 rules exercised end to end.

use crate::engine::Role;
use crate::state::{Key, Scope, Write};
use crate::types::NodeId;
use crate::westminster::{COMMONS, Event, Refused};

use super::parliament::Parliament;

#[test]
fn three_districts_elect_representatives_and_one_prime_minister() {
    let mut p = Parliament::new(3, 3);
    let pm = p.elect_prime_minister();
    p.run_for(2_000);
    let reps = p.representatives();
    assert_eq!(
        reps.len(),
        3,
        "every district has a representative: {reps:?}"
    );
    assert!(
        reps.values().all(|r| r.len() == 1),
        "one representative per district: {reps:?}"
    );
    assert_eq!(p.prime_ministers(), vec![pm]);
    let pm_district = p.roster.district_of(pm).unwrap();
    assert_eq!(
        reps[&pm_district],
        vec![pm],
        "the Prime Minister is a representative"
    );
    for (d, r) in &reps {
        let seat = p
            .member(r[0])
            .seat_status()
            .expect("a representative hosts its seat");
        assert_eq!(seat.id, d.seat());
    }
}

#[test]
fn a_global_write_reaches_every_member_through_district_logs() {
    let mut p = Parliament::new(3, 3);
    p.global_put("config/replicas", "3");
    p.run_for(3_000);
    let ids: Vec<NodeId> = p.members.keys().copied().collect();
    for id in ids {
        assert_eq!(
            p.global_value(id, "config/replicas").as_deref(),
            Some(&b"3"[..]),
            "member {id} holds the global write in its district's copy of the global log"
        );
    }
}

#[test]
fn global_writes_are_refused_away_from_the_prime_minister() {
    let mut p = Parliament::new(3, 3);
    let pm = p.elect_prime_minister();
    let other = *p
        .members
        .keys()
        .find(|id| **id != pm && !p.members[id].is_prime_minister())
        .unwrap();
    let now = p.now;
    let cmd = Write::put(Scope::Global, Key::new("k").unwrap(), "v").into();
    let err = p.member(other).propose(now, &cmd).unwrap_err();
    assert!(
        matches!(err, Refused::NotLeader { group, .. } if group == COMMONS),
        "{err:?}"
    );
}

#[test]
fn a_representative_that_loses_its_district_stops_hosting_the_seat() {
    let mut p = Parliament::new(3, 3);
    let pm = p.elect_prime_minister();
    p.run_for(500);
    // Cut the PM off from everyone: its district lease lapses, so it must stop hosting.
    p.cut.insert(pm);
    let lease = 1_000;
    p.run_for(lease + 200);
    assert!(
        p.member(pm).seat_status().is_none(),
        "a member without its district lease hosts no seat"
    );
    assert!(!p.member(pm).is_prime_minister());
    let new_pm = p.elect_prime_minister();
    assert_ne!(new_pm, pm);
}

#[test]
fn a_prime_minister_crash_loses_no_acknowledged_global_write() {
    let mut p = Parliament::new(3, 3);
    let (index, term) = p.global_put("a", "1");
    p.run_for(2_000);
    let pm = p.elect_prime_minister();
    assert!(
        p.commons_applied(pm).contains(&(index, term)),
        "acknowledged at the PM"
    );
    p.crash(pm);
    let new_pm = p.elect_prime_minister();
    assert_ne!(new_pm, pm);
    p.global_put("b", "2");
    p.restart(pm);
    p.run_for(5_000);
    let ids: Vec<NodeId> = p.members.keys().copied().collect();
    for id in ids {
        assert_eq!(
            p.global_value(id, "a").as_deref(),
            Some(&b"1"[..]),
            "member {id} kept the first write"
        );
        assert_eq!(
            p.global_value(id, "b").as_deref(),
            Some(&b"2"[..]),
            "member {id} has the second"
        );
    }
}

#[test]
fn a_new_representative_resumes_the_seat_with_its_vote_and_log() {
    let mut p = Parliament::new(3, 3);
    let pm = p.elect_prime_minister();
    p.global_put("x", "1");
    p.run_for(2_000);
    let record_before = p.member(pm).seat_record().clone();
    let seat_term = p.member(pm).seat_status().unwrap().term;
    p.crash(pm);
    p.run_for(4_000);
    let district = p.roster.district_of(pm).unwrap();
    let reps = p.representatives();
    let successor = reps[&district][0];
    assert_ne!(successor, pm);
    let seat = p
        .member(successor)
        .seat_status()
        .expect("the successor hosts the seat");
    assert!(
        seat.term >= seat_term,
        "the resumed seat never goes back in term"
    );
    let record = p.member(successor).seat_record();
    assert!(
        record.entries().len() >= record_before.entries().len(),
        "no persisted Commons entry is lost"
    );
    assert_eq!(
        &record.entries()[..record_before.entries().len()],
        record_before.entries()
    );
}

#[test]
fn district_writes_commit_inside_the_district() {
    let mut p = Parliament::new(2, 3);
    p.run_for(3_000);
    let reps = p.representatives();
    let (d, r) = reps.iter().next().map(|(d, r)| (*d, r[0])).unwrap();
    let name = p.roster.district(d).unwrap().name.clone();
    let scope = Scope::District(name);
    let now = p.now;
    let cmd = Write::put(scope.clone(), Key::new("k").unwrap(), "v").into();
    let prop = p.member(r).propose(now, &cmd).unwrap();
    assert_eq!(prop.group, d.group());
    p.run_for(300);
    for id in p.roster.district(d).unwrap().members.clone() {
        let got = p.members[&id].get(&scope, &Key::new("k").unwrap()).unwrap();
        assert_eq!(
            got.value.map(|v| v.value).as_deref(),
            Some(&b"v"[..]),
            "member {id}"
        );
    }
    // Another district refuses it.
    let other = p
        .members
        .keys()
        .copied()
        .find(|id| p.roster.district_of(*id) != Some(d))
        .unwrap();
    let err = p.member(other).propose(now, &cmd).unwrap_err();
    assert!(matches!(err, Refused::WrongDistrict { .. }), "{err:?}");
}

#[test]
fn role_events_report_the_commons_with_fencing_tokens() {
    let mut p = Parliament::new(3, 1);
    let pm = p.elect_prime_minister();
    let got = p.events[&pm].iter().any(|e| {
        matches!(e, Event::Role { group, change } if *group == COMMONS
            && change.role == Role::Leader
            && change.token.is_some_and(|t| t.group == COMMONS))
    });
    assert!(
        got,
        "the PM's seat reported its leadership with a Commons fencing token"
    );
}

#[test]
fn a_prime_minister_cut_from_its_district_but_not_the_commons_steps_aside() {
    // DESIGN.md §6: the case to test hardest. The PM still reaches every other seat, but
    // its own district cannot hear it: its district lease lapses, it must stop acting for
    // the seat, the district elects a new representative who resumes the seat, and no
    // acknowledged global write is lost.
    let mut p = Parliament::new(3, 3);
    let (index, term) = p.global_put("before", "1");
    p.run_for(2_000);
    let pm = p.elect_prime_minister();
    assert!(p.commons_applied(pm).contains(&(index, term)));
    let district = p.roster.district_of(pm).unwrap();
    for peer in p.roster.district(district).unwrap().members.clone() {
        if peer != pm {
            p.cut_links.insert((pm, peer));
        }
    }
    p.run_for(1_200);
    assert!(
        p.member(pm).seat_status().is_none(),
        "the cut-off PM released its seat once its lease lapsed"
    );
    p.run_for(6_000);
    let pms = p.prime_ministers();
    assert_eq!(pms.len(), 1, "exactly one PM: {pms:?}");
    assert_ne!(pms[0], pm);
    p.global_put("after", "2");
    p.cut_links.clear();
    p.run_for(5_000);
    let ids: Vec<NodeId> = p.members.keys().copied().collect();
    for id in ids {
        assert_eq!(
            p.global_value(id, "before").as_deref(),
            Some(&b"1"[..]),
            "member {id}"
        );
        assert_eq!(
            p.global_value(id, "after").as_deref(),
            Some(&b"2"[..]),
            "member {id}"
        );
    }
}

#[test]
fn a_seat_message_for_an_unknown_host_goes_to_a_few_members_until_the_host_answers() {
    // Districts of 9: sending to every member while a host is unknown would make 9 copies.
    let mut p = Parliament::new(3, 9);
    p.elect_prime_minister();
    assert!(
        (2..=3).contains(&p.most_copies),
        "while the hosts were unknown, seat messages went to a few members each, not to all \
         nine: at most {} copies",
        p.most_copies
    );
    p.most_copies = 0;
    p.global_put("k", "v");
    p.run_for(2_000);
    assert_eq!(
        p.most_copies, 1,
        "once each host has answered directly, a seat message goes to its host alone"
    );
}

#[test]
fn seats_find_their_hosts_past_members_cut_off() {
    // The first members of each district, where the probes start, are cut off for good:
    // the probes move on to the others, so the Commons still forms and commits.
    let mut p = Parliament::new(3, 9);
    let ids: Vec<NodeId> = p.members.keys().copied().collect();
    for id in ids.iter().filter(|id| id.0 % 10 <= 3) {
        p.cut.insert(*id);
    }
    p.global_put("k", "v");
    p.run_for(3_000);
    for id in ids.iter().filter(|id| !p.cut.contains(id)) {
        assert_eq!(
            p.global_value(*id, "k").as_deref(),
            Some(&b"v"[..]),
            "member {id} has the global write"
        );
    }
}

#[test]
fn a_forward_teaches_the_addressed_host_the_origin_it_names() {
    use crate::engine::{Message, MessageBody};
    use crate::types::Term;
    use crate::westminster::{DistrictId, Envelope};

    let mut p = Parliament::new(2, 9);
    p.elect_prime_minister();
    let reps = p.representatives();
    let host = reps[&DistrictId(0)][0];
    let forwarder = *p
        .roster
        .district(DistrictId(0))
        .unwrap()
        .members
        .iter()
        .find(|m| **m != host)
        .unwrap();
    let far = DistrictId(1);
    let forwarded = |origin: NodeId| Envelope::Commons {
        incarnation: Term(u64::MAX >> 1),
        forwarded: true,
        origin: Some(origin),
        message: Message {
            group: COMMONS,
            from: far.seat(),
            to: DistrictId(0).seat(),
            term: Term(0),
            body: MessageBody::PreVoteResponse { granted: false },
        },
    };
    // An origin outside the sending seat's district teaches nothing.
    let before = p.member(host).known_host_of(far);
    let now = p.now;
    let _ = p.member(host).step(now, forwarder, forwarded(NodeId(3)));
    assert_eq!(p.member(host).known_host_of(far), before);
    // One inside it becomes the route, though the host never heard it directly.
    let named = NodeId(19);
    assert_ne!(before, Some(named));
    let _ = p.member(host).step(now, forwarder, forwarded(named));
    assert_eq!(p.member(host).known_host_of(far), Some(named));
}
