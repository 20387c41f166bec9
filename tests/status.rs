//! `plan.status()`: the DaemonSetStatus the controller writes (upstream
//! updateDaemonSetStatus), computed from the snapshot as observed.

mod common;

use common::*;
use daemonset_planner::{DaemonSet, DaemonSetStatus, Options, Snapshot, plan};
use serde_json::{Value, json};
use std::time::Duration;

/// A ControllerRevision of `foo` storing `template`, labelled with `hash`.
fn revision(ds: &DaemonSet, name: &str, hash: &str, number: i64, template: &Value) -> String {
    json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"name": "simple-daemon", "type": "production",
                       "controller-revision-hash": hash},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds.name(),
                                 "uid": ds.uid().unwrap(), "controller": true,
                                 "blockOwnerDeletion": true}],
        },
        "revision": number,
        "data": {"spec": {"template": template}},
    })
    .to_string()
}

// upstream: TestNumberReadyStatus
#[test]
fn number_ready_counts_ready_pods() {
    for (name, strategy) in strategies() {
        let ds = foo(&strategy);
        let unready = cluster([
            node("node-0").labels(BLUE).yaml(),
            node("node-1").labels(BLUE).yaml(),
            daemon_pod(&ds, "pod-0", "node-0").yaml(),
            daemon_pod(&ds, "pod-1", "node-1").yaml(),
        ]);
        let plan = plan_now(&ds, &unready);
        assert!(
            plan.creates().is_empty() && plan.deletes().is_empty(),
            "{name}"
        );
        assert_eq!(plan.status().number_ready, 0, "{name}");
        assert_eq!(plan.status().number_available, 0, "{name}");
        assert_eq!(plan.status().current_number_scheduled, 2, "{name}");

        let ready = cluster([
            node("node-0").labels(BLUE).yaml(),
            node("node-1").labels(BLUE).yaml(),
            daemon_pod(&ds, "pod-0", "node-0").ready(true, None).yaml(),
            daemon_pod(&ds, "pod-1", "node-1").ready(true, None).yaml(),
        ]);
        let plan = plan_now(&ds, &ready);
        assert_eq!(plan.status().number_ready, 2, "{name}");
        // minReadySeconds 0: ready is available.
        assert_eq!(plan.status().number_available, 2, "{name}");
        assert_eq!(plan.status().number_unavailable, 0, "{name}");
    }
}

// upstream: TestObservedGeneration
#[test]
fn observed_generation_is_the_generation() {
    for (name, strategy) in strategies() {
        let mut m = manifest(FOO);
        m["spec"]["updateStrategy"] = strategy;
        m["metadata"]["generation"] = 1.into();
        let ds = daemon_set(&m);
        let snapshot = cluster([
            node("node-0").labels(BLUE).yaml(),
            daemon_pod(&ds, "pod-0", "node-0").yaml(),
        ]);
        let plan = plan_now(&ds, &snapshot);
        assert!(
            plan.creates().is_empty() && plan.deletes().is_empty(),
            "{name}"
        );
        assert_eq!(plan.status().observed_generation, Some(1), "{name}");
        assert!(plan.writes_status(), "{name}");
    }
}

// R59: misscheduled uses shouldRun, so a pod kept on a NoSchedule-tainted node counts.
#[test]
fn misscheduled_counts_pods_on_nodes_that_should_not_run_them() {
    let ds = foo(&on_delete());
    let snapshot = cluster([
        node("node-0").yaml(),
        node("no-schedule")
            .taint("dedicated", "user1", "NoSchedule")
            .yaml(),
        node("no-execute")
            .taint("dedicated", "user1", "NoExecute")
            .yaml(),
        node("empty-tainted")
            .taint("dedicated", "user1", "NoSchedule")
            .yaml(),
        daemon_pod(&ds, "pod-0", "node-0").ready(true, None).yaml(),
        daemon_pod(&ds, "kept", "no-schedule")
            .ready(true, None)
            .yaml(),
        daemon_pod(&ds, "evicted", "no-execute")
            .ready(true, None)
            .yaml(),
    ]);
    let plan = plan_now(&ds, &snapshot);
    // The pod on the NoSchedule node stays (shouldContinueRunning); the NoExecute one goes.
    assert_eq!(deleted(&plan), strings(&["evicted"]));
    assert!(plan.creates().is_empty());
    let s = plan.status();
    assert_eq!(s.desired_number_scheduled, 1);
    assert_eq!(s.current_number_scheduled, 1);
    // Both count: status is the snapshot as observed, the evicted pod is still there.
    assert_eq!(s.number_misscheduled, 2);
    // Misscheduled pods are not ready/available/updated for the status.
    assert_eq!(s.number_ready, 1);
    assert_eq!(s.number_available, 1);
    assert_eq!(s.updated_number_scheduled, 1);
}

