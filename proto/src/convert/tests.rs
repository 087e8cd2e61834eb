//! Round trips for every message kind, and malformed input refused with a named field.

use bytes::Bytes;
use proptest::prelude::*;
use prost::Message as _;

use super::*;

fn entry() -> impl Strategy<Value = Payload> {
    prop_oneof![
        Just(Payload::Noop),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|v| Payload::Command(Bytes::from(v))),
    ]
}

fn body() -> impl Strategy<Value = MessageBody> {
    let idx = || any::<u64>().prop_map(LogIndex);
    let term = || any::<u64>().prop_map(Term);
    prop_oneof![
        (idx(), term()).prop_map(|(last_index, last_term)| MessageBody::PreVote {
            last_index,
            last_term
        }),
        any::<bool>().prop_map(|granted| MessageBody::PreVoteResponse { granted }),
        (idx(), term(), any::<bool>()).prop_map(|(last_index, last_term, transfer)| {
            MessageBody::RequestVote {
                last_index,
                last_term,
                transfer,
            }
        }),
        any::<bool>().prop_map(|granted| MessageBody::RequestVoteResponse { granted }),
        (
            0..u64::MAX / 2,
            term(),
            proptest::collection::vec((any::<u64>(), entry()), 0..8),
            idx(),
            any::<u64>()
        )
            .prop_map(|(prev, prev_term, es, commit, round)| MessageBody::Append {
                prev_index: LogIndex(prev),
                prev_term,
                entries: es
                    .into_iter()
                    .enumerate()
                    .map(|(i, (t, payload))| Entry {
                        term: Term(t),
                        index: LogIndex(prev + 1 + i as u64),
                        payload,
                    })
                    .collect(),
                commit,
                round,
            }),
        (
            any::<bool>(),
            idx(),
            idx(),
            proptest::option::of(term()),
            any::<u64>()
        )
            .prop_map(|(success, index, hint_index, hint_term, round)| {
                MessageBody::AppendResponse {
                    success,
                    index,
                    hint_index,
                    hint_term,
                    round,
                }
            }),
        Just(MessageBody::TimeoutNow),
        (
            idx(),
            term(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..64),
            any::<bool>(),
            any::<u64>()
        )
            .prop_map(|(index, term, offset, data, done, round)| {
                MessageBody::InstallSnapshot {
                    meta: SnapshotMeta { index, term },
                    offset,
                    data: Bytes::from(data),
                    done,
                    round,
                }
            }),
        (idx(), term(), any::<u64>(), any::<bool>(), any::<u64>()).prop_map(
            |(index, term, received, done, round)| MessageBody::InstallSnapshotResponse {
                meta: SnapshotMeta { index, term },
                received,
                done,
                round,
            }
        ),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        body(),
    )
        .prop_map(|(g, f, t, term, body)| Message {
            group: GroupId(g),
            from: NodeId(f),
            to: NodeId(t),
            term: Term(term),
            body,
        })
}

