//! `Lord`: one sitting Lord, as the Prime Minister publishes it.

use std::time::SystemTime;

/// A member sitting in the House of Lords.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lord {
    /// The Lord's pod.
    pub pod: String,
    /// The district the Lord comes from.
    pub district: String,
    /// When the Lord's term ends, if known.
    pub term_ends: Option<SystemTime>,
}
