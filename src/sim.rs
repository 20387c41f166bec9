//! An in-memory runtime that executes plans: the controller loop without Kubernetes.
//!
//! [`Cluster`] holds nodes, pods and revisions and applies a [`Plan`] the way a real runtime
//! would: created pods start `Pending`, become `Running` and then Ready after
//! [`SimConfig::ready_after`]; deleted pods get a deletion timestamp and disappear after
//! [`SimConfig::grace_period`]. Faults can be injected between steps. Repeating
//! plan → [`Cluster::apply`] → [`Cluster::advance`] is a full controller loop, and
//! [`preview_rollout`] uses it to show a rollout's waves before it happens.
//!
//! # Example
//! ```
//! use daemonset_planner::sim::{Cluster, SimConfig};
//! use daemonset_planner::{plan, DaemonSet, Options, Snapshot};
//! use std::time::Duration;
//!
//! let ds = DaemonSet::from_yaml(r#"
//! apiVersion: apps/v1
//! kind: DaemonSet
//! metadata: {name: agent, uid: ds-1}
//! spec:
//!   selector: {matchLabels: {app: agent}}
//!   template:
//!     metadata: {labels: {app: agent}}
//!     spec: {containers: [{name: agent, image: "agent:1"}]}
//! "#)?;
//! let snapshot = Snapshot::from_yaml(r#"
//! {apiVersion: v1, kind: Node, metadata: {name: a}}
//! ---
//! {apiVersion: v1, kind: Node, metadata: {name: b}}
//! "#)?;
//! let mut cluster = Cluster::new(&snapshot, "2026-01-01T00:00:00Z".parse().unwrap(), SimConfig::default());
//! let outcome = cluster.run(&ds, &Options::at(cluster.now()), 20);
//! assert!(outcome.settled);
//! assert_eq!(cluster.snapshot().pods().len(), 2);
//! # Ok::<(), daemonset_planner::Error>(())
//! ```

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::options::Options;
use crate::plan::{Plan, StuckReason};
use crate::reconcile::is_updated;
use crate::snapshot::{
    ControllerRevision, Node, NodeCondition, OwnerRef, Pod, PodPhase, ReadyCondition, Snapshot,
};
use crate::spec::{DaemonSet, REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL};
use crate::strmap::Str;
use crate::taints::{Taint, TaintEffect, keys};
use crate::{Timestamp, plan};

/// How fast the simulated cluster moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// Time from creation to Running and Ready.
    pub ready_after: Duration,
    /// Time from deletion to the pod being gone.
    pub grace_period: Duration,
    /// How far [`Cluster::run`] advances the clock after each plan.
    pub step: Duration,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            ready_after: Duration::from_secs(5),
            grace_period: Duration::from_secs(2),
            step: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
struct SimPod {
    pod: Pod,
    ready_at: Option<Timestamp>,
    gone_at: Option<Timestamp>,
}

/// What [`Cluster::apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// Pods created, by name.
    pub created: Vec<String>,
    /// Creates that failed (injected faults); the rest of the batches were not attempted.
    pub failed_creates: usize,
    /// Creates skipped after a failed batch.
    pub skipped_creates: usize,
    /// Pods deleted, by name.
    pub deleted: Vec<String>,
}

/// The result of [`Cluster::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the loop reached a plan with nothing to do and no pod in flight.
    pub settled: bool,
    /// Loops run.
    pub loops: usize,
}

/// An in-memory cluster that executes plans.
#[derive(Debug, Clone)]
pub struct Cluster {
    nodes: BTreeMap<Str, Node>,
    pods: BTreeMap<(String, String), SimPod>,
    revisions: BTreeMap<(String, String), ControllerRevision>,
    now: Timestamp,
    config: SimConfig,
    counter: u64,
    fail_creates: usize,
    backoff: crate::FailedPodBackoff,
}

fn add(t: Timestamp, d: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d).ok())
        .unwrap_or(t)
}