// R38 with minReadySeconds against options.now: available once ready for minReadySeconds
// (the boundary is inclusive); the plan asks to look again when the next pod becomes
// available.
#[test]
fn available_means_ready_for_min_ready_seconds() {
    let mut m = manifest(FOO);
    m["spec"]["minReadySeconds"] = 10.into();
    let ds = daemon_set(&m);
    let t = now();
    let snapshot = cluster([
        node("node-0").yaml(),
        node("node-1").yaml(),
        node("node-2").yaml(),
        node("node-3").yaml(),
        node("node-4").yaml(),
        // Ready for exactly 10 s: available.
        daemon_pod(&ds, "exactly", "node-0")
            .ready(true, Some(t - Duration::from_secs(10)))
            .yaml(),
        // Ready for 9 s: available in 1 s.
        daemon_pod(&ds, "almost", "node-1")
            .ready(true, Some(t - Duration::from_secs(9)))
            .yaml(),
        // Ready for 3 s: available in 7 s.
        daemon_pod(&ds, "recent", "node-2")
            .ready(true, Some(t - Duration::from_secs(3)))
            .yaml(),
        // Ready with no transition time: never available while minReadySeconds > 0.
        daemon_pod(&ds, "untimed", "node-3")
            .ready(true, None)
            .yaml(),
        daemon_pod(&ds, "unready", "node-4")
            .ready(false, Some(t - Duration::from_secs(60)))
            .yaml(),
    ]);
    let plan = plan(&ds, &snapshot, &Options::at(t));
    let s = plan.status();
    assert_eq!(s.desired_number_scheduled, 5);
    assert_eq!(s.number_ready, 4);
    assert_eq!(s.number_available, 1);
    assert_eq!(s.number_unavailable, 4);
    // Upstream requeues after the whole minReadySeconds whenever ready != available; the
    // plan gives the exact wait for the next pod to become available.
    assert_eq!(plan.requeue_after(), Some(Duration::from_secs(1)));

    let later = daemonset_planner::plan(&ds, &snapshot, &Options::at(t + Duration::from_secs(1)));
    assert_eq!(later.status().number_available, 2);
    assert_eq!(later.requeue_after(), Some(Duration::from_secs(6)));

    let much_later =
        daemonset_planner::plan(&ds, &snapshot, &Options::at(t + Duration::from_secs(3600)));
    assert_eq!(much_later.status().number_available, 3);
    assert_eq!(much_later.requeue_after(), None);

    // minReadySeconds 0: ready is available, nothing to wait for.
    let ds0 = foo(&on_delete());
    let plan = plan_now(&ds0, &snapshot);
    assert_eq!(plan.status().number_available, 4);
    assert_eq!(plan.requeue_after(), None);
}

/// The DaemonSet with the deprecated template-generation annotation.
fn generation_ds(generation: &str) -> (DaemonSet, Value) {
    let mut m = manifest(FOO);
    m["metadata"]["annotations"] = json!({"deprecated.daemonset.template.generation": generation});
    (daemon_set(&m), m)
}

