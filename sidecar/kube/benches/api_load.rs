//! API-server requests per minute of the sidecar's Kubernetes side (roster watch, role
//! labels, status publishing) at 10, 30 and 100 member pods, in steady state and across
//! one failover of the Prime Minister, beside a Lease-based election with
//! kube-lease-manager at its default settings (30 s leases, renewed 5 s before expiry),
//! both against the same kube double over HTTP. Prints a table.
//!
//! Wall-clock time, not virtual time: kube-lease-manager reads `SystemTime` for lease
//! expiry, so a paused tokio clock would not be honest. Run with
//! `cargo bench -p parliament-sidecar-kube --bench api_load -- --steady-secs 600 --failover-secs 120`.
//!
//! Every pod has its own client (its own connections), as in a cluster. In the
//! Parliament runs the elections themselves happen between sidecars over gRPC, so the
//! bench plays the engine: it hands out roles and, at the failover, kills the Prime
//! Minister's pod (its tasks aborted, nothing released) and gives the roles to successors
//! at once. In the Lease runs every pod contends for its district's Lease and a district
//! holder also contends for the Prime Minister's Lease; the failover kills the holder of
//! both the same way and waits for the leases to expire.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Config};
use kube_lease_manager::LeaseManagerBuilder;
use parliament_crds::labels::{ROSTER_KEY, roster_config_map_name};
use parliament_crds::{Parliament, Roster};
use parliament_kube_double::{KubeDouble, RequestCounts};
use parliament_sidecar_kube::{Identity, Lord, MemberRole, RolePublisher, Roles, RosterWatch};
use serde_json::json;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

const NS: &str = "bench";
const PARLIAMENT: &str = "web";
const DISTRICTS: [&str; 3] = ["east", "west", "north"];
const SETTLE: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug)]
struct Args {
    steady: Duration,
    failover: Duration,
}

#[derive(Debug)]
struct Measured {
    system: &'static str,
    pods: usize,
    steady: RequestCounts,
    failover: RequestCounts,
    /// From the kill to the successor Prime Minister being published (label written).
    new_leader_after: Duration,
}

fn parse_args() -> anyhow::Result<(Args, Vec<usize>)> {
    let mut args = Args {
        steady: Duration::from_secs(600),
        failover: Duration::from_secs(120),
    };
    let mut sizes = vec![10, 30, 100];
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut value = || argv.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--steady-secs" => args.steady = Duration::from_secs(value()?.parse()?),
            "--failover-secs" => args.failover = Duration::from_secs(value()?.parse()?),
            "--sizes" => {
                sizes = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            // cargo bench passes --bench.
            "--bench" => {}
            other => bail!(
                "unknown argument {other}; use --steady-secs N --failover-secs N --sizes 10,30,100"
            ),
        }
    }
    Ok((args, sizes))
}

fn district_of(i: usize) -> &'static str {
    DISTRICTS[i % DISTRICTS.len()]
}

fn pod_name(i: usize) -> String {
    format!("web-{i}")
}

async fn client(double: &KubeDouble) -> anyhow::Result<Client> {
    Ok(Client::try_from(Config::new(double.url().parse()?))?)
}

/// A double with a Parliament and `pods` pods.
async fn cluster(pods: usize) -> anyhow::Result<(KubeDouble, Client)> {
    let double = KubeDouble::start().await?;
    let setup = client(&double).await?;
    let parliament: Parliament = serde_json::from_value(json!({
        "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
        "metadata": {"name": PARLIAMENT, "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }))?;
    Api::<Parliament>::namespaced(setup.clone(), NS)
        .create(&PostParams::default(), &parliament)
        .await?;
    for i in 0..pods {
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name(i), "namespace": NS,
                "labels": {"app": "web", "parliament.dev/district": district_of(i)}},
            "spec": {"containers": [{"name": "app", "image": "web"}]},
        }))?;
        Api::<Pod>::namespaced(setup.clone(), NS)
            .create(&PostParams::default(), &pod)
            .await?;
    }
    Ok((double, setup))
}