impl Cluster {
    /// A cluster holding the snapshot's objects, at time `now`.
    pub fn new(snapshot: &Snapshot, now: Timestamp, config: SimConfig) -> Cluster {
        let nodes = snapshot
            .nodes()
            .iter()
            .map(|n| (n.name.clone(), n.clone()))
            .collect();
        let pods = snapshot
            .pods()
            .iter()
            .map(|p| {
                // Pods that are starting (or not ready) come up like new ones: the simulated
                // kubelet is healthy.
                let starting =
                    !p.phase.is_terminal() && !p.is_ready() && p.deletion_timestamp.is_none();
                let sim = SimPod {
                    pod: p.clone(),
                    ready_at: starting.then(|| add(now, config.ready_after)),
                    gone_at: p.deletion_timestamp.map(|_| now),
                };
                ((p.namespace.to_string(), p.name.clone()), sim)
            })
            .collect();
        let revisions = snapshot
            .revisions()
            .iter()
            .map(|r| ((r.namespace.clone(), r.name.clone()), r.clone()))
            .collect();
        Cluster {
            nodes,
            pods,
            revisions,
            now,
            config,
            counter: 0,
            fail_creates: 0,
            backoff: crate::FailedPodBackoff::default(),
        }
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The cluster as a [`Snapshot`] for the next plan.
    pub fn snapshot(&self) -> Snapshot {
        let nodes = self.nodes.values().cloned().collect();
        let pods = self.pods.values().map(|p| p.pod.clone()).collect();
        let revisions = self.revisions.values().cloned().collect();
        // The names are unique by construction (map keys), so this cannot fail.
        Snapshot::new(nodes, pods, revisions).unwrap_or_default()
    }

    /// The failed-pod backoff the last applied plan returned.
    pub fn failed_pod_backoff(&self) -> &crate::FailedPodBackoff {
        &self.backoff
    }

    /// Execute a plan: adoptions and releases, creates batch by batch (stopping at the first
    /// failed batch), deletes, relabels and revision changes.
    pub fn apply(&mut self, ds: &DaemonSet, plan: &Plan) -> Applied {
        let mut applied = Applied::default();
        self.backoff = plan.failed_pod_backoff().clone();
        for r in plan.adoptions() {
            if let Some(p) = self.pods.get_mut(&(r.namespace.clone(), r.name.clone())) {
                p.pod.controller = Some(owner_ref(ds));
            }
        }
        for r in plan.releases() {
            if let Some(p) = self.pods.get_mut(&(r.namespace.clone(), r.name.clone())) {
                p.pod.controller = None;
            }
        }
        for batch in plan.create_batches() {
            let mut failed = false;
            for create in batch {
                if self.fail_creates > 0 {
                    self.fail_creates -= 1;
                    applied.failed_creates += 1;
                    failed = true;
                    continue;
                }
                let name = self.create_pod(ds, &create.node, &create.revision_hash);
                applied.created.push(name);
            }
            if failed {
                let done = applied.created.len() + applied.failed_creates;
                applied.skipped_creates = plan.creates().len() - done;
                break;
            }
        }
        for d in plan.deletes() {
            if let Some(p) = self.pods.get_mut(&(d.namespace.clone(), d.pod.clone()))
                && p.pod.deletion_timestamp.is_none()
            {
                p.pod.deletion_timestamp = Some(self.now);
                let grace = if p.pod.phase.is_terminal() {
                    Duration::ZERO
                } else {
                    self.config.grace_period
                };
                p.gone_at = Some(add(self.now, grace));
                applied.deleted.push(d.pod.clone());
            }
        }
        for r in plan.relabels() {
            if let Some(p) = self
                .pods
                .get_mut(&(r.pod.namespace.clone(), r.pod.name.clone()))
            {
                p.pod
                    .labels
                    .insert(REVISION_HASH_LABEL.into(), r.hash.as_str().into());
            }
        }
        let revisions = plan.revisions();
        if let Some(create) = &revisions.create {
            let mut rev = ControllerRevision::new(
                ds.namespace(),
                create.name.clone(),
                create.revision,
                create.render(ds)["data"].clone(),
            );
            rev.labels = ds.template().labels.clone();
            rev.labels
                .insert(REVISION_HASH_LABEL.into(), create.hash.as_str().into());
            rev.controller = Some(owner_ref(ds));
            rev.creation_timestamp = Some(self.now);
            self.revisions
                .insert((ds.namespace().to_string(), create.name.clone()), rev);
        }
        for r in &revisions.renumber {
            if let Some(rev) = self
                .revisions
                .get_mut(&(ds.namespace().to_string(), r.name.clone()))
            {
                rev.revision = r.to;
            }
        }
        for r in &revisions.delete {
            self.revisions
                .remove(&(ds.namespace().to_string(), r.name.clone()));
        }
        applied
    }

    fn create_pod(&mut self, ds: &DaemonSet, node: &str, hash: &str) -> String {
        self.counter += 1;
        let name = format!("{}-{:05}", ds.name(), self.counter);
        let spec = &ds.template().spec;
        let mut pod = Pod::new(ds.namespace(), name.clone());
        pod.uid = Some(format!("sim-uid-{}", self.counter));
        pod.labels = ds.template().labels.clone();
        pod.labels.insert(REVISION_HASH_LABEL.into(), hash.into());
        if let Some(g) = ds.template_generation() {
            pod.labels
                .insert(TEMPLATE_GENERATION_LABEL.into(), g.to_string().into());
        }
        pod.controller = Some(owner_ref(ds));
        pod.creation_timestamp = Some(self.now);
        let node = Str::from(node);
        pod.node_name = Some(node.clone());
        pod.pinned_node = Some(node);
        pod.host_network = spec.host_network;
        pod.containers = spec.containers.clone().into();
        pod.init_containers = spec.init_containers.clone();
        pod.overhead = spec.overhead.clone();
        pod.priority = spec.priority;
        pod.phase = PodPhase::Pending;
        let ready_at = add(self.now, self.config.ready_after);
        self.pods.insert(
            (pod.namespace.to_string(), name.clone()),
            SimPod {
                pod,
                ready_at: Some(ready_at),
                gone_at: None,
            },
        );
        name
    }

    /// Move the clock forward: pods due become Running and Ready, deleted pods past their
    /// grace period disappear.
    pub fn advance(&mut self, by: Duration) {
        self.now = add(self.now, by);
        let now = self.now;
        self.pods.retain(|_, p| p.gone_at.is_none_or(|t| t > now));
        for p in self.pods.values_mut() {
            if let Some(at) = p.ready_at
                && at <= now
                && !p.pod.phase.is_terminal()
            {
                p.pod.phase = PodPhase::Running;
                p.pod.ready = Some(ReadyCondition {
                    ready: true,
                    last_transition_time: Some(at),
                });
                p.ready_at = None;
            }
        }
    }

    /// Whether any pod is still starting or terminating.
    pub fn in_flight(&self) -> bool {
        self.pods
            .values()
            .any(|p| p.ready_at.is_some() || p.gone_at.is_some())
    }

    /// Run plan → apply → advance until the plan is empty, nothing is in flight and the plan
    /// asks for no requeue, for at most `max_loops` loops. The failed-pod backoff is carried between loops.
    pub fn run(&mut self, ds: &DaemonSet, options: &Options, max_loops: usize) -> Outcome {
        for loops in 0..max_loops {
            let mut opts = options.clone();
            opts.now = self.now;
            opts.failed_pod_backoff = self.backoff.clone();
            let plan = plan(ds, &self.snapshot(), &opts);
            if plan.is_empty() && !self.in_flight() && plan.requeue_after().is_none() {
                return Outcome {
                    settled: true,
                    loops,
                };
            }
            self.apply(ds, &plan);
            let step = plan.requeue_after().map_or(self.config.step, |r| {
                r.min(self.config.step).max(Duration::from_millis(1))
            });
            self.advance(step);
        }
        Outcome {
            settled: false,
            loops: max_loops,
        }
    }

    // --- faults ---

    /// The next `n` creates fail.
    pub fn fail_next_creates(&mut self, n: usize) {
        self.fail_creates = n;
    }

    /// A pod crashes: its phase becomes Failed and it is no longer Ready.
    pub fn crash_pod(&mut self, namespace: &str, name: &str) -> bool {
        match self
            .pods
            .get_mut(&(namespace.to_string(), name.to_string()))
        {
            Some(p) => {
                p.pod.phase = PodPhase::Failed;
                p.pod.ready = Some(ReadyCondition {
                    ready: false,
                    last_transition_time: Some(self.now),
                });
                p.ready_at = None;
                true
            }
            None => false,
        }
    }

    /// A node turns NotReady: Ready=False and the node lifecycle controller's taints
    /// (`not-ready` NoSchedule and NoExecute). Its pods stop being Ready.
    pub fn set_node_not_ready(&mut self, node: &str) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        n.conditions.retain(|c| c.kind != "Ready");
        n.conditions.push(NodeCondition {
            kind: "Ready".into(),
            status: "False".into(),
            last_transition_time: Some(self.now),
        });
        for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
            let t = Taint::new(keys::NOT_READY, "", effect);
            if !n.taints.contains(&t) {
                n.taints.push(t);
            }
        }
        for p in self.pods.values_mut() {
            if p.pod.node_name.as_deref() == Some(node) && p.pod.is_ready() {
                p.pod.ready = Some(ReadyCondition {
                    ready: false,
                    last_transition_time: Some(self.now),
                });
            }
        }
        true
    }

    /// A node recovers: Ready=True, the not-ready taints removed.
    pub fn set_node_ready(&mut self, node: &str) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        n.conditions.retain(|c| c.kind != "Ready");
        n.conditions.push(NodeCondition {
            kind: "Ready".into(),
            status: "True".into(),
            last_transition_time: Some(self.now),
        });
        n.taints.retain(|t| t.key != keys::NOT_READY);
        for p in self.pods.values_mut() {
            if p.pod.node_name.as_deref() == Some(node) && p.pod.phase == PodPhase::Running {
                p.pod.ready = Some(ReadyCondition {
                    ready: true,
                    last_transition_time: Some(self.now),
                });
            }
        }
        true
    }

    /// Add (or replace) a node.
    pub fn add_node(&mut self, node: Node) {
        self.nodes.insert(node.name.clone(), node);
    }

    /// Remove a node; its pods stay until garbage collected ([`Cluster::gc_orphaned_pods`]).
    pub fn remove_node(&mut self, node: &str) -> bool {
        self.nodes.remove(node).is_some()
    }

    /// Delete pods bound to nodes that no longer exist (the pod GC's job).
    pub fn gc_orphaned_pods(&mut self) {
        let nodes = &self.nodes;
        self.pods.retain(|_, p| {
            p.pod
                .node_name
                .as_deref()
                .is_none_or(|n| nodes.contains_key(n))
        });
    }

    /// Set a node label.
    pub fn label_node(&mut self, node: &str, key: &str, value: &str) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        n.labels.insert(key.into(), value.into());
        true
    }

    /// Remove a node label.
    pub fn unlabel_node(&mut self, node: &str, key: &str) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        n.labels.remove(key).is_some()
    }

    /// Add a taint to a node.
    pub fn taint_node(&mut self, node: &str, taint: Taint) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        if !n.taints.contains(&taint) {
            n.taints.push(taint);
        }
        true
    }

    /// Remove every taint with this key from a node.
    pub fn untaint_node(&mut self, node: &str, key: &str) -> bool {
        let Some(n) = self.nodes.get_mut(node) else {
            return false;
        };
        n.taints.retain(|t| t.key != key);
        true
    }
}

