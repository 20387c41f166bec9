//! Pause, partition, canary selector and node order: through `Options::rollout` for apps/v1
//! DaemonSets, and from the manifest for OpenKruise Advanced DaemonSets (K7, K13-K17).

mod rollout_support;

use daemonset_planner::{
    DaemonSet, DeleteReason, Flavor, IntOrPercent, LabelSelector, NodeOrder, Options, Plan,
    RolloutStatus, StuckReason, UpdateStrategy, plan,
};
use rollout_support::*;

const OLD: &str = "old-hash";

/// `count` nodes each with an old, Ready pod.
fn all_old(count: usize) -> Cluster {
    let mut c = Cluster::with_nodes(count);
    for i in 0..count {
        c.pod(&format!("node-{i}"), OLD, Ready::Since(0), 0);
    }
    c
}

fn with_controls(c: &Cluster, ds: &DaemonSet, f: impl FnOnce(&mut Options)) -> Plan {
    let mut o = options(10);
    f(&mut o);
    plan(ds, &c.snapshot(), &o)
}

fn v2(strategy: &str) -> DaemonSet {
    foo("foo2/bar2", strategy)
}

fn stuck_nodes(p: &Plan) -> (Vec<String>, Vec<String>) {
    let mut partitioned = Vec::new();
    let mut unselected = Vec::new();
    for s in p.stuck() {
        match s {
            StuckReason::Partitioned { node } => partitioned.push(node.clone()),
            StuckReason::NotSelected { node } => unselected.push(node.clone()),
            _ => {}
        }
    }
    (partitioned, unselected)
}

#[test]
fn paused_replaces_no_old_pod_but_fills_empty_nodes() {
    let mut c = all_old(3);
    c.nodes.push(node("node-3"));
    // node-2's old pod is unavailable: apps/v1 would replace it at once, not while paused.
    let sick = c.pods_on("node-2")[0].name.clone();
    set_ready(c.pod_mut(&sick), Ready::No);
    let ds = v2(&unavailable("2"));
    let p = with_controls(&c, &ds, |o| o.rollout.paused = true);
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-3"]);
    assert_eq!(p.creates()[0].revision_hash, ds.revision_hash());
    assert_eq!(p.stuck(), &[StuckReason::Paused]);
    assert_eq!(
        p.rollout_status(),
        &RolloutStatus::Blocked {
            message: "Waiting for daemon set \"foo\" rollout to finish: 0 out of 4 new pods have been updated... blocked: the rollout is paused".into()
        }
    );
    // Unpaused, the unavailable old pod goes; node-3's new pod and node-2 use the budget.
    let p = with_controls(&c, &ds, |_| {});
    assert_eq!(deleted_pods(&p), [sick]);
}

#[test]
fn paused_with_surge_still_pairs_old_and_new_pods() {
    let ds = v2(&surge("1"));
    let mut c = all_old(2);
    let old0 = c.pods_on("node-0")[0].name.clone();
    c.pod("node-0", ds.revision_hash(), Ready::Since(5), 5);
    let p = with_controls(&c, &ds, |o| o.rollout.paused = true);
    // manage deletes the old pod once the new one is available; no new surge starts.
    expect(&p, 0, 1);
    assert_eq!(deleted_pods(&p), [old0]);
    assert_eq!(p.deletes()[0].reason, DeleteReason::Superseded);
    assert_eq!(p.stuck(), &[StuckReason::Paused]);
}

#[test]
fn paused_with_nothing_old_is_not_stuck() {
    let ds = v2(&unavailable("1"));
    let mut c = Cluster::with_nodes(2);
    c.pod("node-0", ds.revision_hash(), Ready::Since(0), 0);
    c.pod("node-1", ds.revision_hash(), Ready::Since(0), 0);
    let p = with_controls(&c, &ds, |o| o.rollout.paused = true);
    expect(&p, 0, 0);
    assert!(p.stuck().is_empty());
    assert!(p.rollout_status().is_done());
}

