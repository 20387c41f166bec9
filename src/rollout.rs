//! The rolling-update step: maxUnavailable (delete first) and maxSurge (create first), with
//! pause, partition, canary selector and a deterministic node order.

use crate::options::NodeOrder;
use crate::plan::{CreateReason, DeleteReason, Plan, StuckReason, UnavailableNode, UpdateBudget};
use crate::pod_index::DELETING;
use crate::reconcile::{Claim, Context, PodSet};
use crate::selector::LabelSelector;
use crate::spec::{Flavor, IntOrPercent, RollingUpdate, UpdateStrategy};
use crate::taints::keys;

/// What the rolling-update step adds to the plan.
pub(crate) struct Step {
    pub budget: UpdateBudget,
    pub creates: Vec<(usize, CreateReason)>,
    pub deletes: Vec<(usize, DeleteReason)>,
    pub stuck: Vec<StuckReason>,
}

/// The oldest live pod of one kind on a node, and how many there are.
#[derive(Clone, Copy)]
struct Pods {
    /// The oldest pod (`u32::MAX`: none); 32 bits keep an entry small.
    oldest: u32,
    count: u32,
}

impl Default for Pods {
    fn default() -> Pods {
        Pods {
            oldest: u32::MAX,
            count: 0,
        }
    }
}

impl Pods {
    fn add(&mut self, pod: usize) {
        if self.oldest == u32::MAX {
            self.oldest = pod as u32;
        }
        self.count += 1;
    }

    /// The oldest pod, if any.
    fn first(&self) -> Option<usize> {
        (self.oldest != u32::MAX).then_some(self.oldest as usize)
    }
}

/// One node of the update map: a snapshot node, or a name the snapshot lacks.
struct Entry<'a> {
    node: Option<usize>,
    name: &'a str,
    /// Live pods (no deletionTimestamp, not deleted by manage in this plan), oldest first.
    new: Pods,
    old: Pods,
    /// manage() creates a pod here in this plan: a new pod that is not available yet.
    created: bool,
}

impl Entry<'_> {
    fn new_count(&self) -> usize {
        self.new.count as usize + usize::from(self.created)
    }
    fn has_old(&self) -> bool {
        self.old.count > 0
    }
    /// upstream: update.go findUpdatedPodsOnNode
    fn ok(&self) -> bool {
        self.new_count() <= 1 && self.old.count <= 1
    }
}

/// The resolved budget.
// upstream: update.go updatedDesiredNodeCounts; daemonset_util.go UnavailableCount, SurgeCount
pub(crate) fn budget(ru: &RollingUpdate, desired: i64) -> UpdateBudget {
    let mut max_unavailable = ru.max_unavailable.scaled(desired, true);
    let max_surge = ru.max_surge.scaled(desired, true);
    if desired > 0 && max_unavailable == 0 && max_surge == 0 {
        max_unavailable = 1;
    }
    UpdateBudget {
        max_surge,
        max_unavailable,
        desired_number_scheduled: desired,
    }
}

/// A one-line description of a stuck reason.
pub(crate) fn describe(reason: &StuckReason) -> String {
    match reason {
        StuckReason::BudgetExhausted {
            max_unavailable,
            unavailable,
        } => {
            let names: Vec<String> = unavailable
                .iter()
                .map(|u| {
                    let pod = u
                        .pod
                        .as_deref()
                        .map_or("no pod".to_string(), |p| format!("pod {p}"));
                    let nr = if u.node_not_ready {
                        ", node NotReady"
                    } else {
                        ""
                    };
                    format!("{} ({pod}{nr})", u.node)
                })
                .collect();
            format!(
                "maxUnavailable {max_unavailable} used up by {} unavailable node(s): {}",
                unavailable.len(),
                names.join(", ")
            )
        }
        StuckReason::SurgeExhausted { max_surge, waiting } => format!(
            "maxSurge {max_surge} used up by {} surge pod(s) not yet available: {}",
            waiting.len(),
            waiting.join(", ")
        ),
        StuckReason::SurgeHostPortDeadlock { node, port } => format!(
            "surge pod on {node} can never start: host port {port} is held by the old pod (kubernetes#106417)"
        ),
        StuckReason::SurgeInsufficientResource { node, resource } => {
            format!("surge pod on {node} does not fit: insufficient {resource} for a second pod")
        }
        StuckReason::Partitioned { node } => {
            format!("{node} is held on the old revision by the partition")
        }
        StuckReason::NotSelected { node } => format!("{node} does not match the rollout selector"),
        StuckReason::Paused => "the rollout is paused".to_string(),
        StuckReason::NodeMissing { node } => {
            format!("an old pod targets node {node}, which is not in the cluster")
        }
        StuckReason::DoesNotFit { node, reasons } => {
            let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            format!("the daemon pod does not fit on {node}: {}", why.join("; "))
        }
    }
}