proptest! {
    #[test]
    fn every_message_kind_round_trips_through_the_wire(m in message()) {
        let wire = peer::Message::from(&m).encode_to_vec();
        let decoded = peer::Message::decode(wire.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(Message::try_from(decoded), Ok(m));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(m) = peer::Message::decode(bytes.as_slice()) {
            let _ = Message::try_from(m);
        }
    }
}

#[test]
fn each_kind_is_covered_by_the_round_trip_strategy() {
    // The kinds the strategy draws from, checked against MessageBody::kind so that a new
    // variant without a strategy arm fails here.
    let kinds = [
        "pre_vote",
        "pre_vote_response",
        "request_vote",
        "request_vote_response",
        "append",
        "append_response",
        "timeout_now",
        "install_snapshot",
        "install_snapshot_response",
    ];
    let samples = [
        MessageBody::PreVote {
            last_index: LogIndex(1),
            last_term: Term(1),
        },
        MessageBody::PreVoteResponse { granted: true },
        MessageBody::RequestVote {
            last_index: LogIndex(1),
            last_term: Term(1),
            transfer: true,
        },
        MessageBody::RequestVoteResponse { granted: false },
        MessageBody::Append {
            prev_index: LogIndex(0),
            prev_term: Term(0),
            entries: vec![],
            commit: LogIndex(0),
            round: 0,
        },
        MessageBody::AppendResponse {
            success: true,
            index: LogIndex(0),
            hint_index: LogIndex(0),
            hint_term: None,
            round: 0,
        },
        MessageBody::TimeoutNow,
        MessageBody::InstallSnapshot {
            meta: SnapshotMeta::default(),
            offset: 0,
            data: Bytes::new(),
            done: true,
            round: 0,
        },
        MessageBody::InstallSnapshotResponse {
            meta: SnapshotMeta::default(),
            received: 0,
            done: true,
            round: 0,
        },
    ];
    for (kind, body) in kinds.iter().zip(samples) {
        assert_eq!(*kind, body.kind());
        // Exhaustive match: adding a variant breaks compilation here until it is listed.
        match body {
            MessageBody::PreVote { .. }
            | MessageBody::PreVoteResponse { .. }
            | MessageBody::RequestVote { .. }
            | MessageBody::RequestVoteResponse { .. }
            | MessageBody::Append { .. }
            | MessageBody::AppendResponse { .. }
            | MessageBody::TimeoutNow
            | MessageBody::InstallSnapshot { .. }
            | MessageBody::InstallSnapshotResponse { .. } => {}
        }
    }
}

fn wire(body: Option<Body>) -> peer::Message {
    peer::Message {
        group: 1,
        from: 2,
        to: 3,
        term: 4,
        body,
    }
}

fn append_of(prev_index: u64, entries: Vec<peer::Entry>) -> peer::Message {
    wire(Some(Body::Append(peer::Append {
        prev_index,
        prev_term: 1,
        entries,
        commit: 0,
        round: 0,
    })))
}

fn noop(index: u64) -> peer::Entry {
    peer::Entry {
        term: 1,
        index,
        payload: Some(peer::entry::Payload::Noop(peer::Noop {})),
    }
}

#[test]
fn malformed_messages_are_errors_naming_the_field() {
    let cases: Vec<(&str, peer::Message, Error)> = vec![
        (
            "no body",
            wire(None),
            Error::Missing {
                message: "Message",
                field: "body",
            },
        ),
        (
            "snapshot chunk without meta",
            wire(Some(
                Body::InstallSnapshot(peer::InstallSnapshot::default()),
            )),
            Error::Missing {
                message: "InstallSnapshot",
                field: "meta",
            },
        ),
        (
            "entry without payload",
            append_of(
                0,
                vec![peer::Entry {
                    term: 1,
                    index: 1,
                    payload: None,
                }],
            ),
            Error::Missing {
                message: "Entry",
                field: "payload",
            },
        ),
    ];
    for (name, m, want) in cases {
        assert_eq!(Message::try_from(m), Err(want), "{name}");
    }

    let invalid: Vec<(&str, peer::Message, &str)> = vec![
        ("gap", append_of(3, vec![noop(4), noop(6)]), "entries"),
        ("not after prev", append_of(3, vec![noop(3)]), "entries"),
        ("index zero", append_of(0, vec![noop(0)]), "index"),
        ("overflow", append_of(u64::MAX, vec![noop(1)]), "entries"),
    ];
    for (name, m, want_field) in invalid {
        match Message::try_from(m) {
            Err(Error::Invalid { field, reason, .. }) => {
                assert_eq!(field, want_field, "{name}: {reason}");
            }
            other => panic!("{name}: expected an invalid-field error, got {other:?}"),
        }
    }
}

#[test]
fn errors_say_what_was_wrong() {
    let err = Message::try_from(append_of(3, vec![noop(5)])).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("entry index 5 where 4 was expected"),
        "{text}"
    );
}