#[test]
fn integer_partition_keeps_nodes_on_the_old_revision() {
    let mut c = all_old(5);
    let ds = v2(&unavailable("5"));
    let part = |o: &mut Options| o.rollout.partition = Some(IntOrPercent::Int(2));
    let p = with_controls(&c, &ds, part);
    expect(&p, 0, 3);
    assert_eq!(deleted_nodes(&p), ["node-0", "node-1", "node-2"]);
    assert_eq!(stuck_nodes(&p).0, ["node-3", "node-4"]);
    c.apply(&p, 10);
    let p = with_controls(&c, &ds, part);
    expect(&p, 3, 0);
    c.apply(&p, 10);
    c.mark_all_ready(10);
    let p = with_controls(&c, &ds, part);
    expect(&p, 0, 0);
    assert_eq!(c.count_hash(OLD), 2);
    assert_eq!(stuck_nodes(&p).0, ["node-3", "node-4"]);
    assert_eq!(
        p.rollout_status().message(),
        "Waiting for daemon set \"foo\" rollout to finish: 3 out of 5 new pods have been updated... blocked: node-3 is held on the old revision by the partition"
    );
    // Lowering the partition lets the rest go.
    let p = with_controls(&c, &ds, |o| {
        o.rollout.partition = Some(IntOrPercent::Int(0))
    });
    assert_eq!(deleted_nodes(&p), ["node-3", "node-4"]);
}

#[test]
fn percent_partition_rounds_down() {
    let c = all_old(5);
    let ds = v2(&unavailable("\"100%\""));
    for (pct, kept) in [(50, 2), (30, 1), (19, 0), (20, 1), (99, 4), (100, 5)] {
        let p = with_controls(&c, &ds, |o| {
            o.rollout.partition = Some(IntOrPercent::Percent(pct))
        });
        assert_eq!(p.deletes().len(), 5 - kept, "{pct}%");
        assert_eq!(stuck_nodes(&p).0.len(), kept, "{pct}%");
    }
}

#[test]
fn partition_never_keeps_a_new_node_without_a_pod() {
    let mut c = all_old(3);
    c.nodes.push(node("node-3"));
    let ds = v2(&unavailable("1"));
    let p = with_controls(&c, &ds, |o| {
        o.rollout.partition = Some(IntOrPercent::Int(10))
    });
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-3"]);
    assert_eq!(p.creates()[0].revision_hash, ds.revision_hash());
    assert_eq!(stuck_nodes(&p).0, ["node-0", "node-1", "node-2"]);
}

#[test]
fn selector_updates_only_canary_nodes() {
    let mut c = all_old(5);
    for i in [1, 3] {
        c.nodes[i].labels.insert("canary".into(), "true".into());
    }
    let ds = v2(&unavailable("\"100%\""));
    let canary = LabelSelector::from_match_labels([("canary", "true")]);
    let p = with_controls(&c, &ds, |o| o.rollout.selector = Some(canary.clone()));
    expect(&p, 0, 2);
    assert_eq!(deleted_nodes(&p), ["node-1", "node-3"]);
    assert_eq!(stuck_nodes(&p).1, ["node-0", "node-2", "node-4"]);
    // An unavailable old pod on an unselected node is left alone (outside the window).
    let sick = c.pods_on("node-0")[0].name.clone();
    set_ready(c.pod_mut(&sick), Ready::No);
    let p = with_controls(&c, &ds, |o| o.rollout.selector = Some(canary.clone()));
    assert_eq!(deleted_nodes(&p), ["node-1", "node-3"]);
    // Selector and partition together: partition counts every node.
    let p = with_controls(&c, &ds, |o| {
        o.rollout.selector = Some(canary.clone());
        o.rollout.partition = Some(IntOrPercent::Int(4));
    });
    assert_eq!(deleted_nodes(&p), ["node-1"]);
}

#[test]
fn order_by_zone_label_then_name() {
    let zone = "topology.kubernetes.io/zone";
    let mut c = Cluster::with_nodes(0);
    for (name, z) in [
        ("a", Some("zone-b")),
        ("b", Some("zone-a")),
        ("c", Some("zone-a")),
        ("d", None),
        ("e", Some("zone-b")),
    ] {
        let mut n = node(name);
        if let Some(z) = z {
            n.labels.insert(zone.into(), z.into());
        }
        c.nodes.push(n);
        c.pod(name, OLD, Ready::Since(0), 0);
    }
    let ds = v2(&unavailable("4"));
    let p = with_controls(&c, &ds, |o| o.rollout.order = NodeOrder::Label(zone.into()));
    // zone-a (b, c), then zone-b (a, e), nodes without the label last (d).
    assert_eq!(deleted_nodes(&p), ["b", "c", "a", "e"]);
    let p = with_controls(&c, &ds, |_| {});
    assert_eq!(deleted_nodes(&p), ["a", "b", "c", "d"]);
    // The order also picks surge candidates.
    let ds = v2(&surge("2"));
    let p = with_controls(&c, &ds, |o| o.rollout.order = NodeOrder::Label(zone.into()));
    assert_eq!(created_nodes(&p), ["b", "c"]);
}

