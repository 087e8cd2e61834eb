//! The crate's error type.

use crate::validate::SpecError;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec breaks rules the schema cannot express; each error names its field.
    #[error("invalid Parliament spec: {}", SpecError::summary(.errors))]
    InvalidSpec {
        /// Every problem found, in field order.
        errors: Vec<SpecError>,
    },
    /// A Parliament manifest is not valid YAML or does not fit the types.
    #[error("cannot read the Parliament manifest: {source}")]
    Manifest {
        /// The YAML error, with line and column.
        #[source]
        source: serde_saphyr::DeserializeError,
    },
    /// The CRD could not be turned into YAML.
    #[error("cannot write the CRD as YAML: {source}")]
    CrdYaml {
        /// The serialiser's error.
        #[source]
        source: serde_saphyr::SerializeError,
    },
    /// The generated CRD could not be post-processed as JSON.
    #[error("cannot post-process the generated CRD: {source}")]
    CrdJson {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A roster is not valid JSON or does not fit the roster type.
    #[error("cannot read or write the roster: {source}")]
    Roster {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Vec<SpecError>> for Error {
    fn from(errors: Vec<SpecError>) -> Self {
        Error::InvalidSpec { errors }
    }
}
