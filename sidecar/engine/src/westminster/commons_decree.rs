//! Decrees of the Westminster layer itself in the Commons log: what every member must
//! know alike about the parliament, as opposed to key-value writes (docs/protocol.md#11).
//!
//! ```text
//! decree   := version:u8 (= 1) kind:u8 (= 17) tag:u8 body
//! tag 1    Standing     district:u64 score:u16 nominee:opt<u64>
//! tag 2    Lords        count:u64 (lord:u64 district:u64)*
//! tag 3    Pending      critical
//! tag 4    LordVote     decree:u64 lord:u64 aye:bool reason:str
//! tag 5    LordPresent  lord:u64
//! tag 6    Seated       at:u64 count:u64 (lord:u64 district:u64 end:opt<u64>)*
//!                       rotated:opt<u64>           (times in ms of the log clock)
//! critical := 1 command:bytes | 2 amendment
//! amendment := 1 AddDistrict district:u64 ids | 2 RemoveDistricts ids
//!            | 3 SetDistrictMembers district:u64 ids
//!            | 4 SetTermLimits opt<ms:u64> opt<ms:u64>
//! ids := count:u64 u64*        opt<x> := 0 | 1 x
//! ```
//! Kind 17 is the second of the kinds `state::command` reserves for the Westminster
//! layer (16 is a session entry), so a decree is never read as a key-value command.
//! A decree reaches the Commons either proposed by the Prime Minister directly or as the
//! command of a session entry, like any global write.

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;

use crate::state::Error;
use crate::state::wire::{Reader, Writer, to_u64};
use crate::types::{LogIndex, NodeId};
use crate::westminster::reputation::Score;
use crate::westminster::{Amendment, CriticalDecree, DecodeError, DistrictId, SeatedLord};

