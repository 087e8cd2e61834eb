//! [`LeaderElector`]: client-go's Lease leader election, ported to Rust over
//! `kube::Api<Lease>`, the yardstick the failover and API-load parts measure Parliament
//! against.
//!
//! A port of `k8s.io/client-go/tools/leaderelection/leaderelection.go` (`LeaderElector`:
//! `Run`, `acquire`, `renew`, `tryAcquireOrRenew`, `isLeaseValid`, `setObservedRecord`)
//! and `resourcelock/leaselock.go` (`LeaseLock`: `Get`, `Create`, `Update`), as of
//! Kubernetes 1.33, with client-go's defaults as used by kube-controller-manager and
//! kube-scheduler ([`CLIENT_GO_DEFAULTS`]):
//!
//! - **Acquire**: `wait.JitterUntil(tryAcquireOrRenew, RetryPeriod, JitterFactor = 1.2,
//!   sliding)`: try, and after a failure wait `RetryPeriod × (1 + 1.2 × U[0,1))`, 2–4.4 s,
//!   counted from the end of the try.
//! - **Expiry is judged by the candidate's own clock**: `observedTime` is when *this*
//!   candidate last saw the record change (the record's JSON, whose times have whole
//!   seconds, differs from the last one it saw); the lease is valid while
//!   `observedTime + leaseDurationSeconds > now`. The times written in the Lease are never
//!   compared with the local clock.
//! - **Renew**: `wait.Until(…, RetryPeriod)`: every RetryPeriod after the last success, poll
//!   `tryAcquireOrRenew` immediately and then every RetryPeriod until it succeeds or
//!   RenewDeadline passes; at the deadline the holder steps down. The holder's fast path
//!   writes the Lease it holds from its last write (a PUT with that resourceVersion) without
//!   reading it first; a refusal falls back to Get and Update.
//! - **Writes are optimistic**: Create (409 AlreadyExists when someone was first) and Update
//!   as a PUT carrying the resourceVersion last read or written (409 Conflict when the
//!   Lease changed since), never a patch or an apply.
//! - **No release**: `ReleaseOnCancel` is false by default, so a holder that dies (here:
//!   its task aborted) leaves the Lease to expire.
//!
//! Where it differs: a holder that steps down starts over as a fresh candidate (forgetting
//! what it observed, as a restarted process would; client-go's `Run` returns and callers
//! such as `RunOrDie` users usually exit); the Kubernetes Events (`RecordEvent`), metrics,
//! `OnNewLeader`, the watchdog and coordinated leader election (`tryCoordinatedRenew`) are
//! left out; leadership is published on a `watch` channel instead of callbacks; the renew
//! poll's ticker skips missed ticks as Go's `time.Ticker` drops them.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

/// client-go's `JitterFactor` for the acquire loop.
pub const JITTER_FACTOR: f64 = 1.2;

/// The three durations of `LeaderElectionConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// How long candidates wait, from the last change they saw, before taking over.
    pub lease_duration: Duration,
    /// How long the holder keeps retrying a renewal before it steps down.
    pub renew_deadline: Duration,
    /// Between tries.
    pub retry_period: Duration,
}

/// The defaults of Kubernetes' own components (`LeaseDuration` 15 s, `RenewDeadline`
/// 10 s, `RetryPeriod` 2 s; client-go's `LeaderElectionConfig` documents them as "Core
/// clients default this value to …").
pub const CLIENT_GO_DEFAULTS: Timings = Timings {
    lease_duration: Duration::from_secs(15),
    renew_deadline: Duration::from_secs(10),
    retry_period: Duration::from_secs(2),
};

/// client-go's `LeaderElectionRecord`: what the Lease's spec says.
#[derive(Clone, Debug, PartialEq)]
struct Record {
    holder_identity: String,
    lease_duration_seconds: i32,
    acquire_time: Timestamp,
    renew_time: Timestamp,
    leader_transitions: i32,
}

/// The record as `json.Marshal` of a `LeaderElectionRecord` sees it: its times are
/// `metav1.Time`, which marshals whole seconds. Two records that differ only within a
/// second are the same to client-go.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RawRecord {
    holder_identity: String,
    lease_duration_seconds: i32,
    acquire_second: i64,
    renew_second: i64,
    leader_transitions: i32,
}

impl Record {
    /// `LeaseSpecToLeaderElectionRecord`: absent fields are zero.
    fn from_spec(spec: Option<&LeaseSpec>) -> Record {
        let zero = Timestamp::UNIX_EPOCH;
        Record {
            holder_identity: spec
                .and_then(|s| s.holder_identity.clone())
                .unwrap_or_default(),
            lease_duration_seconds: spec.and_then(|s| s.lease_duration_seconds).unwrap_or(0),
            acquire_time: spec
                .and_then(|s| s.acquire_time.as_ref())
                .map_or(zero, |t| t.0),
            renew_time: spec
                .and_then(|s| s.renew_time.as_ref())
                .map_or(zero, |t| t.0),
            leader_transitions: spec.and_then(|s| s.lease_transitions).unwrap_or(0),
        }
    }

