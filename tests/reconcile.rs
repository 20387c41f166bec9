//! manage(): which pods are ours, creations and deletions per node, failed-pod backoff,
//! slow-start batches and the burst cap. Upstream's manage tests restated as scenarios.
//!
//! Upstream's fake pod control leaves pods the test put in the store in place when they are
//! "deleted", so its RollingUpdate variants skip the rolling-update step and expect the same
//! numbers as OnDelete. Our plan computes manage and the rolling-update step together from one
//! snapshot; in these scenarios every pod runs the current template, so the step adds nothing
//! and the numbers are the same too.

mod common;

use common::*;
use daemonset_planner::{
    CreateReason, DeleteReason, FAILED_POD_BACKOFF_INITIAL, FAILED_POD_BACKOFF_MAX,
    FailedPodBackoff, Options, Plan, Snapshot, Timestamp, plan,
};
use serde_json::json;
use std::time::Duration;

#[track_caller]
fn assert_deletes(plan: &Plan, expected: &[(&str, DeleteReason)]) {
    let got: Vec<(String, DeleteReason)> = plan
        .deletes()
        .iter()
        .map(|d| (d.pod.clone(), d.reason))
        .collect();
    let expected: Vec<(String, DeleteReason)> =
        expected.iter().map(|(p, r)| (p.to_string(), *r)).collect();
    assert_eq!(got, expected);
}

fn many(ds: &daemonset_planner::DaemonSet, node: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| daemon_pod(ds, &format!("{node}-{i:02}"), node).yaml())
        .collect()
}

fn many_unselected(
    ds: &daemonset_planner::DaemonSet,
    node: &str,
    from: usize,
    count: usize,
) -> Vec<String> {
    (from..from + count)
        .map(|i| {
            daemon_pod(ds, &format!("{node}-{i:02}"), node)
                .labels(UNSELECTED)
                .yaml()
        })
        .collect()
}

// upstream: TestSimpleDaemonSetLaunchesPods (and TestOneNodeDaemonLaunchesPod,
// TestNoNodesDoesNothing)
#[test]
fn simple_daemon_set_launches_one_pod_per_node() {
    for (name, strategy) in strategies() {
        let ds = foo(&strategy);
        let plan = plan_now(&ds, &cluster(nodes(0..5, &[])));
        assert_eq!(
            created_on(&plan),
            strings(&["node-0", "node-1", "node-2", "node-3", "node-4"]),
            "{name}"
        );
        assert!(
            plan.creates()
                .iter()
                .all(|c| c.reason == CreateReason::Missing
                    && c.revision_hash == ds.revision_hash()),
            "{name}"
        );
        assert!(plan.deletes().is_empty(), "{name}");
        assert!(plan.events().is_empty(), "{name}");

        let plan = plan_now(&ds, &cluster([node("only-node")]));
        assert_eq!(created_on(&plan), strings(&["only-node"]), "{name}");

        let plan = plan_now(&ds, &Snapshot::from_yaml("").unwrap());
        assert!(
            plan.creates().is_empty() && plan.deletes().is_empty(),
            "{name}"
        );
        // Only the first ControllerRevision is written.
        assert!(plan.revisions().create.is_some(), "{name}");
        assert_eq!(plan.status().desired_number_scheduled, 0);
    }
}

// upstream: TestDealsWithExistingPods
#[test]
fn deals_with_existing_pods() {
    for (name, strategy) in strategies() {
        let ds = foo(&strategy);
        let mut docs = nodes(0..5, &[]);
        docs.extend(many(&ds, "node-1", 1));
        docs.extend(many(&ds, "node-2", 2));
        docs.extend(many(&ds, "node-3", 5));
        docs.extend(many_unselected(&ds, "node-4", 0, 2));
        let plan = plan_now(&ds, &cluster(docs));

        assert_eq!(created_on(&plan), strings(&["node-0", "node-4"]), "{name}");
        // All pods were created at the same (zero) time: the oldest is the first by name.
        use DeleteReason::Duplicate;
        assert_deletes(
            &plan,
            &[
                ("node-2-01", Duplicate),
                ("node-3-01", Duplicate),
                ("node-3-02", Duplicate),
                ("node-3-03", Duplicate),
                ("node-3-04", Duplicate),
            ],
        );
        // The pods that no longer match the selector are released, not claimed.
        assert_eq!(
            names(plan.releases()),
            strings(&["default/node-4-00", "default/node-4-01"]),
            "{name}"
        );
        assert!(plan.adoptions().is_empty(), "{name}");
        assert!(plan.events().is_empty(), "{name}");
    }
}

// upstream: TestSelectorDaemonDeletesUnselectedPods
#[test]
fn selector_daemon_deletes_unselected_pods() {
    for (name, strategy) in strategies() {
        let ds = foo_with(
            &strategy,
            json!({"nodeSelector": {"color": "blue", "speed": "fast"}}),
        );
        let mut docs = nodes(0..5, &[]);
        docs.extend(nodes(5..10, BLUE));
        docs.extend(many_unselected(&ds, "node-0", 0, 2));
        docs.extend(many(&ds, "node-1", 3));
        docs.extend(many_unselected(&ds, "node-1", 3, 1));
        docs.extend(many(&ds, "node-4", 1));
        let plan = plan_now(&ds, &cluster(docs));

        assert_eq!(
            created_on(&plan),
            strings(&["node-5", "node-6", "node-7", "node-8", "node-9"]),
            "{name}"
        );
        // Nodes that no longer qualify lose every claimed pod; no "keep one".
        use DeleteReason::NotEligible;
        assert_deletes(
            &plan,
            &[
                ("node-1-00", NotEligible),
                ("node-1-01", NotEligible),
                ("node-1-02", NotEligible),
                ("node-4-00", NotEligible),
            ],
        );
        assert_eq!(
            names(plan.releases()),
            strings(&[
                "default/node-0-00",
                "default/node-0-01",
                "default/node-1-03"
            ]),
            "{name}"
        );
        assert!(!plan.node("node-1").unwrap().should_continue_running);
    }
}

