//! RollingUpdate with maxSurge (create first): upstream's update_test.go surge cases, the
//! old/new pairing manage applies, the surge budget, and the one-plan invariants.

mod rollout_support;

use daemonset_planner::{CreateReason, DeleteReason, Pod, Snapshot, Taint, TaintEffect};
use proptest::prelude::*;
use rollout_support::*;

fn five_old_ready() -> Cluster {
    let v1 = foo("foo/bar", ON_DELETE);
    let mut c = Cluster::with_nodes(5);
    let p = c.plan(&v1, 0);
    expect(&p, 5, 0);
    c.apply(&p, 0);
    c.mark_all_ready(0);
    c
}

// upstream: TestDaemonSetUpdatesPodsWithMaxSurge
#[test]
fn updates_pods_with_max_surge() {
    let mut c = five_old_ready();
    let v2 = foo("foo2/bar2", &surge("2"));
    let h2 = v2.revision_hash().to_string();

    let p = c.plan(&v2, 10);
    expect(&p, 2, 0);
    assert!(p.creates().iter().all(|c| c.reason == CreateReason::Surge));
    c.apply(&p, 10);

    // Surge budget used by the two unready new pods; manage keeps the old ones.
    let p = c.plan(&v2, 20);
    expect(&p, 0, 0);
    c.mark_all_ready(20);

    // manage deletes the two superseded old pods; the rolling step surges two more nodes.
    let p = c.plan(&v2, 30);
    expect(&p, 2, 2);
    assert!(
        p.deletes()
            .iter()
            .all(|d| d.reason == DeleteReason::Superseded)
    );
    assert!(p.creates().iter().all(|c| c.reason == CreateReason::Surge));
    c.apply(&p, 30);
    let p = c.plan(&v2, 40);
    expect(&p, 0, 0);
    c.mark_all_ready(40);

    let p = c.plan(&v2, 50);
    expect(&p, 1, 2);
    c.apply(&p, 50);
    let p = c.plan(&v2, 60);
    expect(&p, 0, 0);
    c.mark_all_ready(60);

    let p = c.plan(&v2, 70);
    expect(&p, 0, 1);
    c.apply(&p, 70);
    let p = c.plan(&v2, 80);
    expect(&p, 0, 0);
    assert_eq!(c.count_hash(&h2), 5);
    assert_eq!(c.pods.len(), 5);
}

fn tolerating_ds(tolerate: bool) -> daemonset_planner::DaemonSet {
    let tolerations = if tolerate {
        "\n      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists}]"
    } else {
        ""
    };
    ds(&format!(
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: foo, namespace: default, uid: {UID}}}
spec:
  selector: {{matchLabels: {{app: foo}}}}
  updateStrategy: {{type: RollingUpdate, rollingUpdate: {{maxUnavailable: 0, maxSurge: 1}}}}
  template:
    metadata: {{labels: {{app: foo}}}}
    spec:
      containers: [{{name: foo, image: foo/bar}}]{tolerations}
"#
    ))
}

// upstream: TestDaemonSetUpdatesPodsNotMatchTainstWithMaxSurge
#[test]
fn surge_moves_off_a_node_that_should_no_longer_run() {
    let v1 = tolerating_ds(true);
    let mut c = Cluster::with_nodes(5);
    c.nodes[0].taints.push(Taint::new(
        "node-role.kubernetes.io/control-plane",
        "",
        TaintEffect::NoSchedule,
    ));
    let p = c.plan(&v1, 0);
    expect(&p, 5, 0);
    c.apply(&p, 0);
    c.mark_all_ready(0);

    let v2 = tolerating_ds(false);
    let node0 = c.pods_on("node-0")[0].name.clone();
    // node-0 may keep its pod (NoSchedule) but should not run one. It is deleted because
    // 5 available pods exceed the 4 desired; one surge pod starts elsewhere.
    let p = c.plan(&v2, 10);
    expect(&p, 1, 1);
    assert_eq!(deleted_pods(&p), [node0]);
    assert_eq!(p.deletes()[0].reason, DeleteReason::Misscheduled);
    assert_ne!(created_nodes(&p), ["node-0"]);
    assert_eq!(p.budget().map(|b| b.desired_number_scheduled), Some(4));
    c.apply(&p, 10);

    let mut t = 20;
    for _ in 0..3 {
        let p = c.plan(&v2, t);
        expect(&p, 0, 0);
        c.mark_all_ready(t);
        let p = c.plan(&v2, t + 5);
        expect(&p, 1, 1);
        c.apply(&p, t + 5);
        t += 10;
    }
    let p = c.plan(&v2, t);
    expect(&p, 0, 0);
    c.mark_all_ready(t);
    let p = c.plan(&v2, t + 5);
    expect(&p, 0, 1);
    c.apply(&p, t + 5);
    let p = c.plan(&v2, t + 10);
    expect(&p, 0, 0);
    assert!(
        c.pods_on("node-0").is_empty(),
        "no pod comes back to node-0"
    );
    assert_eq!(c.count_hash(v2.revision_hash()), 4);
}

