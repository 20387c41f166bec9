//! `Snapshot`: the cluster as the planner sees it (nodes, pods, ControllerRevisions).

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

use crate::Timestamp;
use crate::api;
use crate::error::{Error, FieldError, quoted};
use crate::resources::{self, Container, HostPort, ResourceList};
use crate::selector::{Labels, NodeSelector};
use crate::spec::{build_pod_spec, parse_time};
use crate::strmap::{Interner, Str};
use crate::taints::Taint;
use crate::validation::{check_labels, qualified_name_errors};

/// A node condition (`Ready`, `MemoryPressure`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCondition {
    /// The condition type.
    #[serde(rename = "type")]
    pub kind: Str,
    /// `True`, `False` or `Unknown`.
    pub status: Str,
    /// When the status last changed.
    pub last_transition_time: Option<Timestamp>,
}

/// A node, reduced to what the planner reads.
///
/// # Example
/// ```
/// use daemonset_planner::{Node, Taint, TaintEffect};
/// let mut node = Node::new("node-1");
/// node.labels.insert("kubernetes.io/os".into(), "linux".into());
/// node.taints.push(Taint::new("gpu", "true", TaintEffect::NoSchedule));
/// assert_eq!(node.name, "node-1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Node {
    /// `metadata.name`.
    pub name: Str,
    /// `metadata.labels`.
    pub labels: Labels,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `status.allocatable`. (`status.capacity` is validated when parsed, then dropped: the
    /// planner, like the scheduler's fit check, reads only what is allocatable.)
    pub allocatable: ResourceList,
    /// `status.conditions`.
    pub conditions: Vec<NodeCondition>,
}

impl Node {
    /// A node with this name and nothing else.
    pub fn new(name: impl Into<Str>) -> Node {
        Node {
            name: name.into(),
            labels: Labels::new(),
            taints: Vec::new(),
            unschedulable: false,
            allocatable: ResourceList::new(),
            conditions: Vec::new(),
        }
    }

    /// The status of the node's `Ready` condition (`True`, `False`, `Unknown`), if reported.
    pub fn ready_status(&self) -> Option<&str> {
        self.conditions
            .iter()
            .find(|c| c.kind == "Ready")
            .map(|c| c.status.as_str())
    }

    /// Release spare capacity of the node's maps and lists.
    fn shrink_to_fit(&mut self) {
        self.labels.shrink_to_fit();
        self.taints.shrink_to_fit();
        self.allocatable.shrink_to_fit();
        self.conditions.shrink_to_fit();
    }

    pub(crate) fn from_doc(
        doc: &api::NodeDoc,
        words: &mut Interner,
        errors: &mut Vec<FieldError>,
    ) -> Node {
        let name = doc.metadata.name.clone().unwrap_or_default();
        check_name(&name, errors);
        let labels = words.labels(doc.metadata.labels.iter().flatten());
        check_labels(&labels, "metadata.labels", errors);
        let spec = doc.spec.clone().unwrap_or_default();
        let mut taints = Vec::new();
        for (i, t) in spec.taints.iter().flatten().enumerate() {
            if let Some(t) = Taint::compile(t, &format!("spec.taints[{i}]"), errors) {
                taints.push(t);
            }
        }
        let status = doc.status.clone().unwrap_or_default();
        let allocatable = words.keys(resources::parse_resource_list(
            status.allocatable.as_ref(),
            "status.allocatable",
            false,
            errors,
        ));
        // Checked for bad quantities, not kept.
        resources::parse_resource_list(status.capacity.as_ref(), "status.capacity", false, errors);
        let conditions = status
            .conditions
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| NodeCondition {
                kind: words.get(c.type_.as_deref().unwrap_or_default()),
                status: words.get(c.status.as_deref().unwrap_or_default()),
                last_transition_time: parse_time(
                    c.last_transition_time.as_deref(),
                    &format!("status.conditions[{i}].lastTransitionTime"),
                    errors,
                ),
            })
            .collect();
        Node {
            // Shared with the pods bound to the node and its hostname label.
            name: words.get(&name),
            labels,
            taints,
            unschedulable: spec.unschedulable.unwrap_or(false),
            allocatable,
            conditions,
        }
    }
}

/// `metadata.name` of a Node, Pod or ControllerRevision: required. Objects read from a cluster
/// were validated by its API server; the planner needs only a name, so names outside the
/// DNS-subdomain rules (upstream's own tests use `host_1`) are accepted.
fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    if name.is_empty() {
        errors.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    }
}

