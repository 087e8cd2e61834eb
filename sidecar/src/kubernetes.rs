//! `parliament run --kubernetes`: the member learns who it is from the downward API,
//! reads the roster the operator publishes and its timings from the Parliament's spec,
//! and publishes its roles (pod labels, the Parliament's status) through
//! `parliament-sidecar-kube`. The API server is written only when a role changes (plus
//! the publisher's bounded resync); elections never touch it.

use std::sync::Arc;
use std::time::SystemTime;

use kube::{Api, Client};
use parliament_crds::spec::Tls;
use parliament_crds::{Parliament, Roster};
use parliament_engine::NodeId;
use parliament_net::TlsConfig;
use parliament_sidecar_kube::{Identity, MemberRole, RolePublisher, Roles, RosterWatch};
use tokio::sync::watch;

use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::node::{self, NodeHandle, RolesView, Settings};
use crate::run::RunArgs;
use crate::settings;

/// How often the session number and committed revision reach the status at most.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// What the member needs to start in Kubernetes, and the publisher to start after it.
#[derive(Debug)]
pub struct Started {
    /// The parliament as the roster describes it.
    pub directory: Arc<Directory>,
    /// This member's id.
    pub member: NodeId,
    /// Timings from the Parliament's spec.
    pub settings: Settings,
    /// The role publisher, waiting for the member's roles.
    pub publish: Publish,
    /// `spec.tls` of the Parliament, and the Secret it names.
    pub tls: Tls,
}

/// Where the chart mounts the certificate Secret (`tls.crt`, `tls.key`, `ca.crt`).
pub const TLS_DIR: &str = "/etc/parliament/tls";

/// The peer TLS a member in a pod uses: the `--tls-*` files when given, else the Secret
/// mounted at `tls_dir` when `spec.tls` asks for TLS, else (mode disabled) none. A spec
/// that asks for TLS never runs in plaintext: without certificates the member refuses
/// to start and says which Secret to mount where.
///
/// # Errors
/// [`Error::Config`] when TLS is asked for and the files cannot be read.
pub fn peer_tls(
    args: &RunArgs,
    tls: &Tls,
    parliament: &str,
    tls_dir: &std::path::Path,
) -> Result<Option<TlsConfig>> {
    if let (Some(ca), Some(cert), Some(key)) = (&args.tls_ca, &args.tls_cert, &args.tls_key) {
        return Ok(Some(TlsConfig::from_files(ca, cert, key)?));
    }
    let Some(secret) = tls.secret_name_for(parliament) else {
        return Ok(None);
    };
    TlsConfig::from_files(
        tls_dir.join("ca.crt"),
        tls_dir.join("tls.crt"),
        tls_dir.join("tls.key"),
    )
    .map(Some)
    .map_err(|e| {
        Error::Config(format!(
            "spec.tls.mode is {}, so members speak mutual TLS, but {e}: mount Secret {secret} (tls.crt, tls.key, ca.crt) at {} (the chart does when example.tls.secretName is set), or set spec.tls.mode to disabled on a trusted network",
            tls.mode.as_str(),
            tls_dir.display()
        ))
    })
}

/// The role publisher and the roster watch, started with the member.
pub struct Publish {
    client: Client,
    identity: Identity,
    roster: watch::Receiver<Option<Roster>>,
}

