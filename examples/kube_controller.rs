//! A complete, thin kube-rs DaemonSet controller driven by `daemonset-planner`.
//!
//! ```text
//! cargo build --example kube_controller --features kube-example
//! ```
//!
//! There is no API server here to run it against: CI only compiles it. Against a real
//! cluster it would fight kube-controller-manager's own DaemonSet controller, which acts on
//! every apps/v1 DaemonSet; run it where that controller is off (`--controllers=-daemonset`).
//!
//! What it does: reflectors keep Nodes, Pods and ControllerRevisions in memory; any change to
//! them, or to a DaemonSet, reconciles the DaemonSets. A reconcile converts the DaemonSet and
//! the stores with `DaemonSet::try_from` and `Snapshot::from_k8s`, calls `plan`, and executes
//! the plan's actions in upstream's order: revision history, pod adoptions, releases and
//! relabels, creations in slow-start batches (stopping at the first failed batch), deletions,
//! old revisions, then the status through the status subresource. The failed-pod backoff
//! goes back into the next plan for that DaemonSet, and the reconcile is requeued after
//! `plan.requeue_after()`. Every decision comes from the plan (hash collisions included); this
//! file only talks to the API server.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use daemonset_planner::{
    DaemonSet, FailedPodBackoff, Options, Plan, PodRef, REVISION_HASH_LABEL, Snapshot, Timestamp,
    plan,
};
use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet as K8sDaemonSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::reflector::{self, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::json;

/// What every reconcile shares: the client, the stores, and the failed-pod backoff of each
/// DaemonSet (namespace, name) between reconciles.
struct Context {
    client: Client,
    nodes: Store<Node>,
    pods: Store<Pod>,
    revisions: Store<ControllerRevision>,
    backoff: Mutex<HashMap<(String, String), FailedPodBackoff>>,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error(transparent)]
    Invalid(#[from] daemonset_planner::Error),
    #[error("a reflector stopped")]
    StoreGone(#[from] reflector::store::WriterDropped),
    #[error("{failed} of {planned} pod creations or deletions failed; first: {first}")]
    Pods {
        failed: usize,
        planned: usize,
        first: kube::Error,
    },
}

async fn reconcile(object: Arc<K8sDaemonSet>, ctx: Arc<Context>) -> Result<Action, Error> {
    // A partial cache would look like missing pods: wait until every store is listed.
    ctx.nodes.wait_until_ready().await?;
    ctx.pods.wait_until_ready().await?;
    ctx.revisions.wait_until_ready().await?;

    let ds = DaemonSet::try_from(object.as_ref())?;
    let snapshot = Snapshot::from_k8s(ctx.nodes.state(), ctx.pods.state(), ctx.revisions.state())?;
    let key = (ds.namespace().to_string(), ds.name().to_string());
    let mut options = Options::at(Timestamp::now());
    if let Some(backoff) = ctx.backoff.lock().unwrap().get(&key) {
        options.failed_pod_backoff = backoff.clone();
    }

    let plan = plan(&ds, &snapshot, &options);
    ctx.backoff
        .lock()
        .unwrap()
        .insert(key, plan.failed_pod_backoff().clone());
    for event in plan.events() {
        eprintln!(
            "{}/{}: {} {}: {}",
            ds.namespace(),
            ds.name(),
            event.kind,
            event.reason,
            event.message
        );
    }
    execute(&ctx.client, &ds, &snapshot, &plan).await?;
    Ok(plan
        .requeue_after()
        .map_or_else(Action::await_change, Action::requeue))
}

fn error_policy(object: Arc<K8sDaemonSet>, error: &Error, _: Arc<Context>) -> Action {
    eprintln!("{}: {error}", object.name_any());
    Action::requeue(Duration::from_secs(5))
}

async fn execute(
    client: &Client,
    ds: &DaemonSet,
    snapshot: &Snapshot,
    plan: &Plan,
) -> Result<(), Error> {
    let namespace = ds.namespace();
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let revisions: Api<ControllerRevision> = Api::namespaced(client.clone(), namespace);
    let daemon_sets: Api<K8sDaemonSet> = Api::namespaced(client.clone(), namespace);
    let owner = ds.to_k8s_owner_reference();
    let patch = PatchParams::default();
    let (post, delete) = (PostParams::default(), DeleteParams::default());

    // Revision history (upstream: constructHistory).
    let history = plan.revisions();
    let adopt = serde_json::to_value(&owner).unwrap_or_default();
    let release = json!({"$patch": "delete", "uid": &owner.uid});
    for name in &history.adopt {
        revisions
            .patch(name, &patch, &owner_patch(&adopt, None))
            .await?;
    }
    for name in &history.release {
        revisions
            .patch(name, &patch, &owner_patch(&release, None))
            .await?;
    }
    if let Some(create) = &history.create {
        // AlreadyExists means the store has not seen that revision yet, or another template
        // holds the name: either way the next plan, on a fresher store, knows what to do.
        revisions.create(&post, &create.to_k8s(ds)).await?;
    }
    for renumber in &history.renumber {
        let revision = json!({"revision": renumber.to});
        revisions
            .patch(&renumber.name, &patch, &Patch::Merge(revision))
            .await?;
    }

    // Pods: claims, relabels (upstream: claimPods, dedupCurHistories).
    for pod in plan.adoptions() {
        let adoption = owner_patch(&adopt, pod_uid(snapshot, pod));
        pods.patch(&pod.name, &patch, &adoption).await?;
    }
    for pod in plan.releases() {
        let release = owner_patch(&release, pod_uid(snapshot, pod));
        pods.patch(&pod.name, &patch, &release).await?;
    }
    for relabel in plan.relabels() {
        let label = json!({"metadata": {"labels": {REVISION_HASH_LABEL: &relabel.hash}}});
        pods.patch(&relabel.pod.name, &patch, &Patch::Merge(label))
            .await?;
    }

    // Creations in slow-start batches, then deletions (upstream: syncNodes).
    let mut failures = Vec::new();
    for batch in plan.create_batches() {
        let mut created = Vec::with_capacity(batch.len());
        for create in batch {
            created.push(create.to_k8s(ds)?);
        }
        let results =
            futures::future::join_all(created.iter().map(|pod| pods.create(&post, pod))).await;
        let before = failures.len();
        failures.extend(results.into_iter().filter_map(Result::err));
        if failures.len() > before {
            break;
        }
    }
    let deletes =
        futures::future::join_all(plan.deletes().iter().map(|d| pods.delete(&d.pod, &delete)))
            .await;
    failures.extend(
        deletes
            .into_iter()
            .filter_map(Result::err)
            .filter(|e| !is_not_found(e)),
    );
    let failed = failures.len();
    if let Some(first) = failures.into_iter().next() {
        // Upstream stops this sync here: no history cleanup, no status.
        return Err(Error::Pods {
            failed,
            planned: plan.creates().len() + plan.deletes().len(),
            first,
        });
    }

    // Old revisions (upstream: cleanupHistory), then the status.
    for old in &history.delete {
        match revisions.delete(&old.name, &delete).await {
            Err(e) if !is_not_found(&e) => return Err(e.into()),
            _ => {}
        }
    }
    if plan.writes_status() {
        let status = json!({"status": plan.status().to_k8s()});
        daemon_sets
            .patch_status(ds.name(), &patch, &Patch::Merge(status))
            .await?;
    }
    Ok(())
}

/// A strategic-merge patch of one owner reference, guarded by the object's uid when known so
/// that it cannot land on an object recreated under the same name.
fn owner_patch(reference: &serde_json::Value, uid: Option<&str>) -> Patch<serde_json::Value> {
    let mut metadata = json!({"ownerReferences": [reference]});
    if let Some(uid) = uid {
        metadata["uid"] = uid.into();
    }
    Patch::Strategic(json!({"metadata": metadata}))
}

/// The pod's uid as the snapshot saw it.
fn pod_uid<'s>(snapshot: &'s Snapshot, pod: &PodRef) -> Option<&'s str> {
    let pods = snapshot.pods();
    pods.binary_search_by(|p| {
        (p.namespace.as_str(), p.name.as_str()).cmp(&(&pod.namespace, &pod.name))
    })
    .ok()
    .and_then(|i| pods[i].uid.as_deref())
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.is_not_found())
}

