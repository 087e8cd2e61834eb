//! Part 7's host processes (`parliament-bench wall-host`): the protocol a host speaks
//! on stdin and stdout, its refusals, and a whole spread run through the binary.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_parliament-bench");
/// Far above what a one-member host needs to answer; only a hung host reaches it.
const BOUND: Duration = Duration::from_secs(60);

struct Host {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Host {
    fn spawn() -> Host {
        let mut child = Command::new(BIN)
            .arg("wall-host")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the benchmark binary starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Host {
            child,
            stdin,
            lines,
        }
    }

    fn ask(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line}").expect("the host reads stdin");
        self.stdin.flush().expect("flush");
        let reply = self.lines.recv_timeout(BOUND).expect("the host answers");
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{reply:?} is not JSON: {e}"))
    }

    fn exit_code(mut self) -> Option<i32> {
        drop(self.stdin);
        let status = self.child.wait().expect("the host exits");
        status.code()
    }
}

fn start_line(peer_address: &str, data: &std::path::Path) -> String {
    json!({
        "roster": {
            "revision": 1,
            "generation": 1,
            "peerPort": 0,
            "districts": [{
                "name": "d000",
                "members": [{
                    "id": 1, "pod": "m1", "uid": "bench-1", "district": "d000",
                    "ip": "127.0.0.1", "peerAddress": peer_address
                }]
            }]
        },
        "members": [1],
        "data": data,
    })
    .to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn a_host_answers_each_request_and_refuses_what_it_cannot_do() {
    let data = tempfile::tempdir().expect("a folder");
    let mut host = Host::spawn();
    let start = start_line(&format!("127.0.0.1:{}", free_port()), data.path());
    assert_eq!(host.ask(&start), json!("Started"));

    // Not a request: refused, and the host goes on serving.
    let bad = host.ask("{\"Launch\": 3}");
    assert!(
        bad["Failed"]
            .as_str()
            .is_some_and(|w| w.contains("not a request")),
        "{bad}"
    );
    // A window needs its two readings.
    let early = host.ask("\"Finish\"");
    assert!(
        early["Failed"]
            .as_str()
            .is_some_and(|w| w.contains("two readings")),
        "{early}"
    );

    let roles = host.ask("\"Roles\"");
    let rows = roles["Roles"].as_array().expect("a list of roles");
    assert_eq!(rows.len(), 1, "{roles}");
    assert_eq!(rows[0]["member"], json!(1));

    let reading = host.ask("\"Reading\"");
    let r = &reading["Reading"];
    assert!(r["cpu_ms"].is_u64(), "{reading}");
    assert!(r["rss_mib"].as_f64().is_some_and(|m| m > 0.0), "{reading}");
    assert!(
        r["links"]["descriptors"].as_u64().is_some_and(|d| d >= 3),
        "{reading}"
    );

    // Clients, and a window of two readings: a one-member flat group commits alone.
    let clients = json!({"Clients": {"ids": [0, 1], "topology": "Flat", "seed": 1, "value_bytes": 8, "leader": null}});
    assert_eq!(host.ask(&clients.to_string()), json!("Clients"));
    let twice = host.ask(&clients.to_string());
    assert!(
        twice["Failed"]
            .as_str()
            .is_some_and(|w| w.contains("already")),
        "{twice}"
    );
    let _ = host.ask("\"Reading\"");
    // The window is whatever passes between the two readings; the answers in it are
    // counted, however many.
    let _ = host.ask("\"Reading\"");
    let finished = host.ask("\"Finish\"");
    let f = &finished["Finished"];
    assert!(
        f["latencies_us"].is_array() && f["lost"].is_u64(),
        "{finished}"
    );

    assert_eq!(host.ask("\"Stop\""), json!("Stopped"));
    assert_eq!(host.exit_code(), Some(0));
}

#[test]
fn a_host_whose_member_cannot_start_says_why_and_exits_with_an_error() {
    let data = tempfile::tempdir().expect("a folder");
    let mut host = Host::spawn();
    let reply = host.ask(&start_line("127.0.0.1:notaport", data.path()));
    assert!(
        reply["Failed"]
            .as_str()
            .is_some_and(|w| w.contains("starting member 1")),
        "{reply}"
    );
    assert_ne!(host.exit_code(), Some(0));
}

#[test]
fn a_host_given_no_start_line_says_why_and_exits_with_an_error() {
    let mut host = Host::spawn();
    let reply = host.ask("not json");
    assert!(
        reply["Failed"]
            .as_str()
            .is_some_and(|w| w.contains("the start line")),
        "{reply}"
    );
    assert_ne!(host.exit_code(), Some(0));
}

/// The cells of `table`'s row whose first cell starts with `first`, by column name.
fn row(table: &str, first: &str, topology: &str) -> Vec<(String, String)> {
    let mut lines = table.lines().filter(|l| l.starts_with('|'));
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect();
    let line = lines
        .find(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            cells.get(1).is_some_and(|c| c.starts_with(first))
                && cells.get(2).is_some_and(|c| *c == topology)
        })
        .unwrap_or_else(|| panic!("no row {first} {topology} in\n{table}"));
    header
        .into_iter()
        .zip(line.split('|').map(|c| c.trim().to_owned()))
        .collect()
}

fn cell<'a>(row: &'a [(String, String)], column: &str) -> &'a str {
    row.iter()
        .find(|(h, _)| h == column)
        .map_or_else(|| panic!("no column {column}"), |(_, c)| c.as_str())
}

#[test]
fn a_spread_run_measures_both_topologies_across_hosts() {
    let out = Command::new(BIN)
        .args([
            "--quick",
            "--only",
            "wall",
            "--sizes",
            "3",
            "--spread",
            "6",
            "--per-process",
            "2",
        ])
        .output()
        .expect("the benchmark runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("3 hosts"), "{stderr}");
    let (_, across) = stdout
        .split_once("**Across processes.**")
        .unwrap_or_else(|| panic!("no spread section in\n{stdout}"));
    let figures = across
        .split("Parliament ÷ flat")
        .next()
        .expect("a figures table");
    for topology in ["Parliament", "flat"] {
        let r = row(figures, "6 (", topology);
        assert_eq!(cell(&r, "runs"), "1", "{r:?}");
        assert_eq!(cell(&r, "note"), "", "{r:?}");
        let commits: f64 = cell(&r, "commits / s").parse().expect("a number");
        assert!(commits > 0.0, "{r:?}");
        assert_eq!(cell(&r, "lost writes"), "0", "{r:?}");
        let streams: f64 = cell(&r, "streams up").parse().expect("a number");
        assert!(streams >= 1.0, "members in different hosts talk: {r:?}");
    }
}
