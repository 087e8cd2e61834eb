//! client-go's Lease election at its defaults (`crate::lease`: 15 s lease, 10 s renew
//! deadline, 2 s retry) in the API-load part ([`run`]): every pod contends for its
//! district's Lease, and while it holds it, for the Prime Minister's, as a process would
//! that starts a second `LeaderElector` in `OnStartedLeading` and cancels it on
//! `OnStoppedLeading` (without `ReleaseOnCancel`, client-go's default: the Lease is left
//! to expire). Candidates GET the Lease every 2–4.4 s; holders PUT it every 2 s.

use std::sync::Arc;

use kube::{Api, Client};

use super::cluster::{
    Holders, Measured, NS, PARLIAMENT, Tasks, Windows, client, cluster, district_of, keep,
    lease_script, pod_name, set_holder,
};
use crate::lease::{CLIENT_GO_DEFAULTS, LeaderElector};

/// The system's name in the tables.
pub const SYSTEM: &str = "client-go Lease election";

/// One pod. Every task it starts goes into `tasks`, so that a kill releases nothing.
async fn member(client: Client, i: usize, holders: Holders, tasks: Tasks, seed: u64) {
    let leases = Api::namespaced(client, NS);
    let identity = pod_name(i);
    let (district, mut is_representative) = LeaderElector::new(
        leases.clone(),
        &format!("{PARLIAMENT}-{}", district_of(i)),
        &identity,
        CLIENT_GO_DEFAULTS,
        seed,
    );
    keep(&tasks, tokio::spawn(district.run()).abort_handle());
    for round in 1u64.. {
        if is_representative.wait_for(|held| *held).await.is_err() {
            return;
        }
        set_holder(&holders, i, |h| h.0 = true);
        let (prime_minister, mut is_prime_minister) = LeaderElector::new(
            leases.clone(),
            &format!("{PARLIAMENT}-prime-minister"),
            &identity,
            CLIENT_GO_DEFAULTS,
            seed.wrapping_add(round),
        );
        let task = tokio::spawn(prime_minister.run());
        keep(&tasks, task.abort_handle());
        loop {
            tokio::select! {
                changed = is_representative.changed() => {
                    if changed.is_err() || !*is_representative.borrow_and_update() {
                        break;
                    }
                }
                changed = is_prime_minister.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let held = *is_prime_minister.borrow_and_update();
                    set_holder(&holders, i, |h| h.1 = held);
                }
            }
        }
        // OnStoppedLeading cancels the inner elector; nothing is released.
        task.abort();
        set_holder(&holders, i, |h| *h = (false, false));
    }
}

/// One run at `pods` pods, jitter seeded from `seed`.
///
/// # Errors
/// The cluster cannot be set up, or no Prime Minister was elected in time.
pub async fn run(pods: usize, windows: Windows, seed: u64) -> anyhow::Result<Measured> {
    let (double, _setup) = cluster(pods).await?;
    let holders: Holders = Arc::default();
    let mut members = Vec::new();
    for i in 0..pods {
        let client = client(&double)?;
        let tasks: Tasks = Arc::default();
        let task = tokio::spawn(member(
            client,
            i,
            holders.clone(),
            tasks.clone(),
            seed.wrapping_mul(1_000_003).wrapping_add(i as u64 * 1_000),
        ));
        keep(&tasks, task.abort_handle());
        members.push(tasks);
    }
    lease_script(SYSTEM, &double, pods, windows, &holders, &members).await
}
