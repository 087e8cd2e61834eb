//! The roster watch, unmodified, against the kube double over HTTP: a roster appears and
//! changes; a replayed older revision and malformed content leave the last good roster.

mod common;

use std::sync::{Arc, Mutex};

use common::{Cluster, roster_text, until};
use parliament_sidecar_kube::RosterWatch;

#[tokio::test]
async fn the_roster_follows_the_config_map_and_survives_bad_versions() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    let (watch, mut roster) = RosterWatch::new(cluster.client.clone(), &cluster.identity("web-0"));
    let task = tokio::spawn(watch.run());
    assert!(
        roster.borrow().is_none(),
        "no roster before the operator publishes one"
    );

    // Every value the channel takes, in order, to check it never goes back.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = {
        let seen = seen.clone();
        let mut roster = roster.clone();
        tokio::spawn(async move {
            while roster.changed().await.is_ok() {
                let revision = roster.borrow_and_update().as_ref().map(|r| r.revision);
                if let Ok(mut seen) = seen.lock() {
                    seen.push(revision);
                }
            }
        })
    };

    tracing::info!("--- the operator publishes the first roster");
    cluster
        .publish_roster(&roster_text(1, &[("web-0", "east")])?)
        .await?;
    let first = until("roster revision 1", &mut roster, |r| {
        r.as_ref().is_some_and(|r| r.revision == 1)
    })
    .await?;
    assert_eq!(
        first
            .as_ref()
            .and_then(|r| r.member("web-0"))
            .map(|(d, _)| d.name.clone()),
        Some("east".to_owned())
    );

    tracing::info!("--- a pod joins: revision 2");
    cluster
        .publish_roster(&roster_text(2, &[("web-0", "east"), ("web-1", "west")])?)
        .await?;
    until("roster revision 2 with web-1", &mut roster, |r| {
        r.as_ref()
            .is_some_and(|r| r.revision == 2 && r.member("web-1").is_some())
    })
    .await?;

    tracing::info!("--- an older revision, then garbage, then a ConfigMap without the key");
    cluster
        .publish_roster(&roster_text(1, &[("web-0", "east")])?)
        .await?;
    cluster.publish_roster("{\"revision\": \"three\"").await?;
    cluster.publish_roster_data(serde_json::json!({})).await?;

    tracing::info!("--- revision 3: the watch is alive and took nothing in between");
    cluster
        .publish_roster(&roster_text(3, &[("web-1", "west")])?)
        .await?;
    let third = until("roster revision 3", &mut roster, |r| {
        r.as_ref().is_some_and(|r| r.revision == 3)
    })
    .await?;
    assert!(third.as_ref().is_some_and(|r| r.member("web-0").is_none()));

    recorder.abort();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        seen.iter().all(Option::is_some),
        "a bad roster never clears the channel: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "revisions only rise on the channel: {seen:?}"
    );

    tracing::info!("--- dropping the last receiver ends the watch");
    drop(roster);
    tokio::time::timeout(common::DEADLINE, task).await??;
    Ok(())
}
