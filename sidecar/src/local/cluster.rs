//! `LocalCluster`: a parliament of child processes on 127.0.0.1 — the roster, the
//! throwaway CA and each member's data directory under one folder; start, kill -9,
//! restart and a clean stop. `parliament up` and the process-level tests use it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use parliament_crds::Roster;
use parliament_net::ThrowawayCa;
use tokio::process::{Child, Command};

use crate::error::{Error, Result};
use crate::local::plan::LocalMember;

/// How long a member gets to stop after its stdin closes before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Where and how to run.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The `parliament` binary.
    pub exe: PathBuf,
    /// The folder for the roster, certificates and members' data.
    pub data: PathBuf,
    /// The parliament's name.
    pub name: String,
    /// The Parliament YAML (timeouts, sessions).
    pub spec: PathBuf,
    /// Mutual TLS between members, with a throwaway CA.
    pub tls: bool,
    /// `RUST_LOG` for the members.
    pub log: String,
    /// A command to run a member under, per member id (for example
    /// `ip netns exec <namespace>`, to put a district on a network of its own); members
    /// without one run directly.
    pub wrappers: BTreeMap<u64, Vec<String>>,
}

/// A parliament of local processes.
#[derive(Debug)]
pub struct LocalCluster {
    options: ClusterOptions,
    roster: Roster,
    members: Vec<LocalMember>,
    children: BTreeMap<u64, Child>,
}

fn write(path: &Path, contents: &[u8]) -> Result<()> {
    std::fs::write(path, contents).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })
}

fn mkdir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })
}

impl LocalCluster {
    /// Writes the roster (and with TLS, a CA and a certificate per member) under the
    /// data folder. A folder that already holds another parliament's roster is refused,
    /// so that old ledgers are never mixed with a new roster.
    ///
    /// # Errors
    /// Files cannot be written, or the folder holds a different roster.
    pub fn prepare(
        options: ClusterOptions,
        roster: Roster,
        members: Vec<LocalMember>,
    ) -> Result<LocalCluster> {
        mkdir(&options.data)?;
        let roster_path = options.data.join("roster.json");
        let json = roster.to_json().map_err(|e| Error::Roster(e.to_string()))?;
        if let Ok(old) = std::fs::read_to_string(&roster_path)
            && old != json
        {
            return Err(Error::Config(format!(
                "{} holds the roster of another parliament layout; remove the folder or pass another --data",
                options.data.display()
            )));
        }
        write(&roster_path, json.as_bytes())?;
        if options.tls {
            let tls = options.data.join("tls");
            mkdir(&tls)?;
            let ca = ThrowawayCa::new(&options.name)?;
            write(&tls.join("ca.pem"), ca.ca_pem().as_bytes())?;
            for m in &members {
                let issued = ca.issue(&format!("{}.{}", m.name, options.name))?;
                write(&tls.join(format!("{}.pem", m.name)), &issued.cert_pem)?;
                write(&tls.join(format!("{}.key", m.name)), &issued.key_pem)?;
            }
        }
        Ok(LocalCluster {
            options,
            roster,
            members,
            children: BTreeMap::new(),
        })
    }

    /// The roster.
    #[must_use]
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The members and their addresses.
    #[must_use]
    pub fn members(&self) -> &[LocalMember] {
        &self.members
    }

    /// The member with `id`.
    #[must_use]
    pub fn member(&self, id: u64) -> Option<&LocalMember> {
        self.members.iter().find(|m| m.id == id)
    }

    /// The process id of member `id`, while it runs.
    #[must_use]
    pub fn pid(&self, id: u64) -> Option<u32> {
        self.children.get(&id).and_then(Child::id)
    }

    /// Whether member `id` runs.
    #[must_use]
    pub fn is_running(&self, id: u64) -> bool {
        self.children.contains_key(&id)
    }

    /// Starts every member not running.
    ///
    /// # Errors
    /// A member could not be spawned.
    pub fn start_all(&mut self) -> Result<()> {
        let ids: Vec<u64> = self.members.iter().map(|m| m.id).collect();
        for id in ids {
            if !self.is_running(id) {
                self.start(id)?;
            }
        }
        Ok(())
    }

    /// Starts (or restarts) member `id` from its data directory.
    ///
    /// # Errors
    /// `id` is unknown or the process could not be spawned.
    pub fn start(&mut self, id: u64) -> Result<()> {
        let m = self
            .member(id)
            .cloned()
            .ok_or_else(|| Error::Config(format!("no member {id} in this parliament")))?;
        let dir = self.options.data.join(&m.name);
        mkdir(&dir)?;
        let log_path = dir.join("member.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|source| Error::File {
                path: log_path.clone(),
                source,
            })?;
        let err = log.try_clone().map_err(|source| Error::File {
            path: log_path.clone(),
            source,
        })?;
        let mut cmd = match self.options.wrappers.get(&id).and_then(|w| w.split_first()) {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(&self.options.exe);
                cmd
            }
            None => Command::new(&self.options.exe),
        };
        cmd.arg("run")
            .arg("--roster")
            .arg(self.options.data.join("roster.json"))
            .arg("--cluster")
            .arg(&self.options.name)
            .arg("--member")
            .arg(id.to_string())
            .arg("--data")
            .arg(&dir)
            .arg("--spec")
            .arg(&self.options.spec)
            .arg("--api")
            .arg(&m.api)
            .arg("--metrics")
            .arg(&m.metrics)
            .arg("--exit-on-stdin-eof");
        if self.options.tls {
            let tls = self.options.data.join("tls");
            cmd.arg("--tls-ca")
                .arg(tls.join("ca.pem"))
                .arg("--tls-cert")
                .arg(tls.join(format!("{}.pem", m.name)))
                .arg("--tls-key")
                .arg(tls.join(format!("{}.key", m.name)));
        }
        cmd.env("RUST_LOG", &self.options.log)
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|source| Error::File {
            path: self.options.exe.clone(),
            source,
        })?;
        self.children.insert(id, child);
        Ok(())
    }

    /// Kills member `id` at once (SIGKILL): it keeps only what it had made durable.
    pub async fn kill(&mut self, id: u64) {
        if let Some(mut child) = self.children.remove(&id) {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Stops member `id` cleanly: closes its stdin, waits, kills after a grace period.
    pub async fn stop(&mut self, id: u64) {
        if let Some(mut child) = self.children.remove(&id) {
            drop(child.stdin.take());
            if tokio::time::timeout(STOP_GRACE, child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
    }

    /// Stops every member cleanly, together.
    pub async fn stop_all(&mut self) {
        let children = std::mem::take(&mut self.children);
        let stops = children.into_values().map(|mut child| async move {
            drop(child.stdin.take());
            if tokio::time::timeout(STOP_GRACE, child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        });
        futures::future::join_all(stops).await;
    }

    /// Members that exited on their own, with their exit status (they are forgotten).
    pub fn reap(&mut self) -> Vec<(u64, std::process::ExitStatus)> {
        let mut out = Vec::new();
        self.children.retain(|id, child| match child.try_wait() {
            Ok(Some(status)) => {
                out.push((*id, status));
                false
            }
            _ => true,
        });
        out
    }

    /// The log file of member `id`.
    #[must_use]
    pub fn log_path(&self, id: u64) -> Option<PathBuf> {
        self.member(id)
            .map(|m| self.options.data.join(&m.name).join("member.log"))
    }
}
