//! Helpers shared by the plan tests: upstream's test DaemonSet, and small builders for the
//! nodes and pods of a scenario (written out as YAML documents and read back through
//! `Snapshot::from_yaml`, as a user's `kubectl get -o yaml` would be).
#![allow(dead_code)]

use daemonset_planner::{DaemonSet, Options, Plan, Snapshot, Timestamp, plan};
use serde_json::{Value, json};

/// Upstream's `newDaemonSet("foo")`: namespace default, OnDelete, selector and template labels
/// `{name: simple-daemon, type: production}`.
pub const FOO: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: foo
  namespace: default
  uid: 3d9c5a0e-foo
spec:
  revisionHistoryLimit: 2
  updateStrategy:
    type: OnDelete
  selector:
    matchLabels:
      name: simple-daemon
      type: production
  template:
    metadata:
      labels:
        name: simple-daemon
        type: production
    spec:
      dnsPolicy: Default
      containers:
      - name: foo
        image: foo/bar
        imagePullPolicy: IfNotPresent
"#;

/// `simpleDaemonSetLabel`.
pub const SELECTED: &[(&str, &str)] = &[("name", "simple-daemon"), ("type", "production")];
/// `simpleDaemonSetLabel2`: does not match the selector.
pub const UNSELECTED: &[(&str, &str)] = &[("name", "simple-daemon"), ("type", "test")];
/// `simpleNodeLabel`.
pub const BLUE: &[(&str, &str)] = &[("color", "blue"), ("speed", "fast")];

pub fn ts(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a timestamp: {e}"))
}

/// The clock of most scenarios.
pub fn now() -> Timestamp {
    ts("2026-01-01T00:00:00Z")
}

/// Upstream's `time.Unix(n, 0)`.
pub fn unix(n: i64) -> Timestamp {
    Timestamp::from_second(n).unwrap()
}

/// A manifest written in YAML, as a JSON value to adjust.
pub fn manifest(yaml: &str) -> Value {
    serde_yaml::from_str(yaml).unwrap()
}

#[track_caller]
pub fn daemon_set(manifest: &Value) -> DaemonSet {
    // JSON is YAML.
    match DaemonSet::from_yaml(&manifest.to_string()) {
        Ok(ds) => ds,
        Err(e) => panic!("invalid test DaemonSet: {e}"),
    }
}

pub fn on_delete() -> Value {
    json!({"type": "OnDelete"})
}

/// `newRollingUpdateStrategy()`: maxUnavailable 1, no maxSurge.
pub fn rolling_update() -> Value {
    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}})
}

/// `newUpdateSurge(v)`: maxUnavailable 0, maxSurge v.
pub fn surge(max_surge: Value) -> Value {
    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": max_surge}})
}

/// Upstream's `updateStrategies()`: most manage tests expect the same for both.
pub fn strategies() -> [(&'static str, Value); 2] {
    [
        ("OnDelete", on_delete()),
        ("RollingUpdate", rolling_update()),
    ]
}

/// `newDaemonSet("foo")` with another update strategy.
pub fn foo(strategy: &Value) -> DaemonSet {
    let mut m = manifest(FOO);
    m["spec"]["updateStrategy"] = strategy.clone();
    daemon_set(&m)
}

/// `newDaemonSet("foo")` with changes to its template spec.
pub fn foo_with(strategy: &Value, template_spec: Value) -> DaemonSet {
    let mut m = manifest(FOO);
    m["spec"]["updateStrategy"] = strategy.clone();
    let spec = m["spec"]["template"]["spec"].as_object_mut().unwrap();
    for (k, v) in template_spec.as_object().unwrap() {
        spec.insert(k.clone(), v.clone());
    }
    daemon_set(&m)
}

fn labels_json(labels: &[(&str, &str)]) -> Value {
    Value::Object(
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect(),
    )
}

/// A Node document.
#[derive(Clone)]
pub struct NodeDoc(Value);

pub fn node(name: &str) -> NodeDoc {
    NodeDoc(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "allocatable": {"pods": "100"},
        },
    }))
}

impl NodeDoc {
    pub fn labels(mut self, labels: &[(&str, &str)]) -> NodeDoc {
        self.0["metadata"]["labels"] = labels_json(labels);
        self
    }

    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> NodeDoc {
        let spec = self
            .0
            .as_object_mut()
            .unwrap()
            .entry("spec")
            .or_insert(json!({}));
        let taints = spec
            .as_object_mut()
            .unwrap()
            .entry("taints")
            .or_insert(json!([]));
        taints
            .as_array_mut()
            .unwrap()
            .push(json!({"key": key, "value": value, "effect": effect}));
        self
    }

    pub fn yaml(&self) -> String {
        self.0.to_string()
    }
}

/// `node-<from>` .. `node-<to - 1>`, with these labels.
pub fn nodes(range: std::ops::Range<usize>, labels: &[(&str, &str)]) -> Vec<String> {
    range
        .map(|i| node(&format!("node-{i}")).labels(labels).yaml())
        .collect()
}

/// A Pod document.
#[derive(Clone)]
pub struct PodDoc(Value);

/// A bare pod in namespace default: no labels, no owner, no node, phase empty.
pub fn pod(name: &str) -> PodDoc {
    PodDoc(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "foo/bar"}]},
    }))
}

