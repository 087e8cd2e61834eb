//! The formula: exact scores for chosen observations, orderings a reader expects, and
//! monotonicity of the score in each input.

use std::time::Duration;

use proptest::prelude::*;

use super::{NOW, config, ms, observed};
use crate::types::Time;
use crate::westminster::reputation::{Config, Observation, Score, Terms, Weights, score};

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn exact_scores_with_the_default_weights() {
    let cases: [(&str, Option<Observation>, u16); 12] = [
        ("never observed", None, 0),
        (
            "perfect",
            Some(observed(NOW, HOUR, Some(ms(0)), Some(1.0), Some(0))),
            10_000,
        ),
        (
            "heard once, nothing else",
            Some(observed(NOW, ms(0), None, None, None)),
            0,
        ),
        (
            "half the seniority horizon only",
            Some(observed(NOW, HOUR / 2, None, None, None)),
            1_000,
        ),
        (
            "twice the seniority horizon saturates",
            Some(observed(NOW, HOUR * 2, None, None, None)),
            2_000,
        ),
        (
            "rtt equal to rtt_ref only",
            Some(observed(NOW, ms(0), Some(ms(10)), None, None)),
            1_500,
        ),
        (
            "rtt zero only",
            Some(observed(NOW, ms(0), Some(ms(0)), None, None)),
            3_000,
        ),
        (
            "all responses succeeded only",
            Some(observed(NOW, ms(0), None, Some(1.0), None)),
            3_000,
        ),
        (
            "all responses failed only",
            Some(observed(NOW, ms(0), None, Some(0.0), None)),
            0,
        ),
        (
            "lag equal to lag_ref only",
            Some(observed(NOW, ms(0), None, None, Some(100))),
            1_000,
        ),
        (
            "no lag only",
            Some(observed(NOW, ms(0), None, None, Some(0))),
            2_000,
        ),
        (
            // 0.2·0.25 + 0.3·(1/(1+3)) + 0.3·0.9 + 0.2·(1/(1+0.5)) = 0.05 + 0.075 + 0.27 + 0.1333…
            "a mixed peer",
            Some(observed(NOW, HOUR / 4, Some(ms(30)), Some(0.9), Some(50))),
            5_283,
        ),
    ];
    let c = config();
    for (name, observation, want) in cases {
        assert_eq!(score(observation.as_ref(), NOW, &c).get(), want, "{name}");
    }
    // The mixed peer, silent for longer than the contact gap, loses its seniority term.
    let mixed = observed(NOW, HOUR / 4, Some(ms(30)), Some(0.9), Some(50));
    let silent = NOW + c.contact_gap + ms(1);
    assert_eq!(score(Some(&mixed), silent, &c).get(), 4_783);
}

#[test]
fn a_fast_reliable_senior_peer_outranks_a_slow_flaky_new_one() {
    let c = config();
    let senior = observed(NOW, HOUR, Some(ms(2)), Some(0.99), Some(0));
    let newcomer = observed(
        NOW,
        Duration::from_secs(30),
        Some(ms(80)),
        Some(0.6),
        Some(400),
    );
    let (a, b) = (
        score(Some(&senior), NOW, &c),
        score(Some(&newcomer), NOW, &c),
    );
    assert!(a > b, "senior {a} vs newcomer {b}");
    // And each single advantage is enough on its own, everything else equal.
    let base = observed(NOW, HOUR / 2, Some(ms(10)), Some(0.8), Some(50));
    let better: [(&str, Observation); 4] = [
        (
            "older",
            Observation {
                since: Some(NOW - HOUR),
                ..base.clone()
            },
        ),
        (
            "faster",
            Observation {
                rtt: Some(ms(1)),
                ..base.clone()
            },
        ),
        (
            "more reliable",
            Observation {
                success: Some(0.95),
                ..base.clone()
            },
        ),
        (
            "less behind",
            Observation {
                lag: Some(0),
                ..base.clone()
            },
        ),
    ];
    let base_score = score(Some(&base), NOW, &c);
    for (name, o) in better {
        assert!(score(Some(&o), NOW, &c) > base_score, "{name}");
    }
}

