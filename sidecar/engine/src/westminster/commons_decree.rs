//! Decrees of the Westminster layer itself in the Commons log: what every member must
//! know alike about the parliament, as opposed to key-value writes (docs/protocol.md#11).
//!
//! ```text
//! decree   := version:u8 (= 1) kind:u8 (= 17) tag:u8 body
//! tag 1    Standing   district:u64 score:u16
//! ```
//! Kind 17 is the second of the kinds `state::command` reserves for the Westminster
//! layer (16 is a session entry), so a decree is never read as a key-value command.
//! A decree reaches the Commons either proposed by the Prime Minister directly or as the
//! command of a session entry, like any global write.

use bytes::Bytes;

use crate::state::Error;
use crate::state::wire::{Reader, Writer};
use crate::westminster::DecodeError;
use crate::westminster::DistrictId;
use crate::westminster::reputation::Score;

const VERSION: u8 = 1;
const KIND_DECREE: u8 = 17;
const TAG_STANDING: u8 = 1;

/// A decree about the parliament, applied from the Commons log by every member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommonsDecree {
    /// A district's standing among districts: the mean score of its latest published
    /// reputation table. Prime Minister candidacy ranks districts by it
    /// (docs/protocol.md#111-publishing-reputation).
    Standing {
        /// The district.
        district: DistrictId,
        /// Its standing.
        score: Score,
    },
}

impl CommonsDecree {
    /// The bytes of the Commons entry (or of a session entry's command).
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(KIND_DECREE);
        match self {
            CommonsDecree::Standing { district, score } => {
                w.u8(TAG_STANDING);
                w.u64(district.0);
                w.u16(score.get());
            }
        }
        Bytes::from(w.finish())
    }

    /// Whether `bytes` claim to be a decree (else they are a key-value command or a
    /// session entry).
    #[must_use]
    pub fn is_decree(bytes: &[u8]) -> bool {
        bytes.get(..2) == Some(&[VERSION, KIND_DECREE][..])
    }

    /// Reads a decree.
    ///
    /// # Errors
    /// A [`DecodeError`] naming what could not be read and where; never panics.
    pub fn decode(bytes: &[u8]) -> Result<CommonsDecree, DecodeError> {
        let mut r = Reader::new(bytes);
        r.version("commons decree version", VERSION)?;
        let at = r.position();
        let kind = r.u8("commons decree kind")?;
        if kind != KIND_DECREE {
            return Err(Error::UnknownTag {
                what: "commons decree kind",
                tag: kind,
                offset: at,
            }
            .into());
        }
        let at = r.position();
        let decree = match r.u8("commons decree tag")? {
            TAG_STANDING => {
                let district = DistrictId(r.u64("standing district")?);
                let at = r.position();
                let raw = r.u16("standing score")?;
                let score = Score::new(raw).ok_or(DecodeError::OutOfRange {
                    what: "standing score",
                    value: u64::from(raw),
                    offset: at,
                    rule: "scores are at most 10000",
                })?;
                CommonsDecree::Standing { district, score }
            }
            tag => {
                return Err(Error::UnknownTag {
                    what: "commons decree tag",
                    tag,
                    offset: at,
                }
                .into());
            }
        };
        r.finish("commons decree")?;
        Ok(decree)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn standing() -> CommonsDecree {
        CommonsDecree::Standing {
            district: DistrictId(4),
            score: Score::new(8_125).unwrap(),
        }
    }

    #[test]
    fn a_decree_round_trips_and_is_never_a_command_or_session_entry() {
        let bytes = standing().encode();
        assert!(CommonsDecree::is_decree(&bytes));
        assert_eq!(CommonsDecree::decode(&bytes), Ok(standing()));
        assert!(crate::state::Command::decode(&bytes).is_err());
        assert!(!crate::westminster::SessionEntry::is_session_entry(&bytes));
    }

    #[test]
    fn every_truncation_and_a_trailing_byte_are_refused() {
        let bytes = standing().encode();
        for cut in 0..bytes.len() {
            assert!(
                CommonsDecree::decode(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(CommonsDecree::decode(&long).is_err());
    }

    #[test]
    fn an_unknown_tag_and_a_score_above_the_maximum_are_refused() {
        let mut bytes = standing().encode().to_vec();
        bytes[2] = 99;
        let err = CommonsDecree::decode(&bytes).unwrap_err();
        assert!(err.to_string().contains("commons decree tag"), "{err}");
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(KIND_DECREE);
        w.u8(TAG_STANDING);
        w.u64(1);
        w.u16(10_001);
        let err = CommonsDecree::decode(&w.finish()).unwrap_err();
        assert!(err.to_string().contains("standing score"), "{err}");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = CommonsDecree::decode(&bytes);
        }
    }
}
