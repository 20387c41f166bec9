//! Regressions found in review: the replanner against a full plan in corner cases, and
//! arithmetic on extreme numbers from a snapshot.

use daemonset_planner::replan::Replanner;
use daemonset_planner::{DaemonSet, Options, Snapshot, Taint, TaintEffect, Timestamp, plan};

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn ds(extra_spec: &str, meta_extra: &str) -> DaemonSet {
    DaemonSet::from_yaml(&format!(
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent, namespace: default, uid: u1, generation: 1{meta_extra}}}
spec:
  {extra_spec}
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers: [{{name: a, image: a:1, resources: {{requests: {{cpu: 100m}}}}}}]
"#
    ))
    .unwrap()
}

fn pod(name: &str, node: &str, hash: &str) -> String {
    format!(
        r#"---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: default
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: {{app: agent, controller-revision-hash: "{hash}"}}
  ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: u1, controller: true}}]
spec:
  nodeName: {node}
  containers: [{{name: a, image: a:1}}]
status:
  phase: Running
  conditions: [{{type: Ready, status: "True", lastTransitionTime: "2026-06-01T00:00:00Z"}}]
"#
    )
}

fn node(name: &str) -> String {
    format!("---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\n")
}

#[track_caller]
fn same_as_full(r: &Replanner, o: &Options) {
    for (d, p) in r.plans() {
        let full = plan(d, r.snapshot(), o);
        assert_eq!(
            serde_json::to_string(&p.to_json()).unwrap(),
            serde_json::to_string(&full.to_json()).unwrap()
        );
    }
}

fn taint_first_node(r: &mut Replanner, effect: TaintEffect) {
    let mut n = r.snapshot().nodes()[0].clone();
    n.taints.push(Taint::new("maint", "", effect));
    r.set_node(n).unwrap();
}

#[test]
fn replanner_counts_availability_with_the_clock() {
    // minReadySeconds 10 and pods Ready for 0 s: available only later, not "since the epoch".
    let d = ds("minReadySeconds: 10", "");
    let h = d.revision_hash().to_string();
    let text = format!(
        "{}{}{}{}",
        node("n1"),
        node("n2"),
        pod("p1", "n1", &h),
        pod("p2", "n2", &h)
    );
    let o = Options::at(now());
    let mut r = Replanner::new(Snapshot::from_yaml(&text).unwrap(), o.clone());
    r.add(d);
    taint_first_node(&mut r, TaintEffect::NoSchedule);
    same_as_full(&r, &o);
    assert_eq!(r.plan("agent").unwrap().status().number_unavailable, 1);
}

#[test]
fn replanner_respects_the_burst_cap() {
    let text = format!("{}{}{}{}", node("n1"), node("n2"), node("n3"), node("n4"));
    let mut o = Options::at(now());
    o.burst_replicas = 2;
    let mut r = Replanner::new(Snapshot::from_yaml(&text).unwrap(), o.clone());
    r.add(ds("", ""));
    taint_first_node(&mut r, TaintEffect::NoSchedule);
    same_as_full(&r, &o);
    let creates: Vec<&str> = r
        .plan("agent")
        .unwrap()
        .creates()
        .iter()
        .map(|c| c.node.as_str())
        .collect();
    assert_eq!(creates, ["n2", "n3"]);
}

#[test]
fn replanner_leaves_a_deleting_daemon_set_alone() {
    let d = ds("", ", deletionTimestamp: \"2026-01-01T00:00:00Z\"");
    let h = d.revision_hash().to_string();
    let text = format!("{}{}{}", node("n1"), node("n2"), pod("p2", "n2", &h));
    let o = Options::at(now());
    let mut r = Replanner::new(Snapshot::from_yaml(&text).unwrap(), o.clone());
    r.add(d);
    let mut n = r.snapshot().nodes()[1].clone();
    n.taints
        .push(Taint::new("maint", "", TaintEffect::NoExecute));
    r.set_node(n).unwrap();
    same_as_full(&r, &o);
    assert!(r.plan("agent").unwrap().deletes().is_empty());
}

#[test]
fn the_largest_revision_number_does_not_overflow() {
    let text = format!(
        "{}---\napiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {{name: agent-old, namespace: default, labels: {{app: agent, controller-revision-hash: old}}, ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: u1, controller: true}}]}}\nrevision: 9223372036854775807\ndata: {{spec: {{template: {{metadata: {{labels: {{app: other}}}}}}}}}}\n",
        node("n1")
    );
    let p = plan(
        &ds("", ""),
        &Snapshot::from_yaml(&text).unwrap(),
        &Options::at(now()),
    );
    assert_eq!(p.revisions().create.as_ref().unwrap().revision, i64::MAX);
}

#[test]
fn extreme_quantities_do_not_overflow_the_fit_check() {
    let text = "---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: \"100000000000000000000000000000\", pods: \"110\"}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: other, namespace: kube-system}\nspec: {nodeName: n1, containers: [{name: a, image: a, resources: {requests: {cpu: \"-100000000000000000000000000000\"}}}]}\n";
    let p = plan(
        &ds("", ""),
        &Snapshot::from_yaml(text).unwrap(),
        &Options::at(now()),
    );
    let d = p.node("n1").unwrap();
    assert!(d.should_run && d.fits);
}

/// A pod holding the daemon's host port whose controller reference carries this DaemonSet's
/// uid under another name is the DaemonSet's own (ownership goes by uid): its port is freed by
/// the replacement, so the new pod fits. (Review of the pod index: the port check had moved
/// to a name-keyed rule.)
#[test]
fn a_port_held_by_a_pod_owned_by_uid_under_another_name_is_free() {
    let ds = DaemonSet::from_yaml(
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default, uid: u1}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: a, image: a:1, ports: [{containerPort: 9100, hostPort: 9100}]}]
"#,
    )
    .unwrap();
    let snapshot = Snapshot::from_yaml(
        r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: "4", pods: "110"}}
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: default
  labels: {other: x}
  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent-old, uid: u1, controller: true}]
spec:
  nodeName: n1
  containers: [{name: a, image: a:0, ports: [{containerPort: 9100, hostPort: 9100}]}]
status: {phase: Running}
"#,
    )
    .unwrap();
    let mut options = Options::at(now());
    options.strict_fit = true;
    let p = plan(&ds, &snapshot, &options);
    let d = p.node("n1").unwrap();
    assert!(d.should_run && d.fits, "{:?}", d.reasons);
    assert_eq!(p.creates().len(), 1);
    assert!(p.stuck().is_empty(), "{:?}", p.stuck());
}
