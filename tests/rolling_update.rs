//! RollingUpdate with maxUnavailable (delete first), OnDelete, and the "updated" check.
//!
//! The multi-step tests restate upstream's update_test.go. One upstream sync is one plan: manage
//! and the rolling step on the same snapshot. Between steps the cluster is carried forward as
//! upstream's fake pod control does (created pods appear unready, deleted pods vanish), and
//! readiness is changed explicitly where upstream calls markPodsReady. Where upstream picks
//! nodes in Go map order only counts are asserted here; the exact nodes our documented order
//! picks are asserted in `documented_order_*` tests.

mod rollout_support;

use daemonset_planner::{
    CreateReason, DeleteReason, IntOrPercent, RolloutStatus, StuckReason, UpdateStrategy,
};
use rollout_support::*;

/// Five nodes each running an old (v1) pod created and Ready at t=0.
fn five_old_ready() -> (Cluster, String) {
    let v1 = foo("foo/bar", ON_DELETE);
    let mut c = Cluster::with_nodes(5);
    // upstream step 0: OnDelete creates one pod per node.
    let p = c.plan(&v1, 0);
    expect(&p, 5, 0);
    assert!(
        p.creates()
            .iter()
            .all(|c| c.reason == CreateReason::Missing)
    );
    assert_eq!(p.revision_hash(), v1.revision_hash());
    c.apply(&p, 0);
    c.mark_all_ready(0);
    (c, v1.revision_hash().to_string())
}

// upstream: TestDaemonSetUpdatesPods
#[test]
fn updates_pods_within_max_unavailable() {
    let (mut c, h1) = five_old_ready();
    let v2 = foo("foo2/bar2", &unavailable("2"));
    let h2 = v2.revision_hash().to_string();
    assert_ne!(h1, h2);

    let p = c.plan(&v2, 10);
    expect(&p, 0, 2); // map order upstream: count only
    assert!(
        p.deletes()
            .iter()
            .all(|d| d.reason == DeleteReason::RollingUpdate)
    );
    c.apply(&p, 10);

    // Two empty nodes: manage creates 2; in the same sync they count as unavailable.
    let p = c.plan(&v2, 20);
    expect(&p, 2, 0);
    assert!(p.creates().iter().all(|c| c.revision_hash == h2));
    c.apply(&p, 20);
    c.mark_all_ready(20);

    let p = c.plan(&v2, 30);
    expect(&p, 0, 2);
    c.apply(&p, 30);
    let p = c.plan(&v2, 40);
    expect(&p, 2, 0);
    c.apply(&p, 40);
    c.mark_all_ready(40);

    // One old pod left, budget 2: only one candidate.
    let p = c.plan(&v2, 50);
    expect(&p, 0, 1);
    c.apply(&p, 50);
    let p = c.plan(&v2, 60);
    expect(&p, 1, 0);
    c.apply(&p, 60);
    c.mark_all_ready(60);

    let p = c.plan(&v2, 70);
    expect(&p, 0, 0);
    assert_eq!(c.count_hash(&h2), 5);
    assert!(p.rollout_status().is_done(), "{:?}", p.rollout_status());
}

// upstream: TestDaemonSetUpdatesWhenNewPosIsNotReady
#[test]
fn new_pods_not_ready_hold_the_rollout() {
    let (mut c, _) = five_old_ready();
    let v2 = foo("foo2/bar2", &unavailable("3"));
    let p = c.plan(&v2, 10);
    expect(&p, 0, 3);
    c.apply(&p, 10);
    let p = c.plan(&v2, 20);
    expect(&p, 3, 0);
    c.apply(&p, 20);
    // The new pods never become ready: 3 unavailable = maxUnavailable, the 2 old pods wait.
    let p = c.plan(&v2, 30);
    expect(&p, 0, 0);
    assert_eq!(c.count_hash(v2.revision_hash()), 3);
}

