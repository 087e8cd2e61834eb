//! Round trips for every message and envelope kind, and malformed input refused with a
//! named field.

use bytes::Bytes;
use parliament_engine::engine::{ChangeError, Rejected};
use parliament_engine::westminster::{
    DistrictId, Envelope, Refused, SessionEntry, SessionMessage, Ticket,
};
use proptest::prelude::*;
use prost::Message as _;

use super::*;
use crate::MAX_SESSION_BATCH_ENTRIES;

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

// ---- envelopes --------------------------------------------------------------------

fn ticket() -> impl Strategy<Value = Ticket> {
    (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(origin, epoch, seq)| Ticket {
        origin: NodeId(origin),
        epoch,
        seq,
    })
}

fn command() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..32).prop_map(Bytes::from)
}

fn district_id() -> impl Strategy<Value = DistrictId> {
    // u64::MAX has no group id and is refused; every other id travels.
    (0..u64::MAX).prop_map(DistrictId)
}

fn change_error() -> impl Strategy<Value = ChangeError> {
    let id = || any::<u64>().prop_map(NodeId);
    prop_oneof![
        id().prop_map(ChangeError::AlreadyMember),
        id().prop_map(ChangeError::NotLearner),
        id().prop_map(ChangeError::NotMember),
        id().prop_map(ChangeError::LastVoter),
    ]
}

fn rejected() -> impl Strategy<Value = Rejected> {
    let id = || any::<u64>().prop_map(NodeId);
    let idx = || any::<u64>().prop_map(LogIndex);
    let with_fields = prop_oneof![
        (proptest::option::of(id()), any::<u64>()).prop_map(|(leader, term)| Rejected::NotLeader {
            leader,
            term: Term(term)
        }),
        id().prop_map(|to| Rejected::TransferInProgress { to }),
        any::<usize>().prop_map(|limit| Rejected::TooManyUncommitted { limit }),
        id().prop_map(Rejected::UnknownMember),
        any::<u64>().prop_map(|g| Rejected::WrongGroup(GroupId(g))),
        id().prop_map(Rejected::Misaddressed),
        idx().prop_map(|index| Rejected::ChangeInProgress { index }),
        change_error().prop_map(Rejected::InvalidChange),
        (id(), idx(), idx()).prop_map(|(id, matched, last)| Rejected::LearnerLagging {
            id,
            matched,
            last
        }),
    ];
    let unit = prop_oneof![
        Just(Rejected::EmptyProposal),
        Just(Rejected::LeadershipLost),
        Just(Rejected::ReservedCommand),
        Just(Rejected::LeaderNotReady),
    ];
    prop_oneof![with_fields, unit]
}

fn refused() -> impl Strategy<Value = Refused> {
    prop_oneof![
        (any::<u64>(), proptest::option::of(any::<u64>())).prop_map(|(g, leader)| {
            Refused::NotLeader {
                group: GroupId(g),
                leader: leader.map(NodeId),
            }
        }),
        (district_id(), any::<usize>(), any::<usize>()).prop_map(|(district, queued, max)| {
            Refused::Busy {
                district,
                queued,
                max,
            }
        }),
        any::<String>().prop_map(|scope| Refused::WrongDistrict { scope }),
        any::<String>().prop_map(Refused::Invalid),
        rejected().prop_map(Refused::Engine),
    ]
}

fn session_message() -> impl Strategy<Value = SessionMessage> {
    prop_oneof![
        (ticket(), command())
            .prop_map(|(ticket, command)| SessionMessage::Submit { ticket, command }),
        (
            district_id(),
            proptest::collection::vec(
                (ticket(), command())
                    .prop_map(|(ticket, command)| SessionEntry { ticket, command }),
                0..8
            )
        )
            .prop_map(|(district, entries)| SessionMessage::Batch { district, entries }),
        (ticket(), refused())
            .prop_map(|(ticket, reason)| SessionMessage::Refused { ticket, reason }),
    ]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    prop_oneof![
        message().prop_map(Envelope::District),
        (
            any::<u64>(),
            any::<bool>(),
            proptest::option::of(any::<u64>()),
            message()
        )
            .prop_map(|(inc, forwarded, origin, message)| Envelope::Commons {
                incarnation: Term(inc),
                forwarded,
                origin: origin.map(NodeId),
                message,
            }),
        session_message().prop_map(Envelope::Session),
    ]
}

fn through_the_wire(e: &Envelope) -> Result<Envelope, String> {
    let bytes = peer::Envelope::from(e).encode_to_vec();
    let decoded = peer::Envelope::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
    Envelope::try_from(decoded).map_err(|e| e.to_string())
}

