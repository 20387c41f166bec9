//! Synthetic clusters for benchmarks and property tests: seeded, deterministic, realistic.
//!
//! Nodes carry about ten labels (hostname, os, arch, zone, region, instance type, pool, rack,
//! disk), zero to three taints, allocatable resources, and a mix of other pods bound to them.
//! [`daemon_set`] builds DaemonSets with a nodeSelector, tolerations and a node-affinity term
//! with `In` and `NotIn`; [`daemon_pods`] puts one pod of a DaemonSet on each eligible node.
//!
//! # Example
//! ```
//! use daemonset_planner::synth::{self, ClusterShape};
//! let cluster = synth::cluster(&ClusterShape { nodes: 100, seed: 7, ..ClusterShape::default() });
//! assert_eq!(cluster.nodes.len(), 100);
//! let again = synth::cluster(&ClusterShape { nodes: 100, seed: 7, ..ClusterShape::default() });
//! assert_eq!(cluster.nodes, again.nodes);
//! ```

use std::fmt::Write as _;
use std::sync::Arc;

use crate::options::Options;
use crate::placement::node_decision;
use crate::quantity::Quantity;
use crate::resources::{Container, ResourceList};
use crate::selector::Labels;
use crate::snapshot::{Node, NodeCondition, OwnerRef, Pod, PodPhase, ReadyCondition};
use crate::spec::{DaemonSet, REVISION_HASH_LABEL};
use crate::strmap::{Interner, Str};
use crate::taints::{Taint, TaintEffect, keys};
use crate::{Snapshot, Timestamp};

/// A small, fast, seeded generator (SplitMix64): no dependency, same numbers everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterShape {
    /// Number of nodes.
    pub nodes: usize,
    /// Seed.
    pub seed: u64,
    /// Other (non-daemon) pods per node, at most.
    pub max_other_pods_per_node: usize,
    /// Percent of nodes that are NotReady (with the lifecycle controller's taints).
    pub not_ready_percent: u64,
    /// Percent of nodes that are cordoned.
    pub cordoned_percent: u64,
}

impl Default for ClusterShape {
    fn default() -> ClusterShape {
        ClusterShape {
            nodes: 1000,
            seed: 1,
            max_other_pods_per_node: 3,
            not_ready_percent: 1,
            cordoned_percent: 1,
        }
    }
}

/// A generated cluster.
#[derive(Debug, Clone, Default)]
pub struct GeneratedCluster {
    /// Nodes, named `node-000000` upwards.
    pub nodes: Vec<Node>,
    /// Other pods (owned by ReplicaSets), bound to nodes.
    pub pods: Vec<Pod>,
}

const ZONES: &[&str] = &["zone-a", "zone-b", "zone-c"];
const POOLS: &[&str] = &["general", "general", "general", "compute", "gpu", "edge"];
const INSTANCE_TYPES: &[(&str, i64, i64)] = &[
    ("m5.large", 2, 8),
    ("m5.xlarge", 4, 16),
    ("m5.2xlarge", 8, 32),
    ("c5.4xlarge", 16, 32),
    ("r5.8xlarge", 32, 256),
];

fn gib(n: i64) -> Quantity {
    Quantity::parse(&format!("{n}Gi")).unwrap_or(Quantity::ZERO)
}

fn cpu_milli(m: i64) -> Quantity {
    Quantity::from_milli(m)
}