// upstream: TestDaemonSetUpdatesSomeOldPodsNotReady
#[test]
fn unavailable_old_pods_are_replaced_outside_the_budget() {
    let (mut c, h1) = five_old_ready();
    let v2 = foo("foo2/bar2", &unavailable("2"));
    let p = c.plan(&v2, 10);
    expect(&p, 0, 2);
    c.apply(&p, 10);
    let p = c.plan(&v2, 20);
    expect(&p, 2, 0);
    c.apply(&p, 20);
    let p = c.plan(&v2, 30);
    expect(&p, 0, 0);

    // A third template: the two unready v2 pods are now old and unavailable.
    let v3 = foo("foo2/bar3", &unavailable("2"));
    let h2 = v2.revision_hash().to_string();
    let unready_v2: Vec<String> = c
        .pods
        .iter()
        .filter(|p| p.revision_hash() == Some(&h2))
        .map(|p| p.name.clone())
        .collect();
    let p = c.plan(&v3, 40);
    expect(&p, 0, 2);
    let mut deleted = deleted_pods(&p);
    deleted.sort();
    assert_eq!(deleted, unready_v2, "exactly the unavailable old pods go");
    assert!(
        p.deletes()
            .iter()
            .all(|d| d.reason == DeleteReason::OldUnavailable)
    );
    c.apply(&p, 40);
    let p = c.plan(&v3, 50);
    expect(&p, 2, 0);
    c.apply(&p, 50);
    let p = c.plan(&v3, 60);
    expect(&p, 0, 0);
    assert_eq!(c.count_ready(), 3, "5 - maxUnavailable pods stay ready");
    assert_eq!(c.count_hash(&h1), 3);
}

// upstream: TestDaemonSetUpdatesSaveOldHealthyPods (upstream draws maxUnavailable with
// rand.Intn(10); we walk a fixed sequence; 0 is left out because apps/v1 validation rejects
// maxUnavailable 0 without maxSurge, and upstream resolves it to 1 anyway)
#[test]
fn repeated_broken_updates_keep_the_healthy_old_pods() {
    let v1 = foo("foo/bar", ON_DELETE);
    let mut c = Cluster::with_nodes(20);
    let p = c.plan(&v1, 0);
    expect(&p, 20, 0);
    c.apply(&p, 0);
    c.mark_all_ready(0);

    let v2 = foo("foo2/bar2", &unavailable("10"));
    let p = c.plan(&v2, 10);
    expect(&p, 0, 10);
    c.apply(&p, 10);
    let p = c.plan(&v2, 20);
    expect(&p, 10, 0);
    c.apply(&p, 20);
    let p = c.plan(&v2, 30);
    expect(&p, 0, 0);
    let healthy: Vec<String> = c
        .pods
        .iter()
        .filter(|p| p.is_ready())
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(healthy.len(), 10);

    let mut t = 40;
    for (i, max) in [3, 9, 1, 7, 5, 2, 8, 4, 6, 9].into_iter().enumerate() {
        let v = foo(&format!("foo/bar-{i}"), &unavailable(&max.to_string()));
        let p = c.plan(&v, t);
        expect(&p, 0, 10); // the 10 unready pods, outside the budget
        assert!(
            p.deletes()
                .iter()
                .all(|d| d.reason == DeleteReason::OldUnavailable)
        );
        c.apply(&p, t);
        let p = c.plan(&v, t + 1);
        expect(&p, 10, 0);
        c.apply(&p, t + 1);
        let p = c.plan(&v, t + 2);
        expect(&p, 0, 0);
        for name in &healthy {
            let pod = c.pods.iter().find(|p| &p.name == name);
            assert!(pod.is_some_and(|p| p.is_ready()), "{name} kept and ready");
        }
        t += 10;
    }

    let v = foo("foo/bar-last", &unavailable("11"));
    let p = c.plan(&v, t);
    expect(&p, 0, 11); // 10 unready + 1 ready (budget 11 - 10)
    let reasons: Vec<DeleteReason> = p.deletes().iter().map(|d| d.reason).collect();
    assert_eq!(
        reasons
            .iter()
            .filter(|r| **r == DeleteReason::RollingUpdate)
            .count(),
        1
    );
    c.apply(&p, t);
    let p = c.plan(&v, t + 1);
    expect(&p, 11, 0);
    c.apply(&p, t + 1);
    let p = c.plan(&v, t + 2);
    expect(&p, 0, 0);
    assert_eq!(c.count_ready(), 9);
}