// upstream: TestSelectorDaemonDealsWithExistingPods
#[test]
fn selector_daemon_deals_with_existing_pods() {
    for (name, strategy) in strategies() {
        let ds = foo_with(
            &strategy,
            json!({"nodeSelector": {"color": "blue", "speed": "fast"}}),
        );
        let mut docs = nodes(0..5, &[]);
        docs.extend(nodes(5..10, BLUE));
        docs.extend(many(&ds, "node-0", 1));
        docs.extend(many(&ds, "node-1", 3));
        docs.extend(many_unselected(&ds, "node-1", 3, 2));
        docs.extend(many(&ds, "node-2", 4));
        docs.extend(many(&ds, "node-6", 13));
        docs.extend(many_unselected(&ds, "node-7", 0, 4));
        docs.extend(many(&ds, "node-9", 1));
        docs.extend(many_unselected(&ds, "node-9", 1, 1));
        let plan = plan_now(&ds, &cluster(docs));

        assert_eq!(
            created_on(&plan),
            strings(&["node-5", "node-7", "node-8"]),
            "{name}"
        );
        assert_eq!(plan.deletes().len(), 20, "{name}");
        assert_eq!(deleted_on(&plan, "node-0"), 1, "{name}");
        assert_eq!(deleted_on(&plan, "node-1"), 3, "{name}");
        assert_eq!(deleted_on(&plan, "node-2"), 4, "{name}");
        assert_eq!(deleted_on(&plan, "node-6"), 12, "{name}");
        assert_eq!(deleted_on(&plan, "node-9"), 0, "{name}");
        assert!(!deleted(&plan).contains(&"node-6-00".to_string()), "{name}");
        for d in plan.deletes() {
            let expected = if d.node.as_deref() == Some("node-6") {
                DeleteReason::Duplicate
            } else {
                DeleteReason::NotEligible
            };
            assert_eq!(d.reason, expected, "{name}: {}", d.pod);
        }
        assert_eq!(plan.releases().len(), 2 + 4 + 1, "{name}");
    }
}

// upstream: TestDaemonKillFailedPods (all four sub-tests, both strategies)
#[test]
fn kills_failed_pods() {
    struct Case {
        name: &'static str,
        failed: usize,
        normal: usize,
        creates: usize,
        deletes: &'static [(&'static str, DeleteReason)],
        events: usize,
    }
    use DeleteReason::{Duplicate, Failed};
    let cases = [
        Case {
            name: "normal (do nothing)",
            failed: 0,
            normal: 1,
            creates: 0,
            deletes: &[],
            events: 0,
        },
        Case {
            name: "no pods (create 1)",
            failed: 0,
            normal: 0,
            creates: 1,
            deletes: &[],
            events: 0,
        },
        Case {
            // The node still has a pod, so the replacement comes in a later sync.
            name: "1 failed pod (kill 1), 0 normal pod (create 0; will create in the next sync)",
            failed: 1,
            normal: 0,
            creates: 0,
            deletes: &[("failed-0", Failed)],
            events: 1,
        },
        Case {
            name: "1 failed pod (kill 1), 3 normal pods (kill 2)",
            failed: 1,
            normal: 3,
            creates: 0,
            deletes: &[
                ("failed-0", Failed),
                ("normal-1", Duplicate),
                ("normal-2", Duplicate),
            ],
            events: 1,
        },
    ];
    for case in cases {
        for (strategy_name, strategy) in strategies() {
            let ds = foo(&strategy);
            let mut docs = vec![node("node-0").yaml()];
            for i in 0..case.failed {
                docs.push(
                    daemon_pod(&ds, &format!("failed-{i}"), "node-0")
                        .phase("Failed")
                        .yaml(),
                );
            }
            for i in 0..case.normal {
                docs.push(daemon_pod(&ds, &format!("normal-{i}"), "node-0").yaml());
            }
            let plan = plan_now(&ds, &cluster(docs));
            let what = format!("{} / {strategy_name}", case.name);
            assert_eq!(plan.creates().len(), case.creates, "{what}");
            assert_deletes(&plan, case.deletes);
            assert_eq!(plan.events().len(), case.events, "{what}");
            for e in plan.events() {
                assert_eq!(
                    (e.kind, e.reason, e.message.as_str()),
                    (
                        "Warning",
                        "FailedDaemonPod",
                        "Found failed daemon pod default/failed-0 on node node-0, will try to kill it"
                    ),
                    "{what}"
                );
            }
        }
    }
}

fn one_failed_pod(strategy: &serde_json::Value) -> (daemonset_planner::DaemonSet, Snapshot) {
    let ds = foo(strategy);
    let snapshot = cluster([
        node("node-0").yaml(),
        daemon_pod(&ds, "failed", "node-0").phase("Failed").yaml(),
    ]);
    (ds, snapshot)
}

