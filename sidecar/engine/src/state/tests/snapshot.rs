//! Snapshots: exact round trips, one image per state, and damaged images refused with
//! a clear error.

use proptest::prelude::*;

use super::{Harness, arb_command, district, idx, put, token};
use crate::state::snapshot::digest;
use crate::state::wire::Writer;
use crate::state::{Command, Config, Error, RequestId, Scope, StateMachine};

/// A state with every kind of content: keys in several scopes, sessions with saved
/// answers, fences, deletions.
fn busy_state() -> StateMachine {
    let mut h = Harness::new();
    h.token = Some(token(4, 2));
    let (a, g) = (district("a"), Scope::Global);
    let c = h.open(&a);
    for i in 1..=5 {
        h.apply(put(&a, &format!("k{i}"), &i.to_string()).with_request(RequestId::new(c, i)));
    }
    h.apply(crate::state::Write::delete(a.clone(), super::key("k2")));
    h.apply(put(&g, "cfg", "on").with_fence(token(1, 3)));
    h.apply(Command::Barrier {
        scope: Scope::Critical,
        fence: Some(token(2, 1)),
    });
    h.open(&g);
    h.sm
}

fn seal(mut body: Vec<u8>) -> Vec<u8> {
    let sum = digest(&body);
    body.extend_from_slice(&sum.to_le_bytes());
    body
}

#[test]
fn a_snapshot_restores_to_the_same_state_and_the_same_bytes() {
    let sm = busy_state();
    let image = sm.snapshot();
    let restored = StateMachine::restore(Config::default(), &image).unwrap();
    assert_eq!(restored, sm);
    assert_eq!(restored.snapshot(), image);
    assert_eq!(
        busy_state().snapshot(),
        image,
        "the same history gives the same bytes"
    );
}

#[test]
fn every_truncation_and_every_flipped_bit_is_refused() {
    let image = busy_state().snapshot();
    for len in 0..image.len() {
        let err = StateMachine::restore(Config::default(), &image[..len]).unwrap_err();
        assert!(
            matches!(err, Error::CorruptSnapshot { .. } | Error::Truncated { .. }),
            "cut at {len}: {err}"
        );
    }
    let mut damaged = image.to_vec();
    for i in 0..damaged.len() {
        for bit in 0..8 {
            damaged[i] ^= 1 << bit;
            assert!(
                StateMachine::restore(Config::default(), &damaged).is_err(),
                "byte {i} bit {bit} flipped and accepted"
            );
            damaged[i] ^= 1 << bit;
        }
    }
}

#[test]
fn damaged_images_are_refused_saying_what_is_wrong() {
    let image = busy_state().snapshot().to_vec();
    let mut bad_magic = image.clone();
    bad_magic[0] = b'X';
    let mut bad_version = image.clone();
    bad_version[8] = 2;
    let mut bad_digest = image.clone();
    let last = bad_digest.len() - 1;
    bad_digest[last] ^= 1;

    // A sealed image whose content breaks an invariant: a key modified at revision 2
    // in a scope whose revision is 1.
    let mut w = Writer::new();
    w.raw(b"PARLSTAT");
    w.u8(1);
    w.u64(1); // applied
    w.u64(1); // one scope
    w.u8(2); // global
    w.u64(1); // revision
    w.u64(0); // no fences
    w.u64(1); // next client
    w.u64(0); // clock
    w.u64(0); // no sessions
    w.u64(1); // one key
    w.u16(1);
    w.raw(b"k");
    w.bytes(b"v");
    w.u64(2);
    w.u64(2);
    w.u64(1);
    let future_key = seal(w.finish());

    let cases: [(&[u8], &str); 5] = [
        (&bad_magic, "does not start with \"PARLSTAT\""),
        (&bad_version, "snapshot version has encoding version 2"),
        (&bad_digest, "does not match the content's"),
        (
            &future_key,
            "key \"k\" has revisions r2..r2 version 1 in a scope at r1",
        ),
        (b"", "snapshot magic is truncated"),
    ];
    for (bytes, want) in cases {
        let err = StateMachine::restore(Config::default(), bytes).unwrap_err();
        assert!(err.to_string().contains(want), "{err} lacks {want:?}");
    }
}

#[test]
fn an_image_holding_a_scope_this_configuration_does_not_keep_is_refused() {
    let image = busy_state().snapshot();
    let err = StateMachine::restore(Config::for_scopes([district("a")]), &image).unwrap_err();
    assert!(
        err.to_string()
            .contains("which this configuration does not keep"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever commands were applied, the image restores exactly.
    #[test]
    fn any_history_round_trips(commands in proptest::collection::vec(arb_command(), 0..40)) {
        let mut sm = StateMachine::new(Config::default()).unwrap();
        for (i, command) in commands.iter().enumerate() {
            sm.apply(idx(i as u64 + 1), Some(token(1, i as u64)), &command.encode()).unwrap();
        }
        let image = sm.snapshot();
        let restored = StateMachine::restore(Config::default(), &image).unwrap();
        prop_assert_eq!(restored.snapshot(), image);
        prop_assert_eq!(restored, sm);
    }

    /// Random content behind a valid header and digest reaches the content checks:
    /// it restores or fails cleanly, and what restores is canonical.
    #[test]
    fn sealed_random_content_restores_or_fails_cleanly(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        scopes in 0u64..3,
    ) {
        let mut w = Writer::new();
        w.raw(b"PARLSTAT");
        w.u8(1);
        w.u64(9);
        w.u64(scopes);
        w.raw(&body);
        let bytes = seal(w.finish());
        if let Ok(sm) = StateMachine::restore(Config::default(), &bytes) {
            let again = sm.snapshot();
            prop_assert_eq!(again.as_ref(), bytes.as_slice());
        }
    }

    #[test]
    fn random_bytes_never_restore(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(StateMachine::restore(Config::default(), &bytes).is_err());
    }
}
