//! The apply contract (in order, once, no gaps) and reads of what was applied.

use bytes::Bytes;

use super::{Harness, district, idx, key, put, rev, token};
use crate::engine::{Entry, Payload};
use crate::state::{
    Command, Config, Error, KeyMeta, Outcome, Rejected, Revision, Scope, StateMachine,
};
use crate::types::{GroupId, Term};

#[test]
fn indexes_must_come_in_order_without_gaps_and_only_once() {
    let mut sm = StateMachine::new(Config::default()).unwrap();
    let s = district("a");
    let cmd = Command::from(put(&s, "k", "v")).encode();
    sm.apply(idx(1), None, &cmd).unwrap();
    sm.skip(idx(2)).unwrap();
    let image = sm.snapshot();
    let cases = [
        (
            idx(2),
            Error::AlreadyApplied {
                index: idx(2),
                applied: idx(2),
            },
        ),
        (
            idx(1),
            Error::AlreadyApplied {
                index: idx(1),
                applied: idx(2),
            },
        ),
        (
            idx(0),
            Error::AlreadyApplied {
                index: idx(0),
                applied: idx(2),
            },
        ),
        (
            idx(4),
            Error::Gap {
                index: idx(4),
                applied: idx(2),
            },
        ),
    ];
    for (index, want) in cases {
        assert_eq!(sm.apply(index, None, &cmd), Err(want.clone()), "{index}");
        assert_eq!(sm.skip(index), Err(want), "{index}");
        assert_eq!(sm.snapshot(), image, "{index}: nothing changed");
    }
    assert_eq!(sm.applied_revision(&s), rev(1));
    assert!(sm.apply(idx(3), None, &cmd).is_ok());
}

#[test]
fn entries_apply_with_the_token_of_their_term_and_noops_skip() {
    let mut sm = StateMachine::new(Config::default()).unwrap();
    let s = Scope::Global;
    let entries = [
        Entry {
            term: Term(3),
            index: idx(1),
            payload: Payload::Noop,
        },
        Entry {
            term: Term(3),
            index: idx(2),
            payload: Payload::Command(Command::from(put(&s, "k", "v")).encode()),
        },
    ];
    assert_eq!(sm.apply_entry(&entries[0], GroupId(9)), Ok(None));
    let r = sm.apply_entry(&entries[1], GroupId(9)).unwrap().unwrap();
    assert_eq!(r.token, Some(token(9, 3)));
    assert_eq!((r.index, r.revision), (idx(2), rev(1)));
    assert_eq!(sm.applied_index(), idx(2));
}

#[test]
fn bytes_that_are_not_a_command_are_answered_malformed_and_consume_the_index() {
    let mut sm = StateMachine::new(Config::default()).unwrap();
    let cases: [(&[u8], &str); 4] = [
        (b"", "command version is truncated"),
        (&[9], "encoding version 9; this build reads version 1"),
        (&[1, 77], "command kind has unknown tag 77 at offset 1"),
        (b"key=value", "encoding version 107"),
    ];
    for (i, (bytes, want)) in cases.into_iter().enumerate() {
        let index = idx(i as u64 + 1);
        let r = sm.apply(index, Some(token(1, 1)), bytes).unwrap();
        let Outcome::Rejected(Rejected::Malformed { reason }) = &r.outcome else {
            panic!("{bytes:?}: {r:?}");
        };
        assert!(
            reason.contains(want),
            "{bytes:?}: {reason:?} lacks {want:?}"
        );
        assert_eq!(
            (r.index, r.revision, r.token),
            (index, Revision::ZERO, Some(token(1, 1)))
        );
        assert_eq!(sm.applied_index(), index);
    }
}