/// A pod's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum PodPhase {
    /// Accepted, not yet running (also used when the phase is empty).
    #[default]
    Pending,
    /// Running.
    Running,
    /// Terminated successfully.
    Succeeded,
    /// Terminated in failure.
    Failed,
    /// State unknown.
    Unknown,
}

impl PodPhase {
    /// Succeeded or Failed.
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }

    fn parse(s: Option<&str>) -> PodPhase {
        match s {
            Some("Running") => PodPhase::Running,
            Some("Succeeded") => PodPhase::Succeeded,
            Some("Failed") => PodPhase::Failed,
            Some("Unknown") => PodPhase::Unknown,
            _ => PodPhase::Pending,
        }
    }
}

/// An owner reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerRef {
    /// `apiVersion` of the owner.
    pub api_version: Str,
    /// `kind` of the owner.
    pub kind: Str,
    /// `name` of the owner.
    pub name: Str,
    /// `uid` of the owner, when given.
    pub uid: Option<Str>,
    /// Whether this reference is the controller.
    pub controller: bool,
}

impl OwnerRef {
    fn from_api(r: &api::OwnerReference, words: &mut Interner) -> OwnerRef {
        OwnerRef {
            api_version: words.get(r.api_version.as_deref().unwrap_or_default()),
            kind: words.get(r.kind.as_deref().unwrap_or_default()),
            name: words.get(r.name.as_deref().unwrap_or_default()),
            uid: r
                .uid
                .as_deref()
                .filter(|u| !u.is_empty())
                .map(|u| words.get(u)),
            controller: r.controller.unwrap_or(false),
        }
    }
}

/// The controller reference among an object's owner references.
fn controller_of(
    refs: Option<&Vec<api::OwnerReference>>,
    words: &mut Interner,
) -> Option<OwnerRef> {
    refs?
        .iter()
        .find(|r| r.controller == Some(true))
        .map(|r| OwnerRef::from_api(r, words))
}

/// A pod's `Ready` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyCondition {
    /// Whether the condition's status is `True`.
    pub ready: bool,
    /// When it last changed.
    pub last_transition_time: Option<Timestamp>,
}

/// A pod, reduced to what the planner reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Pod {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: Str,
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// `metadata.labels`.
    pub labels: Labels,
    /// The controller owner reference, if any.
    pub controller: Option<OwnerRef>,
    /// `metadata.creationTimestamp`.
    pub creation_timestamp: Option<Timestamp>,
    /// `metadata.deletionTimestamp`.
    pub deletion_timestamp: Option<Timestamp>,
    /// `spec.nodeName`: the node the pod is bound to.
    pub node_name: Option<Str>,
    /// The node the pod is pinned to by `matchFields metadata.name In [node]` affinity.
    pub pinned_node: Option<Str>,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// `spec.containers`: one list shared by the pods whose containers are identical (the
    /// pods of one owner, as parsed or generated), so a large cluster stores each spec once.
    /// Build it with `vec![...].into()`.
    pub containers: Arc<[Container]>,
    /// `spec.initContainers`.
    pub init_containers: Vec<Container>,
    /// `spec.overhead`.
    pub overhead: ResourceList,
    /// `spec.priority`.
    pub priority: Option<i64>,
    /// `status.phase`.
    pub phase: PodPhase,
    /// The `Ready` condition, if reported.
    pub ready: Option<ReadyCondition>,
}

impl Pod {
    /// A running pod with this namespace and name and nothing else.
    pub fn new(namespace: impl Into<Str>, name: impl Into<String>) -> Pod {
        Pod {
            name: name.into(),
            namespace: namespace.into(),
            uid: None,
            labels: Labels::new(),
            controller: None,
            creation_timestamp: None,
            deletion_timestamp: None,
            node_name: None,
            pinned_node: None,
            host_network: false,
            containers: Arc::from(Vec::new()),
            init_containers: Vec::new(),
            overhead: ResourceList::new(),
            priority: None,
            phase: PodPhase::Running,
            ready: None,
        }
    }

    /// The node this pod is for: `spec.nodeName`, else the affinity pin.
    // upstream: daemonset_util.go GetTargetNodeName
    pub fn target_node(&self) -> Option<&str> {
        self.node_name.as_deref().or(self.pinned_node.as_deref())
    }

    /// Whether the Ready condition is True.
    // upstream: pod util.go IsPodReady
    pub fn is_ready(&self) -> bool {
        self.ready.is_some_and(|r| r.ready)
    }

    /// Ready for at least `min_ready_seconds` at `now`.
    // upstream: pod util.go IsPodAvailable
    pub fn is_available(&self, min_ready_seconds: i64, now: Timestamp) -> bool {
        let Some(ready) = self.ready.filter(|r| r.ready) else {
            return false;
        };
        ready_long_enough(ready.last_transition_time, min_ready_seconds, now)
    }