/// Reads identity, spec and roster; waits until the roster names this pod.
///
/// # Errors
/// A downward-API variable is missing, the API server cannot be reached, the Parliament
/// is missing or invalid, or the roster cannot be used.
pub async fn start(_args: &RunArgs) -> Result<Started> {
    let identity =
        Identity::from_env().map_err(|e| Error::Config(format!("Kubernetes mode: {e}")))?;
    let client = Client::try_default()
        .await
        .map_err(|e| Error::Config(format!("Kubernetes mode: no API server client: {e}")))?;
    let parliaments: Api<Parliament> = Api::namespaced(client.clone(), &identity.namespace);
    let parliament = parliaments.get(&identity.parliament).await.map_err(|e| {
        Error::Config(format!(
            "Kubernetes mode: cannot read Parliament {}/{}: {e}",
            identity.namespace, identity.parliament
        ))
    })?;
    parliament_crds::validate(&parliament.spec).map_err(|errors| {
        Error::Spec(
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let settings = settings::from_spec(&parliament.spec);

    let (watch, mut roster) = RosterWatch::new(client.clone(), &identity);
    tokio::spawn(watch.run());
    tracing::info!(pod = %identity.pod, parliament = %identity.parliament, "waiting for the roster to name this pod");
    let mut told = None;
    let published = loop {
        if let Some(r) = roster.borrow_and_update().clone() {
            match r.member(&identity.pod) {
                Some((_, m)) if m.uid == identity.uid => break r,
                // An earlier pod of this name: the operator has not seen this one yet.
                Some((_, m)) if told != Some(r.revision) => {
                    told = Some(r.revision);
                    tracing::info!(
                        pod = %identity.pod, roster_uid = %m.uid, uid = %identity.uid,
                        revision = r.revision,
                        "the roster names an earlier pod of this name; waiting for one that names this pod"
                    );
                }
                _ => {}
            }
        }
        roster.changed().await.map_err(|_| {
            Error::Roster("the roster watch stopped before naming this pod".to_owned())
        })?;
    };
    let member = published
        .member(&identity.pod)
        .map(|(_, m)| NodeId(m.id))
        .ok_or_else(|| Error::Roster(format!("pod {} is not in the roster", identity.pod)))?;
    let directory = Arc::new(Directory::new(&identity.parliament, &published)?);
    Ok(Started {
        directory,
        member,
        settings,
        publish: Publish {
            client,
            identity,
            roster,
        },
        tls: parliament.spec.tls.clone(),
    })
}

/// Pod names of `ids`; a member the roster no longer lists (it left, and the
/// representative has not removed it yet) as `member-<id>`.
fn pods(directory: &Directory, ids: &[parliament_engine::NodeId]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            directory
                .member(*id)
                .map_or_else(|| format!("member-{}", id.0), |e| e.name.clone())
        })
        .collect()
}

/// The publisher's view of a member's roles.
#[must_use]
pub fn roles_of(directory: &Directory, view: &RolesView, pm_since: Option<SystemTime>) -> Roles {
    let role = match view.member_role() {
        node::MemberRole::PrimeMinister => MemberRole::PrimeMinister,
        node::MemberRole::Representative => MemberRole::Representative,
        node::MemberRole::Member => MemberRole::Member,
    };
    Roles {
        district: directory.district_name(view.district).to_owned(),
        role,
        lord: view.is_lord(),
        district_term: view.district_term.0,
        representative: view
            .representative
            .and_then(|id| directory.member(id))
            .map(|e| e.name.clone()),
        reputation: view
            .reputation
            .iter()
            .find(|(id, _)| *id == view.member)
            .map(|(_, score)| i64::from(*score)),
        commons_term: view.seat.map_or(0, |s| s.term.0),
        prime_minister_since: pm_since,
        lords: view
            .lords
            .iter()
            .filter_map(|id| directory.member(*id))
            .map(|e| parliament_sidecar_kube::Lord {
                pod: e.name.clone(),
                district: directory.district_name(e.district).to_owned(),
                term_ends: None,
            })
            .collect(),
        session: view.session.map_or(0, |s| s.0),
        committed_revision: view.global_revision,
        voters: pods(directory, &view.voters),
        learners: pods(directory, &view.learners),
    }
}

impl std::fmt::Debug for Publish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publish")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl Publish {
    /// Starts publishing `node`'s roles, and hands every newer roster the operator
    /// publishes to the member while it runs: pods added or removed become district
    /// membership changes (a new member joins as a learner and is promoted once caught
    /// up; a member the roster dropped is removed). A roster the member refuses is
    /// logged and counted in `parliament_roster_refusals_total`; the member keeps
    /// running with the one it has.
    pub fn spawn(self, node: NodeHandle) {
        let mut views = node.roles();
        let first = roles_of(&node.directory(), &views.borrow(), None);
        let publisher = node.clone();
        let (tx, rx) = watch::channel(first);
        tokio::spawn(async move {
            let mut pm_since = None;
            let mut progress = tokio::time::interval(PROGRESS_EVERY);
            let node = publisher;
            loop {
                let directory = node.directory();
                let roles = {
                    let view = views.borrow_and_update();
                    let pm = view.member_role() == node::MemberRole::PrimeMinister;
                    pm_since = match (pm, pm_since) {
                        (true, None) => Some(SystemTime::now()),
                        (true, since) => since,
                        (false, _) => None,
                    };
                    roles_of(&directory, &view, pm_since)
                };
                // A change of role wakes the publisher at once; the session number and
                // committed revision alone move with every write, so they are passed on
                // at most every PROGRESS_EVERY.
                tx.send_if_modified(|old| {
                    let moved = Roles {
                        session: old.session,
                        committed_revision: old.committed_revision,
                        ..roles.clone()
                    } != *old;
                    if moved {
                        *old = roles;
                    }
                    moved
                });
                tokio::select! {
                    changed = views.changed() => if changed.is_err() { return },
                    _ = progress.tick() => {
                        let view = views.borrow().clone();
                        let latest = roles_of(&node.directory(), &view, pm_since);
                        tx.send_if_modified(|old| {
                            let moved = *old != latest;
                            *old = latest;
                            moved
                        });
                    }
                }
            }
        });
        tokio::spawn(RolePublisher::new(self.client, self.identity, rx).run());
        let mut roster = self.roster;
        tokio::spawn(async move {
            while roster.changed().await.is_ok() {
                let Some(published) = roster.borrow_and_update().clone() else {
                    continue;
                };
                let revision = published.revision;
                match node.set_roster(published).await {
                    Ok(true) => tracing::info!(revision, "adopted the operator's new roster"),
                    Ok(false) => tracing::debug!(revision, "an older roster replayed; ignored"),
                    // Logged and counted by the engine task; the member runs on.
                    Err(e) => tracing::warn!(revision, error = %e, "roster not adopted"),
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use parliament_crds::spec::TlsMode;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn args(extra: &[&str]) -> RunArgs {
        let mut argv = vec!["parliament", "--kubernetes", "--data", "/tmp/x"];
        argv.extend(extra);
        Cli::parse_from(argv).run
    }

    fn tls(mode: TlsMode, secret_name: Option<&str>) -> Tls {
        Tls {
            mode,
            secret_name: secret_name.map(str::to_owned),
        }
    }

    fn mounted(dir: &std::path::Path) {
        for file in ["ca.crt", "tls.crt", "tls.key"] {
            std::fs::write(dir.join(file), file).expect("write");
        }
    }

    #[test]
    fn disabled_tls_is_plaintext() {
        let dir = tempfile::tempdir().expect("tempdir");
        mounted(dir.path());
        let got = peer_tls(&args(&[]), &tls(TlsMode::Disabled, None), "web", dir.path());
        assert!(got.expect("no error").is_none());
    }

    #[test]
    fn tls_asked_for_without_a_mounted_secret_refuses_to_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (mode, secret, named) in [
            (TlsMode::Generated, None, "web-tls"),
            (TlsMode::Files, Some("peer-certs"), "peer-certs"),
        ] {
            let error = peer_tls(&args(&[]), &tls(mode, secret), "web", dir.path())
                .expect_err("no plaintext when TLS is asked for")
                .to_string();
            assert!(error.contains(&format!("mount Secret {named}")), "{error}");
            assert!(error.contains("ca.crt"), "{error}");
            assert!(error.contains(&dir.path().display().to_string()), "{error}");
        }
    }

    #[test]
    fn the_mounted_secret_is_read_when_tls_is_asked_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        mounted(dir.path());
        let got = peer_tls(
            &args(&[]),
            &tls(TlsMode::Generated, None),
            "web",
            dir.path(),
        );
        assert!(got.expect("read").is_some());
    }

    #[test]
    fn files_given_as_flags_win_over_the_mount() {
        let dir = tempfile::tempdir().expect("tempdir");
        mounted(dir.path());
        let p = |f: &str| dir.path().join(f).display().to_string();
        let (ca, cert, key) = (p("ca.crt"), p("tls.crt"), p("tls.key"));
        let flags = args(&["--tls-ca", &ca, "--tls-cert", &cert, "--tls-key", &key]);
        let empty = tempfile::tempdir().expect("tempdir");
        let got = peer_tls(&flags, &tls(TlsMode::Disabled, None), "web", empty.path());
        assert!(got.expect("read").is_some());
    }
}
