//! Properties of the planner on random clusters, driven through the `sim` runtime.
//!
//! 1. Deterministic: shuffled input gives a byte-identical plan.
//! 2. Idempotent: once the simulated cluster has settled, the plan is empty.
//! 3. Converges: every should-run node ends with exactly one current, available pod, without
//!    faults and after faults stop.
//! 4. Budget: a rolling update never takes more nodes out than maxUnavailable, and never runs
//!    more surge pods than maxSurge.
//! 5. Safety: never two creates for one node, never a delete of a pod the DaemonSet does not
//!    own or adopt, never a create on a node that already has a current pod.

use daemonset_planner::sim::{Cluster, SimConfig};
use daemonset_planner::{
    DaemonSet, Node, NodeCondition, Options, OwnerRef, Plan, Pod, PodPhase, Quantity,
    ReadyCondition, Snapshot, Taint, TaintEffect, Timestamp, plan,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

fn t0() -> Timestamp {
    "2026-03-01T00:00:00Z".parse().unwrap()
}

#[derive(Debug, Clone)]
struct NodeSpec {
    zone: u8,
    disk: u8,
    taint: u8,
    cpu: u8,
    not_ready: bool,
}

#[derive(Debug, Clone)]
struct PodSpec {
    node: usize,
    kind: u8,
    phase: u8,
    ready: bool,
    terminating: bool,
    age: u8,
}

#[derive(Debug, Clone)]
struct DsSpec {
    node_selector: u8,
    affinity: u8,
    tolerate: u8,
    strategy: u8,
    amount: u8,
    min_ready: u8,
}

fn node_strategy() -> impl Strategy<Value = NodeSpec> {
    (0u8..3, 0u8..3, 0u8..6, 1u8..8, prop::bool::weighted(0.08)).prop_map(
        |(zone, disk, taint, cpu, not_ready)| NodeSpec {
            zone,
            disk,
            taint,
            cpu,
            not_ready,
        },
    )
}

fn pod_strategy(nodes: usize) -> impl Strategy<Value = PodSpec> {
    (
        0..nodes.max(1) + 2,
        0u8..6,
        0u8..6,
        any::<bool>(),
        prop::bool::weighted(0.1),
        0u8..50,
    )
        .prop_map(|(node, kind, phase, ready, terminating, age)| PodSpec {
            node,
            kind,
            phase,
            ready,
            terminating,
            age,
        })
}

fn ds_strategy() -> impl Strategy<Value = DsSpec> {
    (0u8..4, 0u8..4, 0u8..4, 0u8..5, 0u8..4, 0u8..3).prop_map(
        |(node_selector, affinity, tolerate, strategy, amount, min_ready)| DsSpec {
            node_selector,
            affinity,
            tolerate,
            strategy,
            amount,
            min_ready,
        },
    )
}

const ZONES: [&str; 3] = ["a", "b", "c"];
const DISKS: [&str; 3] = ["ssd", "hdd", "nvme"];

fn daemon_set(spec: &DsSpec, image: u8) -> DaemonSet {
    let node_selector = match spec.node_selector {
        1 => "nodeSelector: {disk: ssd}",
        2 => "nodeSelector: {kubernetes.io/os: linux}",
        _ => "",
    };
    let affinity = match spec.affinity {
        1 => {
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a, b]}]}]}}}"
        }
        2 => {
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: NotIn, values: [c]}]}, {matchExpressions: [{key: disk, operator: Exists}]}]}}}"
        }
        _ => "",
    };
    let tolerations = match spec.tolerate {
        1 => "tolerations: [{operator: Exists}]",
        2 => "tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]",
        _ => "",
    };
    let amounts = ["1", "2", "30%", "100%"];
    let strategy = match spec.strategy {
        0 => "type: OnDelete".to_string(),
        1 | 2 => format!(
            "type: RollingUpdate\n    rollingUpdate: {{maxUnavailable: \"{}\"}}",
            amounts[spec.amount as usize]
        )
        .replace("\"1\"", "1")
        .replace("\"2\"", "2"),
        _ => format!(
            "type: RollingUpdate\n    rollingUpdate: {{maxUnavailable: 0, maxSurge: \"{}\"}}",
            amounts[spec.amount as usize]
        )
        .replace("\"1\"", "1")
        .replace("\"2\"", "2"),
    };
    let yaml = format!(
        r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent, namespace: sys, uid: ds-uid}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  minReadySeconds: {min_ready}
  updateStrategy:
    {strategy}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      {node_selector}
      {affinity}
      {tolerations}
      containers: [{{name: agent, image: "agent:{image}", resources: {{requests: {{cpu: 100m}}}}}}]