    /// The `controller-revision-hash` label.
    pub fn revision_hash(&self) -> Option<&str> {
        self.labels
            .get(crate::spec::REVISION_HASH_LABEL)
            .map(|v| v.as_str())
    }

    /// The effective request of this pod.
    pub fn requests(&self) -> ResourceList {
        resources::pod_requests(&self.containers, &self.init_containers, &self.overhead)
    }

    /// The host ports this pod occupies.
    pub fn host_ports(&self) -> Vec<HostPort> {
        resources::host_ports(&self.containers, &self.init_containers, self.host_network)
    }

    /// Release spare capacity of the pod's maps and lists.
    fn shrink_to_fit(&mut self) {
        self.labels.shrink_to_fit();
        self.overhead.shrink_to_fit();
        self.init_containers.shrink_to_fit();
        for c in &mut self.init_containers {
            c.requests.shrink_to_fit();
            c.limits.shrink_to_fit();
            c.ports.shrink_to_fit();
        }
    }

    pub(crate) fn from_doc(
        doc: &api::PodDoc,
        words: &mut Interner,
        errors: &mut Vec<FieldError>,
    ) -> Pod {
        let meta = &doc.metadata;
        let name = meta.name.clone().unwrap_or_default();
        check_name(&name, errors);
        let labels = words.labels(meta.labels.iter().flatten());
        check_labels(&labels, "metadata.labels", errors);
        let empty = api::PodSpec::default();
        let spec_raw = doc.spec.as_ref().unwrap_or(&empty);
        let pinned_node = spec_raw
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .and_then(|r| NodeSelector::lenient(r).pinned_node().map(str::to_string));
        let mut spec = build_pod_spec(spec_raw, "spec", false, errors);
        for c in spec.containers.iter_mut().chain(&mut spec.init_containers) {
            c.name = words.get(&c.name);
            c.requests = words.keys(std::mem::take(&mut c.requests));
            c.limits = words.keys(std::mem::take(&mut c.limits));
        }
        spec.overhead = words.keys(std::mem::take(&mut spec.overhead));
        let status = doc.status.clone().unwrap_or_default();
        let ready = status
            .conditions
            .iter()
            .flatten()
            .enumerate()
            .find(|(_, c)| c.type_.as_deref() == Some("Ready"))
            .map(|(i, c)| ReadyCondition {
                ready: c.status.as_deref() == Some("True"),
                last_transition_time: parse_time(
                    c.last_transition_time.as_deref(),
                    &format!("status.conditions[{i}].lastTransitionTime"),
                    errors,
                ),
            });
        Pod {
            name,
            namespace: words.get(
                meta.namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("default"),
            ),
            uid: meta.uid.clone().filter(|u| !u.is_empty()),
            labels,
            controller: controller_of(meta.owner_references.as_ref(), words),
            creation_timestamp: parse_time(
                meta.creation_timestamp.as_deref(),
                "metadata.creationTimestamp",
                errors,
            ),
            deletion_timestamp: parse_time(
                meta.deletion_timestamp.as_deref(),
                "metadata.deletionTimestamp",
                errors,
            ),
            node_name: spec.node_name.map(|n| words.get(&n)),
            pinned_node: pinned_node.map(|n| words.get(&n)),
            host_network: spec.host_network,
            containers: words.containers(spec.containers),
            init_containers: spec.init_containers,
            overhead: spec.overhead,
            priority: spec.priority,
            phase: PodPhase::parse(status.phase.as_deref()),
            ready,
        }
    }
}

/// A ControllerRevision: one stored template of a DaemonSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ControllerRevision {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.labels` (carries `controller-revision-hash`).
    pub labels: Labels,
    /// `metadata.annotations` (may carry `kubernetes.io/change-cause`).
    pub annotations: Labels,
    /// The controller owner reference, if any.
    pub controller: Option<OwnerRef>,
    /// `revision`.
    pub revision: i64,
    /// `data`: the template patch `{"spec":{"template":{...}}}`.
    pub data: serde_json::Value,
    /// `metadata.creationTimestamp`.
    pub creation_timestamp: Option<Timestamp>,
}

