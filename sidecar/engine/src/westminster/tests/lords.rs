//! The House of Lords: seated by the Prime Minister's decree from the districts'
//! nominees, ratifying critical decrees by majority, voting nay on unconstitutional
//! amendments, replaced when unreachable (docs/protocol.md#113-the-house-of-lords).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::state::{Key, Scope, Write};
use crate::types::NodeId;
use crate::westminster::{
    Amendment, DistrictId, Event, LordsConfig, MemberConfig, SessionConfig, TermLimits,
};

use super::parliament::Parliament;

fn quick_lords(c: &mut MemberConfig) {
    c.lords = LordsConfig {
        count: 3,
        timeout: Duration::from_secs(6),
        presence_interval: Duration::from_secs(2),
        lord_term: None,
    };
    c.term_limits = TermLimits {
        representative: None,
        prime_minister: None,
    };
}

fn seated(p: &Parliament) -> BTreeSet<(NodeId, DistrictId)> {
    let first = p.members.values().next().unwrap();
    first.lords().seated().iter().copied().collect()
}

fn convened() -> Parliament {
    let mut p = Parliament::configured(3, 3, SessionConfig::default(), quick_lords);
    p.elect_prime_minister();
    p.run_for(15_000);
    p
}

#[test]
fn three_lords_of_three_districts_are_seated_alike_everywhere() {
    let p = convened();
    let lords = seated(&p);
    assert_eq!(lords.len(), 3, "{lords:?}");
    let districts: BTreeSet<DistrictId> = lords.iter().map(|(_, d)| *d).collect();
    assert_eq!(districts.len(), 3);
    for m in p.members.values() {
        let mine: BTreeSet<_> = m.lords().seated().iter().copied().collect();
        assert_eq!(mine, lords, "member {}", m.id());
        assert_eq!(m.is_lord(), lords.iter().any(|(l, _)| *l == m.id()));
        // Each Lord is its district's nominee.
        for (l, d) in &lords {
            assert_eq!(m.nominees().get(d), Some(l));
        }
    }
}

#[test]
fn a_critical_write_takes_effect_where_the_lords_majority_is_reached() {
    let mut p = convened();
    let origin = *p.members.keys().next().unwrap();
    let now = p.now;
    let cmd = Write::put(Scope::Critical, Key::new("c").unwrap(), "v1").into();
    let ticket = p.member(origin).submit_global(now, &cmd).unwrap();
    p.run_for(3_000);
    let answered = p.events[&origin].iter().find_map(|e| match e {
        Event::GlobalApplied {
            ticket: t,
            mine: true,
            index,
            ..
        } if *t == ticket => Some(*index),
        _ => None,
    });
    let index = answered.expect("the critical write was answered at its origin");
    for m in p.members.values() {
        let read = m.get(&Scope::Critical, &Key::new("c").unwrap()).unwrap();
        assert_eq!(
            read.value.map(|v| v.value).as_deref(),
            Some(&b"v1"[..]),
            "{}",
            m.id()
        );
        let decided: Vec<_> = m.enacted().filter(|e| e.index == index).collect();
        assert_eq!(decided.len(), 1, "member {}", m.id());
        assert!(decided[0].passed);
        assert_eq!(decided[0].seated, 3);
        assert!(decided[0].ayes.len() >= 2);
        assert!(decided[0].decree < index);
    }
    tracing::info!("--- the Prime Minister cannot propose a critical write around the Lords");
    let pm = p.prime_ministers()[0];
    let now = p.now;
    assert!(p.member(pm).propose(now, &cmd).is_err());
}

