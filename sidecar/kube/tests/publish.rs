//! The role publisher, unmodified, against the kube double over HTTP: labels follow
//! roles; representatives of different districts and the operator share the status; a
//! deposed Prime Minister never overwrites its successor; nothing is written when roles
//! do not change; a resync repairs; API errors are retried.

mod common;

use std::time::Duration;

use common::{Cluster, eventually, until};
use parliament_crds::labels::{DISTRICT, LORD, ROLE};
use parliament_sidecar_kube::publisher::PublishedRoles;
use parliament_sidecar_kube::{Lord, MemberRole, PublisherSettings, RolePublisher, Roles};
use serde_json::json;
use tokio::sync::watch;

/// A running publisher: its roles channel and what it has published.
struct Member {
    roles: watch::Sender<Roles>,
    published: watch::Receiver<PublishedRoles>,
    task: tokio::task::JoinHandle<()>,
}

impl Member {
    fn start(cluster: &Cluster, pod: &str, roles: Roles, settings: PublisherSettings) -> Member {
        let (sender, receiver) = watch::channel(roles);
        let publisher = RolePublisher::new(cluster.client.clone(), cluster.identity(pod), receiver)
            .with_settings(settings);
        let published = publisher.published();
        Member {
            roles: sender,
            published,
            task: tokio::spawn(publisher.run()),
        }
    }

    /// Sends `roles` and waits until a sync has completed with them.
    async fn become_(&mut self, roles: Roles) -> anyhow::Result<()> {
        let before = self.published.borrow().syncs;
        self.roles.send_replace(roles.clone());
        until("a sync with the new roles", &mut self.published, |p| {
            p.syncs > before && p.roles.as_ref() == Some(&roles)
        })
        .await?;
        Ok(())
    }

    async fn synced(&mut self, roles: &Roles) -> anyhow::Result<()> {
        until("the first sync", &mut self.published, |p| {
            p.roles.as_ref() == Some(roles)
        })
        .await?;
        Ok(())
    }
}

fn settings() -> PublisherSettings {
    PublisherSettings {
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..PublisherSettings::default()
    }
}

fn representative(district: &str, term: u64, pod: &str) -> Roles {
    Roles {
        role: MemberRole::Representative,
        district_term: term,
        representative: Some(pod.to_owned()),
        reputation: Some(10),
        ..Roles::member(district)
    }
}

fn prime_minister(district: &str, district_term: u64, commons_term: u64, pod: &str) -> Roles {
    Roles {
        role: MemberRole::PrimeMinister,
        commons_term,
        lords: vec![Lord {
            pod: pod.to_owned(),
            district: district.to_owned(),
            term_ends: None,
        }],
        session: 4,
        committed_revision: 40,
        ..representative(district, district_term, pod)
    }
}

#[tokio::test]
async fn labels_follow_roles_and_leave_the_operators_alone() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.parliament().await?;
    cluster.pod("web-0", "east").await?;

    tracing::info!("--- a member starts");
    let start = Roles::member("east");
    let mut member = Member::start(&cluster, "web-0", start.clone(), settings());
    member.synced(&start).await?;
    let labels = cluster.labels("web-0").await?;
    assert_eq!(labels.get(ROLE).map(String::as_str), Some("member"));
    assert_eq!(labels.get(LORD), None);

    for (roles, role, lord) in [
        (representative("east", 1, "web-0"), "representative", None),
        (
            Roles {
                lord: true,
                ..prime_minister("east", 1, 1, "web-0")
            },
            "prime-minister",
            Some("true"),
        ),
        (
            Roles {
                lord: true,
                ..Roles::member("east")
            },
            "member",
            Some("true"),
        ),
        (Roles::member("east"), "member", None),
    ] {
        tracing::info!(role, ?lord, "--- the member becomes");
        member.become_(roles).await?;
        let labels = cluster.labels("web-0").await?;
        assert_eq!(labels.get(ROLE).map(String::as_str), Some(role));
        assert_eq!(labels.get(LORD).map(String::as_str), lord);
        assert_eq!(
            labels.get(DISTRICT).map(String::as_str),
            Some("east"),
            "the operator's label stays"
        );
        assert_eq!(
            labels.get("app").map(String::as_str),
            Some("web"),
            "the workload's label stays"
        );
    }
    member.task.abort();
    Ok(())
}

