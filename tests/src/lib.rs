//! Parliament simulator and checkers.
pub mod docker;
pub mod linearizability;

mod error;
pub mod sim;

pub use error::{Error, Result};
