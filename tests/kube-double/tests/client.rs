//! The double as the real kube client sees it: CRUD, selectors, conflicts, Status errors,
//! the status subresource, patches, watches that resume, finalizers and garbage collection.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::{Client, Config, ResourceExt};
use parliament_kube_double::{KubeDouble, Options};
use serde_json::json;

async fn client() -> anyhow::Result<(KubeDouble, Client)> {
    let double = KubeDouble::start_with(Options {
        bookmark_interval: Duration::from_millis(100),
        history: 20,
        ..Options::default()
    })
    .await?;
    let client = Client::try_from(Config::new(double.url().parse()?))?;
    Ok((double, client))
}

fn config_map(name: &str, app: &str) -> anyhow::Result<ConfigMap> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": app}},
        "data": {"k": "v"},
    }))?)
}

#[tokio::test]
async fn objects_are_kept_with_resource_versions_and_refusals_are_statuses() -> anyhow::Result<()> {
    let (double, client) = client().await?;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "ns");
    let a = cms
        .create(&PostParams::default(), &config_map("a", "web")?)
        .await?;
    cms.create(&PostParams::default(), &config_map("b", "db")?)
        .await?;
    assert!(a.uid().is_some() && a.creation_timestamp().is_some());

    let again = cms
        .create(&PostParams::default(), &config_map("a", "web")?)
        .await;
    assert!(
        matches!(again, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "AlreadyExists")
    );
    let missing = cms.get("nope").await;
    assert!(matches!(missing, Err(kube::Error::Api(s)) if s.code == 404 && s.reason == "NotFound"));

    let web = cms
        .list(&ListParams::default().labels("app in (web,cache)"))
        .await?;
    assert_eq!(
        web.items
            .iter()
            .map(ResourceExt::name_any)
            .collect::<Vec<_>>(),
        ["a"]
    );
    let other_ns: Api<ConfigMap> = Api::namespaced(client.clone(), "other");
    assert!(
        other_ns
            .list(&ListParams::default())
            .await?
            .items
            .is_empty()
    );

    // A write against a stale resourceVersion conflicts.
    let mut stale = a.clone();
    let mut fresh = a.clone();
    fresh.data = Some([("k".to_owned(), "w".to_owned())].into());
    let written = cms.replace("a", &PostParams::default(), &fresh).await?;
    assert_ne!(written.resource_version(), a.resource_version());
    stale.data = Some([("k".to_owned(), "x".to_owned())].into());
    let conflict = cms.replace("a", &PostParams::default(), &stale).await;
    assert!(
        matches!(conflict, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "Conflict")
    );

    // Patches: merge, JSON, and server-side apply that forgets what its manager dropped.
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"m": "1"}})),
    )
    .await?;
    let ops: json_patch::Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/data/j", "value": "2"}]))?;
    cms.patch("a", &PatchParams::default(), &Patch::Json::<()>(ops))
        .await?;
    let apply = PatchParams::apply("tester").force();
    cms.patch("a", &apply, &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"s": "1", "t": "2"}}))).await?;
    let after = cms.patch("a", &apply, &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"s": "1"}}))).await?;
    let keys: Vec<&String> = after
        .data
        .as_ref()
        .map(|d| d.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["j", "k", "m", "s"]);
    assert!(
        after
            .managed_fields()
            .iter()
            .any(|m| m.manager.as_deref() == Some("tester"))
    );
    // Apply creates what does not exist.
    let leases: Api<Lease> = Api::namespaced(client.clone(), "ns");
    leases.patch("l", &apply, &Patch::Apply(json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}}))).await?;
    assert_eq!(
        leases
            .get("l")
            .await?
            .spec
            .and_then(|s| s.holder_identity)
            .as_deref(),
        Some("me")
    );

    let counts = double.requests();
    assert_eq!(counts.get("create", "configmaps"), 3);
    assert_eq!(counts.get("patch", "configmaps"), 4);
    assert_eq!(counts.get("list", "configmaps"), 2);
    Ok(())
}

/// What client-go's leader election (and its port in `bench/src/lease.rs`) relies on: a
/// Lease is created once, and a PUT carrying a resourceVersion that is no longer current
/// is refused, so two candidates cannot both take an expired Lease.
#[tokio::test]
async fn leases_take_optimistic_writes_as_leader_election_makes_them() -> anyhow::Result<()> {
    let (double, client) = client().await?;
    let leases: Api<Lease> = Api::namespaced(client, "ns");
    let lease = |holder: &str| -> anyhow::Result<Lease> {
        Ok(serde_json::from_value(json!({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "election"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15,
                "renewTime": "2026-01-01T00:00:01.250000Z", "leaseTransitions": 0},
        }))?)
    };
    let created = leases.create(&PostParams::default(), &lease("a")?).await?;
    let second = leases.create(&PostParams::default(), &lease("b")?).await;
    assert!(
        matches!(second, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "AlreadyExists")
    );
    let spec = created.spec.clone().unwrap_or_default();
    assert_eq!(
        spec.renew_time.map(|t| t.0.to_string()).as_deref(),
        Some("2026-01-01T00:00:01.25Z"),
        "micro-times keep their fraction"
    );

    // Two candidates read the same version; the first write wins, the second is refused.
    let read = leases.get("election").await?;
    let mut b = read.clone();
    let mut c = read;
    b.spec.get_or_insert_default().holder_identity = Some("b".to_owned());
    c.spec.get_or_insert_default().holder_identity = Some("c".to_owned());
    let won = leases
        .replace("election", &PostParams::default(), &b)
        .await?;
    assert_ne!(won.resource_version(), created.resource_version());
    let lost = leases.replace("election", &PostParams::default(), &c).await;
    assert!(matches!(lost, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "Conflict"));
    let now = leases.get("election").await?;
    assert_eq!(
        now.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("b")
    );
    let counts = double.requests();
    assert_eq!(
        counts.get("update", "leases.coordination.k8s.io"),
        2,
        "the refused PUT is counted too"
    );
    assert_eq!(counts.get("create", "leases.coordination.k8s.io"), 2);
    Ok(())
}

