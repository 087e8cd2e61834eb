//! Term limits: a leader past its tenure hands over to the best up-to-date candidate,
//! staggered by district; a hand-over that does not complete is abandoned and the next
//! candidate tried (docs/protocol.md#112-term-limits).

use std::time::Duration;

use crate::engine::Persisted;
use crate::types::{GroupId, NodeId, Time};
use crate::westminster::{
    COMMONS, DistrictId, Event, Member, MemberConfig, MemberError, SessionConfig, TermLimits,
};

use super::parliament::{Parliament, roster};

const SECOND: Duration = Duration::from_secs(1);

fn limited(c: &mut MemberConfig) {
    c.term_limits = TermLimits {
        representative: Some(12 * SECOND),
        prime_minister: None,
    };
}

/// Hand-over events as (time seen, member, event), in order.
type Seen = Vec<(Time, NodeId, Event)>;

/// Runs `ms` in 10 ms steps, collecting hand-over events with the step they came in.
fn run_collecting(
    p: &mut Parliament,
    ms: u64,
    seen: &mut Seen,
    each_step: &mut impl FnMut(&Parliament),
) {
    for events in p.events.values_mut() {
        events.clear();
    }
    for _ in 0..ms / 10 {
        p.run_for(10);
        let now = p.now;
        for (id, events) in &mut p.events {
            for e in events.drain(..) {
                if matches!(e, Event::HandOver { .. } | Event::HandOverAbandoned { .. }) {
                    seen.push((now, *id, e));
                }
            }
        }
        each_step(p);
    }
}

fn district_of_group(group: GroupId) -> Option<DistrictId> {
    DistrictId::of_group(group)
}

#[test]
fn representatives_hand_over_staggered_and_the_prime_minister_hands_the_commons_over_first() {
    let mut p = Parliament::configured(3, 3, SessionConfig::default(), limited);
    let pm = p.elect_prime_minister();
    let pm_district = p.roster.district_of(pm).unwrap();
    let reps: Vec<(DistrictId, NodeId)> = p
        .representatives()
        .into_iter()
        .map(|(d, r)| (d, r[0]))
        .collect();
    let deadlines: Vec<(DistrictId, Time)> = reps
        .iter()
        .map(|(d, r)| (*d, p.members[r].representative_deadline().unwrap()))
        .collect();
    tracing::info!(?deadlines, "--- run past every district's first deadline");
    let mut seen = Seen::new();
    let mut overlap = 0;
    run_collecting(&mut p, 30_000, &mut seen, &mut |p: &Parliament| {
        let busy = p
            .members
            .values()
            .filter(|m| m.handing_over().is_some())
            .count();
        if busy > 1 {
            overlap += 1;
        }
        for d in 0..3 {
            assert!(
                p.representatives().contains_key(&DistrictId(d)),
                "district {d} without a representative at {}",
                p.now
            );
        }
    });
    assert_eq!(overlap, 0, "two hand-overs under way at once");
    for (d, rep) in &reps {
        let deadline = deadlines.iter().find(|(x, _)| x == d).unwrap().1;
        let first = seen
            .iter()
            .find(|(_, id, e)| {
                id == rep
                    && matches!(e, Event::HandOver { group, .. } if district_of_group(*group) == Some(*d))
            })
            .unwrap_or_else(|| panic!("{rep} of {d} never handed its district over: {seen:?}"));
        assert!(
            first.0 >= deadline,
            "{d} handed over at {} before its deadline {deadline}",
            first.0
        );
        if *d == pm_district {
            let commons = seen
                .iter()
                .position(|(_, id, e)| {
                    id == rep && matches!(e, Event::HandOver { group: COMMONS, .. })
                })
                .expect("the Prime Minister handed the Commons over");
            let district = seen.iter().position(|x| x == first).unwrap();
            assert!(commons < district, "Commons first: {seen:?}");
        }
    }
    assert!(
        !seen
            .iter()
            .any(|(_, _, e)| matches!(e, Event::HandOverAbandoned { .. })),
        "{seen:?}"
    );
    tracing::info!("--- the deadlines are a third of the limit apart, in district order");
    let mut by_time = deadlines.clone();
    by_time.sort_by_key(|(_, t)| *t);
    assert_eq!(
        by_time.iter().map(|(d, _)| *d).collect::<Vec<_>>(),
        vec![DistrictId(0), DistrictId(1), DistrictId(2)]
    );
    for w in by_time.windows(2) {
        assert!(w[1].1.0 - w[0].1.0 >= 3_500, "{by_time:?}");
    }
    tracing::info!("--- each target became its district's representative");
    assert_eq!(p.prime_ministers().len(), 1);
    for (d, reps) in p.representatives() {
        assert_eq!(reps.len(), 1, "{d}");
    }
}