// upstream: TestDaemonSetUpdatesAllOldNotReadyPodsAndNewNotReadyPods
#[test]
fn unavailable_old_pods_go_even_when_new_pods_are_unavailable() {
    let v1 = foo("foo/bar", ON_DELETE);
    let mut c = Cluster::with_nodes(100);
    let p = c.plan(&v1, 0);
    expect(&p, 100, 0);
    c.apply(&p, 0);
    c.mark_all_ready(0);
    let h1 = v1.revision_hash().to_string();

    let v2 = foo("foo2/bar2", &unavailable("10"));
    let h2 = v2.revision_hash().to_string();
    let mut t = 10;
    for _ in 0..10 {
        let p = c.plan(&v2, t);
        expect(&p, 0, 10);
        c.apply(&p, t);
        let p = c.plan(&v2, t + 1);
        expect(&p, 10, 0);
        c.apply(&p, t + 1);
        c.mark_all_ready(t + 1);
        t += 10;
    }
    let p = c.plan(&v2, t);
    expect(&p, 0, 0);
    assert_eq!(c.count_hash(&h2), 100);

    // Rewrite the store: 10 old ready, 2 old not ready (U), 88 new not ready.
    let mut names: Vec<String> = c.pods.iter().map(|p| p.name.clone()).collect();
    names.sort();
    let mut u = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let pod = c.pod_mut(name);
        if i >= 10 {
            set_ready(pod, Ready::No);
        }
        if i < 12 {
            pod.labels
                .insert("controller-revision-hash".into(), h1.as_str().into());
        }
        if (10..12).contains(&i) {
            u.push(name.clone());
        }
    }
    let p = c.plan(&v2, t + 1);
    expect(&p, 0, 2);
    let mut deleted = deleted_pods(&p);
    deleted.sort();
    assert_eq!(deleted, u);
    c.apply(&p, t + 1);
    let p = c.plan(&v2, t + 2);
    expect(&p, 2, 0);
    c.apply(&p, t + 2);
    let p = c.plan(&v2, t + 3);
    expect(&p, 0, 0);
    assert!(c.pods.iter().all(|p| !u.contains(&p.name)));
}

// upstream: TestDaemonSetUpdatesAllOldPodsNotReady; the behaviour of kubernetes#123232
#[test]
fn all_unavailable_old_pods_are_deleted_regardless_of_budget() {
    let v1 = foo("foo/bar", ON_DELETE);
    let mut c = Cluster::with_nodes(5);
    let p = c.plan(&v1, 0);
    expect(&p, 5, 0);
    c.apply(&p, 0); // never marked ready

    let v2 = foo("foo2/bar2", &unavailable("3"));
    let p = c.plan(&v2, 10);
    expect(&p, 0, 5);
    assert!(
        p.deletes()
            .iter()
            .all(|d| d.reason == DeleteReason::OldUnavailable)
    );
    assert!(p.stuck().is_empty(), "{:?}", p.stuck());
    c.apply(&p, 10);
    let p = c.plan(&v2, 20);
    expect(&p, 5, 0);
    c.apply(&p, 20);
    let p = c.plan(&v2, 30);
    expect(&p, 0, 0);
    assert_eq!(c.count_hash(v2.revision_hash()), 5);
}

