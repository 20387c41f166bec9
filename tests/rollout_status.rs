//! Why a rollout is stuck (`Plan::stuck`) and `kubectl rollout status` (`Plan::rollout_status`):
//! kubectl's messages (R63) and this crate's Blocked state.

mod rollout_support;

use daemonset_planner::{
    IntOrPercent, LabelSelector, Plan, RolloutStatus, StuckReason, Taint, TaintEffect,
    UnavailableNode, plan,
};
use rollout_support::*;

const OLD: &str = "old-hash";

#[track_caller]
fn progressing(p: &Plan, message: &str) {
    assert_eq!(
        p.rollout_status(),
        &RolloutStatus::Progressing {
            message: message.into()
        }
    );
}

#[track_caller]
fn blocked(p: &Plan, message: &str) {
    assert_eq!(
        p.rollout_status(),
        &RolloutStatus::Blocked {
            message: message.into()
        }
    );
}

fn not_ready(c: &mut Cluster, node: usize) {
    let n = &mut c.nodes[node];
    n.conditions[0].status = "False".into();
    n.taints.push(Taint::new(
        "node.kubernetes.io/not-ready",
        "",
        TaintEffect::NoExecute,
    ));
}

// R63: kubectl's three messages, computed from the status this sync observes.
#[test]
fn kubectl_messages() {
    let ds = foo("foo2/bar2", &unavailable("1"));
    let h = ds.revision_hash().to_string();

    // 3 of 5 updated: one more old pod goes in this plan.
    let mut c = Cluster::with_nodes(5);
    for i in 0..5 {
        let hash = if i < 3 { h.as_str() } else { OLD };
        c.pod(&format!("node-{i}"), hash, Ready::Since(0), 0);
    }
    let p = c.plan(&ds, 10);
    expect(&p, 0, 1);
    progressing(
        &p,
        "Waiting for daemon set \"foo\" rollout to finish: 3 out of 5 new pods have been updated...",
    );
    assert!(!p.rollout_status().is_done());

    // All updated, 4 of 5 available.
    let mut c = Cluster::with_nodes(5);
    for i in 0..5 {
        let ready = if i == 2 { Ready::No } else { Ready::Since(0) };
        c.pod(&format!("node-{i}"), &h, ready, 0);
    }
    let p = c.plan(&ds, 10);
    expect(&p, 0, 0);
    progressing(
        &p,
        "Waiting for daemon set \"foo\" rollout to finish: 4 of 5 updated pods are available...",
    );

    // Done.
    let mut c = Cluster::with_nodes(5);
    for i in 0..5 {
        c.pod(&format!("node-{i}"), &h, Ready::Since(0), 0);
    }
    let p = c.plan(&ds, 10);
    assert_eq!(
        p.rollout_status(),
        &RolloutStatus::Done {
            message: "daemon set \"foo\" successfully rolled out".into()
        }
    );
    assert!(p.rollout_status().is_done());
    assert!(p.stuck().is_empty());

    // No nodes at all: nothing to wait for.
    let p = Cluster::with_nodes(0).plan(&ds, 10);
    assert!(p.rollout_status().is_done());

    // OnDelete: kubectl refuses.
    let p = c.plan(&foo("foo2/bar2", ON_DELETE), 10);
    assert_eq!(
        p.rollout_status().message(),
        "rollout status is only available for RollingUpdate strategy type"
    );
    assert!(matches!(
        p.rollout_status(),
        RolloutStatus::Unsupported { .. }
    ));
}

#[test]
fn status_message_uses_the_daemon_set_name() {
    let ds = ds(r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: x, namespace: default, generation: 4}
spec:
  selector: {matchLabels: {app: foo}}
  template:
    metadata: {labels: {app: foo}}
    spec: {containers: [{name: foo, image: foo}]}
status: {observedGeneration: 3}
"#);
    let mut c = Cluster::with_nodes(5);
    for i in 0..3 {
        let name = c.pod(&format!("node-{i}"), ds.revision_hash(), Ready::Since(0), 0);
        c.pod_mut(&name).controller = None; // orphans the DaemonSet adopts
    }
    let p = plan(&ds, &c.snapshot(), &options(10));
    assert_eq!(p.adoptions().len(), 3);
    // The plan's status observes generation 4, so kubectl would look at the pods.
    assert_eq!(p.status().observed_generation, Some(4));
    progressing(
        &p,
        "Waiting for daemon set \"x\" rollout to finish: 3 out of 5 new pods have been updated...",
    );
}