"#,
        min_ready = [0, 5, 20][spec.min_ready as usize],
    );
    DaemonSet::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn build_nodes(specs: &[NodeSpec]) -> Vec<Node> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut n = Node::new(format!("n{i:03}"));
            n.labels.insert("kubernetes.io/os".into(), "linux".into());
            n.labels
                .insert("zone".into(), ZONES[s.zone as usize].into());
            if s.disk < 3 {
                n.labels
                    .insert("disk".into(), DISKS[s.disk as usize].into());
            }
            match s.taint {
                1 => n
                    .taints
                    .push(Taint::new("dedicated", "x", TaintEffect::NoSchedule)),
                2 => n
                    .taints
                    .push(Taint::new("maintenance", "", TaintEffect::NoExecute)),
                3 => n
                    .taints
                    .push(Taint::new("soft", "", TaintEffect::PreferNoSchedule)),
                _ => {}
            }
            if s.not_ready {
                n.taints.push(Taint::new(
                    "node.kubernetes.io/not-ready",
                    "",
                    TaintEffect::NoSchedule,
                ));
            }
            n.allocatable
                .insert("cpu".into(), Quantity::from_units(i64::from(s.cpu)));
            n.allocatable
                .insert("pods".into(), Quantity::from_units(110));
            n.conditions.push(NodeCondition {
                kind: "Ready".into(),
                status: if s.not_ready { "False" } else { "True" }.into(),
                last_transition_time: Some(t0()),
            });
            n
        })
        .collect()
}

fn build_pods(specs: &[PodSpec], nodes: usize, old_hash: &str, new_hash: &str) -> Vec<Pod> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut p = Pod::new("sys", format!("p{i:03}"));
            let node = if s.node < nodes {
                format!("n{:03}", s.node)
            } else {
                format!("gone-{}", s.node)
            };
            p.node_name = Some(node.into());
            p.labels.insert("app".into(), "agent".into());
            let owner = |kind: &str, name: &str| OwnerRef {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                name: name.into(),
                uid: Some(format!("{name}-uid").into()),
                controller: true,
            };
            match s.kind {
                0 | 1 => {
                    p.controller = Some(OwnerRef {
                        uid: Some("ds-uid".into()),
                        ..owner("DaemonSet", "agent")
                    });
                    p.labels
                        .insert("controller-revision-hash".into(), new_hash.into());
                }
                2 | 3 => {
                    p.controller = Some(OwnerRef {
                        uid: Some("ds-uid".into()),
                        ..owner("DaemonSet", "agent")
                    });
                    p.labels
                        .insert("controller-revision-hash".into(), old_hash.into());
                }
                4 => {
                    p.labels
                        .insert("controller-revision-hash".into(), old_hash.into());
                }
                _ => p.controller = Some(owner("ReplicaSet", "web")),
            }
            p.phase = match s.phase {
                0 => PodPhase::Pending,
                5 => PodPhase::Failed,
                4 if s.age % 7 == 0 => PodPhase::Succeeded,
                _ => PodPhase::Running,
            };
            p.creation_timestamp = Some(t0() - Duration::from_secs(u64::from(s.age) * 60));
            let ready = s.ready && p.phase == PodPhase::Running;
            p.ready = Some(ReadyCondition {
                ready,
                last_transition_time: Some(t0() - Duration::from_secs(u64::from(s.age) * 30)),
            });
            if s.terminating {
                p.deletion_timestamp = Some(t0());
            }
            p
        })
        .collect()
}

