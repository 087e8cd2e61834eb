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
        // The kernel brings the reading up to date at scheduler ticks, and an optimised
        // build finishes a fixed loop within one: spin (opaque to the optimiser) until
        // the reading moves, for at most two seconds of wall time.
        let a = process_cpu().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut x = 0u64;
        let mut later = a;
        while later <= a && std::time::Instant::now() < deadline {
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
            later = process_cpu().unwrap();
        }
        assert!(later > a, "no CPU time counted after 2 s of spinning ({x})");
    }
}
