//! The process's file descriptors: how many are open ([`open_descriptors`]) and how many
//! may be ([`open_files_limit`]). Every peer stream of in-process members costs two (both
//! ends are in this process), so a size that runs out of them is reported with both
//! figures. A few descriptors are held in reserve ([`hold_reserve`], [`with_reserve`]) for
//! reading `/proc` once the members have taken all the others: a size that fills the
//! table still reports its CPU time, memory and descriptor count.

use std::fs::File;
use std::sync::Mutex;

/// Descriptors held back for reading `/proc`: reading the CPU time takes two at a time.
const RESERVE: usize = 8;

static RESERVED: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// Opens the reserve (of `/dev/null`) if it is not held: before the members start.
pub fn hold_reserve() {
    let mut reserved = RESERVED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    refill(&mut reserved);
}

fn refill(reserved: &mut Vec<File>) {
    while reserved.len() < RESERVE {
        match File::open("/dev/null") {
            Ok(f) => reserved.push(f),
            Err(_) => break,
        }
    }
}

/// Runs `read` with the reserve released, then takes the reserve back (what the members
/// took meanwhile is missing from it until the next time there is room).
pub fn with_reserve<T>(read: impl FnOnce() -> T) -> T {
    let mut reserved = RESERVED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    reserved.clear();
    let out = read();
    refill(&mut reserved);
    out
}

/// Descriptors this process has open now (entries of `/proc/self/fd`); `None` when
/// unknown.
#[must_use]
pub fn open_descriptors() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd").ok().map(Iterator::count)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_and_the_count_are_read_from_proc() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax open files            20000                20000                files     \n";
        assert_eq!(parse_open_files(limits), Some(20_000));
        let unlimited =
            "Max open files            unlimited            unlimited            files     \n";
        assert_eq!(parse_open_files(unlimited), None);
        let open = open_descriptors().expect("/proc/self/fd");
        assert!(open >= 3, "stdin, stdout and stderr at least: {open}");
    }

    #[test]
    fn the_reserve_is_released_for_the_reading_and_taken_back() {
        hold_reserve();
        let held = RESERVED.lock().unwrap().len();
        assert_eq!(held, RESERVE);
        let inside = with_reserve(|| RESERVED.try_lock().map(|r| r.len()).ok());
        assert_eq!(inside, None, "the reserve stays locked while it is spent");
        assert_eq!(
            RESERVED.lock().unwrap().len(),
            RESERVE,
            "and is held again after"
        );
    }
}
