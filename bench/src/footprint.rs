//! Part 3 of the benchmark: memory per member and wall time to converge at 1,000
//! simulated members in 30 districts ([`footprint`]). Each trial runs in a fresh child
//! process (this binary, `--footprint-child`), so that its peak resident set (`VmHWM`)
//! is the parliament's and not what earlier parts of the benchmark left behind.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::sim::{LoadOptions, boot_parliament, convene};
use crate::stats::show;
use crate::table::Table;

/// The child's flag.
pub const CHILD_FLAG: &str = "--footprint-child";

/// One trial, as the child reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Trial {
    /// Peak resident set before the parliament was built (KiB).
    pub hwm_before_kib: u64,
    /// Peak resident set once it convened (KiB).
    pub hwm_after_kib: u64,
    /// Resident set once it convened (KiB).
    pub rss_after_kib: u64,
    /// Virtual time to convene.
    pub virtual_time: Duration,
    /// Wall time to build and convene.
    pub wall: Duration,
}

impl Trial {
    /// The line the child prints and the parent parses.
    fn line(&self) -> String {
        format!(
            "footprint {} {} {} {} {}",
            self.hwm_before_kib,
            self.hwm_after_kib,
            self.rss_after_kib,
            self.virtual_time.as_millis(),
            self.wall.as_micros()
        )
    }

    fn parse(line: &str) -> Option<Trial> {
        let mut it = line.strip_prefix("footprint ")?.split(' ');
        let mut next = || it.next()?.parse::<u64>().ok();
        Some(Trial {
            hwm_before_kib: next()?,
            hwm_after_kib: next()?,
            rss_after_kib: next()?,
            virtual_time: Duration::from_millis(next()?),
            wall: Duration::from_micros(next()?),
        })
    }

    /// Peak memory the parliament added, per member (KiB).
    #[must_use]
    pub fn per_member_kib(&self, members: usize) -> f64 {
        self.hwm_after_kib.saturating_sub(self.hwm_before_kib) as f64 / members.max(1) as f64
    }
}

/// A `kB` field of `/proc/self/status`.
pub(crate) fn status_kib(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status (Linux only)"))
}

/// The child: builds and convenes one parliament, prints its [`Trial`] line.
///
/// # Errors
/// Bad arguments, no `/proc`, or the parliament did not convene.
pub fn child(args: &[String]) -> anyhow::Result<()> {
    let [members, districts, seed] = args else {
        bail!("{CHILD_FLAG} MEMBERS DISTRICTS SEED");
    };
    let opts = LoadOptions {
        seed: seed.parse()?,
        members: members.parse()?,
        districts: districts.parse()?,
        clients: 0,
        commits: 0,
        warmup: Duration::ZERO,
        max_window: Duration::ZERO,
        value_bytes: 0,
    };
    let hwm_before_kib = status_kib("VmHWM")?;
    let start = Instant::now();
    let mut world = boot_parliament(&opts)?;
    let (virtual_time, _) = convene(&mut world, opts.districts)?;
    let wall = start.elapsed();
    let trial = Trial {
        hwm_before_kib,
        hwm_after_kib: status_kib("VmHWM")?,
        rss_after_kib: status_kib("VmRSS")?,
        virtual_time,
        wall,
    };
    println!("{}", trial.line());
    drop(world);
    Ok(())
}

/// Runs `seeds.len()` trials, each in its own child process.
///
/// # Errors
/// The child could not run or reported nothing.
pub fn footprint(members: usize, districts: usize, seeds: &[u64]) -> anyhow::Result<Vec<Trial>> {
    let exe = std::env::current_exe().context("this benchmark's own path")?;
    let mut trials = Vec::new();
    for seed in seeds {
        let out = Command::new(&exe)
            .arg(CHILD_FLAG)
            .arg(members.to_string())
            .arg(districts.to_string())
            .arg(seed.to_string())
            .output()
            .context("footprint child")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(trial) = stdout.lines().find_map(Trial::parse) else {
            bail!(
                "footprint child (seed {seed}) reported nothing: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        };
        eprintln!(
            "  footprint seed {seed}: {:.1} KiB/member, {:.1} wall s",
            trial.per_member_kib(members),
            trial.wall.as_secs_f64()
        );
        trials.push(trial);
    }
    Ok(trials)
}

/// One row: the figures over the trials.
#[must_use]
pub fn footprint_table(trials: &[Trial], members: usize, districts: usize) -> Table {
    let col = |f: &dyn Fn(&Trial) -> f64| trials.iter().map(f).collect::<Vec<f64>>();
    let mut t = Table::new(&[
        "members (districts)",
        "trials",
        "peak RSS added per member (KiB)",
        "peak RSS added (MiB)",
        "RSS after convening (MiB)",
        "convene (virtual s)",
        "convene (wall s)",
    ]);
    t.row(vec![
        format!("{members} ({districts})"),
        trials.len().to_string(),
        show(&col(&|t| t.per_member_kib(members)), 1),
        show(
            &col(&|t| t.hwm_after_kib.saturating_sub(t.hwm_before_kib) as f64 / 1024.0),
            1,
        ),
        show(&col(&|t| t.rss_after_kib as f64 / 1024.0), 1),
        show(&col(&|t| t.virtual_time.as_secs_f64()), 2),
        show(&col(&|t| t.wall.as_secs_f64()), 2),
    ]);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_line_round_trips_and_per_member_subtracts_the_baseline() {
        let t = Trial {
            hwm_before_kib: 2_000,
            hwm_after_kib: 52_000,
            rss_after_kib: 50_000,
            virtual_time: Duration::from_millis(4_200),
            wall: Duration::from_micros(3_500_000),
        };
        assert_eq!(Trial::parse(&t.line()), Some(t));
        assert_eq!(t.per_member_kib(1_000), 50.0);
        assert_eq!(Trial::parse("footprint 1 2"), None);
    }

    #[test]
    fn reads_this_process_status() {
        // Linux only, as the benchmark: the field is there and is a number.
        assert!(status_kib("VmHWM").is_ok_and(|k| k > 0));
    }
}
