//! What one process must have to hold a parliament of in-process members: the
//! descriptors and memory a full mesh of loopback streams takes ([`descriptors_needed`],
//! [`memory_needed`]) against the process's limit and the machine's free memory
//! ([`open_files_limit`], [`memory_available`]), checked before a size starts so that a
//! size that cannot fit is reported rather than taking the whole benchmark down.

/// Resident memory per peer stream (both ends, with their HTTP/2 connections, tasks and
/// queues), measured on this benchmark: about 400 MiB for the 3,240 streams of 81
/// members after convening, less what 27 members took.
pub const BYTES_PER_STREAM: u64 = 96 << 10;

/// Streams between `members` members: one per pair.
#[must_use]
pub fn streams(members: usize) -> u64 {
    let n = members as u64;
    n * n.saturating_sub(1) / 2
}

/// Descriptors that `members` in-process members need: the transport keeps one stream
/// per pair of members (the lower id dials every higher one, whether or not the engine
/// ever sends to it), and in one process both ends of each are ours; then a listener and
/// the ledger's files per member, and some slack for the runtime.
#[must_use]
pub fn descriptors_needed(members: usize) -> u64 {
    2 * streams(members) + 4 * members as u64 + 256
}

/// Memory `members` in-process members take, by [`BYTES_PER_STREAM`].
#[must_use]
pub fn memory_needed(members: usize) -> u64 {
    streams(members) * BYTES_PER_STREAM
}

/// `MemAvailable` of `/proc/meminfo`, bytes; `None` when unknown.
#[must_use]
pub fn memory_available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_available(&meminfo)
}

fn parse_available(meminfo: &str) -> Option<u64> {
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kib << 10)
}

/// The soft limit on open files of this process (`ulimit -n`), from `/proc/self/limits`;
/// `None` when unlimited or unknown.
#[must_use]
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files(&limits)
}

fn parse_open_files(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Why this process cannot hold `members` in-process members, if it cannot: a short
/// reason for the table's row and the whole story for below it.
#[must_use]
pub fn cannot_hold(members: usize) -> Option<(String, String)> {
    let mut short = Vec::new();
    let mut long = Vec::new();
    let needed = descriptors_needed(members);
    if let Some(limit) = open_files_limit()
        && needed > limit
    {
        short.push(format!("{needed} descriptors > limit {limit}"));
        long.push(format!(
            "needs about {needed} file descriptors (a stream per pair of members, both ends in this process) and the limit is {limit} (raise it with `ulimit -n {}` where that is allowed)",
            needed.next_multiple_of(1_000)
        ));
    }
    let memory = memory_needed(members);
    let gib = |b: u64| b as f64 / f64::from(1u32 << 30);
    if let Some(free) = memory_available()
        && memory > free / 10 * 8
    {
        short.push(format!(
            "~{:.0} GiB > {:.0} GiB free",
            gib(memory),
            gib(free)
        ));
        long.push(format!(
            "its {} streams need about {:.1} GiB ({} KiB each, measured at N = 81) and {:.1} GiB is available",
            streams(members),
            gib(memory),
            BYTES_PER_STREAM >> 10,
            gib(free)
        ));
    }
    if short.is_empty() {
        return None;
    }
    Some((
        format!("not run: {}", short.join(", ")),
        format!("not run: {}", long.join("; ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_mesh_needs_two_descriptors_per_pair() {
        assert_eq!(streams(9), 36);
        assert_eq!(descriptors_needed(9), 72 + 36 + 256);
        assert!(descriptors_needed(243) > 58_000);
        assert!(
            memory_needed(729) > 24 << 30,
            "729 members do not fit in 24 GiB"
        );
        assert_eq!(
            parse_available("MemTotal: 100 kB\nMemAvailable:   2048 kB\n"),
            Some(2 << 20)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax open files            20000                20000                files     \n";
        assert_eq!(parse_open_files(limits), Some(20_000));
        let unlimited =
            "Max open files            unlimited            unlimited            files     \n";
        assert_eq!(parse_open_files(unlimited), None);
    }
}
