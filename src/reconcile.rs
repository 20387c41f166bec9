//! One sync: claim pods, manage() per node, the rolling-update step, history, status.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::history;
use crate::options::Options;
use crate::placement::{self, NodeDecision};
use crate::plan::{
    CreatePod, CreateReason, DeletePod, DeleteReason, Event, Plan, PodRef, Relabel, StuckReason,
};
use crate::pod_index::{Claimer, DELETING, TERMINAL};
use crate::rollout;
use crate::snapshot::{NO_HASH, NodePods, Pod, PodPhase, Snapshot};
use crate::spec::{DaemonSet, Ownership, TEMPLATE_GENERATION_LABEL, UpdateStrategy};
use crate::status::DaemonSetStatus;

/// The DaemonSet's pods, grouped by target node.
pub(crate) struct Claim {
    /// Per snapshot node: claimed pods targeting it, terminal-and-deleting ones dropped, oldest
    /// first.
    pub per_node: NodePods,
    /// Pods targeting nodes that are not in the snapshot, by node name.
    pub missing: BTreeMap<String, Vec<usize>>,
    /// Revision-hash ids of every claimed pod with a target node, each once (history cleanup
    /// keeps these revisions; when all are the current one and `unhashed` is false, no pod in
    /// `per_node` or `missing` is old).
    pub live_hash_ids: Vec<u32>,
    /// Whether one of those pods has no `controller-revision-hash` label.
    pub unhashed: bool,
    pub adopt: Vec<PodRef>,
    pub release: Vec<PodRef>,
}

/// A set of pod indexes, one bit per pod of the snapshot.
pub(crate) struct PodSet(Vec<u64>);

impl PodSet {
    fn new(pods: usize) -> PodSet {
        PodSet(vec![0; pods.div_ceil(64)])
    }

    /// Add pod `i`; false if it was already in.
    fn insert(&mut self, i: usize) -> bool {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let fresh = self.0[word] & bit == 0;
        self.0[word] |= bit;
        fresh
    }

    /// Whether pod `i` is in.
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1u64 << (i % 64)) != 0
    }
}

/// Upstream's "oldest first": bound pods first, then by creation time, then by name.
// upstream: daemon_controller.go podByCreationTimestampAndPhase.Less
pub(crate) fn oldest_first(a: &Pod, b: &Pod) -> Ordering {
    let unbound = |p: &Pod| p.node_name.as_deref().is_none_or(str::is_empty);
    unbound(a)
        .cmp(&unbound(b))
        .then_with(|| a.creation_timestamp.cmp(&b.creation_timestamp))
        .then_with(|| a.name.cmp(&b.name))
}

// upstream: daemon_controller.go getDaemonPods, controller_ref_manager.go ClaimPods,
// getNodesToDaemonPods
pub(crate) fn claim(ds: &DaemonSet, snapshot: &Snapshot) -> Claim {
    let pods = snapshot.pods();
    let mut claimed = Vec::new();
    let mut adopt = Vec::new();
    let mut release = Vec::new();
    let (owned, orphans) = snapshot.claim_candidates(&ds.namespace, &ds.name);
    let facts = snapshot.pod_index();
    let mut claimer = Claimer::new(ds, pods, facts);
    for &i in owned.iter().chain(orphans) {
        let pod_ref = || PodRef {
            namespace: pods[i].namespace.to_string(),
            name: pods[i].name.clone(),
        };
        match claimer.ownership(i) {
            Ownership::Keep => claimed.push(i),
            Ownership::Adopt => {
                adopt.push(pod_ref());
                claimed.push(i);
            }
            Ownership::Release => release.push(pod_ref()),
            Ownership::Ignore => {}
        }
    }
    let mut missing: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut live_ids: Vec<u32> = Vec::new();
    let mut unhashed = false;
    let mut located: Vec<(u32, usize)> = Vec::with_capacity(claimed.len());
    for i in claimed {
        let node = snapshot.pod_node(i);
        let target = match node {
            Some(_) => None,
            None => match pods[i].target_node() {
                Some(target) => Some(target),
                None => continue,
            },
        };
        let hash_id = snapshot.pod_hash(i);
        if hash_id == NO_HASH {
            unhashed = true;
        } else if !live_ids.contains(&hash_id) {
            live_ids.push(hash_id);
        }
        if facts.flags(i) & (TERMINAL | DELETING) == TERMINAL | DELETING {
            continue;
        }
        match (node, target) {
            (Some(n), _) => located.push((n as u32, i)),
            (None, Some(target)) => missing.entry(target.to_string()).or_default().push(i),
            (None, None) => {}
        }
    }
    let mut per_node = NodePods::group(snapshot.nodes().len(), &located);
    per_node.sort_each(|a, b| oldest_first(&pods[a], &pods[b]));
    for list in missing.values_mut() {
        if list.len() > 1 {
            list.sort_by(|&a, &b| oldest_first(&pods[a], &pods[b]));
        }
    }
    Claim {
        per_node,
        missing,
        live_hash_ids: live_ids,
        unhashed,
        adopt,
        release,
    }
}

