//! Planning again after one change, without redoing the whole cluster.
//!
//! A [`Replanner`] holds a snapshot and the plans of several DaemonSets over it. When one node
//! changes (labels, taints, allocatable, conditions) or one pod's status changes (it turns
//! Ready, say), it re-decides only that node, adjusts each plan's actions, status and budget
//! for it, and leaves the rest as it was. When a change could reach beyond its node (a plan in
//! the middle of a rollout, failed pods in backoff, a new node or pod, minReadySeconds timing),
//! it falls back to planning from scratch, so the result is always what [`plan`] would give on
//! the changed snapshot.
//!
//! # Example
//! ```
//! use daemonset_planner::replan::Replanner;
//! use daemonset_planner::synth::{self, ClusterShape};
//! use daemonset_planner::{Options, plan};
//!
//! let now = "2026-06-01T00:00:00Z".parse().unwrap();
//! let cluster = synth::cluster(&ClusterShape { nodes: 50, seed: 3, ..ClusterShape::default() });
//! let ds = synth::daemon_set(0);
//! let mut pods = cluster.pods.clone();
//! pods.extend(synth::daemon_pods(&ds, &cluster.nodes, ds.revision_hash(), now));
//! let snapshot = synth::snapshot(cluster.nodes, pods);
//!
//! let mut replanner = Replanner::new(snapshot, Options::at(now));
//! replanner.add(ds.clone());
//! let mut node = replanner.snapshot().nodes()[7].clone();
//! node.labels.insert("kubernetes.io/os".into(), "windows".into());
//! replanner.set_node(node)?;
//! let expected = plan(&ds, replanner.snapshot(), &Options::at(now));
//! assert_eq!(replanner.plan(ds.name()).unwrap().to_json(), expected.to_json());
//! # Ok::<(), daemonset_planner::Error>(())
//! ```

use crate::error::Error;
use crate::options::Options;
use crate::placement::{NodeDecision, check_fit, node_decision};
use crate::plan::{CreatePod, CreateReason, DeletePod, DeleteReason, Plan};
use crate::reconcile::batch_of;
use crate::snapshot::{Node, Pod, Snapshot};
use crate::spec::{DaemonSet, UpdateStrategy};
use crate::{Timestamp, plan, rollout};

/// Keeps plans up to date as single nodes and pods change.
#[derive(Debug, Clone)]
pub struct Replanner {
    snapshot: Snapshot,
    options: Options,
    entries: Vec<(DaemonSet, Plan)>,
    /// Per entry: the owner classes of its own pods in the snapshot's pod index (they change
    /// only when the snapshot is rebuilt).
    own_classes: Vec<Vec<u32>>,
    fast: usize,
    full: usize,
}

/// How many changes took the incremental path and how many needed a full plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplanStats {
    /// Changes handled by re-deciding one node.
    pub incremental: usize,
    /// Changes that needed planning from scratch.
    pub full: usize,
}

/// The status counters one node contributes.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
struct Contribution {
    desired: i64,
    current: i64,
    ready: i64,
    available: i64,
    updated: i64,
    misscheduled: i64,
}

impl Replanner {
    /// A replanner over `snapshot`, planning at `options`.
    pub fn new(snapshot: Snapshot, options: Options) -> Replanner {
        Replanner {
            snapshot,
            options,
            entries: Vec::new(),
            own_classes: Vec::new(),
            fast: 0,
            full: 0,
        }
    }

    /// Add a DaemonSet (or replace one of the same name) and plan it.
    pub fn add(&mut self, ds: DaemonSet) -> &Plan {
        let p = plan(&ds, &self.snapshot, &self.options);
        let classes = self.classes_of(&ds);
        let position = self.entries.iter().position(|(d, _)| d.name() == ds.name());
        let index = match position {
            Some(i) => {
                self.entries[i] = (ds, p);
                self.own_classes[i] = classes;
                i
            }
            None => {
                self.entries.push((ds, p));
                self.own_classes.push(classes);
                self.entries.len() - 1
            }
        };
        &self.entries[index].1
    }