// upstream: TestDaemonSetUpdatesNoTemplateChanged
#[test]
fn strategy_change_alone_updates_nothing() {
    let v1 = foo("foo/bar", ON_DELETE);
    let mut c = Cluster::with_nodes(5);
    let p = c.plan(&v1, 0);
    expect(&p, 5, 0);
    c.apply(&p, 0); // not ready

    let rolling = foo("foo/bar", &unavailable("3"));
    assert_eq!(rolling.revision_hash(), v1.revision_hash());
    let p = c.plan(&rolling, 10);
    expect(&p, 0, 0);
    assert_eq!(p.status().updated_number_scheduled, 5);
}

#[track_caller]
fn budget_of(strategy: &str, c: &Cluster) -> (i64, i64, i64) {
    let ds = foo("foo/bar", strategy);
    let p = c.plan(&ds, 0);
    let b = p.budget().expect("RollingUpdate has a budget");
    (b.max_surge, b.max_unavailable, b.desired_number_scheduled)
}

// upstream: TestGetUnavailableNumbers. The three cases with maxUnavailable 0 and no surge
// (No nodes; Two nodes, one node without pods; ... surge 0) are apps/v1-invalid manifests
// (see `both_zero_is_rejected_by_validation`); the fallback itself is unit-tested in
// src/rollout.rs.
#[test]
fn budget_table() {
    // No nodes: a percentage of 0 desired is 0, and no fallback applies.
    let empty = Cluster::with_nodes(0);
    assert_eq!(budget_of(&unavailable("\"50%\""), &empty), (0, 0, 0));
    assert_eq!(budget_of(&surge("\"50%\""), &empty), (0, 0, 0));

    let mut two = Cluster::with_nodes(2);
    two.pod("node-0", "x", Ready::Since(0), 0);
    two.pod("node-1", "x", Ready::Since(0), 0);
    // Two nodes with ready pods.
    assert_eq!(budget_of(&unavailable("1"), &two), (0, 1, 2));
    // MaxUnavailable in percents: ceil(50% of 2).
    assert_eq!(budget_of(&unavailable("\"50%\""), &two), (0, 1, 2));
    // ... surge.
    assert_eq!(budget_of(&surge("\"50%\""), &two), (1, 0, 2));
    // ... 100% surge.
    assert_eq!(budget_of(&surge("\"100%\""), &two), (2, 0, 2));

    // Two nodes, one without pods: the empty node still counts as desired.
    let mut one_empty = Cluster::with_nodes(2);
    one_empty.pod("node-0", "x", Ready::Since(0), 0);
    assert_eq!(budget_of(&unavailable("1"), &one_empty), (0, 1, 2));

    // Three nodes, node-1's pod terminating, node-2 without pods: ceil(1.5) = 2.
    let mut three = Cluster::with_nodes(3);
    three.pod("node-0", "x", Ready::Since(0), 0);
    let name = three.pod("node-1", "x", Ready::Since(0), 0);
    three.pod_mut(&name).deletion_timestamp = Some(at(5));
    assert_eq!(budget_of(&unavailable("\"50%\""), &three), (0, 2, 3));

    // Percentages round up, both of them; integers are not clamped to desired.
    let three_nodes = Cluster::with_nodes(3);
    assert_eq!(budget_of(&unavailable("\"1%\""), &three_nodes), (0, 1, 3));
    assert_eq!(budget_of(&surge("\"34%\""), &three_nodes), (2, 0, 3));
    assert_eq!(budget_of(&unavailable("\"100%\""), &three_nodes), (0, 3, 3));
    assert_eq!(budget_of(&unavailable("7"), &three_nodes), (0, 7, 3));
    assert_eq!(budget_of(&surge("5"), &three_nodes), (5, 0, 3));

    // Desired counts only nodes that should run the pod.
    let mut partly = Cluster::with_nodes(4);
    partly.nodes[3].unschedulable = true; // daemon pods tolerate unschedulable: still desired
    partly.nodes[2].taints.push(daemonset_planner::Taint::new(
        "dedicated",
        "x",
        daemonset_planner::TaintEffect::NoSchedule,
    ));
    assert_eq!(budget_of(&unavailable("\"50%\""), &partly), (0, 2, 3));

    // OnDelete has no budget.
    let ds = foo("foo/bar", ON_DELETE);
    assert!(two.plan(&ds, 0).budget().is_none());
}