#[test]
fn broken_contact_zeroes_seniority_and_forgetting_zeroes_everything() {
    let c = config();
    let mut o = observed(NOW, HOUR, Some(ms(0)), Some(1.0), Some(0));
    let silent = NOW + c.contact_gap + ms(1);
    let t = Terms::of(Some(&o), silent, &c);
    assert_eq!(t.seniority, 0.0, "silent beyond the contact gap");
    assert_eq!((t.rtt, t.success, t.lag), (1.0, 1.0, 1.0));
    assert_eq!(score(Some(&o), silent, &c).get(), 8_000);

    let at_gap = NOW + c.contact_gap;
    assert_eq!(
        Terms::of(Some(&o), at_gap, &c).seniority,
        1.0,
        "the gap itself is still contact"
    );

    let gone = NOW + c.forget_after + ms(1);
    assert_eq!(score(Some(&o), gone, &c), Score::ZERO);
    assert_eq!(score(Some(&o), NOW + c.forget_after, &c).get(), 8_000);

    // A record never heard from is forgotten counting from its creation.
    o.last_heard = None;
    o.since = None;
    o.created = NOW;
    assert_eq!(score(Some(&o), NOW + c.forget_after, &c).get(), 8_000);
    assert_eq!(score(Some(&o), gone, &c), Score::ZERO);
}

#[test]
fn only_the_ratios_of_the_weights_matter_and_zero_switches_a_term_off() {
    let mut scaled = config();
    scaled.weights = Weights {
        seniority: 2.0,
        rtt: 3.0,
        success: 3.0,
        lag: 2.0,
    };
    let o = observed(NOW, HOUR / 3, Some(ms(7)), Some(0.7), Some(30));
    assert_eq!(
        score(Some(&o), NOW, &scaled),
        score(Some(&o), NOW, &config())
    );

    let mut no_rtt = config();
    no_rtt.weights.rtt = 0.0;
    let slow = Observation {
        rtt: Some(Duration::from_secs(5)),
        ..o.clone()
    };
    assert_eq!(
        score(Some(&o), NOW, &no_rtt),
        score(Some(&slow), NOW, &no_rtt)
    );
}

#[test]
fn own_terms_are_perfect_but_for_seniority() {
    let c = config();
    let t = Terms::own(HOUR / 2, &c);
    assert_eq!(
        t,
        Terms {
            seniority: 0.5,
            rtt: 1.0,
            success: 1.0,
            lag: 1.0
        }
    );
    assert_eq!(t.score(&c.weights).get(), 9_000);
}

#[test]
fn fractions_round_to_the_nearest_and_clamp() {
    let cases = [
        (0.0, 0),
        (1.0, 10_000),
        (0.5, 5_000),
        (0.123_45, 1_235),
        (0.000_04, 0),
        (0.000_05, 1),
        (0.999_96, 10_000),
        (-3.0, 0),
        (7.0, 10_000),
        (f64::NAN, 0),
        (f64::INFINITY, 10_000),
        (f64::NEG_INFINITY, 0),
    ];
    for (fraction, want) in cases {
        assert_eq!(Score::from_fraction(fraction).get(), want, "{fraction}");
    }
}

#[test]
fn scores_are_bounded_and_display_as_percentages() {
    assert_eq!(Score::new(10_000), Some(Score::MAX));
    assert_eq!(Score::new(10_001), None);
    assert_eq!(
        Score::new(8_765).map(|s| s.to_string()).as_deref(),
        Some("87.65%")
    );
    assert_eq!(Score::ZERO.to_string(), "0.00%");
    assert_eq!(Score::MAX.to_string(), "100.00%");
}

fn any_duration(max_ms: u64) -> impl Strategy<Value = Duration> {
    (0..=max_ms).prop_map(Duration::from_millis)
}

prop_compose! {
    fn any_observation()(
        uptime in any_duration(2 * 3_600_000),
        rtt in proptest::option::of(any_duration(2_000)),
        success in proptest::option::of(0.0f64..=1.0),
        lag in proptest::option::of(0u64..100_000),
    ) -> Observation {
        observed(NOW, uptime, rtt, success, lag)
    }
}