fn owner_ref(ds: &DaemonSet) -> OwnerRef {
    OwnerRef {
        api_version: "apps/v1".into(),
        kind: "DaemonSet".into(),
        name: ds.name().into(),
        uid: ds.uid().map(Str::from),
        controller: true,
    }
}

/// One step of a previewed rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Wave {
    /// The step number, from 1.
    pub step: usize,
    /// Nodes whose pod is replaced (or started) in this step.
    pub nodes: Vec<String>,
    /// Pods created in this step.
    pub created: usize,
    /// Pods deleted in this step.
    pub deleted: usize,
    /// Nodes running an updated, available pod after this step.
    pub updated_after: usize,
}

/// What [`preview_rollout`] foresees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPreview {
    /// The steps that change something, in order.
    pub waves: Vec<Wave>,
    /// Nodes that should run the daemon pod.
    pub desired: usize,
    /// Whether every desired node ends with an updated, available pod.
    pub completes: bool,
    /// Why it stops short, when it does.
    pub stuck: Vec<StuckReason>,
}

/// Run the rollout in the simulator, assuming every pod becomes ready at once and every
/// deletion completes at once, and return its waves: which nodes update in which step, how
/// many steps it takes, and where it would get stuck and why.
pub fn preview_rollout(ds: &DaemonSet, snapshot: &Snapshot, options: &Options) -> RolloutPreview {
    let config = SimConfig {
        ready_after: Duration::ZERO,
        grace_period: Duration::ZERO,
        step: Duration::from_secs(ds.min_ready_seconds().max(0) as u64 + 1),
    };
    let mut cluster = Cluster::new(snapshot, options.now, config);
    cluster.backoff = options.failed_pod_backoff.clone();
    let mut waves = Vec::new();
    let mut stuck = Vec::new();
    let mut desired = 0;
    let max_steps = 4 * snapshot.nodes().len() + 16;
    for step in 1..=max_steps {
        let mut opts = options.clone();
        opts.now = cluster.now;
        opts.failed_pod_backoff = cluster.backoff.clone();
        let snap = cluster.snapshot();
        let p = plan(ds, &snap, &opts);
        desired = p.status().desired_number_scheduled as usize;
        if p.is_empty() {
            stuck = p.stuck().to_vec();
            break;
        }
        let mut nodes: Vec<String> = p.creates().iter().map(|c| c.node.clone()).collect();
        nodes.extend(p.deletes().iter().filter_map(|d| d.node.clone()));
        nodes.sort();
        nodes.dedup();
        let applied = cluster.apply(ds, &p);
        cluster.advance(config.step);
        let updated_after = updated_available(ds, &cluster, &opts, p.revision_hash());
        waves.push(Wave {
            step,
            nodes,
            created: applied.created.len(),
            deleted: applied.deleted.len(),
            updated_after,
        });
        stuck = p.stuck().to_vec();
    }
    let mut opts = options.clone();
    opts.now = cluster.now;
    let final_plan = plan(ds, &cluster.snapshot(), &opts);
    let completes = final_plan.status().updated_number_scheduled
        == final_plan.status().desired_number_scheduled
        && final_plan.status().number_available == final_plan.status().desired_number_scheduled;
    if completes {
        stuck.clear();
    }
    RolloutPreview {
        waves,
        desired,
        completes,
        stuck,
    }
}

fn updated_available(ds: &DaemonSet, cluster: &Cluster, options: &Options, hash: &str) -> usize {
    let mut nodes: Vec<&str> = cluster
        .pods
        .values()
        .filter(|p| p.pod.deletion_timestamp.is_none())
        .filter(|p| p.pod.controller.as_ref().is_some_and(|c| ds.owns(c)))
        .filter(|p| is_updated(&p.pod, hash, ds.template_generation()))
        .filter(|p| {
            p.pod.is_available(
                ds.min_ready_seconds(),
                add(options.now, cluster.config.step),
            )
        })
        .filter_map(|p| p.pod.node_name.as_deref())
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    nodes.len()
}
