//! Reputation: each member scores the peers it observes, the district leader publishes
//! the district's table, and candidacy rank, hand-over targets and Lords are read from
//! the published table (docs/reputation.md).
//!
//! Reputation decides only *when* a member campaigns and *whom* a leader prefers; votes
//! still follow the log rule (Raft §5.4.1), so no table, however wrong, can weaken
//! safety.
//!
//! # Using it
//! Every member runs one [`Observer`] and feeds it what it sees (`handle_*`, with the
//! shell's `now`). The district leader periodically [`publish`](Observer::publish)es a
//! [`ReputationTable`] as a district decree ([`ReputationTable::encode`]); every member
//! applies it ([`ReputationTable::decode`], [`Observer::adopt`]) and ranks from it.
//!
//! ```
//! use std::time::Duration;
//! use parliament_engine::{LogIndex, NodeId, Time};
//! use parliament_engine::westminster::reputation::{Config, Observer, ReputationTable};
//!
//! let (leader, steady, flaky) = (NodeId(1), NodeId(2), NodeId(3));
//! let mut observer = Observer::new(leader, Config::default(), Time(0))?;
//! for tick in 1..=100u64 {
//!     let now = Time(tick * 100);
//!     observer.handle_round_trip(steady, Duration::from_millis(2), now);
//!     observer.handle_response(steady, true, now);
//!     observer.handle_match(steady, LogIndex(tick), LogIndex(tick), now);
//!     observer.handle_round_trip(flaky, Duration::from_millis(40), now);
//!     observer.handle_response(flaky, tick % 3 != 0, now);
//!     observer.handle_match(flaky, LogIndex(tick / 2), LogIndex(tick), now);
//! }
//! let table = observer.publish([leader, steady, flaky], LogIndex(100), Time(10_000));
//! let published = ReputationTable::decode(&table.encode())?;
//! assert_eq!(published, table);
//! assert_eq!(published.ranking(), vec![leader, steady, flaky]);
//! assert_eq!(published.rank_of(steady), Some((1, 3))); // for Replica::set_candidacy_rank
//! assert_eq!(published.best_handover_target([steady, flaky]), Some(steady));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
mod config;
mod observation;
mod observer;
mod score;
mod table;
mod terms;

pub use codec::{DecodeError, TABLE_VERSION};
pub use config::{Config, ConfigError, Weights};
pub use observation::Observation;
pub use observer::Observer;
pub use score::{Score, score};
pub use table::{ReputationTable, Row};
pub use terms::Terms;

#[cfg(test)]
mod tests;
