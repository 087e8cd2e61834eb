//! Linearizability checking of recorded client histories (DESIGN.md §5.3).
//!
//! A simulator or process-level test records every client operation with its call and
//! return times ([`History`] or [`Op`]), then asks [`check`] whether some total order of
//! the operations respects real time and is accepted by a sequential [`Model`]. The
//! history is split by key and each key is searched on its own, which is sound for
//! single-key operations because linearizability is local (Herlihy & Wing 1990).
//! The search is Wing & Gong's with Lowe's memoization, as in Porcupine; see
//! `docs/linearizability.md` for the algorithm, the unknown-outcome rule and the limits.
//!
//! At-least-revision reads are not linearizable by design; [`check_monotonic_reads`]
//! checks the session guarantees they do give.
//!
//! ```
//! use parliament_tests::linearizability::{check, CheckOptions, History, KvInput, KvModel, KvOutput};
//!
//! let mut history = History::new();
//! let put = history.invoke(1, "k", KvInput::Put(b"a".to_vec()));
//! let get = history.invoke(2, "k", KvInput::Get);
//! history.complete(put, KvOutput::Ok)?;
//! history.complete(get, KvOutput::Value(None))?; // concurrent with the put: may miss it
//! let outcome = check(&KvModel::new(), history.ops(), &CheckOptions::default());
//! assert!(outcome.is_linearizable(), "{outcome}");
//! # Ok::<(), parliament_tests::linearizability::HistoryError>(())
//! ```

mod history;
mod kv;
mod memo;
mod model;
mod monotonic;
mod outcome;
mod search;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use history::{History, HistoryError, Op, OpId};
pub use kv::{KvInput, KvModel, KvOutput, KvState};
pub use model::Model;
pub use monotonic::{RevisionRead, RevisionViolation, check_monotonic_reads};
pub use outcome::{OpRef, Outcome, UnknownReason, Violation};

use search::KeyVerdict;

/// How much work a check may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Search steps allowed per key before the check answers [`Outcome::Unknown`]. A step
    /// is one attempt to place an operation or one backtrack. A history with little
    /// concurrency needs a few steps per operation; the search is exponential in the
    /// number of operations that overlap, so the budget is what bounds a pathological one.
    pub max_steps: u64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        // Two to three seconds of search per key in a release build, about five times
        // that in a debug one: far more than a history with few lost writes needs, and
        // small enough that a blow-up ends with an answer.
        CheckOptions {
            max_steps: 10_000_000,
        }
    }
}

/// Check whether `ops` is linearizable with respect to `model`, one key at a time.
///
/// The order of `ops` does not matter; reports refer to operations by their index in it.
/// Keys are checked in lexicographic order and the first violation found is returned;
/// when no key is violated but some key's search ran out of budget, the outcome is
/// [`Outcome::Unknown`]. A history the model cannot interpret (a return before its call,
/// an answer of the wrong kind) is reported as [`UnknownReason::InvalidHistory`] before
/// any search.
pub fn check<M: Model>(
    model: &M,
    ops: &[Op<M::Input, M::Output>],
    options: &CheckOptions,
) -> Outcome {
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, op) in ops.iter().enumerate() {
        if let Some(ret) = op.ret
            && ret < op.call
        {
            return invalid(
                index,
                format!("it returns at {ret}, before its call at {}", op.call),
            );
        }
        if let Some(output) = &op.output
            && let Err(problem) = model.validate(&op.input, output)
        {
            return invalid(index, problem);
        }
        // A read nobody saw the answer to constrains nothing; keeping it would only give
        // the search more places to try it.
        if op.output.is_none() && model.is_read_only(&op.input) {
            continue;
        }
        by_key.entry(op.key.as_str()).or_default().push(index);
    }

    let mut exhausted = None;
    for (key, members) in &by_key {
        match search::check_key(model, ops, members, key, options.max_steps) {
            KeyVerdict::Linearizable => {}
            KeyVerdict::Violation(violation) => return Outcome::NotLinearizable(violation),
            KeyVerdict::Exhausted => {
                // Keep looking: a violation on another key is a more useful answer.
                exhausted.get_or_insert_with(|| (*key).to_owned());
            }
        }
    }
    match exhausted {
        Some(key) => Outcome::Unknown {
            reason: UnknownReason::BudgetExhausted {
                key,
                max_steps: options.max_steps,
            },
        },
        None => Outcome::Linearizable,
    }
}

fn invalid(index: usize, problem: String) -> Outcome {
    Outcome::Unknown {
        reason: UnknownReason::InvalidHistory { index, problem },
    }
}