    /// `LeaderElectionRecordToLeaseSpec`.
    fn to_spec(&self) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.holder_identity.clone()),
            lease_duration_seconds: Some(self.lease_duration_seconds),
            acquire_time: Some(MicroTime(self.acquire_time)),
            renew_time: Some(MicroTime(self.renew_time)),
            lease_transitions: Some(self.leader_transitions),
            ..LeaseSpec::default()
        }
    }

    fn raw(&self) -> RawRecord {
        RawRecord {
            holder_identity: self.holder_identity.clone(),
            lease_duration_seconds: self.lease_duration_seconds,
            acquire_second: self.acquire_time.as_second(),
            renew_second: self.renew_time.as_second(),
            leader_transitions: self.leader_transitions,
        }
    }
}

/// One candidate for one Lease: client-go's `LeaderElector` with its `LeaseLock`.
/// [`LeaderElector::run`] campaigns and holds for ever; abort its task to kill it.
#[derive(Debug)]
pub struct LeaderElector {
    api: Api<Lease>,
    name: String,
    identity: String,
    timings: Timings,
    rng: StdRng,
    leading: watch::Sender<bool>,
    /// `observedRecord`, `observedRawRecord`, `observedTime`.
    observed: Option<Record>,
    observed_raw: Option<RawRecord>,
    observed_time: Instant,
    /// `LeaseLock.lease`: the Lease as last read or written, whose resourceVersion the
    /// next Update carries.
    lease: Option<Lease>,
}

impl LeaderElector {
    /// A candidate `identity` for the Lease `name` of `api`'s namespace, jittering with
    /// `seed`; the receiver says whether it leads.
    #[must_use]
    pub fn new(
        api: Api<Lease>,
        name: &str,
        identity: &str,
        timings: Timings,
        seed: u64,
    ) -> (LeaderElector, watch::Receiver<bool>) {
        let (leading, receiver) = watch::channel(false);
        (
            LeaderElector {
                api,
                name: name.to_owned(),
                identity: identity.to_owned(),
                timings,
                rng: StdRng::seed_from_u64(seed),
                leading,
                observed: None,
                observed_raw: None,
                observed_time: Instant::now(),
                lease: None,
            },
            receiver,
        )
    }

    /// `Run`, again and again: acquire, hold until a renewal misses its deadline, start
    /// over. Never returns; abort the task that runs it.
    pub async fn run(mut self) {
        loop {
            self.acquire().await;
            self.leading.send_replace(true);
            self.renew().await;
            self.leading.send_replace(false);
            // Where this differs from client-go: start over as a fresh process would.
            self.observed = None;
            self.observed_raw = None;
            self.lease = None;
        }
    }

    /// `acquire`: `wait.JitterUntil(tryAcquireOrRenew, RetryPeriod, JitterFactor,
    /// sliding = true)` until a try succeeds.
    async fn acquire(&mut self) {
        while !self.try_acquire_or_renew().await {
            // wait.Jitter(d, f) = d + U[0,1) × f × d.
            let jitter = self.rng.random::<f64>() * JITTER_FACTOR;
            tokio::time::sleep(self.timings.retry_period.mul_f64(1.0 + jitter)).await;
        }
    }

    /// `renew`: `wait.Until(…, RetryPeriod)`, each round a `PollImmediateUntil`
    /// (RetryPeriod) of `tryAcquireOrRenew` under a RenewDeadline; returns when a round
    /// misses its deadline.
    async fn renew(&mut self) {
        loop {
            let deadline = self.timings.renew_deadline;
            let retry = self.timings.retry_period;
            let renewed = tokio::time::timeout(deadline, async {
                let mut ticker = tokio::time::interval(retry);
                ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
                loop {
                    // The first tick is immediate: PollImmediate.
                    ticker.tick().await;
                    if self.try_acquire_or_renew().await {
                        return;
                    }
                }
            })
            .await
            .is_ok();
            if !renewed {
                return;
            }
            // sliding: the period starts when the round ends.
            tokio::time::sleep(retry).await;
        }
    }

    /// `IsLeader`: the last observed record names this candidate.
    fn is_leader(&self) -> bool {
        self.observed
            .as_ref()
            .is_some_and(|r| r.holder_identity == self.identity)
    }

