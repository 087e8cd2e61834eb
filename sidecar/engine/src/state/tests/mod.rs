//! State-machine tests: a small harness that applies commands at consecutive indexes,
//! table-driven rule tests, and property tests of the encodings and of the whole store
//! against a reference model.

mod apply;
mod commands;
mod encoding;
mod fencing;
mod limits;
mod model;
mod names;
mod sessions;
mod snapshot;

use bytes::Bytes;
use proptest::prelude::*;

use crate::state::{
    Command, Config, Key, Outcome, RequestId, Response, Revision, Scope, StateMachine, Write,
    WriteOp,
};
use crate::types::{FencingToken, GroupId, LogIndex, Term};

/// A state machine fed at consecutive log indexes.
pub(super) struct Harness {
    pub(super) sm: StateMachine,
    pub(super) token: Option<FencingToken>,
}

impl Harness {
    pub(super) fn new() -> Harness {
        Harness::with(Config::default())
    }

    pub(super) fn with(config: Config) -> Harness {
        Harness {
            sm: StateMachine::new(config).unwrap(),
            token: None,
        }
    }

    /// Encodes `command`, applies it at the next index and returns the response.
    pub(super) fn apply(&mut self, command: impl Into<Command>) -> Response {
        let index = self.sm.applied_index().next();
        let command = command.into();
        let response = self.sm.apply(index, self.token, &command.encode()).unwrap();
        assert_eq!(response.index, index);
        response
    }

    /// Opens a session in `scope` and returns its client id.
    pub(super) fn open(&mut self, scope: &Scope) -> u64 {
        match self
            .apply(Command::OpenSession {
                scope: scope.clone(),
            })
            .outcome
        {
            Outcome::SessionOpened { client } => client,
            other => panic!("open session answered {other:?}"),
        }
    }

    /// The value of `k` in `scope`, as text.
    pub(super) fn value(&self, scope: &Scope, k: &str) -> Option<String> {
        self.sm
            .get(scope, &key(k))
            .unwrap()
            .value
            .map(|v| String::from_utf8(v.value.to_vec()).unwrap())
    }
}

pub(super) fn key(k: &str) -> Key {
    Key::new(k).unwrap()
}

pub(super) fn district(name: &str) -> Scope {
    Scope::district(name).unwrap()
}

pub(super) fn put(scope: &Scope, k: &str, v: &str) -> Write {
    Write::put(scope.clone(), key(k), Bytes::copy_from_slice(v.as_bytes()))
}

pub(super) fn token(group: u64, term: u64) -> FencingToken {
    FencingToken {
        group: GroupId(group),
        term: Term(term),
    }
}

pub(super) fn rev(n: u64) -> Revision {
    Revision(n)
}

pub(super) fn idx(n: u64) -> LogIndex {
    LogIndex(n)
}

// --- proptest strategies, shared by the encoding, snapshot and model tests ---

pub(super) fn arb_scope() -> impl Strategy<Value = Scope> {
    prop_oneof![
        Just(Scope::Global),
        Just(Scope::Critical),
        "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?".prop_map(|n| district(&n)),
    ]
}

pub(super) fn arb_key() -> impl Strategy<Value = Key> {
    "[a-z/]{1,8}|\\PC{1,20}".prop_map(|k| key(&k))
}

pub(super) fn arb_value() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
}

pub(super) fn arb_token() -> impl Strategy<Value = FencingToken> {
    (any::<u64>(), any::<u64>()).prop_map(|(g, t)| token(g, t))
}

pub(super) fn arb_write_op() -> impl Strategy<Value = WriteOp> {
    prop_oneof![
        arb_value().prop_map(WriteOp::Put),
        Just(WriteOp::Delete),
        (any::<u64>(), proptest::option::of(arb_value())).prop_map(|(e, value)| {
            WriteOp::CompareAndSwap {
                expect: Revision(e),
                value,
            }
        }),
        arb_value().prop_map(WriteOp::CreateIfAbsent),
    ]
}

pub(super) fn arb_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        arb_scope().prop_map(|scope| Command::OpenSession { scope }),
        (arb_scope(), any::<u64>())
            .prop_map(|(scope, client)| Command::CloseSession { scope, client }),
        (arb_scope(), proptest::option::of(arb_token()))
            .prop_map(|(scope, fence)| Command::Barrier { scope, fence }),
        (
            arb_scope(),
            arb_key(),
            arb_write_op(),
            proptest::option::of(
                (any::<u64>(), any::<u64>()).prop_map(|(c, s)| RequestId::new(c, s))
            ),
            proptest::option::of(arb_token()),
        )
            .prop_map(|(scope, key, op, request, fence)| {
                Command::Write(Write {
                    scope,
                    key,
                    op,
                    request,
                    fence,
                })
            }),
    ]
}