async fn publish_roster(setup: &Client, pods: usize) -> anyhow::Result<()> {
    // Built as JSON, so that fields added to the roster types later need no change here.
    let districts: Vec<_> = DISTRICTS
        .iter()
        .map(|district| {
            let members: Vec<_> = (0..pods)
                .filter(|i| district_of(*i) == *district)
                .map(|i| {
                    json!({"id": i + 1, "pod": pod_name(i), "uid": format!("uid-{i}"),
                        "district": district, "ip": format!("10.0.{}.{}", i / 250, i % 250)})
                })
                .collect();
            json!({"name": district, "members": members})
        })
        .collect();
    let roster: Roster = serde_json::from_value(json!({
        "revision": 1, "generation": 1, "peerPort": 7400, "districts": districts,
    }))?;
    let name = roster_config_map_name(PARLIAMENT);
    let body = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS},
        "data": {ROSTER_KEY: roster.to_json()?},
    });
    Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(setup.clone(), NS)
        .patch(
            &name,
            &PatchParams::apply("parliament-operator").force(),
            &Patch::Apply(&body),
        )
        .await?;
    Ok(())
}

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
    published: watch::Receiver<parliament_sidecar_kube::PublishedRoles>,
    roster: watch::Receiver<Option<Roster>>,
    tasks: Vec<AbortHandle>,
}

async fn parliament_run(pods: usize, args: Args) -> anyhow::Result<Measured> {
    let (double, setup) = cluster(pods).await?;
    publish_roster(&setup, pods).await?;
    let mut sidecars = Vec::new();
    for i in 0..pods {
        let client = client(&double).await?;
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
    for sidecar in &mut sidecars {
        tokio::time::timeout(SETTLE, sidecar.published.wait_for(|p| p.syncs >= 1)).await??;
        tokio::time::timeout(SETTLE, sidecar.roster.wait_for(Option::is_some)).await??;
    }

    double.reset_requests();
    tokio::time::sleep(args.steady).await;
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
    let mut successors = Vec::new();
    if pods > 3 {
        let east = Roles {
            role: MemberRole::Representative,
            district_term: 2,
            representative: Some(pod_name(3)),
            lord: true,
            ..initial_roles(3)
        };
        sidecars[3].roles.send_replace(east.clone());
        successors.push((3, east));
    }
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
        .await??;
    }
    let new_leader_after = killed.elapsed();
    tokio::time::sleep(args.failover.saturating_sub(new_leader_after)).await;
    let failover = double.requests();
    for sidecar in &sidecars {
        for task in &sidecar.tasks {
            task.abort();
        }
    }
    Ok(Measured {
        system: "parliament publisher",
        pods,
        steady,
        failover,
        new_leader_after,
    })
}

/// Who holds which lease, per pod: (district lease, Prime Minister lease).
type Holders = Arc<Mutex<BTreeMap<usize, (bool, bool)>>>;

fn set_holder(holders: &Holders, i: usize, f: impl FnOnce(&mut (bool, bool))) {
    if let Ok(mut holders) = holders.lock() {
        f(holders.entry(i).or_default());
    }
}

/// One pod of the Lease-based election: contends for its district's Lease, and while it
/// holds it, for the Prime Minister's Lease. Abort handles of every task it starts go into
/// `tasks`, so that a kill releases nothing.
async fn lease_member(
    client: Client,
    i: usize,
    holders: Holders,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
) -> anyhow::Result<()> {
    let district =
        LeaseManagerBuilder::new(client.clone(), format!("{PARLIAMENT}-{}", district_of(i)))
            .with_namespace(NS)
            .with_identity(pod_name(i))
            .build()
            .await?;
    let (mut is_representative, handle) = district.watch().await;
    if let Ok(mut tasks) = tasks.lock() {
        tasks.push(handle.abort_handle());
    }
    loop {
        is_representative.wait_for(|held| *held).await?;
        set_holder(&holders, i, |h| h.0 = true);
        let prime_minister =
            LeaseManagerBuilder::new(client.clone(), format!("{PARLIAMENT}-prime-minister"))
                .with_namespace(NS)
                .with_identity(pod_name(i))
                .build()
                .await?;
        let (mut is_prime_minister, handle) = prime_minister.watch().await;
        if let Ok(mut tasks) = tasks.lock() {
            tasks.push(handle.abort_handle());
        }
        loop {
            tokio::select! {
                changed = is_representative.changed() => {
                    changed?;
                    if !*is_representative.borrow_and_update() {
                        break;
                    }
                }
                changed = is_prime_minister.changed() => {
                    changed?;
                    let held = *is_prime_minister.borrow_and_update();
                    set_holder(&holders, i, |h| h.1 = held);
                }
            }
        }
        set_holder(&holders, i, |h| *h = (false, false));
        // Dropping the receiver makes the manager release the Prime Minister's Lease.
        drop(is_prime_minister);
    }
}