fn with_backoff(now: Timestamp, backoff: &FailedPodBackoff) -> Options {
    let mut options = Options::at(now);
    options.failed_pod_backoff = backoff.clone();
    options
}

// upstream: TestDaemonKillFailedPodsBackoff, with the production backoff (1 s doubling to
// 15 min) instead of the test's 50 ms / 500 ms.
#[test]
fn failed_pod_backoff_holds_the_next_kill() {
    for (name, strategy) in strategies() {
        let (ds, snapshot) = one_failed_pod(&strategy);
        let t0 = now();

        // Sync 1: the failed pod is killed, with an event; the node enters backoff.
        let first = plan(&ds, &snapshot, &Options::at(t0));
        assert_deletes(&first, &[("failed", DeleteReason::Failed)]);
        assert_eq!(first.events().len(), 1, "{name}");
        let entry = *first.failed_pod_backoff().get("node-0").unwrap();
        assert_eq!(entry.last_update, t0, "{name}");
        assert_eq!(entry.delay, FAILED_POD_BACKOFF_INITIAL, "{name}");
        assert_eq!(FAILED_POD_BACKOFF_INITIAL, Duration::from_secs(1));
        assert_eq!(first.requeue_after(), None, "{name}");
        let table = first.failed_pod_backoff().clone();

        // Sync 2, at once, the pod still Failed: in backoff; nothing happens, the delay is
        // not doubled while waiting, and the plan asks to look again after the delay.
        let second = plan(&ds, &snapshot, &with_backoff(t0, &table));
        assert!(second.deletes().is_empty(), "{name}");
        assert!(second.events().is_empty(), "{name}");
        assert_eq!(second.failed_pod_backoff().get("node-0"), Some(&entry));
        assert_eq!(
            second.requeue_after(),
            Some(Duration::from_secs(1)),
            "{name}"
        );

        // One nanosecond before the delay has passed: still in backoff.
        let almost = t0 + Duration::from_secs(1) - Duration::from_nanos(1);
        let third = plan(&ds, &snapshot, &with_backoff(almost, &table));
        assert!(third.deletes().is_empty(), "{name}");
        assert_eq!(
            third.requeue_after(),
            Some(Duration::from_secs(1)),
            "{name}"
        );

        // Exactly the delay later: no longer in backoff (the comparison is strict), so the
        // pod is killed again and the delay doubles.
        let t1 = t0 + Duration::from_secs(1);
        let fourth = plan(&ds, &snapshot, &with_backoff(t1, &table));
        assert_deletes(&fourth, &[("failed", DeleteReason::Failed)]);
        assert_eq!(fourth.events().len(), 1, "{name}");
        let entry = fourth.failed_pod_backoff().get("node-0").unwrap();
        assert_eq!(
            (entry.last_update, entry.delay),
            (t1, Duration::from_secs(2)),
            "{name}"
        );
    }
}

#[test]
fn failed_pod_backoff_doubles_up_to_fifteen_minutes() {
    let (ds, snapshot) = one_failed_pod(&on_delete());
    let mut at = now();
    let mut table = FailedPodBackoff::new();
    let mut delays = Vec::new();
    for _ in 0..13 {
        let p = plan(&ds, &snapshot, &with_backoff(at, &table));
        assert_eq!(p.deletes().len(), 1);
        table = p.failed_pod_backoff().clone();
        let delay = table.get("node-0").unwrap().delay;
        delays.push(delay.as_secs());
        at += delay;
    }
    assert_eq!(
        delays,
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    );
    assert_eq!(FAILED_POD_BACKOFF_MAX, Duration::from_secs(900));
}

#[test]
fn failed_pod_backoff_expires_after_thirty_minutes() {
    let (ds, snapshot) = one_failed_pod(&on_delete());
    let t = now();
    let mut table = FailedPodBackoff::new();
    // A long backoff on node-0, last updated just over 30 minutes ago: expired, so the next
    // kill starts again at 1 s.
    table.insert(
        "node-0",
        t - Duration::from_secs(30 * 60 + 1),
        FAILED_POD_BACKOFF_MAX,
    );
    // Nodes without failed pods: an entry of exactly 30 minutes is kept, an older one is
    // garbage collected.
    table.insert(
        "node-kept",
        t - Duration::from_secs(30 * 60),
        Duration::from_secs(4),
    );
    table.insert(
        "node-gone",
        t - Duration::from_secs(30 * 60 + 1),
        Duration::from_secs(4),
    );
    let p = plan(&ds, &snapshot, &with_backoff(t, &table));
    assert_deletes(&p, &[("failed", DeleteReason::Failed)]);
    let out = p.failed_pod_backoff();
    assert_eq!(out.get("node-0").unwrap().delay, Duration::from_secs(1));
    assert_eq!(out.get("node-0").unwrap().last_update, t);
    assert_eq!(out.get("node-kept").unwrap().delay, Duration::from_secs(4));
    assert!(out.get("node-gone").is_none());
    let nodes: Vec<&str> = out.iter().map(|(n, _)| n).collect();
    assert_eq!(nodes, ["node-0", "node-kept"]);

    // A table built by hand (no generation recorded) applies to the current generation.
    let mut table = FailedPodBackoff::new();
    table.insert(
        "node-0",
        t - Duration::from_secs(10),
        Duration::from_secs(60),
    );
    let p = plan(&ds, &snapshot, &with_backoff(t, &table));
    assert!(p.deletes().is_empty());
    assert_eq!(p.requeue_after(), Some(Duration::from_secs(60)));
}