impl ControllerRevision {
    /// A revision with this namespace, name, number and data.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        revision: i64,
        data: serde_json::Value,
    ) -> ControllerRevision {
        ControllerRevision {
            name: name.into(),
            namespace: namespace.into(),
            labels: Labels::new(),
            annotations: Labels::new(),
            controller: None,
            revision,
            data,
            creation_timestamp: None,
        }
    }

    /// The template this revision stores (`data.spec.template` without `$patch`).
    pub fn template(&self) -> Option<serde_json::Value> {
        let mut t = self.data.pointer("/spec/template")?.clone();
        if let Some(obj) = t.as_object_mut() {
            obj.remove("$patch");
        }
        Some(t)
    }

    /// The `controller-revision-hash` label, or the name for legacy revisions without one.
    // upstream: update.go constructHistory (legacy label repair)
    pub fn hash(&self) -> &str {
        self.labels
            .get(crate::spec::REVISION_HASH_LABEL)
            .map_or(self.name.as_str(), |v| v.as_str())
    }

    pub(crate) fn from_doc(
        doc: &api::RevisionDoc,
        words: &mut Interner,
        errors: &mut Vec<FieldError>,
    ) -> ControllerRevision {
        let meta = &doc.metadata;
        let name = meta.name.clone().unwrap_or_default();
        check_name(&name, errors);
        ControllerRevision {
            name,
            namespace: meta
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".into()),
            labels: meta.labels.iter().flatten().collect(),
            annotations: meta.annotations.iter().flatten().collect(),
            controller: controller_of(meta.owner_references.as_ref(), words),
            revision: doc.revision.unwrap_or(0),
            data: doc.data.clone().unwrap_or(serde_json::Value::Null),
            creation_timestamp: parse_time(
                meta.creation_timestamp.as_deref(),
                "metadata.creationTimestamp",
                errors,
            ),
        }
    }
}

/// Pod indexes grouped by node position, in one allocation.
#[derive(Debug, Clone)]
pub(crate) struct NodePods {
    order: Vec<usize>,
    start: Vec<u32>,
    /// Some node has more than one pod (fixed when grouped: the grouping is never edited).
    crowded: bool,
}

impl Default for NodePods {
    /// No nodes.
    fn default() -> NodePods {
        NodePods::group(0, &[])
    }
}

impl NodePods {
    /// Group `(node, pod)` pairs by node (a counting sort: no per-node allocation).
    /// Pairs of one node keep their order (the sort is stable).
    pub(crate) fn group(nodes: usize, pairs: &[(u32, usize)]) -> NodePods {
        // Counts go one slot ahead of where each node's list starts, so that after the
        // prefix sum `start[n + 1]` is where node n's next pod goes; placing the pods moves it
        // to where node n ends, which is where node n + 1 starts.
        let mut start = vec![0u32; nodes + 2];
        for &(n, _) in pairs {
            start[n as usize + 2] += 1;
        }
        let crowded = start.iter().any(|&c| c > 1);
        for n in 2..start.len() {
            start[n] += start[n - 1];
        }
        let mut order = vec![0usize; pairs.len()];
        for &(n, i) in pairs {
            let slot = &mut start[n as usize + 1];
            order[*slot as usize] = i;
            *slot += 1;
        }
        start.pop();
        NodePods {
            order,
            start,
            crowded,
        }
    }

    /// Sort each node's pods by `cmp`.
    pub(crate) fn sort_each(&mut self, cmp: impl Fn(usize, usize) -> std::cmp::Ordering) {
        if !self.crowded {
            return;
        }
        for n in 0..self.start.len() - 1 {
            let list = &mut self.order[self.start[n] as usize..self.start[n + 1] as usize];
            if list.len() > 1 {
                list.sort_by(|&a, &b| cmp(a, b));
            }
        }
    }

    /// The pods on node `n`.
    #[inline]
    pub(crate) fn get(&self, n: usize) -> &[usize] {
        &self.order[self.start[n] as usize..self.start[n + 1] as usize]
    }

    /// The pods of every node, in node order.
    #[inline]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[usize]> {
        (0..self.start.len() - 1).map(|n| self.get(n))
    }
}

/// Whether a Ready pod, Ready since `since`, counts as available at `now`: at once when
/// `min_ready_seconds` is zero, else once that long has passed.
// upstream: pod util.go IsPodAvailable
#[inline]
pub(crate) fn ready_long_enough(
    since: Option<Timestamp>,
    min_ready_seconds: i64,
    now: Timestamp,
) -> bool {
    if min_ready_seconds <= 0 {
        return true;
    }
    since.is_some_and(|t| {
        t.checked_add(jiff::SignedDuration::from_secs(min_ready_seconds))
            .is_ok_and(|avail| avail <= now)
    })
}

/// Per-node figures derived once when the snapshot is built.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeUsage {
    /// Number of non-terminal pods bound to the node (their requests are in the compact
    /// index).
    pub pod_count: i64,
    /// Host ports in use, with the index of the pod using each.
    pub host_ports: Vec<(HostPort, usize)>,
}

