//! The process's file descriptors: how many are open ([`open_descriptors`]) and how many
//! may be ([`open_files_limit`]). Every peer stream of in-process members costs two (both
//! ends are in this process), so a size that runs out of them is reported with both
//! figures.
//!
//! CPU time and resident memory come from `/proc/self/stat` and `/proc/self/status`
//! opened once, before the members start, and read again with `pread` ([`Proc`]): a size
//! whose members fill the descriptor table still reports them. (A reserve of descriptors
//! released for each reading did not do it: the members' dialers, retrying at the limit,
//! took the freed descriptors first.)

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Duration;

/// Clock ticks per second of `/proc/<pid>/stat`'s times: `USER_HZ`, 100 on every Linux
/// architecture this benchmark runs on.
const USER_HZ: u64 = 100;

/// `/proc/self/stat` and `/proc/self/status`, held open.
#[derive(Debug)]
pub struct Proc {
    stat: File,
    status: File,
}

impl Proc {
    /// Opens both files; `None` off Linux.
    #[must_use]
    pub fn open() -> Option<Proc> {
        Some(Proc {
            stat: File::open("/proc/self/stat").ok()?,
            status: File::open("/proc/self/status").ok()?,
        })
    }

    /// User and system time of every thread, live or exited, in 10 ms ticks.
    #[must_use]
    pub fn cpu(&self) -> Option<Duration> {
        let stat = read_again(&self.stat)?;
        parse_cpu_ticks(&stat).map(|t| Duration::from_millis(t * 1_000 / USER_HZ))
    }

    /// `VmRSS`, MiB.
    #[must_use]
    pub fn rss_mib(&self) -> Option<f64> {
        kib_field(&read_again(&self.status)?, "VmRSS:").map(|kib| kib as f64 / 1024.0)
    }
}

/// The whole file from its start: procfs regenerates it at each read from offset 0.
fn read_again(file: &File) -> Option<String> {
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    loop {
        let n = file.read_at(&mut buf[len..], len as u64).ok()?;
        if n == 0 {
            break;
        }
        len += n;
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
    buf.truncate(len);
    String::from_utf8(buf).ok()
}

/// `utime + stime` of a `/proc/<pid>/stat` line: fields 14 and 15, counted after the
/// command name, which is in parentheses and may itself hold spaces and parentheses.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
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

/// The machine's available memory (`MemAvailable` of `/proc/meminfo`), MiB.
#[must_use]
pub fn memory_available_mib() -> Option<u64> {
    parse_mem_available(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn parse_mem_available(meminfo: &str) -> Option<u64> {
    kib_field(meminfo, "MemAvailable:").map(|kib| kib / 1024)
}

/// The value of a `Key:   1234 kB` line, as `/proc/meminfo` and `/proc/<pid>/status` write them.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// How often, since boot, a listening socket's accept queue was full when a connection
/// completed (`TcpExt: ListenOverflows` of `/proc/net/netstat`, this network namespace):
/// the dialler's handshake is dropped and it retries or times out.
#[must_use]
pub fn listen_overflows() -> Option<u64> {
    parse_tcp_ext(
        &std::fs::read_to_string("/proc/net/netstat").ok()?,
        "ListenOverflows",
    )
}

/// One counter of `/proc/net/netstat`: a `TcpExt:` line of names, then one of values.
fn parse_tcp_ext(netstat: &str, name: &str) -> Option<u64> {
    let mut lines = netstat.lines().filter(|l| l.starts_with("TcpExt:"));
    let names = lines.next()?.split_whitespace().skip(1);
    let values = lines.next()?.split_whitespace().skip(1);
    names
        .zip(values)
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v.parse().ok())
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
    fn memory_and_listen_overflows_are_read_by_name() {
        let meminfo =
            "MemTotal:       24683520 kB\nMemFree:        1000 kB\nMemAvailable:   2097152 kB\n";
        assert_eq!(parse_mem_available(meminfo), Some(2048));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 42 43\nIpExt: InNoRoutes\nIpExt: 7\n";
        assert_eq!(parse_tcp_ext(netstat, "ListenOverflows"), Some(42));
        assert_eq!(parse_tcp_ext(netstat, "InNoRoutes"), None);
        assert!(memory_available_mib().is_some_and(|m| m > 0));
        assert!(listen_overflows().is_some());
    }

    #[test]
    fn cpu_and_memory_are_read_from_files_held_open() {
        let line = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 31 0 0 20 0 3 0 99 1000 50";
        assert_eq!(parse_cpu_ticks(line), Some(281));
        assert_eq!(parse_cpu_ticks("4242 (cut"), None);
        let proc = Proc::open().expect("Linux /proc");
        assert!(proc.rss_mib().is_some_and(|m| m > 0.0));
        let a = proc.cpu().expect("a CPU reading");
        // Spin until the reading moves (ticks are 10 ms), for at most two seconds.
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        let (mut x, mut later) = (0u64, a);
        while later <= a && std::time::Instant::now() < deadline {
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
            later = proc.cpu().expect("a second reading of the same file");
        }
        assert!(later > a, "no CPU time counted after 2 s of spinning ({x})");
    }
}