fn kruise(version: &str, rolling_update: &str, status: &str) -> DaemonSet {
    ds(&format!(
        r#"
apiVersion: apps.kruise.io/{version}
kind: DaemonSet
metadata: {{name: foo, namespace: default, uid: {UID}}}
spec:
  selector: {{matchLabels: {{app: foo}}}}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {rolling_update}
  template:
    metadata: {{labels: {{app: foo}}}}
    spec:
      containers: [{{name: foo, image: "foo2/bar2"}}]
{status}"#
    ))
}

#[test]
fn kruise_manifests_parse_their_rollout_controls() {
    for version in ["v1alpha1", "v1beta1"] {
        let ds = kruise(
            version,
            "{rollingUpdateType: Standard, maxUnavailable: 2, partition: 3, paused: true, selector: {matchLabels: {canary: \"true\"}}}",
            "",
        );
        assert_eq!(ds.flavor(), Flavor::Kruise);
        let UpdateStrategy::RollingUpdate(ru) = ds.update_strategy() else {
            panic!("{:?}", ds.update_strategy());
        };
        assert_eq!(ru.max_unavailable, IntOrPercent::Int(2));
        assert_eq!(ru.partition, Some(IntOrPercent::Int(3)));
        assert!(ru.paused);
        assert_eq!(
            ru.selector,
            Some(LabelSelector::from_match_labels([("canary", "true")]))
        );
        // Same template, same hash as the apps/v1 DaemonSet.
        assert_eq!(ds.revision_hash(), v2(ON_DELETE).revision_hash());
        let ds = kruise(version, "{partition: \"40%\"}", "");
        let UpdateStrategy::RollingUpdate(ru) = ds.update_strategy() else {
            panic!();
        };
        assert_eq!(ru.partition, Some(IntOrPercent::Percent(40)));
        assert_eq!(ru.max_unavailable, IntOrPercent::Int(1), "K3 default");
        assert!(!ru.paused);
    }
}

#[test]
fn kruise_paused_manifest() {
    let mut c = all_old(3);
    c.nodes.push(node("node-3"));
    let ds = kruise("v1beta1", "{maxUnavailable: 3, paused: true}", "");
    let p = c.plan(&ds, 10);
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-3"]);
    assert_eq!(p.stuck(), &[StuckReason::Paused]);
    // Options' controls are for apps/v1 only; the manifest's win.
    let unpaused = kruise("v1beta1", "{maxUnavailable: 3}", "");
    let p = with_controls(&c, &unpaused, |o| o.rollout.paused = true);
    assert_eq!(p.deletes().len(), 2, "node-3 uses one unit of the budget");
}

// K14: OpenKruise walks nodes in descending byte order.
#[test]
fn kruise_order_is_descending_byte_order() {
    let mut c = Cluster::with_nodes(0);
    for n in ["node-1", "node-2", "node-10", "node-11", "node-9"] {
        c.nodes.push(node(n));
        c.pod(n, OLD, Ready::Since(0), 0);
    }
    let ds = kruise("v1alpha1", "{maxUnavailable: 3}", "");
    let p = c.plan(&ds, 10);
    assert_eq!(deleted_nodes(&p), ["node-9", "node-2", "node-11"]);
    let ds = kruise("v1beta1", "{maxUnavailable: 0, maxSurge: 2}", "");
    let p = c.plan(&ds, 10);
    assert_eq!(created_nodes(&p), ["node-9", "node-2"]);
    // The same cluster as apps/v1: ascending.
    let p = c.plan(&v2(&unavailable("3")), 10);
    assert_eq!(deleted_nodes(&p), ["node-1", "node-10", "node-11"]);
}

// K13: a percentage partition scales the stored status.desiredNumberScheduled, rounded down.
#[test]
fn kruise_percent_partition_uses_the_stored_status() {
    let c = all_old(5);
    let status = |desired: i64| format!("status: {{desiredNumberScheduled: {desired}}}\n");
    for (stored, kept) in [(5, 2), (3, 1), (1, 0), (0, 0), (10, 5)] {
        let ds = kruise(
            "v1beta1",
            "{maxUnavailable: \"100%\", partition: \"50%\"}",
            &status(stored),
        );
        let p = c.plan(&ds, 10);
        assert_eq!(p.deletes().len(), 5 - kept, "stored desired {stored}");
    }
    // apps/v1 with Options scales the desired count of this sync.
    let ds = v2(&unavailable("\"100%\""));
    let p = with_controls(&c, &ds, |o| {
        o.rollout.partition = Some(IntOrPercent::Percent(50))
    });
    assert_eq!(p.deletes().len(), 3);
}