// upstream: TestDaemonSetUpdatesAllOldPodsNotReadyMaxSurge. Upstream's A..E are whichever
// nodes map order gave; here A, B, C = node-0..2 (the surge candidates our order takes),
// D = node-3, E = node-4.
#[test]
fn unavailable_old_pods_are_replaced_beyond_the_surge_budget() {
    let v1 = foo("foo/bar", ON_DELETE);
    let mut c = Cluster::with_nodes(5);
    let p = c.plan(&v1, 0);
    expect(&p, 5, 0);
    c.apply(&p, 100); // never ready

    let v2 = foo("foo2/bar2", &surge("3"));
    let h2 = v2.revision_hash().to_string();
    let p = c.plan(&v2, 100);
    expect(&p, 5, 0);
    assert!(
        p.creates()
            .iter()
            .all(|c| c.reason == CreateReason::ReplaceUnavailable)
    );
    c.apply(&p, 200);

    // manage: the old pod beside a new one is not ready, delete it at once.
    let p = c.plan(&v2, 200);
    expect(&p, 0, 5);
    assert!(
        p.deletes()
            .iter()
            .all(|d| d.reason == DeleteReason::Superseded)
    );
    c.apply(&p, 200);
    c.set_ready_where(&h2, Ready::Since(200));

    let v3 = foo_with("foo2/bar3", &surge("3"), "  minReadySeconds: 15\n");
    let h3 = v3.revision_hash().to_string();
    let p = c.plan(&v3, 300);
    expect(&p, 3, 0);
    assert_eq!(created_nodes(&p), ["node-0", "node-1", "node-2"]);
    c.apply(&p, 300);
    for n in ["node-0", "node-1"] {
        let name = c
            .pods_on(n)
            .iter()
            .find(|p| p.revision_hash() == Some(&h3))
            .unwrap()
            .name
            .clone();
        set_ready(c.pod_mut(&name), Ready::Since(300));
    }
    let e_old = c.pods_on("node-4")[0].name.clone();
    set_ready(c.pod_mut(&e_old), Ready::No);

    // A, B, C use the surge budget; D waits; E's old pod is unavailable: replaced anyway.
    let p = c.plan(&v3, 310);
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-4"]);
    assert_eq!(p.creates()[0].reason, CreateReason::ReplaceUnavailable);
    c.apply(&p, 310);

    // A and B are available now (300 + 15 <= 320): their old pods go, and E's unready one.
    // Only C still surges, so D gets its surge pod.
    let p = c.plan(&v3, 320);
    expect(&p, 1, 3);
    assert_eq!(created_nodes(&p), ["node-3"]);
    let mut gone = deleted_nodes(&p);
    gone.sort();
    assert_eq!(gone, ["node-0", "node-1", "node-4"]);
    c.apply(&p, 320);
    c.set_ready_where(&h3, Ready::Since(320));
    // Pods made ready at 300 stay ready since 300.
    let p = c.plan(&v3, 340);
    expect(&p, 0, 2);
    let mut gone = deleted_nodes(&p);
    gone.sort();
    assert_eq!(gone, ["node-2", "node-3"]);
    c.apply(&p, 340);
    let p = c.plan(&v3, 350);
    expect(&p, 0, 0);
    assert_eq!(c.count_hash(&h3), 5);
}

