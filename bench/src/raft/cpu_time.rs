//! CPU time of this process, every thread summed, from `/proc/self/task/*/schedstat`
//! (nanoseconds on a CPU): [`process_cpu`]. On a machine shared with other work,
//! wall-clock rates depend on how much of the CPU the neighbours leave, and a
//! multi-threaded runtime gets a larger share than one thread; entries per CPU second
//! does not. Threads that exit between two readings are not counted, so callers keep
//! their threads (the tokio runtimes) alive across a measurement.

use std::time::Duration;

/// Time on a CPU of every live thread of this process; `None` off Linux.
#[must_use]
pub fn process_cpu() -> Option<Duration> {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        // A thread may exit while we look; it no longer counts.
        if let Ok(s) = std::fs::read_to_string(path) {
            ns += parse(&s)?;
        }
    }
    Some(Duration::from_nanos(ns))
}

/// The first of schedstat's three numbers: nanoseconds spent running.
fn parse(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_running_time() {
        assert_eq!(parse("1500000 200 7\n"), Some(1_500_000));
        assert_eq!(parse(""), None);
        // Linux only, as the benchmark.
        let a = process_cpu().unwrap();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(process_cpu().unwrap() > a);
    }
}