fn node_not_ready(ctx: &Context<'_>, node: Option<usize>) -> bool {
    let Some(n) = node else { return true };
    let node = &ctx.snapshot.nodes()[n];
    node.ready_status().is_some_and(|s| s != "True")
        || node
            .taints
            .iter()
            .any(|t| t.key == keys::NOT_READY || t.key == keys::UNREACHABLE)
}

/// The rolling-update step on the snapshot as manage() leaves it: pods manage deletes are
/// gone, nodes manage creates on hold a new pod that is not available yet.
// upstream: update.go rollingUpdate
pub(crate) fn step(
    ctx: &Context<'_>,
    claim: &Claim,
    manage_creates: &[usize],
    deleted: &PodSet,
) -> Option<Step> {
    let UpdateStrategy::RollingUpdate(ru) = &ctx.ds.update_strategy else {
        return None;
    };
    let facts = ctx.snapshot.pod_index();
    let desired = ctx.decisions.iter().filter(|d| d.should_run).count() as i64;
    let budget = budget(ru, desired);
    let mut step = Step {
        budget,
        creates: Vec::new(),
        deletes: Vec::new(),
        stuck: Vec::new(),
    };
    // Pods manage deletes in this plan are gone; terminating pods stay in the map but are
    // neither new nor old (upstream: findUpdatedPodsOnNode skips them).
    let split = |list: &[usize]| -> (Pods, Pods) {
        let mut new = Pods::default();
        let mut old = Pods::default();
        for &i in list {
            if deleted.contains(i) || facts.flags(i) & DELETING != 0 {
                continue;
            }
            if ctx.is_updated(i) {
                new.add(i);
            } else {
                old.add(i);
            }
        }
        (new, old)
    };
    // Nothing to roll (the steady state): no pod that stays is of an older revision. Every
    // branch below acts, or reports being stuck, only because of such a pod, so the step is
    // empty. When every claimed pod carries the current hash the claim says so already;
    // otherwise one pass over the DaemonSet's pods finds out, instead of building and
    // ordering an entry per node.
    let all_current = !claim.unhashed
        && claim
            .live_hash_ids
            .iter()
            .all(|&id| ctx.is_current_hash(id));
    let old = |list: &[usize]| {
        list.iter()
            .any(|&i| !deleted.contains(i) && facts.flags(i) & DELETING == 0 && !ctx.is_updated(i))
    };
    if all_current
        || (!claim.per_node.iter().any(old) && !claim.missing.values().any(|list| old(list)))
    {
        return Some(step);
    }
    // A node is in the map when it should run the pod or still holds one after manage.
    let remains = |list: &[usize]| list.iter().any(|&i| !deleted.contains(i));
    let mut created = vec![false; ctx.snapshot.nodes().len()];
    for &n in manage_creates {
        created[n] = true;
    }
    let mut entries: Vec<Entry<'_>> = Vec::with_capacity(ctx.decisions.len());
    for (n, list) in claim.per_node.iter().enumerate() {
        if !ctx.decisions[n].should_run && !remains(list) {
            continue;
        }
        let (new, old) = split(list);
        entries.push(Entry {
            node: Some(n),
            name: ctx.snapshot.node_name(n),
            new,
            old,
            created: created[n],
        });
    }
    let kruise = ctx.ds.flavor == Flavor::Kruise;
    for (name, list) in &claim.missing {
        if !remains(list) {
            continue;
        }
        let (new, old) = split(list);
        entries.push(Entry {
            node: None,
            name,
            new,
            old,
            created: false,
        });
    }

    // Controls: OpenKruise manifests carry their own; apps/v1 ones come from Options.
    let controls = &ctx.options.rollout;
    let (paused, partition, selector): (bool, Option<i64>, Option<&LabelSelector>) = if kruise {
        let p = ru
            .partition
            .map(|p| p.scaled(ctx.ds.status.desired_number_scheduled, false));
        (ru.paused, p, ru.selector.as_ref())
    } else {
        let p = controls
            .partition
            .map(|p: IntOrPercent| p.scaled(desired, false));
        (controls.paused, p, controls.selector.as_ref())
    };

    order(ctx, &mut entries, kruise, &controls.order);

    if paused {
        if entries.iter().any(Entry::has_old) {
            step.stuck.push(StuckReason::Paused);
        }
        return Some(step);
    }

    let windowed = kruise || partition.is_some() || selector.is_some();
    let entries = if windowed {
        window(
            ctx,
            entries,
            partition.unwrap_or(0),
            selector,
            &mut step.stuck,
        )
    } else {
        entries
    };

    if budget.max_surge == 0 {
        max_unavailable_step(ctx, &entries, &mut step);
    } else {
        max_surge_step(ctx, &entries, desired, &mut step);
    }
    // Root causes first: what no waiting will fix, then the budget, then deliberate holds.
    step.stuck.sort_by_key(|s| match s {
        StuckReason::SurgeHostPortDeadlock { .. }
        | StuckReason::SurgeInsufficientResource { .. }
        | StuckReason::NodeMissing { .. } => 0,
        StuckReason::BudgetExhausted { .. } | StuckReason::SurgeExhausted { .. } => 1,
        _ => 2,
    });
    Some(step)
}