fn json(plan: &Plan) -> String {
    serde_json::to_string(&plan.to_json()).unwrap()
}

#[track_caller]
fn check_safety(ds: &DaemonSet, snapshot: &Snapshot, p: &Plan) {
    let mut nodes = BTreeSet::new();
    for c in p.creates() {
        assert!(
            nodes.insert(c.node.clone()),
            "two creates for node {}",
            c.node
        );
        let has_current = snapshot.pods().iter().any(|pod| {
            pod.node_name.as_deref() == Some(c.node.as_str())
                && pod.deletion_timestamp.is_none()
                && pod.revision_hash() == Some(p.revision_hash())
                && pod
                    .controller
                    .as_ref()
                    .is_some_and(|o| o.kind == "DaemonSet" && o.name == ds.name())
                && !pod.phase.is_terminal()
        });
        assert!(
            !has_current,
            "create on {} which already runs a current pod",
            c.node
        );
    }
    let adopted: BTreeSet<&str> = p.adoptions().iter().map(|r| r.name.as_str()).collect();
    let mut deleted = BTreeSet::new();
    for d in p.deletes() {
        assert!(deleted.insert(d.pod.clone()), "pod {} deleted twice", d.pod);
        let pod = snapshot
            .pods()
            .iter()
            .find(|x| x.name == d.pod)
            .expect("deleted pod exists");
        let owned = pod
            .controller
            .as_ref()
            .is_some_and(|o| o.kind == "DaemonSet" && o.name == ds.name());
        assert!(
            owned || adopted.contains(d.pod.as_str()),
            "deletes pod {} it does not own",
            d.pod
        );
    }
}

/// Every node that should run the pod has exactly one live, current, available pod.
#[track_caller]
fn check_converged(ds: &DaemonSet, snapshot: &Snapshot, now: Timestamp) {
    let p = plan(ds, snapshot, &Options::at(now));
    for entry in p.nodes() {
        // A NotReady node that the DaemonSet tolerates keeps its pod, but no pod there can be
        // Ready: convergence is judged on Ready nodes.
        let node_ready = snapshot
            .node(entry.node)
            .is_some_and(|n| n.ready_status() == Some("True"));
        if !entry.decision.should_run || !node_ready {
            continue;
        }
        let pods: Vec<&Pod> = snapshot
            .pods()
            .iter()
            .filter(|pod| pod.node_name.as_deref() == Some(entry.node))
            .filter(|pod| {
                pod.controller
                    .as_ref()
                    .is_some_and(|o| o.kind == "DaemonSet" && o.name == ds.name())
            })
            .filter(|pod| ds.selector().matches(&pod.labels) && pod.deletion_timestamp.is_none())
            .collect();
        assert_eq!(pods.len(), 1, "node {} has {} pods", entry.node, pods.len());
        assert!(
            pods[0].is_available(ds.min_ready_seconds(), now),
            "pod on {} not available",
            entry.node
        );
        if matches!(
            ds.update_strategy(),
            daemonset_planner::UpdateStrategy::RollingUpdate(_)
        ) {
            assert_eq!(
                pods[0].revision_hash(),
                Some(p.revision_hash()),
                "pod on {} not current",
                entry.node
            );
        }
    }
}