#[test]
fn both_zero_is_rejected_by_validation() {
    for strategy in [
        "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0}}",
        "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 0}}",
        "{type: RollingUpdate, rollingUpdate: {maxUnavailable: \"0%\", maxSurge: \"0%\"}}",
    ] {
        let yaml = format!(
            r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: foo}}
spec:
  selector: {{matchLabels: {{app: foo}}}}
  updateStrategy: {strategy}
  template:
    metadata: {{labels: {{app: foo}}}}
    spec: {{containers: [{{name: foo, image: foo}}]}}
"#
        );
        let err = daemonset_planner::DaemonSet::from_yaml(&yaml).unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
            "{strategy}"
        );
    }
}

#[test]
fn parsed_strategy_keeps_percentages() {
    let ds = foo("foo/bar", &unavailable("\"25%\""));
    match ds.update_strategy() {
        UpdateStrategy::RollingUpdate(ru) => {
            assert_eq!(ru.max_unavailable, IntOrPercent::Percent(25));
            assert_eq!(ru.max_surge, IntOrPercent::Int(0));
        }
        other => panic!("{other:?}"),
    }
}

// R41, R46: a node that needs a pod, or holds only a terminating one, uses the budget.
#[test]
fn nodes_needing_a_pod_count_as_unavailable() {
    let v1 = foo("foo/bar", ON_DELETE);
    let h1 = v1.revision_hash().to_string();
    let v2 = foo("foo2/bar2", &unavailable("1"));
    let mut c = Cluster::with_nodes(3);
    c.pod("node-0", &h1, Ready::Since(0), 0);
    c.pod("node-1", &h1, Ready::Since(0), 0);
    // node-2 has no pod: manage creates one, and it uses the single unit of budget.
    let p = c.plan(&v2, 10);
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-2"]);
    assert_eq!(p.creates()[0].revision_hash, v2.revision_hash());

    // node-2 holds only a terminating pod: no create (manage waits), still unavailable.
    let mut c = Cluster::with_nodes(3);
    c.pod("node-0", &h1, Ready::Since(0), 0);
    c.pod("node-1", &h1, Ready::Since(0), 0);
    let t = c.pod("node-2", &h1, Ready::Since(0), 0);
    c.pod_mut(&t).deletion_timestamp = Some(at(5));
    let p = c.plan(&v2, 10);
    expect(&p, 0, 0);

    // With budget 2 one old pod goes.
    let v2b = foo("foo2/bar2", &unavailable("2"));
    let p = c.plan(&v2b, 10);
    expect(&p, 0, 1);
}

// A node no longer eligible whose pod manage deletes in this plan is gone from the rolling
// step's view: it must not use the budget (upstream's harness removes the deleted pod).
#[test]
fn pods_deleted_by_manage_do_not_use_the_budget() {
    let v1 = foo("foo/bar", ON_DELETE);
    let h1 = v1.revision_hash().to_string();
    let v2 = foo("foo2/bar2", &unavailable("1"));
    let mut c = Cluster::with_nodes(3);
    c.pod("node-0", &h1, Ready::Since(0), 0);
    c.pod("node-1", &h1, Ready::Since(0), 0);
    let gone = c.pod("node-2", &h1, Ready::Since(0), 0);
    // node-2 becomes ineligible: a NoExecute taint the pod does not tolerate.
    c.nodes[2].taints.push(daemonset_planner::Taint::new(
        "dedicated",
        "x",
        daemonset_planner::TaintEffect::NoExecute,
    ));
    let p = c.plan(&v2, 10);
    assert_no_duplicates(&p);
    let reasons: Vec<(String, DeleteReason)> = p
        .deletes()
        .iter()
        .map(|d| (d.pod.clone(), d.reason))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0], (gone, DeleteReason::NotEligible));
    assert_eq!(reasons[1].1, DeleteReason::RollingUpdate);
}

