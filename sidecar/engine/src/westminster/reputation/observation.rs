//! What one member has observed of one peer: contact, smoothed round-trip time and
//! success rate, and log lag.

use std::time::Duration;

use crate::types::Time;

/// What one member has observed of one peer.
///
/// An [`Observer`](super::Observer) keeps one per peer and updates it from its inputs;
/// [`Terms::of`](super::Terms::of) turns it into the four normalised terms. The fields are
/// public so that a test or a tool can score any observation; scoring accepts any
/// values (it clamps) and never panics.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// When the record was made: forgetting counts from here until the peer is heard.
    pub created: Time,
    /// Start of the current unbroken contact (the seniority clock); `None` until heard.
    pub since: Option<Time>,
    /// The latest contact: a message heard from the peer, or an adopted table that
    /// vouched for it. `None` until either.
    pub last_heard: Option<Time>,
    /// Whether `last_heard` was this member's own contact rather than a table's word.
    pub direct: bool,
    /// Smoothed round-trip time; `None` until the first sample.
    pub rtt: Option<Duration>,
    /// Smoothed response success rate in [0, 1]; `None` until the first response.
    pub success: Option<f64>,
    /// The latest log lag, in entries behind the leader's last index; `None` until known.
    pub lag: Option<u64>,
}

impl Observation {
    /// A record made at `now` with nothing observed yet.
    #[must_use]
    pub fn new(now: Time) -> Observation {
        Observation {
            created: now,
            since: None,
            last_heard: None,
            direct: false,
            rtt: None,
            success: None,
            lag: None,
        }
    }

    /// Whether contact is unbroken at `now`: heard no longer than `gap` ago.
    #[must_use]
    pub fn in_contact(&self, now: Time, gap: Duration) -> bool {
        self.last_heard
            .is_some_and(|heard| now.saturating_since(heard) <= gap)
    }

    /// The length of the unbroken contact at `now`, from its start to the latest contact;
    /// zero when contact is broken.
    #[must_use]
    pub fn uptime(&self, now: Time, gap: Duration) -> Duration {
        match (self.since, self.last_heard) {
            (Some(since), Some(heard)) if self.in_contact(now, gap) => {
                heard.saturating_since(since)
            }
            _ => Duration::ZERO,
        }
    }

    /// The latest sign of the peer: its latest contact, else when the record was made.
    #[must_use]
    pub fn last_activity(&self) -> Time {
        self.last_heard.unwrap_or(self.created)
    }

    /// Whether the peer has been silent for longer than `forget_after` at `now`.
    #[must_use]
    pub fn is_forgotten(&self, now: Time, forget_after: Duration) -> bool {
        now.saturating_since(self.last_activity()) > forget_after
    }

    /// Direct contact at `now`. After a silence longer than `gap` the peer was probably
    /// down, so its seniority starts over.
    pub(super) fn heard(&mut self, now: Time, gap: Duration) {
        if self.since.is_none() || !self.in_contact(now, gap) {
            self.since = Some(now);
        }
        self.last_heard = Some(self.last_heard.map_or(now, |t| t.max(now)));
        self.direct = true;
    }

    /// The peer restarted at `now`: its seniority starts over.
    pub(super) fn restarted(&mut self, now: Time) {
        self.since = Some(now);
        self.last_heard = Some(self.last_heard.map_or(now, |t| t.max(now)));
        self.direct = true;
    }

    /// An adopted table says the peer has been in unbroken contact since `carried`.
    ///
    /// Our own unbroken contact keeps its start unless the table knows an earlier one;
    /// otherwise the table's word replaces ours, restarts included.
    pub(super) fn vouched(&mut self, carried: Time, now: Time, gap: Duration) {
        if self.direct && self.in_contact(now, gap) {
            self.since = Some(self.since.map_or(carried, |s| s.min(carried)));
        } else {
            self.since = Some(carried);
            self.last_heard = Some(now);
            self.direct = false;
        }
    }

    /// A round-trip time sample, smoothed with factor `alpha`; the first sample is taken
    /// as it is (RFC 6298 §2.2).
    pub(super) fn round_trip(&mut self, sample: Duration, alpha: f64) {
        self.rtt = Some(match self.rtt {
            None => sample,
            Some(old) => {
                let smoothed = ewma(old.as_secs_f64(), sample.as_secs_f64(), alpha);
                // The average lies between two finite, non-negative durations, so the
                // conversion only fails on a configuration `validate` refuses.
                Duration::try_from_secs_f64(smoothed).unwrap_or(sample)
            }
        });
    }

    /// A response that succeeded or failed, smoothed with factor `alpha`.
    pub(super) fn response(&mut self, ok: bool, alpha: f64) {
        let sample = if ok { 1.0 } else { 0.0 };
        self.success = Some(self.success.map_or(sample, |old| ewma(old, sample, alpha)));
    }
}

/// One step of an exponentially weighted moving average. Only IEEE-754 basic operations,
/// so every platform computes the same bits.
fn ewma(old: f64, sample: f64, alpha: f64) -> f64 {
    old + alpha * (sample - old)
}