#[tokio::test]
async fn representatives_of_two_districts_and_the_operator_share_the_status() -> anyhow::Result<()>
{
    let cluster = Cluster::start().await?;
    cluster.parliament().await?;
    cluster.operator_status(&[("east", 3), ("west", 2)]).await?;
    cluster.pod("web-0", "east").await?;
    cluster.pod("web-1", "west").await?;

    tracing::info!("--- both representatives start at once");
    let east = representative("east", 3, "web-0");
    let west = Roles {
        reputation: Some(7),
        ..representative("west", 5, "web-1")
    };
    let mut a = Member::start(&cluster, "web-0", east.clone(), settings());
    let mut b = Member::start(&cluster, "web-1", west.clone(), settings());
    a.synced(&east).await?;
    b.synced(&west).await?;
    let status = cluster.status().await?;
    let entry = |name: &str| {
        status.district(name).map(|d| {
            (
                d.representative.clone(),
                d.term,
                d.reputation,
                d.members,
                d.ready_members,
            )
        })
    };
    assert_eq!(entry("east"), Some((Some("web-0".to_owned()), 3, 10, 3, 3)));
    assert_eq!(entry("west"), Some((Some("web-1".to_owned()), 5, 7, 2, 2)));
    assert_eq!(
        status.observed_generation,
        Some(1),
        "the operator's fields stay"
    );

    tracing::info!("--- east re-elects web-0 in a new term; west is untouched");
    a.become_(representative("east", 4, "web-0")).await?;
    tracing::info!("--- the operator writes its counts again");
    cluster.operator_status(&[("east", 4), ("west", 2)]).await?;
    let status = cluster.status().await?;
    let east = status
        .district("east")
        .map(|d| (d.representative.clone(), d.term, d.members));
    let west = status
        .district("west")
        .map(|d| (d.representative.clone(), d.term, d.members));
    assert_eq!(east, Some((Some("web-0".to_owned()), 4, 4)));
    assert_eq!(west, Some((Some("web-1".to_owned()), 5, 2)));
    a.task.abort();
    b.task.abort();
    Ok(())
}

#[tokio::test]
async fn the_district_configuration_is_published_as_it_changes() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.parliament().await?;
    cluster.operator_status(&[("east", 4)]).await?;
    cluster.pod("web-0", "east").await?;
    let voters = |pods: &[&str]| pods.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    let configured = |v: &[&str], l: &[&str]| Roles {
        voters: voters(v),
        learners: voters(l),
        ..representative("east", 3, "web-0")
    };
    let config = |status: &parliament_crds::ParliamentStatus| {
        status
            .district("east")
            .map(|d| (d.voters.clone(), d.learners.clone()))
    };

    tracing::info!("--- three voters and a learner catching up");
    let first = configured(&["web-0", "web-1", "web-2"], &["web-3"]);
    let mut a = Member::start(&cluster, "web-0", first.clone(), settings());
    a.synced(&first).await?;
    let status = cluster.status().await?;
    assert_eq!(
        config(&status),
        Some((voters(&["web-0", "web-1", "web-2"]), voters(&["web-3"])))
    );

    tracing::info!("--- the learner is promoted, then a founder removed: each written at once");
    cluster.double.reset_requests();
    a.become_(configured(&["web-0", "web-1", "web-2", "web-3"], &[]))
        .await?;
    let status = cluster.status().await?;
    assert_eq!(
        config(&status),
        Some((voters(&["web-0", "web-1", "web-2", "web-3"]), Vec::new())),
        "an emptied learner list is written empty, not left behind"
    );
    a.become_(configured(&["web-0", "web-2", "web-3"], &[]))
        .await?;
    let status = cluster.status().await?;
    assert_eq!(
        config(&status),
        Some((voters(&["web-0", "web-2", "web-3"]), Vec::new()))
    );
    let counts = cluster.double.requests();
    assert_eq!(counts.writes(), 2, "one status write per change:\n{counts}");
    a.task.abort();
    Ok(())
}

