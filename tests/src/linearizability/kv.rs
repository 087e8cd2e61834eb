//! The key-value store's sequential specification, one key at a time: [`KvModel`].

use std::fmt;

use super::model::Model;

/// A request to one key of the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput {
    /// Read the value.
    Get,
    /// Write the value unconditionally.
    Put(Vec<u8>),
    /// Remove the key.
    Delete,
    /// Write `new` (`None` removes the key) only if the value is `expect` (`None`: absent).
    Cas {
        /// The value the key must hold for the swap to happen; `None` means absent.
        expect: Option<Vec<u8>>,
        /// The value to write; `None` removes the key.
        new: Option<Vec<u8>>,
    },
    /// Write the value only if the key is absent.
    CreateIfAbsent(Vec<u8>),
}

/// An answer from the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOutput {
    /// Answer to [`KvInput::Get`]: the value seen, `None` when absent.
    Value(Option<Vec<u8>>),
    /// Answer to [`KvInput::Get`] from a store that also reports the key's version
    /// (see [`KvState::version`] for what it counts). Only [`KvModel::with_versions`]
    /// checks it.
    Versioned {
        /// The value seen, `None` when absent.
        value: Option<Vec<u8>>,
        /// The key's version at the read.
        version: u64,
    },
    /// Answer to [`KvInput::Put`], or to [`KvInput::Delete`] from a store that does not
    /// say whether the key existed.
    Ok,
    /// Answer to [`KvInput::Delete`] from a store that says whether the key existed.
    Deleted {
        /// Whether there was a value to remove.
        existed: bool,
    },
    /// Answer to [`KvInput::Cas`] and [`KvInput::CreateIfAbsent`]: whether the write
    /// happened.
    Succeeded(bool),
}

/// The state of one key: its value and how many writes have changed it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvState {
    /// The current value; `None` when the key is absent.
    pub value: Option<Vec<u8>>,
    /// The number of effective writes to the key since the history began: every `Put`,
    /// every successful `Cas` and `CreateIfAbsent`, and every `Delete` that removed a
    /// value. A `Delete` of an absent key and a failed conditional write do not count.
    /// Always 0 unless the model was built with [`KvModel::with_versions`].
    pub version: u64,
}

/// A linearizable register per key with unconditional and conditional writes.
///
/// Every key starts absent at version 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel {
    versions: bool,
}

impl KvModel {
    /// A model that checks values only; [`KvOutput::Versioned`] answers are rejected as
    /// an invalid history.
    #[must_use]
    pub const fn new() -> KvModel {
        KvModel { versions: false }
    }

    /// A model that also counts each key's writes and checks the versions reads report.
    ///
    /// Stronger (a read can no longer mistake "a, b, a" for "a"), and costlier when the
    /// history has writes with unknown outcomes: each one placed or left out yields a
    /// different version, so fewer branches of the search meet again. Use it when the
    /// store reports versions.
    #[must_use]
    pub const fn with_versions() -> KvModel {
        KvModel { versions: true }
    }

    fn write(&self, state: &KvState, value: Option<Vec<u8>>) -> KvState {
        KvState {
            value,
            version: state.version + u64::from(self.versions),
        }
    }
}

impl Model for KvModel {
    type State = KvState;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> KvState {
        KvState::default()
    }

    fn step(&self, state: &KvState, input: &KvInput, output: Option<&KvOutput>) -> Option<KvState> {
        match input {
            KvInput::Get => {
                let seen = match output {
                    None => true,
                    Some(KvOutput::Value(value)) => *value == state.value,
                    Some(KvOutput::Versioned { value, version }) => {
                        *value == state.value && *version == state.version
                    }
                    Some(_) => false,
                };
                seen.then(|| state.clone())
            }
            KvInput::Put(value) => matches!(output, None | Some(KvOutput::Ok))
                .then(|| self.write(state, Some(value.clone()))),
            KvInput::Delete => {
                let existed = state.value.is_some();
                let legal = match output {
                    None | Some(KvOutput::Ok) => true,
                    Some(KvOutput::Deleted { existed: said }) => *said == existed,
                    Some(_) => false,
                };
                match (legal, existed) {
                    (false, _) => None,
                    (true, true) => Some(self.write(state, None)),
                    (true, false) => Some(state.clone()),
                }
            }
            KvInput::Cas { expect, new } => {
                let next = || self.write(state, new.clone());
                conditional(state, *expect == state.value, output, next)
            }
            KvInput::CreateIfAbsent(value) => {
                let next = || self.write(state, Some(value.clone()));
                conditional(state, state.value.is_none(), output, next)
            }
        }
    }