#[test]
fn the_lords_reject_an_unconstitutional_amendment_and_pass_a_constitutional_one() {
    let mut p = convened();
    let origin = *p.members.keys().next().unwrap();
    let now = p.now;
    let bad = Amendment::RemoveDistricts {
        districts: [DistrictId(0), DistrictId(1)].into(),
    };
    p.member(origin)
        .propose_amendment(now, bad.clone())
        .unwrap();
    p.run_for(3_000);
    let now = p.now;
    let good = Amendment::SetTermLimits {
        representative: Some(Duration::from_secs(600)),
        prime_minister: None,
    };
    p.member(origin)
        .propose_amendment(now, good.clone())
        .unwrap();
    p.run_for(3_000);
    for m in p.members.values() {
        let decided: Vec<(bool, crate::westminster::CriticalDecree)> =
            m.enacted().map(|e| (e.passed, e.content.clone())).collect();
        assert_eq!(
            decided,
            vec![
                (
                    false,
                    crate::westminster::CriticalDecree::Amend(bad.clone())
                ),
                (
                    true,
                    crate::westminster::CriticalDecree::Amend(good.clone())
                ),
            ],
            "member {}",
            m.id()
        );
    }
    let rejected = p.events[&origin]
        .iter()
        .any(|e| matches!(e, Event::CriticalRejected { reasons, .. } if reasons.iter().all(|r| r.contains("majority"))));
    assert!(rejected);
    tracing::info!("--- the ratified term limit is in force at every representative");
    for (_, reps) in p.representatives() {
        assert!(p.members[&reps[0]].representative_deadline().is_some());
    }
}

#[test]
fn an_unreachable_lord_is_replaced_by_a_reachable_member_of_its_district() {
    let mut p = convened();
    let pm = p.prime_ministers()[0];
    let pm_district = p.roster.district_of(pm).unwrap();
    let (victim, district) = *seated(&p).iter().find(|(_, d)| *d != pm_district).unwrap();
    tracing::info!(%victim, "--- cut Lord {victim} off for 30 s");
    p.cut.insert(victim);
    p.run_for(30_000);
    let now: BTreeSet<(NodeId, DistrictId)> =
        p.members[&pm].lords().seated().iter().copied().collect();
    assert!(!now.iter().any(|(l, _)| *l == victim), "{now:?}");
    assert_eq!(now.len(), 3, "{now:?}");
    assert!(
        now.iter().any(|(l, d)| *d == district && *l != victim),
        "{now:?}"
    );
}

#[test]
fn lords_rotate_one_at_a_time_when_their_staggered_terms_end() {
    let mut p = Parliament::configured(3, 3, SessionConfig::default(), |c| {
        quick_lords(c);
        c.lords.lord_term = Some(Duration::from_secs(30));
    });
    p.elect_prime_minister();
    p.run_for(15_000);
    let pm = p.prime_ministers()[0];
    let first = p.members[&pm].lords().seated_terms();
    assert_eq!(first.len(), 3, "{first:?}");
    let mut ends: Vec<Duration> = first.iter().filter_map(|s| s.term_end).collect();
    ends.sort();
    assert_eq!(ends.len(), 3);
    tracing::info!(?ends, "--- the terms end 10 s apart");
    for w in ends.windows(2) {
        assert_eq!(w[1] - w[0], Duration::from_secs(10), "{ends:?}");
    }
    tracing::info!("--- run two terms: every seat is given anew, later, alike everywhere");
    p.run_for(60_000);
    let pm = p.prime_ministers()[0];
    let later = p.members[&pm].lords().seated_terms();
    assert_eq!(later.len(), 3, "{later:?}");
    let clock = p.members[&pm].lords().clock().unwrap();
    assert!(clock >= Duration::from_secs(50), "{clock:?}");
    for s in &later {
        let end = s.term_end.unwrap();
        assert!(end > ends[2], "{s:?} still ends by the first schedule");
        for m in p.members.values() {
            assert_eq!(m.lords().term_ends(s.lord), Some(end), "member {}", m.id());
        }
    }
    let districts: BTreeSet<DistrictId> = later.iter().map(|s| s.district).collect();
    assert_eq!(districts.len(), 3);
}