// R45: OnDelete replaces nothing for being old; new pods get the current template.
#[test]
fn on_delete_replaces_only_what_disappears() {
    let v1 = foo("foo/bar", ON_DELETE);
    let h1 = v1.revision_hash().to_string();
    let v2 = foo("foo2/bar2", ON_DELETE);
    let mut c = Cluster::with_nodes(4);
    c.pod("node-0", &h1, Ready::Since(0), 0);
    c.pod("node-1", &h1, Ready::No, 0); // unavailable, still not replaced
    let failed = c.pod("node-2", &h1, Ready::No, 0);
    c.pod_mut(&failed).phase = daemonset_planner::PodPhase::Failed;
    // node-3 has no pod (deleted by hand).
    let p = c.plan(&v2, 10);
    assert_no_duplicates(&p);
    assert!(p.budget().is_none());
    assert_eq!(created_nodes(&p), ["node-3"]);
    assert_eq!(p.creates()[0].revision_hash, v2.revision_hash());
    assert_eq!(p.revision_hash(), v2.revision_hash());
    assert_eq!(deleted_pods(&p), [failed]);
    assert_eq!(p.deletes()[0].reason, DeleteReason::Failed);
    assert!(p.stuck().is_empty());
    assert_eq!(
        p.rollout_status(),
        &RolloutStatus::Unsupported {
            message: "rollout status is only available for RollingUpdate strategy type".into()
        }
    );
    // The rendered pod carries the current template.
    let pod = p.creates()[0].render(&v2);
    assert_eq!(pod["spec"]["containers"][0]["image"], "foo2/bar2");
    assert_eq!(
        pod["metadata"]["labels"]["controller-revision-hash"],
        v2.revision_hash()
    );
}

// R37, upstream TestIsPodUpdated: updated by hash, or by pod-template-generation.
#[test]
fn updated_by_hash_or_template_generation() {
    let yaml = |image: &str, generation: i64| {
        format!(
            r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: foo
  namespace: default
  uid: {UID}
  annotations: {{deprecated.daemonset.template.generation: "{generation}"}}
spec:
  selector: {{matchLabels: {{app: foo}}}}
  updateStrategy: {{type: RollingUpdate, rollingUpdate: {{maxUnavailable: 3}}}}
  template:
    metadata: {{labels: {{app: foo}}}}
    spec: {{containers: [{{name: foo, image: "{image}"}}]}}
"#
        )
    };
    let ds = rollout_support::ds(&yaml("foo2/bar2", 7));
    assert_eq!(ds.template_generation(), Some(7));
    let mut c = Cluster::with_nodes(4);
    // node-0: current hash, generation label of an older template: updated.
    let a = c.pod("node-0", ds.revision_hash(), Ready::Since(0), 0);
    c.pod_mut(&a)
        .labels
        .insert("pod-template-generation".into(), "6".into());
    // node-1: stale hash (e.g. written by another hash function), generation 7: updated.
    let b = c.pod("node-1", "55555", Ready::Since(0), 0);
    c.pod_mut(&b)
        .labels
        .insert("pod-template-generation".into(), "7".into());
    // node-2: neither matches: old.
    let old = c.pod("node-2", "55555", Ready::Since(0), 0);
    c.pod_mut(&old)
        .labels
        .insert("pod-template-generation".into(), "6".into());
    // node-3: no labels beyond the app label: old.
    let bare = c.pod("node-3", "x", Ready::Since(0), 0);
    c.pod_mut(&bare).labels.remove("controller-revision-hash");

    let p = c.plan(&ds, 10);
    let mut deleted = deleted_pods(&p);
    deleted.sort();
    assert_eq!(deleted, [old, bare]);
    assert_eq!(p.status().updated_number_scheduled, 2);
    // Created pods carry both labels.
    let p = Cluster::with_nodes(1).plan(&ds, 0);
    let pod = p.creates()[0].render(&ds);
    assert_eq!(pod["metadata"]["labels"]["pod-template-generation"], "7");
    // A DaemonSet without the annotation recognises only the hash.
    let no_gen = foo("foo2/bar2", &unavailable("3"));
    assert_eq!(no_gen.template_generation(), None);
    let p = c.plan(&no_gen, 10);
    assert_eq!(p.status().updated_number_scheduled, 1);
}