/// A reflector for every object of kind `K`, as a stream of change notifications for
/// `Controller::reconcile_all_on`; managedFields are dropped to keep the store small.
fn reflect<K>(api: Api<K>, writer: Writer<K>) -> impl Stream<Item = ()> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    watcher(api, watcher::Config::default())
        .default_backoff()
        .modify(|object: &mut K| object.managed_fields_mut().clear())
        .reflect(writer)
        .map(|_| ())
}

#[tokio::main]
async fn main() -> Result<(), kube::Error> {
    let client = Client::try_default().await?;
    let (nodes, node_writer) = reflector::store();
    let (pods, pod_writer) = reflector::store();
    let (revisions, revision_writer) = reflector::store();
    let context = Arc::new(Context {
        client: client.clone(),
        nodes,
        pods,
        revisions,
        backoff: Mutex::default(),
    });
    Controller::new(
        Api::<K8sDaemonSet>::all(client.clone()),
        watcher::Config::default(),
    )
    // Coalesce bursts of pod events into one reconcile per DaemonSet.
    .with_config(controller::Config::default().debounce(Duration::from_secs(1)))
    .reconcile_all_on(reflect(Api::<Node>::all(client.clone()), node_writer))
    .reconcile_all_on(reflect(Api::<Pod>::all(client.clone()), pod_writer))
    .reconcile_all_on(reflect(
        Api::<ControllerRevision>::all(client),
        revision_writer,
    ))
    .shutdown_on_signal()
    .run(reconcile, error_policy, context)
    .for_each(|result| async move {
        if let Err(e) = result {
            eprintln!("controller: {e}");
        }
    })
    .await;
    Ok(())
}
