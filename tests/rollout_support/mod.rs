//! Shared helpers for the rollout tests: a DaemonSet `foo` in namespace `default`, a small
//! cluster whose pods the tests place explicitly, and a way to carry one step's plan into the
//! next step's snapshot the way upstream's test harness does (created pods appear, unready and
//! unbound but pinned to their node; deleted pods disappear).
#![allow(dead_code)]

use daemonset_planner::{
    ControllerRevision, DaemonSet, Node, NodeCondition, Options, OwnerRef, Plan, Pod, PodPhase,
    ReadyCondition, Snapshot, Timestamp, plan,
};

pub const UID: &str = "6f1c9d3e-0000-4000-8000-000000000f00";

/// A timestamp `secs` seconds after 2026-01-01T00:00:00Z.
pub fn at(secs: i64) -> Timestamp {
    let base: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    base.checked_add(jiff::SignedDuration::from_secs(secs))
        .unwrap()
}

/// Options at `secs` seconds past the test epoch.
pub fn options(secs: i64) -> Options {
    Options::at(at(secs))
}

/// DaemonSet `foo` (selector and template label `app: foo`) with one container running
/// `image`, and `strategy` as the YAML flow mapping of `spec.updateStrategy`.
#[track_caller]
pub fn foo(image: &str, strategy: &str) -> DaemonSet {
    foo_with(image, strategy, "")
}

/// As [`foo`], with extra lines appended to `spec` (indented two spaces, e.g.
/// `"  minReadySeconds: 15\n"`).
#[track_caller]
pub fn foo_with(image: &str, strategy: &str, extra_spec: &str) -> DaemonSet {
    let yaml = format!(
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: foo, namespace: default, uid: {UID}}}
spec:
  selector: {{matchLabels: {{app: foo}}}}
  updateStrategy: {strategy}
{extra_spec}  template:
    metadata: {{labels: {{app: foo}}}}
    spec:
      containers: [{{name: foo, image: "{image}"}}]
"#
    );
    ds(&yaml)
}

/// `rollingUpdate` with an integer or percent `maxUnavailable`.
pub fn unavailable(v: &str) -> String {
    format!("{{type: RollingUpdate, rollingUpdate: {{maxUnavailable: {v}}}}}")
}

/// `rollingUpdate` with `maxUnavailable: 0` and an integer or percent `maxSurge`.
pub fn surge(v: &str) -> String {
    format!("{{type: RollingUpdate, rollingUpdate: {{maxUnavailable: 0, maxSurge: {v}}}}}")
}

pub const ON_DELETE: &str = "{type: OnDelete}";

#[track_caller]
pub fn ds(yaml: &str) -> DaemonSet {
    match DaemonSet::from_yaml(yaml) {
        Ok(ds) => ds,
        Err(e) => panic!("DaemonSet should parse: {e}\n{yaml}"),
    }
}

#[track_caller]
pub fn snapshot(yaml: &str) -> Snapshot {
    match Snapshot::from_yaml(yaml) {
        Ok(s) => s,
        Err(e) => panic!("snapshot should parse: {e}\n{yaml}"),
    }
}

/// A pod's readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// No Ready condition.
    Unknown,
    /// Ready=False.
    No,
    /// Ready=True since this many seconds past the epoch.
    Since(i64),
}

/// Nodes and the pods of DaemonSet `foo`, built explicitly.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub revisions: Vec<ControllerRevision>,
    seq: usize,
}

/// A Ready node.
pub fn node(name: &str) -> Node {
    let mut n = Node::new(name);
    n.conditions.push(NodeCondition {
        kind: "Ready".into(),
        status: "True".into(),
        last_transition_time: None,
    });
    n
}

impl Cluster {
    /// `count` Ready nodes `node-0`, `node-1`, ...
    pub fn with_nodes(count: usize) -> Cluster {
        Cluster {
            nodes: (0..count).map(|i| node(&format!("node-{i}"))).collect(),
            ..Cluster::default()
        }
    }

    /// Add a Running pod of `foo` bound to `node` with revision hash `hash`, created at
    /// `created` seconds; returns its name.
    pub fn pod(&mut self, node: &str, hash: &str, ready: Ready, created: i64) -> String {
        self.seq += 1;
        let mut p = Pod::new("default", format!("foo-{node}-{:03}", self.seq));
        p.labels.insert("app".into(), "foo".into());
        p.labels
            .insert("controller-revision-hash".into(), hash.into());
        p.controller = Some(owner());
        p.node_name = Some(node.into());
        p.creation_timestamp = Some(at(created));
        p.phase = PodPhase::Running;
        p.ready = match ready {
            Ready::Unknown => None,
            Ready::No => Some(ReadyCondition {
                ready: false,
                last_transition_time: Some(at(created)),
            }),
            Ready::Since(t) => Some(ReadyCondition {
                ready: true,
                last_transition_time: Some(at(t)),
            }),
        };
        let name = p.name.clone();
        self.pods.push(p);
        name
    }

    /// The mutable pod with this name.
    #[track_caller]
    pub fn pod_mut(&mut self, name: &str) -> &mut Pod {
        match self.pods.iter_mut().find(|p| p.name == name) {
            Some(p) => p,
            None => panic!("no pod {name}"),
        }
    }