/// Generate nodes and other pods.
pub fn cluster(shape: &ClusterShape) -> GeneratedCluster {
    let mut rng = Rng::new(shape.seed);
    let mut out = GeneratedCluster {
        nodes: Vec::with_capacity(shape.nodes),
        pods: Vec::new(),
    };
    let t0: Timestamp = Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH);
    // Repeated keys and values are shared, as a parsed cluster shares them.
    let mut words = Interner::default();
    let mut web_containers: Vec<Option<Arc<[Container]>>> = vec![None; 5 * 8];
    for i in 0..shape.nodes {
        let name = Str::from(format!("node-{i:06}"));
        let mut node = Node::new(name.clone());
        let pool = *rng.pick(POOLS);
        let (itype, cpus, mem) = *rng.pick(INSTANCE_TYPES);
        let arch = if rng.chance(85) { "amd64" } else { "arm64" };
        let control_plane = i % 500 == 0;
        node.labels.reserve_exact(10);
        let l = &mut node.labels;
        let w = &mut words;
        l.insert(w.get("kubernetes.io/hostname"), name.clone());
        let os = if rng.chance(97) { "linux" } else { "windows" };
        l.insert(w.get("kubernetes.io/os"), w.get(os));
        l.insert(w.get("kubernetes.io/arch"), w.get(arch));
        l.insert(w.get("topology.kubernetes.io/region"), w.get("region-1"));
        let zone = *rng.pick(ZONES);
        l.insert(w.get("topology.kubernetes.io/zone"), w.get(zone));
        l.insert(w.get("node.kubernetes.io/instance-type"), w.get(itype));
        l.insert(w.get("pool"), w.get(pool));
        let rack = format!("rack-{}", rng.below(50));
        l.insert(w.get("rack"), w.get(&rack));
        let disk = if rng.chance(60) { "ssd" } else { "hdd" };
        l.insert(w.get("disk"), w.get(disk));
        if control_plane {
            l.insert(w.get("node-role.kubernetes.io/control-plane"), w.get(""));
            node.taints.push(Taint::new(
                "node-role.kubernetes.io/control-plane",
                "",
                TaintEffect::NoSchedule,
            ));
        }
        if pool == "gpu" {
            node.taints.push(Taint::new(
                "nvidia.com/gpu",
                "present",
                TaintEffect::NoSchedule,
            ));
            node.allocatable
                .insert(words.get("nvidia.com/gpu"), Quantity::from_units(4));
        }
        if pool == "compute" && rng.chance(30) {
            node.taints
                .push(Taint::new("dedicated", "batch", TaintEffect::NoSchedule));
        }
        let not_ready = rng.chance(shape.not_ready_percent);
        if not_ready {
            node.taints
                .push(Taint::new(keys::NOT_READY, "", TaintEffect::NoSchedule));
            node.taints
                .push(Taint::new(keys::NOT_READY, "", TaintEffect::NoExecute));
        }
        if rng.chance(shape.cordoned_percent) {
            node.unschedulable = true;
            node.taints
                .push(Taint::new(keys::UNSCHEDULABLE, "", TaintEffect::NoSchedule));
        }
        let a = &mut node.allocatable;
        a.insert(words.get("cpu"), cpu_milli(cpus * 1000 - 100));
        a.insert(words.get("memory"), gib(mem - 1));
        a.insert(words.get("pods"), Quantity::from_units(110));
        a.insert(words.get("ephemeral-storage"), gib(100));
        node.allocatable.sort_keys();
        node.allocatable.shrink_to_fit();
        node.conditions.push(NodeCondition {
            kind: words.get("Ready"),
            status: words.get(if not_ready { "False" } else { "True" }),
            last_transition_time: Some(t0),
        });
        let others = rng.below(shape.max_other_pods_per_node as u64 + 1);
        for j in 0..others {
            let mut pod = Pod::new(words.get("apps"), format!("web-{i:06}-{j}"));
            pod.labels.reserve_exact(1);
            pod.labels.insert(words.get("app"), words.get("web"));
            pod.controller = Some(OwnerRef {
                api_version: words.get("apps/v1"),
                kind: words.get("ReplicaSet"),
                name: words.get("web-5d4f8"),
                uid: Some(words.get("rs-uid")),
                controller: true,
            });
            pod.node_name = Some(name.clone());
            pod.creation_timestamp = Some(t0);
            // The web pods come in 5 x 8 request sizes; pods of one size share their
            // container list, as the pods of one ReplicaSet template do.
            let cpu = rng.below(5);
            let memory = rng.below(8);
            let shared = &mut web_containers[(cpu * 8 + memory) as usize];
            let containers = shared.get_or_insert_with(|| {
                let mut requests = ResourceList::with_capacity(2);
                requests.insert(words.get("cpu"), cpu_milli(100 * (1 + cpu as i64)));
                requests.insert(
                    words.get("memory"),
                    Quantity::parse(&format!("{}Mi", 128 * (1 + memory))).unwrap_or_default(),
                );
                Arc::from(vec![Container {
                    name: words.get("web"),
                    requests,
                    limits: ResourceList::new(),
                    ports: Vec::new(),
                    restart_policy: None,
                }])
            });
            pod.containers = Arc::clone(containers);
            pod.ready = Some(ReadyCondition {
                ready: true,
                last_transition_time: Some(t0),
            });
            out.pods.push(pod);
        }
        out.nodes.push(node);
    }
    out.pods.shrink_to_fit();
    out
}

