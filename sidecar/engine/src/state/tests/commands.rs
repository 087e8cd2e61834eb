//! What each command does to a key, table-driven, and how revisions move.

use bytes::Bytes;

use super::{Harness, district, key, put, rev};
use crate::state::{Command, KeyMeta, Outcome, Revision, Scope, Write, WriteOp};

fn meta(create: u64, modified: u64, version: u64) -> KeyMeta {
    KeyMeta {
        create_revision: rev(create),
        mod_revision: rev(modified),
        version,
    }
}

fn written(create: u64, modified: u64, version: u64) -> Outcome {
    Outcome::Written {
        meta: meta(create, modified, version),
    }
}

fn conflict(current: u64) -> Outcome {
    Outcome::Conflict {
        current_revision: rev(current),
    }
}

fn cas(expect: u64, value: Option<&'static str>) -> WriteOp {
    WriteOp::CompareAndSwap {
        expect: rev(expect),
        value: value.map(|s| Bytes::from_static(s.as_bytes())),
    }
}

/// Each case starts from a scope where `k` was created at revision 1 and rewritten at 2
/// (value "v2"), unless `absent`; applies one op to `k`; and checks the outcome, the
/// response revision and the value afterwards.
#[test]
fn each_write_op_on_present_and_absent_keys() {
    struct Case {
        name: &'static str,
        absent: bool,
        op: WriteOp,
        outcome: Outcome,
        revision: u64,
        value: Option<&'static str>,
    }
    let v = |s: &'static str| Bytes::from_static(s.as_bytes());
    let cases = [
        Case {
            name: "put creates",
            absent: true,
            op: WriteOp::Put(v("n")),
            outcome: written(1, 1, 1),
            revision: 1,
            value: Some("n"),
        },
        Case {
            name: "put overwrites",
            absent: false,
            op: WriteOp::Put(v("n")),
            outcome: written(1, 3, 3),
            revision: 3,
            value: Some("n"),
        },
        Case {
            name: "put of an empty value",
            absent: true,
            op: WriteOp::Put(v("")),
            outcome: written(1, 1, 1),
            revision: 1,
            value: Some(""),
        },
        Case {
            name: "delete removes",
            absent: false,
            op: WriteOp::Delete,
            outcome: Outcome::Deleted { existed: true },
            revision: 3,
            value: None,
        },
        Case {
            name: "delete of nothing changes nothing",
            absent: true,
            op: WriteOp::Delete,
            outcome: Outcome::Deleted { existed: false },
            revision: 0,
            value: None,
        },
        Case {
            name: "cas on the current revision swaps",
            absent: false,
            op: cas(2, Some("n")),
            outcome: written(1, 3, 3),
            revision: 3,
            value: Some("n"),
        },
        Case {
            name: "cas on a stale revision conflicts",
            absent: false,
            op: cas(1, Some("n")),
            outcome: conflict(2),
            revision: 2,
            value: Some("v2"),
        },
        Case {
            name: "cas expecting absent on a present key conflicts",
            absent: false,
            op: cas(0, Some("n")),
            outcome: conflict(2),
            revision: 2,
            value: Some("v2"),
        },
        Case {
            name: "cas expecting absent creates",
            absent: true,
            op: cas(0, Some("n")),
            outcome: written(1, 1, 1),
            revision: 1,
            value: Some("n"),
        },
        Case {
            name: "cas expecting present on an absent key conflicts",
            absent: true,
            op: cas(5, Some("n")),
            outcome: conflict(0),
            revision: 0,
            value: None,
        },
        Case {
            name: "cas to nothing deletes",
            absent: false,
            op: cas(2, None),
            outcome: Outcome::Deleted { existed: true },
            revision: 3,
            value: None,
        },
        Case {
            name: "cas to nothing on absent is a no-op",
            absent: true,
            op: cas(0, None),
            outcome: Outcome::Deleted { existed: false },
            revision: 0,
            value: None,
        },
        Case {
            name: "create-if-absent creates",
            absent: true,
            op: WriteOp::CreateIfAbsent(v("n")),
            outcome: written(1, 1, 1),
            revision: 1,
            value: Some("n"),
        },
        Case {
            name: "create-if-absent on a present key conflicts",
            absent: false,
            op: WriteOp::CreateIfAbsent(v("n")),
            outcome: conflict(2),
            revision: 2,
            value: Some("v2"),
        },
    ];
    for case in cases {
        let mut h = Harness::new();
        let scope = district("a");
        if !case.absent {
            h.apply(put(&scope, "k", "v1"));
            h.apply(put(&scope, "k", "v2"));
        }
        let response = h.apply(Write {
            scope: scope.clone(),
            key: key("k"),
            op: case.op,
            request: None,
            fence: None,
        });
        assert_eq!(response.outcome, case.outcome, "{}", case.name);
        assert_eq!(response.revision, rev(case.revision), "{}", case.name);
        assert_eq!(
            h.sm.applied_revision(&scope),
            rev(case.revision),
            "{}",
            case.name
        );
        assert_eq!(h.value(&scope, "k").as_deref(), case.value, "{}", case.name);
        assert!(!response.replayed, "{}", case.name);
    }
}

