//! The observer: smoothing, contact and seniority, forgetting, bounded memory, carrying
//! seniority across leaders, and publishing.

use std::time::Duration;

use super::{config, ms};
use crate::types::{LogIndex, NodeId, Time};
use crate::westminster::reputation::{Config, Observer, ReputationTable, Score, Terms};

const ME: NodeId = NodeId(1);
const A: NodeId = NodeId(2);
const B: NodeId = NodeId(3);
const C: NodeId = NodeId(4);

fn observer() -> Observer {
    Observer::new(ME, config(), Time(0)).unwrap()
}

fn secs(n: u64) -> Time {
    Time(n * 1000)
}

/// Heartbeat rounds every 100 ms from `from` for `rounds` rounds: each peer in `peers`
/// answers with its round-trip time, or fails when `rtt` is `None`.
fn rounds(o: &mut Observer, from: Time, count: u64, peers: &[(NodeId, Option<Duration>)]) -> Time {
    let mut now = from;
    for _ in 0..count {
        now = now + ms(100);
        for (peer, rtt) in peers {
            match rtt {
                Some(rtt) => {
                    o.handle_round_trip(*peer, *rtt, now);
                    o.handle_response(*peer, true, now);
                }
                None => o.handle_response(*peer, false, now),
            }
        }
    }
    now
}

#[test]
fn inputs_about_itself_are_ignored_and_its_own_row_is_its_uptime() {
    let mut o = observer();
    o.handle_heard(ME, secs(1));
    o.handle_response(ME, false, secs(1));
    o.handle_lag(ME, 1_000, secs(1));
    assert!(o.is_empty());
    assert_eq!(
        o.terms_of(ME, secs(1800)),
        Terms::own(Duration::from_secs(1800), o.config())
    );
    assert_eq!(o.score_of(ME, secs(1800)).get(), 9_000);
    assert_eq!(o.seniority_of(ME, secs(1800)), Duration::from_secs(1800));
}

#[test]
fn round_trips_are_smoothed_from_the_first_sample() {
    let mut o = observer();
    o.handle_round_trip(A, ms(10), secs(1));
    assert_eq!(
        o.observation(A).and_then(|x| x.rtt),
        Some(ms(10)),
        "first sample as is"
    );
    o.handle_round_trip(A, ms(18), secs(2));
    // 10 + 0.125 · (18 − 10) = 11 ms
    assert_eq!(o.observation(A).and_then(|x| x.rtt), Some(ms(11)));
}

#[test]
fn old_failures_decay_as_successes_arrive() {
    let mut o = observer();
    let now = rounds(&mut o, Time(0), 1, &[(A, Some(ms(1)))]);
    let now = rounds(&mut o, now, 1, &[(A, None)]);
    let after_failure = o.observation(A).and_then(|x| x.success).unwrap();
    assert!((after_failure - 0.95).abs() < 1e-12, "{after_failure}");
    let failed_score = o.score_of(A, now);

    // With α = 0.05 the failure's weight halves every ln 0.5 / ln 0.95 ≈ 13.5 responses.
    let now = rounds(&mut o, now, 14, &[(A, Some(ms(1)))]);
    let recovered = o.observation(A).and_then(|x| x.success).unwrap();
    let missing = 1.0 - recovered;
    assert!(missing < 0.05 / 2.0 && missing > 0.05 / 4.0, "{missing}");
    assert!(o.score_of(A, now) > failed_score);
}

#[test]
fn a_fast_reliable_senior_peer_outranks_a_slow_flaky_new_one() {
    tracing::info!("--- A answers fast and always for twenty minutes");
    let mut o = observer();
    let mut now = Time(0);
    for _ in 0..1200 {
        now = rounds(&mut o, now, 10, &[(A, Some(ms(2)))]);
        o.handle_match(A, LogIndex(100), LogIndex(100), now);
    }
    tracing::info!("--- B joins, answers slowly, drops a third, and lags");
    for i in 0..300u64 {
        let rtt = (i % 3 != 0).then_some(ms(60));
        now = rounds(&mut o, now, 1, &[(A, Some(ms(2))), (B, rtt)]);
        o.handle_match(A, LogIndex(100 + i), LogIndex(100 + i), now);
        o.handle_match(B, LogIndex(i), LogIndex(100 + i), now);
    }
    let (a, b) = (o.score_of(A, now), o.score_of(B, now));
    assert!(a > b, "A {a} vs B {b}");
    let table = o.publish([ME, A, B, C], LogIndex(400), now);
    assert_eq!(table.ranking(), vec![ME, A, B, C]);
    assert_eq!(table.score_of(C), Some(Score::ZERO), "never observed");
}