// upstream keys the backoff by "<uid>/<status.observedGeneration>/<node>": entries recorded
// under another observedGeneration do not hold the kill back.
#[test]
fn failed_pod_backoff_from_another_generation_is_ignored() {
    let at_generation = |observed: Option<i64>| {
        let mut m = manifest(FOO);
        m["metadata"]["generation"] = 2.into();
        if let Some(g) = observed {
            m["status"] = json!({"observedGeneration": g});
        }
        daemon_set(&m)
    };
    let t = now();
    for (recorded, next, held) in [
        (Some(1), Some(1), true),
        (Some(1), Some(2), false),
        (None, None, true),
        // No observedGeneration is generation 0 for upstream's key.
        (None, Some(2), false),
        (Some(2), None, false),
    ] {
        let ds = at_generation(recorded);
        let snapshot = cluster([
            node("node-0").yaml(),
            daemon_pod(&ds, "failed", "node-0").phase("Failed").yaml(),
        ]);
        let first = plan(&ds, &snapshot, &Options::at(t));
        assert_eq!(first.deletes().len(), 1);
        let table = first.failed_pod_backoff().clone();

        let ds = at_generation(next);
        let later = t + Duration::from_millis(500);
        let second = plan(&ds, &snapshot, &with_backoff(later, &table));
        let what = format!("recorded under {recorded:?}, planned under {next:?}");
        if held {
            assert!(second.deletes().is_empty(), "{what}");
            assert_eq!(
                second.requeue_after(),
                Some(Duration::from_secs(1)),
                "{what}"
            );
        } else {
            assert_deletes(&second, &[("failed", DeleteReason::Failed)]);
            let entry = second.failed_pod_backoff().get("node-0").unwrap();
            assert_eq!(
                (entry.last_update, entry.delay),
                (later, Duration::from_secs(1))
            );
        }
    }
}

// A node with two failed pods: only the first is killed; the second is in backoff at once.
#[test]
fn two_failed_pods_on_a_node_are_killed_one_backoff_apart() {
    let ds = foo(&on_delete());
    let snapshot = cluster([
        node("node-0").yaml(),
        daemon_pod(&ds, "failed-a", "node-0").phase("Failed").yaml(),
        daemon_pod(&ds, "failed-b", "node-0").phase("Failed").yaml(),
    ]);
    let p = plan_now(&ds, &snapshot);
    assert_deletes(&p, &[("failed-a", DeleteReason::Failed)]);
    assert_eq!(p.events().len(), 1);
    assert_eq!(p.requeue_after(), Some(Duration::from_secs(1)));
}

// upstream: TestDeleteUnscheduledPodForNotExistingNode
#[test]
fn deletes_unscheduled_pod_pinned_to_a_missing_node() {
    for (name, strategy) in strategies() {
        let ds = foo(&strategy);
        let snapshot = cluster([
            node("node-0").yaml(),
            daemon_pod(&ds, "pod0-node-0", "node-0").yaml(),
            // Bound to a node that no longer exists: left to the pod garbage collector.
            daemon_pod(&ds, "pod0-node-1", "node-1").yaml(),
            // Never bound, pinned by affinity to a node that no longer exists.
            pod("pod1-node-3")
                .labels(SELECTED)
                .hash(ds.revision_hash())
                .owned_by(&ds)
                .pinned("node-2")
                .yaml(),
            // No target node at all: skipped everywhere (R17).
            pod("no-target")
                .labels(SELECTED)
                .hash(ds.revision_hash())
                .owned_by(&ds)
                .yaml(),
        ]);
        let plan = plan_now(&ds, &snapshot);
        assert!(plan.creates().is_empty(), "{name}");
        assert_deletes(&plan, &[("pod1-node-3", DeleteReason::NodeGone)]);
        assert_eq!(plan.deletes()[0].node.as_deref(), Some("node-2"));
        assert!(plan.events().is_empty(), "{name}");
        // Pods on missing nodes are not counted in the status.
        assert_eq!(plan.status().desired_number_scheduled, 1);
        assert_eq!(plan.status().current_number_scheduled, 1);
        assert_eq!(plan.status().number_misscheduled, 0);
    }
}

