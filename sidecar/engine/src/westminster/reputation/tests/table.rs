//! Decisions read from a table: ranking and its tie-break, candidacy rank, hand-over
//! target, Lords, and the union of district tables.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;

use crate::types::{LogIndex, NodeId, Time};
use crate::westminster::reputation::{ReputationTable, Row, Score};

fn table(rows: &[(u64, u16)]) -> ReputationTable {
    let mut t = ReputationTable::new(NodeId(0), LogIndex(1), Time(0));
    for (id, score) in rows {
        t.insert(NodeId(*id), Score::new(*score).unwrap(), Duration::ZERO);
    }
    t
}

fn ids(v: &[u64]) -> Vec<NodeId> {
    v.iter().copied().map(NodeId).collect()
}

#[test]
fn ranking_is_by_score_then_lowest_id() {
    let t = table(&[(5, 7_000), (2, 9_000), (9, 7_000), (1, 7_000), (3, 0)]);
    assert_eq!(t.ranking(), ids(&[2, 1, 5, 9, 3]));
    let ranks: Vec<_> = [2, 1, 5, 9, 3]
        .iter()
        .map(|id| t.rank_of(NodeId(*id)))
        .collect();
    assert_eq!(
        ranks,
        vec![
            Some((0, 5)),
            Some((1, 5)),
            Some((2, 5)),
            Some((3, 5)),
            Some((4, 5))
        ]
    );
    assert_eq!(t.rank_of(NodeId(4)), None, "no row, no rank");
}

#[test]
fn an_empty_table_ranks_nobody() {
    let t = table(&[]);
    assert!(t.is_empty() && t.ranking().is_empty());
    assert_eq!(t.rank_of(NodeId(1)), None);
    assert_eq!(t.lords(3, |_| Some(0)), Vec::<NodeId>::new());
}

#[test]
fn the_handover_target_is_the_best_up_to_date_candidate() {
    let t = table(&[(1, 9_500), (2, 9_000), (3, 8_000), (4, 8_000)]);
    let cases: [(&str, Vec<u64>, Option<u64>); 6] = [
        ("the best of all", vec![2, 3, 4], Some(2)),
        (
            "order of candidates does not matter",
            vec![4, 3, 2],
            Some(2),
        ),
        ("a tie goes to the lowest id", vec![4, 3], Some(3)),
        ("a candidate without a row ranks as 0", vec![7, 4], Some(4)),
        ("but is still chosen when alone", vec![7], Some(7)),
        ("nobody up to date", vec![], None),
    ];
    for (name, candidates, want) in cases {
        let got = t.best_handover_target(candidates.into_iter().map(NodeId));
        assert_eq!(got, want.map(NodeId), "{name}");
    }
}

#[test]
fn lords_are_the_best_of_distinct_districts() {
    // Members 1x are in district 1, 2x in district 2, 3x in district 3; 99 is not placed.
    let district = |id: NodeId| (id.get() != 99).then_some(id.get() / 10);
    let t = table(&[
        (11, 9_900),
        (12, 9_800),
        (21, 9_000),
        (22, 9_700),
        (31, 5_000),
        (32, 0),
        (99, 10_000),
    ]);
    let cases: [(usize, Vec<u64>); 5] = [
        (0, vec![]),
        (1, vec![11]),
        (2, vec![11, 22]),
        (3, vec![11, 22, 31]),
        (10, vec![11, 22, 31]),
    ];
    for (k, want) in cases {
        assert_eq!(t.lords(k, district), ids(&want), "k = {k}");
    }

    tracing::info!("--- a district whose only known member scores 0 gets no Lord");
    let t = table(&[(11, 9_000), (32, 0)]);
    assert_eq!(t.lords(3, district), ids(&[11]));
}

#[test]
fn lords_are_read_from_the_union_of_district_tables() {
    let d1 = table(&[(11, 9_000), (12, 8_000)]);
    let d2 = table(&[(21, 8_500), (22, 9_500)]);
    let d3 = table(&[(31, 7_000)]);
    let all = ReputationTable::union(NodeId(5), LogIndex(9), Time(3), [&d1, &d2, &d3]);
    assert_eq!(
        (all.publisher(), all.index(), all.computed_at()),
        (NodeId(5), LogIndex(9), Time(3))
    );
    assert_eq!(all.len(), 5);
    assert_eq!(all.lords(3, |id| Some(id.get() / 10)), ids(&[22, 11, 31]));
}