prop_compose! {
    fn any_valid_config()(
        w in proptest::array::uniform4(0.0f64..10.0),
        horizon in 1u64..10_000_000,
        rtt_ref in 1u64..1_000,
        lag_ref in 1u64..10_000,
    ) -> Config {
        Config {
            // Keep the sum positive: the first weight is a little above zero.
            weights: Weights { seniority: w[0] + 0.01, rtt: w[1], success: w[2], lag: w[3] },
            seniority_horizon: Duration::from_millis(horizon),
            rtt_ref: Duration::from_millis(rtt_ref),
            lag_ref,
            ..Config::default()
        }
    }
}

proptest! {
    #[test]
    fn more_seniority_never_lowers_the_score(
        o in any_observation(), c in any_valid_config(), more in any_duration(3_600_000),
    ) {
        let since = o.since.unwrap_or(NOW);
        let older = Observation { since: Some(since - more), created: o.created - more, ..o.clone() };
        prop_assert!(score(Some(&older), NOW, &c) >= score(Some(&o), NOW, &c));
    }

    #[test]
    fn a_longer_round_trip_never_raises_the_score(
        o in any_observation(), c in any_valid_config(), more in any_duration(2_000),
    ) {
        let slower = Observation { rtt: Some(o.rtt.unwrap_or_default() + more), ..o.clone() };
        let faster = Observation { rtt: Some(o.rtt.unwrap_or_default()), ..o.clone() };
        prop_assert!(score(Some(&slower), NOW, &c) <= score(Some(&faster), NOW, &c));
        let unmeasured = Observation { rtt: None, ..o };
        prop_assert!(score(Some(&unmeasured), NOW, &c) <= score(Some(&slower), NOW, &c));
    }

    #[test]
    fn a_higher_success_rate_never_lowers_the_score(
        o in any_observation(), c in any_valid_config(), a in 0.0f64..=1.0, b in 0.0f64..=1.0,
    ) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let worse = Observation { success: Some(low), ..o.clone() };
        let better = Observation { success: Some(high), ..o.clone() };
        prop_assert!(score(Some(&better), NOW, &c) >= score(Some(&worse), NOW, &c));
        let unanswered = Observation { success: None, ..o };
        prop_assert!(score(Some(&unanswered), NOW, &c) <= score(Some(&worse), NOW, &c));
    }

    #[test]
    fn more_lag_never_raises_the_score(
        o in any_observation(), c in any_valid_config(), lag in 0u64..u64::MAX / 2, more in 0u64..u64::MAX / 2,
    ) {
        let behind = Observation { lag: Some(lag + more), ..o.clone() };
        let ahead = Observation { lag: Some(lag), ..o.clone() };
        prop_assert!(score(Some(&behind), NOW, &c) <= score(Some(&ahead), NOW, &c));
        let unknown = Observation { lag: None, ..o };
        prop_assert!(score(Some(&unknown), NOW, &c) <= score(Some(&behind), NOW, &c));
    }

    #[test]
    fn terms_stay_in_the_unit_interval_and_never_panic_on_garbage(
        created in any::<u64>(), since in proptest::option::of(any::<u64>()),
        heard in proptest::option::of(any::<u64>()), direct in any::<bool>(),
        rtt in proptest::option::of(any::<u64>()), success in proptest::option::of(any::<f64>()),
        lag in proptest::option::of(any::<u64>()), now in any::<u64>(),
        weights in proptest::array::uniform4(any::<f64>()), refs in (any::<u64>(), any::<u64>(), any::<u64>()),
    ) {
        let o = Observation {
            created: Time(created),
            since: since.map(Time),
            last_heard: heard.map(Time),
            direct,
            rtt: rtt.map(Duration::from_nanos),
            success,
            lag,
        };
        let c = Config {
            weights: Weights { seniority: weights[0], rtt: weights[1], success: weights[2], lag: weights[3] },
            seniority_horizon: Duration::from_nanos(refs.0),
            rtt_ref: Duration::from_nanos(refs.1),
            lag_ref: refs.2,
            ..Config::default()
        };
        let t = Terms::of(Some(&o), Time(now), &c);
        for term in [t.seniority, t.rtt, t.success, t.lag] {
            prop_assert!((0.0..=1.0).contains(&term), "{t:?}");
        }
        prop_assert!(score(Some(&o), Time(now), &c) <= Score::MAX);
    }
}