fn claim_state(ds: &DaemonSet, pod: &Pod) -> Ownership {
    ds.ownership(
        &pod.namespace,
        pod.controller.as_ref(),
        &pod.labels,
        pod.deletion_timestamp.is_some(),
    )
}

/// Whether the DaemonSet claims `pod` (R16): it controls it and the labels match, or the pod
/// is a matching orphan (not being deleted) it would adopt.
// upstream: controller_ref_manager.go ClaimPods
pub(crate) fn claims(ds: &DaemonSet, pod: &Pod) -> bool {
    matches!(claim_state(ds, pod), Ownership::Keep | Ownership::Adopt)
}

/// Whether the pod runs the current template.
// upstream: daemonset_util.go IsPodUpdated
pub(crate) fn is_updated(pod: &Pod, hash: &str, template_generation: Option<i64>) -> bool {
    let by_hash = !hash.is_empty() && pod.revision_hash() == Some(hash);
    let by_generation = template_generation.is_some_and(|g| {
        pod.labels
            .get(TEMPLATE_GENERATION_LABEL)
            .is_some_and(|v| *v == g.to_string())
    });
    by_hash || by_generation
}

/// Whether the DaemonSet may run a new and an old pod on one node.
// upstream: daemonset_util.go AllowsSurge
pub(crate) fn allows_surge(ds: &DaemonSet) -> bool {
    match &ds.update_strategy {
        UpdateStrategy::RollingUpdate(r) => r.max_surge.scaled(1, true) > 0,
        UpdateStrategy::OnDelete => false,
    }
}

/// What manage() decided.
#[derive(Default)]
pub(crate) struct Managed {
    /// Node indexes to create on, in node order.
    pub creates: Vec<usize>,
    /// Pods to delete, with reasons, in the order upstream issues them.
    pub deletes: Vec<(usize, DeleteReason)>,
    pub events: Vec<Event>,
    pub requeue: Option<Duration>,
    /// Nodes that should run a pod but get none because it cannot fit (strict fit only).
    pub blocked: Vec<usize>,
}

pub(crate) struct Context<'a> {
    pub ds: &'a DaemonSet,
    pub snapshot: &'a Snapshot,
    pub options: &'a Options,
    pub decisions: &'a [NodeDecision],
    pub hash: &'a str,
    /// The snapshot's id for `hash` (`NO_HASH` when no pod carries it).
    pub hash_id: u32,
}

impl Context<'_> {
    /// Whether pod `i` carries the current revision hash label.
    pub(crate) fn has_current_hash(&self, i: usize) -> bool {
        self.is_current_hash(self.snapshot.pod_hash(i))
    }

    /// Whether revision-hash id `id` is the current revision's.
    pub(crate) fn is_current_hash(&self, id: u32) -> bool {
        self.hash_id != NO_HASH && !self.hash.is_empty() && id == self.hash_id
    }

    /// [`is_updated`] for pod `i` of the snapshot, without looking at its labels when the
    /// hash settles it.
    // upstream: daemonset_util.go IsPodUpdated
    pub(crate) fn is_updated(&self, i: usize) -> bool {
        self.has_current_hash(i)
            || (self.ds.template_generation.is_some()
                && is_updated(
                    &self.snapshot.pods()[i],
                    self.hash,
                    self.ds.template_generation,
                ))
    }
}

fn min_duration(a: Option<Duration>, b: Duration) -> Option<Duration> {
    Some(a.map_or(b, |a| a.min(b)))
}