#[test]
fn a_conflicting_request_is_discarded_not_merged() {
    let mut h = Harness::new();
    let s = Scope::Global;
    tracing::info!("--- two clients read k at revision 1 and both try to swap it");
    h.apply(put(&s, "k", "base"));
    let first = h.apply(Write::compare_and_swap(
        s.clone(),
        key("k"),
        rev(1),
        Some("a".into()),
    ));
    let second = h.apply(Write::compare_and_swap(
        s.clone(),
        key("k"),
        rev(1),
        Some("b".into()),
    ));
    assert_eq!(first.outcome, written(1, 2, 2));
    assert_eq!(
        second.outcome,
        conflict(2),
        "the loser learns the current revision"
    );
    assert_eq!(second.revision, rev(2));
    assert_eq!(
        h.value(&s, "k").as_deref(),
        Some("a"),
        "the winner's value, untouched"
    );

    tracing::info!("--- two clients race to create the same key");
    let a = h.apply(Write::create_if_absent(s.clone(), key("lock"), "a"));
    let b = h.apply(Write::create_if_absent(s.clone(), key("lock"), "b"));
    assert_eq!(a.outcome, written(3, 3, 1));
    assert_eq!(b.outcome, conflict(3));
    assert_eq!(h.value(&s, "lock").as_deref(), Some("a"));
}

#[test]
fn revisions_count_writes_per_scope_and_only_grow() {
    let mut h = Harness::new();
    let (a, b) = (district("a"), district("b"));
    let mut last = std::collections::BTreeMap::new();
    let steps: Vec<Command> = vec![
        put(&a, "x", "1").into(),
        put(&b, "x", "1").into(),
        put(&a, "y", "1").into(),
        Write::delete(a.clone(), key("nope")).into(),
        Write::create_if_absent(a.clone(), key("x"), "dup").into(),
        Command::Barrier {
            scope: b.clone(),
            fence: None,
        },
        Write::delete(a.clone(), key("x")).into(),
        put(&a, "x", "again").into(),
    ];
    let want_a = [1, 1, 2, 2, 2, 2, 3, 4];
    let want_b = [0, 1, 1, 1, 1, 1, 1, 1];
    for (i, command) in steps.into_iter().enumerate() {
        let scope = command.scope().clone();
        let response = h.apply(command);
        assert_eq!(response.revision, h.sm.applied_revision(&scope), "step {i}");
        let previous = last
            .insert(scope.clone(), response.revision)
            .unwrap_or(Revision::ZERO);
        assert!(
            response.revision >= previous,
            "step {i}: revisions never go back"
        );
        assert_eq!(h.sm.applied_revision(&a), rev(want_a[i]), "step {i}");
        assert_eq!(h.sm.applied_revision(&b), rev(want_b[i]), "step {i}");
    }
    let x = h.sm.get(&a, &key("x")).unwrap().value.unwrap();
    assert_eq!(
        x.meta,
        meta(4, 4, 1),
        "re-created after delete: new create revision, version 1"
    );
}

#[test]
fn barrier_answers_the_scope_revision_and_changes_nothing() {
    let mut h = Harness::new();
    let s = Scope::Critical;
    h.apply(put(&s, "a", "1"));
    h.apply(put(&s, "b", "1"));
    let before = h.sm.list(&s, "", None, 10).unwrap();
    let barrier = h.apply(Command::Barrier {
        scope: s.clone(),
        fence: None,
    });
    assert_eq!(
        (barrier.outcome, barrier.revision),
        (Outcome::Barrier, rev(2))
    );
    assert_eq!(h.sm.list(&s, "", None, 10).unwrap(), before);
    assert!(h.sm.can_serve_at_least(&s, barrier.revision));
}