/// A DaemonSet in the style of a node agent: nodeSelector `kubernetes.io/os: linux`, a
/// control-plane toleration, and a required node-affinity term with `In` (arch) and `NotIn`
/// (pool). `variant` changes its name, pools excluded and image.
pub fn daemon_set(variant: usize) -> DaemonSet {
    let excluded = POOLS[variant % POOLS.len()];
    let yaml = format!(
        r#"apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent-{variant}
  namespace: kube-system
  uid: uid-agent-{variant}
  generation: 1
spec:
  selector:
    matchLabels: {{app: agent-{variant}}}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {{maxUnavailable: 10%}}
  template:
    metadata:
      labels: {{app: agent-{variant}, tier: node}}
    spec:
      nodeSelector: {{kubernetes.io/os: linux}}
      tolerations:
      - {{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}}
              - {{key: pool, operator: NotIn, values: [{excluded}-excluded, edge]}}
      containers:
      - name: agent
        image: registry.example/agent:{variant}.0
        resources:
          requests: {{cpu: 50m, memory: 64Mi}}
"#
    );
    // The template above is valid by construction.
    DaemonSet::from_yaml(&yaml).unwrap_or_else(|e| panic!("synthetic DaemonSet is invalid: {e}"))
}

/// The same DaemonSet with another image: a template change that starts a rollout.
pub fn daemon_set_updated(variant: usize) -> DaemonSet {
    let mut doc = daemon_set(variant).to_json();
    doc["spec"]["template"]["spec"]["containers"][0]["image"] =
        format!("registry.example/agent:{variant}.1").into();
    DaemonSet::from_json_value(&doc)
        .unwrap_or_else(|e| panic!("synthetic DaemonSet is invalid: {e}"))
}

/// One Running, Ready pod of `ds` with revision hash `hash` on every node where it should run.
pub fn daemon_pods(ds: &DaemonSet, nodes: &[Node], hash: &str, ready_since: Timestamp) -> Vec<Pod> {
    let options = Options::at(ready_since);
    let mut out = Vec::with_capacity(nodes.len());
    let hash_key = Str::from(REVISION_HASH_LABEL);
    let hash_value = Str::from(hash);
    let namespace = Str::from(ds.namespace());
    let containers: Arc<[Container]> = ds.template().spec.containers.clone().into();
    let owner = OwnerRef {
        api_version: "apps/v1".into(),
        kind: "DaemonSet".into(),
        name: ds.name().into(),
        uid: ds.uid().map(Str::from),
        controller: true,
    };
    for node in nodes {
        if !node_decision(ds, node, &options).should_run {
            continue;
        }
        let mut pod = Pod::new(namespace.clone(), format!("{}-{}", ds.name(), node.name));
        pod.uid = Some(format!("uid-{}-{}", ds.name(), node.name));
        let template = &ds.template().labels;
        pod.labels = Labels::with_capacity(template.len() + 1);
        pod.labels
            .extend(template.iter().map(|(k, v)| (k.clone(), v.clone())));
        pod.labels.insert(hash_key.clone(), hash_value.clone());
        pod.controller = Some(owner.clone());
        pod.creation_timestamp = Some(ready_since);
        pod.node_name = Some(node.name.clone());
        pod.containers = Arc::clone(&containers);
        pod.phase = PodPhase::Running;
        pod.ready = Some(ReadyCondition {
            ready: true,
            last_transition_time: Some(ready_since),
        });
        out.push(pod);
    }
    out
}

