//! `Fence`: whether a leader's status entry may be written over the live one.

/// The outcome of comparing what a leader would publish with what the status holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fence {
    /// The status holds an older term (or nothing, or this leader's own entry with
    /// different progress): write.
    Write,
    /// The status already says exactly this: nothing to write.
    Same,
    /// The status holds a newer term, or another holder of the same term: this leader was
    /// deposed, and writing would undo its successor's entry. Never write.
    Stale {
        /// The term in the status.
        live_term: u64,
        /// The holder in the status.
        live_holder: Option<String>,
    },
}

impl Fence {
    /// The fencing rule shared by district entries and the Prime Minister's fields: a
    /// lower term never replaces a higher one, and within a term only its holder writes
    /// (Raft elects at most one leader per term, §5.2, so a second holder of the same
    /// term in the status is a confusion not to spread).
    #[must_use]
    pub fn judge(
        ours: (u64, &str),
        live: Option<(u64, Option<&str>)>,
        same_content: bool,
    ) -> Fence {
        let (term, holder) = ours;
        match live {
            None => Fence::Write,
            Some((live_term, live_holder)) => {
                let other_holder = live_holder.is_some_and(|h| h != holder);
                if live_term > term || (live_term == term && other_holder) {
                    Fence::Stale {
                        live_term,
                        live_holder: live_holder.map(str::to_owned),
                    }
                } else if live_term == term && live_holder == Some(holder) && same_content {
                    Fence::Same
                } else {
                    Fence::Write
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lower_term_never_replaces_a_higher_one() {
        let stale = |term, holder: &str| Fence::Stale {
            live_term: term,
            live_holder: Some(holder.to_owned()),
        };
        let cases = [
            // (ours, live, same content) -> fence
            ((5, "a"), None, false, Fence::Write),
            ((5, "a"), Some((0, None)), false, Fence::Write),
            ((5, "a"), Some((4, Some("b"))), false, Fence::Write),
            ((5, "a"), Some((5, Some("a"))), false, Fence::Write),
            ((5, "a"), Some((5, Some("a"))), true, Fence::Same),
            ((5, "a"), Some((5, None)), true, Fence::Write),
            ((5, "a"), Some((5, Some("b"))), true, stale(5, "b")),
            ((5, "a"), Some((6, Some("b"))), false, stale(6, "b")),
            ((5, "a"), Some((6, Some("a"))), true, stale(6, "a")),
        ];
        for (ours, live, same, expected) in cases {
            assert_eq!(
                Fence::judge(ours, live, same),
                expected,
                "ours {ours:?}, live {live:?}, same content {same}"
            );
        }
    }
}
