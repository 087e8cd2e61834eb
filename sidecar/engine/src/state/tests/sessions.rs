//! Sessions: a retried write applies once; what a session remembers, and for how long.

use super::{Harness, district, key, put, rev, token};
use crate::state::{
    Command, Config, Outcome, Rejected, RequestId, Response, Scope, Write, WriteOp,
};

fn as_request(write: Write, client: u64, seq: u64) -> Write {
    write.with_request(RequestId::new(client, seq))
}

fn rejected(response: &Response) -> &Rejected {
    match &response.outcome {
        Outcome::Rejected(r) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn the_same_request_twice_applies_once() {
    let mut h = Harness::new();
    let s = district("a");
    let c = h.open(&s);
    tracing::info!("--- the client writes k=1; the answer is lost");
    let first = h.apply(as_request(put(&s, "k", "1"), c, 1));
    tracing::info!("--- someone else writes k=2");
    h.apply(put(&s, "k", "2"));
    tracing::info!("--- the client retries its request");
    let retry = h.apply(as_request(put(&s, "k", "1"), c, 1));
    assert!(retry.replayed);
    assert_eq!(
        (retry.revision, &retry.outcome),
        (first.revision, &first.outcome),
        "the retry is answered with the first answer"
    );
    assert_eq!(
        h.value(&s, "k").as_deref(),
        Some("2"),
        "the retry did not apply again"
    );
    assert_eq!(h.sm.applied_revision(&s), rev(2));
}

#[test]
fn a_retried_conditional_write_gets_its_first_answer_even_after_the_key_moved() {
    let mut h = Harness::new();
    let s = Scope::Global;
    let c = h.open(&s);
    let create = || as_request(Write::create_if_absent(s.clone(), key("lock"), "me"), c, 7);
    let first = h.apply(create());
    assert!(matches!(first.outcome, Outcome::Written { .. }));
    h.apply(Write::delete(s.clone(), key("lock")));
    let retry = h.apply(create());
    assert_eq!((retry.replayed, retry.outcome), (true, first.outcome));
    assert_eq!(h.value(&s, "lock"), None, "not re-created by the retry");
}

#[test]
fn the_replay_carries_the_token_of_the_original_commit() {
    let mut h = Harness::new();
    let s = district("a");
    let c = h.open(&s);
    h.token = Some(token(1, 4));
    let first = h.apply(as_request(put(&s, "k", "v"), c, 1));
    h.token = Some(token(1, 5));
    let retry = h.apply(as_request(put(&s, "k", "v"), c, 1));
    assert_eq!(first.token, Some(token(1, 4)));
    assert_eq!(
        retry.token,
        Some(token(1, 4)),
        "the leadership that committed the write"
    );
}

#[test]
fn pipelined_requests_may_commit_out_of_order_within_the_window() {
    let mut h = Harness::with(Config {
        session_window: 3,
        ..Config::default()
    });
    let s = district("a");
    let c = h.open(&s);
    for seq in [2, 1, 4, 3] {
        let r = h.apply(as_request(put(&s, &format!("k{seq}"), "v"), c, seq));
        assert!(
            matches!(r.outcome, Outcome::Written { .. }),
            "seq {seq}: {r:?}"
        );
    }
    assert_eq!(h.sm.applied_revision(&s), rev(4));
}

#[test]
fn requests_at_or_below_the_floor_are_refused_never_applied() {
    let mut h = Harness::with(Config {
        session_window: 3,
        ..Config::default()
    });
    let s = district("a");
    let c = h.open(&s);
    for seq in 1..=5 {
        h.apply(as_request(put(&s, "k", &seq.to_string()), c, seq));
    }
    tracing::info!("--- window 3 keeps 3, 4, 5; 1 and 2 are below the floor");
    let old = h.apply(as_request(put(&s, "k", "2"), c, 2));
    assert_eq!(
        rejected(&old),
        &Rejected::Duplicate {
            request: RequestId::new(c, 2),
            floor: 2
        }
    );
    assert!(!old.replayed);
    let kept = h.apply(as_request(put(&s, "k", "3"), c, 3));
    assert!(kept.replayed);
    assert_eq!(h.value(&s, "k").as_deref(), Some("5"));
    assert_eq!(h.sm.applied_revision(&s), rev(5));

    tracing::info!("--- sequence numbers start at 1: 0 is always below the floor");
    let c2 = h.open(&s);
    let zero = h.apply(as_request(put(&s, "k", "0"), c2, 0));
    assert!(matches!(
        rejected(&zero),
        Rejected::Duplicate { floor: 0, .. }
    ));
}

#[test]
fn unknown_closed_and_foreign_sessions_are_refused() {
    let mut h = Harness::new();
    let (a, b) = (district("a"), district("b"));
    let c = h.open(&a);
    let cases: [(&str, u64, &Scope); 3] = [
        ("never opened", 99, &a),
        ("client 0 is never issued", 0, &a),
        ("sessions belong to one scope", c, &b),
    ];
    for (name, client, scope) in cases {
        let r = h.apply(as_request(put(scope, "k", "v"), client, 1));
        assert_eq!(rejected(&r), &Rejected::UnknownSession { client }, "{name}");
        assert_eq!(h.value(scope, "k"), None, "{name}");
    }

    tracing::info!("--- close the session: its requests and a second close are refused");
    let closed = h.apply(Command::CloseSession {
        scope: a.clone(),
        client: c,
    });
    assert_eq!(closed.outcome, Outcome::SessionClosed);
    let late = h.apply(as_request(put(&a, "k", "v"), c, 1));
    assert_eq!(rejected(&late), &Rejected::UnknownSession { client: c });
    let again = h.apply(Command::CloseSession {
        scope: a.clone(),
        client: c,
    });
    assert_eq!(rejected(&again), &Rejected::UnknownSession { client: c });
    assert_eq!(h.sm.session_count(&a), 0);
}

#[test]
fn the_least_recently_active_session_is_evicted_and_ids_are_never_reused() {
    let mut h = Harness::with(Config {
        max_sessions: 2,
        ..Config::default()
    });
    let s = Scope::Global;
    let c1 = h.open(&s);
    let c2 = h.open(&s);
    h.apply(as_request(put(&s, "k", "1"), c1, 1));
    let c3 = h.open(&s);
    assert_eq!((c1, c2, c3), (1, 2, 3));
    assert_eq!(h.sm.session_count(&s), 2);
    let r2 = h.apply(as_request(put(&s, "k", "2"), c2, 1));
    assert_eq!(
        rejected(&r2),
        &Rejected::UnknownSession { client: c2 },
        "c2 was idle longest"
    );
    let r1 = h.apply(as_request(put(&s, "k", "1"), c1, 1));
    assert!(r1.replayed, "c1 was active, so kept with its answers");
    let r3 = h.apply(as_request(put(&s, "k", "3"), c3, 1));
    assert!(matches!(r3.outcome, Outcome::Written { .. }));
}

#[test]
fn rejections_are_saved_and_replayed_like_any_answer() {
    let mut h = Harness::with(Config {
        max_value_bytes: 4,
        ..Config::default()
    });
    let s = district("a");
    let c = h.open(&s);
    let big = || as_request(put(&s, "k", "too big"), c, 1);
    let first = h.apply(big());
    assert!(matches!(rejected(&first), Rejected::TooLarge { .. }));
    let retry = h.apply(big());
    assert_eq!((retry.replayed, &retry.outcome), (true, &first.outcome));
}

#[test]
fn a_write_without_a_request_id_applies_each_time() {
    let mut h = Harness::new();
    let s = district("a");
    let w = Write {
        scope: s.clone(),
        key: key("k"),
        op: WriteOp::Put("v".into()),
        request: None,
        fence: None,
    };
    h.apply(w.clone());
    h.apply(w);
    assert_eq!(h.sm.applied_revision(&s), rev(2));
}