#[tokio::test]
async fn a_deposed_prime_minister_never_overwrites_its_successor() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.parliament().await?;
    cluster.pod("web-0", "east").await?;
    cluster.pod("web-1", "west").await?;

    tracing::info!("--- the newer Prime Minister (Commons term 7) writes first");
    let newer = prime_minister("west", 2, 7, "web-1");
    let mut b = Member::start(&cluster, "web-1", newer.clone(), settings());
    b.synced(&newer).await?;
    let status = cluster.status().await?;
    let pm = status.prime_minister.clone().map(|p| (p.pod, p.term));
    assert_eq!(pm, Some(("web-1".to_owned(), 7)));

    tracing::info!("--- the deposed one (term 6) still believes it leads, and tries after");
    let older = Roles {
        lords: vec![],
        session: 3,
        committed_revision: 30,
        ..prime_minister("east", 1, 6, "web-0")
    };
    let mut a = Member::start(&cluster, "web-0", older.clone(), settings());
    a.synced(&older).await?;
    let after = cluster.status().await?;
    assert_eq!(
        after.prime_minister, status.prime_minister,
        "the newer term's entry stands"
    );
    assert_eq!(after.lords, status.lords, "and so do its Lords");
    assert_eq!(
        (after.session, after.committed_revision),
        (Some(4), Some(40))
    );
    assert_eq!(
        after
            .district("east")
            .map(|d| (d.representative.clone(), d.term)),
        Some((Some("web-0".to_owned()), 1)),
        "its own district entry is not fenced by the Commons term"
    );

    tracing::info!("--- progress alone does not make it try again");
    a.become_(Roles {
        session: 5,
        ..older.clone()
    })
    .await?;
    assert_eq!(
        cluster.status().await?.prime_minister,
        status.prime_minister
    );

    tracing::info!("--- both race from the start, many times: the newer term always stands");
    for round in 0..10_u64 {
        let old_term = 100 + 2 * round;
        let new_term = old_term + 1;
        let older = prime_minister("east", 1, old_term, "web-0");
        let newer = prime_minister("west", 2, new_term, "web-1");
        a.roles.send_replace(older.clone());
        b.roles.send_replace(newer.clone());
        until("the older one's sync", &mut a.published, |p| {
            p.roles.as_ref() == Some(&older)
        })
        .await?;
        until("the newer one's sync", &mut b.published, |p| {
            p.roles.as_ref() == Some(&newer)
        })
        .await?;
        let pm = cluster
            .status()
            .await?
            .prime_minister
            .map(|p| (p.pod, p.term));
        assert_eq!(pm, Some(("web-1".to_owned(), new_term)), "round {round}");
    }
    a.task.abort();
    b.task.abort();
    Ok(())
}

#[tokio::test]
async fn a_deposed_representative_never_overwrites_its_successor() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.parliament().await?;
    cluster.pod("web-0", "east").await?;
    cluster.pod("web-1", "east").await?;

    let newer = representative("east", 9, "web-1");
    let mut b = Member::start(&cluster, "web-1", newer.clone(), settings());
    b.synced(&newer).await?;
    let older = representative("east", 8, "web-0");
    let mut a = Member::start(&cluster, "web-0", older.clone(), settings());
    a.synced(&older).await?;
    let east = cluster
        .status()
        .await?
        .district("east")
        .map(|d| (d.representative.clone(), d.term));
    assert_eq!(east, Some((Some("web-1".to_owned()), 9)));
    assert_eq!(
        cluster.labels("web-0").await?.get(ROLE).map(String::as_str),
        Some("representative"),
        "its own label is its own business: the engine will demote it"
    );
    a.task.abort();
    b.task.abort();
    Ok(())
}