// upstream: TestGetNodesToDaemonPods ("exclude deleted terminal pods"): which pods are ours.
#[test]
fn claims_owned_and_orphan_pods_and_nothing_else() {
    let ds = foo(&on_delete());
    let early = ts("2025-12-31T00:00:00Z");
    let mid = ts("2025-12-31T01:00:00Z");
    let late = ts("2025-12-31T02:00:00Z");
    let snapshot = cluster([
        node("node-0").yaml(),
        node("node-1").yaml(),
        daemon_pod(&ds, "owned-0", "node-0").created(mid).yaml(),
        daemon_pod(&ds, "owned-1", "node-1").created(mid).yaml(),
        // Orphans whose labels match: adopted, and then they are ours (the younger of two
        // pods on a node, so they go).
        pod("orphan-0")
            .labels(SELECTED)
            .on("node-0")
            .created(late)
            .yaml(),
        pod("orphan-1")
            .labels(SELECTED)
            .on("node-1")
            .created(late)
            .yaml(),
        // Terminal pods without a deletionTimestamp are ours, and deleted.
        daemon_pod(&ds, "succeeded-0", "node-0")
            .phase("Succeeded")
            .created(early)
            .yaml(),
        daemon_pod(&ds, "failed-1", "node-1")
            .phase("Failed")
            .created(early)
            .yaml(),
        // Owned but no longer selected: released.
        daemon_pod(&ds, "owned-unselected", "node-0")
            .labels(UNSELECTED)
            .yaml(),
        // Not ours: an orphan that does not match, a pod of another DaemonSet, a Deployment's
        // pod, an orphan that is being deleted, a matching orphan in another namespace.
        pod("orphan-unselected")
            .labels(UNSELECTED)
            .on("node-0")
            .yaml(),
        pod("foo2-pod")
            .labels(SELECTED)
            .owner("DaemonSet", "foo2", Some("uid-foo2"))
            .on("node-0")
            .yaml(),
        pod("web-7d4b9c-x2x")
            .labels(SELECTED)
            .owner("ReplicaSet", "web-7d4b9c", Some("uid-rs"))
            .on("node-1")
            .yaml(),
        pod("orphan-deleting")
            .labels(SELECTED)
            .on("node-1")
            .deleting(early)
            .yaml(),
        pod("orphan-elsewhere")
            .namespace("other")
            .labels(SELECTED)
            .on("node-1")
            .yaml(),
        // Terminal and being deleted: dropped, neither counted nor deleted again.
        daemon_pod(&ds, "succeeded-deleting", "node-0")
            .phase("Succeeded")
            .deleting(early)
            .yaml(),
        daemon_pod(&ds, "failed-deleting", "node-1")
            .phase("Failed")
            .deleting(early)
            .yaml(),
    ]);
    let plan = plan_now(&ds, &snapshot);
    assert_eq!(
        names(plan.adoptions()),
        strings(&["default/orphan-0", "default/orphan-1"])
    );
    assert_eq!(
        names(plan.releases()),
        strings(&["default/owned-unselected"])
    );
    use DeleteReason::{Duplicate, Failed, Succeeded};
    assert_deletes(
        &plan,
        &[
            ("succeeded-0", Succeeded),
            ("orphan-0", Duplicate),
            ("failed-1", Failed),
            ("orphan-1", Duplicate),
        ],
    );
    assert!(plan.creates().is_empty());
    let events: Vec<(&str, &str, &str)> = plan
        .events()
        .iter()
        .map(|e| (e.kind, e.reason, e.message.as_str()))
        .collect();
    assert_eq!(
        events,
        [
            (
                "Normal",
                "SucceededDaemonPod",
                "Found succeeded daemon pod default/succeeded-0 on node node-0, will try to delete it"
            ),
            (
                "Warning",
                "FailedDaemonPod",
                "Found failed daemon pod default/failed-1 on node node-1, will try to kill it"
            ),
        ]
    );
}

// upstream: TestGetNodesToDaemonPods ("include deleted terminal pods"): a terminal pod being
// deleted still keeps its revision alive in history cleanup.
#[test]
fn terminal_pods_being_deleted_still_pin_their_revision() {
    let mut m = manifest(FOO);
    m["spec"]["revisionHistoryLimit"] = 0.into();
    let ds = daemon_set(&m);
    let mut old_template = m["spec"]["template"].clone();
    old_template["spec"]["containers"][0]["image"] = "foo/bar:old".into();
    let old_revision = json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": "foo-old",
            "namespace": "default",
            "labels": {"name": "simple-daemon", "type": "production",
                       "controller-revision-hash": "old"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "foo",
                                 "uid": ds.uid().unwrap(), "controller": true}],
        },
        "revision": 1,
        "data": {"spec": {"template": old_template}},
    })
    .to_string();
    let failed_deleting = daemon_pod(&ds, "failed-old", "node-0")
        .hash("old")
        .phase("Failed")
        .deleting(now())
        .yaml();

    let with_pod = plan_now(
        &ds,
        &cluster([node("node-0").yaml(), old_revision.clone(), failed_deleting]),
    );
    assert!(with_pod.revisions().delete.is_empty());
    // The pod is invisible to manage: the node gets a new pod, the old one is not deleted.
    assert_eq!(created_on(&with_pod), strings(&["node-0"]));
    assert!(with_pod.deletes().is_empty());

    let without = plan_now(&ds, &cluster([node("node-0").yaml(), old_revision]));
    let gone: Vec<&str> = without
        .revisions()
        .delete
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(gone, ["foo-old"]);
}

// Ownership by kind and name when the DaemonSet manifest carries no uid (a manifest from git
// rather than from the cluster); by uid when it does.
#[test]
fn ownership_by_name_without_uid_and_by_uid_with_one() {
    let mut m = manifest(FOO);
    m["metadata"].as_object_mut().unwrap().remove("uid");
    let no_uid = daemon_set(&m);
    let with_uid = foo(&on_delete());
    let snapshot = cluster([
        node("node-0").yaml(),
        node("node-1").yaml(),
        pod("a")
            .labels(SELECTED)
            .hash(with_uid.revision_hash())
            .owner("DaemonSet", "foo", Some(with_uid.uid().unwrap()))
            .on("node-0")
            .yaml(),
        // An earlier incarnation of "foo", deleted and recreated with a new uid.
        pod("b")
            .labels(SELECTED)
            .hash(with_uid.revision_hash())
            .owner("DaemonSet", "foo", Some("uid-of-an-older-foo"))
            .on("node-1")
            .yaml(),
    ]);

    let p = plan_now(&no_uid, &snapshot);
    assert!(p.creates().is_empty());
    assert_eq!(p.status().current_number_scheduled, 2);

    let p = plan_now(&with_uid, &snapshot);
    assert_eq!(created_on(&p), strings(&["node-1"]));
    assert!(p.deletes().is_empty() && p.adoptions().is_empty() && p.releases().is_empty());
    assert_eq!(p.status().current_number_scheduled, 1);
}

