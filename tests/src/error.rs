//! The crate's error type.

/// What can go wrong running the simulator (as opposed to a violation it finds).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A fault name the simulator does not know.
    #[error(
        "unknown fault {name:?}; choose from {known} (comma-separated), or \"all\" or \"none\""
    )]
    UnknownFault {
        /// What was given.
        name: String,
        /// The accepted names.
        known: String,
    },
    /// A simulation option out of range.
    #[error("{option} is {value}; it must be {want}")]
    Option {
        /// The option.
        option: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        want: &'static str,
    },
    /// The engine refused its configuration or persisted state.
    #[error("the engine refused to start: {0}")]
    Engine(#[from] parliament_engine::engine::ConfigError),
    /// The engine broke its side of the `Ready` contract (a bug in the engine).
    #[error("ready contract broken: {0}")]
    Contract(String),
}

/// Results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