// R21 surge branch, R43: the old pod goes once the new one is available, or at once when the
// old one is not ready; never twice.
#[test]
fn surge_pairing_on_one_node() {
    let v1 = foo("foo/bar", ON_DELETE);
    let h1 = v1.revision_hash().to_string();
    let v2 = foo_with("foo2/bar2", &surge("1"), "  minReadySeconds: 10\n");
    let h2 = v2.revision_hash().to_string();

    let case = |old: Ready, new: Ready, now: i64| {
        let mut c = Cluster::with_nodes(1);
        let o = c.pod("node-0", &h1, old, 0);
        c.pod("node-0", &h2, new, 50);
        let p = c.plan(&v2, now);
        assert_no_duplicates(&p);
        assert!(p.creates().is_empty());
        (
            o,
            deleted_pods(&p),
            p.deletes().iter().map(|d| d.reason).collect::<Vec<_>>(),
        )
    };
    // New not ready, old ready: keep both.
    let (_, deleted, _) = case(Ready::Since(0), Ready::Unknown, 100);
    assert!(deleted.is_empty());
    // New ready but not for minReadySeconds: keep both.
    let (_, deleted, _) = case(Ready::Since(0), Ready::Since(95), 100);
    assert!(deleted.is_empty());
    // New available: the old one goes, once.
    let (o, deleted, reasons) = case(Ready::Since(0), Ready::Since(90), 100);
    assert_eq!(deleted, [o]);
    assert_eq!(reasons, [DeleteReason::Superseded]);
    // Old not ready: it goes at once, even though the new one is not available.
    let (o, deleted, reasons) = case(Ready::No, Ready::Unknown, 100);
    assert_eq!(deleted, [o]);
    assert_eq!(reasons, [DeleteReason::Superseded]);
    // Old ready but not available (minReadySeconds not met) and new not available: manage
    // keeps both (it asks for Ready, not available); the rolling step counts the node as
    // surging and waits.
    let (_, deleted, _) = case(Ready::Since(95), Ready::Unknown, 100);
    assert!(deleted.is_empty());
}

// upstream: TestSurgePreservesReadyOldPods, TestSurgeDeletesUnreadyOldPods in one plan with the
// rolling step: surplus old pods go, the oldest old is kept until the new one is available.
#[test]
fn surplus_pods_and_the_oldest_old_pod() {
    let v2 = foo("foo2/bar2", &surge("1"));
    let h2 = v2.revision_hash().to_string();
    for (old50_ready, expect_old50_deleted) in [(true, false), (false, true)] {
        let mut c = Cluster::with_nodes(5);
        c.pod("node-1", &h2, Ready::Unknown, 100);
        let old50 = c.pod(
            "node-1",
            "old",
            if old50_ready {
                Ready::Since(50)
            } else {
                Ready::No
            },
            50,
        );
        let old60 = c.pod("node-1", "old", Ready::Since(60), 60);
        c.pod("node-2", &h2, Ready::Unknown, 0);
        let p = c.plan(&v2, 200);
        assert_no_duplicates(&p);
        assert_eq!(created_nodes(&p), ["node-0", "node-3", "node-4"]);
        let mut want = vec![old60.clone()];
        if expect_old50_deleted {
            want.push(old50.clone());
        }
        let mut got = deleted_pods(&p);
        got.sort();
        want.sort();
        assert_eq!(got, want);
    }
}

// upstream: TestSurgeCreatesNewPodWhenAtMaxSurgeAndOldPodDeleted
#[test]
fn terminating_pod_is_replaced_at_once_with_surge() {
    let v2 = foo("foo2/bar2", &surge("1"));
    let h2 = v2.revision_hash().to_string();
    let mut c = Cluster::with_nodes(5);
    c.pod("node-0", &h2, Ready::No, 100);
    c.pod("node-0", "old", Ready::Since(50), 50);
    for n in ["node-1", "node-2", "node-3"] {
        c.pod(n, "old", Ready::Since(1), 1);
    }
    let t = c.pod("node-4", "old", Ready::Since(1), 1);
    c.pod_mut(&t).deletion_timestamp = Some(at(31));
    let p = c.plan(&v2, 40);
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-4"]);
    assert_eq!(p.creates()[0].reason, CreateReason::Missing);
}

#[test]
fn surge_budget_is_a_rounded_up_share_of_desired_nodes() {
    let mut c = Cluster::with_nodes(10);
    for i in 0..10 {
        c.pod(&format!("node-{i}"), "old", Ready::Since(0), 0);
    }
    for (value, budget) in [("\"10%\"", 1), ("\"25%\"", 3), ("\"100%\"", 10), ("4", 4)] {
        let ds = foo("foo2/bar2", &surge(value));
        let p = c.plan(&ds, 10);
        assert_eq!(p.budget().unwrap().max_surge, budget, "{value}");
        assert_eq!(p.budget().unwrap().max_unavailable, 0);
        expect(&p, budget as usize, 0);
    }
    // Surge slots already in use count: 2 unready surge pods leave 1 of 3.
    let ds = foo("foo2/bar2", &surge("3"));
    c.pod("node-0", ds.revision_hash(), Ready::No, 5);
    c.pod("node-1", ds.revision_hash(), Ready::Unknown, 5);
    let p = c.plan(&ds, 10);
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-2"]);
    // A node with two old pods: manage trims the younger one in this plan, so the rolling
    // step sees one old pod there and the free slot still goes to node-2.
    let extra = c.pod("node-5", "old", Ready::Since(0), 3);
    let p = c.plan(&ds, 10);
    expect(&p, 1, 1);
    assert_eq!(created_nodes(&p), ["node-2"]);
    assert_eq!(deleted_pods(&p), [extra]);
    assert_eq!(p.deletes()[0].reason, DeleteReason::Duplicate);
}