fn surge_ds() -> daemonset_planner::DaemonSet {
    foo(&surge(1.into()))
}

// upstream: TestSurgeDealsWithExistingPods
#[test]
fn surge_deals_with_existing_pods() {
    let ds = surge_ds();
    let mut docs = nodes(0..5, &[]);
    docs.extend(many(&ds, "node-1", 1));
    docs.extend(many(&ds, "node-2", 2));
    docs.extend(many(&ds, "node-3", 5));
    docs.extend(many_unselected(&ds, "node-4", 0, 2));
    let plan = plan_now(&ds, &cluster(docs));
    assert_eq!(created_on(&plan), strings(&["node-0", "node-4"]));
    assert_eq!(
        deleted(&plan),
        strings(&[
            "node-2-01",
            "node-3-01",
            "node-3-02",
            "node-3-03",
            "node-3-04"
        ])
    );
    assert!(
        plan.deletes()
            .iter()
            .all(|d| d.reason == DeleteReason::Duplicate)
    );
}

/// node-1 holds a new pod created at 100 and old pods created at 50 and 60; node-2 one new
/// pod; node-0, node-3 and node-4 none (upstream's surge fixtures).
fn surge_node_1(
    ds: &daemonset_planner::DaemonSet,
    new: common::PodDoc,
    old50: common::PodDoc,
    old60: common::PodDoc,
) -> Snapshot {
    let mut docs = nodes(0..5, &[]);
    docs.push(new.yaml());
    docs.push(old50.yaml());
    docs.push(old60.yaml());
    docs.push(daemon_pod(ds, "new-node-2", "node-2").yaml());
    cluster(docs)
}

// upstream: TestSurgePreservesReadyOldPods
#[test]
fn surge_preserves_ready_old_pods() {
    let ds = surge_ds();
    let snapshot = surge_node_1(
        &ds,
        daemon_pod(&ds, "new-100", "node-1").created(unix(100)),
        daemon_pod(&ds, "old-50", "node-1")
            .old()
            .created(unix(50))
            .ready(true, None),
        daemon_pod(&ds, "old-60", "node-1")
            .old()
            .created(unix(60))
            .ready(true, None),
    );
    let plan = plan_now(&ds, &snapshot);
    assert_eq!(created_on(&plan), strings(&["node-0", "node-3", "node-4"]));
    // The surplus old pod goes; the oldest old pod stays while the new one is not available.
    assert_deletes(&plan, &[("old-60", DeleteReason::Duplicate)]);
}

// upstream: TestSurgeCreatesNewPodWhenAtMaxSurgeAndOldPodDeleted
#[test]
fn surge_replaces_a_terminating_pod_at_once_even_at_max_surge() {
    let ds = surge_ds();
    let mut docs = nodes(0..5, &[]);
    docs.push(
        daemon_pod(&ds, "node-0-new", "node-0")
            .created(unix(100))
            .ready(false, None)
            .yaml(),
    );
    docs.push(
        daemon_pod(&ds, "node-0-old", "node-0")
            .old()
            .created(unix(50))
            .ready(true, None)
            .yaml(),
    );
    for n in 1..4 {
        docs.push(
            daemon_pod(&ds, &format!("node-{n}-old"), &format!("node-{n}"))
                .old()
                .created(unix(1))
                .ready(true, None)
                .yaml(),
        );
    }
    docs.push(
        daemon_pod(&ds, "node-4-old", "node-4")
            .old()
            .created(unix(1))
            .ready(true, None)
            .deleting(unix(31))
            .yaml(),
    );
    let plan = plan_now(&ds, &cluster(docs));
    // node-4's only pod is terminating: with surge its replacement starts now. node-0 uses
    // the surge budget, so no other node is surged.
    assert_eq!(created_on(&plan), strings(&["node-4"]));
    assert!(plan.deletes().is_empty());
}

// upstream: TestSurgeDeletesUnreadyOldPods
#[test]
fn surge_deletes_unready_old_pods() {
    let ds = surge_ds();
    let snapshot = surge_node_1(
        &ds,
        daemon_pod(&ds, "new-100", "node-1").created(unix(100)),
        daemon_pod(&ds, "old-50", "node-1")
            .old()
            .created(unix(50))
            .ready(false, None),
        daemon_pod(&ds, "old-60", "node-1")
            .old()
            .created(unix(60))
            .ready(true, None),
    );
    let plan = plan_now(&ds, &snapshot);
    assert_eq!(created_on(&plan), strings(&["node-0", "node-3", "node-4"]));
    assert_deletes(
        &plan,
        &[
            ("old-60", DeleteReason::Duplicate),
            ("old-50", DeleteReason::Superseded),
        ],
    );
}