proptest! {
    #[test]
    fn every_envelope_kind_round_trips_through_the_wire(e in envelope()) {
        prop_assert_eq!(through_the_wire(&e), Ok(e));
    }

    #[test]
    fn arbitrary_bytes_never_panic_as_an_envelope_or_frame(
        bytes in proptest::collection::vec(any::<u8>(), 0..256)
    ) {
        if let Ok(e) = peer::Envelope::decode(bytes.as_slice()) {
            let _ = Envelope::try_from(e);
        }
        if let Ok(peer::Frame { kind: Some(peer::frame::Kind::Batch(b)) }) =
            peer::Frame::decode(bytes.as_slice())
        {
            for e in b.envelopes {
                let _ = Envelope::try_from(e);
            }
        }
    }

    /// Random edits of a valid envelope reach deeper than random bytes: most still
    /// decode as protobuf and exercise the checks.
    #[test]
    fn corrupted_envelopes_never_panic(
        e in envelope(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = peer::Envelope::from(&e).encode_to_vec();
        if !bytes.is_empty() {
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
        }
        if let Ok(wire) = peer::Envelope::decode(bytes.as_slice()) {
            let _ = Envelope::try_from(wire);
        }
    }
}

fn a_ticket(seq: u64) -> Ticket {
    Ticket {
        origin: NodeId(3),
        epoch: 1_000,
        seq,
    }
}

/// One refusal of every variant, engine rejections and membership errors included.
fn every_refusal() -> Vec<Refused> {
    let mut all = vec![
        Refused::WrongDistrict {
            scope: "district/2".to_owned(),
        },
        Refused::NotLeader {
            group: GroupId(3),
            leader: Some(NodeId(5)),
        },
        Refused::NotLeader {
            group: GroupId(0),
            leader: None,
        },
        Refused::Invalid("the key is empty".to_owned()),
        Refused::Busy {
            district: DistrictId(2),
            queued: 1_024,
            max: 1_024,
        },
    ];
    let rejections = [
        Rejected::NotLeader {
            leader: Some(NodeId(1)),
            term: Term(7),
        },
        Rejected::NotLeader {
            leader: None,
            term: Term(0),
        },
        Rejected::TransferInProgress { to: NodeId(2) },
        Rejected::TooManyUncommitted { limit: 4_096 },
        Rejected::EmptyProposal,
        Rejected::UnknownMember(NodeId(9)),
        Rejected::WrongGroup(GroupId(4)),
        Rejected::Misaddressed(NodeId(8)),
        Rejected::LeadershipLost,
        Rejected::ReservedCommand,
        Rejected::LeaderNotReady,
        Rejected::ChangeInProgress {
            index: LogIndex(12),
        },
        Rejected::InvalidChange(ChangeError::AlreadyMember(NodeId(1))),
        Rejected::InvalidChange(ChangeError::NotLearner(NodeId(2))),
        Rejected::InvalidChange(ChangeError::NotMember(NodeId(3))),
        Rejected::InvalidChange(ChangeError::LastVoter(NodeId(4))),
        Rejected::LearnerLagging {
            id: NodeId(6),
            matched: LogIndex(10),
            last: LogIndex(900),
        },
    ];
    all.extend(rejections.into_iter().map(Refused::Engine));
    all
}

/// The variant of a refusal, through every nested enum. Exhaustive: a new variant of
/// `Refused`, `Rejected` or `ChangeError` breaks compilation here until it is listed
/// (and then fails the count below until `every_refusal` has a sample of it).
fn refusal_variant(r: &Refused) -> &'static str {
    match r {
        Refused::WrongDistrict { .. } => "wrong_district",
        Refused::NotLeader { .. } => "not_leader",
        Refused::Invalid(_) => "invalid",
        Refused::Busy { .. } => "busy",
        Refused::Engine(e) => match e {
            Rejected::NotLeader { .. } => "engine.not_leader",
            Rejected::TransferInProgress { .. } => "engine.transfer_in_progress",
            Rejected::TooManyUncommitted { .. } => "engine.too_many_uncommitted",
            Rejected::EmptyProposal => "engine.empty_proposal",
            Rejected::UnknownMember(_) => "engine.unknown_member",
            Rejected::WrongGroup(_) => "engine.wrong_group",
            Rejected::Misaddressed(_) => "engine.misaddressed",
            Rejected::LeadershipLost => "engine.leadership_lost",
            Rejected::ReservedCommand => "engine.reserved_command",
            Rejected::LeaderNotReady => "engine.leader_not_ready",
            Rejected::ChangeInProgress { .. } => "engine.change_in_progress",
            Rejected::InvalidChange(c) => match c {
                ChangeError::AlreadyMember(_) => "engine.invalid_change.already_member",
                ChangeError::NotLearner(_) => "engine.invalid_change.not_learner",
                ChangeError::NotMember(_) => "engine.invalid_change.not_member",
                ChangeError::LastVoter(_) => "engine.invalid_change.last_voter",
            },
            Rejected::LearnerLagging { .. } => "engine.learner_lagging",
        },
    }
}

