//! `SpecError`: one problem in a Parliament spec, with its field and the fix.

/// One problem in a Parliament spec: the offending field, what is wrong with it (quoting the
/// offending value) and what to do. Shown to users in the InvalidSpec condition and in
/// Events, so it reads as a sentence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}; {fix}")]
pub struct SpecError {
    /// Path of the field from the object root, such as `spec.districting.podNames.east[2]`.
    pub path: String,
    /// What is wrong, with the offending value.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl SpecError {
    /// A problem at `path`.
    pub fn new(
        path: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        SpecError {
            path: path.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// All problems in one line, for a condition message: the first ones in full, then how
    /// many more there are.
    #[must_use]
    pub fn summary(errors: &[SpecError]) -> String {
        const SHOWN: usize = 3;
        let mut text = errors
            .iter()
            .take(SHOWN)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(". ");
        if errors.len() > SHOWN {
            text.push_str(&format!(". And {} more problems", errors.len() - SHOWN));
        }
        text
    }
}
