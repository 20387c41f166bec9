//! Interop with the [k8s-openapi](https://docs.rs/k8s-openapi) types that kube-rs hands out
//! (cargo feature `k8s-openapi`).
//!
//! The way in, with the same validation and the same errors as the YAML readers:
//!
//! - `DaemonSet::try_from(&k8s_openapi::api::apps::v1::DaemonSet)` (see [`DaemonSet`]);
//! - [`Snapshot::from_k8s(nodes, pods, revisions)`](Snapshot::from_k8s), taking anything that
//!   iterates over `&Node`, `Node` or `Arc<Node>` (a reflector store's `state()`), and the
//!   same for pods and ControllerRevisions;
//! - `TryFrom<&k8s_openapi::...>` for [`Node`], [`Pod`] and [`ControllerRevision`], to keep
//!   converted objects in a cache of your own and build with [`Snapshot::new`].
//!
//! The way back: [`CreatePod::to_k8s`] (the pod to create), [`RevisionToCreate::to_k8s`]
//! (the ControllerRevision to create), [`DaemonSetStatus::to_k8s`] (the status to write) and
//! [`DaemonSet::to_k8s_owner_reference`] (for adoption patches).
//!
//! Objects are mapped field by field: only the fields the planner reads are copied, and the
//! pod template is serialized once, to keep it losslessly for the revision hash and the
//! rendered pods. k8s-openapi drops fields it does not know, so a converted DaemonSet never
//! has [warnings](DaemonSet::warnings).
//!
//! This crate enables no `v1_*` feature of k8s-openapi: the application picks the Kubernetes
//! version, as k8s-openapi requires. k8s-openapi 0.29 (kube 5) and 0.28 (kube 4) both work.
//! Cargo resolves this crate's range to the newest release even when the application uses an
//! older one, so with kube 4 align the two once:
//! `cargo update -p k8s-openapi@0.29.0 --precise 0.28.0`.
//!
//! # Example
//! ```
//! use daemonset_planner::{plan, DaemonSet, Options, Snapshot, Timestamp};
//! use k8s_openapi::api::{apps::v1 as apps, core::v1 as core};
//! use std::sync::Arc;
//!
//! let ds: apps::DaemonSet = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds-1"},
//!     "spec": {
//!         "selector": {"matchLabels": {"app": "agent"}},
//!         "template": {
//!             "metadata": {"labels": {"app": "agent"}},
//!             "spec": {"containers": [{"name": "agent", "image": "agent:1"}]}
//!         }
//!     }
//! }))?;
//! let node: core::Node = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "node-1"}
//! }))?;
//! // What a reflector store's `state()` returns:
//! let nodes: Vec<Arc<core::Node>> = vec![Arc::new(node)];
//! let pods: Vec<Arc<core::Pod>> = Vec::new();
//! let revisions: Vec<Arc<apps::ControllerRevision>> = Vec::new();
//!
//! let ds = DaemonSet::try_from(&ds)?;
//! let snapshot = Snapshot::from_k8s(nodes, pods, revisions)?;
//! let now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
//! let plan = plan(&ds, &snapshot, &Options::at(now));
//!
//! let pod: core::Pod = plan.creates()[0].to_k8s(&ds)?;
//! assert_eq!(pod.metadata.generate_name.as_deref(), Some("agent-"));
//! let revision = plan.revisions().create.as_ref().unwrap().to_k8s(&ds);
//! assert_eq!(revision.revision, Some(1));
//! assert_eq!(plan.status().to_k8s().desired_number_scheduled, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Borrow;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api;
use crate::error::{Error, FieldError};
use crate::history::RevisionToCreate;
use crate::plan::CreatePod;
use crate::snapshot::{ControllerRevision, Node, Pod, Snapshot};
use crate::spec::{DaemonSet, REVISION_HASH_LABEL};
use crate::status::DaemonSetStatus;
use crate::strmap::Interner;

impl TryFrom<&apps::DaemonSet> for DaemonSet {
    type Error = Error;

