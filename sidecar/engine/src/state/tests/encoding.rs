//! The command and response encodings: exact round trips, and untrusted bytes that
//! decode to a value or a clear error, never a panic.

use proptest::prelude::*;

use super::{arb_command, arb_scope, arb_token, district, idx, put, rev};
use crate::state::{
    Command, Config, Error, KeyMeta, Outcome, Rejected, RequestId, Response, Revision,
    StateMachine, Write,
};
use crate::types::LogIndex;

fn arb_rejected() -> impl Strategy<Value = Rejected> {
    prop_oneof![
        ".{0,40}".prop_map(|reason| Rejected::Malformed { reason }),
        (".{0,8}", ".{0,40}", any::<u64>(), any::<u64>()).prop_map(
            |(field, preview, len, limit)| {
                Rejected::TooLarge {
                    field,
                    preview,
                    len,
                    limit,
                }
            }
        ),
        arb_scope().prop_map(|scope| Rejected::WrongScope { scope }),
        any::<u64>().prop_map(|client| Rejected::UnknownSession { client }),
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(c, s, floor)| Rejected::Duplicate {
            request: RequestId::new(c, s),
            floor
        }),
        (arb_token(), arb_token()).prop_map(|(fence, seen)| Rejected::StaleFence { fence, seen }),
        any::<u64>().prop_map(|limit| Rejected::TooManyFenceGroups { limit }),
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(used, needed, limit)| {
            Rejected::ScopeFull {
                used,
                needed,
                limit,
            }
        }),
    ]
}

fn arb_outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(c, m, version)| Outcome::Written {
            meta: KeyMeta {
                create_revision: Revision(c),
                mod_revision: Revision(m),
                version
            }
        }),
        any::<bool>().prop_map(|existed| Outcome::Deleted { existed }),
        any::<u64>().prop_map(|r| Outcome::Conflict {
            current_revision: Revision(r)
        }),
        Just(Outcome::Barrier),
        any::<u64>().prop_map(|client| Outcome::SessionOpened { client }),
        Just(Outcome::SessionClosed),
        arb_rejected().prop_map(Outcome::Rejected),
    ]
}

fn arb_response() -> impl Strategy<Value = Response> {
    (
        any::<u64>(),
        any::<u64>(),
        proptest::option::of(arb_token()),
        arb_outcome(),
        any::<bool>(),
    )
        .prop_map(|(index, revision, token, outcome, replayed)| Response {
            index: LogIndex(index),
            revision: Revision(revision),
            token,
            outcome,
            replayed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn commands_round_trip(command in arb_command()) {
        let bytes = command.encode();
        prop_assert_eq!(Command::decode(&bytes), Ok(command));
    }

    #[test]
    fn responses_round_trip(response in arb_response()) {
        let bytes = response.encode();
        prop_assert_eq!(Response::decode(&bytes), Ok(response));
    }

    /// Random bytes decode to a command or an error, and whatever decodes has exactly
    /// those bytes as its encoding (one encoding per value).
    #[test]
    fn random_bytes_decode_to_a_command_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        if let Ok(command) = Command::decode(&bytes) {
            let again = command.encode();
            prop_assert_eq!(again.as_ref(), bytes.as_slice());
        }
        if let Ok(response) = Response::decode(&bytes) {
            let again = response.encode();
            prop_assert_eq!(again.as_ref(), bytes.as_slice());
        }
    }

    /// Random bytes with a plausible start reach deeper into the decoder.
    #[test]
    fn random_tails_after_a_valid_header_decode_or_fail(
        kind in 0u8..6,
        tail in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        let mut bytes = vec![1, kind];
        bytes.extend_from_slice(&tail);
        if let Ok(command) = Command::decode(&bytes) {
            let again = command.encode();
            prop_assert_eq!(again.as_ref(), bytes.as_slice());
        }
        let mut sm = StateMachine::new(Config::default()).unwrap();
        let r = sm.apply(idx(1), None, &bytes);
        prop_assert!(r.is_ok(), "applying untrusted bytes always answers");
    }

    /// Damaging a valid encoding never panics; cutting it short always fails.
    #[test]
    fn damaged_encodings_fail_cleanly(
        command in arb_command(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let bytes = command.encode();
        let at = cut.index(bytes.len());
        prop_assert!(Command::decode(&bytes[..at]).is_err(), "prefix of {} bytes decoded", at);
        let mut flipped = bytes.to_vec();
        let i = flip.index(flipped.len());
        flipped[i] ^= 1 << bit;
        let _ = Command::decode(&flipped);
        let mut longer = bytes.to_vec();
        longer.push(0);
        let trailing = matches!(Command::decode(&longer), Err(Error::TrailingBytes { count: 1, .. }));
        prop_assert!(trailing);
    }
}

#[test]
fn decoding_errors_say_what_and_where() {
    let valid = Command::from(put(&district("a"), "k", "v").with_request(RequestId::new(1, 2)))
        .encode()
        .to_vec();
    let with = |at: usize, byte: u8| {
        let mut b = valid.clone();
        b[at] = byte;
        b
    };
    // Layout: 0 version, 1 kind, 2 scope tag, 3 name length, 4 name,
    // 5 request flag, 6..22 request, 22 fence flag, 23..25 key length, 25 key, 26 op ...
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            valid[..valid.len() - 1].to_vec(),
            "value is truncated: 1 bytes needed",
        ),
        (
            with(0, 2),
            "command version has encoding version 2; this build reads version 1",
        ),
        (with(2, 9), "scope has unknown tag 9 at offset 2"),
        (
            with(3, 64),
            "district name at offset 4 is 64 bytes; the limit is 63 bytes",
        ),
        (
            with(4, b'A'),
            "district name \"A\" is not allowed ('A' at byte 0)",
        ),
        (with(5, 2), "write request id has unknown tag 2 at offset 5"),
        (with(22, 7), "write fence has unknown tag 7 at offset 22"),
        (with(25, b'\n'), "control character '\\n' at byte 0"),
        (with(25, 0xff), "key at offset 25 is not valid UTF-8"),
        (with(26, 0), "write op has unknown tag 0 at offset 26"),
        (
            [valid.clone(), vec![0, 0]].concat(),
            "command has 2 trailing bytes after offset",
        ),
    ];
    for (bytes, want) in cases {
        let err = Command::decode(&bytes).expect_err(want);
        let msg = err.to_string();
        assert!(msg.contains(want), "{msg:?} lacks {want:?}");
    }
}

#[test]
fn a_key_longer_than_the_limit_is_refused_before_it_is_read() {
    let mut bytes = vec![1, 4, 2, 0, 0];
    bytes.extend_from_slice(&2000u16.to_le_bytes());
    bytes.extend_from_slice(&[b'k'; 2000]);
    let err = Command::decode(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("is 2000 bytes; the limit is 1024 bytes"),
        "{err}"
    );
}

#[test]
fn builders_set_request_and_fence() {
    let w = Write::delete(district("a"), super::key("k"))
        .with_request(RequestId::new(3, 4))
        .with_fence(super::token(1, 2));
    assert_eq!(w.request, Some(RequestId::new(3, 4)));
    assert_eq!(w.fence, Some(super::token(1, 2)));
    let command = Command::from(w);
    assert_eq!(
        (command.name(), command.scope()),
        ("delete", &district("a"))
    );
    assert_eq!(Command::decode(&command.encode()), Ok(command));
    let response = Response {
        index: idx(7),
        revision: rev(3),
        token: None,
        outcome: Outcome::Deleted { existed: true },
        replayed: false,
    };
    assert_eq!(Response::decode(&response.encode()), Ok(response));
}