#[test]
fn seniority_counts_unbroken_contact_and_restarts_after_a_silence() {
    let mut o = observer();
    let gap = o.config().contact_gap;
    o.handle_heard(A, secs(100));
    o.handle_heard(A, secs(100) + gap);
    assert_eq!(
        o.seniority_of(A, secs(100) + gap),
        gap,
        "a silence of exactly the gap is contact"
    );
    let later = secs(100) + gap + gap;
    assert_eq!(o.seniority_of(A, later), gap);
    assert_eq!(
        o.seniority_of(A, later + ms(1)),
        Duration::ZERO,
        "silent too long: not up"
    );

    tracing::info!("--- heard again after the silence: seniority starts over");
    let back = later + ms(1);
    o.handle_heard(A, back);
    assert_eq!(o.seniority_of(A, back), Duration::ZERO);
    o.handle_heard(A, back + ms(500));
    assert_eq!(o.seniority_of(A, back + ms(500)), ms(500));

    tracing::info!("--- a restart the shell saw starts it over too");
    o.handle_restart(A, back + ms(700));
    assert_eq!(o.seniority_of(A, back + ms(700)), Duration::ZERO);
}

#[test]
fn failures_and_lag_reports_are_not_contact() {
    let mut o = observer();
    o.handle_response(A, false, secs(1));
    o.handle_lag(A, 3, secs(2));
    let record = o.observation(A).unwrap();
    assert_eq!((record.since, record.last_heard), (None, None));
    assert_eq!(o.seniority_of(A, secs(2)), Duration::ZERO);
    // Lag 3 (0.2 · 100/103) scores; the failed response scores nothing.
    assert_eq!(o.score_of(A, secs(2)).get(), 1_942);
}

#[test]
fn lag_is_derived_from_the_match_index() {
    let mut o = observer();
    o.handle_match(A, LogIndex(40), LogIndex(50), secs(1));
    assert_eq!(o.observation(A).and_then(|x| x.lag), Some(10));
    o.handle_match(A, LogIndex(60), LogIndex(50), secs(2));
    assert_eq!(
        o.observation(A).and_then(|x| x.lag),
        Some(0),
        "a match ahead is no lag"
    );
    o.handle_lag(A, 7, secs(3));
    assert_eq!(
        o.observation(A).and_then(|x| x.lag),
        Some(7),
        "the latest report wins"
    );
}

#[test]
fn silent_peers_are_forgotten_whether_or_not_tick_runs() {
    let mut o = observer();
    let forget = o.config().forget_after;
    let now = rounds(&mut o, Time(0), 10, &[(A, Some(ms(1))), (B, Some(ms(1)))]);
    o.handle_response(C, false, now);
    let later = now + forget;
    assert!(o.score_of(A, later) > Score::ZERO, "not yet");
    let gone = later + ms(1);
    assert_eq!(
        o.score_of(A, gone),
        Score::ZERO,
        "forgotten before any tick"
    );
    assert_eq!(o.seniority_of(A, gone), Duration::ZERO);
    o.handle_heard(B, later);
    o.tick(gone);
    assert_eq!(o.peers().map(|(id, _)| id).collect::<Vec<_>>(), vec![B]);
    assert!(o.observation(A).is_none() && o.observation(C).is_none());
}

#[test]
fn memory_is_bounded_forgotten_peers_go_first_then_the_stalest() {
    let mut c = config();
    c.max_peers = 3;
    c.forget_after = Duration::from_secs(60);
    let mut o = Observer::new(ME, c, Time(0)).unwrap();
    o.handle_heard(A, secs(10));
    o.handle_heard(B, secs(20));
    o.handle_heard(C, secs(30));
    o.handle_heard(NodeId(9), secs(40));
    assert_eq!(o.len(), 3);
    assert!(o.observation(A).is_none(), "the stalest made room");

    o.handle_heard(B, secs(85));
    o.handle_heard(NodeId(10), secs(95));
    // C (heard at 30 s) is forgotten at 95 s and frees room; B and 9 stay.
    assert_eq!(
        o.peers().map(|(id, _)| id).collect::<Vec<_>>(),
        vec![B, NodeId(9), NodeId(10)]
    );
}