// upstream: TestIsPodUpdated (util), through the status: a pod is updated when its
// controller-revision-hash is the current one, or its pod-template-generation label equals
// the DaemonSet's deprecated.daemonset.template.generation annotation. The current hash is
// set with a ControllerRevision that stores the template (upstream's hash "55555").
#[test]
fn updated_by_hash_label_or_template_generation_label() {
    struct Case {
        id: &'static str,
        ds_generation: &'static str,
        pod_generation: Option<&'static str>,
        pod_hash: Option<&'static str>,
        current_hash: &'static str,
        updated: bool,
    }
    let cases = [
        Case {
            id: "IPU-01 generation and hash match",
            ds_generation: "12345",
            pod_generation: Some("12345"),
            pod_hash: Some("55555"),
            current_hash: "55555",
            updated: true,
        },
        Case {
            id: "IPU-02 generation matches, hash does not",
            ds_generation: "12345",
            pod_generation: Some("12345"),
            pod_hash: Some("55555"),
            current_hash: "55555123",
            updated: true,
        },
        Case {
            id: "IPU-03 generation matches, no hash label",
            ds_generation: "12345",
            pod_generation: Some("12345"),
            pod_hash: None,
            current_hash: "55555",
            updated: true,
        },
        Case {
            id: "IPU-06 generation does not match, hash does",
            ds_generation: "12350",
            pod_generation: Some("12345"),
            pod_hash: Some("55555"),
            current_hash: "55555",
            updated: true,
        },
        Case {
            id: "IPU-07 neither matches",
            ds_generation: "12350",
            pod_generation: Some("12345"),
            pod_hash: Some("55555"),
            current_hash: "55555123",
            updated: false,
        },
        Case {
            id: "IPU-09 neither label",
            ds_generation: "12345",
            pod_generation: None,
            pod_hash: None,
            current_hash: "55555",
            updated: false,
        },
    ];
    for case in cases {
        let (ds, m) = generation_ds(case.ds_generation);
        let mut p = pod("pod-0").labels(SELECTED).owned_by(&ds).on("node-0");
        if let Some(g) = case.pod_generation {
            p = p.label("pod-template-generation", g);
        }
        if let Some(h) = case.pod_hash {
            p = p.hash(h);
        }
        let snapshot = cluster([
            node("node-0").yaml(),
            p.yaml(),
            revision(
                &ds,
                "foo-current",
                case.current_hash,
                1,
                &m["spec"]["template"],
            ),
        ]);
        let plan = plan_now(&ds, &snapshot);
        assert_eq!(plan.revision_hash(), case.current_hash, "{}", case.id);
        assert_eq!(
            plan.status().updated_number_scheduled,
            i64::from(case.updated),
            "{}",
            case.id
        );
        assert!(
            plan.creates().is_empty() && plan.deletes().is_empty(),
            "{}",
            case.id
        );
    }
}

// R62: only the oldest pod of a node counts, so during a surge the node is updated only once
// the old pod is gone.
#[test]
fn status_looks_at_the_oldest_pod_only() {
    let ds = foo(&surge(1.into()));
    let snapshot = cluster([
        node("node-0").yaml(),
        node("node-1").yaml(),
        // Old and ready (oldest), new and not yet ready.
        daemon_pod(&ds, "old-0", "node-0")
            .old()
            .created(unix(50))
            .ready(true, None)
            .yaml(),
        daemon_pod(&ds, "new-0", "node-0")
            .created(unix(100))
            .ready(false, None)
            .yaml(),
        // Oldest not ready, a younger duplicate ready.
        daemon_pod(&ds, "first-1", "node-1")
            .created(unix(50))
            .ready(false, None)
            .yaml(),
        daemon_pod(&ds, "second-1", "node-1")
            .created(unix(60))
            .ready(true, None)
            .yaml(),
    ]);
    let plan = plan_now(&ds, &snapshot);
    let s = plan.status();
    assert_eq!(s.current_number_scheduled, 2);
    assert_eq!(s.number_ready, 1);
    assert_eq!(s.number_available, 1);
    assert_eq!(s.updated_number_scheduled, 1);
}

// serde names as in apps/v1 DaemonSetStatus.
#[test]
fn status_serializes_with_apps_v1_names() {
    let mut m = manifest(FOO);
    m["metadata"]["generation"] = 4.into();
    let ds = daemon_set(&m);
    let snapshot = cluster([
        node("node-0").yaml(),
        node("node-1").yaml(),
        node("tainted")
            .taint("dedicated", "user1", "NoSchedule")
            .yaml(),
        daemon_pod(&ds, "pod-0", "node-0").ready(true, None).yaml(),
        daemon_pod(&ds, "pod-t", "tainted").yaml(),
    ]);
    let plan = plan_now(&ds, &snapshot);
    assert_eq!(
        serde_json::to_value(plan.status()).unwrap(),
        json!({
            "desiredNumberScheduled": 2,
            "currentNumberScheduled": 1,
            "numberMisscheduled": 1,
            "numberReady": 1,
            "updatedNumberScheduled": 1,
            "numberAvailable": 1,
            "numberUnavailable": 1,
            "observedGeneration": 4,
        })
    );
}