fn prime_ministers(holders: &Holders) -> Vec<usize> {
    holders
        .lock()
        .map(|h| {
            h.iter()
                .filter(|(_, (_, pm))| *pm)
                .map(|(i, _)| *i)
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + SETTLE;
    while !done() {
        if Instant::now() > deadline {
            bail!("waited {SETTLE:?} for {what}, in vain");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn lease_run(pods: usize, args: Args) -> anyhow::Result<Measured> {
    let (double, _setup) = cluster(pods).await?;
    let holders: Holders = Arc::default();
    let mut members = Vec::new();
    for i in 0..pods {
        let client = client(&double).await?;
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let task = tokio::spawn({
            let (holders, tasks) = (holders.clone(), tasks.clone());
            async move {
                if let Err(error) = lease_member(client, i, holders, tasks).await {
                    tracing::warn!(%error, pod = i, "lease member stopped");
                }
            }
        });
        if let Ok(mut tasks) = tasks.lock() {
            tasks.push(task.abort_handle());
        }
        members.push(tasks);
    }
    // Settle: one Prime Minister, and every district held, for two lease periods.
    wait_until("one Lease-elected Prime Minister", || {
        prime_ministers(&holders).len() == 1
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let pm = match prime_ministers(&holders).as_slice() {
        [pm] => *pm,
        other => bail!("after settling, Lease Prime Ministers are {other:?}"),
    };

    double.reset_requests();
    tokio::time::sleep(args.steady).await;
    let steady = double.requests();

    double.reset_requests();
    let killed = Instant::now();
    if let Ok(tasks) = members[pm].lock() {
        for task in tasks.iter() {
            task.abort();
        }
    }
    set_holder(&holders, pm, |h| *h = (false, false));
    wait_until("a new Lease-elected Prime Minister", || {
        prime_ministers(&holders).iter().any(|i| *i != pm)
    })
    .await?;
    let new_leader_after = killed.elapsed();
    tokio::time::sleep(args.failover.saturating_sub(new_leader_after)).await;
    let failover = double.requests();
    for tasks in &members {
        if let Ok(tasks) = tasks.lock() {
            for task in tasks.iter() {
                task.abort();
            }
        }
    }
    Ok(Measured {
        system: "kube-lease-manager",
        pods,
        steady,
        failover,
        new_leader_after,
    })
}

fn per_minute(count: u64, window: Duration) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "request counts are far below 2^52"
    )]
    let count = count as f64;
    count * 60.0 / window.as_secs_f64().max(1.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let (args, sizes) = parse_args()?;
    println!(
        "API-server requests: steady state over {} s, then one failover (Prime Minister's pod killed) over {} s; all runs at once, each on its own kube double",
        args.steady.as_secs(),
        args.failover.as_secs()
    );
    let mut runs = Vec::new();
    for &pods in &sizes {
        runs.push(tokio::spawn(parliament_run(pods, args)));
        runs.push(tokio::spawn(lease_run(pods, args)));
    }
    let mut results = Vec::new();
    for run in runs {
        results.push(run.await??);
    }
    println!();
    println!(
        "| system | pods | steady req/min | steady writes/min | per pod req/min | failover window requests | failover writes | new PM published after |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for m in &results {
        let steady = per_minute(m.steady.total(), args.steady);
        #[allow(clippy::cast_precision_loss, reason = "pod counts are small")]
        let per_pod = steady / m.pods as f64;
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.2} | {} | {} | {:.1} s |",
            m.system,
            m.pods,
            steady,
            per_minute(m.steady.writes(), args.steady),
            per_pod,
            m.failover.total(),
            m.failover.writes(),
            m.new_leader_after.as_secs_f64(),
        );
    }
    for m in &results {
        println!(
            "\n{} at {} pods, steady state:\n{}",
            m.system, m.pods, m.steady
        );
        println!(
            "{} at {} pods, failover window:\n{}",
            m.system, m.pods, m.failover
        );
    }
    Ok(())
}
