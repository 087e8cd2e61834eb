//! What a check concludes, and how it explains itself to a human: [`Outcome`].

use std::fmt;

/// The verdict on a history.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a check that nobody looks at cannot fail"]
pub enum Outcome {
    /// Every key's operations can be ordered so that the model accepts them and the order
    /// respects real time.
    Linearizable,
    /// Some key's operations cannot; the violation says where the search got stuck.
    NotLinearizable(Box<Violation>),
    /// The checker could not decide. This is never a pass.
    Unknown {
        /// Why.
        reason: UnknownReason,
    },
}

impl Outcome {
    /// Whether the history passed.
    #[must_use]
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Outcome::Linearizable)
    }

    /// The violation, if the history failed.
    #[must_use]
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            Outcome::NotLinearizable(violation) => Some(violation),
            _ => None,
        }
    }
}

/// Why a check ended without a verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnknownReason {
    /// The search of one key used up its step budget.
    BudgetExhausted {
        /// The key whose search gave up.
        key: String,
        /// The budget, from `CheckOptions::max_steps`.
        max_steps: u64,
    },
    /// The history cannot be checked as recorded.
    InvalidHistory {
        /// Index of the offending operation in the checked slice.
        index: usize,
        /// What is wrong with it.
        problem: String,
    },
}

/// One operation as a violation reports it: where to find it, and a rendering a human
/// can read without the history at hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRef {
    /// Index in the checked slice of operations.
    pub index: usize,
    /// The issuing client.
    pub client: u64,
    /// Invocation time.
    pub call: u64,
    /// Return time; `None` when the outcome is unknown.
    pub ret: Option<u64>,
    /// `input -> output`, as the model displays them (`?` for an unobserved output).
    pub text: String,
}

/// Where the search for a linearization of one key got stuck.
///
/// The search reports the deepest point it reached: `prefix` is the longest sequence of
/// operations it could linearize, and `blocked` is an operation that had to take effect
/// before its return time but could not follow that prefix. The bug is usually `blocked`
/// itself (a stale or invented read) or one of `pending` (a write that should not have
/// been acknowledged, or should have been visible).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The key whose history is not linearizable.
    pub key: String,
    /// The longest linearizable prefix found, in linearization order.
    pub prefix: Vec<OpRef>,
    /// The model state after `prefix`.
    pub state: String,
    /// The operation whose return time was reached without a place for it.
    pub blocked: OpRef,
    /// The operations invoked before `blocked` returned that are not in `prefix` (including
    /// `blocked`): every candidate for the next place, none of which fits.
    pub pending: Vec<OpRef>,
}

/// How many prefix operations a [`Violation`]'s display shows; the rest are counted.
const SHOWN_PREFIX: usize = 20;

impl fmt::Display for OpRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} client {} [{}, ", self.index, self.client, self.call)?;
        match self.ret {
            Some(ret) => write!(f, "{ret}]")?,
            None => f.write_str("unknown]")?,
        }
        write!(f, " {}", self.text)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "key {:?}: no linearization places {} before its return",
            self.key, self.blocked
        )?;
        writeln!(
            f,
            "  state after the longest linearizable prefix ({} ops): {}",
            self.prefix.len(),
            self.state
        )?;
        writeln!(f, "  candidates for the next place, none of which fits:")?;
        for op in &self.pending {
            writeln!(f, "    {op}")?;
        }
        let skipped = self.prefix.len().saturating_sub(SHOWN_PREFIX);
        if skipped > 0 {
            writeln!(f, "  prefix (first {skipped} ops elided):")?;
        } else {
            writeln!(f, "  prefix:")?;
        }
        for op in &self.prefix[skipped..] {
            writeln!(f, "    {op}")?;
        }
        Ok(())
    }
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownReason::BudgetExhausted { key, max_steps } => write!(
                f,
                "the search of key {key:?} gave up after {max_steps} steps; raise \
                 CheckOptions::max_steps, or record fewer concurrent or unknown-outcome \
                 operations on that key"
            ),
            UnknownReason::InvalidHistory { index, problem } => {
                write!(f, "operation #{index} cannot be checked: {problem}")
            }
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Linearizable => f.write_str("linearizable"),
            Outcome::NotLinearizable(violation) => write!(f, "NOT linearizable: {violation}"),
            Outcome::Unknown { reason } => write!(f, "linearizability unknown: {reason}"),
        }
    }
}