// upstream: daemon_controller.go manage, podsShouldBeOnNode, getUnscheduledPodsWithoutNode
pub(crate) fn manage(
    ctx: &Context<'_>,
    claim: &Claim,
    backoff: &mut crate::FailedPodBackoff,
) -> Managed {
    let pods = ctx.snapshot.pods();
    let facts = ctx.snapshot.pod_index();
    let surge = allows_surge(ctx.ds);
    let now = ctx.options.now;
    let mut out = Managed::default();
    let mut running: Vec<usize> = Vec::new();
    for (n, node_pods) in claim.per_node.iter().enumerate() {
        let decision = &ctx.decisions[n];
        // Read only for a failed or succeeded pod.
        let node_name = || ctx.snapshot.node_name(n);
        let exists = !node_pods.is_empty();
        let create = |out: &mut Managed| {
            if decision.may_create(ctx.options) {
                out.creates.push(n);
            } else {
                out.blocked.push(n);
            }
        };
        if decision.should_run && !exists {
            create(&mut out);
        } else if decision.should_continue_running {
            running.clear();
            for &i in node_pods {
                let flags = facts.flags(i);
                if flags & DELETING != 0 {
                    continue;
                }
                if flags & TERMINAL == 0 {
                    running.push(i);
                    continue;
                }
                let pod = &pods[i];
                match pod.phase {
                    PodPhase::Failed => {
                        if let Some(delay) = backoff.in_backoff(node_name(), now) {
                            out.requeue = min_duration(out.requeue, delay);
                            continue;
                        }
                        backoff.next(node_name(), now);
                        out.events.push(Event {
                            kind: "Warning",
                            reason: "FailedDaemonPod",
                            message: format!(
                                "Found failed daemon pod {}/{} on node {}, will try to kill it",
                                pod.namespace,
                                pod.name,
                                node_name()
                            ),
                        });
                        out.deletes.push((i, DeleteReason::Failed));
                    }
                    PodPhase::Succeeded => {
                        out.events.push(Event {
                            kind: "Normal",
                            reason: "SucceededDaemonPod",
                            message: format!(
                                "Found succeeded daemon pod {}/{} on node {}, will try to delete it",
                                pod.namespace,
                                pod.name,
                                node_name()
                            ),
                        });
                        out.deletes.push((i, DeleteReason::Succeeded));
                    }
                    _ => running.push(i),
                }
            }
            if !surge {
                if running.len() > 1 {
                    out.deletes
                        .extend(running[1..].iter().map(|&i| (i, DeleteReason::Duplicate)));
                }
            } else if running.is_empty() {
                if decision.should_run {
                    create(&mut out);
                }
            } else if running.len() > 1 {
                let mut oldest_new = None;
                let mut oldest_old = None;
                for &i in &running {
                    let is_new = ctx.has_current_hash(i);
                    let slot = if is_new {
                        &mut oldest_new
                    } else {
                        &mut oldest_old
                    };
                    if slot.is_none() {
                        *slot = Some(i);
                    } else {
                        out.deletes.push((i, DeleteReason::Duplicate));
                    }
                }
                if let (Some(new), Some(old)) = (oldest_new, oldest_old)
                    && (!facts.is_ready(old)
                        || facts.is_available(new, ctx.ds.min_ready_seconds, now))
                {
                    out.deletes.push((old, DeleteReason::Superseded));
                }
            }
        } else if exists {
            for &i in node_pods {
                if facts.flags(i) & DELETING == 0 {
                    out.deletes.push((i, DeleteReason::NotEligible));
                }
            }
        }
    }
    for list in claim.missing.values() {
        for &i in list {
            if pods[i].node_name.is_none() {
                out.deletes.push((i, DeleteReason::NodeGone));
            }
        }
    }
    out
}

/// Availability: the earliest time a ready pod becomes available, as a requeue delay.
fn availability_requeue(ctx: &Context<'_>, claim: &Claim) -> Option<Duration> {
    let min_ready = ctx.ds.min_ready_seconds;
    if min_ready <= 0 {
        return None;
    }
    let mut best: Option<Duration> = None;
    for list in claim.per_node.iter() {
        for &i in list {
            let pod = &ctx.snapshot.pods()[i];
            if !pod.is_ready() || pod.is_available(min_ready, ctx.options.now) {
                continue;
            }
            if let Some(t) = pod.ready.and_then(|r| r.last_transition_time)
                && let Ok(at) = t.checked_add(jiff::SignedDuration::from_secs(min_ready))
            {
                let wait = at.duration_since(ctx.options.now);
                if !wait.is_negative() {
                    best = min_duration(best, wait.unsigned_abs());
                }
            }
        }
    }
    best
}

