//! Failover of client-go's Lease election with its default timings ([`trials`]), all
//! trials at once against one kube API-server double: each trial its own Lease and three
//! candidates (`crate::lease::LeaderElector`), each with its own kube client. A trial
//! waits for a holder that has renewed once, waits a random phase of 0–RetryPeriod, kills
//! the holder (its task aborted: nothing released), and times until a GET of the Lease
//! names another holder. For a Lease, being published is being elected: whoever the
//! Lease names is the leader its clients follow.

use std::time::Duration;

use anyhow::{Context, bail};
use k8s_openapi::api::coordination::v1::Lease;
use kube::{Api, Client, Config};
use parliament_kube_double::KubeDouble;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::lease::{LeaderElector, Timings};

/// Candidates per Lease.
pub const CANDIDATES: usize = 3;
/// The namespace of the Leases.
const NS: &str = "bench";
/// Between GETs of a Lease while waiting for a holder.
pub const POLL: Duration = Duration::from_millis(20);
/// Longest wait for a holder, before and after the kill.
const LIMIT: Duration = Duration::from_secs(120);

/// Every trial's result: milliseconds from the kill to another holder, or why not.
#[derive(Debug)]
pub struct Measured {
    /// One per trial that finished.
    pub failover_ms: Vec<f64>,
    /// Trials that did not, with why.
    pub problems: Vec<String>,
}

/// Runs `trials` Lease failovers at once, with `timings`, phases drawn from `seed`.
///
/// # Errors
/// The double or a client could not be made.
pub async fn trials(trials: usize, timings: Timings, seed: u64) -> anyhow::Result<Measured> {
    let double = KubeDouble::start().await.context("the kube double")?;
    let url = double.url();
    let mut running = Vec::new();
    let mut rng = StdRng::seed_from_u64(seed);
    for trial in 0..trials {
        let phase = timings.retry_period.mul_f64(rng.random::<f64>());
        let seeds: Vec<u64> = (0..CANDIDATES).map(|_| rng.random()).collect();
        let url = url.clone();
        running.push(tokio::spawn(async move {
            one_trial(trial, url, timings, phase, &seeds).await
        }));
    }
    let mut measured = Measured {
        failover_ms: Vec::new(),
        problems: Vec::new(),
    };
    for (trial, run) in running.into_iter().enumerate() {
        match run.await {
            Ok(Ok(ms)) => measured.failover_ms.push(ms),
            Ok(Err(e)) => measured
                .problems
                .push(format!("Lease trial {}: {e:#}", trial + 1)),
            Err(e) => measured
                .problems
                .push(format!("Lease trial {}: {e}", trial + 1)),
        }
    }
    drop(double);
    Ok(measured)
}

/// Aborts the candidates' tasks when the trial ends, however it ends.
struct Candidates(Vec<(String, JoinHandle<()>)>);

impl Drop for Candidates {
    fn drop(&mut self) {
        for (_, task) in &self.0 {
            task.abort();
        }
    }
}

async fn one_trial(
    trial: usize,
    url: String,
    timings: Timings,
    phase: Duration,
    seeds: &[u64],
) -> anyhow::Result<f64> {
    let name = format!("trial-{trial}");
    let mut candidates = Candidates(Vec::new());
    for (c, seed) in seeds.iter().enumerate() {
        let client = kube_client(&url)?;
        let identity = format!("{name}-candidate-{c}");
        let (elector, _leading) = LeaderElector::new(
            Api::namespaced(client, NS),
            &name,
            &identity,
            timings,
            *seed,
        );
        candidates.0.push((identity, tokio::spawn(elector.run())));
    }
    // The trial's own client reads the Lease as any of its users would.
    let reader: Api<Lease> = Api::namespaced(kube_client(&url)?, NS);
    // Established: held, and renewed at least once (so every candidate is past its start).
    until(&reader, &name, |spec| {
        spec.holder_identity
            .as_deref()
            .is_some_and(|h| !h.is_empty())
            && spec.renew_time.is_some()
            && spec.renew_time != spec.acquire_time
    })
    .await
    .context("waiting for a holder")?;
    tokio::time::sleep(phase).await;
    let holder = holder(&reader, &name).await?;
    let Some((_, task)) = candidates.0.iter().find(|(id, _)| *id == holder) else {
        bail!("the Lease names {holder:?}, no candidate of this trial");
    };
    let killed = Instant::now();
    task.abort();
    until(&reader, &name, |spec| {
        spec.holder_identity
            .as_deref()
            .is_some_and(|h| !h.is_empty() && h != holder)
    })
    .await
    .context("waiting for a new holder after the kill")?;
    Ok(killed.elapsed().as_secs_f64() * 1000.0)
}

/// A client of its own (its own connections), as each pod has.
fn kube_client(url: &str) -> anyhow::Result<Client> {
    let url = url
        .parse()
        .with_context(|| format!("the double's URL {url}"))?;
    Client::try_from(Config::new(url)).context("a kube client")
}

async fn holder(reader: &Api<Lease>, name: &str) -> anyhow::Result<String> {
    let lease = reader.get(name).await.context("reading the Lease")?;
    lease
        .spec
        .and_then(|s| s.holder_identity)
        .context("the Lease names no holder")
}

/// GETs the Lease every [`POLL`] until its spec satisfies `done`.
async fn until(
    reader: &Api<Lease>,
    name: &str,
    done: impl Fn(&k8s_openapi::api::coordination::v1::LeaseSpec) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + LIMIT;
    loop {
        match reader.get_opt(name).await {
            Ok(Some(lease)) if lease.spec.as_ref().is_some_and(&done) => return Ok(()),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "reading the Lease"),
        }
        if Instant::now() > deadline {
            bail!("{} s passed", LIMIT.as_secs());
        }
        tokio::time::sleep(POLL).await;
    }
}
