//! Limits and ownership: oversize values, the scope quota, scopes kept elsewhere, and
//! configurations that cannot work.

use bytes::Bytes;

use super::{Harness, district, key, put};
use crate::state::{
    Command, Config, Error, KEY_OVERHEAD_BYTES, Outcome, Rejected, Scope, StateMachine, Write,
    WriteOp,
};

#[test]
fn values_over_the_limit_are_refused_naming_field_value_and_limit() {
    let mut h = Harness::with(Config {
        max_value_bytes: 8,
        ..Config::default()
    });
    let s = district("a");
    let at_limit = h.apply(put(&s, "k", "12345678"));
    assert!(matches!(at_limit.outcome, Outcome::Written { .. }));
    let long = "x".repeat(100);
    let ops = [
        WriteOp::Put(Bytes::from(long.clone())),
        WriteOp::CreateIfAbsent(Bytes::from(long.clone())),
        WriteOp::CompareAndSwap {
            expect: at_limit.revision,
            value: Some(Bytes::from(long.clone())),
        },
    ];
    for op in ops {
        let name = op.name();
        let r = h.apply(Write {
            scope: s.clone(),
            key: key("k"),
            op,
            request: None,
            fence: None,
        });
        let Outcome::Rejected(rejected) = &r.outcome else {
            panic!("{name}: {r:?}");
        };
        assert_eq!(rejected.name(), "too-large", "{name}");
        let msg = rejected.to_string();
        assert!(
            msg.starts_with("value \"xxxx")
                && msg.contains("\"… is 100 bytes; the limit is 8 bytes"),
            "{name}: {msg}"
        );
        assert!(msg.len() < 160, "{name}: the value is truncated: {msg}");
    }
    assert_eq!(h.value(&s, "k").as_deref(), Some("12345678"));

    tracing::info!("--- binary values are shown in hex");
    let r = h.apply(Write::put(s.clone(), key("b"), vec![0xff_u8; 20]));
    let Outcome::Rejected(Rejected::TooLarge { preview, .. }) = r.outcome else {
        panic!("{r:?}");
    };
    assert!(
        preview.starts_with("0xffff") && preview.ends_with('…'),
        "{preview}"
    );
}

#[test]
fn the_scope_quota_refuses_growth_but_not_shrinking() {
    let per_key = |k: &str, v: &str| k.len() as u64 + v.len() as u64 + KEY_OVERHEAD_BYTES;
    let mut h = Harness::with(Config {
        max_scope_bytes: per_key("a", "1234") * 2,
        ..Config::default()
    });
    let s = Scope::Global;
    assert!(matches!(
        h.apply(put(&s, "a", "1234")).outcome,
        Outcome::Written { .. }
    ));
    assert!(matches!(
        h.apply(put(&s, "b", "1234")).outcome,
        Outcome::Written { .. }
    ));
    let full = h.apply(put(&s, "c", "1"));
    assert_eq!(
        full.outcome,
        Outcome::Rejected(Rejected::ScopeFull {
            used: per_key("a", "1234") * 2,
            needed: per_key("c", "1"),
            limit: per_key("a", "1234") * 2,
        })
    );
    assert!(
        full.outcome.name() == "scope-full"
            && matches!(&full.outcome, Outcome::Rejected(r) if r.to_string().contains("raise max_scope_bytes"))
    );
    assert!(
        matches!(h.apply(put(&s, "a", "12")).outcome, Outcome::Written { .. }),
        "shrinking"
    );
    assert!(
        matches!(
            h.apply(put(&s, "a", "1234")).outcome,
            Outcome::Written { .. }
        ),
        "back to the quota"
    );
    h.apply(Write::delete(s.clone(), key("b")));
    assert!(
        matches!(h.apply(put(&s, "c", "1")).outcome, Outcome::Written { .. }),
        "room again"
    );
}

#[test]
fn scopes_kept_elsewhere_are_refused_and_leave_no_trace() {
    let mine = district("a");
    let mut h = Harness::with(Config::for_scopes([mine.clone(), Scope::Global]));
    let other = district("b");
    let commands: [Command; 3] = [
        put(&other, "k", "v").into(),
        Command::OpenSession {
            scope: other.clone(),
        },
        Command::Barrier {
            scope: Scope::Critical,
            fence: None,
        },
    ];
    for command in commands {
        let scope = command.scope().clone();
        assert_eq!(
            h.sm.config().admit(&command),
            Err(Rejected::WrongScope {
                scope: scope.clone()
            }),
            "the shell can refuse before proposing"
        );
        let r = h.apply(command);
        assert_eq!(
            r.outcome,
            Outcome::Rejected(Rejected::WrongScope {
                scope: scope.clone()
            })
        );
        assert!(h.sm.get(&scope, &key("k")).is_err());
        assert!(!h.sm.can_serve_at_least(&scope, super::rev(0)));
    }
    assert!(matches!(
        h.apply(put(&mine, "k", "v")).outcome,
        Outcome::Written { .. }
    ));
    let mut twin = Harness::with(Config::for_scopes([mine.clone(), Scope::Global]));
    for i in 1..=3 {
        twin.sm.skip(super::idx(i)).unwrap();
    }
    twin.apply(put(&mine, "k", "v"));
    assert_eq!(
        twin.sm.snapshot(),
        h.sm.snapshot(),
        "refused commands changed nothing but the applied index"
    );
}

#[test]
fn rejected_commands_for_unseen_scopes_leave_no_store_behind() {
    let mut h = Harness::new();
    let before = h.sm.snapshot();
    h.apply(put(&district("x"), "k", "v").with_request(crate::state::RequestId::new(1, 1)));
    h.apply(Command::Barrier {
        scope: district("y"),
        fence: None,
    });
    h.apply(Command::CloseSession {
        scope: district("z"),
        client: 4,
    });
    let mut fresh = StateMachine::new(Config::default()).unwrap();
    for i in 1..=3 {
        fresh.skip(super::idx(i)).unwrap();
    }
    assert_ne!(before, h.sm.snapshot());
    assert_eq!(fresh.snapshot(), h.sm.snapshot());
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let cases: [(Config, &str); 5] = [
        (
            Config {
                max_value_bytes: 0,
                ..Config::default()
            },
            "max_value_bytes = 0",
        ),
        (
            Config {
                session_window: 0,
                ..Config::default()
            },
            "session_window = 0",
        ),
        (
            Config {
                max_sessions: 0,
                ..Config::default()
            },
            "max_sessions = 0",
        ),
        (
            Config {
                max_fence_groups: 0,
                ..Config::default()
            },
            "max_fence_groups = 0",
        ),
        (Config::for_scopes([]), "scopes = {}"),
    ];
    for (config, want) in cases {
        let err = StateMachine::new(config).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err}");
        assert!(err.to_string().contains(want), "{err} lacks {want}");
    }
}