#[tokio::test]
async fn status_is_a_subresource() -> anyhow::Result<()> {
    let (_double, client) = client().await?;
    let pods: Api<Pod> = Api::namespaced(client, "ns");
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": []}, "status": {"phase": "Running"},
    }))?;
    let created = pods.create(&PostParams::default(), &pod).await?;
    assert!(created.status.is_none(), "status on create is dropped");
    pods.patch_status(
        "p",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"phase": "Running"}})),
    )
    .await?;
    let main = pods
        .patch(
            "p",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"status": {"phase": "Failed"}, "metadata": {"labels": {"x": "y"}}}),
            ),
        )
        .await?;
    assert_eq!(
        main.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Running"),
        "main writes leave status alone"
    );
    assert_eq!(main.labels().get("x").map(String::as_str), Some("y"));
    Ok(())
}

#[tokio::test]
async fn watches_stream_changes_resume_from_a_version_and_bookmark() -> anyhow::Result<()> {
    let (_double, client) = client().await?;
    let cms: Api<ConfigMap> = Api::namespaced(client, "ns");
    let first = cms
        .create(&PostParams::default(), &config_map("a", "web")?)
        .await?;
    let since = first.resource_version().unwrap_or_default();
    cms.create(&PostParams::default(), &config_map("b", "web")?)
        .await?;
    cms.create(&PostParams::default(), &config_map("c", "db")?)
        .await?;
    cms.delete("b", &DeleteParams::default()).await?;

    let params = WatchParams::default().labels("app=web").timeout(5);
    let mut stream = cms.watch(&params, &since).await?.boxed();
    let mut seen = Vec::new();
    while let Some(event) =
        tokio::time::timeout(Duration::from_secs(5), stream.try_next()).await??
    {
        match event {
            WatchEvent::Added(cm) => seen.push(format!("added {}", cm.name_any())),
            WatchEvent::Deleted(cm) => seen.push(format!("deleted {}", cm.name_any())),
            WatchEvent::Modified(cm) => seen.push(format!("modified {}", cm.name_any())),
            WatchEvent::Bookmark(_) => {
                seen.push("bookmark".to_owned());
                break;
            }
            WatchEvent::Error(e) => anyhow::bail!("watch error {e:?}"),
        }
    }
    assert_eq!(seen, ["added b", "deleted b", "bookmark"]);

    // A label change that takes an object out of the selection reads as a deletion.
    let mut stream = cms
        .watch(
            &WatchParams::default()
                .labels("app=web")
                .timeout(5)
                .disable_bookmarks(),
            "0",
        )
        .await?
        .boxed();
    let Some(WatchEvent::Added(a)) = stream.try_next().await? else {
        anyhow::bail!("the initial ADDED for a");
    };
    assert_eq!(a.name_any(), "a");
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"app": "db"}}})),
    )
    .await?;
    assert!(
        matches!(stream.try_next().await?, Some(WatchEvent::Deleted(cm)) if cm.name_any() == "a")
    );
    Ok(())
}

#[tokio::test]
async fn finalizers_hold_deletion_and_owners_take_dependents_along() -> anyhow::Result<()> {
    let (_double, client) = client().await?;
    let cms: Api<ConfigMap> = Api::namespaced(client, "ns");
    let mut owner = config_map("owner", "web")?;
    owner.metadata.finalizers = Some(vec!["test/hold".to_owned()]);
    let owner = cms.create(&PostParams::default(), &owner).await?;
    let mut dependent = config_map("dependent", "web")?;
    dependent.metadata.owner_references = Some(vec![
        k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "owner".into(),
            uid: owner.uid().unwrap_or_default(),
            ..Default::default()
        },
    ]);
    cms.create(&PostParams::default(), &dependent).await?;

    cms.delete("owner", &DeleteParams::default()).await?;
    let held = cms.get("owner").await?;
    assert!(
        held.metadata.deletion_timestamp.is_some(),
        "held by its finalizer"
    );
    cms.patch(
        "owner",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await?;
    assert!(
        cms.get_opt("owner").await?.is_none(),
        "gone once the finalizer is removed"
    );
    assert!(
        cms.get_opt("dependent").await?.is_none(),
        "collected with its owner"
    );
    Ok(())
}

#[tokio::test]
async fn a_watch_from_a_forgotten_version_is_told_410() -> anyhow::Result<()> {
    let (_double, client) = client().await?;
    let cms: Api<ConfigMap> = Api::namespaced(client, "ns");
    let first = cms
        .create(&PostParams::default(), &config_map("a", "web")?)
        .await?;
    for i in 0..30 {
        let patch = json!({"data": {"i": i.to_string()}});
        cms.patch("a", &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
    }
    let since = first.resource_version().unwrap_or_default();
    let mut stream = cms.watch(&WatchParams::default(), &since).await?.boxed();
    match stream.try_next().await? {
        Some(WatchEvent::Error(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"))
        }
        other => anyhow::bail!("expected an ERROR event with 410, got {other:?}"),
    }
    Ok(())
}