    fn is_read_only(&self, input: &KvInput) -> bool {
        matches!(input, KvInput::Get)
    }

    fn validate(&self, input: &KvInput, output: &KvOutput) -> Result<(), String> {
        let fits = match input {
            KvInput::Get => matches!(output, KvOutput::Value(_) | KvOutput::Versioned { .. }),
            KvInput::Put(_) => matches!(output, KvOutput::Ok),
            KvInput::Delete => matches!(output, KvOutput::Ok | KvOutput::Deleted { .. }),
            KvInput::Cas { .. } | KvInput::CreateIfAbsent(_) => {
                matches!(output, KvOutput::Succeeded(_))
            }
        };
        if !fits {
            return Err(format!("{input} cannot be answered with {output}"));
        }
        if !self.versions && matches!(output, KvOutput::Versioned { .. }) {
            return Err(format!(
                "{input} was answered with a version ({output}) but the model ignores \
                 versions; check with KvModel::with_versions()"
            ));
        }
        Ok(())
    }
}

/// A conditional write: legal when the observed success (if any) matches `holds`.
fn conditional(
    state: &KvState,
    holds: bool,
    output: Option<&KvOutput>,
    written: impl FnOnce() -> KvState,
) -> Option<KvState> {
    let legal = match output {
        None => true,
        Some(KvOutput::Succeeded(said)) => *said == holds,
        Some(_) => false,
    };
    match (legal, holds) {
        (false, _) => None,
        (true, true) => Some(written()),
        (true, false) => Some(state.clone()),
    }
}

/// Writes a value for a human: quoted text when it is short printable UTF-8, else hex.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Long values would drown the explanation; the prefix is enough to tell them apart
        // in a test whose values the reader chose.
        const SHOWN: usize = 32;
        let shown = &self.0[..self.0.len().min(SHOWN)];
        match std::str::from_utf8(shown) {
            Ok(text) if !text.chars().any(char::is_control) => write!(f, "{text:?}")?,
            _ => {
                f.write_str("0x")?;
                for byte in shown {
                    write!(f, "{byte:02x}")?;
                }
            }
        }
        if self.0.len() > SHOWN {
            write!(f, "..({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

struct Maybe<'a>(&'a Option<Vec<u8>>);

impl fmt::Display for Maybe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) => Bytes(value).fmt(f),
            None => f.write_str("absent"),
        }
    }
}

impl fmt::Display for KvInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvInput::Get => f.write_str("get"),
            KvInput::Put(value) => write!(f, "put({})", Bytes(value)),
            KvInput::Delete => f.write_str("delete"),
            KvInput::Cas { expect, new } => write!(f, "cas({} -> {})", Maybe(expect), Maybe(new)),
            KvInput::CreateIfAbsent(value) => write!(f, "create-if-absent({})", Bytes(value)),
        }
    }
}

impl fmt::Display for KvOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvOutput::Value(value) => Maybe(value).fmt(f),
            KvOutput::Versioned { value, version } => write!(f, "{} v{version}", Maybe(value)),
            KvOutput::Ok => f.write_str("ok"),
            KvOutput::Deleted { existed: true } => f.write_str("deleted"),
            KvOutput::Deleted { existed: false } => f.write_str("was absent"),
            KvOutput::Succeeded(true) => f.write_str("succeeded"),
            KvOutput::Succeeded(false) => f.write_str("failed"),
        }
    }
}