    /// Default, validate and compile a DaemonSet read from the API server.
    ///
    /// The result equals what [`DaemonSet::from_yaml`] gives for the same object written as
    /// YAML: same defaults, same revision hash, same errors.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every validation problem found, as [`DaemonSet::from_yaml`].
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::DaemonSet;
    /// use k8s_openapi::api::apps::v1 as apps;
    ///
    /// let mut object: apps::DaemonSet = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "agent"},
    ///     "spec": {
    ///         "selector": {"matchLabels": {"app": "agent"}},
    ///         "template": {
    ///             "metadata": {"labels": {"app": "agent"}},
    ///             "spec": {"containers": [{"name": "agent", "image": "agent:1"}]}
    ///         }
    ///     }
    /// }))?;
    /// let ds = DaemonSet::try_from(&object)?;
    /// assert_eq!(ds.namespace(), "default");
    /// assert_eq!(ds.revision_history_limit(), 10);
    ///
    /// object.spec.min_ready_seconds = Some(-1);
    /// let err = DaemonSet::try_from(&object).unwrap_err();
    /// assert_eq!(err.field(), Some("spec.minReadySeconds"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(object: &apps::DaemonSet) -> Result<DaemonSet, Error> {
        let spec = Field::<apps::DaemonSetSpec>::get(&object.spec);
        let doc = api::DaemonSetDoc {
            api_version: Some("apps/v1".into()),
            kind: Some("DaemonSet".into()),
            metadata: object_meta(&object.metadata),
            spec: spec.map(daemon_set_spec),
            status: object.status.as_ref().map(daemon_set_status),
        };
        let mut raw = serde_json::json!({});
        if let Some(spec) = spec {
            let template = serde_json::to_value(&spec.template)
                .map_err(|e| Error::parse("spec.template", e.to_string()))?;
            raw = serde_json::json!({"spec": {"template": template}});
        }
        let mut ds = DaemonSet::build(&doc, "apps/v1", Some(raw))?;
        // A typed object holds no unknown field; any warning would be about a field newer
        // than this crate's schema.
        ds.warnings.clear();
        Ok(ds)
    }
}

impl TryFrom<&core::Node> for Node {
    type Error = Error;

    /// Read a node, with the validation of [`Snapshot::from_yaml`].
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty name, an invalid label, taint or quantity.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::{Node, Quantity};
    /// use k8s_openapi::api::core::v1 as core;
    ///
    /// let object: core::Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "node-1", "labels": {"disk": "ssd"}},
    ///     "spec": {"taints": [{"key": "gpu", "effect": "NoSchedule"}]},
    ///     "status": {"allocatable": {"cpu": "3900m"}}
    /// }))?;
    /// let node = Node::try_from(&object)?;
    /// assert_eq!(node.taints[0].key, "gpu");
    /// assert_eq!(node.allocatable["cpu"], Quantity::from_milli(3900));
    ///
    /// let bad: core::Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "node-2"},
    ///     "status": {"allocatable": {"cpu": "lots"}}
    /// }))?;
    /// assert_eq!(Node::try_from(&bad).unwrap_err().field(), Some("status.allocatable[cpu]"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(object: &core::Node) -> Result<Node, Error> {
        node_from(object, &mut Interner::default())
    }
}

/// A node read with `words` sharing its repeated text (see [`Node::try_from`]).
fn node_from(object: &core::Node, words: &mut Interner) -> Result<Node, Error> {
    let doc = api::NodeDoc {
        metadata: object_meta(&object.metadata),
        spec: object.spec.as_ref().map(|s| api::NodeSpec {
            unschedulable: s.unschedulable,
            taints: s.taints.as_ref().map(|t| t.iter().map(taint).collect()),
        }),
        status: object.status.as_ref().map(|s| api::NodeStatus {
            allocatable: quantities(s.allocatable.as_ref()),
            capacity: quantities(s.capacity.as_ref()),
            conditions: s.conditions.as_ref().map(|c| {
                c.iter()
                    .map(|c| condition(&c.type_, &c.status, c.last_transition_time.as_ref()))
                    .collect()
            }),
        }),
    };
    checked("Node", |errors| Node::from_doc(&doc, words, errors))
}

impl TryFrom<&core::Pod> for Pod {
    type Error = Error;