/// Nodes n1..n4 (or n1..n3), each with one pod of revision v1 (old) or v2 (current).
fn k16_cluster(ds: &DaemonSet, pods: &[(&str, bool)], canary: &[&str]) -> Cluster {
    let mut c = Cluster::with_nodes(0);
    for (n, current) in pods {
        let mut nd = node(n);
        if canary.contains(n) {
            nd.labels.insert("canary".into(), "true".into());
        }
        c.nodes.push(nd);
        let hash = if *current { ds.revision_hash() } else { OLD };
        c.pod(n, hash, Ready::Since(0), 0);
    }
    c
}

/// (case name, partition, pods (node, current?), canary nodes, deleted nodes).
type WindowCase<'a> = (
    &'a str,
    &'a str,
    &'a [(&'a str, bool)],
    &'a [&'a str],
    &'a [&'a str],
);

// K16: TestFilterDaemonPodsNodeToUpdate's five cases. With a budget larger than the window,
// the old nodes in the window are exactly the ones the plan deletes, in window order.
#[test]
fn kruise_window_table() {
    let sel = "selector: {matchLabels: {canary: \"true\"}}";
    let cases: &[WindowCase] = &[
        (
            "partition=0",
            "partition: 0",
            &[("n1", false), ("n2", true), ("n3", false)],
            &[],
            &["n3", "n1"], // window [n2, n3, n1]
        ),
        (
            "partition=1",
            "partition: 1",
            &[("n1", true), ("n2", false), ("n3", false)],
            &[],
            &["n3"], // window [n1, n3]
        ),
        (
            "partition=1, selector",
            "partition: 1",
            &[("n1", false), ("n2", true), ("n3", false), ("n4", false)],
            &["n3"],
            &["n3"], // window [n2, n3]
        ),
        (
            "partition=2, selector",
            "partition: 2",
            &[("n1", false), ("n2", true), ("n3", false), ("n4", false)],
            &["n1", "n3", "n4"],
            &["n4"], // window [n2, n4]
        ),
    ];
    for (name, partition, pods, canary, deleted) in cases {
        let selector = if canary.is_empty() { "" } else { sel };
        let sep = if selector.is_empty() { "" } else { ", " };
        let ds = kruise(
            "v1beta1",
            &format!("{{maxUnavailable: \"100%\", {partition}{sep}{selector}}}"),
            "",
        );
        let c = k16_cluster(&ds, pods, canary);
        let p = c.plan(&ds, 10);
        assert_eq!(deleted_nodes(&p), *deleted, "{name}");
    }
    // partition=0, selector, terminating: n3's old pod is being deleted, so n3 is "updating"
    // and in the window [n2, n3, n1]; its empty slot uses a unit of the budget.
    let ds = kruise(
        "v1beta1",
        &format!("{{maxUnavailable: 2, partition: 0, {sel}}}"),
        "",
    );
    let mut c = k16_cluster(
        &ds,
        &[("n1", false), ("n2", true), ("n3", false), ("n4", false)],
        &["n1", "n3"],
    );
    let n3 = c.pods_on("n3")[0].name.clone();
    c.pod_mut(&n3).deletion_timestamp = Some(at(5));
    let p = c.plan(&ds, 10);
    assert_eq!(deleted_nodes(&p), ["n1"]);
    let ds = kruise(
        "v1beta1",
        &format!("{{maxUnavailable: 1, partition: 0, {sel}}}"),
        "",
    );
    let p = c.plan(&ds, 10);
    expect(&p, 0, 0);
}

// K12: pods on nodes missing from the cluster are outside the OpenKruise window.
#[test]
fn kruise_drops_missing_nodes_from_the_window() {
    let mut c = all_old(2);
    c.pod("node-gone", OLD, Ready::Since(0), 0);
    let ds = kruise("v1beta1", "{maxUnavailable: 5}", "");
    let p = c.plan(&ds, 10);
    assert_eq!(deleted_nodes(&p), ["node-1", "node-0"]);
    // apps/v1 treats the pod as any old pod (R40: the map holds every pod).
    let p = c.plan(&v2(&unavailable("5")), 10);
    assert_eq!(deleted_nodes(&p), ["node-0", "node-1", "node-gone"]);
}

type Controls = Box<dyn Fn(&mut Options)>;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