/// One envelope of every kind, with one session refusal per refusal variant.
fn every_envelope() -> Vec<Envelope> {
    let m = Message {
        group: GroupId(3),
        from: NodeId(1),
        to: NodeId(2),
        term: Term(5),
        body: MessageBody::TimeoutNow,
    };
    let seat_message = Message {
        group: GroupId(0),
        ..m.clone()
    };
    let mut all = vec![
        Envelope::District(m),
        Envelope::Commons {
            incarnation: Term(4),
            forwarded: false,
            origin: None,
            message: seat_message.clone(),
        },
        Envelope::Commons {
            incarnation: Term(4),
            forwarded: true,
            origin: Some(NodeId(7)),
            message: seat_message,
        },
        Envelope::Session(SessionMessage::Submit {
            ticket: a_ticket(1),
            command: Bytes::from_static(b"\x01\x04put"),
        }),
        Envelope::Session(SessionMessage::Batch {
            district: DistrictId(2),
            entries: vec![],
        }),
        Envelope::Session(SessionMessage::Batch {
            district: DistrictId(u64::MAX - 1),
            entries: (1..=3)
                .map(|seq| SessionEntry {
                    ticket: a_ticket(seq),
                    command: Bytes::from(vec![seq as u8; 3]),
                })
                .collect(),
        }),
    ];
    all.extend(every_refusal().into_iter().map(|reason| {
        Envelope::Session(SessionMessage::Refused {
            ticket: a_ticket(9),
            reason,
        })
    }));
    all
}

#[test]
fn every_envelope_and_refusal_variant_round_trips_exactly() {
    let variants: std::collections::BTreeSet<_> =
        every_refusal().iter().map(refusal_variant).collect();
    assert_eq!(
        variants.len(),
        4 + 13 + 3,
        "every_refusal must hold a sample of each refusal variant: {variants:?}"
    );
    for e in every_envelope() {
        assert_eq!(through_the_wire(&e), Ok(e.clone()), "{e:?}");
    }
}

#[test]
fn a_version_1_batch_is_never_read_as_envelopes() {
    // Version 1 put engine messages in `Batch` field 1, now reserved: its bytes are
    // skipped as an unknown field, never misread.
    let v1_message = peer::Message::from(&Message {
        group: GroupId(1),
        from: NodeId(1),
        to: NodeId(2),
        term: Term(3),
        body: MessageBody::TimeoutNow,
    })
    .encode_to_vec();
    let mut v1_batch = vec![0x0a];
    prost::encoding::encode_varint(v1_message.len() as u64, &mut v1_batch);
    v1_batch.extend_from_slice(&v1_message);
    let decoded = peer::Batch::decode(v1_batch.as_slice()).expect("a valid protobuf message");
    assert!(decoded.envelopes.is_empty(), "{decoded:?}");
}

fn session(kind: peer::session_message::Kind) -> peer::Envelope {
    peer::Envelope {
        kind: Some(peer::envelope::Kind::Session(peer::SessionMessage {
            kind: Some(kind),
        })),
    }
}

fn wire_ticket() -> Option<peer::Ticket> {
    Some(peer::Ticket {
        origin: 1,
        epoch: 2,
        seq: 3,
    })
}

fn refusal(reason: peer::refused::Reason) -> peer::Envelope {
    session(peer::session_message::Kind::Refused(peer::SessionRefused {
        ticket: wire_ticket(),
        reason: Some(peer::Refused {
            reason: Some(reason),
        }),
    }))
}

fn engine_refusal(reason: Option<peer::rejected::Reason>) -> peer::Envelope {
    refusal(peer::refused::Reason::Engine(peer::Rejected { reason }))
}

fn wire_batch(district: u64, entries: usize) -> peer::Envelope {
    session(peer::session_message::Kind::Batch(peer::SessionBatch {
        district,
        entries: vec![
            peer::SessionEntry {
                ticket: wire_ticket(),
                command: Bytes::new(),
            };
            entries
        ],
    }))
}

