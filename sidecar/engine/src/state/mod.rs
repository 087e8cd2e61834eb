//! The replicated state machine (DESIGN.md §3): what committed entries do. For now the
//! key-value store of three scopes, with client sessions and fences; seats, the roster
//! and the reputation table join later as further [`Command`] kinds.
//!
//! The rules, the encodings and why they are safe are in `docs/store.md`.
//!
//! # Using it
//! The shell builds one [`StateMachine`] per log with a [`Config`] shared by every
//! replica, and feeds it each committed entry in order ([`StateMachine::apply_entry`],
//! or [`StateMachine::apply`] and [`StateMachine::skip`]). Every applied command gives a
//! [`Response`] carrying the scope's [`Revision`]; the shell answers the client that
//! proposed it. Reads ([`StateMachine::get`], [`StateMachine::list`]) serve what has
//! been applied; the read level is decided by when the shell serves them
//! ([`StateMachine::can_serve_at_least`] for at-least-revision reads).
//!
//! ```
//! use parliament_engine::LogIndex;
//! use parliament_engine::state::{
//!     Command, Config, Key, Outcome, RequestId, Scope, StateMachine, Write,
//! };
//!
//! let mut sm = StateMachine::new(Config::default())?;
//! let scope = Scope::parse("district/eu-west-1a")?;
//! let open = sm.apply(LogIndex(1), None, &Command::OpenSession { scope: scope.clone() }.encode())?;
//! let Outcome::SessionOpened { client } = open.outcome else {
//!     return Err(format!("open-session answered {:?}", open.outcome).into());
//! };
//!
//! let put = Write::put(scope.clone(), Key::new("config/replicas")?, "3")
//!     .with_request(RequestId::new(client, 1));
//! let first = sm.apply(LogIndex(2), None, &Command::from(put.clone()).encode())?;
//! let retry = sm.apply(LogIndex(3), None, &Command::from(put).encode())?;
//! assert_eq!((first.revision.get(), retry.revision.get()), (1, 1));
//! assert!(retry.replayed, "the retry was answered, not applied again");
//! assert!(sm.can_serve_at_least(&scope, first.revision));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod command;
mod config;
mod district;
mod error;
mod fences;
mod key;
mod machine;
mod read;
mod rejected;
mod request;
mod response;
mod revision;
mod scope;
mod sessions;
pub mod snapshot;
mod store;
mod versioned;
pub(crate) mod wire;

pub use command::{COMMAND_VERSION, Command, Write, WriteOp};
pub use config::{Config, KEY_OVERHEAD_BYTES};
pub use district::{DistrictName, MAX_DISTRICT_NAME_BYTES};
pub use error::{Error, Result};
pub use key::{Key, MAX_KEY_BYTES};
pub use machine::StateMachine;
pub use read::{Page, Read};
pub use rejected::Rejected;
pub use request::RequestId;
pub use response::{Outcome, RESPONSE_VERSION, Response};
pub use revision::Revision;
pub use scope::Scope;
pub use versioned::{KeyMeta, Versioned};

#[cfg(test)]
mod tests;
