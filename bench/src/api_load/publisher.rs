//! The Parliament side of the API-load part ([`run`]): every pod runs the sidecar's
//! Kubernetes side (`RosterWatch`, `RolePublisher`: roster watch, role labels, status
//! publishing) with its own client. Elections happen between sidecars over gRPC and cost
//! the API server nothing, so the part plays the engine: it hands out roles and, at the
//! failover, kills the Prime Minister's pod (its tasks aborted, nothing released) and
//! gives the roles to the successors at once.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::{Context, bail};
use parliament_crds::Roster;
use parliament_sidecar_kube::{
    Identity, Lord, MemberRole, PublishedRoles, RolePublisher, Roles, RosterWatch,
};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::cluster::{
    Measured, NS, PARLIAMENT, SETTLE, Windows, client, cluster, district_of, pod_name,
    publish_roster,
};

/// The system's name in the tables.
pub const SYSTEM: &str = "Parliament publisher";

/// Roles at the start: pods 0..3 represent their districts, pod 0 is Prime Minister, and
/// the representatives sit in the Lords.
fn initial_roles(i: usize) -> Roles {
    let lords = (0..3)
        .map(|j| Lord {
            pod: pod_name(j),
            district: district_of(j).to_owned(),
            term_ends: None,
        })
        .collect();
    let base = Roles {
        district_term: 1,
        representative: Some(pod_name(i % 3)),
        commons_term: 1,
        lord: i < 3,
        ..Roles::member(district_of(i))
    };
    match i {
        0 => Roles {
            role: MemberRole::PrimeMinister,
            lords,
            reputation: Some(3),
            ..base
        },
        1 | 2 => Roles {
            role: MemberRole::Representative,
            reputation: Some(3),
            ..base
        },
        _ => base,
    }
}

struct Sidecar {
    roles: watch::Sender<Roles>,
    published: watch::Receiver<PublishedRoles>,
    roster: watch::Receiver<Option<Roster>>,
    tasks: Vec<AbortHandle>,
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// One run at `pods` pods.
///
/// # Errors
/// The cluster cannot be set up, or a sidecar did not sync or publish in time.
pub async fn run(pods: usize, windows: Windows) -> anyhow::Result<Measured> {
    if pods < 4 {
        bail!(
            "the publisher run needs at least 4 pods (a successor in the PM's district), not {pods}"
        );
    }
    let (double, setup) = cluster(pods).await?;
    publish_roster(&setup, pods).await?;
    let mut sidecars = Vec::new();
    for i in 0..pods {
        let client = client(&double)?;
        let identity = Identity {
            pod: pod_name(i),
            namespace: NS.to_owned(),
            uid: format!("uid-{i}"),
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            parliament: PARLIAMENT.to_owned(),
        };
        let (watch, roster) = RosterWatch::new(client.clone(), &identity);
        let (roles, receiver) = watch::channel(initial_roles(i));
        let publisher = RolePublisher::new(client, identity, receiver);
        let published = publisher.published();
        let tasks = vec![
            tokio::spawn(watch.run()).abort_handle(),
            tokio::spawn(publisher.run()).abort_handle(),
        ];
        sidecars.push(Sidecar {
            roles,
            published,
            roster,
            tasks,
        });
    }
    for (i, sidecar) in sidecars.iter_mut().enumerate() {
        tokio::time::timeout(SETTLE, sidecar.published.wait_for(|p| p.syncs >= 1))
            .await
            .with_context(|| format!("pod {i} did not publish its roles"))??;
        tokio::time::timeout(SETTLE, sidecar.roster.wait_for(Option::is_some))
            .await
            .with_context(|| format!("pod {i} did not see the roster"))??;
    }
    tokio::time::sleep(windows.warmup).await;

    double.reset_requests();
    tokio::time::sleep(windows.steady).await;
    let steady = double.requests();

    double.reset_requests();
    let killed = Instant::now();
    for task in &sidecars[0].tasks {
        task.abort();
    }
    // The engine's elections (over gRPC, not the API server) pick successors: pod 3 for
    // east, and west's representative, pod 1, as Prime Minister.
    let new_lords: Vec<Lord> = (1..4)
        .map(|j| Lord {
            pod: pod_name(j),
            district: district_of(j).to_owned(),
            term_ends: None,
        })
        .collect();
    let east = Roles {
        role: MemberRole::Representative,
        district_term: 2,
        representative: Some(pod_name(3)),
        lord: true,
        ..initial_roles(3)
    };
    sidecars[3].roles.send_replace(east.clone());
    let mut successors = vec![(3, east)];
    let prime_minister = Roles {
        role: MemberRole::PrimeMinister,
        commons_term: 2,
        lords: new_lords,
        ..initial_roles(1)
    };
    sidecars[1].roles.send_replace(prime_minister.clone());
    successors.push((1, prime_minister));
    for (i, roles) in &successors {
        tokio::time::timeout(
            SETTLE,
            sidecars[*i]
                .published
                .wait_for(|p| p.roles.as_ref() == Some(roles)),
        )
        .await
        .with_context(|| format!("pod {i} did not publish its new roles"))??;
    }
    let new_leader_after = killed.elapsed();
    tokio::time::sleep(windows.failover.saturating_sub(new_leader_after)).await;
    let failover = double.requests();
    Ok(Measured {
        system: SYSTEM,
        pods,
        steady,
        failover,
        new_leader_after,
    })
}
