//! How the network behaves at a moment: [`Conditions`].

/// How the network behaves at the moment. The nemesis changes these during a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conditions {
    /// Chance (ppm) that a message is lost.
    pub loss_ppm: u32,
    /// Chance (ppm) that a message is delivered twice (the copy with its own latency).
    pub dup_ppm: u32,
    /// Ordinary latency, uniform in `min_ms..=max_ms`.
    pub min_ms: u64,
    /// See `min_ms`.
    pub max_ms: u64,
    /// Chance (ppm) that a message is slow: it takes up to `slow_max_ms` more.
    pub slow_ppm: u32,
    /// See `slow_ppm`.
    pub slow_max_ms: u64,
    /// When false, each directed link delivers in send order (TCP-like); when true, any
    /// message may overtake another.
    pub reorder: bool,
}

impl Conditions {
    /// A healthy network: nothing lost, a few milliseconds, in order.
    #[must_use]
    pub fn calm() -> Conditions {
        Conditions {
            loss_ppm: 0,
            dup_ppm: 0,
            min_ms: 1,
            max_ms: 5,
            slow_ppm: 0,
            slow_max_ms: 0,
            reorder: false,
        }
    }
}
