//! kube-lease-manager 0.13 at its defaults (30 s leases, renewed 5 s before expiry) in
//! the API-load part ([`run`]): every pod contends for its district's Lease, and while
//! it holds it, for the Prime Minister's Lease. Its renewals are server-side apply
//! patches. The failover kills the holder of both (its tasks aborted, nothing released)
//! and waits for the leases to expire.

use std::sync::Arc;

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;

use super::cluster::{
    Holders, Measured, NS, PARLIAMENT, Tasks, Windows, client, cluster, district_of, keep,
    lease_script, pod_name, set_holder,
};

/// The system's name in the tables.
pub const SYSTEM: &str = "kube-lease-manager";

/// One pod: contends for its district's Lease, and while it holds it, for the Prime
/// Minister's. Every task it starts goes into `tasks`, so that a kill releases nothing.
async fn member(client: Client, i: usize, holders: Holders, tasks: Tasks) -> anyhow::Result<()> {
    let district =
        LeaseManagerBuilder::new(client.clone(), format!("{PARLIAMENT}-{}", district_of(i)))
            .with_namespace(NS)
            .with_identity(pod_name(i))
            .build()
            .await?;
    let (mut is_representative, handle) = district.watch().await;
    keep(&tasks, handle.abort_handle());
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
        keep(&tasks, handle.abort_handle());
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

/// One run at `pods` pods.
///
/// # Errors
/// The cluster cannot be set up, or no Prime Minister was elected in time.
pub async fn run(pods: usize, windows: Windows) -> anyhow::Result<Measured> {
    let (double, _setup) = cluster(pods).await?;
    let holders: Holders = Arc::default();
    let mut members = Vec::new();
    for i in 0..pods {
        let client = client(&double)?;
        let tasks: Tasks = Arc::default();
        let task = tokio::spawn({
            let (holders, tasks) = (holders.clone(), tasks.clone());
            async move {
                if let Err(error) = member(client, i, holders, tasks).await {
                    tracing::warn!(%error, pod = i, "lease member stopped");
                }
            }
        });
        keep(&tasks, task.abort_handle());
        members.push(tasks);
    }
    lease_script(SYSTEM, &double, pods, windows, &holders, &members).await
}