/// The cluster: nodes (kept in name order), pods (in namespace/name order) and revisions.
///
/// # Example
/// ```
/// use daemonset_planner::Snapshot;
/// let snapshot = Snapshot::from_yaml(r#"
/// apiVersion: v1
/// kind: List
/// items:
/// - {apiVersion: v1, kind: Node, metadata: {name: node-b}}
/// - {apiVersion: v1, kind: Node, metadata: {name: node-a, labels: {disk: ssd}}}
/// "#)?;
/// let names: Vec<&str> = snapshot.nodes().iter().map(|n| n.name.as_str()).collect();
/// assert_eq!(names, ["node-a", "node-b"]);
/// assert!(Snapshot::from_yaml("")?.nodes().is_empty());
/// # Ok::<(), daemonset_planner::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    nodes: Vec<Node>,
    node_names: std::sync::Arc<Vec<Str>>,
    node_index: HashMap<Str, usize>,
    pods: Vec<Pod>,
    revisions: Vec<ControllerRevision>,
    usage: Vec<NodeUsage>,
    /// Pod indexes grouped by the position of their target node, in pod order.
    pods_on: NodePods,
    /// The pods whose controller is a DaemonSet, by namespace and DaemonSet name.
    daemon_set_pods: HashMap<Str, HashMap<Str, DaemonSetPods>>,
    /// Pod indexes without a controller, by namespace.
    orphans: HashMap<Str, Vec<usize>>,
    /// Interned labels, taints and resources of the nodes, for fast matching.
    compact: crate::compact::NodeIndex,
    /// Per pod: the position of its target node, or `NO_NODE`.
    pod_nodes: Vec<u32>,
    /// Per pod: the id of its `controller-revision-hash` label value, or `NO_HASH`.
    pod_hashes: Vec<u32>,
    /// The distinct revision hash label values, to their ids.
    hash_ids: HashMap<String, u32>,
    /// The distinct revision hash label values, by id.
    hash_names: Vec<String>,
    /// Per pod, where its entries in `daemon_requests` start (one more entry at the end).
    daemon_request_start: Vec<u32>,
    /// The requests `(resource id, amount)` of each live DaemonSet pod bound to a node of the
    /// snapshot: a new daemon pod replaces its predecessor, so fit counts these as free.
    daemon_requests: Vec<(u32, crate::Quantity)>,
    /// Owner and label classes and status bits of the pods.
    pod_index: crate::pod_index::PodIndex,
}

/// The pods whose controller is one DaemonSet (by namespace and name).
#[derive(Debug, Clone, Default)]
struct DaemonSetPods {
    /// Pod indexes, in pod order.
    pods: Vec<usize>,
    /// `(node position, pod index)`, sorted, for those whose target node is in the
    /// snapshot: the pods on one node are found by binary search.
    by_node: Vec<(u32, u32)>,
}

/// Stable sort of large objects without copying half of them aside (what `sort_by` does):
/// sort their positions, then move each object once along the cycles of that permutation.
fn sort_in_place<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if items.is_sorted_by(|a, b| cmp(a, b).is_le()) {
        return;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| cmp(&items[a], &items[b]));
    // Position i receives the object now at order[i].
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// The id of "no such revision hash".
pub(crate) const NO_HASH: u32 = u32::MAX;

const NO_NODE: u32 = u32::MAX;

impl Snapshot {
    /// Read Node, Pod and ControllerRevision documents: single, multi-document, or a `List`
    /// (`NodeList`, `PodList`, ...); other kinds are skipped. An empty text is an empty cluster.
    ///
    /// # Errors
    /// [`Error::Parse`] for malformed text, [`Error::Invalid`] for an object that fails
    /// validation (invalid label or taint), [`Error::Duplicate`] for two nodes with one name
    /// or two pods with one namespace/name.
    pub fn from_yaml(text: &str) -> Result<Snapshot, Error> {
        let wanted = api::Wanted {
            daemon_set: false,
            cluster: true,
        };
        let documents = api::read_stream(text, wanted)?;
        let mut nodes = Vec::new();
        let mut pods = Vec::new();
        let mut revisions = Vec::new();
        let mut words = Interner::default();
        for document in documents {
            for object in document.objects {
                let mut errors = Vec::new();
                let (kind, name) = match object {
                    api::Object::Node(doc) => {
                        let node = Node::from_doc(&doc, &mut words, &mut errors);
                        let name = node.name.to_string();
                        nodes.push(node);
                        ("Node", name)
                    }
                    api::Object::Pod(doc) => {
                        let pod = Pod::from_doc(&doc, &mut words, &mut errors);
                        let name = pod.name.clone();
                        pods.push(pod);
                        ("Pod", name)
                    }
                    api::Object::ControllerRevision(doc) => {
                        let rev = ControllerRevision::from_doc(&doc, &mut words, &mut errors);
                        let name = rev.name.clone();
                        revisions.push(rev);
                        ("ControllerRevision", name)
                    }
                    api::Object::DaemonSet(_) | api::Object::Skipped => continue,
                };
                if !errors.is_empty() {
                    return Err(Error::Invalid {
                        kind: kind.into(),
                        name,
                        errors,
                    });
                }
            }
        }
        Snapshot::new(nodes, pods, revisions)
    }