// Budget used up by unavailable pods: named, with whether their node is NotReady.
#[test]
fn budget_used_up_names_the_unavailable_nodes() {
    let ds = foo("foo2/bar2", &unavailable("1"));
    let mut c = Cluster::with_nodes(4);
    let stuck_pod = c.pod("node-0", ds.revision_hash(), Ready::No, 5);
    for i in 1..4 {
        c.pod(&format!("node-{i}"), OLD, Ready::Since(0), 0);
    }
    not_ready(&mut c, 0);
    let p = c.plan(&ds, 10);
    expect(&p, 0, 0);
    assert_eq!(
        p.stuck(),
        &[StuckReason::BudgetExhausted {
            max_unavailable: 1,
            unavailable: vec![UnavailableNode {
                node: "node-0".into(),
                pod: Some(format!("default/{stuck_pod}")),
                node_not_ready: true,
            }],
        }]
    );
    blocked(
        &p,
        &format!(
            "Waiting for daemon set \"foo\" rollout to finish: 1 out of 4 new pods have been updated... blocked: maxUnavailable 1 used up by 1 unavailable node(s): node-0 (pod default/{stuck_pod}, node NotReady)"
        ),
    );
}

// kubernetes#117204: an old pod stuck terminating on a NotReady node holds a maxUnavailable 1
// rollout; the node has no live pod, and the plan says so.
#[test]
fn terminating_pod_on_a_not_ready_node_holds_the_budget() {
    let ds = foo("foo2/bar2", &unavailable("1"));
    let mut c = Cluster::with_nodes(3);
    c.pod("node-0", OLD, Ready::Since(0), 0);
    c.pod("node-1", OLD, Ready::Since(0), 0);
    let t = c.pod("node-2", OLD, Ready::Since(0), 0);
    c.pod_mut(&t).deletion_timestamp = Some(at(5));
    not_ready(&mut c, 2);
    let p = c.plan(&ds, 10);
    expect(&p, 0, 0);
    match p.stuck() {
        [StuckReason::BudgetExhausted { unavailable, .. }] => {
            assert_eq!(
                unavailable,
                &[UnavailableNode {
                    node: "node-2".into(),
                    pod: None,
                    node_not_ready: true
                }]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(p.rollout_status().message().ends_with(
        "blocked: maxUnavailable 1 used up by 1 unavailable node(s): node-2 (no pod, node NotReady)"
    ));
}

fn port_snapshot(
    new_template_port: &str,
    host_network: bool,
) -> (daemonset_planner::DaemonSet, Cluster) {
    let hn = if host_network {
        "hostNetwork: true\n      "
    } else {
        ""
    };
    let pod_hn = if host_network {
        "hostNetwork: true\n  "
    } else {
        ""
    };
    let ds = ds(&format!(
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
      {hn}containers: [{{name: foo, image: "foo2/bar2", ports: [{new_template_port}]}}]
"#
    ));
    let old_port = if host_network {
        "{containerPort: 9100}"
    } else {
        "{containerPort: 9100, hostPort: 9100}"
    };
    let mut yaml = String::new();
    for i in 0..2 {
        yaml.push_str(&format!(
            r#"
---
apiVersion: v1
kind: Node
metadata: {{name: node-{i}}}
status: {{conditions: [{{type: Ready, status: "True"}}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: foo-old-{i}
  namespace: default
  labels: {{app: foo, controller-revision-hash: {OLD}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: foo, uid: {UID}, controller: true}}]
  creationTimestamp: "2026-01-01T00:00:00Z"
spec:
  nodeName: node-{i}
  {pod_hn}containers: [{{name: foo, image: foo/bar, ports: [{old_port}]}}]
status:
  phase: Running
  conditions: [{{type: Ready, status: "True", lastTransitionTime: "2026-01-01T00:00:00Z"}}]
"#
        ));
    }
    let snap = snapshot(&yaml);
    let mut c = Cluster::default();
    c.nodes = snap.nodes().to_vec();
    c.pods = snap.pods().to_vec();
    (ds, c)
}

// kubernetes#106417: with maxSurge, a surge pod needing the host port the old pod holds never
// schedules, and the surge budget stays used forever.
#[test]
fn surge_host_port_deadlock() {
    let (ds, mut c) = port_snapshot("{containerPort: 9100, hostPort: 9100}", false);
    let p = c.plan(&ds, 10);
    expect(&p, 1, 0);
    assert_eq!(created_nodes(&p), ["node-0"]);
    // Said as the surge pod is planned: a deadlock does not clear by waiting, so the rollout
    // is reported Blocked even though this plan still creates the (doomed) surge pod.
    assert_eq!(
        p.stuck(),
        &[StuckReason::SurgeHostPortDeadlock {
            node: "node-0".into(),
            port: 9100
        }]
    );
    assert!(matches!(p.rollout_status(), RolloutStatus::Blocked { .. }));
    c.apply(&p, 10);

    // Next sync: the surge pod is Pending beside the old one; nothing can move.
    let p = c.plan(&ds, 20);
    expect(&p, 0, 0);
    assert_eq!(
        p.stuck(),
        &[
            StuckReason::SurgeHostPortDeadlock {
                node: "node-0".into(),
                port: 9100
            },
            StuckReason::SurgeExhausted {
                max_surge: 1,
                waiting: vec!["node-0".into()]
            },
        ]
    );
    blocked(
        &p,
        "Waiting for daemon set \"foo\" rollout to finish: 0 out of 2 new pods have been updated... blocked: surge pod on node-0 can never start: host port 9100 is held by the old pod (kubernetes#106417)",
    );
}

#[test]
fn surge_host_network_ports_deadlock() {
    let (ds, c) = port_snapshot("{containerPort: 9100}", true);
    let p = c.plan(&ds, 10);
    assert_eq!(
        p.stuck(),
        &[StuckReason::SurgeHostPortDeadlock {
            node: "node-0".into(),
            port: 9100
        }]
    );
}

#[test]
fn surge_without_shared_ports_is_not_stuck() {
    let (ds, mut c) = port_snapshot("{containerPort: 9200, hostPort: 9200}", false);
    let p = c.plan(&ds, 10);
    expect(&p, 1, 0);
    assert!(p.stuck().is_empty(), "{:?}", p.stuck());
    c.apply(&p, 10);
    let p = c.plan(&ds, 20);
    // Waiting for the surge pod to become available is budget, not a deadlock.
    assert_eq!(
        p.stuck(),
        &[StuckReason::SurgeExhausted {
            max_surge: 1,
            waiting: vec!["node-0".into()]
        }]
    );
    assert_eq!(
        p.rollout_status().message(),
        "Waiting for daemon set \"foo\" rollout to finish: 0 out of 2 new pods have been updated... blocked: maxSurge 1 used up by 1 surge pod(s) not yet available: node-0"
    );
}

fn resource_case(node_alloc: &str) -> Plan {
    let ds = ds(&format!(
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
      containers: [{{name: foo, image: "foo2/bar2", resources: {{requests: {{cpu: 600m, memory: 100Mi}}}}}}]
"#
    ));
    let snap = snapshot(&format!(
        r#"
apiVersion: v1
kind: Node
metadata: {{name: node-0}}
status:
  allocatable: {node_alloc}
  conditions: [{{type: Ready, status: "True"}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: foo-old-0
  namespace: default
  labels: {{app: foo, controller-revision-hash: {OLD}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: foo, uid: {UID}, controller: true}}]
spec:
  nodeName: node-0
  containers: [{{name: foo, image: foo/bar, resources: {{requests: {{cpu: 600m, memory: 100Mi}}}}}}]
status:
  phase: Running
  conditions: [{{type: Ready, status: "True"}}]
"#
    ));
    plan(&ds, &snap, &options(10))
}

// A surge pod needs room for a second pod beside the old one.
#[test]
fn surge_without_room_for_a_second_pod() {
    let p = resource_case("{cpu: \"1\", memory: 1Gi, pods: \"110\"}");
    expect(&p, 1, 0);
    assert_eq!(
        p.stuck(),
        &[StuckReason::SurgeInsufficientResource {
            node: "node-0".into(),
            resource: "cpu".into()
        }]
    );
    let p = resource_case("{cpu: \"2\", memory: 1Gi, pods: \"1\"}");
    assert_eq!(
        p.stuck(),
        &[StuckReason::SurgeInsufficientResource {
            node: "node-0".into(),
            resource: "pods".into()
        }]
    );
    let p = resource_case("{cpu: \"2\", memory: 1Gi, pods: \"110\"}");
    assert!(p.stuck().is_empty(), "{:?}", p.stuck());
}

#[test]
fn nodes_held_by_partition_or_selector() {
    let ds = foo("foo2/bar2", &unavailable("\"100%\""));
    let mut c = Cluster::with_nodes(3);
    for i in 0..3 {
        c.pod(&format!("node-{i}"), ds.revision_hash(), Ready::Since(0), 0);
    }
    c.pods[2]
        .labels
        .insert("controller-revision-hash".into(), OLD.into());
    let mut o = options(10);
    o.rollout.partition = Some(IntOrPercent::Int(1));
    let p = plan(&ds, &c.snapshot(), &o);
    expect(&p, 0, 0);
    assert_eq!(
        p.stuck(),
        &[StuckReason::Partitioned {
            node: "node-2".into()
        }]
    );
    blocked(
        &p,
        "Waiting for daemon set \"foo\" rollout to finish: 2 out of 3 new pods have been updated... blocked: node-2 is held on the old revision by the partition",
    );

    let mut o = options(10);
    o.rollout.selector = Some(LabelSelector::from_match_labels([("canary", "true")]));
    let p = plan(&ds, &c.snapshot(), &o);
    expect(&p, 0, 0);
    assert_eq!(
        p.stuck(),
        &[StuckReason::NotSelected {
            node: "node-2".into()
        }]
    );
    assert!(
        p.rollout_status()
            .message()
            .ends_with("blocked: node-2 does not match the rollout selector")
    );
}

#[test]
fn stuck_reasons_serialize_with_a_kind_tag() {
    let json = serde_json::to_value(StuckReason::SurgeHostPortDeadlock {
        node: "node-0".into(),
        port: 9100,
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "surgeHostPortDeadlock", "node": "node-0", "port": 9100})
    );
}