/// Build a snapshot from generated parts (names are unique by construction).
///
/// # Panics
/// When two nodes, or two pods, share a name: parts that did not come from this module should
/// go through [`Snapshot::new`], which returns the error instead.
pub fn snapshot(nodes: Vec<Node>, pods: Vec<Pod>) -> Snapshot {
    Snapshot::new(nodes, pods, Vec::new())
        .unwrap_or_else(|e| panic!("synthetic snapshot is invalid: {e}"))
}

fn yaml_map(out: &mut String, indent: &str, map: &Labels) {
    for (k, v) in map {
        let _ = writeln!(
            out,
            "{indent}{k}: {}",
            serde_json::to_string(v).unwrap_or_default()
        );
    }
}

fn yaml_resources(out: &mut String, indent: &str, list: &ResourceList) {
    for (k, v) in list {
        let _ = writeln!(out, "{indent}{k}: \"{v}\"");
    }
}

/// Nodes and pods as a `kind: List` YAML document, shaped as `kubectl get -o yaml` prints them.
/// A [`Node`] keeps only what is allocatable, so each node's `status.capacity` is written
/// equal to its `status.allocatable`.
pub fn to_yaml(nodes: &[Node], pods: &[Pod]) -> String {
    let mut out = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for n in nodes {
        let _ = writeln!(
            out,
            "- apiVersion: v1\n  kind: Node\n  metadata:\n    name: {}\n    labels:",
            n.name
        );
        yaml_map(&mut out, "      ", &n.labels);
        out.push_str("  spec:\n");
        if n.unschedulable {
            out.push_str("    unschedulable: true\n");
        }
        if !n.taints.is_empty() {
            out.push_str("    taints:\n");
            for t in &n.taints {
                let _ = writeln!(
                    out,
                    "    - key: {}\n      value: \"{}\"\n      effect: {}",
                    t.key, t.value, t.effect
                );
            }
        }
        out.push_str("  status:\n    allocatable:\n");
        yaml_resources(&mut out, "      ", &n.allocatable);
        // Generated nodes have no overhead: capacity is what is allocatable.
        out.push_str("    capacity:\n");
        yaml_resources(&mut out, "      ", &n.allocatable);
        out.push_str("    conditions:\n");
        for c in &n.conditions {
            let _ = writeln!(
                out,
                "    - type: {}\n      status: \"{}\"",
                c.kind, c.status
            );
            if let Some(t) = c.last_transition_time {
                let _ = writeln!(out, "      lastTransitionTime: \"{t}\"");
            }
        }
    }
    for p in pods {
        let _ = writeln!(
            out,
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: {}\n    namespace: {}",
            p.name, p.namespace
        );
        if let Some(uid) = &p.uid {
            let _ = writeln!(out, "    uid: {uid}");
        }
        if let Some(t) = p.creation_timestamp {
            let _ = writeln!(out, "    creationTimestamp: \"{t}\"");
        }
        if !p.labels.is_empty() {
            out.push_str("    labels:\n");
            yaml_map(&mut out, "      ", &p.labels);
        }
        if let Some(c) = &p.controller {
            let _ = writeln!(
                out,
                "    ownerReferences:\n    - apiVersion: {}\n      kind: {}\n      name: {}\n      controller: true",
                c.api_version, c.kind, c.name
            );
            if let Some(uid) = &c.uid {
                let _ = writeln!(out, "      uid: {uid}");
            }
        }
        out.push_str("  spec:\n");
        if let Some(n) = &p.node_name {
            let _ = writeln!(out, "    nodeName: {n}");
        }
        out.push_str("    containers:\n");
        for c in p.containers.iter() {
            let _ = writeln!(
                out,
                "    - name: {}\n      image: example\n      resources:\n        requests:",
                c.name
            );
            yaml_resources(&mut out, "          ", &c.requests);
        }
        let phase = match p.phase {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        };
        let _ = writeln!(out, "  status:\n    phase: {phase}");
        if let Some(r) = p.ready {
            let _ = writeln!(
                out,
                "    conditions:\n    - type: Ready\n      status: \"{}\"",
                if r.ready { "True" } else { "False" }
            );
            if let Some(t) = r.last_transition_time {
                let _ = writeln!(out, "      lastTransitionTime: \"{t}\"");
            }
        }
    }
    out
}