    /// Read a pod, with the validation of [`Snapshot::from_yaml`].
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty name, an invalid label or quantity.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::{Pod, PodPhase};
    /// use k8s_openapi::api::core::v1 as core;
    ///
    /// let object: core::Pod = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "agent-x7k2p", "namespace": "kube-system"},
    ///     "spec": {"nodeName": "node-1", "containers": [{"name": "agent"}]},
    ///     "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    /// }))?;
    /// let pod = Pod::try_from(&object)?;
    /// assert_eq!(pod.target_node(), Some("node-1"));
    /// assert_eq!(pod.phase, PodPhase::Running);
    /// assert!(pod.is_ready());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(object: &core::Pod) -> Result<Pod, Error> {
        pod_from(object, &mut Interner::default())
    }
}

/// A pod read with `words` sharing its repeated text and containers (see [`Pod::try_from`]).
fn pod_from(object: &core::Pod, words: &mut Interner) -> Result<Pod, Error> {
    let doc = api::PodDoc {
        metadata: object_meta(&object.metadata),
        spec: object.spec.as_ref().map(pod_spec),
        status: object.status.as_ref().map(|s| api::PodStatus {
            phase: s.phase.clone(),
            conditions: s.conditions.as_ref().map(|c| {
                c.iter()
                    .map(|c| condition(&c.type_, &c.status, c.last_transition_time.as_ref()))
                    .collect()
            }),
        }),
    };
    checked("Pod", |errors| Pod::from_doc(&doc, words, errors))
}

impl TryFrom<&apps::ControllerRevision> for ControllerRevision {
    type Error = Error;

    /// Read a ControllerRevision, with the validation of [`Snapshot::from_yaml`].
    ///
    /// `null` members of `data` are dropped: a typed template cannot hold them, and the
    /// revisions upstream writes carry `"creationTimestamp": null`, so a revision stored by
    /// kube-controller-manager still matches the DaemonSet's template.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty name.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::ControllerRevision;
    /// use k8s_openapi::api::apps::v1 as apps;
    ///
    /// let object: apps::ControllerRevision = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "agent-5d4f8", "labels": {"controller-revision-hash": "5d4f8"}},
    ///     "revision": 3,
    ///     "data": {"spec": {"template": {"$patch": "replace", "metadata": {"creationTimestamp": null}}}}
    /// }))?;
    /// let revision = ControllerRevision::try_from(&object)?;
    /// assert_eq!(revision.hash(), "5d4f8");
    /// assert_eq!(revision.template(), Some(serde_json::json!({"metadata": {}})));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(object: &apps::ControllerRevision) -> Result<ControllerRevision, Error> {
        let doc = api::RevisionDoc {
            metadata: object_meta(&object.metadata),
            data: Field::<RawExtension>::get(&object.data).map(|d| without_nulls(&d.0)),
            revision: Field::<i64>::get(&object.revision).copied(),
        };
        checked("ControllerRevision", |errors| {
            ControllerRevision::from_doc(&doc, &mut Interner::default(), errors)
        })
    }
}