fn config() -> SimConfig {
    SimConfig {
        ready_after: Duration::from_secs(3),
        grace_period: Duration::from_secs(2),
        step: Duration::from_secs(5),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn deterministic_under_shuffling(
        nodes in prop::collection::vec(node_strategy(), 0..40),
        pods in prop::collection::vec(pod_strategy(40), 0..60),
        ds_spec in ds_strategy(),
        seed in any::<u64>(),
    ) {
        let old = daemon_set(&ds_spec, 0);
        let ds = daemon_set(&ds_spec, 1);
        let node_list = build_nodes(&nodes);
        let pod_list = build_pods(&pods, nodes.len(), old.revision_hash(), ds.revision_hash());
        let a = Snapshot::new(node_list.clone(), pod_list.clone(), vec![]).unwrap();
        let mut shuffled_nodes = node_list;
        let mut shuffled_pods = pod_list;
        let mut s = seed | 1;
        for i in (1..shuffled_nodes.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled_nodes.swap(i, (s % (i as u64 + 1)) as usize);
        }
        for i in (1..shuffled_pods.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled_pods.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let b = Snapshot::new(shuffled_nodes, shuffled_pods, vec![]).unwrap();
        let options = Options::at(t0());
        let pa = plan(&ds, &a, &options);
        prop_assert_eq!(json(&pa), json(&plan(&ds, &b, &options)));
        check_safety(&ds, &a, &pa);
    }

    #[test]
    fn converges_and_is_idempotent(
        nodes in prop::collection::vec(node_strategy(), 1..60),
        pods in prop::collection::vec(pod_strategy(60), 0..80),
        ds_spec in ds_strategy(),
    ) {
        converge(&nodes, &pods, &ds_spec)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, failure_persistence: None, ..ProptestConfig::default() })]

    /// The same property on clusters of a few hundred nodes.
    #[test]
    fn large_clusters_converge(
        nodes in prop::collection::vec(node_strategy(), 150..300),
        pods in prop::collection::vec(pod_strategy(300), 0..400),
        ds_spec in ds_strategy(),
    ) {
        converge(&nodes, &pods, &ds_spec)?;
    }
}

