//! Placement: for every node, should the daemon pod run here, may it keep running, and why not.
//!
//! The upstream cases (TestNodeShouldRunDaemonPod and the placement/taint scenarios of
//! daemon_controller_test.go) are restated as manifests; then the fit this crate adds on top
//! (resources, host ports, `strict_fit`), the seed DaemonSets against a ten-node sample cluster,
//! and a property: a node's decision depends on that node and its pods only.

use daemonset_planner::{
    DaemonSet, DeleteReason, NodeDecision, Options, Plan, Reason, Snapshot, TaintEffect, Timestamp,
    node_decision, placement, plan,
};

// ---------------------------------------------------------------------------------------------
// Harness

fn now() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn options() -> Options {
    Options::at(now())
}

fn strict() -> Options {
    let mut o = options();
    o.strict_fit = true;
    o
}

#[track_caller]
fn daemon_set(yaml: &str) -> DaemonSet {
    DaemonSet::from_yaml(yaml).unwrap_or_else(|e| panic!("invalid DaemonSet: {e}\n{yaml}"))
}

#[track_caller]
fn cluster(yaml: &str) -> Snapshot {
    Snapshot::from_yaml(yaml).unwrap_or_else(|e| panic!("invalid snapshot: {e}\n{yaml}"))
}

/// `text` with every line indented by `n` spaces.
fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

/// The decision for `node`, fit included, as `placement()` reports it.
#[track_caller]
fn decision(ds: &DaemonSet, snapshot: &Snapshot, node: &str, options: &Options) -> NodeDecision {
    let index = snapshot
        .nodes()
        .iter()
        .position(|n| n.name == node)
        .unwrap_or_else(|| panic!("no node {node}"));
    placement(ds, snapshot, options).swap_remove(index)
}

/// `(should_run, should_continue_running)` from `node_decision()` (no fit), checked against
/// what `placement()` says for the same node.
#[track_caller]
fn run_flags(ds: &DaemonSet, snapshot: &Snapshot, node: &str) -> (bool, bool) {
    let n = snapshot
        .node(node)
        .unwrap_or_else(|| panic!("no node {node}"));
    let direct = node_decision(ds, n, &options());
    let full = decision(ds, snapshot, node, &options());
    assert_eq!(
        (direct.should_run, direct.should_continue_running),
        (full.should_run, full.should_continue_running),
        "node_decision and placement disagree on {node}"
    );
    (direct.should_run, direct.should_continue_running)
}

fn texts(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(ToString::to_string).collect()
}

#[track_caller]
fn assert_reasons(d: &NodeDecision, expected: &[&str]) {
    assert_eq!(texts(&d.reasons), expected);
}

/// `(creates, deletes)` of one sync.
fn counts(p: &Plan) -> (usize, usize) {
    (p.creates().len(), p.deletes().len())
}

fn created_on(p: &Plan) -> Vec<&str> {
    p.creates().iter().map(|c| c.node.as_str()).collect()
}