#[tokio::test]
async fn nothing_is_written_while_roles_do_not_change() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.parliament().await?;
    cluster.pod("web-0", "east").await?;
    cluster.pod("web-1", "east").await?;
    let pm = prime_minister("east", 2, 3, "web-0");
    let mut leader = Member::start(&cluster, "web-0", pm.clone(), settings());
    let mut follower = Member::start(&cluster, "web-1", Roles::member("east"), settings());
    leader.synced(&pm).await?;
    follower.synced(&Roles::member("east")).await?;

    tracing::info!("--- from now on: the same roles again, and progress only");
    cluster.double.reset_requests();
    for _ in 0..5 {
        leader.become_(pm.clone()).await?;
        follower.become_(Roles::member("east")).await?;
    }
    leader
        .become_(Roles {
            session: 9,
            committed_revision: 90,
            reputation: Some(11),
            ..pm.clone()
        })
        .await?;
    let counts = cluster.double.requests();
    assert_eq!(
        counts.total(),
        0,
        "no request at all without a role change:\n{counts}"
    );

    tracing::info!("--- a role change costs exactly its writes");
    follower
        .become_(Roles {
            lord: true,
            ..Roles::member("east")
        })
        .await?;
    let counts = cluster.double.requests();
    assert_eq!(counts.get("patch", "pods"), 1, "{counts}");
    assert_eq!(
        counts.total(),
        1,
        "a member's role change touches only its pod:\n{counts}"
    );
    leader.task.abort();
    follower.task.abort();
    Ok(())
}

#[tokio::test]
async fn a_resync_repairs_labels_and_publishes_progress() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.parliament().await?;
    cluster.pod("web-0", "east").await?;
    let pm = prime_minister("east", 2, 3, "web-0");
    let mut leader = Member::start(
        &cluster,
        "web-0",
        pm.clone(),
        PublisherSettings {
            resync: Duration::from_millis(300),
            ..settings()
        },
    );
    leader.synced(&pm).await?;
    tracing::info!("--- progress changes, and someone takes the role label off");
    leader.roles.send_replace(Roles {
        session: 9,
        committed_revision: 90,
        ..pm.clone()
    });
    let off = json!({"metadata": {"labels": {ROLE: null}}});
    cluster
        .pods()
        .patch(
            "web-0",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&off),
        )
        .await?;
    eventually(
        "the resync to put the label back and publish the session",
        || async {
            let labels = cluster.labels("web-0").await?;
            let status = cluster.status().await?;
            Ok(
                (labels.get(ROLE).map(String::as_str) == Some("prime-minister")
                    && status.session == Some(9)
                    && status.committed_revision == Some(90))
                .then_some(()),
            )
        },
    )
    .await?;
    leader.task.abort();
    Ok(())
}

#[tokio::test]
async fn api_errors_are_retried_with_backoff() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.pod("web-0", "east").await?;
    tracing::info!("--- a representative starts before its Parliament exists");
    let roles = representative("east", 1, "web-0");
    let leader = Member::start(&cluster, "web-0", roles, settings());
    eventually("a few failed status reads", || async {
        Ok((cluster
            .double
            .requests()
            .get("get", "parliaments.parliament.dev")
            >= 3)
            .then_some(()))
    })
    .await?;
    assert!(
        leader.published.borrow().roles.is_none(),
        "nothing counts as published yet"
    );
    tracing::info!("--- the Parliament appears: the retry publishes");
    cluster.parliament().await?;
    eventually("the district entry", || async {
        let status = cluster.status().await?;
        Ok(status
            .district("east")
            .and_then(|d| d.representative.clone())
            .filter(|r| r == "web-0"))
    })
    .await?;
    leader.task.abort();
    Ok(())
}