    /// `isLeaseValid`: `observedTime + observedRecord.LeaseDurationSeconds > now`.
    fn is_lease_valid(&self, now: Instant) -> bool {
        let seconds = self
            .observed
            .as_ref()
            .map_or(0, |r| u64::try_from(r.lease_duration_seconds).unwrap_or(0));
        self.observed_time + Duration::from_secs(seconds) > now
    }

    /// `setObservedRecord`: the record, and now as the time it was observed.
    fn set_observed(&mut self, record: Record) {
        self.observed = Some(record);
        self.observed_time = Instant::now();
    }

    /// `tryAcquireOrRenew`: true when this candidate holds the Lease afterwards.
    async fn try_acquire_or_renew(&mut self) -> bool {
        let now_time = Timestamp::now();
        let now = Instant::now();
        let mut record = Record {
            holder_identity: self.identity.clone(),
            lease_duration_seconds: i32::try_from(self.timings.lease_duration.as_secs())
                .unwrap_or(i32::MAX),
            acquire_time: now_time,
            renew_time: now_time,
            leader_transitions: 0,
        };

        // 1. The holder's fast path: write over the Lease it last wrote, unread.
        if self.is_leader()
            && self.is_lease_valid(now)
            && let Some(old) = self.observed.clone()
        {
            record.acquire_time = old.acquire_time;
            record.leader_transitions = old.leader_transitions;
            if self.update(&record).await {
                self.set_observed(record);
                return true;
            }
            tracing::debug!(lease = %self.name, "optimistic renewal refused; reading the Lease");
        }

        // 2. Read the Lease, or create it.
        let old = match self.api.get(&self.name).await {
            Ok(lease) => {
                let old = Record::from_spec(lease.spec.as_ref());
                self.lease = Some(lease);
                old
            }
            Err(kube::Error::Api(status)) if status.is_not_found() => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.name.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(record.to_spec()),
                };
                return match self.api.create(&PostParams::default(), &lease).await {
                    Ok(created) => {
                        self.lease = Some(created);
                        self.set_observed(record);
                        true
                    }
                    Err(error) => {
                        self.lease = None;
                        tracing::debug!(lease = %self.name, %error, "creating the Lease");
                        false
                    }
                };
            }
            Err(error) => {
                tracing::debug!(lease = %self.name, %error, "reading the Lease");
                return false;
            }
        };

        // 3. A change since the last look restarts this candidate's clock for the holder.
        let raw = old.raw();
        if self.observed_raw.as_ref() != Some(&raw) {
            self.set_observed(old.clone());
            self.observed_raw = Some(raw);
        }
        if !old.holder_identity.is_empty() && self.is_lease_valid(now) && !self.is_leader() {
            return false;
        }

        // 4. Take it over, or renew it after the fast path failed.
        if self.is_leader() {
            record.acquire_time = old.acquire_time;
            record.leader_transitions = old.leader_transitions;
        } else {
            record.leader_transitions = old.leader_transitions.saturating_add(1);
        }
        if !self.update(&record).await {
            return false;
        }
        self.set_observed(record);
        true
    }

    /// `LeaseLock.Update`: a PUT of the Lease last read or written with `record` as its
    /// spec; the resourceVersion it carries makes a stale write a 409.
    async fn update(&mut self, record: &Record) -> bool {
        let Some(lease) = self.lease.as_mut() else {
            return false;
        };
        lease.spec = Some(record.to_spec());
        match self
            .api
            .replace(&self.name, &PostParams::default(), lease)
            .await
        {
            Ok(written) => {
                self.lease = Some(written);
                true
            }
            Err(error) => {
                tracing::debug!(lease = %self.name, %error, "updating the Lease");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_record_ignores_fractions_of_a_second_as_client_go_json_does() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let a = Record {
            holder_identity: "a".to_owned(),
            lease_duration_seconds: 15,
            acquire_time: t("2026-01-01T00:00:00.100Z"),
            renew_time: t("2026-01-01T00:00:10.100Z"),
            leader_transitions: 1,
        };
        let within = Record {
            renew_time: t("2026-01-01T00:00:10.900Z"),
            ..a.clone()
        };
        let next = Record {
            renew_time: t("2026-01-01T00:00:12.100Z"),
            ..a.clone()
        };
        assert_eq!(a.raw(), within.raw());
        assert_ne!(a.raw(), next.raw());
        assert_eq!(Record::from_spec(Some(&a.to_spec())), a);
        assert_eq!(Record::from_spec(None).holder_identity, "");
    }

    #[test]
    fn the_defaults_pass_client_gos_own_checks() {
        // NewLeaderElector: leaseDuration > renewDeadline > JitterFactor × retryPeriod.
        let t = CLIENT_GO_DEFAULTS;
        assert!(t.lease_duration > t.renew_deadline);
        assert!(t.renew_deadline > t.retry_period.mul_f64(JITTER_FACTOR));
    }
}
