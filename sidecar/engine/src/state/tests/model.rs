//! Model-based tests: random command sequences applied to the state machine and to a
//! plain reference model written straight from docs/store.md, compared step by step.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use proptest::prelude::*;

use super::{district, idx, key, token};
use crate::state::error::preview;
use crate::state::{
    Command, Config, KeyMeta, Outcome, Rejected, RequestId, Response, Revision, Scope,
    StateMachine, Write, WriteOp,
};
use crate::types::GroupId;

const MAX_VALUE: usize = 3;
const KEYS: [&str; 3] = ["a", "b", "c"];

fn scopes() -> [Scope; 2] {
    [Scope::Global, district("d")]
}

/// One scope of the reference model: unbounded memory, no eviction, no cleverness.
#[derive(Default)]
struct ModelScope {
    revision: u64,
    keys: BTreeMap<String, (Bytes, KeyMeta)>,
    fences: BTreeMap<u64, u64>,
    next_client: u64,
    /// Open sessions and every answer they gave, by sequence number.
    sessions: BTreeMap<u64, BTreeMap<u64, (u64, Outcome)>>,
}

impl ModelScope {
    fn fence(&mut self, fence: Option<crate::types::FencingToken>) -> Option<Outcome> {
        let f = fence?;
        let seen = self.fences.entry(f.group.get()).or_insert(f.term.get());
        if *seen > f.term.get() {
            let seen = token(f.group.get(), *seen);
            return Some(Outcome::Rejected(Rejected::StaleFence { fence: f, seen }));
        }
        *seen = f.term.get();
        None
    }

    fn store(&mut self, k: &str, value: &Bytes) -> Outcome {
        self.revision += 1;
        let r = Revision(self.revision);
        let meta = match self.keys.get(k) {
            Some((_, m)) => KeyMeta {
                create_revision: m.create_revision,
                mod_revision: r,
                version: m.version + 1,
            },
            None => KeyMeta {
                create_revision: r,
                mod_revision: r,
                version: 1,
            },
        };
        self.keys.insert(k.to_owned(), (value.clone(), meta));
        Outcome::Written { meta }
    }

    fn remove(&mut self, k: &str) -> Outcome {
        let existed = self.keys.remove(k).is_some();
        if existed {
            self.revision += 1;
        }
        Outcome::Deleted { existed }
    }

    fn write(&mut self, w: &Write) -> Outcome {
        if let Some(v) = w.op.value().filter(|v| v.len() > MAX_VALUE) {
            return Outcome::Rejected(Rejected::TooLarge {
                field: "value".into(),
                preview: preview(v),
                len: v.len() as u64,
                limit: MAX_VALUE as u64,
            });
        }
        if let Some(rejected) = self.fence(w.fence) {
            return rejected;
        }
        let k = w.key.as_str();
        let current = self.keys.get(k).map_or(0, |(_, m)| m.mod_revision.get());
        match &w.op {
            WriteOp::Put(v) => self.store(k, v),
            WriteOp::Delete => self.remove(k),
            WriteOp::CompareAndSwap { expect, value } => {
                if expect.get() != current {
                    Outcome::Conflict {
                        current_revision: Revision(current),
                    }
                } else if let Some(v) = value {
                    self.store(k, v)
                } else {
                    self.remove(k)
                }
            }
            WriteOp::CreateIfAbsent(v) => {
                if self.keys.contains_key(k) {
                    Outcome::Conflict {
                        current_revision: Revision(current),
                    }
                } else {
                    self.store(k, v)
                }
            }
        }
    }

    /// (revision, outcome, replayed)
    fn apply(&mut self, command: &Command) -> (u64, Outcome, bool) {
        let outcome = match command {
            Command::OpenSession { .. } => {
                self.next_client += 1;
                self.sessions.insert(self.next_client, BTreeMap::new());
                Outcome::SessionOpened {
                    client: self.next_client,
                }
            }
            Command::CloseSession { client, .. } => match self.sessions.remove(client) {
                Some(_) => Outcome::SessionClosed,
                None => Outcome::Rejected(Rejected::UnknownSession { client: *client }),
            },
            Command::Barrier { fence, .. } => self.fence(*fence).unwrap_or(Outcome::Barrier),
            Command::Write(w) => {
                if let Some(id) = w.request {
                    let Some(answers) = self.sessions.get(&id.client) else {
                        return (
                            self.revision,
                            Outcome::Rejected(Rejected::UnknownSession { client: id.client }),
                            false,
                        );
                    };
                    if let Some((revision, outcome)) = answers.get(&id.seq) {
                        return (*revision, outcome.clone(), true);
                    }
                }
                let outcome = self.write(w);
                if let Some(id) = w.request {
                    let revision = self.revision;
                    if let Some(answers) = self.sessions.get_mut(&id.client) {
                        answers.insert(id.seq, (revision, outcome.clone()));
                    }
                }
                outcome
            }
        };
        (self.revision, outcome, false)
    }
}