#[test]
fn a_table_carries_seniority_to_the_next_leader() {
    let horizon = Duration::from_secs(3600);
    tracing::info!("--- the leader has heard A and B for an hour and publishes");
    let mut leader = observer();
    let mut now = Time(0);
    for _ in 0..360 {
        now = now + Duration::from_secs(10);
        leader.handle_heard(A, now);
        leader.handle_heard(B, now);
    }
    let table = leader.publish([ME, A, B], LogIndex(10), now);
    assert_eq!(
        table.row(A).map(|r| r.seniority),
        Some(horizon - Duration::from_secs(10))
    );

    tracing::info!("--- follower A, on a clock of its own, adopts the table");
    let a_now = secs(100_000);
    let mut follower = Observer::new(A, config(), Time(0)).unwrap();
    follower.handle_heard(ME, a_now);
    follower.adopt(&table, a_now);
    assert!(follower.observation(A).is_none(), "its own row is ignored");
    // B: no record of its own, so the table's word. ME (the old leader): the follower's
    // own contact is a moment old; the table knows it has been up an hour.
    assert_eq!(follower.seniority_of(B, a_now), Duration::from_secs(3590));
    assert_eq!(follower.seniority_of(ME, a_now), horizon);

    tracing::info!("--- A becomes leader and hears B within the contact gap");
    let elected = a_now + Duration::from_secs(3);
    follower.handle_heard(B, elected);
    assert_eq!(follower.seniority_of(B, elected), Duration::from_secs(3593));
    let next = follower.publish([ME, A, B], LogIndex(20), elected);
    assert!(
        next.score_of(B) >= table.score_of(B),
        "B kept its standing across the change"
    );
}

#[test]
fn adoption_replaces_a_table_word_but_not_longer_own_contact() {
    let mut o = observer();
    let mut first = ReputationTable::new(NodeId(7), LogIndex(1), Time(0));
    first.insert(A, Score::MAX, Duration::from_secs(600));
    first.insert(B, Score::MAX, Duration::from_secs(600));
    first.insert(C, Score::MAX, Duration::ZERO);
    for t in (100..=1000).step_by(10) {
        o.handle_heard(B, secs(t));
    }
    o.adopt(&first, secs(1000));
    assert_eq!(o.seniority_of(A, secs(1000)), Duration::from_secs(600));
    assert_eq!(
        o.seniority_of(B, secs(1000)),
        Duration::from_secs(900),
        "own longer contact kept"
    );
    assert!(
        o.observation(C).is_none(),
        "a row without contact vouches for nothing"
    );

    tracing::info!("--- the publisher saw A restart: the next table's word replaces the old one");
    let mut second = ReputationTable::new(NodeId(7), LogIndex(2), Time(0));
    second.insert(A, Score::MAX, Duration::from_secs(5));
    o.adopt(&second, secs(1010));
    assert_eq!(o.seniority_of(A, secs(1010)), Duration::from_secs(5));
}

#[test]
fn equal_inputs_publish_byte_identical_tables() {
    let feed = |o: &mut Observer| {
        let mut now = Time(0);
        for i in 0..500u64 {
            now = now + ms(100);
            o.handle_round_trip(A, ms(1 + i % 7), now);
            o.handle_response(A, i % 11 != 0, now);
            o.handle_round_trip(B, ms(3 + i % 5), now);
            o.handle_response(B, i % 4 != 0, now);
            o.handle_match(B, LogIndex(i), LogIndex(i + i % 9), now);
        }
        o.publish([ME, A, B, C], LogIndex(500), now)
    };
    let (mut x, mut y) = (observer(), observer());
    let (tx, ty) = (feed(&mut x), feed(&mut y));
    assert_eq!(tx.encode(), ty.encode());
}

#[test]
fn a_published_table_names_its_publisher_index_and_time() {
    let o = observer();
    let table = o.publish([A, ME], LogIndex(42), secs(9));
    assert_eq!(
        (table.publisher(), table.index(), table.computed_at()),
        (ME, LogIndex(42), secs(9))
    );
    assert_eq!(
        table.rows().map(|(id, _)| id).collect::<Vec<_>>(),
        vec![ME, A]
    );
    assert_eq!(table.score_of(A), Some(Score::ZERO));
}

#[test]
fn observer_configuration_is_kept() {
    let c = Config {
        max_peers: 5,
        ..Config::default()
    };
    let o = Observer::new(ME, c.clone(), Time(0)).unwrap();
    assert_eq!((o.me(), o.config()), (ME, &c));
}