// Our documented order (not upstream's, which is Go map order): candidates are taken by node
// name, so the upstream steps above pick exactly these nodes.
#[test]
fn documented_order_by_node_name() {
    let (mut c, h1) = five_old_ready();
    let v2 = foo("foo2/bar2", &unavailable("2"));
    let p = c.plan(&v2, 10);
    assert_eq!(deleted_nodes(&p), ["node-0", "node-1"]);
    c.apply(&p, 10);
    let p = c.plan(&v2, 20);
    assert_eq!(created_nodes(&p), ["node-0", "node-1"]);
    c.apply(&p, 20);
    c.mark_all_ready(20);
    let p = c.plan(&v2, 30);
    assert_eq!(deleted_nodes(&p), ["node-2", "node-3"]);
    c.apply(&p, 30);
    let p = c.plan(&v2, 40);
    c.apply(&p, 40);
    c.mark_all_ready(40);
    let p = c.plan(&v2, 50);
    assert_eq!(deleted_nodes(&p), ["node-4"]);

    // Names sort as strings: node-10 comes before node-2.
    let mut c = Cluster::with_nodes(0);
    for n in ["node-2", "node-10", "node-1", "node-11"] {
        c.nodes.push(node(n));
        c.pod(n, &h1, Ready::Since(0), 0);
    }
    let v2 = foo("foo2/bar2", &unavailable("3"));
    let p = c.plan(&v2, 10);
    assert_eq!(deleted_nodes(&p), ["node-1", "node-10", "node-11"]);

    // Listing order of the input does not matter.
    let mut shuffled = c.clone();
    shuffled.nodes.reverse();
    shuffled.pods.reverse();
    let q = shuffled.plan(&v2, 10);
    assert_eq!(deleted_pods(&p), deleted_pods(&q));
}

// The unavailable-first rule: unavailable old pods go first, then available candidates in order.
#[test]
fn delete_order_puts_unavailable_old_pods_first() {
    let v1 = foo("foo/bar", ON_DELETE);
    let h1 = v1.revision_hash().to_string();
    let v2 = foo("foo2/bar2", &unavailable("2"));
    let mut c = Cluster::with_nodes(4);
    c.pod("node-0", &h1, Ready::Since(0), 0);
    c.pod("node-1", &h1, Ready::Since(0), 0);
    c.pod("node-2", &h1, Ready::Since(0), 0);
    let sick = c.pod("node-3", &h1, Ready::No, 0);
    let p = c.plan(&v2, 10);
    let got: Vec<(String, DeleteReason)> = p
        .deletes()
        .iter()
        .map(|d| (d.node.clone().unwrap(), d.reason))
        .collect();
    assert_eq!(
        got,
        [
            ("node-3".to_string(), DeleteReason::OldUnavailable),
            ("node-0".to_string(), DeleteReason::RollingUpdate),
        ]
    );
    assert_eq!(p.deletes()[0].pod, sick);
    // Pods go in this plan, so nothing is stuck yet.
    assert!(p.stuck().is_empty(), "{:?}", p.stuck());
    c.apply(&p, 10);
    // Next plan: node-0 and node-3 get their new pods, which use the whole budget.
    let p = c.plan(&v2, 20);
    assert_eq!(created_nodes(&p), ["node-0", "node-3"]);
    match p.stuck() {
        [
            StuckReason::BudgetExhausted {
                max_unavailable,
                unavailable,
            },
        ] => {
            assert_eq!(*max_unavailable, 2);
            let nodes: Vec<&str> = unavailable.iter().map(|u| u.node.as_str()).collect();
            assert_eq!(nodes, ["node-0", "node-3"]);
            assert!(
                unavailable
                    .iter()
                    .all(|u| u.pod.is_none() && !u.node_not_ready)
            );
        }
        other => panic!("{other:?}"),
    }
}

