//! `parliament status`: asks every member for its roles and shows the parliament as
//! `kubectl get` will — Prime Minister, each district's representative with its term
//! and fencing token, members up, the session number.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use parliament_proto::client as pb;

use crate::cli::client;

/// Options of `parliament status`.
#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    /// The roster of the parliament (every member with an apiAddress is asked). With
    /// `parliament up`, it is `<data>/roster.json`.
    #[arg(long, default_value = ".parliament/roster.json")]
    pub roster: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One member's answer, or why there is none.
#[derive(Clone, Debug)]
pub struct MemberStatus {
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: String,
    /// Its client API address.
    pub address: String,
    /// What it said.
    pub roles: Result<pb::RolesResponse, String>,
}

/// Asks every member of a roster, concurrently, each with a short timeout.
pub async fn gather(roster: &parliament_crds::Roster) -> Vec<MemberStatus> {
    let asks = roster.members().map(|m| {
        let name = m.pod.clone();
        let district = m.district.clone();
        let address = m.api_address.clone().unwrap_or_default();
        async move {
            let roles = if address.is_empty() {
                Err("no api address in the roster".to_owned())
            } else {
                match tokio::time::timeout(Duration::from_millis(800), async {
                    let mut c = client::connect(&address).await?;
                    c.roles(pb::RolesRequest {}).await
                })
                .await
                {
                    Ok(Ok(r)) => Ok(r.into_inner()),
                    Ok(Err(s)) => Err(s.message().to_owned()),
                    Err(_) => Err("no answer within 800 ms".to_owned()),
                }
            };
            MemberStatus {
                name,
                district,
                address,
                roles,
            }
        }
    });
    futures::future::join_all(asks).await
}

fn grant_of(r: &pb::RolesResponse, kind: pb::RoleKind) -> Option<&pb::RoleGrant> {
    r.roles
        .iter()
        .find(|g| g.kind == kind as i32 && g.member_id == r.member_id)
}

fn token(g: &pb::RoleGrant) -> String {
    g.token
        .as_ref()
        .map_or_else(|| "-".to_owned(), |t| format!("({},{})", t.group, t.term))
}

