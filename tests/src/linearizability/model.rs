//! The sequential specification a history is checked against: the [`Model`] trait.

use std::fmt;
use std::hash::Hash;

/// A sequential specification of one object (one key of a partitioned history).
///
/// The checker asks one question of a model: "from this state, may this input have
/// produced this output, and if so what is the next state?". Everything else (ordering,
/// concurrency, unknown outcomes) is the checker's business.
///
/// # Correctness requirements
///
/// - [`Model::step`] must be a pure function of its arguments: the search calls it many
///   times, in any order, on states it has cloned.
/// - The model must be *deterministic* for an unobserved output: given a state and an
///   input there is exactly one next state. A nondeterministic specification can still be
///   checked by making `State` the set of states it could be in.
/// - `State`'s `Eq` and `Hash` must agree with observable behaviour: two states that
///   compare equal must accept exactly the same future operations, because the search
///   prunes a branch whose (linearized set, state) pair it has already explored
///   (Lowe 2017, "Testing for linearizability", §4).
/// - Linearizability is checked per key (Herlihy & Wing 1990, locality), so a model must
///   describe one key only; operations that touch several keys at once cannot be checked
///   with a per-key model.
pub trait Model {
    /// The state of one key.
    type State: Clone + Eq + Hash + fmt::Display;
    /// What a client asked for.
    type Input: fmt::Display;
    /// What a client was told.
    type Output: fmt::Display;

    /// The state every key starts in.
    fn init(&self) -> Self::State;

    /// Apply `input` to `state`.
    ///
    /// `output` is what the client observed; `None` means it observed nothing (the outcome
    /// is unknown, or the recorder did not keep it) and any output the model would produce
    /// is acceptable.
    ///
    /// Returns the next state when `output` is a legal result, and `None` when it is not.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// Whether `input` never changes the state. The checker drops read-only operations
    /// whose output was not observed: they constrain nothing and only widen the search.
    ///
    /// The default, `false`, is always correct, merely slower.
    fn is_read_only(&self, input: &Self::Input) -> bool {
        let _ = input;
        false
    }

    /// Whether `output` is a possible kind of answer to `input` at all (a `Put` answered
    /// with a read value is a recording bug, not a consistency violation).
    ///
    /// # Errors
    ///
    /// A human-readable description of the mismatch; the checker reports it as an invalid
    /// history instead of searching. The default accepts everything.
    fn validate(&self, input: &Self::Input, output: &Self::Output) -> Result<(), String> {
        let _ = (input, output);
        Ok(())
    }
}