// upstream: TestDontDoAnythingIfBeingDeleted: no actions and no status write.
#[test]
fn daemon_set_being_deleted_does_nothing() {
    for (name, strategy) in strategies() {
        let mut m = manifest(FOO);
        m["spec"]["updateStrategy"] = strategy;
        m["metadata"]["deletionTimestamp"] = "2025-12-31T23:59:00Z".into();
        m["status"] = json!({"desiredNumberScheduled": 3, "observedGeneration": 1});
        let ds = daemon_set(&m);
        let snapshot = cluster([
            node("node-0").yaml(),
            node("node-1").yaml(),
            // An orphan that would otherwise be adopted, an unselected owned pod that would
            // be released, and duplicates that would be deleted.
            pod("orphan").labels(SELECTED).on("node-0").yaml(),
            daemon_pod(&ds, "unselected", "node-0")
                .labels(UNSELECTED)
                .yaml(),
            daemon_pod(&ds, "dup-a", "node-1").yaml(),
            daemon_pod(&ds, "dup-b", "node-1").yaml(),
        ]);
        let plan = plan_now(&ds, &snapshot);
        assert!(plan.is_empty(), "{name}");
        assert!(
            plan.adoptions().is_empty() && plan.releases().is_empty(),
            "{name}"
        );
        assert!(plan.events().is_empty(), "{name}");
        assert!(!plan.writes_status(), "{name}");
        assert_eq!(plan.status(), ds.status(), "{name}");
        assert_eq!(plan.status().desired_number_scheduled, 3, "{name}");
    }
}

// R61: nothing to write when the counters and observedGeneration are already stored.
#[test]
fn unchanged_status_is_not_written() {
    let ds = foo(&on_delete());
    let snapshot = cluster([
        node("node-0").yaml(),
        daemon_pod(&ds, "pod-0", "node-0").ready(true, None).yaml(),
    ]);
    let first = plan_now(&ds, &snapshot);
    assert!(first.writes_status());
    let stored: &DaemonSetStatus = first.status();

    let mut m = manifest(FOO);
    m["status"] = serde_json::to_value(stored).unwrap();
    let ds = daemon_set(&m);
    let second = plan_now(&ds, &snapshot);
    assert_eq!(second.status(), stored);
    assert!(!second.writes_status());

    // A newer generation not yet observed is written even with the same counters.
    m["metadata"]["generation"] = 2.into();
    m["status"]["observedGeneration"] = 1.into();
    let ds = daemon_set(&m);
    let third = plan_now(&ds, &snapshot);
    assert!(third.writes_status());
    assert_eq!(third.status().observed_generation, Some(2));

    // Upstream skips the write when the stored observedGeneration is at least the
    // generation, even if it is not equal.
    m["status"]["observedGeneration"] = 3.into();
    let ds = daemon_set(&m);
    assert!(!plan_now(&ds, &snapshot).writes_status());
}

#[test]
fn empty_cluster_status_is_all_zero() {
    let ds = foo(&on_delete());
    let plan = plan(&ds, &Snapshot::default(), &Options::at(now()));
    let s = plan.status();
    assert_eq!(
        (
            s.desired_number_scheduled,
            s.current_number_scheduled,
            s.number_misscheduled,
            s.number_ready,
            s.updated_number_scheduled,
            s.number_available,
            s.number_unavailable
        ),
        (0, 0, 0, 0, 0, 0, 0)
    );
}

// R59: an unbound Pending pod pinned to a node counts as scheduled there.
#[test]
fn pinned_pending_pods_count_as_current() {
    let ds = foo(&on_delete());
    let snapshot = cluster([
        node("node-0").yaml(),
        pod("pending")
            .labels(SELECTED)
            .hash(ds.revision_hash())
            .owned_by(&ds)
            .pinned("node-0")
            .phase("Pending")
            .yaml(),
    ]);
    let plan = plan_now(&ds, &snapshot);
    assert!(plan.creates().is_empty());
    assert_eq!(plan.status().current_number_scheduled, 1);
    assert_eq!(plan.status().updated_number_scheduled, 1);
    assert_eq!(plan.status().number_ready, 0);
}