    /// Live pods (no deletionTimestamp) on `node`, oldest first.
    pub fn pods_on(&self, node: &str) -> Vec<&Pod> {
        let mut v: Vec<&Pod> = self
            .pods
            .iter()
            .filter(|p| p.target_node() == Some(node) && p.deletion_timestamp.is_none())
            .collect();
        v.sort_by_key(|p| (p.creation_timestamp, p.name.clone()));
        v
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot::new(
            self.nodes.clone(),
            self.pods.clone(),
            self.revisions.clone(),
        )
        .unwrap()
    }

    /// Plan `ds` on the current cluster at `secs`.
    pub fn plan(&self, ds: &DaemonSet, secs: i64) -> Plan {
        plan(ds, &self.snapshot(), &options(secs))
    }

    /// Execute a plan as upstream's fake pod control does: deleted pods vanish, created pods
    /// appear with the plan's hash, created at `secs`, not ready, unbound but pinned to the
    /// node.
    pub fn apply(&mut self, plan: &Plan, secs: i64) {
        for d in plan.deletes() {
            let before = self.pods.len();
            self.pods
                .retain(|p| !(p.name == d.pod && p.namespace == d.namespace));
            assert_eq!(before, self.pods.len() + 1, "deleted pod {} exists", d.pod);
        }
        for c in plan.creates() {
            self.seq += 1;
            let mut p = Pod::new("default", format!("foo-{}-{:03}", c.node, self.seq));
            p.labels.insert("app".into(), "foo".into());
            p.labels.insert(
                "controller-revision-hash".into(),
                c.revision_hash.as_str().into(),
            );
            p.controller = Some(owner());
            p.pinned_node = Some(c.node.as_str().into());
            p.creation_timestamp = Some(at(secs));
            p.phase = PodPhase::Pending;
            self.pods.push(p);
        }
    }

    /// Mark every pod Ready since `secs` (upstream's markPodsReady).
    pub fn mark_all_ready(&mut self, secs: i64) {
        for p in &mut self.pods {
            if !p.is_ready() {
                p.ready = Some(ReadyCondition {
                    ready: true,
                    last_transition_time: Some(at(secs)),
                });
            }
        }
    }

    /// Set the readiness of every pod with revision `hash`.
    pub fn set_ready_where(&mut self, hash: &str, ready: Ready) {
        for p in &mut self.pods {
            if p.revision_hash() == Some(hash) {
                set_ready(p, ready);
            }
        }
    }

    /// Number of pods with revision `hash`.
    pub fn count_hash(&self, hash: &str) -> usize {
        self.pods
            .iter()
            .filter(|p| p.revision_hash() == Some(hash))
            .count()
    }

    /// Number of Ready pods.
    pub fn count_ready(&self) -> usize {
        self.pods.iter().filter(|p| p.is_ready()).count()
    }
}

pub fn set_ready(p: &mut Pod, ready: Ready) {
    p.ready = match ready {
        Ready::Unknown => None,
        Ready::No => Some(ReadyCondition {
            ready: false,
            last_transition_time: p.creation_timestamp,
        }),
        Ready::Since(t) => Some(ReadyCondition {
            ready: true,
            last_transition_time: Some(at(t)),
        }),
    };
}

pub fn owner() -> OwnerRef {
    OwnerRef {
        api_version: "apps/v1".into(),
        kind: "DaemonSet".into(),
        name: "foo".into(),
        uid: Some(UID.into()),
        controller: true,
    }
}

/// (creates, deletes) of a plan.
pub fn counts(plan: &Plan) -> (usize, usize) {
    (plan.creates().len(), plan.deletes().len())
}

/// Assert the number of creates and deletes, and the invariants every plan keeps: no pod
/// deleted twice, no node given two pods.
#[track_caller]
pub fn expect(plan: &Plan, creates: usize, deletes: usize) {
    assert_no_duplicates(plan);
    assert_eq!(
        counts(plan),
        (creates, deletes),
        "creates {:?}\ndeletes {:?}",
        created_nodes(plan),
        deleted_pods(plan)
    );
}

#[track_caller]
pub fn assert_no_duplicates(plan: &Plan) {
    let mut nodes = created_nodes(plan);
    nodes.sort();
    let before = nodes.len();
    nodes.dedup();
    assert_eq!(before, nodes.len(), "a node got two creates: {nodes:?}");
    let mut pods: Vec<(String, String)> = plan
        .deletes()
        .iter()
        .map(|d| (d.namespace.clone(), d.pod.clone()))
        .collect();
    pods.sort();
    let before = pods.len();
    pods.dedup();
    assert_eq!(before, pods.len(), "a pod was deleted twice: {pods:?}");
}

pub fn created_nodes(plan: &Plan) -> Vec<String> {
    plan.creates().iter().map(|c| c.node.clone()).collect()
}

pub fn deleted_pods(plan: &Plan) -> Vec<String> {
    plan.deletes().iter().map(|d| d.pod.clone()).collect()
}

/// Nodes of the deleted pods, in plan order.
pub fn deleted_nodes(plan: &Plan) -> Vec<String> {
    plan.deletes()
        .iter()
        .map(|d| d.node.clone().unwrap_or_default())
        .collect()
}
