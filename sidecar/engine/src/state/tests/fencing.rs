//! Fencing: a scope refuses writes from a leadership older than one it has accepted.

use super::{Harness, district, key, put, rev, token};
use crate::state::{Command, Config, Outcome, Rejected, RequestId, Write};
use crate::types::GroupId;

fn written(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Written { .. })
}

#[test]
fn fenced_writes_follow_the_rule_in_order() {
    let mut h = Harness::new();
    let s = district("a");
    // (fence carried, accepted?, highest of group 1 afterwards)
    let steps = [
        (Some((1, 5)), true, Some(5)),
        (Some((1, 5)), true, Some(5)), // equal term: the same leadership again
        (Some((1, 4)), false, Some(5)), // older: refused
        (Some((1, 6)), true, Some(6)), // newer: accepted and raised
        (Some((1, 5)), false, Some(6)),
        (Some((2, 1)), true, Some(6)), // another group's terms are not comparable
        (None, true, Some(6)),         // fencing is opt-in per writer
    ];
    for (i, (fence, accepted, highest)) in steps.into_iter().enumerate() {
        let mut w = put(&s, "k", &i.to_string());
        if let Some((g, t)) = fence {
            w = w.with_fence(token(g, t));
        }
        let r = h.apply(w);
        assert_eq!(written(&r.outcome), accepted, "step {i}: {r:?}");
        if !accepted {
            let (g, t) = fence.unwrap();
            assert_eq!(
                r.outcome,
                Outcome::Rejected(Rejected::StaleFence {
                    fence: token(g, t),
                    seen: token(1, highest.unwrap()),
                }),
                "step {i}"
            );
        }
        assert_eq!(
            h.sm.highest_fence(&s, GroupId(1)),
            highest.map(|t| token(1, t)),
            "step {i}"
        );
    }
    assert_eq!(h.sm.highest_fence(&s, GroupId(2)), Some(token(2, 1)));
    assert_eq!(h.value(&s, "k").as_deref(), Some("6"));
}

#[test]
fn a_new_leader_fences_out_its_predecessor_with_a_barrier() {
    let mut h = Harness::new();
    let s = district("a");
    tracing::info!("--- the leader of term 6 writes");
    assert!(written(
        &h.apply(put(&s, "k", "old").with_fence(token(1, 6))).outcome
    ));
    tracing::info!("--- term 7's leader claims the scope before its first write");
    let claim = h.apply(Command::Barrier {
        scope: s.clone(),
        fence: Some(token(1, 7)),
    });
    assert_eq!(claim.outcome, Outcome::Barrier);
    tracing::info!("--- the deposed leader's delayed write arrives");
    let late = h.apply(put(&s, "k", "stale").with_fence(token(1, 6)));
    assert!(matches!(
        late.outcome,
        Outcome::Rejected(Rejected::StaleFence { .. })
    ));
    assert_eq!(h.value(&s, "k").as_deref(), Some("old"));
    tracing::info!("--- a stale barrier is refused too");
    let stale_claim = h.apply(Command::Barrier {
        scope: s.clone(),
        fence: Some(token(1, 6)),
    });
    assert!(matches!(
        stale_claim.outcome,
        Outcome::Rejected(Rejected::StaleFence { .. })
    ));
}

#[test]
fn fences_are_per_scope() {
    let mut h = Harness::new();
    let (a, b) = (district("a"), district("b"));
    h.apply(put(&a, "k", "v").with_fence(token(1, 9)));
    let r = h.apply(put(&b, "k", "v").with_fence(token(1, 3)));
    assert!(written(&r.outcome), "scope b has seen no fence of group 1");
}

#[test]
fn a_fence_that_passes_is_raised_even_if_the_write_conflicts() {
    let mut h = Harness::new();
    let s = district("a");
    h.apply(put(&s, "k", "v"));
    let r = h.apply(
        Write::compare_and_swap(s.clone(), key("k"), rev(0), Some("x".into()))
            .with_fence(token(1, 3)),
    );
    assert_eq!(
        r.outcome,
        Outcome::Conflict {
            current_revision: rev(1)
        }
    );
    assert_eq!(h.sm.highest_fence(&s, GroupId(1)), Some(token(1, 3)));
}

#[test]
fn a_retry_of_a_write_accepted_under_an_old_fence_replays_its_answer() {
    let mut h = Harness::new();
    let s = district("a");
    let c = h.open(&s);
    let w = put(&s, "k", "v")
        .with_fence(token(1, 5))
        .with_request(RequestId::new(c, 1));
    let first = h.apply(w.clone());
    h.apply(Command::Barrier {
        scope: s.clone(),
        fence: Some(token(1, 6)),
    });
    let retry = h.apply(w);
    assert!(
        retry.replayed,
        "the write did happen under term 5; the retry says so"
    );
    assert_eq!(retry.outcome, first.outcome);
}

#[test]
fn the_number_of_fenced_groups_is_bounded_and_never_evicted() {
    let mut h = Harness::with(Config {
        max_fence_groups: 2,
        ..Config::default()
    });
    let s = district("a");
    assert!(written(
        &h.apply(put(&s, "k", "1").with_fence(token(1, 1))).outcome
    ));
    assert!(written(
        &h.apply(put(&s, "k", "2").with_fence(token(2, 1))).outcome
    ));
    let third = h.apply(put(&s, "k", "3").with_fence(token(3, 1)));
    assert_eq!(
        third.outcome,
        Outcome::Rejected(Rejected::TooManyFenceGroups { limit: 2 })
    );
    let stale = h.apply(put(&s, "k", "4").with_fence(token(1, 0)));
    assert!(matches!(
        stale.outcome,
        Outcome::Rejected(Rejected::StaleFence { .. })
    ));
}