#[test]
fn after_a_restart_from_a_snapshot_the_log_suffix_gives_the_same_state() {
    let mut h = Harness::new();
    let s = district("a");
    let c = h.open(&s);
    for i in 1..=3 {
        h.apply(put(&s, "k", &i.to_string()).with_request(crate::state::RequestId::new(c, i)));
    }
    tracing::info!("--- snapshot at index 4, then two more entries");
    let image = h.sm.snapshot();
    let tail: Vec<Bytes> = (4..=5)
        .map(|i| Command::from(put(&s, "k", &i.to_string())).encode())
        .collect();
    for (i, bytes) in tail.iter().enumerate() {
        h.sm.apply(idx(5 + i as u64), None, bytes).unwrap();
    }
    tracing::info!("--- crash; restore the snapshot and re-apply the suffix");
    let mut restored = StateMachine::restore(Config::default(), &image).unwrap();
    assert_eq!(restored.applied_index(), idx(4));
    assert!(matches!(
        restored.apply(idx(4), None, &tail[0]),
        Err(Error::AlreadyApplied { .. })
    ));
    for (i, bytes) in tail.iter().enumerate() {
        restored.apply(idx(5 + i as u64), None, bytes).unwrap();
    }
    assert_eq!(restored, h.sm);
    assert_eq!(restored.snapshot(), h.sm.snapshot());
}

#[test]
fn reads_serve_what_was_applied_with_its_revisions() {
    let mut h = Harness::new();
    let s = district("a");
    h.apply(put(&s, "k", "1"));
    h.apply(put(&s, "other", "x"));
    h.apply(put(&s, "k", "2"));
    let read = h.sm.get(&s, &key("k")).unwrap();
    assert_eq!(read.revision, rev(3));
    let value = read.value.unwrap();
    assert_eq!(value.value, Bytes::from_static(b"2"));
    assert_eq!(
        value.meta,
        KeyMeta {
            create_revision: rev(1),
            mod_revision: rev(3),
            version: 2
        }
    );
    let absent = h.sm.get(&s, &key("nope")).unwrap();
    assert_eq!((absent.revision, absent.value), (rev(3), None));
    let untouched = h.sm.get(&district("b"), &key("k")).unwrap();
    assert_eq!(
        (untouched.revision, untouched.value),
        (Revision::ZERO, None)
    );
}

#[test]
fn at_least_revision_reads_wait_for_their_revision() {
    let mut h = Harness::with(Config::for_scopes([district("a"), Scope::Global]));
    let s = district("a");
    h.apply(put(&s, "k", "1"));
    h.apply(put(&s, "k", "2"));
    let cases = [
        (s.clone(), 0, true),
        (s.clone(), 2, true),
        (s.clone(), 3, false),
        (Scope::Global, 0, true),
        (Scope::Global, 1, false),
        (district("b"), 0, false), // not kept here: never servable
    ];
    for (scope, r, want) in cases {
        assert_eq!(
            h.sm.can_serve_at_least(&scope, rev(r)),
            want,
            "{scope} at {r}"
        );
    }
}

#[test]
fn listing_pages_through_a_prefix_in_key_order() {
    let mut h = Harness::new();
    let s = Scope::Global;
    for k in ["app/b", "app/a", "app/c", "apple", "zz", "ap"] {
        h.apply(put(&s, k, k));
    }
    let names = |page: &crate::state::Page| {
        page.items
            .iter()
            .map(|(k, _)| k.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let first = h.sm.list(&s, "app/", None, 2).unwrap();
    assert_eq!(
        (names(&first), first.more, first.revision),
        (vec!["app/a".into(), "app/b".into()], true, rev(6))
    );
    let last_key = first.items.last().map(|(k, _)| k.clone()).unwrap();
    let second = h.sm.list(&s, "app/", Some(&last_key), 2).unwrap();
    assert_eq!(
        (names(&second), second.more),
        (vec!["app/c".to_owned()], false)
    );
    let all = h.sm.list(&s, "", None, 100).unwrap();
    assert_eq!(
        names(&all),
        ["ap", "app/a", "app/b", "app/c", "apple", "zz"]
    );
    let before_prefix = h.sm.list(&s, "app", Some(&key("a")), 10).unwrap();
    assert_eq!(
        names(&before_prefix).len(),
        4,
        "a start before the prefix starts at the prefix"
    );
    assert!(h.sm.list(&s, "q", None, 10).unwrap().items.is_empty());
    let zero = h.sm.list(&s, "", None, 0).unwrap();
    assert!(zero.items.is_empty() && zero.more);
}