// minReadySeconds: a new pod Ready for less than minReadySeconds is not yet available.
#[test]
fn min_ready_seconds_delays_the_next_deletion() {
    let v1 = foo("foo/bar", ON_DELETE);
    let h1 = v1.revision_hash().to_string();
    let v2 = foo_with("foo2/bar2", &unavailable("1"), "  minReadySeconds: 30\n");
    let h2 = v2.revision_hash().to_string();
    let mut c = Cluster::with_nodes(2);
    c.pod("node-0", &h2, Ready::Since(100), 90);
    c.pod("node-1", &h1, Ready::Since(0), 0);
    expect(&c.plan(&v2, 129), 0, 0);
    let p = c.plan(&v2, 130);
    expect(&p, 0, 1);
    assert_eq!(deleted_nodes(&p), ["node-1"]);
}

// The steady state is decided without walking the nodes when every claimed pod carries the
// current hash; any exception must still reach the full step.
#[test]
fn steady_state_shortcut_still_sees_every_old_pod() {
    let ds = foo("foo2/bar2", &unavailable("2"));
    let current = ds.revision_hash().to_string();
    let steady = || {
        let mut c = Cluster::with_nodes(4);
        for n in 0..4 {
            c.pod(&format!("node-{n}"), &current, Ready::Since(0), 0);
        }
        c
    };

    // All current: nothing to do, nothing stuck, even when paused.
    let c = steady();
    let p = c.plan(&ds, 10);
    expect(&p, 0, 0);
    assert!(p.stuck().is_empty());
    let mut paused = options(10);
    paused.rollout.paused = true;
    let p = daemonset_planner::plan(&ds, &c.snapshot(), &paused);
    assert!(p.stuck().is_empty(), "{:?}", p.stuck());

    // One pod without a revision hash is old: the rolling step deletes it.
    let mut c = steady();
    let bare = c.pods_on("node-2")[0].name.clone();
    c.pod_mut(&bare).labels.remove("controller-revision-hash");
    let p = c.plan(&ds, 10);
    assert_eq!(deleted_pods(&p), std::slice::from_ref(&bare));
    assert!(
        p.deletes()
            .iter()
            .all(|d| d.reason == DeleteReason::RollingUpdate)
    );
    // ... and paused, it is held with a reason.
    let p = daemonset_planner::plan(&ds, &c.snapshot(), &paused);
    expect(&p, 0, 0);
    assert!(p.stuck().contains(&StuckReason::Paused));

    // An old pod already terminating is neither new nor old: nothing more to do.
    let mut c = steady();
    let extra = c.pod("node-1", "55555", Ready::Since(0), 0);
    c.pod_mut(&extra).deletion_timestamp = Some(at(5));
    let p = c.plan(&ds, 10);
    expect(&p, 0, 0);
    assert!(p.stuck().is_empty());

    // An old pod beside a current one on a node is deleted.
    let mut c = steady();
    let old = c.pod("node-3", "55555", Ready::Since(0), 1);
    let p = c.plan(&ds, 10);
    assert_eq!(deleted_pods(&p), [old]);
}
