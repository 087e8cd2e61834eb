//! `Config::validate`: every field out of range is named, with its value.

use std::time::Duration;

use crate::types::{NodeId, Time};
use crate::westminster::reputation::{Config, Observer, Weights};

#[test]
fn the_defaults_are_valid_and_documented() {
    let c = Config::default();
    assert_eq!(c.validate(), Ok(()));
    assert_eq!(
        c.weights,
        Weights {
            seniority: 0.2,
            rtt: 0.3,
            success: 0.3,
            lag: 0.2
        }
    );
}

#[test]
fn every_bad_field_is_named_with_its_value() {
    type Edit = fn(&mut Config);
    let cases: [(&str, Edit, &str, &str); 16] = [
        (
            "negative weight",
            |c| c.weights.rtt = -0.1,
            "weights.rtt",
            "-0.1",
        ),
        (
            "NaN weight",
            |c| c.weights.seniority = f64::NAN,
            "weights.seniority",
            "NaN",
        ),
        (
            "infinite weight",
            |c| c.weights.lag = f64::INFINITY,
            "weights.lag",
            "inf",
        ),
        (
            "negative success weight",
            |c| c.weights.success = -1.0,
            "weights.success",
            "-1.0",
        ),
        (
            "all weights zero",
            |c| {
                c.weights = Weights {
                    seniority: 0.0,
                    rtt: 0.0,
                    success: 0.0,
                    lag: 0.0,
                }
            },
            "weights (sum)",
            "0.0",
        ),
        (
            "weights overflow",
            |c| {
                c.weights.rtt = f64::MAX;
                c.weights.success = f64::MAX;
            },
            "weights (sum)",
            "inf",
        ),
        (
            "zero horizon",
            |c| c.seniority_horizon = Duration::ZERO,
            "seniority_horizon",
            "0ns",
        ),
        (
            "zero gap",
            |c| c.contact_gap = Duration::ZERO,
            "contact_gap",
            "0ns",
        ),
        (
            "zero rtt_ref",
            |c| c.rtt_ref = Duration::ZERO,
            "rtt_ref",
            "0ns",
        ),
        (
            "zero forget_after",
            |c| c.forget_after = Duration::ZERO,
            "forget_after",
            "0ns",
        ),
        ("zero lag_ref", |c| c.lag_ref = 0, "lag_ref", "0"),
        ("zero rtt_alpha", |c| c.rtt_alpha = 0.0, "rtt_alpha", "0.0"),
        (
            "rtt_alpha above 1",
            |c| c.rtt_alpha = 1.5,
            "rtt_alpha",
            "1.5",
        ),
        (
            "NaN success_alpha",
            |c| c.success_alpha = f64::NAN,
            "success_alpha",
            "NaN",
        ),
        (
            "negative success_alpha",
            |c| c.success_alpha = -0.5,
            "success_alpha",
            "-0.5",
        ),
        ("zero max_peers", |c| c.max_peers = 0, "max_peers", "0"),
    ];
    for (name, edit, field, value) in cases {
        let mut c = Config::default();
        edit(&mut c);
        let err = c.validate().expect_err(name);
        assert_eq!((err.field, err.value.as_str()), (field, value), "{name}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("reputation {field} is {value}; it must be ")),
            "{name}: {message}"
        );
    }
}

#[test]
fn edge_values_that_are_fine() {
    let c = Config {
        weights: Weights {
            seniority: 0.0,
            rtt: 0.0,
            success: 7.0,
            lag: 0.0,
        },
        rtt_alpha: 1.0,
        success_alpha: f64::MIN_POSITIVE,
        lag_ref: 1,
        max_peers: 1,
        rtt_ref: Duration::from_nanos(1),
        ..Config::default()
    };
    assert_eq!(c.validate(), Ok(()));
}

#[test]
fn an_observer_refuses_a_bad_config() {
    let c = Config {
        lag_ref: 0,
        ..Config::default()
    };
    let err = Observer::new(NodeId(1), c, Time(0)).unwrap_err();
    assert_eq!(err.field, "lag_ref");
}