// upstream: daemon_controller.go updateDaemonSetStatus
pub(crate) fn compute_status(ctx: &Context<'_>, claim: &Claim) -> DaemonSetStatus {
    let facts = ctx.snapshot.pod_index();
    let mut s = DaemonSetStatus {
        observed_generation: ctx.ds.generation.or(ctx.ds.status.observed_generation),
        collision_count: ctx.ds.status.collision_count,
        ..DaemonSetStatus::default()
    };
    for (n, list) in claim.per_node.iter().enumerate() {
        let decision = &ctx.decisions[n];
        if decision.should_run {
            s.desired_number_scheduled += 1;
            if let Some(&oldest) = list.first() {
                s.current_number_scheduled += 1;
                if facts.is_ready(oldest) {
                    s.number_ready += 1;
                    if facts.is_available(oldest, ctx.ds.min_ready_seconds, ctx.options.now) {
                        s.number_available += 1;
                    }
                }
                if ctx.is_updated(oldest) {
                    s.updated_number_scheduled += 1;
                }
            }
        } else if !list.is_empty() {
            s.number_misscheduled += 1;
        }
    }
    s.number_unavailable = s.desired_number_scheduled - s.number_available;
    s
}

/// Whether upstream writes the status: unless the seven counters are already stored and the
/// stored observedGeneration is at least the generation.
// upstream: daemon_controller.go storeDaemonSetStatus
pub(crate) fn status_changed(status: &DaemonSetStatus, ds: &DaemonSet) -> bool {
    let counters = |s: &DaemonSetStatus| {
        [
            s.desired_number_scheduled,
            s.current_number_scheduled,
            s.number_misscheduled,
            s.number_ready,
            s.updated_number_scheduled,
            s.number_available,
            s.number_unavailable,
        ]
    };
    let stored = &ds.status;
    counters(status) != counters(stored)
        || stored.observed_generation.unwrap_or(0) < ds.generation.unwrap_or(0)
}

/// Slow-start batch sizes for `count` creations: 1, 2, 4, ...
// upstream: daemon_controller.go syncNodes (SlowStartInitialBatchSize = 1)
pub(crate) fn batch_of(count: usize) -> impl Iterator<Item = usize> {
    let mut batch = 0usize;
    let mut size = 1usize;
    let mut left_in_batch = 1usize;
    (0..count).map(move |_| {
        if left_in_batch == 0 {
            batch += 1;
            size = size.saturating_mul(2);
            left_in_batch = size;
        }
        left_in_batch -= 1;
        batch
    })
}

/// Most creations (and, separately, deletions) per step: OpenKruise's `spec.burstReplicas` (a
/// percentage of the stored desired count) when set, else the option (upstream's 250).
// upstream: daemon_controller.go syncNodes; kruise daemonset_util.go getBurstReplicas
pub(crate) fn burst(ds: &DaemonSet, options: &Options) -> usize {
    match ds.burst_replicas {
        Some(b) => b.scaled(ds.status.desired_number_scheduled, false).max(0) as usize,
        None => options.burst_replicas,
    }
}