impl fmt::Display for KvState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Maybe(&self.value).fmt(f)?;
        // Without versions the count stays 0 and would only be noise.
        if self.version > 0 {
            write!(f, " v{}", self.version)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    fn at(value: Option<&str>, version: u64) -> KvState {
        KvState {
            value: value.map(v),
            version,
        }
    }

    // One row per rule: (state before, input, output, expected state after or None).
    #[test]
    fn step_follows_the_specification() {
        use KvInput as I;
        use KvOutput as O;
        let cases: Vec<(KvState, KvInput, Option<KvOutput>, Option<KvState>)> = vec![
            (at(None, 0), I::Get, Some(O::Value(None)), Some(at(None, 0))),
            (at(None, 0), I::Get, Some(O::Value(Some(v("a")))), None),
            (
                at(Some("a"), 1),
                I::Get,
                Some(O::Versioned {
                    value: Some(v("a")),
                    version: 1,
                }),
                Some(at(Some("a"), 1)),
            ),
            (
                at(Some("a"), 1),
                I::Get,
                Some(O::Versioned {
                    value: Some(v("a")),
                    version: 2,
                }),
                None,
            ),
            (at(Some("a"), 1), I::Get, None, Some(at(Some("a"), 1))),
            (
                at(None, 0),
                I::Put(v("a")),
                Some(O::Ok),
                Some(at(Some("a"), 1)),
            ),
            (
                at(Some("a"), 1),
                I::Put(v("a")),
                None,
                Some(at(Some("a"), 2)),
            ),
            (
                at(Some("a"), 1),
                I::Delete,
                Some(O::Deleted { existed: true }),
                Some(at(None, 2)),
            ),
            (
                at(Some("a"), 1),
                I::Delete,
                Some(O::Deleted { existed: false }),
                None,
            ),
            (at(None, 3), I::Delete, Some(O::Ok), Some(at(None, 3))),
            (
                at(Some("a"), 1),
                I::Cas {
                    expect: Some(v("a")),
                    new: Some(v("b")),
                },
                Some(O::Succeeded(true)),
                Some(at(Some("b"), 2)),
            ),
            (
                at(Some("a"), 1),
                I::Cas {
                    expect: Some(v("x")),
                    new: Some(v("b")),
                },
                Some(O::Succeeded(true)),
                None,
            ),
            (
                at(Some("a"), 1),
                I::Cas {
                    expect: Some(v("x")),
                    new: Some(v("b")),
                },
                Some(O::Succeeded(false)),
                Some(at(Some("a"), 1)),
            ),
            (
                at(Some("a"), 1),
                I::Cas {
                    expect: Some(v("a")),
                    new: None,
                },
                None,
                Some(at(None, 2)),
            ),
            (
                at(None, 0),
                I::CreateIfAbsent(v("a")),
                Some(O::Succeeded(true)),
                Some(at(Some("a"), 1)),
            ),
            (
                at(Some("a"), 1),
                I::CreateIfAbsent(v("b")),
                Some(O::Succeeded(true)),
                None,
            ),
            (
                at(Some("a"), 1),
                I::CreateIfAbsent(v("b")),
                Some(O::Succeeded(false)),
                Some(at(Some("a"), 1)),
            ),
        ];
        for (before, input, output, after) in cases {
            assert_eq!(
                KvModel::with_versions().step(&before, &input, output.as_ref()),
                after,
                "{before} --{input} -> {output:?}"
            );
        }
    }

    #[test]
    fn without_versions_writes_leave_the_count_alone() {
        let model = KvModel::new();
        let after = model.step(
            &at(Some("a"), 0),
            &KvInput::Put(v("b")),
            Some(&KvOutput::Ok),
        );
        assert_eq!(after, Some(at(Some("b"), 0)));
        let swapped = KvInput::Cas {
            expect: Some(v("b")),
            new: None,
        };
        assert_eq!(
            model.step(&at(Some("b"), 0), &swapped, None),
            Some(at(None, 0))
        );
    }

    #[test]
    fn mismatched_answers_are_rejected_before_the_search() {
        let model = KvModel::with_versions();
        assert!(
            model
                .validate(&KvInput::Put(v("a")), &KvOutput::Value(None))
                .is_err()
        );
        assert!(
            model
                .validate(&KvInput::Get, &KvOutput::Succeeded(true))
                .is_err()
        );
        assert!(
            model
                .validate(&KvInput::Delete, &KvOutput::Deleted { existed: false })
                .is_ok()
        );
        let versioned = KvOutput::Versioned {
            value: None,
            version: 0,
        };
        assert!(model.validate(&KvInput::Get, &versioned).is_ok());
        let problem = KvModel::new().validate(&KvInput::Get, &versioned);
        assert!(problem.is_err_and(|p| p.contains("KvModel::with_versions()")));
    }

    #[test]
    fn values_render_as_text_or_hex() {
        assert_eq!(Bytes(b"abc").to_string(), "\"abc\"");
        assert_eq!(Bytes(&[0, 255]).to_string(), "0x00ff");
        assert_eq!(
            Bytes(&[b'x'; 40]).to_string(),
            format!("{:?}..(40 bytes)", "x".repeat(32))
        );
    }
}