fn converge(nodes: &[NodeSpec], pods: &[PodSpec], ds_spec: &DsSpec) -> Result<(), TestCaseError> {
    {
        let old = daemon_set(ds_spec, 0);
        let ds = daemon_set(ds_spec, 1);
        let snapshot = Snapshot::new(
            build_nodes(nodes),
            build_pods(pods, nodes.len(), old.revision_hash(), ds.revision_hash()),
            vec![],
        )
        .unwrap();
        let mut cluster = Cluster::new(&snapshot, t0(), config());
        let max_loops = 12 * nodes.len() + 60;
        let mut loops = 0;
        loop {
            let snap = cluster.snapshot();
            let mut options = Options::at(cluster.now());
            options.failed_pod_backoff = cluster.failed_pod_backoff().clone();
            let p = plan(&ds, &snap, &options);
            check_safety(&ds, &snap, &p);
            if p.is_empty() && !cluster.in_flight() && p.requeue_after().is_none() {
                break;
            }
            prop_assert!(loops < max_loops, "did not settle in {} loops", max_loops);
            cluster.apply(&ds, &p);
            cluster.advance(Duration::from_secs(5));
            cluster.gc_orphaned_pods();
            loops += 1;
        }
        let settled = cluster.snapshot();
        check_converged(&ds, &settled, cluster.now());
        // Idempotent: planning the settled cluster again changes nothing.
        let mut options = Options::at(cluster.now());
        options.failed_pod_backoff = cluster.failed_pod_backoff().clone();
        prop_assert!(plan(&ds, &settled, &options).is_empty());
    }

    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn converges_after_faults_stop(
        nodes in prop::collection::vec(node_strategy(), 2..30),
        ds_spec in ds_strategy(),
        faults in prop::collection::vec((0u8..5, 0usize..30), 1..8),
    ) {
        let ds = daemon_set(&ds_spec, 1);
        let snapshot = Snapshot::new(build_nodes(&nodes), vec![], vec![]).unwrap();
        let mut cluster = Cluster::new(&snapshot, t0(), config());
        let options = Options::at(t0());
        cluster.run(&ds, &options, 10);
        for (kind, target) in &faults {
            let node = format!("n{:03}", target % nodes.len());
            match kind {
                0 => cluster.fail_next_creates(2),
                1 => {
                    let victim = cluster.snapshot().pods().iter().find(|p| p.node_name.as_deref() == Some(node.as_str())).map(|p| p.name.clone());
                    if let Some(v) = victim { cluster.crash_pod("sys", &v); }
                }
                2 => { cluster.set_node_not_ready(&node); }
                3 => { cluster.label_node(&node, "disk", "ssd"); }
                _ => { cluster.taint_node(&node, Taint::new("maintenance", "", TaintEffect::NoExecute)); }
            }
            let mut o = options.clone();
            o.now = cluster.now();
            o.failed_pod_backoff = cluster.failed_pod_backoff().clone();
            let p = plan(&ds, &cluster.snapshot(), &o);
            check_safety(&ds, &cluster.snapshot(), &p);
            cluster.apply(&ds, &p);
            cluster.advance(Duration::from_secs(5));
        }
        // Faults stop: nodes recover.
        for (i, spec) in nodes.iter().enumerate() {
            let name = format!("n{i:03}");
            if !spec.not_ready {
                cluster.set_node_ready(&name);
            }
            cluster.untaint_node(&name, "maintenance");
        }
        let outcome = cluster.run(&ds, &options, 12 * nodes.len() + 200);
        prop_assert!(outcome.settled, "did not settle after faults stopped");
        check_converged(&ds, &cluster.snapshot(), cluster.now());
    }

    #[test]
    fn rolling_update_respects_budget(
        nodes in prop::collection::vec(node_strategy(), 1..50),
        ds_spec in ds_strategy(),
    ) {
        let ds_spec = DsSpec { strategy: 1 + ds_spec.strategy % 4, ..ds_spec };
        let old = daemon_set(&ds_spec, 0);
        let ds = daemon_set(&ds_spec, 1);
        let snapshot = Snapshot::new(build_nodes(&nodes), vec![], vec![]).unwrap();
        let mut cluster = Cluster::new(&snapshot, t0(), config());
        // Settle on the old template first: every eligible node runs an available old pod.
        let settled = cluster.run(&old, &Options::at(t0()), 12 * nodes.len() + 60);
        prop_assert!(settled.settled);
        let mut loops = 0;
        loop {
            let snap = cluster.snapshot();
            let mut options = Options::at(cluster.now());
            options.failed_pod_backoff = cluster.failed_pod_backoff().clone();
            let p = plan(&ds, &snap, &options);
            if p.is_empty() && !cluster.in_flight() && p.requeue_after().is_none() {
                break;
            }
            let budget = *p.budget().expect("rolling update has a budget");
            cluster.apply(&ds, &p);
            let after = cluster.snapshot();
            let desired: Vec<&str> = p.nodes().filter(|e| e.decision.should_run).map(|e| e.node).collect();
            let mut per_node: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for pod in after.pods().iter().filter(|x| x.deletion_timestamp.is_none()) {
                if let Some(n) = pod.node_name.as_deref() {
                    let e = per_node.entry(n).or_default();
                    e.0 += 1;
                    if pod.is_available(ds.min_ready_seconds(), cluster.now()) {
                        e.1 += 1;
                    }
                }
            }
            let unavailable = desired.iter().filter(|n| per_node.get(*n).is_none_or(|e| e.1 == 0)).count() as i64;
            let surging = per_node.values().filter(|e| e.0 >= 2).count() as i64;
            prop_assert!(unavailable <= budget.max_unavailable, "{} unavailable > {}", unavailable, budget.max_unavailable);
            prop_assert!(surging <= budget.max_surge, "{} surging > {}", surging, budget.max_surge);
            cluster.advance(Duration::from_secs(5));
            loops += 1;
            prop_assert!(loops < 12 * nodes.len() + 60);
        }
        check_converged(&ds, &cluster.snapshot(), cluster.now());
    }
}