/// Compute the plan for one sync.
pub(crate) fn sync(ds: &DaemonSet, snapshot: &Snapshot, options: &Options) -> Plan {
    let decisions = placement::placement(ds, snapshot, options);
    let mut backoff = options.failed_pod_backoff.clone();
    // upstream keys entries by "<uid>/<status.observedGeneration>/<node>", where a missing
    // observedGeneration is 0; a table recorded under another generation does not apply.
    let generation_key = Some(ds.status.observed_generation.unwrap_or(0));
    if backoff.generation().is_some() && backoff.generation() != generation_key {
        backoff = crate::FailedPodBackoff::default();
    }
    backoff.set_generation(generation_key);
    backoff.gc(options.now);

    let mut history = history::construct(ds, snapshot);
    let hash = history.hash.clone();
    let ctx = Context {
        ds,
        snapshot,
        options,
        decisions: &decisions,
        hash: &hash,
        hash_id: snapshot.hash_id(&hash),
    };
    let claim = claim(ds, snapshot);
    let status = compute_status(&ctx, &claim);
    let rolling = matches!(ds.update_strategy, UpdateStrategy::RollingUpdate(_));

    let mut plan = Plan {
        node_names: snapshot.node_names(),
        decisions: Vec::new(),
        creates: Vec::new(),
        deletes: Vec::new(),
        adopt: Vec::new(),
        release: Vec::new(),
        relabel: Vec::new(),
        revisions: Default::default(),
        status: status.clone(),
        write_status: true,
        budget: None,
        failed_pod_backoff: backoff.clone(),
        requeue_after: None,
        revision_hash: hash.clone(),
        events: Vec::new(),
        stuck: Vec::new(),
        rollout: std::sync::OnceLock::new(),
        rollout_inputs: crate::plan::RolloutInputs {
            name: ds.name.clone(),
            rolling,
            generation: ds.generation,
            deleting: ds.deletion_timestamp.is_some(),
        },
    };

    // upstream: syncDaemonSet stops for a DaemonSet being deleted, without a status write.
    if ds.deletion_timestamp.is_some() {
        plan.status = ds.status.clone();
        plan.write_status = false;
        plan.decisions = decisions;
        return plan;
    }

    let managed = manage(&ctx, &claim, &mut backoff);
    // OpenKruise's spec.burstReplicas (a percentage of the stored desired count) overrides
    // the option (K24).
    let burst = burst(ds, options);
    let pods = snapshot.pods();
    let mut deleted = PodSet::new(pods.len());
    let mut creates: Vec<(usize, CreateReason)> = Vec::new();
    let mut deletes: Vec<(usize, DeleteReason)> = Vec::new();
    for &n in managed.creates.iter().take(burst) {
        creates.push((n, CreateReason::Missing));
    }
    for &(i, reason) in managed.deletes.iter().take(burst) {
        if deleted.insert(i) {
            deletes.push((i, reason));
        }
    }
    let managed_created: Vec<usize> = creates.iter().map(|(n, _)| *n).collect();

    let mut requeue = managed.requeue;
    if let Some(budget_step) = rollout::step(&ctx, &claim, &managed_created, &deleted) {
        plan.budget = Some(budget_step.budget);
        plan.stuck = budget_step.stuck;
        for &(n, reason) in budget_step.creates.iter().take(burst) {
            if !creates.iter().any(|(c, _)| *c == n) {
                creates.push((n, reason));
            }
        }
        let mut rolled = 0;
        for &(i, reason) in &budget_step.deletes {
            if rolled >= burst {
                break;
            }
            if deleted.insert(i) {
                deletes.push((i, reason));
                rolled += 1;
            }
        }
    }

    // Strict fit: nodes that get no pod because it cannot fit there.
    plan.stuck
        .extend(managed.blocked.iter().map(|&n| StuckReason::DoesNotFit {
            node: snapshot.nodes()[n].name.to_string(),
            reasons: decisions[n].reasons.clone(),
        }));

    // Relabel pods when duplicate current revisions were deduplicated.
    let relabel: Vec<Relabel> = if history
        .plan
        .delete
        .iter()
        .any(|d| d.reason == history::RevisionDeleteReason::Duplicate)
    {
        claim
            .per_node
            .iter()
            .chain(claim.missing.values().map(Vec::as_slice))
            .flatten()
            .filter(|&&i| pods[i].revision_hash() != Some(hash.as_str()))
            .map(|&i| Relabel {
                pod: PodRef {
                    namespace: pods[i].namespace.to_string(),
                    name: pods[i].name.clone(),
                },
                hash: hash.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };

    let live: Vec<&str> = claim
        .live_hash_ids
        .iter()
        .map(|&id| snapshot.hash_name(id))
        .collect();
    history::cleanup(ds, &mut history, &live);

    let node_names = snapshot.nodes();
    let mut batches = batch_of(creates.len());
    plan.creates = creates
        .iter()
        .map(|&(n, reason)| CreatePod {
            node: node_names[n].name.to_string(),
            reason,
            batch: batches.next().unwrap_or(0),
            revision_hash: hash.clone(),
            pin_with_node_name: options.pin_with_node_name,
        })
        .collect();
    plan.deletes = deletes
        .iter()
        .map(|&(i, reason)| DeletePod {
            pod: pods[i].name.clone(),
            namespace: pods[i].namespace.to_string(),
            node: pods[i].target_node().map(str::to_string),
            reason,
        })
        .collect();
    plan.adopt = claim.adopt.clone();
    plan.release = claim.release.clone();
    plan.relabel = relabel;
    plan.revisions = history.plan;
    plan.events = managed.events;
    if let Some(a) = availability_requeue(&ctx, &claim) {
        requeue = min_duration(requeue, a);
    }
    plan.requeue_after = requeue;
    plan.failed_pod_backoff = backoff;
    plan.write_status = status_changed(&plan.status, ds);
    plan.decisions = decisions;
    plan
}