// upstream: the surge loop stops for a pod whose node is gone (it returns an error until the
// pod is garbage collected); the plan says why.
#[test]
fn surge_with_a_pod_on_a_missing_node() {
    let ds = foo("foo2/bar2", &surge("1"));
    let mut c = Cluster::with_nodes(2);
    c.pod("node-0", "old", Ready::Since(0), 0);
    c.pod("node-1", "old", Ready::Since(0), 0);
    c.pod("node-gone", "old", Ready::Since(0), 0);
    let p = c.plan(&ds, 10);
    expect(&p, 0, 0);
    assert!(
        p.stuck().iter().any(|s| matches!(
            s,
            daemonset_planner::StuckReason::NodeMissing { node } if node == "node-gone"
        )),
        "{:?}",
        p.stuck()
    );
}

/// What one node holds in a generated cluster.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Empty,
    Old(Ready),
    New(Ready),
    Both(Ready, Ready),
    TwoOld,
    Terminating,
    Failed,
}

fn ready_strategy() -> impl Strategy<Value = Ready> {
    prop_oneof![
        Just(Ready::Unknown),
        Just(Ready::No),
        Just(Ready::Since(0)),
        Just(Ready::Since(95)),
    ]
}

fn slot_strategy() -> impl Strategy<Value = Slot> {
    prop_oneof![
        Just(Slot::Empty),
        ready_strategy().prop_map(Slot::Old),
        ready_strategy().prop_map(Slot::New),
        (ready_strategy(), ready_strategy()).prop_map(|(a, b)| Slot::Both(a, b)),
        Just(Slot::TwoOld),
        Just(Slot::Terminating),
        Just(Slot::Failed),
    ]
}

fn build(slots: &[Slot], new_hash: &str) -> Snapshot {
    let mut c = Cluster::with_nodes(slots.len());
    for (i, slot) in slots.iter().enumerate() {
        let n = format!("node-{i}");
        match *slot {
            Slot::Empty => {}
            Slot::Old(r) => {
                c.pod(&n, "old", r, 0);
            }
            Slot::New(r) => {
                c.pod(&n, new_hash, r, 10);
            }
            Slot::Both(o, nw) => {
                c.pod(&n, "old", o, 0);
                c.pod(&n, new_hash, nw, 10);
            }
            Slot::TwoOld => {
                c.pod(&n, "old", Ready::Since(0), 0);
                c.pod(&n, "old", Ready::Since(0), 1);
            }
            Slot::Terminating => {
                let t = c.pod(&n, "old", Ready::Since(0), 0);
                c.pod_mut(&t).deletion_timestamp = Some(at(50));
            }
            Slot::Failed => {
                let f = c.pod(&n, "old", Ready::No, 0);
                c.pod_mut(&f).phase = daemonset_planner::PodPhase::Failed;
            }
        }
    }
    c.snapshot()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    // One plan never deletes a pod twice, never creates two pods on one node, never creates
    // on a node that keeps a live new pod, and keeps surge creations within the budget.
    #[test]
    fn one_plan_never_doubles_up(
        slots in proptest::collection::vec(slot_strategy(), 1..9),
        surge_value in 1i64..4,
        min_ready in prop_oneof![Just(0i64), Just(10i64)],
    ) {
        let ds = foo_with(
            "foo2/bar2",
            &surge(&surge_value.to_string()),
            &format!("  minReadySeconds: {min_ready}\n"),
        );
        let snap = build(&slots, ds.revision_hash());
        let p = daemonset_planner::plan(&ds, &snap, &options(100));
        assert_no_duplicates(&p);
        let deleted: Vec<&str> = p.deletes().iter().map(|d| d.pod.as_str()).collect();
        for c in p.creates() {
            let keeps_new = snap.pods().iter().any(|pod: &Pod| {
                pod.target_node() == Some(c.node.as_str())
                    && pod.revision_hash() == Some(ds.revision_hash())
                    && pod.deletion_timestamp.is_none()
                    && !deleted.contains(&pod.name.as_str())
            });
            prop_assert!(!keeps_new, "create on {} which keeps a new pod", c.node);
        }
        let surged = p.creates().iter().filter(|c| c.reason == CreateReason::Surge).count();
        prop_assert!(surged as i64 <= surge_value);
    }
}