fn arb_model_command() -> impl Strategy<Value = Command> {
    let scope = prop::sample::select(scopes().to_vec());
    let k = prop::sample::select(KEYS.to_vec()).prop_map(key);
    let value = proptest::collection::vec(b'a'..=b'e', 0..=MAX_VALUE + 1).prop_map(Bytes::from);
    let fence =
        proptest::option::weighted(0.3, (1u64..=2, 1u64..=4).prop_map(|(g, t)| token(g, t)));
    let request = proptest::option::weighted(
        0.6,
        (1u64..=3, 1u64..=6).prop_map(|(c, s)| RequestId::new(c, s)),
    );
    let op = prop_oneof![
        3 => value.clone().prop_map(WriteOp::Put),
        1 => Just(WriteOp::Delete),
        2 => (0u64..6, proptest::option::weighted(0.8, value.clone()))
            .prop_map(|(e, value)| WriteOp::CompareAndSwap { expect: Revision(e), value }),
        2 => value.prop_map(WriteOp::CreateIfAbsent),
    ];
    prop_oneof![
        8 => (scope.clone(), k, op, request, fence.clone()).prop_map(|(scope, key, op, request, fence)| {
            Command::Write(Write { scope, key, op, request, fence })
        }),
        1 => scope.clone().prop_map(|scope| Command::OpenSession { scope }),
        1 => (scope.clone(), fence).prop_map(|(scope, fence)| Command::Barrier { scope, fence }),
        1 => (scope, 1u64..=3).prop_map(|(scope, client)| Command::CloseSession { scope, client }),
    ]
}

/// Three sessions open in every scope, then the random commands: so that most request
/// ids name a live session.
fn with_sessions(commands: Vec<Command>) -> Vec<Command> {
    let opens = scopes()
        .into_iter()
        .flat_map(|scope| std::iter::repeat_n(Command::OpenSession { scope }, 3));
    opens.chain(commands).collect()
}

fn model_config() -> Config {
    Config {
        max_value_bytes: MAX_VALUE,
        session_window: 1000,
        max_sessions: 1000,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// With bounds too large to bite, the state machine answers every command exactly
    /// as the model does and holds the same keys after every step.
    #[test]
    fn the_store_behaves_like_the_reference_model(
        commands in proptest::collection::vec(arb_model_command(), 1..80).prop_map(with_sessions),
    ) {
        let mut sm = StateMachine::new(model_config()).unwrap();
        let mut model: BTreeMap<Scope, ModelScope> = BTreeMap::new();
        for (i, command) in commands.iter().enumerate() {
            let index = idx(i as u64 + 1);
            let got = sm.apply(index, None, &command.encode()).unwrap();
            let m = model.entry(command.scope().clone()).or_default();
            let (revision, outcome, replayed) = m.apply(command);
            let want = Response { index, revision: Revision(revision), token: None, outcome, replayed };
            prop_assert_eq!(&got, &want, "step {}: {:?}", i, command);
            for scope in scopes() {
                let m = model.entry(scope.clone()).or_default();
                prop_assert_eq!(sm.applied_revision(&scope), Revision(m.revision));
                for k in KEYS {
                    let read = sm.get(&scope, &key(k)).unwrap();
                    let want = m.keys.get(k).map(|(v, meta)| (v.clone(), *meta));
                    let got = read.value.map(|v| (v.value, v.meta));
                    prop_assert_eq!(got, want, "step {} {} {}", i, scope, k);
                }
                for (group, term) in &m.fences {
                    prop_assert_eq!(sm.highest_fence(&scope, GroupId(*group)), Some(token(*group, *term)));
                }
            }
        }
        let image = sm.snapshot();
        prop_assert_eq!(StateMachine::restore(model_config(), &image).unwrap(), sm);
    }

    /// With tiny bounds (eviction of answers and sessions at work), no request id is
    /// ever executed twice: a retry is replayed or refused, never applied again.
    #[test]
    fn no_request_applies_twice_under_eviction(
        commands in proptest::collection::vec(arb_model_command(), 1..120).prop_map(with_sessions),
        window in 1usize..3,
        max_sessions in 1usize..3,
    ) {
        let config = Config { max_value_bytes: MAX_VALUE, session_window: window, max_sessions, ..Config::default() };
        let mut sm = StateMachine::new(config).unwrap();
        let mut executed: BTreeSet<(Scope, u64, u64)> = BTreeSet::new();
        for (i, command) in commands.iter().enumerate() {
            let r = sm.apply(idx(i as u64 + 1), None, &command.encode()).unwrap();
            let Command::Write(w) = command else { continue };
            let Some(id) = w.request else { continue };
            let refused = matches!(
                r.outcome,
                Outcome::Rejected(Rejected::UnknownSession { .. } | Rejected::Duplicate { .. })
            );
            if !r.replayed && !refused {
                prop_assert!(
                    executed.insert((w.scope.clone(), id.client, id.seq)),
                    "step {}: {} executed twice", i, id
                );
            }
            prop_assert!(sm.session_count(&w.scope) <= max_sessions);
        }
    }
}
