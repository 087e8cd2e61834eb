//! Scopes: which log decides a key, and so how far a write must travel to commit.

use std::fmt;
use std::str::FromStr;

use crate::state::district::{DistrictName, MAX_DISTRICT_NAME_BYTES};
use crate::state::error::{Error, Result, preview_str};
use crate::state::wire::{Reader, Wire, Writer};

/// The scope of a key: which parliament decides it (DESIGN.md §1, "agree on data").
///
/// Each scope is an independent store with its own revision counter, sessions and
/// fences; a key names a value only within its scope. Written as `district/<name>`,
/// `global` or `critical`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Committed inside one district's group: fast, and only that district's members
    /// hold it.
    District(DistrictName),
    /// Committed by the House of Commons; every member holds it.
    Global,
    /// Committed by the Commons and takes effect only once a majority of Lords voted
    /// aye.
    Critical,
}

impl Scope {
    /// Parses `district/<name>`, `global` or `critical`.
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for any other form; a district name's own error when the
    /// name is invalid.
    pub fn parse(s: &str) -> Result<Scope> {
        match s {
            "global" => Ok(Scope::Global),
            "critical" => Ok(Scope::Critical),
            _ => match s.strip_prefix("district/") {
                Some(name) => Ok(Scope::District(DistrictName::new(name)?)),
                None => Err(Error::UnknownScope {
                    value: preview_str(s),
                }),
            },
        }
    }

    /// The district scope of `name`.
    ///
    /// # Errors
    /// The district name's error when `name` is not a DNS label.
    pub fn district(name: &str) -> Result<Scope> {
        Ok(Scope::District(DistrictName::new(name)?))
    }

    /// The kind of scope, for logs and metric labels: `district`, `global` or
    /// `critical` (never the district's name, which would make labels unbounded).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::District(_) => "district",
            Scope::Global => "global",
            Scope::Critical => "critical",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::District(name) => write!(f, "district/{name}"),
            Scope::Global => f.write_str("global"),
            Scope::Critical => f.write_str("critical"),
        }
    }
}

impl FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scope> {
        Scope::parse(s)
    }
}

const TAG_DISTRICT: u8 = 1;
const TAG_GLOBAL: u8 = 2;
const TAG_CRITICAL: u8 = 3;

impl Wire for Scope {
    fn put(&self, w: &mut Writer) {
        match self {
            Scope::District(name) => {
                w.u8(TAG_DISTRICT);
                // A valid name is at most 63 bytes, so its length fits one byte.
                w.u8(u8::try_from(name.as_str().len()).unwrap_or(u8::MAX));
                w.raw(name.as_str().as_bytes());
            }
            Scope::Global => w.u8(TAG_GLOBAL),
            Scope::Critical => w.u8(TAG_CRITICAL),
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<Scope> {
        let offset = r.position();
        match r.u8("scope")? {
            TAG_DISTRICT => {
                let len = r.u8("district name length")?;
                if usize::from(len) > MAX_DISTRICT_NAME_BYTES {
                    return Err(Error::TooLong {
                        field: "district name",
                        value: format!("at offset {}", r.position()),
                        len: usize::from(len),
                        limit: MAX_DISTRICT_NAME_BYTES,
                    });
                }
                let at = r.position();
                let bytes = r.take(u64::from(len), "district name")?;
                let name = std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
                    what: "district name",
                    offset: at,
                })?;
                Ok(Scope::District(DistrictName::new(name)?))
            }
            TAG_GLOBAL => Ok(Scope::Global),
            TAG_CRITICAL => Ok(Scope::Critical),
            tag => Err(Error::UnknownTag {
                what: "scope",
                tag,
                offset,
            }),
        }
    }
}
