//! District names: the `<name>` in a `district/<name>` scope.

use std::fmt;
use std::str::FromStr;

use crate::state::error::{Error, Result, preview_str};

/// The longest district name, in bytes (a DNS label, RFC 1123).
pub const MAX_DISTRICT_NAME_BYTES: usize = 63;

const RULE: &str = "a district name is a DNS label (RFC 1123): 1 to 63 lowercase letters, \
                    digits or '-', starting and ending with a letter or digit";

/// The name of a district, valid as a DNS label so that it can appear in Kubernetes
/// label values, object names and URLs unchanged.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DistrictName(String);

impl DistrictName {
    /// Checks `name` and wraps it.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::TooLong`] or [`Error::NotAllowed`] naming the offending
    /// character and its position.
    pub fn new(name: impl Into<String>) -> Result<DistrictName> {
        let name = name.into();
        check(&name)?;
        Ok(DistrictName(name))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check(name: &str) -> Result<()> {
    const FIELD: &str = "district name";
    if name.is_empty() {
        return Err(Error::Empty { field: FIELD });
    }
    if name.len() > MAX_DISTRICT_NAME_BYTES {
        return Err(Error::TooLong {
            field: FIELD,
            value: preview_str(name),
            len: name.len(),
            limit: MAX_DISTRICT_NAME_BYTES,
        });
    }
    let not_allowed = |problem: String| Error::NotAllowed {
        field: FIELD,
        value: preview_str(name),
        problem,
        rule: RULE,
    };
    if let Some((at, c)) = name
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(not_allowed(format!("{c:?} at byte {at}")));
    }
    if name.starts_with('-') {
        return Err(not_allowed("starts with '-'".to_owned()));
    }
    if name.ends_with('-') {
        return Err(not_allowed("ends with '-'".to_owned()));
    }
    Ok(())
}

impl fmt::Display for DistrictName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DistrictName {
    type Err = Error;
    fn from_str(s: &str) -> Result<DistrictName> {
        DistrictName::new(s)
    }
}

impl AsRef<str> for DistrictName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