impl Snapshot {
    /// Build a snapshot from the objects a kube-rs controller holds, in any order.
    ///
    /// Each argument is anything that iterates over the objects themselves, references to
    /// them or `Arc`s of them (any `Borrow<K>`): a reflector store's `state()` (a
    /// `Vec<Arc<K>>`) passes as is, a `&[K]` too; for a `&[Arc<K>]`, iterate with
    /// `.iter().map(Arc::as_ref)`. An empty argument needs its type:
    /// `Vec::<&ControllerRevision>::new()`.
    ///
    /// The objects are validated as [`Snapshot::from_yaml`] validates them, nodes first, then
    /// pods, then revisions.
    ///
    /// # Errors
    /// [`Error::Invalid`] for the first object that fails validation (invalid label, taint or
    /// quantity), [`Error::Duplicate`] for two nodes with one name or two pods or revisions
    /// with one namespace/name.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::{Error, Snapshot};
    /// use k8s_openapi::api::{apps::v1 as apps, core::v1 as core};
    ///
    /// let node = |name: &str| -> core::Node {
    ///     serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap()
    /// };
    /// let nodes = vec![node("node-b"), node("node-a")];
    /// let none: [&apps::ControllerRevision; 0] = [];
    /// let snapshot = Snapshot::from_k8s(&nodes, Vec::<&core::Pod>::new(), none)?;
    /// let names: Vec<&str> = snapshot.nodes().iter().map(|n| n.name.as_str()).collect();
    /// assert_eq!(names, ["node-a", "node-b"]);
    ///
    /// let twice = vec![node("node-a"), node("node-a")];
    /// let err = Snapshot::from_k8s(&twice, Vec::<&core::Pod>::new(), none).unwrap_err();
    /// assert!(matches!(err, Error::Duplicate { .. }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_k8s<N, P, R>(nodes: N, pods: P, revisions: R) -> Result<Snapshot, Error>
    where
        N: IntoIterator,
        N::Item: Borrow<core::Node>,
        P: IntoIterator,
        P::Item: Borrow<core::Pod>,
        R: IntoIterator,
        R::Item: Borrow<apps::ControllerRevision>,
    {
        // One interner for the whole cluster, as `Snapshot::from_yaml` has.
        let mut words = Interner::default();
        let nodes = nodes
            .into_iter()
            .map(|n| node_from(n.borrow(), &mut words))
            .collect::<Result<Vec<_>, _>>()?;
        let pods = pods
            .into_iter()
            .map(|p| pod_from(p.borrow(), &mut words))
            .collect::<Result<Vec<_>, _>>()?;
        let revisions = revisions
            .into_iter()
            .map(|r| ControllerRevision::try_from(r.borrow()))
            .collect::<Result<Vec<_>, _>>()?;
        Snapshot::new(nodes, pods, revisions)
    }
}

impl DaemonSet {
    /// The controller owner reference to this DaemonSet (its `apiVersion`, `kind: DaemonSet`,
    /// name and uid, `controller: true`, `blockOwnerDeletion: true`), for adoption patches.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::DaemonSet;
    /// let ds = DaemonSet::from_yaml(r#"
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent, uid: 0d9c5f1e}
    /// spec:
    ///   selector: {matchLabels: {app: agent}}
    ///   template:
    ///     metadata: {labels: {app: agent}}
    ///     spec: {containers: [{name: agent, image: agent:1}]}
    /// "#)?;
    /// let owner = ds.to_k8s_owner_reference();
    /// assert_eq!((owner.kind.as_str(), owner.uid.as_str()), ("DaemonSet", "0d9c5f1e"));
    /// assert_eq!(owner.controller, Some(true));
    /// # Ok::<(), daemonset_planner::Error>(())
    /// ```
    pub fn to_k8s_owner_reference(&self) -> meta::OwnerReference {
        meta::OwnerReference {
            api_version: self.api_version.clone(),
            kind: "DaemonSet".into(),
            name: self.name.clone(),
            uid: self.uid.clone().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }
    }
}

impl CreatePod {
    /// The pod to submit, as k8s-openapi's `Pod`: [`CreatePod::render`], typed.
    ///
    /// # Errors
    /// [`Error::Parse`] when a template field does not have the type k8s-openapi expects,
    /// which only a DaemonSet read from YAML can have (the API server would refuse it too);
    /// a DaemonSet converted from k8s-openapi always renders.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::{plan, DaemonSet, Options, Snapshot};
    /// let ds = DaemonSet::from_yaml(r#"
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent, namespace: ops}
    /// spec:
    ///   selector: {matchLabels: {app: agent}}
    ///   template:
    ///     metadata: {labels: {app: agent}}
    ///     spec: {containers: [{name: agent, image: agent:1}]}
    /// "#)?;
    /// let snapshot = Snapshot::from_yaml("{apiVersion: v1, kind: Node, metadata: {name: node-1}}")?;
    /// let plan = plan(&ds, &snapshot, &Options::at("2026-01-01T00:00:00Z".parse().unwrap()));
    ///
    /// let pod = plan.creates()[0].to_k8s(&ds)?;
    /// assert_eq!(pod.metadata.namespace.as_deref(), Some("ops"));
    /// let affinity = pod.spec.unwrap().affinity.unwrap().node_affinity.unwrap();
    /// let term = &affinity.required_during_scheduling_ignored_during_execution.unwrap()
    ///     .node_selector_terms[0];
    /// assert_eq!(term.match_fields.as_ref().unwrap()[0].values, Some(vec!["node-1".to_string()]));
    /// # Ok::<(), daemonset_planner::Error>(())
    /// ```
    pub fn to_k8s(&self, ds: &DaemonSet) -> Result<core::Pod, Error> {
        serde_json::from_value(self.render(ds)).map_err(|e| {
            Error::parse(
                "spec.template",
                format!("the rendered pod is not a valid Pod: {e}"),
            )
        })
    }
}