// A Kruise manifest and the equivalent apps/v1 manifest + Options plan the same actions when
// the order does not pick among candidates.
#[test]
fn kruise_and_apps_v1_with_options_agree() {
    let mut c = all_old(6);
    c.nodes.push(node("node-6")); // needs a pod
    for i in [1, 4] {
        c.nodes[i].labels.insert("canary".into(), "true".into());
    }
    let canary = LabelSelector::from_match_labels([("canary", "true")]);
    let scenarios: &[(&str, &str, Controls)] = &[
        (
            "{maxUnavailable: 3, selector: {matchLabels: {canary: \"true\"}}}",
            "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 3}}",
            Box::new({
                let canary = canary.clone();
                move |o: &mut Options| o.rollout.selector = Some(canary.clone())
            }),
        ),
        (
            "{maxUnavailable: 0, maxSurge: 5, partition: 4, selector: {matchLabels: {canary: \"true\"}}}",
            "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 5}}",
            Box::new({
                let canary = canary.clone();
                move |o: &mut Options| {
                    o.rollout.selector = Some(canary.clone());
                    o.rollout.partition = Some(IntOrPercent::Int(4));
                }
            }),
        ),
        (
            "{maxUnavailable: 2, paused: true}",
            "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 2}}",
            Box::new(|o: &mut Options| o.rollout.paused = true),
        ),
        (
            "{maxUnavailable: 10, partition: 7}",
            "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 10}}",
            Box::new(|o: &mut Options| o.rollout.partition = Some(IntOrPercent::Int(7))),
        ),
    ];
    for (kruise_ru, apps_strategy, controls) in scenarios {
        let k = kruise("v1beta1", kruise_ru, "");
        let a = v2(apps_strategy);
        let kp = c.plan(&k, 10);
        let ap = with_controls(&c, &a, controls);
        assert_eq!(kp.revision_hash(), ap.revision_hash());
        assert_eq!(
            sorted(created_nodes(&kp)),
            sorted(created_nodes(&ap)),
            "{kruise_ru}"
        );
        assert_eq!(
            sorted(deleted_pods(&kp)),
            sorted(deleted_pods(&ap)),
            "{kruise_ru}"
        );
        assert_eq!(kp.budget(), ap.budget(), "{kruise_ru}");
        assert_eq!(kp.status(), ap.status(), "{kruise_ru}");
        assert_eq!(kp.stuck().len(), ap.stuck().len(), "{kruise_ru}");
    }
}

// K5: OnDelete never reaches the rolling step, so the controls change nothing there.
#[test]
fn controls_do_not_touch_on_delete() {
    let mut c = all_old(3);
    c.nodes.push(node("node-3"));
    let on_delete = v2(ON_DELETE);
    let plain = with_controls(&c, &on_delete, |_| {});
    let controlled = with_controls(&c, &on_delete, |o| {
        o.rollout.paused = true;
        o.rollout.partition = Some(IntOrPercent::Int(1));
        o.rollout.selector = Some(LabelSelector::from_match_labels([("canary", "true")]));
    });
    for p in [&plain, &controlled] {
        expect(p, 1, 0);
        assert_eq!(created_nodes(p), ["node-3"]);
        assert!(p.stuck().is_empty());
        assert!(p.budget().is_none());
    }
    let k = kruise("v1beta1", "{partition: 1, paused: true}", "");
    let k = ds(&k
        .to_json()
        .to_string()
        .replace("\"RollingUpdate\"", "\"OnDelete\""));
    assert_eq!(k.update_strategy(), &UpdateStrategy::OnDelete);
    let p = c.plan(&k, 10);
    expect(&p, 1, 0);
    assert!(p.stuck().is_empty());
}

#[test]
fn kruise_ignores_the_order_option() {
    let mut c = Cluster::with_nodes(0);
    for (n, zone) in [("node-a", "z2"), ("node-b", "z1")] {
        let mut nd = node(n);
        nd.labels.insert("zone".into(), zone.into());
        c.nodes.push(nd);
        c.pod(n, OLD, Ready::Since(0), 0);
    }
    let k = kruise("v1beta1", "{maxUnavailable: 1}", "");
    let p = with_controls(&c, &k, |o| {
        o.rollout.order = NodeOrder::Label("zone".into())
    });
    assert_eq!(deleted_nodes(&p), ["node-b"]);
    let p = with_controls(&c, &k, |o| o.rollout.order = NodeOrder::Name);
    assert_eq!(deleted_nodes(&p), ["node-b"], "descending either way");
    let a = v2(&unavailable("1"));
    let p = with_controls(&c, &a, |o| o.rollout.order = NodeOrder::Name);
    assert_eq!(deleted_nodes(&p), ["node-a"]);
}