/// The parliament as a table.
#[must_use]
pub fn render(statuses: &[MemberStatus]) -> String {
    let mut out = String::new();
    let up = statuses.iter().filter(|s| s.roles.is_ok()).count();
    // The Prime Minister with the highest Commons term wins: a deposed one that has not
    // noticed yet shows an older term.
    let pm = statuses
        .iter()
        .filter_map(|s| {
            let r = s.roles.as_ref().ok()?;
            let g = grant_of(r, pb::RoleKind::PrimeMinister)?;
            Some((g.token.as_ref().map_or(0, |t| t.term), s, r, g))
        })
        .max_by_key(|(term, ..)| *term);
    match &pm {
        Some((term, s, r, g)) => {
            let _ = writeln!(
                out,
                "PRIME MINISTER  {} ({})  commons term {}  token {}  session {}",
                s.name,
                s.district,
                term,
                token(g),
                r.session
            );
        }
        None => {
            let _ = writeln!(out, "PRIME MINISTER  (none: the Commons has no leader yet)");
        }
    }
    // The Lords and reputation as the Prime Minister (else any member) reports them.
    let reporter = pm
        .as_ref()
        .map(|(_, _, r, _)| *r)
        .or_else(|| statuses.iter().find_map(|s| s.roles.as_ref().ok()));
    let lords: Vec<&str> = reporter.map_or_else(Vec::new, |r| {
        r.roles
            .iter()
            .filter(|g| g.kind == pb::RoleKind::Lord as i32)
            .map(|g| g.member.as_str())
            .collect()
    });
    let _ = writeln!(
        out,
        "LORDS           {}",
        if lords.is_empty() {
            "(none seated yet)".to_owned()
        } else {
            lords.join(", ")
        }
    );
    let mut districts: BTreeMap<&str, Vec<&MemberStatus>> = BTreeMap::new();
    for s in statuses {
        districts.entry(s.district.as_str()).or_default().push(s);
    }
    let _ = writeln!(
        out,
        "{:<16} {:<16} {:>6} {:<12} {:>8} {:>10}",
        "DISTRICT", "REPRESENTATIVE", "TERM", "TOKEN", "UP", "REPUTATION"
    );
    let mut represented = 0;
    for (name, members) in &districts {
        let rep = members
            .iter()
            .filter_map(|s| {
                let r = s.roles.as_ref().ok()?;
                let g = grant_of(r, pb::RoleKind::Representative)?;
                Some((g.token.as_ref().map_or(0, |t| t.term), s, g))
            })
            .max_by_key(|(term, ..)| *term);
        let alive = members.iter().filter(|s| s.roles.is_ok()).count();
        match rep {
            Some((term, s, g)) => {
                represented += 1;
                // The representative's score in its district's published table.
                let score = s
                    .roles
                    .as_ref()
                    .ok()
                    .and_then(|r| r.reputation.get(&s.name))
                    .map_or_else(|| "-".to_owned(), u64::to_string);
                let _ = writeln!(
                    out,
                    "{:<16} {:<16} {:>6} {:<12} {:>5}/{} {:>10}",
                    name,
                    s.name,
                    term,
                    token(g),
                    alive,
                    members.len(),
                    score
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{:<16} {:<16} {:>6} {:<12} {:>5}/{}",
                    name,
                    "(election)",
                    "-",
                    "-",
                    alive,
                    members.len()
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "{represented}/{} districts represented, {up}/{} members answering",
        districts.len(),
        statuses.len()
    );
    out
}

/// The member holding `kind` in `district` (in any district for the Prime Minister),
/// with the highest term among those that claim it: `(member id, term)`.
#[must_use]
pub fn holder(
    statuses: &[MemberStatus],
    kind: pb::RoleKind,
    district: Option<&str>,
) -> Option<(u64, u64)> {
    statuses
        .iter()
        .filter(|s| district.is_none_or(|d| s.district == d))
        .filter_map(|s| {
            let r = s.roles.as_ref().ok()?;
            let g = grant_of(r, kind)?;
            Some((r.member_id, g.token.as_ref().map_or(0, |t| t.term)))
        })
        .max_by_key(|(_, term)| *term)
}

/// Whether the parliament has convened: a Prime Minister and every district represented.
#[must_use]
pub fn convened(statuses: &[MemberStatus]) -> bool {
    let mut districts: BTreeMap<&str, bool> = BTreeMap::new();
    let mut pm = false;
    for s in statuses {
        let e = districts.entry(s.district.as_str()).or_default();
        if let Ok(r) = &s.roles {
            *e |= grant_of(r, pb::RoleKind::Representative).is_some();
            pm |= grant_of(r, pb::RoleKind::PrimeMinister).is_some();
        }
    }
    pm && districts.values().all(|v| *v)
}

/// The statuses as JSON.
#[must_use]
pub fn to_json(statuses: &[MemberStatus]) -> serde_json::Value {
    serde_json::Value::Array(
        statuses
            .iter()
            .map(|s| {
                let roles = match &s.roles {
                    Ok(r) => serde_json::json!({
                        "session": r.session,
                        "roles": r.roles.iter().map(|g| serde_json::json!({
                            "kind": g.kind,
                            "member": g.member,
                            "district": g.district,
                            "token": g.token.as_ref().map(|t| serde_json::json!({"group": t.group, "term": t.term})),
                        })).collect::<Vec<_>>(),
                    }),
                    Err(e) => serde_json::json!({ "error": e }),
                };
                serde_json::json!({
                    "member": s.name,
                    "district": s.district,
                    "address": s.address,
                    "status": roles,
                })
            })
            .collect(),
    )
}

/// Runs `parliament status`.
///
/// # Errors
/// The roster cannot be read.
pub async fn run(args: StatusArgs) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(&args.roster)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.roster.display()))?;
    let roster = parliament_crds::Roster::from_json(&text)?;
    let statuses = gather(&roster).await;
    Ok(if args.json {
        serde_json::to_string_pretty(&to_json(&statuses))?
    } else {
        render(&statuses)
    })
}