// upstream: TestSurgePreservesOldReadyWithUnsatisfiedMinReady and
// TestSurgeDeletesOldReadyWithUnsatisfiedMinReady
#[test]
fn surge_waits_for_the_new_pod_to_be_available() {
    let mut m = manifest(FOO);
    m["spec"]["updateStrategy"] = surge(1.into());
    m["spec"]["minReadySeconds"] = 15.into();
    let ds = daemon_set(&m);
    let snapshot = surge_node_1(
        &ds,
        // Ready since 50: available at 65.
        daemon_pod(&ds, "new-100", "node-1")
            .created(unix(100))
            .ready(true, Some(unix(50))),
        daemon_pod(&ds, "old-50", "node-1")
            .old()
            .created(unix(50))
            .ready(true, None),
        daemon_pod(&ds, "old-60", "node-1")
            .old()
            .created(unix(60))
            .ready(true, None),
    );
    let at_60 = plan(&ds, &snapshot, &Options::at(unix(60)));
    assert_eq!(created_on(&at_60), strings(&["node-0", "node-3", "node-4"]));
    assert_deletes(&at_60, &[("old-60", DeleteReason::Duplicate)]);
    assert_eq!(at_60.requeue_after(), Some(Duration::from_secs(5)));

    let at_70 = plan(&ds, &snapshot, &Options::at(unix(70)));
    assert_eq!(created_on(&at_70), strings(&["node-0", "node-3", "node-4"]));
    assert_deletes(
        &at_70,
        &[
            ("old-60", DeleteReason::Duplicate),
            ("old-50", DeleteReason::Superseded),
        ],
    );
}

// R19: bound pods first, then by creationTimestamp (none is oldest), then by name.
#[test]
fn keeps_the_oldest_pod() {
    let ds = foo(&on_delete());
    let t = |s: i64| unix(1_700_000_000 + s);
    let snapshot = cluster([
        node("node-0").yaml(),
        node("node-1").yaml(),
        // Unbound, pinned to node-0, and the earliest: still after every bound pod.
        pod("a-unbound")
            .labels(SELECTED)
            .hash(ds.revision_hash())
            .owned_by(&ds)
            .pinned("node-0")
            .created(t(0))
            .yaml(),
        daemon_pod(&ds, "b-late", "node-0").created(t(10)).yaml(),
        daemon_pod(&ds, "d-early", "node-0").created(t(5)).yaml(),
        daemon_pod(&ds, "c-early", "node-0")
            .created(t(5))
            .ready(true, None)
            .yaml(),
        // No creationTimestamp reads as the zero time: the oldest.
        daemon_pod(&ds, "x-stamped", "node-1").created(t(0)).yaml(),
        daemon_pod(&ds, "y-unstamped", "node-1").yaml(),
    ]);
    let plan = plan_now(&ds, &snapshot);
    use DeleteReason::Duplicate;
    assert_deletes(
        &plan,
        &[
            ("d-early", Duplicate),
            ("b-late", Duplicate),
            ("a-unbound", Duplicate),
            ("x-stamped", Duplicate),
        ],
    );
    // Status looks at the oldest pod of each node only: c-early is the Ready one.
    assert_eq!(plan.status().number_ready, 1);
}

// upstream: TestDaemonSetRespectsTermination; a pod being deleted is neither kept nor
// deleted again, and without surge it is not replaced until it is gone.
#[test]
fn pods_being_deleted_are_ignored() {
    for (name, strategy) in strategies() {
        let ds = foo(&strategy);
        let snapshot = cluster([
            node("node-0").labels(BLUE).yaml(),
            node("node-1").yaml(),
            node("node-2")
                .taint("dedicated", "user1", "NoExecute")
                .yaml(),
            daemon_pod(&ds, "terminating-0", "node-0")
                .deleting(now())
                .yaml(),
            daemon_pod(&ds, "terminating-1", "node-1")
                .created(unix(1))
                .deleting(now())
                .yaml(),
            daemon_pod(&ds, "running-1a", "node-1")
                .created(unix(2))
                .yaml(),
            daemon_pod(&ds, "running-1b", "node-1")
                .created(unix(3))
                .yaml(),
            daemon_pod(&ds, "terminating-2", "node-2")
                .deleting(now())
                .yaml(),
        ]);
        let plan = plan_now(&ds, &snapshot);
        assert!(plan.creates().is_empty(), "{name}");
        assert_deletes(&plan, &[("running-1b", DeleteReason::Duplicate)]);
        assert!(plan.events().is_empty(), "{name}");
    }
}

#[test]
fn succeeded_pods_are_deleted_without_backoff() {
    let ds = foo(&on_delete());
    let snapshot = cluster([
        node("node-0").yaml(),
        daemon_pod(&ds, "done-a", "node-0")
            .phase("Succeeded")
            .yaml(),
        daemon_pod(&ds, "done-b", "node-0")
            .phase("Succeeded")
            .yaml(),
    ]);
    let plan = plan_now(&ds, &snapshot);
    assert_deletes(
        &plan,
        &[
            ("done-a", DeleteReason::Succeeded),
            ("done-b", DeleteReason::Succeeded),
        ],
    );
    // The node still has pods in this sync: the replacement comes next time.
    assert!(plan.creates().is_empty());
    assert_eq!(plan.events().len(), 2);
    assert!(plan.events().iter().all(|e| e.kind == "Normal"));
    assert!(plan.failed_pod_backoff().is_empty());
    assert_eq!(plan.requeue_after(), None);
}

fn zero_padded_nodes(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| node(&format!("node-{i:03}")).yaml())
        .collect()
}