    /// Build a snapshot from typed objects, in any order.
    ///
    /// # Errors
    /// [`Error::Duplicate`] for two nodes with one name, two pods or two revisions with one
    /// namespace/name; [`Error::Invalid`] for an empty node name or an invalid label key.
    pub fn new(
        mut nodes: Vec<Node>,
        mut pods: Vec<Pod>,
        mut revisions: Vec<ControllerRevision>,
    ) -> Result<Snapshot, Error> {
        sort_in_place(&mut nodes, |a, b| a.name.cmp(&b.name));
        for pair in nodes.windows(2) {
            if pair[0].name == pair[1].name {
                return Err(Error::Duplicate {
                    kind: "Node".into(),
                    name: pair[0].name.to_string(),
                });
            }
        }
        for node in &nodes {
            if node.name.is_empty() {
                return Err(Error::Invalid {
                    kind: "Node".into(),
                    name: String::new(),
                    errors: vec![FieldError::required(
                        "metadata.name",
                        "name or generateName is required",
                    )],
                });
            }
            for key in node.labels.keys() {
                if let Some(e) = qualified_name_errors(key).into_iter().next() {
                    return Err(Error::Invalid {
                        kind: "Node".into(),
                        name: node.name.to_string(),
                        errors: vec![FieldError::invalid("metadata.labels", quoted(key), e)],
                    });
                }
            }
        }
        sort_in_place(&mut pods, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        for pair in pods.windows(2) {
            if pair[0].namespace == pair[1].namespace && pair[0].name == pair[1].name {
                return Err(Error::Duplicate {
                    kind: "Pod".into(),
                    name: format!("{}/{}", pair[0].namespace, pair[0].name),
                });
            }
        }
        sort_in_place(&mut revisions, |a, b| {
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        for pair in revisions.windows(2) {
            if pair[0].namespace == pair[1].namespace && pair[0].name == pair[1].name {
                return Err(Error::Duplicate {
                    kind: "ControllerRevision".into(),
                    name: format!("{}/{}", pair[0].namespace, pair[0].name),
                });
            }
        }
        // The snapshot keeps these objects for its lifetime: give back what their maps and
        // lists reserved while they were built.
        nodes.iter_mut().for_each(Node::shrink_to_fit);
        pods.iter_mut().for_each(Pod::shrink_to_fit);
        let node_index: HashMap<Str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let mut usage = vec![NodeUsage::default(); nodes.len()];
        // What live pods bound to a node request, as `(node, resource, amount)` in pod order,
        // resource names numbered in `resource_names`; the same for DaemonSet pods by pod.
        let mut resource_ids: HashMap<Str, u32> = HashMap::new();
        let mut resource_names: Vec<Str> = Vec::new();
        let mut requested: Vec<(u32, u32, crate::Quantity)> = Vec::new();
        let mut daemon_pod_requests: Vec<(u32, u32, crate::Quantity)> = Vec::new();
        let mut daemon_set_pods: HashMap<Str, HashMap<Str, DaemonSetPods>> = HashMap::new();
        let mut orphans: HashMap<Str, Vec<usize>> = HashMap::new();
        let mut pod_nodes = vec![NO_NODE; pods.len()];
        let mut pod_hashes = vec![NO_HASH; pods.len()];
        let mut hash_ids: HashMap<String, u32> = HashMap::new();
        let mut hash_names: Vec<String> = Vec::new();
        for (i, pod) in pods.iter().enumerate() {
            if let Some(h) = pod.revision_hash() {
                pod_hashes[i] = match hash_ids.get(h) {
                    Some(&id) => id,
                    None => {
                        let id = hash_ids.len() as u32;
                        hash_ids.insert(h.to_string(), id);
                        hash_names.push(h.to_string());
                        id
                    }
                };
            }
            match &pod.controller {
                Some(c) if c.kind == "DaemonSet" => daemon_set_pods
                    .entry(pod.namespace.clone())
                    .or_default()
                    .entry(c.name.clone())
                    .or_default()
                    .pods
                    .push(i),
                Some(_) => {}
                None => match orphans.get_mut(&pod.namespace) {
                    Some(list) => list.push(i),
                    None => {
                        orphans.insert(pod.namespace.clone(), vec![i]);
                    }
                },
            }
            let Some(target) = pod.target_node() else {
                continue;
            };
            if let Some(&n) = node_index.get(target) {
                pod_nodes[i] = n as u32;
            }
            if pod.phase.is_terminal() {
                continue;
            }
            // Only pods bound to the node hold its resources and ports.
            let Some(bound) = pod.node_name.as_deref() else {
                continue;
            };
            if let Some(&n) = node_index.get(bound) {
                let u = &mut usage[n];
                let daemon = pod
                    .controller
                    .as_ref()
                    .is_some_and(|c| c.kind == "DaemonSet");
                for (res, q) in &pod.requests() {
                    let r = match resource_ids.get(res.as_str()) {
                        Some(&r) => r,
                        None => {
                            let r = resource_names.len() as u32;
                            resource_ids.insert(res.clone(), r);
                            resource_names.push(res.clone());
                            r
                        }
                    };
                    requested.push((n as u32, r, *q));
                    if daemon {
                        daemon_pod_requests.push((i as u32, r, *q));
                    }
                }
                u.pod_count += 1;
                for hp in pod.host_ports() {
                    u.host_ports.push((hp, i));
                }
            }
        }
        // Grouped by node and resource; a stable sort keeps pod order, so each sum adds up in
        // the order the pods come.
        requested.sort_by_key(|&(n, r, _)| (n, r));
        let compact = crate::compact::NodeIndex::build(&nodes, &usage, &requested, &resource_names);
        drop(requested);
        let mut daemon_request_start = Vec::with_capacity(pods.len() + 1);
        let mut daemon_requests = Vec::with_capacity(daemon_pod_requests.len());
        let mut next = daemon_pod_requests.iter().peekable();
        for i in 0..pods.len() {
            daemon_request_start.push(daemon_requests.len() as u32);
            // Every name is interned: the pod's node counts these requests as used.
            while let Some(&(_, r, q)) = next.next_if(|(p, _, _)| *p as usize == i) {
                daemon_requests.push((compact.string_id(&resource_names[r as usize]), q));
            }
        }
        daemon_request_start.push(daemon_requests.len() as u32);
        let pod_index = crate::pod_index::PodIndex::build(&pods);
        // Pods by target node position, in pod order within a node.
        let located: Vec<(u32, usize)> = (pod_nodes.iter().enumerate())
            .filter(|&(_, &n)| n != NO_NODE)
            .map(|(i, &n)| (n, i))
            .collect();
        let pods_on = NodePods::group(nodes.len(), &located);
        for set in daemon_set_pods.values_mut().flat_map(HashMap::values_mut) {
            set.by_node = (set.pods.iter())
                .filter(|&&i| pod_nodes[i] != NO_NODE)
                .map(|&i| (pod_nodes[i], i as u32))
                .collect();
            set.by_node.sort_unstable();
        }
        let node_names = std::sync::Arc::new(nodes.iter().map(|n| n.name.clone()).collect());
        Ok(Snapshot {
            node_names,
            nodes,
            node_index,
            pods,
            revisions,
            usage,
            pods_on,
            daemon_set_pods,
            orphans,
            compact,
            pod_nodes,
            pod_hashes,
            hash_ids,
            hash_names,
            daemon_request_start,
            daemon_requests,
            pod_index,
        })
    }

    /// All nodes, in name order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.node_index.get(name).map(|&i| &self.nodes[i])
    }

    /// All pods, in namespace/name order.
    pub fn pods(&self) -> &[Pod] {
        &self.pods
    }

    /// All ControllerRevisions, in namespace/name order.
    pub fn revisions(&self) -> &[ControllerRevision] {
        &self.revisions
    }

    pub(crate) fn node_names(&self) -> std::sync::Arc<Vec<Str>> {
        std::sync::Arc::clone(&self.node_names)
    }

    /// The name of node `n` (read from a dense list, not from the node).
    pub(crate) fn node_name(&self, n: usize) -> &str {
        &self.node_names[n]
    }

    /// The position of the node pod `i` targets, when that node is in the snapshot.
    pub(crate) fn pod_node(&self, i: usize) -> Option<usize> {
        let n = self.pod_nodes[i];
        (n != NO_NODE).then_some(n as usize)
    }

    /// The id of a revision hash label value (`NO_HASH` when no pod carries it).
    pub(crate) fn hash_id(&self, hash: &str) -> u32 {
        self.hash_ids.get(hash).copied().unwrap_or(NO_HASH)
    }

    /// The revision hash label value with id `id`.
    pub(crate) fn hash_name(&self, id: u32) -> &str {
        &self.hash_names[id as usize]
    }

    /// The id of pod `i`'s revision hash label (`NO_HASH` when it has none).
    pub(crate) fn pod_hash(&self, i: usize) -> u32 {
        self.pod_hashes[i]
    }

    /// Replace node `n` in place by a node of the same name (labels, taints, allocatable or
    /// conditions changed). Placement then re-reads it instead of the compiled index.
    pub(crate) fn replace_node(&mut self, n: usize, node: Node) {
        self.nodes[n] = node;
        self.compact.mark_stale(n);
    }

    /// Replace pod `i` in place by a pod that differs only in its status (phase between
    /// non-terminal values, conditions): every index stays valid.
    pub(crate) fn replace_pod_status(&mut self, i: usize, pod: Pod) {
        self.pod_index.update_status(i, &pod);
        self.pods[i] = pod;
    }

    /// The position of a node by name.
    pub(crate) fn node_position(&self, name: &str) -> Option<usize> {
        self.node_index.get(name).copied()
    }

    /// The position of a pod by namespace and name.
    pub(crate) fn pod_position(&self, namespace: &str, name: &str) -> Option<usize> {
        self.pods
            .binary_search_by(|p| (p.namespace.as_str(), p.name.as_str()).cmp(&(namespace, name)))
            .ok()
    }

    /// The parts, to rebuild a snapshot with changes.
    pub(crate) fn parts(&self) -> (Vec<Node>, Vec<Pod>, Vec<ControllerRevision>) {
        (
            self.nodes.clone(),
            self.pods.clone(),
            self.revisions.clone(),
        )
    }

    pub(crate) fn node_index(&self) -> &crate::compact::NodeIndex {
        &self.compact
    }

    pub(crate) fn usage(&self, node: usize) -> &NodeUsage {
        &self.usage[node]
    }

    /// The compact view of the pods.
    pub(crate) fn pod_index(&self) -> &crate::pod_index::PodIndex {
        &self.pod_index
    }

    /// What the live pods bound to node `node` request of `resource`.
    pub(crate) fn requested(&self, node: usize, resource: &str) -> Option<crate::Quantity> {
        match self.compact.string_id(resource) {
            crate::compact::MISSING => None,
            id => self.compact.used(node, id),
        }
    }

    /// The requests of pod `i` as ids into the node index, when it is a live DaemonSet pod
    /// bound to a node of the snapshot (empty otherwise).
    pub(crate) fn daemon_pod_requests(&self, i: usize) -> &[(u32, crate::Quantity)] {
        let start = self.daemon_request_start[i] as usize;
        let end = self.daemon_request_start[i + 1] as usize;
        &self.daemon_requests[start..end]
    }

    /// The pods whose controller is a DaemonSet named `name` in `namespace`.
    fn daemon_set_pods(&self, namespace: &str, name: &str) -> Option<&DaemonSetPods> {
        self.daemon_set_pods.get(namespace)?.get(name)
    }

    /// Pods whose controller is a DaemonSet named `name` in `namespace`, and the orphans of
    /// that namespace: the only pods a DaemonSet can claim.
    pub(crate) fn claim_candidates(&self, namespace: &str, name: &str) -> (&[usize], &[usize]) {
        let owned = self
            .daemon_set_pods(namespace, name)
            .map_or(&[][..], |set| set.pods.as_slice());
        let orphans = self.orphans.get(namespace).map_or(&[][..], Vec::as_slice);
        (owned, orphans)
    }

    /// The pods whose controller is a DaemonSet named `name` in `namespace` and whose target
    /// node is in the snapshot, as `(node position, pod index)` in that order.
    pub(crate) fn daemon_set_pods_by_node(&self, namespace: &str, name: &str) -> &[(u32, u32)] {
        self.daemon_set_pods(namespace, name)
            .map_or(&[][..], |set| set.by_node.as_slice())
    }

    /// The pods whose target node is node `n` of the snapshot, in pod order.
    #[inline]
    pub(crate) fn pods_on(&self, n: usize) -> &[usize] {
        self.pods_on.get(n)
    }
}

#[cfg(test)]
mod tests {
    use super::sort_in_place;

    #[test]
    fn sorting_in_place_is_the_stable_sort() {
        // Pairs sorted by their first half only: equal keys keep their order.
        let mut seed = 7u64;
        for len in [0usize, 1, 2, 3, 10, 100, 1000] {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 59) as u8, i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|&(k, _)| k);
            let mut got = items;
            sort_in_place(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected, "{len} items");
        }
    }
}