/// The nodes where the daemon pod should run.
fn running_on(ds: &DaemonSet, snapshot: &Snapshot) -> Vec<String> {
    snapshot
        .nodes()
        .iter()
        .zip(placement(ds, snapshot, &options()))
        .filter(|(_, d)| d.should_run)
        .map(|(n, _)| n.name.to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Upstream fixtures (section 0.1 of the notes): newDaemonSet("foo"), newNode, newPod.

const SIMPLE_DAEMON_SET_LABEL: &str = "{name: simple-daemon, type: production}";
const ON_DELETE: &str = "{type: OnDelete}";
const ROLLING_UPDATE: &str = "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}";
/// Upstream runs most placement tests once per strategy, expecting the same outcome.
const STRATEGIES: [&str; 2] = [ON_DELETE, ROLLING_UPDATE];
const IMAGE: &str = "containers: [{name: foo, image: foo/bar}]";

/// A DaemonSet like upstream's `newDaemonSet(name)`: namespace default, selector and template
/// labels `{name: simple-daemon, type: production}`, the given template spec.
fn upstream_ds_in(name: &str, namespace: &str, strategy: &str, spec: &str) -> DaemonSet {
    daemon_set(&format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  revisionHistoryLimit: 2
  updateStrategy: {strategy}
  selector:
    matchLabels: {SIMPLE_DAEMON_SET_LABEL}
  template:
    metadata:
      labels: {SIMPLE_DAEMON_SET_LABEL}
    spec:
{}",
        indent(spec, 6)
    ))
}

fn upstream_ds(strategy: &str, spec: &str) -> DaemonSet {
    upstream_ds_in("foo", "default", strategy, spec)
}

/// A node like upstream's `newNode(name, labels)`: Ready, `pods: 100` allocatable.
fn upstream_node(name: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1
kind: Node
metadata: {{name: {name}, labels: {labels}}}
status:
  conditions: [{{type: Ready, status: \"True\"}}]
  allocatable: {{pods: \"100\"}}
---
"
    )
}

/// `node-<start>` .. `node-<start + n - 1>`, like upstream's `addNodes`.
fn upstream_nodes(start: usize, n: usize, labels: &str) -> String {
    (start..start + n)
        .map(|i| upstream_node(&format!("node-{i}"), labels))
        .collect()
}

/// A pod of DaemonSet `foo` (current revision) bound to `node`, like upstream's
/// `newPod(prefix, node, simpleDaemonSetLabel, ds)`.
fn daemon_pod(ds: &DaemonSet, name: &str, node: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
  labels: {{name: simple-daemon, type: production, controller-revision-hash: {hash}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: {ds_name}, controller: true}}]
spec:
  nodeName: {node}
  containers: [{{name: foo, image: foo/bar}}]
---
",
        ns = ds.namespace(),
        ds_name = ds.name(),
        hash = ds.revision_hash(),
    )
}

// ---------------------------------------------------------------------------------------------
// 1.1 TestNodeShouldRunDaemonPod

/// The node every NSR case uses: labelled like the DaemonSet, 100M memory, 1 cpu, 100 pods.
fn nsr_node(unschedulable: bool) -> String {
    format!(
        "apiVersion: v1
kind: Node
metadata: {{name: test-node, labels: {SIMPLE_DAEMON_SET_LABEL}}}
spec: {{unschedulable: {unschedulable}}}
status:
  conditions: [{{type: Ready, status: \"True\"}}]
  allocatable: {{memory: 100M, cpu: \"1\", pods: \"100\"}}
---
"
    )
}

/// Upstream's `resourcePodSpec(nodeName, memory, cpu)` (without its `pods: 100` request, which
/// the API server would reject as a container resource).
fn resource_pod_spec(node_name: &str, memory: &str, cpu: &str) -> String {
    let pin = if node_name.is_empty() {
        String::new()
    } else {
        format!("nodeName: {node_name}\n")
    };
    format!(
        "{pin}containers:
- name: foo
  image: foo/bar
  resources: {{requests: {{memory: {memory}, cpu: \"{cpu}\"}}}}
"
    )
}

/// A pod that is not a daemon pod, bound to test-node.
fn other_pod(name: &str, node: &str, spec: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeName: {node}
{}---
",
        indent(spec, 2)
    )
}

struct NsrCase {
    id: &'static str,
    spec: String,
    pods: String,
    unschedulable: bool,
    expected: (bool, bool),
    /// What this crate adds: the fit explained (upstream ignores it).
    fit: &'static [&'static str],
}

fn nsr_cases() -> Vec<NsrCase> {
    let port_666 = "containers:
- name: foo
  image: foo/bar
  ports: [{containerPort: 666, hostPort: 666}]
";
    let busy_pod = |memory: &str, cpu: &str| {
        other_pod(
            "port-holder",
            "test-node",
            &format!(
                "containers:
- name: bar
  image: bar
  ports: [{{containerPort: 666, hostPort: 666}}]
  resources: {{requests: {{memory: {memory}, cpu: \"{cpu}\"}}}}
"
            ),
        )
    };
    vec![
        NsrCase {
            id: "NSR-01 ShouldRunDaemonPod",
            spec: resource_pod_spec("", "50M", "0.5"),
            pods: String::new(),
            unschedulable: false,
            expected: (true, true),
            fit: &[],
        },
        NsrCase {
            id: "NSR-02 InsufficientResourceError: resources are ignored",
            spec: resource_pod_spec("", "200M", "0.5"),
            pods: String::new(),
            unschedulable: false,
            expected: (true, true),
            fit: &["insufficient memory: requested 200M, free 100M"],
        },
        NsrCase {
            id: "NSR-03 ErrPodNotMatchHostName",
            spec: resource_pod_spec("other-node", "50M", "0.5"),
            pods: String::new(),
            unschedulable: false,
            expected: (false, false),
            fit: &[],
        },
        NsrCase {
            id: "NSR-04 ErrPodNotFitsHostPorts: host ports are ignored",
            spec: port_666.to_string(),
            pods: other_pod("port-holder", "test-node", port_666),
            unschedulable: false,
            expected: (true, true),
            fit: &[
                "node(s) didn't have free ports for the requested pod ports: 666/TCP is used by pod default/port-holder",
            ],
        },
        NsrCase {
            id: "NSR-05 InsufficientResourceError: over-committed node",
            spec: resource_pod_spec("", "100M", "0.5"),
            pods: busy_pod("50M", "0.5"),
            unschedulable: false,
            expected: (true, true),
            fit: &["insufficient memory: requested 100M, free 50M"],
        },
        NsrCase {
            id: "NSR-06 ShouldRunDaemonPod beside another pod",
            spec: resource_pod_spec("", "50M", "0.5"),
            pods: busy_pod("50M", "0.5"),
            unschedulable: false,
            expected: (true, true),
            fit: &[],
        },
        NsrCase {
            id: "NSR-07 ErrNodeSelectorNotMatch",
            spec: format!("nodeSelector: {{name: simple-daemon, type: test}}\n{IMAGE}"),
            pods: String::new(),
            unschedulable: false,
            expected: (false, false),
            fit: &[],
        },
        NsrCase {
            id: "NSR-08 ShouldRunDaemonPod with a matching node selector",
            spec: format!("nodeSelector: {SIMPLE_DAEMON_SET_LABEL}\n{IMAGE}"),
            pods: String::new(),
            unschedulable: false,
            expected: (true, true),
            fit: &[],
        },
        NsrCase {
            id: "NSR-09 ErrPodAffinityNotMatch",
            spec: format!(
                "affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{{key: type, operator: In, values: [test]}}]
{IMAGE}"
            ),
            pods: String::new(),
            unschedulable: false,
            expected: (false, false),
            fit: &[],
        },
        NsrCase {
            id: "NSR-10 ShouldRunDaemonPod with matching affinity",
            spec: format!(
                "affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{{key: type, operator: In, values: [production]}}]
{IMAGE}"
            ),
            pods: String::new(),
            unschedulable: false,
            expected: (true, true),
            fit: &[],
        },
        NsrCase {
            id: "NSR-11 ShouldRunDaemonPodOnUnschedulableNode",
            spec: resource_pod_spec("", "50M", "0.5"),
            pods: String::new(),
            unschedulable: true,
            expected: (true, true),
            fit: &[],
        },
    ]
}

// upstream: TestNodeShouldRunDaemonPod
#[test]
fn node_should_run_daemon_pod() {
    for case in nsr_cases() {
        for strategy in STRATEGIES {
            let ds = upstream_ds(strategy, &case.spec);
            let snapshot = cluster(&format!("{}{}", nsr_node(case.unschedulable), case.pods));
            let flags = run_flags(&ds, &snapshot, "test-node");
            assert_eq!(flags, case.expected, "{} ({strategy})", case.id);
            let d = decision(&ds, &snapshot, "test-node", &options());
            if d.should_run {
                assert_reasons(&d, case.fit);
                assert_eq!(d.fits, case.fit.is_empty(), "{}", case.id);
            }
        }
    }
}

#[test]
fn node_should_run_reasons_name_the_mismatch() {
    let node = cluster(&nsr_node(false));
    let d = |spec: &str| {
        decision(
            &upstream_ds(ON_DELETE, spec),
            &node,
            "test-node",
            &options(),
        )
    };
    assert_reasons(
        &d(&resource_pod_spec("other-node", "50M", "0.5")),
        &["node(s) didn't match the requested node name \"other-node\""],
    );
    assert_reasons(
        &d(&format!(
            "nodeSelector: {{name: simple-daemon, type: test}}\n{IMAGE}"
        )),
        &["node(s) didn't match Pod's node selector: type=test wanted, node has type=production"],
    );
    let affinity = d(&format!(
        "affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{{key: type, operator: In, values: [test]}}]
{IMAGE}"
    ));
    assert_eq!(affinity.reasons, [Reason::NodeAffinityMismatch]);
    assert_reasons(
        &affinity,
        &["node(s) didn't match Pod's node affinity/selector"],
    );
}

// ---------------------------------------------------------------------------------------------
// 1.2 Single-sync placement scenarios: creates and deletes of one plan()

// upstream: TestSimpleDaemonSetLaunchesPods, TestSimpleDaemonSetScheduleDaemonSetPodsLaunchesPods
#[test]
fn simple_daemon_set_launches_a_pod_per_node() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(strategy, IMAGE);
        let p = plan(&ds, &cluster(&upstream_nodes(0, 5, "{}")), &options());
        assert_eq!(counts(&p), (5, 0));
        assert_eq!(
            created_on(&p),
            ["node-0", "node-1", "node-2", "node-3", "node-4"]
        );
        assert!(p.events().is_empty());
    }
}

// upstream: TestOneNodeDaemonLaunchesPod, TestNoNodesDoesNothing
#[test]
fn one_node_one_pod_no_node_no_pod() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(strategy, IMAGE);
        let p = plan(&ds, &cluster(&upstream_node("only-node", "{}")), &options());
        assert_eq!(created_on(&p), ["only-node"]);
        assert_eq!(counts(&plan(&ds, &cluster(""), &options())), (0, 0));
    }
}

// upstream: TestNotReadyNodeDaemonDoesLaunchPod, TestNetworkUnavailableNodeDaemonLaunchesPod
#[test]
fn node_conditions_without_taints_are_ignored() {
    let nodes = cluster(
        "apiVersion: v1
kind: Node
metadata: {name: not-ready}
status:
  conditions: [{type: Ready, status: \"False\"}]
  allocatable: {pods: \"100\"}
---
apiVersion: v1
kind: Node
metadata: {name: network-unavailable}
status:
  conditions: [{type: NetworkUnavailable, status: \"True\"}]
  allocatable: {pods: \"100\"}
",
    );
    for strategy in STRATEGIES {
        let ds = upstream_ds(strategy, IMAGE);
        let p = plan(&ds, &nodes, &options());
        assert_eq!(created_on(&p), ["network-unavailable", "not-ready"]);
    }
}

// upstream: TestInsufficientCapacityNodeDaemonDoesNotUnscheduleRunningPod
#[test]
fn insufficient_capacity_still_launches_the_pod() {
    let snapshot = cluster(&format!(
        "apiVersion: v1
kind: Node
metadata: {{name: too-much-mem}}
status:
  conditions: [{{type: Ready, status: \"True\"}}]
  allocatable: {{memory: 100M, cpu: 200m, pods: \"100\"}}
---
{}",
        other_pod(
            "squatter",
            "too-much-mem",
            &resource_pod_spec("", "75M", "75m")
        )
    ));
    for strategy in STRATEGIES {
        let ds = upstream_ds(strategy, &resource_pod_spec("too-much-mem", "75M", "75m"));
        let p = plan(&ds, &snapshot, &options());
        assert_eq!(created_on(&p), ["too-much-mem"]);
        assert_eq!(p.deletes().len(), 0);
        // Beyond upstream: the plan says the pod will stay Pending...
        let d = p.node("too-much-mem").unwrap();
        assert!(d.should_run && !d.fits);
        assert_reasons(d, &["insufficient memory: requested 75M, free 25M"]);
        // ...and with strict fit it is not created at all.
        let p = plan(&ds, &snapshot, &strict());
        assert_eq!(counts(&p), (0, 0));
        assert!(p.node("too-much-mem").unwrap().should_run);
        assert_eq!(p.status().desired_number_scheduled, 1);
    }
}

// upstream: TestInsufficientCapacityNodeSufficientCapacityWithNodeLabelDaemonLaunchPod
#[test]
fn node_selector_picks_the_node_with_room() {
    let ds = upstream_ds(
        ON_DELETE,
        &format!(
            "nodeSelector: {{color: blue, speed: fast}}\n{}",
            resource_pod_spec("", "50M", "75m")
        ),
    );
    let snapshot = cluster(
        "apiVersion: v1
kind: Node
metadata: {name: not-enough-resource}
status: {allocatable: {memory: 10M, cpu: 20m, pods: \"100\"}}
---
apiVersion: v1
kind: Node
metadata: {name: enough-resource, labels: {color: blue, speed: fast}}
status: {allocatable: {memory: 100M, cpu: 200m, pods: \"100\"}}
",
    );
    let p = plan(&ds, &snapshot, &options());
    assert_eq!(created_on(&p), ["enough-resource"]);
    assert!(p.events().is_empty());
    assert!(p.node("enough-resource").unwrap().fits);
    assert_eq!(
        run_flags(&ds, &snapshot, "not-enough-resource"),
        (false, false)
    );
}

// upstream: TestPortConflictWithSameDaemonPodDoesNotDeletePod
#[test]
fn own_pod_holding_the_port_is_no_conflict() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(
            strategy,
            "nodeName: port-conflict
containers:
- {name: foo, image: foo/bar, ports: [{containerPort: 666, hostPort: 666}]}
",
        );
        let mut yaml = upstream_node("port-conflict", "{}");
        yaml.push_str(&daemon_pod(&ds, "foo-abcde", "port-conflict"));
        let p = plan(&ds, &cluster(&yaml), &options());
        assert_eq!(counts(&p), (0, 0));
        let d = p.node("port-conflict").unwrap();
        assert!(d.should_run && d.fits && d.reasons.is_empty());
    }
}

// upstream: TestNoPortConflictNodeDaemonLaunchesPod
#[test]
fn different_port_is_no_conflict() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(
            strategy,
            "nodeName: no-port-conflict
containers:
- {name: foo, image: foo/bar, ports: [{containerPort: 6662, hostPort: 6662}]}
",
        );
        let mut yaml = upstream_node("no-port-conflict", "{}");
        yaml.push_str(&other_pod(
            "web",
            "no-port-conflict",
            "containers: [{name: web, image: nginx, ports: [{containerPort: 6661, hostPort: 6661}]}]",
        ));
        let p = plan(&ds, &cluster(&yaml), &options());
        assert_eq!(created_on(&p), ["no-port-conflict"]);
        assert!(p.node("no-port-conflict").unwrap().fits);
    }
}

/// node-0..3 without labels, node-4..6 with `{color: blue, speed: fast}`.
fn seven_nodes() -> Snapshot {
    cluster(&format!(
        "{}{}",
        upstream_nodes(0, 4, "{}"),
        upstream_nodes(4, 3, "{color: blue, speed: fast}")
    ))
}

// upstream: TestSelectorDaemonLaunchesPods, TestSelectorDaemonSetLaunchesPods
#[test]
fn node_selector_launches_on_matching_nodes() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(
            strategy,
            &format!("nodeSelector: {{color: blue, speed: fast}}\n{IMAGE}"),
        );
        let p = plan(&ds, &seven_nodes(), &options());
        assert_eq!(created_on(&p), ["node-4", "node-5", "node-6"]);
        assert_reasons(
            p.node("node-0").unwrap(),
            &[
                "node(s) didn't match Pod's node selector: color=blue wanted, node has no color label",
                "node(s) didn't match Pod's node selector: speed=fast wanted, node has no speed label",
            ],
        );
    }
}

// upstream: TestBadSelectorDaemonDoesNothing
#[test]
fn node_selector_matching_nothing_does_nothing() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(
            strategy,
            &format!("nodeSelector: {{color: red, speed: fast}}\n{IMAGE}"),
        );
        let p = plan(&ds, &seven_nodes(), &options());
        assert_eq!(counts(&p), (0, 0));
        assert_reasons(
            p.node("node-5").unwrap(),
            &["node(s) didn't match Pod's node selector: color=red wanted, node has color=blue"],
        );
    }
}

// upstream: TestNameDaemonSetLaunchesPods, TestBadNameDaemonSetDoesNothing
#[test]
fn template_node_name_pins_to_one_node() {
    for strategy in STRATEGIES {
        let nodes = cluster(&upstream_nodes(0, 5, "{}"));
        let ds = upstream_ds(strategy, &format!("nodeName: node-0\n{IMAGE}"));
        assert_eq!(created_on(&plan(&ds, &nodes, &options())), ["node-0"]);
        assert_eq!(run_flags(&ds, &nodes, "node-1"), (false, false));

        let ds = upstream_ds(strategy, &format!("nodeName: node-10\n{IMAGE}"));
        assert_eq!(counts(&plan(&ds, &nodes, &options())), (0, 0));
    }
}

// upstream: TestNameAndSelectorDaemonSetLaunchesPods, TestInconsistentNameSelectorDaemonSetDoesNothing
#[test]
fn node_name_and_selector_must_both_match() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(
            strategy,
            &format!("nodeName: node-6\nnodeSelector: {{color: blue, speed: fast}}\n{IMAGE}"),
        );
        assert_eq!(
            created_on(&plan(&ds, &seven_nodes(), &options())),
            ["node-6"]
        );

        let ds = upstream_ds(
            strategy,
            &format!("nodeName: node-0\nnodeSelector: {{color: blue, speed: fast}}\n{IMAGE}"),
        );
        let p = plan(&ds, &seven_nodes(), &options());
        assert_eq!(counts(&p), (0, 0));
        assert_eq!(
            p.node("node-0").unwrap().reasons.len(),
            2,
            "both selector keys are missing on node-0"
        );
    }
}

// upstream: TestNodeAffinityDaemonLaunchesPods
#[test]
fn node_affinity_launches_on_matching_nodes() {
    for strategy in STRATEGIES {
        let ds = upstream_ds(
            strategy,
            &format!(
                "affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{{key: color, operator: In, values: [blue]}}]
{IMAGE}"
            ),
        );
        let p = plan(&ds, &seven_nodes(), &options());
        assert_eq!(created_on(&p), ["node-4", "node-5", "node-6"]);
        assert_eq!(
            p.node("node-0").unwrap().reasons,
            [Reason::NodeAffinityMismatch]
        );
    }
}

/// One node `tainted` with `taints` (YAML flow list) and Ready `ready`.
fn tainted_node(name: &str, taints: &str, ready: &str) -> String {
    format!(
        "apiVersion: v1
kind: Node
metadata: {{name: {name}}}
spec: {{taints: {taints}}}
status:
  conditions: [{{type: Ready, status: \"{ready}\"}}]
  allocatable: {{pods: \"100\"}}
---
"
    )
}

const DEDICATED_NO_SCHEDULE: &str = "[{key: dedicated, value: user1, effect: NoSchedule}]";
const DEDICATED_NO_EXECUTE: &str = "[{key: dedicated, value: user1, effect: NoExecute}]";
const TOLERATE_DEDICATED: &str =
    "tolerations: [{key: dedicated, value: user1, effect: NoSchedule}]";

// upstream: TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod
#[test]
fn no_schedule_taint_keeps_the_running_pod() {
    for strategy in STRATEGIES {
        let ds = upstream_ds_in("intolerant", "default", strategy, IMAGE);
        let mut yaml = tainted_node("tainted", DEDICATED_NO_SCHEDULE, "True");
        yaml.push_str(&daemon_pod(&ds, "intolerant-x1", "tainted"));
        let snapshot = cluster(&yaml);
        assert_eq!(run_flags(&ds, &snapshot, "tainted"), (false, true));
        let p = plan(&ds, &snapshot, &options());
        assert_eq!(counts(&p), (0, 0));
        assert_reasons(
            p.node("tainted").unwrap(),
            &["node(s) had untolerated taint {dedicated: user1}"],
        );
        assert_eq!(p.status().number_misscheduled, 1);
    }
}

// upstream: TestNoExecuteTaintedDoesEvicitRunningIntolerantPod
#[test]
fn no_execute_taint_evicts_the_running_pod() {
    for strategy in STRATEGIES {
        let ds = upstream_ds_in("intolerant", "default", strategy, IMAGE);
        let mut yaml = tainted_node("tainted", DEDICATED_NO_EXECUTE, "True");
        yaml.push_str(&daemon_pod(&ds, "intolerant-x1", "tainted"));
        let snapshot = cluster(&yaml);
        assert_eq!(run_flags(&ds, &snapshot, "tainted"), (false, false));
        let p = plan(&ds, &snapshot, &options());
        assert_eq!(counts(&p), (0, 1));
        assert_eq!(p.deletes()[0].pod, "intolerant-x1");
        assert_eq!(p.deletes()[0].reason, DeleteReason::NotEligible);
        assert!(p.events().is_empty());
        assert_eq!(
            p.node("tainted").unwrap().reasons,
            [Reason::UntoleratedTaint {
                key: "dedicated".into(),
                value: "user1".into(),
                effect: TaintEffect::NoExecute,
            }]
        );
    }
}

// upstream: TestTaintedNodeDaemonDoesNotLaunchIntolerantPod, TestTaintedNodeDaemonLaunchesToleratePod,
// TestNodeDaemonLaunchesToleratePod
#[test]
fn tolerations_decide_on_tainted_nodes() {
    for strategy in STRATEGIES {
        let tainted = cluster(&tainted_node("tainted", DEDICATED_NO_SCHEDULE, "True"));
        let intolerant = upstream_ds_in("intolerant", "default", strategy, IMAGE);
        assert_eq!(counts(&plan(&intolerant, &tainted, &options())), (0, 0));

        let tolerate = upstream_ds_in(
            "tolerate",
            "default",
            strategy,
            &format!("{TOLERATE_DEDICATED}\n{IMAGE}"),
        );
        assert_eq!(
            created_on(&plan(&tolerate, &tainted, &options())),
            ["tainted"]
        );
        let untainted = cluster(&upstream_node("node-0", "{}"));
        assert_eq!(
            created_on(&plan(&tolerate, &untainted, &options())),
            ["node-0"]
        );
    }
}

// upstream: TestNotReadyNodeDaemonLaunchesPod, TestUnreachableNodeDaemonLaunchesPod
#[test]
fn not_ready_and_unreachable_no_execute_taints_are_tolerated_by_default() {
    for strategy in STRATEGIES {
        let ds = upstream_ds_in("simple", "default", strategy, IMAGE);
        let not_ready = cluster(&tainted_node(
            "tainted",
            "[{key: node.kubernetes.io/not-ready, effect: NoExecute}]",
            "False",
        ));
        assert_eq!(created_on(&plan(&ds, &not_ready, &options())), ["tainted"]);
        let unreachable = cluster(&tainted_node(
            "tainted",
            "[{key: node.kubernetes.io/unreachable, effect: NoExecute}]",
            "Unknown",
        ));
        assert_eq!(
            created_on(&plan(&ds, &unreachable, &options())),
            ["tainted"]
        );
    }
}

// upstream: TestTaintPressureNodeDaemonLaunchesPod
#[test]
fn pressure_taints_are_tolerated_by_default() {
    for strategy in STRATEGIES {
        let ds = upstream_ds_in(
            "critical",
            "kube-system",
            strategy,
            &format!("priority: 2000000000\n{IMAGE}"),
        );
        let node = cluster(
            "apiVersion: v1
kind: Node
metadata: {name: resources-pressure}
spec:
  taints:
  - {key: node.kubernetes.io/disk-pressure, effect: NoSchedule}
  - {key: node.kubernetes.io/memory-pressure, effect: NoSchedule}
  - {key: node.kubernetes.io/pid-pressure, effect: NoSchedule}
status:
  conditions:
  - {type: DiskPressure, status: \"True\"}
  - {type: MemoryPressure, status: \"True\"}
  - {type: PIDPressure, status: \"True\"}
  allocatable: {pods: \"100\"}
",
        );
        assert_eq!(
            created_on(&plan(&ds, &node, &options())),
            ["resources-pressure"]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// R4: node state reaches the controller only through taints (no upstream test; rules R4, R6)

#[test]
fn cordoned_node_keeps_receiving_daemon_pods() {
    let ds = upstream_ds(ON_DELETE, IMAGE);
    let node = cluster(
        "apiVersion: v1
kind: Node
metadata: {name: cordoned}
spec:
  unschedulable: true
  taints: [{key: node.kubernetes.io/unschedulable, effect: NoSchedule}]
",
    );
    assert_eq!(run_flags(&ds, &node, "cordoned"), (true, true));
    assert_eq!(created_on(&plan(&ds, &node, &options())), ["cordoned"]);
}

#[test]
fn network_unavailable_is_tolerated_only_with_host_network() {
    let node = cluster(&tainted_node(
        "no-network",
        "[{key: node.kubernetes.io/network-unavailable, effect: NoSchedule}]",
        "False",
    ));
    let pod_network = upstream_ds(ON_DELETE, IMAGE);
    assert_eq!(run_flags(&pod_network, &node, "no-network"), (false, true));
    assert_reasons(
        &decision(&pod_network, &node, "no-network", &options()),
        &["node(s) had untolerated taint {node.kubernetes.io/network-unavailable: }"],
    );
    let host_network = upstream_ds(ON_DELETE, &format!("hostNetwork: true\n{IMAGE}"));
    assert_eq!(run_flags(&host_network, &node, "no-network"), (true, true));
}

#[test]
fn not_ready_no_schedule_taint_blocks_new_pods_but_keeps_old_ones() {
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let ds = upstream_ds(ROLLING_UPDATE, IMAGE);
        let taints =
            format!("[{{key: {key}, effect: NoSchedule}}, {{key: {key}, effect: NoExecute}}]");
        let empty = cluster(&tainted_node("sick", &taints, "False"));
        assert_eq!(run_flags(&ds, &empty, "sick"), (false, true));
        assert_eq!(counts(&plan(&ds, &empty, &options())), (0, 0));
        assert_reasons(
            &decision(&ds, &empty, "sick", &options()),
            &[&format!("node(s) had untolerated taint {{{key}: }}")],
        );

        let mut yaml = tainted_node("sick", &taints, "False");
        yaml.push_str(&daemon_pod(&ds, "foo-old", "sick"));
        let with_pod = cluster(&yaml);
        let p = plan(&ds, &with_pod, &options());
        assert_eq!(counts(&p), (0, 0), "{key}: the old pod is kept");
        assert_eq!(p.status().number_misscheduled, 1);
        assert_eq!(p.status().desired_number_scheduled, 0);
    }
}

#[test]
fn out_of_service_taint_evicts_daemon_pods() {
    let ds = upstream_ds(ON_DELETE, IMAGE);
    let mut yaml = tainted_node(
        "dead",
        "[{key: node.kubernetes.io/out-of-service, value: nodeshutdown, effect: NoExecute}]",
        "Unknown",
    );
    yaml.push_str(&daemon_pod(&ds, "foo-old", "dead"));
    let snapshot = cluster(&yaml);
    assert_eq!(run_flags(&ds, &snapshot, "dead"), (false, false));
    assert_eq!(counts(&plan(&ds, &snapshot, &options())), (0, 1));
}

#[test]
fn prefer_no_schedule_taints_are_ignored() {
    let ds = upstream_ds(ON_DELETE, IMAGE);
    let node = cluster(&tainted_node(
        "soft",
        "[{key: dedicated, value: user1, effect: PreferNoSchedule}]",
        "True",
    ));
    assert_eq!(run_flags(&ds, &node, "soft"), (true, true));
    assert!(decision(&ds, &node, "soft", &options()).reasons.is_empty());
}

// R10: tolerationSeconds does not limit the match.
#[test]
fn finite_toleration_seconds_still_tolerate() {
    let ds = upstream_ds(
        ON_DELETE,
        &format!(
            "tolerations: [{{key: dedicated, operator: Exists, effect: NoExecute, tolerationSeconds: 60}}]\n{IMAGE}"
        ),
    );
    let node = cluster(&tainted_node("tainted", DEDICATED_NO_EXECUTE, "True"));
    assert_eq!(run_flags(&ds, &node, "tainted"), (true, true));
}

#[test]
fn untolerated_taints_are_listed_in_node_order() {
    let ds = upstream_ds(
        ON_DELETE,
        &format!("tolerations: [{{key: b, operator: Exists}}]\n{IMAGE}"),
    );
    let node = cluster(&tainted_node(
        "many",
        "[{key: maintenance, value: \"true\", effect: NoSchedule},
          {key: b, value: x, effect: NoExecute},
          {key: soft, effect: PreferNoSchedule},
          {key: a, value: \"1\", effect: NoExecute}]",
        "True",
    ));
    let d = decision(&ds, &node, "many", &options());
    assert_eq!((d.should_run, d.should_continue_running), (false, false));
    assert_reasons(
        &d,
        &[
            "node(s) had untolerated taint {maintenance: true}",
            "node(s) had untolerated taint {a: 1}",
        ],
    );
    assert_eq!(
        d.reasons[0],
        Reason::UntoleratedTaint {
            key: "maintenance".into(),
            value: "true".into(),
            effect: TaintEffect::NoSchedule,
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Beyond upstream: fit, explained

/// A plain DaemonSet `agent` in namespace `ops` with the given template spec.
fn agent(spec: &str) -> DaemonSet {
    daemon_set(&format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent, namespace: ops}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
{}",
        indent(spec, 6)
    ))
}

/// A node with the given allocatable (YAML flow map).
fn node_with(name: &str, allocatable: &str) -> String {
    format!(
        "apiVersion: v1
kind: Node
metadata: {{name: {name}}}
status: {{allocatable: {allocatable}}}
---
"
    )
}

/// A running pod `namespace/name` bound to `node`, with one container.
fn pod_on(namespace: &str, name: &str, node: &str, container: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  nodeName: {node}
  containers: [{container}]
status: {{phase: Running}}
---
"
    )
}

/// A pod of DaemonSet `ops/agent` on `node`, requesting `requests`.
fn agent_pod(name: &str, node: &str, requests: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: ops
  labels: {{app: agent, controller-revision-hash: old}}
  ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: agent, controller: true}}]
spec:
  nodeName: {node}
  containers: [{{name: agent, image: agent:0.9, resources: {{requests: {requests}}}{extra}}}]
status: {{phase: Running}}
---
"
    )
}

#[test]
fn resources_are_checked_against_what_other_pods_request() {
    let ds = agent(
        "containers:
- name: agent
  image: agent:1
  resources:
    requests: {cpu: 500m, memory: 256Mi, ephemeral-storage: 1Gi, nvidia.com/gpu: \"1\"}
    limits: {nvidia.com/gpu: \"1\"}
",
    );
    let snapshot = cluster(&format!(
        "{}{}",
        node_with(
            "gpu-1",
            "{cpu: \"2\", memory: 1Gi, ephemeral-storage: 10Gi, nvidia.com/gpu: \"1\", pods: \"110\"}"
        ),
        pod_on(
            "ml",
            "trainer-0",
            "gpu-1",
            "{name: t, image: t, resources: {requests: {cpu: 1800m, memory: 924Mi, ephemeral-storage: 9728Mi, nvidia.com/gpu: \"1\"}, limits: {nvidia.com/gpu: \"1\"}}}"
        ),
    ));
    let d = decision(&ds, &snapshot, "gpu-1", &options());
    assert!(d.should_run && d.should_continue_running && !d.fits);
    // Fixed order: resources by name, then the pod count, then host ports.
    assert_reasons(
        &d,
        &[
            "insufficient cpu: requested 500m, free 200m",
            "insufficient ephemeral-storage: requested 1Gi, free 512Mi",
            "insufficient memory: requested 256Mi, free 100Mi",
            "insufficient nvidia.com/gpu: requested 1, free 0",
        ],
    );
    assert!(d.reasons.iter().all(Reason::is_fit));
    assert_eq!(
        d.reasons[2],
        Reason::InsufficientResource {
            resource: "memory".into(),
            requested: "256Mi".parse().unwrap(),
            free: "100Mi".parse().unwrap(),
        }
    );
}

#[test]
fn extended_resource_missing_on_the_node_does_not_fit() {
    let ds = agent(
        "containers:
- {name: agent, image: agent:1, resources: {limits: {nvidia.com/gpu: \"1\"}, requests: {nvidia.com/gpu: \"1\"}}}
",
    );
    let snapshot = cluster(&format!(
        "{}{}",
        node_with("cpu-only", "{cpu: \"4\", memory: 8Gi, pods: \"110\"}"),
        node_with(
            "gpu",
            "{cpu: \"4\", memory: 8Gi, nvidia.com/gpu: \"2\", pods: \"110\"}"
        ),
    ));
    assert_reasons(
        &decision(&ds, &snapshot, "cpu-only", &options()),
        &["insufficient nvidia.com/gpu: requested 1, free 0"],
    );
    assert!(decision(&ds, &snapshot, "gpu", &options()).fits);
}

#[test]
fn pod_count_is_checked() {
    let ds = agent("containers: [{name: agent, image: agent:1}]");
    let busy = |node: &str| {
        format!(
            "{}{}{}",
            node_with(node, "{cpu: \"4\", memory: 8Gi, pods: \"2\"}"),
            pod_on("web", &format!("{node}-a"), node, "{name: a, image: a}"),
            pod_on("web", &format!("{node}-b"), node, "{name: b, image: b}"),
        )
    };
    let snapshot = cluster(&busy("packed"));
    assert_reasons(
        &decision(&ds, &snapshot, "packed", &options()),
        &["insufficient pods: requested 1, free 0"],
    );
    // The kubelet always reports `pods`; the scheduler reads a missing entry as zero.
    let no_pods = cluster(&node_with("odd", "{cpu: \"4\", memory: 8Gi}"));
    assert_reasons(
        &decision(&ds, &no_pods, "odd", &options()),
        &["insufficient pods: requested 1, free 0"],
    );
    // A node that reports no allocatable at all (no status) is not checked.
    let bare = cluster(&node_with("bare", "{}"));
    assert!(decision(&ds, &bare, "bare", &options()).fits);
}

#[test]
fn own_pod_on_the_node_is_replaced_so_its_share_is_free() {
    let ds = agent(
        "containers: [{name: agent, image: agent:1, resources: {requests: {cpu: 300m, memory: 256Mi}}}]",
    );
    let node = node_with("n1", "{cpu: 400m, memory: 300Mi, pods: \"1\"}");
    // The old agent pod holds 300m / 256Mi and the only pod slot: the new one takes its place.
    let own = cluster(&format!(
        "{node}{}",
        agent_pod("agent-old", "n1", "{cpu: 300m, memory: 256Mi}", "")
    ));
    let d = decision(&ds, &own, "n1", &options());
    assert!(d.fits, "{:?}", d.reasons);
    // The same pod from another DaemonSet, or from an agent in another namespace, counts.
    let foreign = cluster(&format!(
        "{node}{}",
        pod_on(
            "ops",
            "other-agent",
            "n1",
            "{name: x, image: x, resources: {requests: {cpu: 300m, memory: 256Mi}}}"
        )
    ));
    assert_reasons(
        &decision(&ds, &foreign, "n1", &options()),
        &[
            "insufficient cpu: requested 300m, free 100m",
            "insufficient memory: requested 256Mi, free 44Mi",
            "insufficient pods: requested 1, free 0",
        ],
    );
}

#[test]
fn terminal_unbound_and_elsewhere_pods_hold_nothing() {
    let ds =
        agent("containers: [{name: agent, image: agent:1, resources: {requests: {cpu: 500m}}}]");
    let hog = "{name: hog, image: hog, resources: {requests: {cpu: \"1\"}}}";
    let snapshot = cluster(&format!(
        "{}{}apiVersion: v1
kind: Pod
metadata: {{name: done, namespace: batch}}
spec: {{nodeName: n1, containers: [{hog}]}}
status: {{phase: Succeeded}}
---
apiVersion: v1
kind: Pod
metadata: {{name: crashed, namespace: batch}}
spec: {{nodeName: n1, containers: [{hog}]}}
status: {{phase: Failed}}
---
apiVersion: v1
kind: Pod
metadata: {{name: pending, namespace: batch}}
spec:
  containers: [{hog}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchFields: [{{key: metadata.name, operator: In, values: [n1]}}]
status: {{phase: Pending}}
---
{}",
        node_with("n1", "{cpu: \"1\", pods: \"110\"}"),
        node_with("n2", "{cpu: \"1\", pods: \"110\"}"),
        pod_on("batch", "elsewhere", "n2", hog),
    ));
    assert!(decision(&ds, &snapshot, "n1", &options()).fits);
    assert_reasons(
        &decision(&ds, &snapshot, "n2", &options()),
        &["insufficient cpu: requested 500m, free 0"],
    );
}

#[test]
fn init_containers_count_by_their_maximum_and_overhead_is_added() {
    let ds = agent(
        "initContainers:
- {name: setup, image: setup, resources: {requests: {cpu: \"1\", memory: 64Mi}}}
- {name: proxy, image: proxy, restartPolicy: Always, resources: {requests: {cpu: 50m, memory: 32Mi}}}
containers:
- {name: agent, image: agent:1, resources: {requests: {cpu: 200m, memory: 100Mi}}}
- {name: shipper, image: shipper:1, resources: {requests: {cpu: 200m, memory: 100Mi}}}
",
    );
    let requests: Vec<(String, String)> = ds
        .pod_requests()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // cpu: max(init 1 + sidecar started before it (none), 200m + 200m + sidecar 50m) = 1;
    // memory: max(64Mi, 100Mi + 100Mi + 32Mi) = 232Mi.
    assert_eq!(
        requests,
        [
            ("cpu".into(), "1".into()),
            ("memory".into(), "232Mi".into())
        ]
    );
    let snapshot = cluster(&node_with(
        "small",
        "{cpu: 900m, memory: 1Gi, pods: \"110\"}",
    ));
    assert_reasons(
        &decision(&ds, &snapshot, "small", &options()),
        &["insufficient cpu: requested 1, free 900m"],
    );

    let with_overhead = agent(
        "overhead: {cpu: 250m, memory: 120Mi}
containers: [{name: agent, image: agent:1, resources: {requests: {cpu: 100m, memory: 128Mi}}}]
",
    );
    let snapshot = cluster(&node_with(
        "small",
        "{cpu: 300m, memory: 1Gi, pods: \"110\"}",
    ));
    assert_reasons(
        &decision(&with_overhead, &snapshot, "small", &options()),
        &["insufficient cpu: requested 350m, free 300m"],
    );
    assert_eq!(with_overhead.pod_requests()["memory"].to_string(), "248Mi");
}

#[test]
fn host_ports_conflict_on_protocol_and_overlapping_ip() {
    let ds = agent(
        "containers:
- name: agent
  image: agent:1
  ports:
  - {containerPort: 8125, hostPort: 8125, protocol: UDP}
  - {containerPort: 8126, hostPort: 8126, hostIP: 10.0.0.1}
  - {containerPort: 9000}
",
    );
    let ports: Vec<String> = ds
        .host_ports()
        .iter()
        .map(|p| format!("{}/{} {:?}", p.port, p.protocol, p.host_ip))
        .collect();
    assert_eq!(ports, ["8125/UDP \"\"", "8126/TCP \"10.0.0.1\""]);
    let holder = |name: &str, port: &str| {
        pod_on(
            "web",
            name,
            "n1",
            &format!("{{name: c, image: c, ports: [{port}]}}"),
        )
    };
    let case = |port: &str| {
        let snapshot = cluster(&format!(
            "{}{}",
            node_with("n1", "{pods: \"110\"}"),
            holder("holder", port)
        ));
        texts(&decision(&ds, &snapshot, "n1", &options()).reasons)
    };
    let taken = |port: &str| {
        vec![format!(
            "node(s) didn't have free ports for the requested pod ports: {port} is used by pod web/holder"
        )]
    };
    // Same protocol, any IP against a specific one.
    assert_eq!(
        case("{containerPort: 8125, hostPort: 8125, protocol: UDP}"),
        taken("8125/UDP")
    );
    assert_eq!(
        case("{containerPort: 8125, hostPort: 8125, protocol: UDP, hostIP: 192.168.1.5}"),
        taken("8125/UDP")
    );
    assert_eq!(
        case("{containerPort: 8126, hostPort: 8126}"),
        taken("8126/TCP")
    );
    assert_eq!(
        case("{containerPort: 8126, hostPort: 8126, hostIP: 0.0.0.0}"),
        taken("8126/TCP")
    );
    assert_eq!(
        case("{containerPort: 8126, hostPort: 8126, hostIP: 10.0.0.1}"),
        taken("8126/TCP")
    );
    // TCP and UDP do not collide; nor do two different specific IPs.
    assert!(case("{containerPort: 8125, hostPort: 8125}").is_empty());
    assert!(case("{containerPort: 8126, hostPort: 8126, protocol: UDP}").is_empty());
    assert!(case("{containerPort: 8126, hostPort: 8126, hostIP: 10.0.0.2}").is_empty());
    // As in the scheduler, only 0.0.0.0 is a wildcard: `::` is one more specific address.
    assert!(case("{containerPort: 8126, hostPort: 8126, hostIP: \"::\"}").is_empty());
    // A container port without hostPort takes no host port (outside the host network).
    assert!(case("{containerPort: 9000, hostPort: 9000}").is_empty());
}

#[test]
fn host_network_container_ports_are_host_ports() {
    let ds = agent(
        "hostNetwork: true
containers: [{name: exporter, image: dcgm, ports: [{containerPort: 9400, name: metrics}]}]
",
    );
    assert_eq!(ds.host_ports().len(), 1);
    assert_eq!(ds.host_ports()[0].port, 9400);
    let snapshot = cluster(&format!(
        "{}{}apiVersion: v1
kind: Pod
metadata: {{name: old-exporter, namespace: gpu}}
spec:
  nodeName: n1
  hostNetwork: true
  containers: [{{name: e, image: e, ports: [{{containerPort: 9400}}]}}]
status: {{phase: Running}}
---
apiVersion: v1
kind: Pod
metadata: {{name: finished-exporter, namespace: gpu}}
spec:
  nodeName: n2
  hostNetwork: true
  containers: [{{name: e, image: e, ports: [{{containerPort: 9400}}]}}]
status: {{phase: Succeeded}}
",
        node_with("n1", "{pods: \"110\"}"),
        node_with("n2", "{pods: \"110\"}"),
    ));
    let d = decision(&ds, &snapshot, "n1", &options());
    assert_eq!(
        d.reasons,
        [Reason::HostPortConflict {
            port: 9400,
            protocol: daemonset_planner::Protocol::Tcp,
            pod: "gpu/old-exporter".into(),
        }]
    );
    assert!(decision(&ds, &snapshot, "n2", &options()).fits);
}

#[test]
fn resources_come_before_ports() {
    let ds = agent(
        "containers: [{name: a, image: a, ports: [{containerPort: 80, hostPort: 80}], resources: {requests: {memory: 256Mi}}}]",
    );
    let snapshot = cluster(&format!(
        "{}{}",
        node_with("n1", "{memory: 300Mi, pods: \"110\"}"),
        pod_on(
            "web",
            "nginx",
            "n1",
            "{name: nginx, image: nginx, ports: [{containerPort: 80, hostPort: 80}], resources: {requests: {memory: 200Mi}}}"
        ),
    ));
    assert_reasons(
        &decision(&ds, &snapshot, "n1", &options()),
        &[
            "insufficient memory: requested 256Mi, free 100Mi",
            "node(s) didn't have free ports for the requested pod ports: 80/TCP is used by pod web/nginx",
        ],
    );
}

#[test]
fn strict_fit_blocks_creation_but_keeps_the_count() {
    let ds = agent(
        "containers: [{name: agent, image: agent:1, resources: {requests: {memory: 256Mi}}}]",
    );
    let snapshot = cluster(&format!(
        "{}{}{}",
        node_with("roomy", "{memory: 8Gi, pods: \"110\"}"),
        node_with("tight", "{memory: 356Mi, pods: \"110\"}"),
        pod_on(
            "db",
            "postgres-0",
            "tight",
            "{name: pg, image: postgres, resources: {requests: {memory: 256Mi}}}"
        ),
    ));
    // Default: upstream creates on both nodes; the one on `tight` would stay Pending.
    let lenient = plan(&ds, &snapshot, &options());
    assert_eq!(created_on(&lenient), ["roomy", "tight"]);
    assert!(lenient.stuck().is_empty());

    let p = plan(&ds, &snapshot, &strict());
    assert_eq!(created_on(&p), ["roomy"]);
    let tight = p.node("tight").unwrap();
    assert!(tight.should_run && tight.should_continue_running && !tight.fits);
    assert!(!tight.may_create(&strict()));
    assert!(tight.may_create(&options()));
    assert_reasons(tight, &["insufficient memory: requested 256Mi, free 100Mi"]);
    assert_eq!(p.status().desired_number_scheduled, 2);
    assert_eq!(
        p.stuck(),
        [daemonset_planner::StuckReason::DoesNotFit {
            node: "tight".into(),
            reasons: tight.reasons.clone(),
        }]
    );
    assert!(
        p.rollout_status().message().ends_with(
            "blocked: the daemon pod does not fit on tight: insufficient memory: requested 256Mi, free 100Mi"
        ),
        "{}",
        p.rollout_status().message()
    );
}

// ---------------------------------------------------------------------------------------------
// The seed DaemonSets on a ten-node sample cluster (tests/data/sample-cluster.yaml)

fn sample_cluster() -> Snapshot {
    cluster(include_str!("data/sample-cluster.yaml"))
}

#[track_caller]
fn seed(file: &str) -> DaemonSet {
    let path = format!("{}/tests/data/seed/{file}", env!("CARGO_MANIFEST_DIR"));
    daemon_set(&std::fs::read_to_string(&path).unwrap())
}

const ALL_NODES: [&str; 10] = [
    "control-plane-1",
    "edge-node-1",
    "gpu-node-1",
    "ssd-node-1",
    "worker-arm64-1",
    "worker-cordoned",
    "worker-full",
    "worker-linux-1",
    "worker-notready",
    "worker-port-9100",
];

/// Where a DaemonSet with no selector and no tolerations of its own runs: everywhere but the
/// control plane, the GPU node and the NotReady node (their NoSchedule taints).
const UNTAINTED: [&str; 7] = [
    "edge-node-1",
    "ssd-node-1",
    "worker-arm64-1",
    "worker-cordoned",
    "worker-full",
    "worker-linux-1",
    "worker-port-9100",
];

const CONTROL_PLANE_TAINT: &str =
    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";
const GPU_TAINT: &str = "node(s) had untolerated taint {nvidia.com/gpu: present}";
const NOT_READY_TAINT: &str = "node(s) had untolerated taint {node.kubernetes.io/not-ready: }";

/// What `ds` decides on the sample cluster: every node's flags and reasons.
struct Seen {
    decisions: Vec<(String, NodeDecision)>,
}

impl Seen {
    fn of(ds: &DaemonSet) -> Seen {
        let snapshot = sample_cluster();
        let decisions = snapshot
            .nodes()
            .iter()
            .map(|n| n.name.to_string())
            .zip(placement(ds, &snapshot, &options()))
            .collect();
        Seen { decisions }
    }

    fn get(&self, node: &str) -> &NodeDecision {
        &self.decisions.iter().find(|(n, _)| n == node).unwrap().1
    }

    #[track_caller]
    fn runs_on(&self, expected: &[&str]) -> &Self {
        let running: Vec<&str> = self
            .decisions
            .iter()
            .filter(|(_, d)| d.should_run)
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(running, expected);
        self
    }

    /// A node where the pod should run but does not fit, with the fit reasons.
    #[track_caller]
    fn unfit(&self, node: &str, reasons: &[&str]) -> &Self {
        let d = self.get(node);
        assert!(
            d.should_run && d.should_continue_running && !d.fits,
            "{node}"
        );
        assert_reasons(d, reasons);
        self
    }

    /// Every node where the pod should run fits, except those listed by `unfit`.
    #[track_caller]
    fn others_fit(&self, unfit: &[&str]) -> &Self {
        for (n, d) in &self.decisions {
            if d.should_run && !unfit.contains(&n.as_str()) {
                assert!(d.fits && d.reasons.is_empty(), "{n}: {:?}", d.reasons);
            }
        }
        self
    }

    /// A node where no pod is created but an existing one may stay (NoSchedule taints).
    #[track_caller]
    fn kept_not_created(&self, node: &str, reasons: &[&str]) -> &Self {
        let d = self.get(node);
        assert_eq!(
            (d.should_run, d.should_continue_running),
            (false, true),
            "{node}"
        );
        assert_reasons(d, reasons);
        self
    }

    /// A node that is not eligible at all.
    #[track_caller]
    fn excluded(&self, node: &str, reasons: &[&str]) -> &Self {
        let d = self.get(node);
        assert_eq!(
            (d.should_run, d.should_continue_running),
            (false, false),
            "{node}"
        );
        assert_reasons(d, reasons);
        self
    }
}

/// The seeds without a selector or NoSchedule tolerations of their own: not on the control
/// plane, the GPU node or the NotReady node, but on the cordoned node.
#[track_caller]
fn untainted_only(seen: &Seen) {
    seen.runs_on(&UNTAINTED)
        .kept_not_created("control-plane-1", &[CONTROL_PLANE_TAINT])
        .kept_not_created("gpu-node-1", &[GPU_TAINT])
        .kept_not_created("worker-notready", &[NOT_READY_TAINT]);
}

#[test]
fn sample_cluster_reads_as_ten_nodes_and_four_pods() {
    let snapshot = sample_cluster();
    let names: Vec<&str> = snapshot.nodes().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ALL_NODES);
    assert_eq!(snapshot.pods().len(), 4);
    let cordoned = snapshot.node("worker-cordoned").unwrap();
    assert!(cordoned.unschedulable);
    assert_eq!(
        snapshot.node("worker-notready").unwrap().ready_status(),
        Some("False")
    );
}

#[test]
fn seed_01_fluentd() {
    // Its tolerations have no operator: Equal with an empty value, which matches the
    // control-plane taint's empty value. The `master` one is dead weight.
    let seen = Seen::of(&seed("01-fluentd.yaml"));
    seen.runs_on(&[
        "control-plane-1",
        "edge-node-1",
        "ssd-node-1",
        "worker-arm64-1",
        "worker-cordoned",
        "worker-full",
        "worker-linux-1",
        "worker-port-9100",
    ])
    .kept_not_created("gpu-node-1", &[GPU_TAINT])
    .kept_not_created("worker-notready", &[NOT_READY_TAINT])
    .unfit(
        "worker-full",
        &[
            "insufficient cpu: requested 100m, free 0",
            "insufficient memory: requested 128Mi, free 0",
        ],
    )
    .others_fit(&["worker-full"]);
}

#[test]
fn seed_02_gpu_monitoring() {
    // The one GPU node is tainted and the DaemonSet has no toleration for it: it runs nowhere.
    let seen = Seen::of(&seed("02-gpu-monitoring.yaml"));
    seen.runs_on(&[])
        .kept_not_created("gpu-node-1", &[GPU_TAINT]);
    for node in ALL_NODES.iter().filter(|n| **n != "gpu-node-1") {
        seen.excluded(
            node,
            &["node(s) didn't match Pod's node selector: accelerator=nvidia-tesla-k80 wanted, node has no accelerator label"],
        );
    }
    // Were it tolerated, its host-network port 9400 would be a host port.
    assert_eq!(seed("02-gpu-monitoring.yaml").host_ports()[0].port, 9400);
}

#[test]
fn seed_03_calico_node() {
    // Tolerates every NoSchedule and NoExecute taint; every node is linux.
    Seen::of(&seed("03-calico-node.yaml"))
        .runs_on(&ALL_NODES)
        .unfit(
            "worker-full",
            &[
                "insufficient cpu: requested 250m, free 0",
                "insufficient memory: requested 256Mi, free 0",
            ],
        )
        .others_fit(&["worker-full"]);
}

#[test]
fn seed_04_monitoring_agent() {
    let seen = Seen::of(&seed("04-monitoring-agent.yaml"));
    untainted_only(&seen);
    seen.unfit(
        "worker-full",
        &[
            "insufficient cpu: requested 100m, free 0",
            "insufficient memory: requested 128Mi, free 0",
        ],
    )
    .others_fit(&["worker-full"]);
}

#[test]
fn seed_05_critical_system_agent() {
    // No requests: even the full node has room (pods 2 of 110).
    let seen = Seen::of(&seed("05-critical-system-agent.yaml"));
    untainted_only(&seen);
    seen.others_fit(&[]);
}

#[test]
fn seed_06_ssd_monitoring() {
    let seen = Seen::of(&seed("06-ssd-monitoring.yaml"));
    seen.runs_on(&["ssd-node-1"]).others_fit(&[]).excluded(
        "worker-linux-1",
        &[
            "node(s) didn't match Pod's node selector: storage-type=ssd wanted, node has no storage-type label",
            "node(s) didn't match Pod's node selector: zone=production wanted, node has no zone label",
        ],
    );
    for node in ALL_NODES.iter().filter(|n| **n != "ssd-node-1") {
        assert_eq!(seen.get(node).reasons.len(), 2, "{node}");
    }
}

#[test]
fn seed_07_edge_agent() {
    let seen = Seen::of(&seed("07-edge-agent.yaml"));
    seen.runs_on(&["edge-node-1"]).others_fit(&[]);
    for node in ALL_NODES.iter().filter(|n| **n != "edge-node-1") {
        seen.excluded(node, &["node(s) didn't match Pod's node affinity/selector"]);
    }
}

#[test]
fn seed_08_system_monitor() {
    // Tolerates the control plane; its not-ready tolerations are NoExecute only (and are
    // overwritten by the defaults, dropping the 300 s), so the NoSchedule not-ready taint stops it.
    let ds = seed("08-system-monitor.yaml");
    let seen = Seen::of(&ds);
    seen.runs_on(&[
        "control-plane-1",
        "edge-node-1",
        "ssd-node-1",
        "worker-arm64-1",
        "worker-cordoned",
        "worker-full",
        "worker-linux-1",
        "worker-port-9100",
    ])
    .kept_not_created("gpu-node-1", &[GPU_TAINT])
    .kept_not_created("worker-notready", &[NOT_READY_TAINT])
    .others_fit(&[]);
    let not_ready: Vec<_> = ds
        .daemon_tolerations()
        .iter()
        .filter(|t| t.key == "node.kubernetes.io/not-ready")
        .collect();
    assert_eq!(not_ready.len(), 1);
    assert_eq!(not_ready[0].toleration_seconds, None);
}

#[test]
fn seeds_09_10_11_tolerate_every_no_schedule_taint() {
    Seen::of(&seed("09-filebeat.yaml"))
        .runs_on(&ALL_NODES)
        .unfit(
            "worker-full",
            &[
                "insufficient cpu: requested 100m, free 0",
                "insufficient memory: requested 100Mi, free 0",
            ],
        )
        .others_fit(&["worker-full"]);
    Seen::of(&seed("10-node-exporter.yaml"))
        .runs_on(&ALL_NODES)
        .unfit(
            "worker-full",
            &[
                "insufficient cpu: requested 100m, free 0",
                "insufficient memory: requested 128Mi, free 0",
            ],
        )
        .unfit(
            "worker-port-9100",
            &["node(s) didn't have free ports for the requested pod ports: 9100/TCP is used by pod monitoring/legacy-node-exporter-x7k2p"],
        )
        .others_fit(&["worker-full", "worker-port-9100"]);
    // Two containers: 10m + 100m cpu, 20Mi + 128Mi memory.
    Seen::of(&seed("11-csi-driver-node.yaml"))
        .runs_on(&ALL_NODES)
        .unfit(
            "worker-full",
            &[
                "insufficient cpu: requested 110m, free 0",
                "insufficient memory: requested 148Mi, free 0",
            ],
        )
        .others_fit(&["worker-full"]);
}

#[test]
fn seeds_12_13_14_run_on_untainted_nodes() {
    for file in [
        "12-resource-optimized-agent.yaml",
        "14-observable-agent.yaml",
    ] {
        let seen = Seen::of(&seed(file));
        untainted_only(&seen);
        seen.unfit(
            "worker-full",
            &[
                "insufficient cpu: requested 100m, free 0",
                "insufficient memory: requested 128Mi, free 0",
            ],
        )
        .others_fit(&["worker-full"]);
    }
    let seen = Seen::of(&seed("13-secure-agent.yaml"));
    untainted_only(&seen);
    seen.others_fit(&[]);
}

#[test]
fn seed_15_is_rejected() {
    let text = include_str!("data/seed/15-ha-agent.yaml");
    let err = DaemonSet::from_yaml(text).unwrap_err();
    assert!(
        err.to_string()
            .contains("spec.template.spec.containers[0].restartPolicy: Forbidden"),
        "{err}"
    );
}

#[test]
fn seed_plans_on_the_sample_cluster() {
    // Upstream counting: create wherever should_run; strict fit skips the unfit nodes.
    let ds = seed("10-node-exporter.yaml");
    let snapshot = sample_cluster();
    let p = plan(&ds, &snapshot, &options());
    assert_eq!(created_on(&p), ALL_NODES);
    assert_eq!(p.status().desired_number_scheduled, 10);
    let p = plan(&ds, &snapshot, &strict());
    let expected: Vec<&str> = ALL_NODES
        .into_iter()
        .filter(|n| !["worker-full", "worker-port-9100"].contains(n))
        .collect();
    assert_eq!(created_on(&p), expected);
    assert_eq!(p.stuck().len(), 2);
    assert_eq!(running_on(&ds, &snapshot).len(), 10);
}

// ---------------------------------------------------------------------------------------------
// Property: a node's decision depends only on that node and the pods bound to it.

mod locality {
    use super::*;
    use daemonset_planner::{
        Container, ContainerPort, Node, OwnerRef, Pod, PodPhase, Protocol, Quantity, Taint,
    };
    use proptest::prelude::*;

    /// DaemonSets exercising each part of the decision.
    fn daemon_sets() -> Vec<DaemonSet> {
        [
            "containers: [{name: a, image: a, resources: {requests: {cpu: 500m, memory: 256Mi}}}]",
            "nodeSelector: {disk: ssd}\ncontainers: [{name: a, image: a}]",
            "affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{key: tier, operator: Gt, values: [\"2\"]}]
      - matchFields: [{key: metadata.name, operator: In, values: [n1]}]
containers: [{name: a, image: a}]",
            "tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
containers:
- {name: a, image: a, ports: [{containerPort: 9100, hostPort: 9100}], resources: {requests: {cpu: 100m}}}",
            "hostNetwork: true
tolerations: [{operator: Exists}]
containers: [{name: a, image: a, ports: [{containerPort: 9100, protocol: UDP}]}]",
        ]
        .iter()
        .map(|spec| agent(spec))
        .collect()
    }

    fn arb_node(index: usize) -> impl Strategy<Value = Node> {
        (
            prop::option::of(prop_oneof![Just("ssd"), Just("hdd")]),
            prop::option::of(0u8..6),
            prop::collection::vec(0usize..5, 0..3),
            prop::option::of((0i64..3000, 0i64..2048, 0i64..4)),
        )
            .prop_map(move |(disk, tier, taints, allocatable)| {
                let mut node = Node::new(format!("n{index}"));
                if let Some(d) = disk {
                    node.labels.insert("disk".into(), d.into());
                }
                if let Some(t) = tier {
                    node.labels.insert("tier".into(), t.to_string().into());
                }
                let catalogue = [
                    Taint::new("dedicated", "x", TaintEffect::NoSchedule),
                    Taint::new("dedicated", "x", TaintEffect::NoExecute),
                    Taint::new("node.kubernetes.io/not-ready", "", TaintEffect::NoSchedule),
                    Taint::new("gpu", "", TaintEffect::NoSchedule),
                    Taint::new("soft", "", TaintEffect::PreferNoSchedule),
                ];
                for t in taints {
                    if !node.taints.contains(&catalogue[t]) {
                        node.taints.push(catalogue[t].clone());
                    }
                }
                if let Some((cpu, memory, pods)) = allocatable {
                    node.allocatable
                        .insert("cpu".into(), Quantity::from_milli(cpu));
                    node.allocatable
                        .insert("memory".into(), Quantity::from_units(memory << 20));
                    node.allocatable
                        .insert("pods".into(), Quantity::from_units(pods));
                }
                node
            })
    }

    fn arb_pod(index: usize) -> impl Strategy<Value = Pod> {
        (
            0usize..10,
            0i64..1500,
            prop::option::of(prop_oneof![Just(Protocol::Tcp), Just(Protocol::Udp)]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(move |(node, cpu, port, terminal, own)| {
                let mut pod = Pod::new("ops", format!("p{index}"));
                pod.node_name = Some(format!("n{node}").into());
                if terminal {
                    pod.phase = PodPhase::Succeeded;
                }
                if own {
                    pod.labels.insert("app".into(), "agent".into());
                    pod.controller = Some(OwnerRef {
                        api_version: "apps/v1".into(),
                        kind: "DaemonSet".into(),
                        name: "agent".into(),
                        uid: None,
                        controller: true,
                    });
                }
                let mut requests = daemonset_planner::ResourceList::new();
                requests.insert("cpu".into(), Quantity::from_milli(cpu));
                pod.containers = std::sync::Arc::from(vec![Container {
                    name: "c".into(),
                    requests,
                    limits: Default::default(),
                    ports: port
                        .map(|protocol| ContainerPort {
                            name: None,
                            container_port: 9100,
                            host_port: Some(9100),
                            host_ip: String::new(),
                            protocol,
                        })
                        .into_iter()
                        .collect(),
                    restart_policy: None,
                }]);
                pod
            })
    }

    fn arb_cluster() -> impl Strategy<Value = (Vec<Node>, Vec<Pod>)> {
        (1usize..8, 0usize..12).prop_flat_map(|(nodes, pods)| {
            (
                (0..nodes).map(arb_node).collect::<Vec<_>>(),
                (0..pods).map(arb_pod).collect::<Vec<_>>(),
            )
        })
    }

    fn decisions(ds: &DaemonSet, nodes: &[Node], pods: &[Pod]) -> Vec<(String, NodeDecision)> {
        let snapshot = Snapshot::new(nodes.to_vec(), pods.to_vec(), vec![]).unwrap();
        snapshot
            .nodes()
            .iter()
            .map(|n| n.name.to_string())
            .zip(placement(ds, &snapshot, &options()))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn other_nodes_never_change_a_decision(
            (nodes, pods) in arb_cluster(),
            keep in prop::collection::vec(any::<bool>(), 8),
            which in 0usize..5,
        ) {
            let ds = &daemon_sets()[which];
            let full = decisions(ds, &nodes, &pods);
            let kept: Vec<Node> = nodes
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(n, _)| n.clone())
                .collect();
            for (name, d) in decisions(ds, &kept, &pods) {
                let before = &full.iter().find(|(n, _)| *n == name).unwrap().1;
                prop_assert_eq!(&d, before, "node {}", name);
            }
            // Listing order does not matter either.
            let mut reversed = nodes.clone();
            reversed.reverse();
            prop_assert_eq!(decisions(ds, &reversed, &pods), full.clone());
            // node_decision() on the node alone agrees on the flags.
            for node in &nodes {
                let alone = node_decision(ds, node, &options());
                let d = &full.iter().find(|(n, _)| *n == node.name).unwrap().1;
                prop_assert_eq!(
                    (alone.should_run, alone.should_continue_running),
                    (d.should_run, d.should_continue_running)
                );
            }
        }
    }
}
