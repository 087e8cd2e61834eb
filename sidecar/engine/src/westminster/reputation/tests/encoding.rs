//! The table's encoding: exact round trips, a pinned layout, and refusal of every
//! malformed input without panicking.

use std::time::Duration;

use proptest::prelude::*;

use crate::types::{LogIndex, NodeId, Time};
use crate::westminster::reputation::{DecodeError, ReputationTable, Score, TABLE_VERSION};

fn sample() -> ReputationTable {
    let mut t = ReputationTable::new(NodeId(3), LogIndex(0x0102), Time(0x0a0b));
    t.insert(
        NodeId(1),
        Score::new(0x1234).unwrap(),
        Duration::from_millis(5),
    );
    t.insert(NodeId(2), Score::MAX, Duration::ZERO);
    t
}

#[test]
fn the_layout_is_pinned() {
    let mut want = vec![TABLE_VERSION];
    for v in [3u64, 0x0102, 0x0a0b, 2] {
        want.extend_from_slice(&v.to_le_bytes());
    }
    want.extend_from_slice(&1u64.to_le_bytes());
    want.extend_from_slice(&0x1234u16.to_le_bytes());
    want.extend_from_slice(&5u64.to_le_bytes());
    want.extend_from_slice(&2u64.to_le_bytes());
    want.extend_from_slice(&10_000u16.to_le_bytes());
    want.extend_from_slice(&0u64.to_le_bytes());
    assert_eq!(sample().encode(), want);
    assert_eq!(ReputationTable::decode(&want), Ok(sample()));
}

#[test]
fn an_empty_table_round_trips() {
    let t = ReputationTable::new(NodeId(0), LogIndex(0), Time(0));
    assert_eq!(t.encode().len(), 33);
    assert_eq!(ReputationTable::decode(&t.encode()), Ok(t));
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let bytes = sample().encode();
    for cut in 0..bytes.len() {
        assert!(
            ReputationTable::decode(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        ReputationTable::decode(&longer),
        Err(DecodeError::RowCount {
            count: 2,
            available: 37,
            row_bytes: 18
        })
    ));
    assert!(matches!(
        ReputationTable::decode(&[]),
        Err(DecodeError::Truncated {
            what: "version",
            offset: 0,
            needed: 1,
            available: 0
        })
    ));
}

#[test]
fn malformed_content_is_refused_with_a_reason() {
    let bytes = sample().encode();
    let first_score = 33 + 8;
    let second_member = 33 + 18;

    let mut version = bytes.clone();
    version[0] = 2;
    let mut score = bytes.clone();
    score[first_score..first_score + 2].copy_from_slice(&10_001u16.to_le_bytes());
    let mut duplicate = bytes.clone();
    duplicate[second_member..second_member + 8].copy_from_slice(&1u64.to_le_bytes());
    let mut unordered = bytes.clone();
    unordered[second_member..second_member + 8].copy_from_slice(&0u64.to_le_bytes());
    let mut huge = bytes[..33].to_vec();
    huge[25..33].copy_from_slice(&u64::MAX.to_le_bytes());

    let cases: [(&str, Vec<u8>, DecodeError); 5] = [
        (
            "version",
            version,
            DecodeError::UnsupportedVersion {
                found: 2,
                supported: 1,
            },
        ),
        (
            "score",
            score,
            DecodeError::ScoreOutOfRange {
                member: NodeId(1),
                score: 10_001,
            },
        ),
        (
            "duplicate",
            duplicate,
            DecodeError::Unordered {
                previous: NodeId(1),
                member: NodeId(1),
            },
        ),
        (
            "unordered",
            unordered,
            DecodeError::Unordered {
                previous: NodeId(1),
                member: NodeId(0),
            },
        ),
        (
            "a huge count, refused before allocating",
            huge,
            DecodeError::RowCount {
                count: u64::MAX,
                available: 0,
                row_bytes: 18,
            },
        ),
    ];
    for (name, input, want) in cases {
        let err = ReputationTable::decode(&input).unwrap_err();
        assert!(!err.to_string().is_empty());
        assert_eq!(err, want, "{name}");
    }
}

prop_compose! {
    fn any_table()(
        publisher in any::<u64>(), index in any::<u64>(), at in any::<u64>(),
        rows in proptest::collection::btree_map(any::<u64>(), (0u16..=10_000, any::<u64>()), 0..32),
    ) -> ReputationTable {
        let mut t = ReputationTable::new(NodeId(publisher), LogIndex(index), Time(at));
        for (id, (score, millis)) in rows {
            t.insert(NodeId(id), Score::new(score).unwrap(), Duration::from_millis(millis));
        }
        t
    }
}

proptest! {
    #[test]
    fn tables_round_trip_exactly(t in any_table()) {
        let bytes = t.encode();
        let back = ReputationTable::decode(&bytes).unwrap();
        prop_assert_eq!(back.encode(), bytes);
        prop_assert_eq!(back, t);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = ReputationTable::decode(&bytes);
    }

    #[test]
    fn a_corrupted_table_is_refused_or_decodes_to_its_own_bytes(
        t in any_table(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = t.encode();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(decoded) = ReputationTable::decode(&bytes) {
            // One table, one encoding: whatever decodes re-encodes to the same bytes.
            prop_assert_eq!(decoded.encode(), bytes);
        }
    }
}