const VERSION: u8 = 1;
const KIND_DECREE: u8 = 17;
const TAG_STANDING: u8 = 1;
const TAG_LORDS: u8 = 2;
const TAG_PENDING: u8 = 3;
const TAG_LORD_VOTE: u8 = 4;
const TAG_LORD_PRESENT: u8 = 5;
const TAG_SEATED: u8 = 6;

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
        /// The district's nominee for the Lords: its best-ranked member other than the
        /// representative that published the table (the representative itself in a
        /// district of one).
        nominee: Option<NodeId>,
    },
    /// The Lords from now on: at most one per district (an ordinary decree, proposed by
    /// the Prime Minister).
    Lords {
        /// Each Lord and its district.
        lords: Vec<(NodeId, DistrictId)>,
    },
    /// A critical decree, waiting for the Lords; it is named by the Commons index of
    /// this entry.
    Pending {
        /// What it decides.
        decree: CriticalDecree,
    },
    /// A Lord's vote on the pending decree at Commons index `decree`.
    LordVote {
        /// The pending decree's index.
        decree: LogIndex,
        /// The Lord (it must be the origin of the session entry that carries the vote).
        lord: NodeId,
        /// Aye or nay.
        aye: bool,
        /// Why nay (empty for aye).
        reason: String,
    },
    /// A Lord shows it is reachable.
    LordPresent {
        /// The Lord.
        lord: NodeId,
    },
    /// The Lords from now on, with their term ends: what the Prime Minister proposes
    /// (an ordinary decree; `Lords` is its older form, without terms). Members refuse
    /// it when `at` is below the last `Seated` decree's or `rotated` names a Lord
    /// whose term had not ended at `at` (docs/protocol.md#113-the-house-of-lords).
    Seated {
        /// The Commons log clock when the Prime Minister proposed it.
        at: Duration,
        /// Each Lord, its district and its term end.
        lords: Vec<SeatedLord>,
        /// The Lord whose term ended and whose seat this decree gives anew, if any.
        rotated: Option<NodeId>,
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
            CommonsDecree::Standing {
                district,
                score,
                nominee,
            } => {
                w.u8(TAG_STANDING);
                w.u64(district.0);
                w.u16(score.get());
                put_opt(&mut w, nominee.map(NodeId::get));
            }
            CommonsDecree::Lords { lords } => {
                w.u8(TAG_LORDS);
                w.u64(to_u64(lords.len()));
                for (lord, district) in lords {
                    w.u64(lord.get());
                    w.u64(district.0);
                }
            }
            CommonsDecree::Pending { decree } => {
                w.u8(TAG_PENDING);
                match decree {
                    CriticalDecree::Write(command) => {
                        w.u8(1);
                        w.bytes(command);
                    }
                    CriticalDecree::Amend(a) => {
                        w.u8(2);
                        put_amendment(&mut w, a);
                    }
                }
            }
            CommonsDecree::LordVote {
                decree,
                lord,
                aye,
                reason,
            } => {
                w.u8(TAG_LORD_VOTE);
                w.u64(decree.get());
                w.u64(lord.get());
                w.bool(*aye);
                w.str(reason);
            }
            CommonsDecree::LordPresent { lord } => {
                w.u8(TAG_LORD_PRESENT);
                w.u64(lord.get());
            }
            CommonsDecree::Seated { at, lords, rotated } => {
                w.u8(TAG_SEATED);
                w.u64(millis(*at));
                w.u64(to_u64(lords.len()));
                for s in lords {
                    w.u64(s.lord.get());
                    w.u64(s.district.0);
                    put_opt(&mut w, s.term_end.map(millis));
                }
                put_opt(&mut w, rotated.map(NodeId::get));
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
                let score = take_score(&mut r)?;
                let nominee = take_opt(&mut r, "standing nominee")?.map(NodeId);
                CommonsDecree::Standing {
                    district,
                    score,
                    nominee,
                }
            }
            TAG_LORDS => {
                let count = take_count(&mut r, "lords", 16)?;
                let mut lords = Vec::new();
                for _ in 0..count {
                    let lord = NodeId(r.u64("lord")?);
                    let district = DistrictId(r.u64("lord district")?);
                    lords.push((lord, district));
                }
                CommonsDecree::Lords { lords }
            }
            TAG_PENDING => {
                let at = r.position();
                let decree = match r.u8("critical decree tag")? {
                    1 => CriticalDecree::Write(Bytes::copy_from_slice(r.bytes("critical write")?)),
                    2 => CriticalDecree::Amend(take_amendment(&mut r)?),
                    tag => {
                        return Err(Error::UnknownTag {
                            what: "critical decree tag",
                            tag,
                            offset: at,
                        }
                        .into());
                    }
                };
                CommonsDecree::Pending { decree }
            }
            TAG_LORD_VOTE => CommonsDecree::LordVote {
                decree: LogIndex(r.u64("vote decree")?),
                lord: NodeId(r.u64("vote lord")?),
                aye: r.bool("vote aye")?,
                reason: r.str("vote reason")?.to_owned(),
            },
            TAG_LORD_PRESENT => CommonsDecree::LordPresent {
                lord: NodeId(r.u64("present lord")?),
            },
            TAG_SEATED => {
                let at = Duration::from_millis(r.u64("seated clock")?);
                let count = take_count(&mut r, "seated lords", 17)?;
                let mut lords = Vec::new();
                for _ in 0..count {
                    lords.push(SeatedLord {
                        lord: NodeId(r.u64("seated lord")?),
                        district: DistrictId(r.u64("seated district")?),
                        term_end: take_opt(&mut r, "seated term end")?.map(Duration::from_millis),
                    });
                }
                let rotated = take_opt(&mut r, "seated rotated")?.map(NodeId);
                CommonsDecree::Seated { at, lords, rotated }
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

fn put_opt(w: &mut Writer, v: Option<u64>) {
    w.bool(v.is_some());
    if let Some(v) = v {
        w.u64(v);
    }
}

fn take_opt(r: &mut Reader<'_>, what: &'static str) -> Result<Option<u64>, DecodeError> {
    Ok(if r.bool(what)? {
        Some(r.u64(what)?)
    } else {
        None
    })
}

/// A count of items of at least `size` bytes each, refused before allocating when the
/// input cannot hold them.
fn take_count(r: &mut Reader<'_>, what: &'static str, size: usize) -> Result<u64, DecodeError> {
    let count = r.u64(what)?;
    if count > to_u64(r.remaining() / size) {
        return Err(Error::Truncated {
            what,
            offset: r.position(),
            needed: count.saturating_mul(to_u64(size)),
            available: r.remaining(),
        }
        .into());
    }
    Ok(count)
}

fn put_ids(w: &mut Writer, ids: impl ExactSizeIterator<Item = u64>) {
    w.u64(to_u64(ids.len()));
    for id in ids {
        w.u64(id);
    }
}

fn take_ids(r: &mut Reader<'_>, what: &'static str) -> Result<BTreeSet<u64>, DecodeError> {
    let count = take_count(r, what, 8)?;
    let mut out = BTreeSet::new();
    for _ in 0..count {
        out.insert(r.u64(what)?);
    }
    Ok(out)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn put_amendment(w: &mut Writer, a: &Amendment) {
    match a {
        Amendment::AddDistrict { district, members } => {
            w.u8(1);
            w.u64(district.0);
            put_ids(w, members.iter().map(|m| m.get()));
        }
        Amendment::RemoveDistricts { districts } => {
            w.u8(2);
            put_ids(w, districts.iter().map(|d| d.0));
        }
        Amendment::SetDistrictMembers { district, members } => {
            w.u8(3);
            w.u64(district.0);
            put_ids(w, members.iter().map(|m| m.get()));
        }
        Amendment::SetTermLimits {
            representative,
            prime_minister,
        } => {
            w.u8(4);
            put_opt(w, representative.map(millis));
            put_opt(w, prime_minister.map(millis));
        }
    }
}

fn take_amendment(r: &mut Reader<'_>) -> Result<Amendment, DecodeError> {
    let at = r.position();
    Ok(match r.u8("amendment tag")? {
        1 => Amendment::AddDistrict {
            district: DistrictId(r.u64("amended district")?),
            members: take_ids(r, "amended members")?
                .into_iter()
                .map(NodeId)
                .collect(),
        },
        2 => Amendment::RemoveDistricts {
            districts: take_ids(r, "removed districts")?
                .into_iter()
                .map(DistrictId)
                .collect(),
        },
        3 => Amendment::SetDistrictMembers {
            district: DistrictId(r.u64("amended district")?),
            members: take_ids(r, "amended members")?
                .into_iter()
                .map(NodeId)
                .collect(),
        },
        4 => Amendment::SetTermLimits {
            representative: take_opt(r, "representative term limit")?.map(Duration::from_millis),
            prime_minister: take_opt(r, "prime minister term limit")?.map(Duration::from_millis),
        },
        tag => {
            return Err(Error::UnknownTag {
                what: "amendment tag",
                tag,
                offset: at,
            }
            .into());
        }
    })
}

/// A district's standing score, refused above 10,000 naming its offset.
pub(crate) fn take_score(r: &mut Reader<'_>) -> Result<Score, DecodeError> {
    let at = r.position();
    let raw = r.u16("standing score")?;
    Score::new(raw).ok_or(DecodeError::OutOfRange {
        what: "standing score",
        value: u64::from(raw),
        offset: at,
        rule: "scores are at most 10000",
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn standing() -> CommonsDecree {
        CommonsDecree::Standing {
            district: DistrictId(4),
            score: Score::new(8_125).unwrap(),
            nominee: Some(NodeId(42)),
        }
    }

    fn every_kind() -> Vec<CommonsDecree> {
        vec![
            standing(),
            CommonsDecree::Standing {
                district: DistrictId(0),
                score: Score::ZERO,
                nominee: None,
            },
            CommonsDecree::Lords {
                lords: vec![(NodeId(3), DistrictId(0)), (NodeId(12), DistrictId(1))],
            },
            CommonsDecree::Pending {
                decree: CriticalDecree::Write(Bytes::from_static(b"\x01\x04w")),
            },
            CommonsDecree::Pending {
                decree: CriticalDecree::Amend(Amendment::RemoveDistricts {
                    districts: [DistrictId(1), DistrictId(2)].into(),
                }),
            },
            CommonsDecree::Pending {
                decree: CriticalDecree::Amend(Amendment::AddDistrict {
                    district: DistrictId(7),
                    members: [NodeId(70), NodeId(71)].into(),
                }),
            },
            CommonsDecree::Pending {
                decree: CriticalDecree::Amend(Amendment::SetDistrictMembers {
                    district: DistrictId(1),
                    members: [NodeId(11)].into(),
                }),
            },
            CommonsDecree::Pending {
                decree: CriticalDecree::Amend(Amendment::SetTermLimits {
                    representative: Some(Duration::from_secs(60)),
                    prime_minister: None,
                }),
            },
            CommonsDecree::LordVote {
                decree: LogIndex(17),
                lord: NodeId(3),
                aye: false,
                reason: "removes a majority".to_owned(),
            },
            CommonsDecree::LordPresent { lord: NodeId(12) },
            seated(),
            CommonsDecree::Seated {
                at: Duration::ZERO,
                lords: Vec::new(),
                rotated: None,
            },
        ]
    }

    fn seated() -> CommonsDecree {
        CommonsDecree::Seated {
            at: Duration::from_millis(86_400_000),
            lords: vec![
                SeatedLord {
                    lord: NodeId(3),
                    district: DistrictId(0),
                    term_end: Some(Duration::from_millis(115_200_000)),
                },
                SeatedLord {
                    lord: NodeId(12),
                    district: DistrictId(1),
                    term_end: None,
                },
            ],
            rotated: Some(NodeId(21)),
        }
    }

    #[test]
    fn malformed_seated_decrees_are_refused() {
        let good = seated().encode().to_vec();
        // (what is wrong, the bytes, what the error names)
        let mut count = Writer::new();
        count.u8(VERSION);
        count.u8(KIND_DECREE);
        count.u8(TAG_SEATED);
        count.u64(5);
        count.u64(u64::MAX);
        let mut bad_opt = good.clone();
        // the first Lord's term-end flag: version kind tag at count lord district
        bad_opt[3 + 8 + 8 + 8 + 8] = 7;
        let mut long = good.clone();
        long.push(0);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("absurd count", count.finish(), "seated lords is truncated"),
            ("flag that is not a bool", bad_opt, "seated term end"),
            ("trailing byte", long, "commons decree"),
            (
                "cut inside the rotated Lord",
                good[..good.len() - 3].to_vec(),
                "seated rotated",
            ),
        ];
        for (what, bytes, names) in cases {
            let err = CommonsDecree::decode(&bytes).unwrap_err();
            assert!(err.to_string().contains(names), "{what}: {err}");
        }
    }

    #[test]
    fn every_kind_round_trips_and_every_truncation_is_refused() {
        for d in every_kind() {
            let bytes = d.encode();
            assert_eq!(CommonsDecree::decode(&bytes).as_ref(), Ok(&d));
            for cut in 0..bytes.len() {
                assert!(
                    CommonsDecree::decode(&bytes[..cut]).is_err(),
                    "{d:?} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn an_absurd_count_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(KIND_DECREE);
        w.u8(TAG_LORDS);
        w.u64(u64::MAX);
        let err = CommonsDecree::decode(&w.finish()).unwrap_err();
        assert!(err.to_string().contains("lords is truncated"), "{err}");
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
        w.bool(false);
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
