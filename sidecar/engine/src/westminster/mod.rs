//! The Westminster hierarchy on top of the one engine: districts, their Commons seats,
//! the members that host them (docs/westminster.md).

mod amendment;
mod commons_decree;
mod config;
mod critical_decree;
mod decode_error;
mod district_command;
mod envelope;
mod ids;
mod lords;
mod member;
pub mod reputation;
mod reputation_duty;
mod roster;
mod seat_record;
mod session;
mod session_message;
mod term_limit;
mod ticket;
mod ticket_log;

pub use amendment::Amendment;
pub use commons_decree::CommonsDecree;
pub use config::{LordsConfig, MemberConfig, SessionConfig, TermLimits, Timings};
pub use critical_decree::CriticalDecree;
pub use decode_error::DecodeError;
pub use district_command::{DistrictCommand, SeatPersist};
pub use envelope::Envelope;
pub use ids::{COMMONS, DistrictId};
pub use lords::{Enacted, Lords, SeatedLord};
pub use member::{Event, Member, MemberError, MemberReady, Proposal, Refused};
pub use roster::{DistrictRoster, Roster, RosterError};
pub use seat_record::SeatRecord;
pub use session::SessionStatus;
pub use session_message::SessionMessage;
pub use ticket::{SessionEntry, Ticket};

#[cfg(test)]
mod tests;