#[test]
fn malformed_envelopes_are_errors_naming_the_field() {
    use peer::envelope::Kind;
    use peer::session_message::Kind as S;
    let missing = |message, field| Error::Missing { message, field };
    let cases: Vec<(&str, peer::Envelope, Error)> = vec![
        (
            "no kind",
            peer::Envelope { kind: None },
            missing("Envelope", "kind"),
        ),
        (
            "district message without body",
            peer::Envelope {
                kind: Some(Kind::District(wire(None))),
            },
            missing("Message", "body"),
        ),
        (
            "commons without its message",
            peer::Envelope {
                kind: Some(Kind::Commons(peer::CommonsMessage {
                    incarnation: 1,
                    forwarded: false,
                    origin: None,
                    message: None,
                })),
            },
            missing("CommonsMessage", "message"),
        ),
        (
            "commons message without body",
            peer::Envelope {
                kind: Some(Kind::Commons(peer::CommonsMessage {
                    incarnation: 1,
                    forwarded: true,
                    origin: None,
                    message: Some(wire(None)),
                })),
            },
            missing("Message", "body"),
        ),
        (
            "session without kind",
            peer::Envelope {
                kind: Some(Kind::Session(peer::SessionMessage { kind: None })),
            },
            missing("SessionMessage", "kind"),
        ),
        (
            "submit without ticket",
            session(S::Submit(peer::SessionSubmit {
                ticket: None,
                command: Bytes::from_static(b"x"),
            })),
            missing("SessionSubmit", "ticket"),
        ),
        (
            "batch entry without ticket",
            session(S::Batch(peer::SessionBatch {
                district: 1,
                entries: vec![peer::SessionEntry {
                    ticket: None,
                    command: Bytes::new(),
                }],
            })),
            missing("SessionEntry", "ticket"),
        ),
        (
            "refusal without ticket",
            session(S::Refused(peer::SessionRefused {
                ticket: None,
                reason: Some(peer::Refused {
                    reason: Some(peer::refused::Reason::Invalid("x".to_owned())),
                }),
            })),
            missing("SessionRefused", "ticket"),
        ),
        (
            "refusal without reason",
            session(S::Refused(peer::SessionRefused {
                ticket: wire_ticket(),
                reason: None,
            })),
            missing("SessionRefused", "reason"),
        ),
        (
            "refused with no reason set",
            session(S::Refused(peer::SessionRefused {
                ticket: wire_ticket(),
                reason: Some(peer::Refused { reason: None }),
            })),
            missing("Refused", "reason"),
        ),
        (
            "engine refusal with no reason set",
            engine_refusal(None),
            missing("Rejected", "reason"),
        ),
        (
            "invalid change with no error set",
            engine_refusal(Some(peer::rejected::Reason::InvalidChange(
                peer::rejected::InvalidChange { error: None },
            ))),
            missing("Rejected.InvalidChange", "error"),
        ),
    ];
    for (name, e, want) in cases {
        assert_eq!(Envelope::try_from(e), Err(want), "{name}");
    }

    let invalid: Vec<(&str, peer::Envelope, &str, &str)> = vec![
        (
            "commons append with a gap",
            peer::Envelope {
                kind: Some(Kind::Commons(peer::CommonsMessage {
                    incarnation: 1,
                    forwarded: false,
                    origin: None,
                    message: Some(append_of(3, vec![noop(4), noop(6)])),
                })),
            },
            "Append",
            "entries",
        ),
        (
            "batch of a district with no group",
            wire_batch(u64::MAX, 1),
            "SessionBatch",
            "district",
        ),
        (
            "batch over the entry limit",
            wire_batch(1, MAX_SESSION_BATCH_ENTRIES + 1),
            "SessionBatch",
            "entries",
        ),
        (
            "busy district with no group",
            refusal(peer::refused::Reason::Busy(peer::refused::Busy {
                district: u64::MAX,
                queued: 1,
                max: 1,
            })),
            "Refused.Busy",
            "district",
        ),
    ];
    for (name, e, want_message, want_field) in invalid {
        match Envelope::try_from(e) {
            Err(Error::Invalid {
                message,
                field,
                reason,
            }) => {
                assert_eq!(
                    (message, field),
                    (want_message, want_field),
                    "{name}: {reason}"
                );
            }
            other => panic!("{name}: expected an invalid-field error, got {other:?}"),
        }
    }
}

#[test]
fn collection_limits_refuse_one_more_than_the_limit_and_no_fewer() {
    assert!(Envelope::try_from(wire_batch(1, MAX_SESSION_BATCH_ENTRIES)).is_ok());
    let err = Envelope::try_from(wire_batch(1, MAX_SESSION_BATCH_ENTRIES + 1)).unwrap_err();
    assert!(
        err.to_string()
            .contains("4097 entries, over the limit of 4096"),
        "{err}"
    );

    let entries = |n: u64| (1..=n).map(noop).collect::<Vec<_>>();
    let at_limit = append_of(0, entries(MAX_APPEND_ENTRIES as u64));
    assert!(Message::try_from(at_limit).is_ok());
    let over = append_of(0, entries(MAX_APPEND_ENTRIES as u64 + 1));
    match Message::try_from(over) {
        Err(Error::Invalid { field, reason, .. }) => {
            assert_eq!(field, "entries");
            assert!(
                reason.contains("65537 entries, over the limit of 65536"),
                "{reason}"
            );
        }
        other => panic!("expected the append limit, got {other:?}"),
    }
}