    /// The current plan of a DaemonSet, by name.
    pub fn plan(&self, name: &str) -> Option<&Plan> {
        self.entries
            .iter()
            .find(|(d, _)| d.name() == name)
            .map(|(_, p)| p)
    }

    /// Every DaemonSet with its plan.
    pub fn plans(&self) -> impl Iterator<Item = (&DaemonSet, &Plan)> {
        self.entries.iter().map(|(d, p)| (d, p))
    }

    /// The snapshot as changed so far.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// How the changes so far were handled.
    pub fn stats(&self) -> ReplanStats {
        ReplanStats {
            incremental: self.fast,
            full: self.full,
        }
    }

    /// Move the clock: every plan is recomputed (availability and backoff depend on it).
    pub fn set_now(&mut self, options: Options) {
        self.options = options;
        self.replan_all();
    }

    /// A node was added or changed.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the node has no name.
    pub fn set_node(&mut self, node: Node) -> Result<(), Error> {
        if let Some(n) = self.snapshot.node_position(&node.name) {
            let name = node.name.clone();
            if let Some(claimed) = self
                .simple_node_pods(n)
                .filter(|_| self.quiet_except(&name))
            {
                self.snapshot.replace_node(n, node);
                if self.update_node(n, &claimed) {
                    self.fast += 1;
                    return Ok(());
                }
                self.rebuild(None, None)?;
                return Ok(());
            }
        }
        self.rebuild(Some(node), None)
    }

    /// A pod was added or changed.
    ///
    /// # Errors
    /// [`Error::Duplicate`] cannot happen (the pod replaces its namesake); a rebuilt snapshot
    /// reports the errors [`Snapshot::new`] does.
    pub fn set_pod(&mut self, pod: Pod) -> Result<(), Error> {
        if let Some(i) = self.snapshot.pod_position(&pod.namespace, &pod.name) {
            let old = &self.snapshot.pods()[i];
            if only_status_changed(old, &pod)
                && let Some(n) = self.snapshot.pod_node(i)
            {
                let name = self.snapshot.nodes()[n].name.clone();
                let timing_free = self.entries.iter().all(|(d, _)| d.min_ready_seconds() == 0);
                let claimed = if timing_free && self.quiet_except(&name) {
                    self.simple_node_pods(n)
                } else {
                    None
                };
                if let Some(claimed) = claimed {
                    let now = self.options.now;
                    let before: Vec<Contribution> = self
                        .entries
                        .iter()
                        .zip(&claimed)
                        .map(|((d, p), pods)| contribution_of(&self.snapshot, d, p, n, pods, now))
                        .collect();
                    self.snapshot.replace_pod_status(i, pod);
                    for (k, ((ds, plan), pods)) in self.entries.iter_mut().zip(&claimed).enumerate()
                    {
                        if ds.deletion_timestamp().is_some() {
                            continue;
                        }
                        let after = contribution_of(&self.snapshot, ds, plan, n, pods, now);
                        apply_delta(plan, ds, before[k], after);
                    }
                    self.fast += 1;
                    return Ok(());
                }
            }
        }
        self.rebuild(None, Some(pod))
    }

    /// Every plan is quiet apart from node-local actions (`manage()` creating a missing pod,
    /// removing an ineligible or duplicate one): no rolling-update action, nothing stuck, no
    /// failed pod, no timer. A change on one node then cannot reach another node's actions.
    /// (Adoptions, releases, relabels and revision changes follow from the pods and
    /// revisions, which a node change or a pod status change leaves as they were.)
    fn quiet_except(&self, name: &str) -> bool {
        self.entries.iter().all(|(_, p)| {
            p.stuck().is_empty()
                && p.events().is_empty()
                && p.requeue_after().is_none()
                && p.creates()
                    .iter()
                    .all(|c| c.node == name || c.reason == CreateReason::Missing)
                && p.deletes().iter().all(|d| {
                    d.node.as_deref() == Some(name)
                        || matches!(
                            d.reason,
                            DeleteReason::NotEligible
                                | DeleteReason::Duplicate
                                | DeleteReason::NodeGone
                        )
                })
        })
    }