/// Why `kubectl rollout status` should say Blocked after this plan: something that waiting
/// does not clear (a pause, a pod that cannot fit, a host-port deadlock, a missing node), or
/// the plan moves nothing forward while something holds old pods back.
pub(crate) fn blocked(plan: &Plan) -> Option<String> {
    // Some reasons never clear by waiting: they block whatever else moves.
    let permanent = plan.stuck.iter().find(|s| {
        matches!(
            s,
            StuckReason::Paused
                | StuckReason::DoesNotFit { .. }
                | StuckReason::SurgeHostPortDeadlock { .. }
                | StuckReason::NodeMissing { .. }
        )
    });
    if let Some(reason) = permanent {
        return Some(describe(reason));
    }
    let moving = !plan.creates.is_empty()
        || plan.deletes.iter().any(|d| {
            !matches!(
                d.reason,
                DeleteReason::Failed | DeleteReason::Succeeded | DeleteReason::Duplicate
            )
        });
    if moving {
        return None;
    }
    plan.stuck.first().map(describe)
}

fn order(ctx: &Context<'_>, entries: &mut [Entry<'_>], kruise: bool, order: &NodeOrder) {
    if kruise {
        // OpenKruise walks node names in descending byte order (K14).
        entries.sort_by(|a, b| b.name.as_bytes().cmp(a.name.as_bytes()));
        return;
    }
    match order {
        // Snapshot nodes come in name order already; only pods on missing nodes need merging.
        NodeOrder::Name if entries.iter().any(|e| e.node.is_none()) => {
            entries.sort_by(|a, b| a.name.cmp(b.name))
        }
        NodeOrder::Name => {}
        NodeOrder::Label(key) => {
            let value = |e: &Entry<'_>| {
                e.node
                    .and_then(|n| ctx.snapshot.nodes()[n].labels.get(key).cloned())
            };
            entries.sort_by(|a, b| {
                let (va, vb) = (value(a), value(b));
                va.is_none()
                    .cmp(&vb.is_none())
                    .then_with(|| va.cmp(&vb))
                    .then_with(|| a.name.cmp(b.name))
            });
        }
    }
}

// upstream (OpenKruise): daemonset_update.go filterDaemonPodsToUpdate, filterDaemonPodsNodeToUpdate
fn window<'a>(
    ctx: &Context<'_>,
    entries: Vec<Entry<'a>>,
    partition: i64,
    selector: Option<&LabelSelector>,
    stuck: &mut Vec<StuckReason>,
) -> Vec<Entry<'a>> {
    let entries: Vec<Entry<'a>> = entries.into_iter().filter(|e| e.node.is_some()).collect();
    let total = entries.len() as i64;
    let mut updated = Vec::new();
    let mut updating = Vec::new();
    let mut chosen = Vec::new();
    for e in entries {
        if e.new_count() > 0 || !e.ok() {
            updated.push(e);
        } else if !e.has_old() {
            updating.push(e);
        } else {
            match selector {
                Some(sel) => {
                    let labels = &ctx.snapshot.nodes()[e.node.unwrap_or_default()].labels;
                    if sel.matches(labels) {
                        chosen.push(e);
                    } else {
                        stuck.push(StuckReason::NotSelected {
                            node: e.name.to_string(),
                        });
                    }
                }
                None => chosen.push(e),
            }
        }
    }
    let limit = (total - partition).max(0) as usize;
    let mut out: Vec<Entry<'a>> = updated.into_iter().chain(updating).chain(chosen).collect();
    if out.len() > limit {
        for e in out.drain(limit..) {
            if e.has_old() {
                stuck.push(StuckReason::Partitioned {
                    node: e.name.to_string(),
                });
            }
        }
    }
    out
}

