//! Prometheus metrics of one member (prometheus-client): roles and terms, elections,
//! commit, read and fsync latencies, session sizes, queue depths, and the peer links.
//! Label values come from explicit matches (`&'static str`), never from `Debug` output.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::node::{MemberRole, RolesView};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabel {
    group: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabel {
    scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabel {
    level: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeerLabel {
    peer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RoleLabel {
    role: &'static str,
}

fn latency() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

/// The member's metrics and their registry.
pub struct Metrics {
    registry: Mutex<Registry>,
    role: Family<RoleLabel, Gauge>,
    term: Family<GroupLabel, Gauge>,
    elections: Family<GroupLabel, Counter>,
    hand_overs: Family<GroupLabel, Counter>,
    peer_rtt: Family<PeerLabel, Gauge<f64, std::sync::atomic::AtomicU64>>,
    commit_seconds: Family<ScopeLabel, Histogram, fn() -> Histogram>,
    read_seconds: Family<LevelLabel, Histogram, fn() -> Histogram>,
    persist_seconds: Histogram,
    session_size: Histogram,
    queued: Gauge,
    waiting: Gauge,
    district_commit: Gauge,
    global_commit: Gauge,
    roster_revision: Gauge,
    roster_refusals: Counter,
    sessions_seen: AtomicU64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric registered under `parliament_`.
    #[must_use]
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("parliament");
        let role = Family::<RoleLabel, Gauge>::default();
        registry.register(
            "role",
            "1 for the role this member holds now (member, representative, prime-minister)",
            role.clone(),
        );
        let term = Family::<GroupLabel, Gauge>::default();
        registry.register(
            "term",
            "This member's term in its district and, while it hosts the seat, the Commons",
            term.clone(),
        );
        let elections = Family::<GroupLabel, Counter>::default();
        registry.register(
            "elections_won",
            "Times this member became leader of its district or, as a seat, of the Commons",
            elections.clone(),
        );
        let hand_overs = Family::<GroupLabel, Counter>::default();
        registry.register(
            "hand_overs",
            "Term-limit hand-overs this member started as leader of its district or the Commons",
            hand_overs.clone(),
        );
        let peer_rtt = Family::<PeerLabel, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "peer_rtt_seconds",
            "Smoothed round-trip time to each peer this member has timed (its reputation observer's)",
            peer_rtt.clone(),
        );
        let commit_seconds: Family<ScopeLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency);
        registry.register(
            "commit_seconds",
            "Time from a client write reaching this member to its answer, per scope",
            commit_seconds.clone(),
        );
        let read_seconds: Family<LevelLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency);
        registry.register(
            "read_seconds",
            "Time to serve a read, per read level",
            read_seconds.clone(),
        );
        let persist_seconds = latency();
        registry.register(
            "ledger_persist_seconds",
            "Time of one durable ledger write (write and fdatasync)",
            persist_seconds.clone(),
        );
        let session_size = Histogram::new(exponential_buckets(1.0, 2.0, 12));
        registry.register(
            "session_writes",
            "Global writes per session this member held as Prime Minister",
            session_size.clone(),
        );
        let queued = Gauge::default();
        registry.register(
            "session_queue_depth",
            "Global writes queued at this representative for the next session",
            queued.clone(),
        );
        let waiting = Gauge::default();
        registry.register(
            "session_waiting",
            "Global writes waiting in this Prime Minister's per-district session queues",
            waiting.clone(),
        );
        let district_commit = Gauge::default();
        registry.register(
            "district_commit_index",
            "The district log's commit index",
            district_commit.clone(),
        );
        let global_commit = Gauge::default();
        registry.register(
            "global_commit_index",
            "The Commons commit index this member has applied",
            global_commit.clone(),
        );
        let roster_revision = Gauge::default();
        registry.register(
            "roster_revision",
            "The revision of the published roster this member runs with",
            roster_revision.clone(),
        );
        let roster_refusals = Counter::default();
        registry.register(
            "roster_refusals",
            "Published rosters this member could not adopt (see its log for why)",
            roster_refusals.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            role,
            term,
            elections,
            hand_overs,
            peer_rtt,
            commit_seconds,
            read_seconds,
            persist_seconds,
            session_size,
            queued,
            waiting,
            district_commit,
            global_commit,
            roster_revision,
            roster_refusals,
            sessions_seen: AtomicU64::new(0),
        }
    }

    /// The text exposition format.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = match self.registry.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
            tracing::error!(error = %e, "encoding metrics");
        }
        out
    }

    /// A client write was answered after `seconds`.
    pub fn observe_commit(&self, scope: &'static str, seconds: f64) {
        self.commit_seconds
            .get_or_create(&ScopeLabel { scope })
            .observe(seconds);
    }

    /// A read was served after `seconds`.
    pub fn observe_read(&self, level: &'static str, seconds: f64) {
        self.read_seconds
            .get_or_create(&LevelLabel { level })
            .observe(seconds);
    }

    /// A ledger write took `seconds`.
    pub fn observe_persist(&self, seconds: f64) {
        self.persist_seconds.observe(seconds);
    }

    /// This member won an election in `group` (`district` or `commons`).
    pub fn election(&self, group: &'static str) {
        self.elections.get_or_create(&GroupLabel { group }).inc();
    }

    /// This member started a term-limit hand-over in `group`.
    pub fn hand_over(&self, group: &'static str) {
        self.hand_overs.get_or_create(&GroupLabel { group }).inc();
    }

    /// The smoothed round-trip time to `peer`.
    pub fn set_peer_rtt(&self, peer: &str, seconds: f64) {
        self.peer_rtt
            .get_or_create(&PeerLabel {
                peer: peer.to_owned(),
            })
            .set(seconds);
    }

    /// The member adopted roster `revision`.
    pub fn set_roster_revision(&self, revision: u64) {
        self.roster_revision
            .set(i64::try_from(revision).unwrap_or(i64::MAX));
    }

    /// A published roster was refused.
    pub fn roster_refused(&self) {
        self.roster_refusals.inc();
    }

    /// The roles as the engine task last published them.
    pub fn set_roles(&self, view: &RolesView) {
        let now = view.member_role();
        for r in [
            MemberRole::Member,
            MemberRole::Representative,
            MemberRole::PrimeMinister,
        ] {
            self.role
                .get_or_create(&RoleLabel { role: r.label() })
                .set(i64::from(r == now));
        }
        let gauge = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.term
            .get_or_create(&GroupLabel { group: "district" })
            .set(gauge(view.district_term.0));
        if let Some(seat) = &view.seat {
            self.term
                .get_or_create(&GroupLabel { group: "commons" })
                .set(gauge(seat.term.0));
        }
        self.queued.set(gauge(view.queued as u64));
        self.waiting.set(gauge(view.waiting as u64));
        self.district_commit.set(gauge(view.district_commit.0));
        self.global_commit.set(gauge(view.global_commit.0));
        let seen = self
            .sessions_seen
            .swap(view.sessions_held, Ordering::Relaxed);
        if view.sessions_held > seen {
            self.session_size.observe(view.last_session_size as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_exposed_with_their_labels() {
        let m = Metrics::new();
        m.observe_commit("global", 0.004);
        m.election("district");
        let text = m.encode();
        assert!(
            text.contains("parliament_commit_seconds_count{scope=\"global\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("parliament_elections_won_total{group=\"district\"} 1"),
            "{text}"
        );
    }
}