    /// Each DaemonSet's claimed pods on node `n`, when every DaemonSet has at most one there,
    /// current and running; `None` otherwise.
    fn simple_node_pods(&self, n: usize) -> Option<Vec<Vec<usize>>> {
        let on_node = self.snapshot.pods_on(n);
        self.entries
            .iter()
            .zip(&self.own_classes)
            .map(|((ds, p), own)| {
                let pods = claimed_on(&self.snapshot, ds, own, on_node);
                let simple = pods.len() <= 1
                    && pods.iter().all(|&i| {
                        let pod = &self.snapshot.pods()[i];
                        !pod.phase.is_terminal()
                            && pod.deletion_timestamp.is_none()
                            && pod.revision_hash() == Some(p.revision_hash())
                    });
                simple.then_some(pods)
            })
            .collect()
    }

    /// Re-decide node `n` for every DaemonSet; false when a case needs the full plan.
    fn update_node(&mut self, n: usize, claimed: &[Vec<usize>]) -> bool {
        let snapshot = &self.snapshot;
        let options = &self.options;
        for (((ds, plan), pods), own) in self.entries.iter_mut().zip(claimed).zip(&self.own_classes)
        {
            let node = &snapshot.nodes()[n];
            let mut decision = node_decision(ds, node, options);
            if decision.should_run {
                check_fit(ds, snapshot, n, own, &mut decision);
            }
            if decision == plan.decisions[n] {
                continue;
            }
            if ds.deletion_timestamp().is_some() {
                // upstream: a DaemonSet being deleted gets decisions and nothing else.
                plan.decisions[n] = decision;
                continue;
            }
            if decision.should_run && !decision.may_create(options) {
                return false;
            }
            // A full burst may have left nodes waiting: only the full plan knows which.
            let burst = crate::reconcile::burst(ds, options);
            if plan.creates.len() >= burst || plan.deletes.len() >= burst {
                return false;
            }
            let before = contribution_of(snapshot, ds, plan, n, pods, options.now);
            plan.creates.retain(|c| c.node != node.name);
            plan.deletes
                .retain(|d| d.node.as_deref() != Some(node.name.as_str()));
            if decision.should_run && pods.is_empty() {
                plan.creates.push(CreatePod {
                    node: node.name.to_string(),
                    reason: CreateReason::Missing,
                    batch: 0,
                    revision_hash: plan.revision_hash.clone(),
                    pin_with_node_name: options.pin_with_node_name,
                });
            }
            if !decision.should_continue_running {
                for &i in pods {
                    let pod = &snapshot.pods()[i];
                    plan.deletes.push(DeletePod {
                        pod: pod.name.clone(),
                        namespace: pod.namespace.to_string(),
                        node: Some(node.name.to_string()),
                        reason: DeleteReason::NotEligible,
                    });
                }
            }
            // Keep upstream's order: manage() walks nodes in order; pods on missing nodes last.
            let position = |node: Option<&str>| {
                node.and_then(|x| snapshot.node_position(x))
                    .unwrap_or(usize::MAX)
            };
            plan.creates
                .sort_by_key(|c| position(Some(c.node.as_str())));
            plan.deletes.sort_by_key(|d| position(d.node.as_deref()));
            let mut batches = batch_of(plan.creates.len());
            for c in plan.creates.iter_mut() {
                c.batch = batches.next().unwrap_or(0);
            }
            if plan.creates.len() > burst || plan.deletes.len() > burst {
                return false;
            }
            plan.decisions[n] = decision;
            let after = contribution_of(snapshot, ds, plan, n, pods, options.now);
            apply_delta(plan, ds, before, after);
        }
        true
    }