fn batch_sizes(plan: &Plan) -> Vec<usize> {
    plan.create_batches().iter().map(|b| b.len()).collect()
}

// upstream: syncNodes slow start (SlowStartInitialBatchSize 1) and BurstReplicas 250.
#[test]
fn creations_come_in_slow_start_batches_under_the_burst_cap() {
    let ds = foo(&on_delete());
    let snapshot = cluster(zero_padded_nodes(300));
    let plan = plan_now(&ds, &snapshot);
    assert_eq!(Options::at(now()).burst_replicas, 250);
    assert_eq!(plan.creates().len(), 250);
    // The first 250 nodes in name order; the other 50 wait for a later sync.
    assert_eq!(plan.creates()[0].node, "node-000");
    assert_eq!(plan.creates()[249].node, "node-249");
    assert_eq!(batch_sizes(&plan), [1, 2, 4, 8, 16, 32, 64, 123]);
    for (k, batch) in plan.create_batches().iter().enumerate() {
        assert!(batch.iter().all(|c| c.batch == k));
    }
    // Status counts every node that should run the pod.
    assert_eq!(plan.status().desired_number_scheduled, 300);

    let mut options = Options::at(now());
    options.burst_replicas = 10;
    let small = daemonset_planner::plan(&ds, &snapshot, &options);
    assert_eq!(batch_sizes(&small), [1, 2, 4, 3]);
    assert_eq!(small.creates()[9].node, "node-009");

    let exact = daemonset_planner::plan(&ds, &cluster(zero_padded_nodes(7)), &Options::at(now()));
    assert_eq!(batch_sizes(&exact), [1, 2, 4]);
}

#[test]
fn deletions_are_capped_by_the_burst_too() {
    let ds = foo(&on_delete());
    let mut docs = vec![node("node-0").yaml()];
    docs.extend(many(&ds, "node-0", 20));
    let snapshot = cluster(docs);
    let mut options = Options::at(now());
    options.burst_replicas = 5;
    let plan = daemonset_planner::plan(&ds, &snapshot, &options);
    assert_eq!(
        deleted(&plan),
        strings(&[
            "node-0-01",
            "node-0-02",
            "node-0-03",
            "node-0-04",
            "node-0-05"
        ])
    );
    assert_eq!(plan_now(&ds, &snapshot).deletes().len(), 19);
}

// upstream: TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods expects
// currentNumberScheduled = 5 in the sync that creates the pods, because its fake pod control
// puts created pods into the cache at once. Our status is the snapshot as observed (what a
// live controller writes in that sync), so the pods the plan creates are not counted yet.
#[test]
fn status_does_not_count_the_pods_the_plan_creates() {
    for (name, strategy) in strategies() {
        let ds = foo(&strategy);
        let plan = plan_now(&ds, &cluster(nodes(0..5, &[])));
        assert_eq!(plan.creates().len(), 5, "{name}");
        let s = plan.status();
        assert_eq!(s.desired_number_scheduled, 5, "{name}");
        assert_eq!(s.current_number_scheduled, 0, "{name}");
        assert_eq!(s.updated_number_scheduled, 0, "{name}");
        assert_eq!(s.number_unavailable, 5, "{name}");
    }
}

// R21 with surge: a node whose only pod is a failed one in backoff gets its replacement at
// once; without surge it waits for the failed pod to go.
#[test]
fn failed_pod_in_backoff_is_replaced_at_once_only_with_surge() {
    let t = now();
    let mut table = FailedPodBackoff::new();
    table.insert("node-0", t - Duration::from_secs(1), Duration::from_secs(8));
    for (strategy, creates) in [
        (on_delete(), 0),
        (rolling_update(), 0),
        (surge(1.into()), 1),
    ] {
        let (ds, snapshot) = one_failed_pod(&strategy);
        let p = plan(&ds, &snapshot, &with_backoff(t, &table));
        assert!(p.deletes().is_empty());
        assert_eq!(p.creates().len(), creates, "{strategy}");
        assert_eq!(p.requeue_after(), Some(Duration::from_secs(8)));
        assert_eq!(p.failed_pod_backoff().get("node-0"), table.get("node-0"));
    }
}

// R22: on a node that should not keep running the pod, every claimed pod goes at once: failed
// ones too, without backoff or event; pods already being deleted are left alone.
#[test]
fn not_eligible_nodes_lose_every_pod_without_backoff() {
    let ds = foo(&on_delete());
    let mut table = FailedPodBackoff::new();
    table.insert("tainted", now(), Duration::from_secs(60));
    let snapshot = cluster([
        node("tainted")
            .taint("dedicated", "user1", "NoExecute")
            .yaml(),
        daemon_pod(&ds, "failed", "tainted").phase("Failed").yaml(),
        daemon_pod(&ds, "running", "tainted")
            .phase("Running")
            .yaml(),
        daemon_pod(&ds, "done", "tainted").phase("Succeeded").yaml(),
        daemon_pod(&ds, "leaving", "tainted").deleting(now()).yaml(),
    ]);
    let p = plan(&ds, &snapshot, &with_backoff(now(), &table));
    use DeleteReason::NotEligible;
    assert_deletes(
        &p,
        &[
            ("done", NotEligible),
            ("failed", NotEligible),
            ("running", NotEligible),
        ],
    );
    assert!(p.events().is_empty());
    assert_eq!(p.requeue_after(), None);
}