/// Upstream's `newPod(name, node, simpleDaemonSetLabel, ds)`: selected labels, the current
/// revision hash, a controller reference to `ds`, bound to `node`.
pub fn daemon_pod(ds: &DaemonSet, name: &str, node: &str) -> PodDoc {
    pod(name)
        .labels(SELECTED)
        .hash(ds.revision_hash())
        .owned_by(ds)
        .on(node)
}

impl PodDoc {
    pub fn namespace(mut self, ns: &str) -> PodDoc {
        self.0["metadata"]["namespace"] = ns.into();
        self
    }

    /// Replace the labels (the hash label included).
    pub fn labels(mut self, labels: &[(&str, &str)]) -> PodDoc {
        self.0["metadata"]["labels"] = labels_json(labels);
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> PodDoc {
        let meta = self.0["metadata"].as_object_mut().unwrap();
        let labels = meta.entry("labels").or_insert(json!({}));
        labels[key] = value.into();
        self
    }

    pub fn hash(self, hash: &str) -> PodDoc {
        self.label("controller-revision-hash", hash)
    }

    /// Remove the hash label: upstream's way of making an "old" pod.
    pub fn old(mut self) -> PodDoc {
        if let Some(l) = self.0["metadata"]["labels"].as_object_mut() {
            l.remove("controller-revision-hash");
        }
        self
    }

    pub fn owned_by(self, ds: &DaemonSet) -> PodDoc {
        self.owner("DaemonSet", ds.name(), ds.uid())
    }

    pub fn owner(mut self, kind: &str, name: &str, uid: Option<&str>) -> PodDoc {
        let api_version = if kind == "DaemonSet" || kind == "ReplicaSet" {
            "apps/v1"
        } else {
            "v1"
        };
        let mut r =
            json!({"apiVersion": api_version, "kind": kind, "name": name, "controller": true});
        if let Some(uid) = uid {
            r["uid"] = uid.into();
        }
        self.0["metadata"]["ownerReferences"] = json!([r]);
        self
    }

    /// Bound: `spec.nodeName`.
    pub fn on(mut self, node: &str) -> PodDoc {
        self.0["spec"]["nodeName"] = node.into();
        self
    }

    /// Unbound, pinned by the daemon pod's required node affinity.
    pub fn pinned(mut self, node: &str) -> PodDoc {
        self.0["spec"]["affinity"] = json!({"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
            ]}
        }});
        self
    }

    pub fn phase(mut self, phase: &str) -> PodDoc {
        self.status()["phase"] = phase.into();
        self
    }

    pub fn created(mut self, at: Timestamp) -> PodDoc {
        self.0["metadata"]["creationTimestamp"] = at.to_string().into();
        self
    }

    pub fn deleting(mut self, at: Timestamp) -> PodDoc {
        self.0["metadata"]["deletionTimestamp"] = at.to_string().into();
        self.0["metadata"]["deletionGracePeriodSeconds"] = 30.into();
        self
    }

    /// A Ready condition, `True` or `False`, with an optional lastTransitionTime.
    pub fn ready(mut self, ready: bool, since: Option<Timestamp>) -> PodDoc {
        let mut c = json!({"type": "Ready", "status": if ready { "True" } else { "False" }});
        if let Some(t) = since {
            c["lastTransitionTime"] = t.to_string().into();
        }
        self.status()["conditions"] = json!([c]);
        self
    }

    fn status(&mut self) -> &mut Value {
        self.0
            .as_object_mut()
            .unwrap()
            .entry("status")
            .or_insert(json!({}))
    }

    pub fn yaml(&self) -> String {
        self.0.to_string()
    }
}

impl From<PodDoc> for String {
    fn from(p: PodDoc) -> String {
        p.yaml()
    }
}

impl From<NodeDoc> for String {
    fn from(n: NodeDoc) -> String {
        n.yaml()
    }
}

/// A snapshot from these documents, as one multi-document YAML stream.
#[track_caller]
pub fn cluster<I, S>(docs: I) -> Snapshot
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let text: Vec<String> = docs.into_iter().map(Into::into).collect();
    match Snapshot::from_yaml(&text.join("\n---\n")) {
        Ok(s) => s,
        Err(e) => panic!("invalid test cluster: {e}"),
    }
}

/// The plan at [`now`] with default options.
pub fn plan_now(ds: &DaemonSet, snapshot: &Snapshot) -> Plan {
    plan(ds, snapshot, &Options::at(now()))
}

/// The nodes the plan creates pods on, in plan order.
pub fn created_on(plan: &Plan) -> Vec<String> {
    plan.creates().iter().map(|c| c.node.clone()).collect()
}

/// The pods the plan deletes, in plan order.
pub fn deleted(plan: &Plan) -> Vec<String> {
    plan.deletes().iter().map(|d| d.pod.clone()).collect()
}

/// Number of pods the plan deletes on a node.
pub fn deleted_on(plan: &Plan, node: &str) -> usize {
    plan.deletes()
        .iter()
        .filter(|d| d.node.as_deref() == Some(node))
        .count()
}

pub fn names(items: &[daemonset_planner::PodRef]) -> Vec<String> {
    items.iter().map(|p| p.to_string()).collect()
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}