// upstream: update.go rollingUpdate (maxSurge == 0 branch)
fn max_unavailable_step(ctx: &Context<'_>, entries: &[Entry<'_>], step: &mut Step) {
    let pods = ctx.snapshot.pods();
    let facts = ctx.snapshot.pod_index();
    let max_unavailable = step.budget.max_unavailable;
    let min_ready = ctx.ds.min_ready_seconds;
    let now = ctx.options.now;
    // (entry, pod) of every node counted unavailable; described only if the plan is stuck.
    let mut unavailable: Vec<(usize, Option<usize>)> = Vec::new();
    let mut allowed = Vec::new();
    let mut candidates = Vec::new();
    let mut skipped = 0usize;
    for (k, e) in entries.iter().enumerate() {
        let old = e.old.first();
        if !e.ok() {
            unavailable.push((k, old));
            continue;
        }
        match (e.new_count(), old) {
            (0, None) => unavailable.push((k, None)),
            (1.., Some(_)) => unavailable.push((k, old)),
            (_, None) => {
                let available = !e.created
                    && e.new
                        .first()
                        .is_some_and(|i| facts.is_available(i, min_ready, now));
                if !available {
                    unavailable.push((k, e.new.first()));
                }
            }
            (0, Some(old)) => {
                if !facts.is_available(old, min_ready, now) {
                    allowed.push(old);
                    unavailable.push((k, Some(old)));
                } else if unavailable.len() as i64 >= max_unavailable {
                    skipped += 1;
                } else {
                    candidates.push(old);
                }
            }
        }
    }
    let num_unavailable = unavailable.len() as i64;
    let room = (max_unavailable - num_unavailable).clamp(0, candidates.len() as i64) as usize;
    step.deletes
        .extend(allowed.iter().map(|&i| (i, DeleteReason::OldUnavailable)));
    step.deletes.extend(
        candidates[..room]
            .iter()
            .map(|&i| (i, DeleteReason::RollingUpdate)),
    );
    // Stuck only when no available old pod can go in this plan: while some go, the
    // rollout moves and the rest simply wait their turn.
    if room == 0 && skipped + candidates.len() > 0 {
        let unavailable = unavailable
            .into_iter()
            .map(|(k, pod)| UnavailableNode {
                node: entries[k].name.to_string(),
                pod: pod.map(|i| format!("{}/{}", pods[i].namespace, pods[i].name)),
                node_not_ready: node_not_ready(ctx, entries[k].node),
            })
            .collect();
        step.stuck.push(StuckReason::BudgetExhausted {
            max_unavailable,
            unavailable,
        });
    }
}

// upstream: update.go rollingUpdate (maxSurge > 0 branch)
fn max_surge_step(ctx: &Context<'_>, entries: &[Entry<'_>], desired: i64, step: &mut Step) {
    let facts = ctx.snapshot.pod_index();
    let max_surge = step.budget.max_surge;
    let min_ready = ctx.ds.min_ready_seconds;
    let now = ctx.options.now;
    let mut num_surge = 0i64;
    let mut num_available = 0i64;
    let mut allowed_new = Vec::new();
    // (entry, node) of old available pods that may get a surge pod.
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    let mut should_not_run = Vec::new();
    let mut old_to_delete = Vec::new();
    // Entries whose surge pod is not available yet; named only if the plan is stuck.
    let mut waiting: Vec<usize> = Vec::new();
    let mut skipped = 0usize;
    for (k, e) in entries.iter().enumerate() {
        if !e.ok() {
            num_surge += 1;
            waiting.push(k);
            continue;
        }
        let new = e.new.first();
        let new_available =
            !e.created && new.is_some_and(|i| facts.is_available(i, min_ready, now));
        if let Some(old) = e.old.first() {
            if facts.is_available(old, min_ready, now) {
                num_available += 1;
            }
        } else if new_available {
            num_available += 1;
        }
        let Some(old) = e.old.first() else { continue };
        if e.new_count() == 0 {
            let Some(n) = e.node else {
                // upstream returns an error for the whole step.
                step.stuck.push(StuckReason::NodeMissing {
                    node: e.name.to_string(),
                });
                step.creates.clear();
                step.deletes.clear();
                return;
            };
            let should_run = ctx.decisions[n].should_run;
            if !facts.is_available(old, min_ready, now) {
                if should_run {
                    allowed_new.push(n);
                } else {
                    old_to_delete.push((old, DeleteReason::NotEligible));
                }
            } else if !should_run {
                should_not_run.push(old);
            } else if num_surge >= max_surge {
                skipped += 1;
            } else {
                candidates.push((k, n));
            }
        } else if !new_available {
            num_surge += 1;
            waiting.push(k);
            surge_blockers(ctx, e, old, new, &mut step.stuck);
        } else {
            old_to_delete.push((old, DeleteReason::Superseded));
        }
    }
    let deletable = num_available - desired;
    if deletable > 0 {
        let k = (deletable as usize).min(should_not_run.len());
        old_to_delete.extend(
            should_not_run[..k]
                .iter()
                .map(|&i| (i, DeleteReason::Misscheduled)),
        );
    }
    let room = (max_surge - num_surge).clamp(0, candidates.len() as i64) as usize;
    step.creates.extend(
        allowed_new
            .iter()
            .map(|&n| (n, CreateReason::ReplaceUnavailable)),
    );
    for &(k, n) in &candidates[..room] {
        step.creates.push((n, CreateReason::Surge));
        // A surge pod started in this plan that can never run is worth saying now.
        let e = &entries[k];
        if let Some(old) = e.old.first() {
            surge_blockers(ctx, e, old, None, &mut step.stuck);
        }
    }
    step.deletes.extend(old_to_delete);
    if room == 0 && skipped + candidates.len() > 0 {
        let waiting = waiting
            .into_iter()
            .map(|k| entries[k].name.to_string())
            .collect();
        step.stuck
            .push(StuckReason::SurgeExhausted { max_surge, waiting });
    }
}