impl RevisionToCreate {
    /// The ControllerRevision to submit, as k8s-openapi's type: [`RevisionToCreate::render`],
    /// typed.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::{plan, DaemonSet, Options, Snapshot};
    /// let ds = DaemonSet::from_yaml(r#"
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent, uid: 0d9c5f1e}
    /// spec:
    ///   selector: {matchLabels: {app: agent}}
    ///   template:
    ///     metadata: {labels: {app: agent}}
    ///     spec: {containers: [{name: agent, image: agent:1}]}
    /// "#)?;
    /// let plan = plan(&ds, &Snapshot::default(), &Options::at("2026-01-01T00:00:00Z".parse().unwrap()));
    /// let create = plan.revisions().create.as_ref().unwrap();
    ///
    /// let revision = create.to_k8s(&ds);
    /// assert_eq!(revision.metadata.name.as_deref(), Some(format!("agent-{}", ds.revision_hash()).as_str()));
    /// assert_eq!(revision.data.0["spec"]["template"]["$patch"], "replace");
    /// # Ok::<(), daemonset_planner::Error>(())
    /// ```
    // `.into()` on `data` and `revision`: one is optional in k8s-openapi 0.28, the other in 0.29.
    #[allow(clippy::useless_conversion)]
    pub fn to_k8s(&self, ds: &DaemonSet) -> apps::ControllerRevision {
        let mut labels: BTreeMap<String, String> = ds
            .template
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.insert(REVISION_HASH_LABEL.into(), self.hash.clone());
        let annotations = (!ds.annotations.is_empty()).then(|| {
            ds.annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        });
        let mut rendered = self.render(ds);
        apps::ControllerRevision {
            metadata: meta::ObjectMeta {
                name: Some(self.name.clone()),
                namespace: Some(ds.namespace.clone()),
                labels: Some(labels),
                annotations,
                owner_references: Some(vec![ds.to_k8s_owner_reference()]),
                ..meta::ObjectMeta::default()
            },
            data: RawExtension(rendered["data"].take()).into(),
            revision: self.revision.into(),
        }
    }
}

impl DaemonSetStatus {
    /// The status as k8s-openapi's `DaemonSetStatus`, for the status subresource.
    ///
    /// Counts beyond `i32::MAX` are capped. `numberAvailable`, `numberUnavailable` and
    /// `updatedNumberScheduled` are always set (zero included), so a merge patch of the
    /// status resets them; `conditions` is left out.
    ///
    /// # Example
    /// ```
    /// use daemonset_planner::DaemonSetStatus;
    /// let status = DaemonSetStatus { desired_number_scheduled: 3, number_unavailable: 3, ..Default::default() };
    /// let k8s = status.to_k8s();
    /// assert_eq!(k8s.desired_number_scheduled, 3);
    /// assert_eq!(k8s.number_available, Some(0));
    /// assert_eq!(k8s.collision_count, None);
    /// ```
    pub fn to_k8s(&self) -> apps::DaemonSetStatus {
        let int = |n: i64| i32::try_from(n).unwrap_or(if n < 0 { i32::MIN } else { i32::MAX });
        apps::DaemonSetStatus {
            collision_count: self.collision_count.map(int),
            conditions: None,
            current_number_scheduled: int(self.current_number_scheduled),
            desired_number_scheduled: int(self.desired_number_scheduled),
            number_available: Some(int(self.number_available)),
            number_misscheduled: int(self.number_misscheduled),
            number_ready: int(self.number_ready),
            number_unavailable: Some(int(self.number_unavailable)),
            observed_generation: self.observed_generation,
            updated_number_scheduled: Some(int(self.updated_number_scheduled)),
        }
    }
}

/// A field k8s-openapi 0.28 and 0.29 declare one optional and the other required
/// (`DaemonSet.spec`, `ControllerRevision.data`, `ControllerRevision.revision`): read either.
trait Field<T> {
    fn get(&self) -> Option<&T>;
}