    fn rebuild(&mut self, node: Option<Node>, pod: Option<Pod>) -> Result<(), Error> {
        let (mut nodes, mut pods, revisions) = self.snapshot.parts();
        if let Some(node) = node {
            nodes.retain(|x| x.name != node.name);
            nodes.push(node);
        }
        if let Some(pod) = pod {
            pods.retain(|x| !(x.namespace == pod.namespace && x.name == pod.name));
            pods.push(pod);
        }
        self.snapshot = Snapshot::new(nodes, pods, revisions)?;
        self.replan_all();
        Ok(())
    }

    fn replan_all(&mut self) {
        self.full += 1;
        for (ds, p) in self.entries.iter_mut() {
            *p = plan(ds, &self.snapshot, &self.options);
        }
        self.own_classes = self
            .entries
            .iter()
            .map(|(ds, _)| self.classes_of(ds))
            .collect();
    }

    fn classes_of(&self, ds: &DaemonSet) -> Vec<u32> {
        self.snapshot
            .pod_index()
            .classes_of(ds, self.snapshot.pods())
    }
}

/// Whether two versions of a pod differ only in phase (among non-terminal phases) and
/// conditions.
fn only_status_changed(old: &Pod, new: &Pod) -> bool {
    let mut a = old.clone();
    a.phase = new.phase;
    a.ready = new.ready;
    a == *new && !old.phase.is_terminal() && !new.phase.is_terminal()
}

/// The DaemonSet's claimed pods on node `n`, oldest first.
fn claimed_on(snapshot: &Snapshot, ds: &DaemonSet, own: &[u32], on_node: &[usize]) -> Vec<usize> {
    let pods = snapshot.pods();
    // Only the DaemonSet's own owner classes (`own`) and its namespace's orphans can be
    // claimed: other pods are passed over on an integer compare.
    let facts = snapshot.pod_index();
    let orphans = facts.orphan_class(&ds.namespace);
    let mut out: Vec<usize> = on_node
        .iter()
        .copied()
        .filter(|&i| {
            let class = facts.owner_class(i);
            if !own.contains(&class) && orphans != Some(class) {
                return false;
            }
            let pod = &pods[i];
            crate::reconcile::claims(ds, pod)
                && !(pod.phase.is_terminal() && pod.deletion_timestamp.is_some())
        })
        .collect();
    if out.len() > 1 {
        out.sort_by(|&a, &b| crate::reconcile::oldest_first(&pods[a], &pods[b]));
    }
    out
}

// upstream: daemon_controller.go updateDaemonSetStatus, for one node
fn contribution_of(
    snapshot: &Snapshot,
    ds: &DaemonSet,
    plan: &Plan,
    n: usize,
    pods: &[usize],
    now: Timestamp,
) -> Contribution {
    let decision: &NodeDecision = &plan.decisions[n];
    let mut c = Contribution::default();
    if decision.should_run {
        c.desired = 1;
        if let Some(&oldest) = pods.first() {
            let pod = &snapshot.pods()[oldest];
            c.current = 1;
            if pod.is_ready() {
                c.ready = 1;
                if pod.is_available(ds.min_ready_seconds(), now) {
                    c.available = 1;
                }
            }
            if crate::reconcile::is_updated(pod, plan.revision_hash(), ds.template_generation()) {
                c.updated = 1;
            }
        }
    } else if !pods.is_empty() {
        c.misscheduled = 1;
    }
    c
}

fn apply_delta(plan: &mut Plan, ds: &DaemonSet, before: Contribution, after: Contribution) {
    let s = &mut plan.status;
    s.desired_number_scheduled += after.desired - before.desired;
    s.current_number_scheduled += after.current - before.current;
    s.number_ready += after.ready - before.ready;
    s.number_available += after.available - before.available;
    s.updated_number_scheduled += after.updated - before.updated;
    s.number_misscheduled += after.misscheduled - before.misscheduled;
    s.number_unavailable = s.desired_number_scheduled - s.number_available;
    if let UpdateStrategy::RollingUpdate(ru) = &ds.update_strategy {
        plan.budget = Some(rollout::budget(ru, s.desired_number_scheduled));
    }
    plan.rollout = std::sync::OnceLock::new();
    plan.write_status = crate::reconcile::status_changed(&plan.status, ds);
}