#[test]
fn the_target_is_the_best_ranked_up_to_date_follower() {
    let mut p = Parliament::configured(1, 5, SessionConfig::default(), limited);
    p.elect_prime_minister();
    let rep = p.representatives()[&DistrictId(0)][0];
    p.run_for(2_000);
    let table = p.members[&rep].reputation().cloned().unwrap();
    let followers: Vec<NodeId> = p.members.keys().copied().filter(|id| *id != rep).collect();
    let want = table.best_handover_target(followers).unwrap();
    let mut seen = Seen::new();
    run_collecting(&mut p, 12_000, &mut seen, &mut |_: &Parliament| {});
    let first = seen
        .iter()
        .find(|(_, id, e)| *id == rep && matches!(e, Event::HandOver { .. }))
        .unwrap_or_else(|| panic!("no hand-over: {seen:?}"));
    assert!(
        matches!(first.2, Event::HandOver { to, .. } if to == want),
        "{first:?}, want {want}"
    );
    p.run_for(1_000);
    assert_eq!(p.representatives()[&DistrictId(0)], vec![want]);
}

#[test]
fn a_hand_over_that_does_not_complete_is_abandoned_and_the_next_candidate_takes_over() {
    let mut p = Parliament::configured(1, 3, SessionConfig::default(), |c| {
        c.term_limits = TermLimits {
            representative: Some(10 * SECOND),
            prime_minister: None,
        };
    });
    p.elect_prime_minister();
    let rep = p.representatives()[&DistrictId(0)][0];
    let deadline = p.members[&rep].representative_deadline().unwrap();
    let term = p.members[&rep].district_status().term;
    p.run_for(2_000);
    let table = p.members[&rep].reputation().cloned().unwrap();
    let followers: Vec<NodeId> = p.members.keys().copied().filter(|id| *id != rep).collect();
    let first = table.best_handover_target(followers.clone()).unwrap();
    let second = *followers.iter().find(|id| **id != first).unwrap();
    tracing::info!(%first, %second, "--- cut {first} from the representative just before the deadline");
    while p.now.0 + 300 < deadline.0 {
        p.run_for(10);
    }
    p.cut_links.insert((rep, first));
    let mut seen = Seen::new();
    run_collecting(&mut p, 4_000, &mut seen, &mut |p: &Parliament| {
        assert!(
            p.representatives().contains_key(&DistrictId(0)),
            "no representative at {}",
            p.now
        );
    });
    let events: Vec<(NodeId, Event)> = seen.into_iter().map(|(_, id, e)| (id, e)).collect();
    let group = DistrictId(0).group();
    assert_eq!(
        events,
        vec![
            (
                rep,
                Event::HandOver {
                    group,
                    term,
                    to: first
                }
            ),
            (
                rep,
                Event::HandOverAbandoned {
                    group,
                    term,
                    to: first
                }
            ),
            (
                rep,
                Event::HandOver {
                    group,
                    term,
                    to: second
                }
            ),
        ]
    );
    assert_eq!(p.representatives()[&DistrictId(0)], vec![second]);
    assert!(p.members[&second].district_status().term > term);
}

#[test]
fn without_limits_nobody_hands_over() {
    let mut p = Parliament::configured(3, 3, SessionConfig::default(), |c| {
        c.term_limits = TermLimits {
            representative: None,
            prime_minister: None,
        };
    });
    p.elect_prime_minister();
    let mut seen = Seen::new();
    run_collecting(&mut p, 20_000, &mut seen, &mut |_: &Parliament| {});
    assert_eq!(seen, Vec::new());
    assert_eq!(p.members[&NodeId(1)].representative_deadline(), None);
}

#[test]
fn a_term_limit_shorter_than_the_election_timeout_is_refused() {
    let cases: [(TermLimits, Option<&str>); 4] = [
        (TermLimits::default(), None),
        (
            TermLimits {
                representative: Some(Duration::from_millis(1_999)),
                prime_minister: None,
            },
            Some("representative"),
        ),
        (
            TermLimits {
                representative: None,
                prime_minister: Some(Duration::from_millis(5_999)),
            },
            Some("prime minister"),
        ),
        (
            TermLimits {
                representative: Some(2 * SECOND),
                prime_minister: Some(6 * SECOND),
            },
            None,
        ),
    ];
    for (limits, refused) in cases {
        let mut c = MemberConfig::new(NodeId(1), roster(1, 3), 1);
        c.term_limits = limits;
        match (Member::new(c, Persisted::default(), Time(0)), refused) {
            (Ok(_), None) => {}
            (Err(MemberError::TermLimitTooShort { level, .. }), Some(want)) => {
                assert_eq!(level, want);
            }
            (other, want) => panic!("{limits:?}: {:?}, want {want:?}", other.map(|m| m.id())),
        }
    }
}