/// Why a surge pod beside `old` on this node may never become available.
fn surge_blockers(
    ctx: &Context<'_>,
    e: &Entry<'_>,
    old: usize,
    new: Option<usize>,
    stuck: &mut Vec<StuckReason>,
) {
    let Some(n) = e.node else { return };
    // A new pod the scheduler already bound has found its ports and room.
    if new.is_some_and(|i| ctx.snapshot.pods()[i].node_name.is_some()) {
        return;
    }
    let old_ports = ctx.snapshot.pods()[old].host_ports();
    if let Some(hp) = ctx
        .ds
        .compiled
        .host_ports
        .iter()
        .find(|hp| old_ports.iter().any(|o| o.conflicts_with(hp)))
    {
        stuck.push(StuckReason::SurgeHostPortDeadlock {
            node: e.name.to_string(),
            port: hp.port,
        });
        return;
    }
    let node = &ctx.snapshot.nodes()[n];
    if node.allocatable.is_empty() {
        return;
    }
    let usage = ctx.snapshot.usage(n);
    for (res, requested) in &ctx.ds.compiled.requests {
        let alloc = node.allocatable.get(res).copied().unwrap_or_default();
        let used = ctx.snapshot.requested(n, res).unwrap_or_default();
        let free = alloc.saturating_sub(used);
        if !requested.is_zero() && *requested > free {
            stuck.push(StuckReason::SurgeInsufficientResource {
                node: e.name.to_string(),
                resource: res.to_string(),
            });
            return;
        }
    }
    if let Some(allowed) = node.allocatable.get("pods")
        && i128::from(usage.pod_count) + 1 > allowed.units_ceil()
    {
        stuck.push(StuckReason::SurgeInsufficientResource {
            node: e.name.to_string(),
            resource: "pods".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru(max_unavailable: IntOrPercent, max_surge: IntOrPercent) -> RollingUpdate {
        RollingUpdate {
            max_unavailable,
            max_surge,
            partition: None,
            paused: false,
            selector: None,
        }
    }

    fn resolved(b: UpdateBudget) -> (i64, i64, i64) {
        (b.max_surge, b.max_unavailable, b.desired_number_scheduled)
    }

    // upstream: TestGetUnavailableNumbers, the cases validation keeps out of the public API.
    #[test]
    fn both_zero_falls_back_to_one_unavailable() {
        use IntOrPercent::{Int, Percent};
        // No nodes: no fallback.
        assert_eq!(resolved(budget(&ru(Int(0), Int(0)), 0)), (0, 0, 0));
        // Two nodes, one without pods; and the same with surge 0.
        assert_eq!(resolved(budget(&ru(Int(0), Int(0)), 2)), (0, 1, 2));
        assert_eq!(resolved(budget(&ru(Percent(0), Percent(0)), 2)), (0, 1, 2));
        // Not when either is positive.
        assert_eq!(resolved(budget(&ru(Int(0), Percent(1)), 2)), (1, 0, 2));
        assert_eq!(resolved(budget(&ru(Percent(1), Int(0)), 2)), (0, 1, 2));
    }
}