impl<T> Field<T> for T {
    fn get(&self) -> Option<&T> {
        Some(self)
    }
}

impl<T> Field<T> for Option<T> {
    fn get(&self) -> Option<&T> {
        self.as_ref()
    }
}

/// Run a conversion and turn its field errors into [`Error::Invalid`].
fn checked<T: Named>(
    kind: &str,
    convert: impl FnOnce(&mut Vec<FieldError>) -> T,
) -> Result<T, Error> {
    let mut errors = Vec::new();
    let out = convert(&mut errors);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid {
            kind: kind.into(),
            name: out.name().to_string(),
            errors,
        })
    }
}

trait Named {
    fn name(&self) -> &str;
}

impl Named for Node {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Pod {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for ControllerRevision {
    fn name(&self) -> &str {
        &self.name
    }
}

fn strings(map: Option<&BTreeMap<String, String>>) -> Option<api::StringMap> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn quantities(map: Option<&BTreeMap<String, Quantity>>) -> Option<api::StringMap> {
    map.map(|m| m.iter().map(|(k, q)| (k.clone(), q.0.clone())).collect())
}

fn time(t: Option<&meta::Time>) -> Option<String> {
    t.map(|t| t.0.to_string())
}

fn object_meta(m: &meta::ObjectMeta) -> api::ObjectMeta {
    api::ObjectMeta {
        name: m.name.clone(),
        namespace: m.namespace.clone(),
        uid: m.uid.clone(),
        generation: m.generation,
        labels: strings(m.labels.as_ref()),
        annotations: strings(m.annotations.as_ref()),
        creation_timestamp: time(m.creation_timestamp.as_ref()),
        deletion_timestamp: time(m.deletion_timestamp.as_ref()),
        owner_references: m.owner_references.as_ref().map(|refs| {
            refs.iter()
                .map(|r| api::OwnerReference {
                    api_version: Some(r.api_version.clone()),
                    kind: Some(r.kind.clone()),
                    name: Some(r.name.clone()),
                    uid: Some(r.uid.clone()),
                    controller: r.controller,
                })
                .collect()
        }),
    }
}

fn condition(kind: &str, status: &str, last_transition: Option<&meta::Time>) -> api::Condition {
    api::Condition {
        type_: Some(kind.to_string()),
        status: Some(status.to_string()),
        last_transition_time: time(last_transition),
    }
}

fn taint(t: &core::Taint) -> api::Taint {
    api::Taint {
        key: Some(t.key.clone()),
        value: t.value.clone(),
        effect: Some(t.effect.clone()),
    }
}

fn int_or_string(v: &IntOrString) -> api::IntOrString {
    match v {
        IntOrString::Int(n) => api::IntOrString::Int(i64::from(*n)),
        IntOrString::String(s) => api::IntOrString::String(s.clone()),
    }
}

fn label_selector(s: &meta::LabelSelector) -> api::LabelSelector {
    api::LabelSelector {
        match_labels: strings(s.match_labels.as_ref()),
        match_expressions: s.match_expressions.as_ref().map(|exprs| {
            exprs
                .iter()
                .map(|e| api::LabelSelectorRequirement {
                    key: Some(e.key.clone()),
                    operator: Some(e.operator.clone()),
                    values: e.values.clone(),
                })
                .collect()
        }),
    }
}

fn daemon_set_spec(spec: &apps::DaemonSetSpec) -> api::DaemonSetSpec {
    api::DaemonSetSpec {
        selector: Some(label_selector(&spec.selector)),
        template: Some(api::PodTemplate {
            metadata: spec.template.metadata.as_ref().map(object_meta),
            spec: spec.template.spec.as_ref().map(pod_spec),
        }),
        update_strategy: spec.update_strategy.as_ref().map(|u| api::UpdateStrategy {
            type_: u.type_.clone(),
            rolling_update: u.rolling_update.as_ref().map(|r| api::RollingUpdate {
                max_unavailable: r.max_unavailable.as_ref().map(int_or_string),
                max_surge: r.max_surge.as_ref().map(int_or_string),
                ..api::RollingUpdate::default()
            }),
        }),
        min_ready_seconds: spec.min_ready_seconds.map(i64::from),
        revision_history_limit: spec.revision_history_limit.map(i64::from),
        burst_replicas: None,
        scale_strategy: None,
    }
}

fn daemon_set_status(s: &apps::DaemonSetStatus) -> api::DaemonSetStatusDoc {
    api::DaemonSetStatusDoc {
        current_number_scheduled: Some(s.current_number_scheduled.into()),
        number_misscheduled: Some(s.number_misscheduled.into()),
        desired_number_scheduled: Some(s.desired_number_scheduled.into()),
        number_ready: Some(s.number_ready.into()),
        observed_generation: s.observed_generation,
        updated_number_scheduled: s.updated_number_scheduled.map(i64::from),
        number_available: s.number_available.map(i64::from),
        number_unavailable: s.number_unavailable.map(i64::from),
        collision_count: s.collision_count.map(i64::from),
    }
}

fn node_selector_term(t: &core::NodeSelectorTerm) -> api::NodeSelectorTerm {
    let requirements = |reqs: &Option<Vec<core::NodeSelectorRequirement>>| {
        reqs.as_ref().map(|reqs| {
            reqs.iter()
                .map(|r| api::NodeSelectorRequirement {
                    key: Some(r.key.clone()),
                    operator: Some(r.operator.clone()),
                    values: r.values.clone(),
                })
                .collect()
        })
    };
    api::NodeSelectorTerm {
        match_expressions: requirements(&t.match_expressions),
        match_fields: requirements(&t.match_fields),
    }
}

fn container(c: &core::Container) -> api::Container {
    api::Container {
        name: Some(c.name.clone()),
        resources: c.resources.as_ref().map(|r| api::Resources {
            requests: quantities(r.requests.as_ref()),
            limits: quantities(r.limits.as_ref()),
        }),
        ports: c.ports.as_ref().map(|ports| {
            ports
                .iter()
                .map(|p| api::ContainerPort {
                    name: p.name.clone(),
                    container_port: Some(p.container_port.into()),
                    host_port: p.host_port.map(i64::from),
                    host_ip: p.host_ip.clone(),
                    protocol: p.protocol.clone(),
                })
                .collect()
        }),
        restart_policy: c.restart_policy.clone(),
    }
}

fn pod_spec(s: &core::PodSpec) -> api::PodSpec {
    let node_affinity = s
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .map(|n| api::NodeAffinity {
            required_during_scheduling_ignored_during_execution: n
                .required_during_scheduling_ignored_during_execution
                .as_ref()
                .map(|r| api::NodeSelector {
                    node_selector_terms: Some(
                        r.node_selector_terms
                            .iter()
                            .map(node_selector_term)
                            .collect(),
                    ),
                }),
            preferred_during_scheduling_ignored_during_execution: n
                .preferred_during_scheduling_ignored_during_execution
                .as_ref()
                .map(|terms| {
                    terms
                        .iter()
                        .map(|t| api::PreferredTerm {
                            weight: Some(t.weight.into()),
                            preference: Some(node_selector_term(&t.preference)),
                        })
                        .collect()
                }),
        });
    api::PodSpec {
        node_selector: strings(s.node_selector.as_ref()),
        node_name: s.node_name.clone(),
        affinity: s.affinity.as_ref().map(|_| api::Affinity { node_affinity }),
        tolerations: s.tolerations.as_ref().map(|tols| {
            tols.iter()
                .map(|t| api::Toleration {
                    key: t.key.clone(),
                    operator: t.operator.clone(),
                    value: t.value.clone(),
                    effect: t.effect.clone(),
                    toleration_seconds: t.toleration_seconds,
                })
                .collect()
        }),
        host_network: s.host_network,
        containers: Some(s.containers.iter().map(container).collect()),
        init_containers: s
            .init_containers
            .as_ref()
            .map(|c| c.iter().map(container).collect()),
        overhead: quantities(s.overhead.as_ref()),
        priority_class_name: s.priority_class_name.clone(),
        priority: s.priority.map(i64::from),
        restart_policy: s.restart_policy.clone(),
        active_deadline_seconds: s.active_deadline_seconds,
    }
}

/// A copy of `value` without the `null` members of its objects.
fn without_nulls(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(without_nulls).collect())
        }
        other => other.clone(),
    }
}
