//! Which kinds of fault a run injects: [`Fault`] and the set of them, [`FaultSet`].

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// One kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Messages are lost at a varying rate (up to half of them).
    Loss,
    /// Messages are delivered twice at a varying rate.
    Dup,
    /// Latency varies, with a slow tail of up to five seconds: stale messages.
    Delay,
    /// Links stop delivering in order: any message may overtake another.
    Reorder,
    /// Symmetric partitions between two random sides (including isolating the leader),
    /// healed after a while.
    Partition,
    /// One-way partitions: one side's messages to the other are lost, replies still flow.
    Asym,
    /// Members crash (losing all but their disk) and restart later; stale messages from
    /// before the crash are delivered to the restarted member.
    Crash,
    /// A member crashes during one of its next persists, leaving part of it on disk:
    /// lost, torn, complete but unsent, failed, corrupt, or during a snapshot install
    /// ([`DiskFault`](crate::sim::DiskFault)); it restarts later, as after a crash.
    Disk,
    /// Each member's clock runs at its own rate, within the engine's drift bound.
    Drift,
    /// Operator actions: leadership transfers and candidacy ranks.
    Transfer,
    /// Operator action: a member is told to campaign now (`Replica::campaign`).
    Campaign,
    /// The roster changes while the run goes on: a new member joins a district, one
    /// leaves (any of them: a founder, the representative, a Lord), as the operator
    /// publishes pods added and removed. Parliament runs only: the single-group run keeps
    /// its configuration.
    Membership,
}

impl Fault {
    /// Every fault, in the order the command line lists them.
    pub const ALL: [Fault; 12] = [
        Fault::Loss,
        Fault::Dup,
        Fault::Delay,
        Fault::Reorder,
        Fault::Partition,
        Fault::Asym,
        Fault::Crash,
        Fault::Disk,
        Fault::Drift,
        Fault::Transfer,
        Fault::Campaign,
        Fault::Membership,
    ];

    /// The command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Fault::Loss => "loss",
            Fault::Dup => "dup",
            Fault::Delay => "delay",
            Fault::Reorder => "reorder",
            Fault::Partition => "partition",
            Fault::Asym => "asym",
            Fault::Crash => "crash",
            Fault::Disk => "disk",
            Fault::Drift => "drift",
            Fault::Transfer => "transfer",
            Fault::Campaign => "campaign",
            Fault::Membership => "membership",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of fault kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaultSet(u16);

impl FaultSet {
    /// Every fault.
    #[must_use]
    pub fn all() -> FaultSet {
        Fault::ALL.iter().fold(FaultSet(0), |s, f| s.with(*f))
    }

    /// No fault.
    #[must_use]
    pub fn none() -> FaultSet {
        FaultSet(0)
    }

    /// This set plus `f`.
    #[must_use]
    pub fn with(self, f: Fault) -> FaultSet {
        FaultSet(self.0 | f.bit())
    }

    /// Whether `f` is in the set.
    #[must_use]
    pub fn has(self, f: Fault) -> bool {
        self.0 & f.bit() != 0
    }

    /// The faults in the set.
    pub fn iter(self) -> impl Iterator<Item = Fault> {
        Fault::ALL.into_iter().filter(move |f| self.has(*f))
    }
}

impl FromStr for FaultSet {
    type Err = Error;

    /// Parses `loss,dup,...`, `all` or `none`.
    fn from_str(s: &str) -> Result<FaultSet, Error> {
        let mut set = FaultSet::none();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "all" => set = FaultSet::all(),
                "none" => {}
                _ => {
                    let f = Fault::ALL
                        .into_iter()
                        .find(|f| f.name() == name)
                        .ok_or_else(|| Error::UnknownFault {
                            name: name.to_owned(),
                            known: FaultSet::all().to_string(),
                        })?;
                    set = set.with(f);
                }
            }
        }
        Ok(set)
    }
}

impl fmt::Display for FaultSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("none");
        }
        for (i, fault) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(fault.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_all_and_none_and_round_trips() {
        let s: FaultSet = "loss, crash,drift,disk".parse().unwrap_or_default();
        assert!(s.has(Fault::Loss) && s.has(Fault::Crash) && s.has(Fault::Drift));
        assert!(s.has(Fault::Disk) && !s.has(Fault::Dup));
        assert_eq!(s.to_string(), "loss,crash,disk,drift");
        assert!(FaultSet::all().has(Fault::Disk));
        assert_eq!(
            FaultSet::all().to_string(),
            "loss,dup,delay,reorder,partition,asym,crash,disk,drift,transfer,campaign,membership"
        );
        assert_eq!("all".parse::<FaultSet>(), Ok(FaultSet::all()));
        assert_eq!("none".parse::<FaultSet>(), Ok(FaultSet::none()));
        assert_eq!(
            FaultSet::all().to_string().parse::<FaultSet>(),
            Ok(FaultSet::all())
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_list() {
        let err = "loss,flood"
            .parse::<FaultSet>()
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("\"flood\"") && err.contains("partition"),
            "{err}"
        );
    }
}