#[test]
fn a_member_in_two_tables_keeps_its_worse_row_whatever_the_order() {
    let mut x = table(&[(1, 9_000)]);
    x.insert(
        NodeId(2),
        Score::new(4_000).unwrap(),
        Duration::from_secs(50),
    );
    let mut y = table(&[(3, 1_000)]);
    y.insert(
        NodeId(2),
        Score::new(6_000).unwrap(),
        Duration::from_secs(20),
    );
    let xy = ReputationTable::union(NodeId(0), LogIndex(0), Time(0), [&x, &y]);
    let yx = ReputationTable::union(NodeId(0), LogIndex(0), Time(0), [&y, &x]);
    assert_eq!(xy, yx);
    assert_eq!(
        xy.row(NodeId(2)),
        Some(&Row {
            score: Score::new(4_000).unwrap(),
            seniority: Duration::from_secs(20)
        })
    );
}

#[test]
fn seniority_is_kept_in_whole_milliseconds() {
    let mut t = table(&[]);
    let replaced = t.insert(NodeId(1), Score::MAX, Duration::from_micros(2_999));
    assert_eq!(replaced, None);
    assert_eq!(
        t.row(NodeId(1)).map(|r| r.seniority),
        Some(Duration::from_millis(2))
    );
    let replaced = t.insert(NodeId(1), Score::ZERO, Duration::ZERO);
    assert_eq!(replaced.map(|r| r.score), Some(Score::MAX));
}

prop_compose! {
    fn any_rows()(rows in proptest::collection::btree_map(0u64..40, 0u16..=10_000, 0..24))
        -> BTreeMap<u64, u16> { rows }
}

proptest! {
    #[test]
    fn ranking_does_not_depend_on_insertion_order(rows in any_rows(), seed in any::<u64>()) {
        let forward: Vec<(u64, u16)> = rows.iter().map(|(k, v)| (*k, *v)).collect();
        let mut shuffled = forward.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        for i in 0..n {
            let j = usize::try_from(seed.rotate_left(u32::try_from(i % 64).unwrap()) % n as u64).unwrap();
            shuffled.swap(i, j);
        }
        let (a, b) = (table(&forward), table(&shuffled));
        prop_assert_eq!(a.ranking(), b.ranking());
    }

    #[test]
    fn ranking_is_sorted_complete_and_agrees_with_rank_of(rows in any_rows()) {
        let t = table(&rows.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
        let ranking = t.ranking();
        prop_assert_eq!(
            ranking.iter().copied().collect::<BTreeSet<_>>(),
            t.rows().map(|(id, _)| id).collect::<BTreeSet<_>>()
        );
        for pair in ranking.windows(2) {
            let (a, b) = (t.score_of(pair[0]).unwrap(), t.score_of(pair[1]).unwrap());
            prop_assert!(a > b || (a == b && pair[0] < pair[1]), "{:?}", pair);
        }
        let of = u32::try_from(ranking.len()).unwrap();
        for (position, id) in ranking.iter().enumerate() {
            prop_assert_eq!(t.rank_of(*id), Some((u32::try_from(position).unwrap(), of)));
        }
    }

    #[test]
    fn lords_never_share_a_district_and_follow_the_ranking(
        rows in any_rows(), k in 0usize..8, districts in 1u64..6,
    ) {
        let t = table(&rows.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
        let district = |id: NodeId| Some(id.get() % districts);
        let lords = t.lords(k, district);
        prop_assert!(lords.len() <= k);
        let seated: BTreeSet<u64> = lords.iter().map(|id| id.get() % districts).collect();
        prop_assert_eq!(seated.len(), lords.len(), "one Lord per district");
        let positions: Vec<u32> = lords.iter().map(|id| t.rank_of(*id).unwrap().0).collect();
        prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "best first");
        // Nobody better was passed over: a member ranked above a Lord, with a positive score,
        // is in a district that already had a Lord by then.
        let available: BTreeSet<u64> = t
            .rows()
            .filter(|(_, r)| r.score > Score::ZERO)
            .map(|(id, _)| id.get() % districts)
            .collect();
        prop_assert_eq!(lords.len(), k.min(available.len()));
    }
}
