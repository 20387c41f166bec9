//! `DaemonSet`: a manifest read, defaulted, validated and compiled once.

use serde::Serialize;
use std::fmt;

use crate::api::{self, IntOrString};
use crate::error::{Error, FieldError, quoted};
use crate::history;
use crate::resources::{self, Container, HostPort, ResourceList};
use crate::selector::{LabelSelector, Labels, NodeSelector, NodeSelectorTerm};
use crate::status::DaemonSetStatus;
use crate::taints::{Toleration, with_daemon_tolerations};
use crate::validation::{
    check_annotations, check_labels, check_non_negative, dns1123_label_errors,
    dns1123_subdomain_errors,
};
use crate::{Timestamp, schema};

/// Label carrying the revision hash on pods and ControllerRevisions.
pub const REVISION_HASH_LABEL: &str = "controller-revision-hash";
/// Deprecated pod label carrying the template generation.
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";
/// DaemonSet annotation holding the template generation (apps/v1).
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";

const REMOVED_VERSIONS: &[&str] = &["extensions/v1beta1", "apps/v1beta2", "apps/v1beta1"];
const KRUISE_VERSIONS: &[&str] = &["apps.kruise.io/v1alpha1", "apps.kruise.io/v1beta1"];

/// Which API the manifest was written against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Flavor {
    /// Plain `apps/v1`.
    AppsV1,
    /// OpenKruise Advanced DaemonSet (`apps.kruise.io/v1alpha1` or `v1beta1`).
    Kruise,
}

/// An integer, or a percentage of some total (`maxUnavailable: 10%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    /// An absolute number.
    Int(i64),
    /// A percentage, 0 to 100.
    Percent(i64),
}

impl IntOrPercent {
    /// The value against `total`: an integer as is, a percentage rounded up or down.
    // upstream: intstr.GetScaledValueFromIntOrPercent
    pub fn scaled(self, total: i64, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let product = p.saturating_mul(total);
                if round_up {
                    product.saturating_add(99).div_euclid(100)
                } else {
                    product.div_euclid(100)
                }
            }
        }
    }

    /// True for `0` and `0%`.
    pub fn is_zero(self) -> bool {
        matches!(self, IntOrPercent::Int(0) | IntOrPercent::Percent(0))
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Int(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for IntOrPercent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrPercent::Int(n) => s.serialize_i64(*n),
            IntOrPercent::Percent(_) => s.serialize_str(&self.to_string()),
        }
    }
}

/// `spec.updateStrategy`, defaulted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "rollingUpdate")]
pub enum UpdateStrategy {
    /// Replace old pods automatically, within the budget.
    RollingUpdate(RollingUpdate),
    /// Replace pods only when they are deleted.
    OnDelete,
}

impl UpdateStrategy {
    /// The rolling-update parameters, for `RollingUpdate`.
    pub fn rolling_update(&self) -> Option<&RollingUpdate> {
        match self {
            UpdateStrategy::RollingUpdate(r) => Some(r),
            UpdateStrategy::OnDelete => None,
        }
    }
}

/// `spec.updateStrategy.rollingUpdate`, defaulted; the OpenKruise fields are empty for apps/v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdate {
    /// How many nodes may be without an available pod during the update.
    pub max_unavailable: IntOrPercent,
    /// How many nodes may run an extra, new pod beside the old one.
    pub max_surge: IntOrPercent,
    /// OpenKruise: nodes kept on the old revision.
    pub partition: Option<IntOrPercent>,
    /// OpenKruise: no old pod is replaced while paused.
    pub paused: bool,
    /// OpenKruise: only nodes matching this selector are updated.
    pub selector: Option<LabelSelector>,
}

/// A preferred node-affinity term (kept for completeness: the controller ignores it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreferredSchedulingTerm {
    /// The weight, 1 to 100.
    pub weight: i64,
    /// The preference.
    pub preference: NodeSelectorTerm,
}

/// The pod template's spec, reduced to what the planner reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `nodeSelector`.
    pub node_selector: Labels,
    /// `nodeName`: pins every daemon pod to one node.
    pub node_name: Option<String>,
    /// `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub required_node_affinity: Option<NodeSelector>,
    /// `affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred_node_affinity: Vec<PreferredSchedulingTerm>,
    /// `tolerations`, as written (without the daemon defaults).
    pub tolerations: Vec<Toleration>,
    /// `hostNetwork`.
    pub host_network: bool,
    /// `containers`.
    pub containers: Vec<Container>,
    /// `initContainers`.
    pub init_containers: Vec<Container>,
    /// `overhead`.
    pub overhead: ResourceList,
    /// `priorityClassName`.
    pub priority_class_name: Option<String>,
    /// `priority`.
    pub priority: Option<i64>,
}

/// `spec.template`: labels, annotations, the typed spec, and the whole template losslessly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodTemplate {
    /// `metadata.labels`.
    pub labels: Labels,
    /// `metadata.annotations`.
    pub annotations: Labels,
    /// The typed spec.
    pub spec: PodSpec,
    pub(crate) raw: serde_json::Value,
}

impl PodTemplate {
    /// The whole template as JSON, every field kept (including ones this crate does not model).
    pub fn to_json(&self) -> &serde_json::Value {
        &self.raw
    }
}

/// How a DaemonSet stands to an object it might control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ownership {
    /// Controlled, and the labels match: claimed.
    Keep,
    /// An orphan whose labels match: adopted, then claimed.
    Adopt,
    /// Controlled, but the labels no longer match: the reference is removed.
    Release,
    /// Someone else's, or nothing to do.
    Ignore,
}

/// A validated, defaulted DaemonSet, compiled for planning.
///
/// # Example
/// ```
/// use daemonset_planner::DaemonSet;
/// let ds = DaemonSet::from_yaml(r#"
/// apiVersion: apps/v1
/// kind: DaemonSet
/// metadata: {name: agent, namespace: kube-system}
/// spec:
///   selector: {matchLabels: {app: agent}}
///   template:
///     metadata: {labels: {app: agent}}
///     spec: {containers: [{name: agent, image: agent:1}]}
/// "#)?;
/// assert_eq!(ds.name(), "agent");
/// assert_eq!(ds.revision_history_limit(), 10);
///
/// // The selector must match the template labels:
/// let err = DaemonSet::from_yaml(r#"
/// apiVersion: apps/v1
/// kind: DaemonSet
/// metadata: {name: agent}
/// spec:
///   selector: {matchLabels: {app: other}}
///   template:
///     metadata: {labels: {app: agent}}
///     spec: {containers: [{name: agent, image: agent:1}]}
/// "#).unwrap_err();
/// assert_eq!(err.field(), Some("spec.template.metadata.labels"));
/// # Ok::<(), daemonset_planner::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DaemonSet {
    pub(crate) api_version: String,
    pub(crate) flavor: Flavor,
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) uid: Option<String>,
    pub(crate) generation: Option<i64>,
    pub(crate) labels: Labels,
    pub(crate) annotations: Labels,
    pub(crate) deletion_timestamp: Option<Timestamp>,
    pub(crate) selector: LabelSelector,
    pub(crate) template: PodTemplate,
    pub(crate) update_strategy: UpdateStrategy,
    pub(crate) min_ready_seconds: i64,
    pub(crate) revision_history_limit: i64,
    pub(crate) status: DaemonSetStatus,
    pub(crate) template_generation: Option<i64>,
    pub(crate) partitioned_scaling: bool,
    pub(crate) burst_replicas: Option<IntOrPercent>,
    pub(crate) warnings: Vec<String>,
    pub(crate) hash: String,
    pub(crate) compiled: Compiled,
}

/// What placement needs, computed once per DaemonSet.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// Template tolerations plus the daemon defaults (R6, R7).
    pub tolerations: Vec<Toleration>,
    /// The effective pod request (containers, init containers, overhead).
    pub requests: ResourceList,
    /// Host ports the daemon pod takes.
    pub host_ports: Vec<HostPort>,
}

impl DaemonSet {
    /// Read the first `kind: DaemonSet` document of a YAML or JSON stream, default and
    /// validate it.
    ///
    /// Other kinds in the stream (ConfigMap, ServiceAccount, ...) are skipped; `kind: List`
    /// items are searched too.
    ///
    /// # Errors
    /// [`Error::Parse`] for text that is not YAML/JSON or fields of the wrong type;
    /// [`Error::NotFound`] when no DaemonSet is in the stream; [`Error::RemovedApiVersion`] for
    /// `extensions/v1beta1` and `apps/v1beta2`; [`Error::Invalid`] with every validation
    /// problem found.
    pub fn from_yaml(text: &str) -> Result<DaemonSet, Error> {
        let wanted = api::Wanted {
            daemon_set: true,
            cluster: false,
        };
        let documents = api::read_stream(text, wanted)?;
        let mut found = Vec::new();
        for document in &documents {
            if document.header.kind == "DaemonSet" {
                return DaemonSet::from_document(document);
            }
            for object in &document.objects {
                if let api::Object::DaemonSet(doc) = object {
                    // The first DaemonSet among the items; its apiVersion is its own.
                    let list = document.value()?;
                    let raw = api::first_daemon_set(&list);
                    let api_version = raw
                        .as_ref()
                        .and_then(|r| r.get("apiVersion"))
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string();
                    return DaemonSet::build(doc, &api_version, raw);
                }
            }
            if !document.header.kind.is_empty() && !found.contains(&document.header.kind) {
                found.push(document.header.kind.clone());
            }
        }
        Err(Error::NotFound {
            wanted: "DaemonSet",
            found,
        })
    }

    fn from_document(document: &api::Document<'_>) -> Result<DaemonSet, Error> {
        let Some(api::Object::DaemonSet(doc)) = document.objects.first() else {
            return Err(Error::parse("", "DaemonSet document could not be read"));
        };
        let raw = document.value()?;
        DaemonSet::build(doc, &document.header.api_version, Some(raw))
    }

    /// Build from a JSON value holding one DaemonSet object (for callers that already hold
    /// parsed JSON).
    ///
    /// # Errors
    /// As [`DaemonSet::from_yaml`].
    pub fn from_json_value(value: &serde_json::Value) -> Result<DaemonSet, Error> {
        let doc: api::DaemonSetDoc =
            serde_json::from_value(value.clone()).map_err(|e| Error::parse("", e.to_string()))?;
        let api_version = doc.api_version.clone().unwrap_or_default();
        if doc.kind.as_deref() != Some("DaemonSet") {
            return Err(Error::NotFound {
                wanted: "DaemonSet",
                found: doc.kind.into_iter().collect(),
            });
        }
        DaemonSet::build(&doc, &api_version, Some(value.clone()))
    }

    pub(crate) fn build(
        doc: &api::DaemonSetDoc,
        api_version: &str,
        raw_doc: Option<serde_json::Value>,
    ) -> Result<DaemonSet, Error> {
        let flavor = if api_version == "apps/v1" {
            Flavor::AppsV1
        } else if KRUISE_VERSIONS.contains(&api_version) {
            Flavor::Kruise
        } else if REMOVED_VERSIONS.contains(&api_version) {
            return Err(Error::RemovedApiVersion {
                kind: "DaemonSet".into(),
                api_version: api_version.into(),
            });
        } else {
            return Err(Error::UnsupportedApiVersion {
                kind: "DaemonSet".into(),
                api_version: api_version.into(),
                supported: "\"apps/v1\", \"apps.kruise.io/v1alpha1\", \"apps.kruise.io/v1beta1\""
                    .into(),
            });
        };
        let raw_doc = match raw_doc {
            Some(v) => v,
            None => serde_json::Value::Null,
        };
        let mut errors = Vec::new();
        let meta = &doc.metadata;
        let name = meta.name.clone().unwrap_or_default();
        if name.is_empty() {
            errors.push(FieldError::required(
                "metadata.name",
                "name or generateName is required",
            ));
        } else {
            for e in dns1123_subdomain_errors(&name) {
                errors.push(FieldError::invalid("metadata.name", quoted(&name), e));
            }
        }
        let namespace = meta
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string());
        for e in dns1123_label_errors(&namespace) {
            errors.push(FieldError::invalid(
                "metadata.namespace",
                quoted(&namespace),
                e,
            ));
        }
        let labels: Labels = meta.labels.iter().flatten().collect();
        check_labels(&labels, "metadata.labels", &mut errors);
        let annotations: Labels = meta.annotations.iter().flatten().collect();
        check_annotations(&annotations, "metadata.annotations", &mut errors);
        let deletion_timestamp = parse_time(
            meta.deletion_timestamp.as_deref(),
            "metadata.deletionTimestamp",
            &mut errors,
        );

        let empty_spec = api::DaemonSetSpec::default();
        let spec = doc.spec.as_ref().unwrap_or(&empty_spec);

        // upstream: validation.go ValidateDaemonSetSpec
        let empty_template = api::PodTemplate::default();
        let template_raw = spec.template.as_ref().unwrap_or(&empty_template);
        let template_labels: Labels = template_raw
            .metadata
            .as_ref()
            .and_then(|m| m.labels.as_ref())
            .into_iter()
            .flatten()
            .collect();
        let selector = match &spec.selector {
            None => {
                errors.push(FieldError::required("spec.selector", ""));
                // A missing selector selects nothing, so it cannot match the template either.
                errors.push(selector_mismatch(&template_labels));
                LabelSelector::default()
            }
            Some(raw) => {
                let before = errors.len();
                let s = LabelSelector::compile(raw, "spec.selector", &mut errors);
                if errors.len() == before && !s.matches(&template_labels) {
                    errors.push(selector_mismatch(&template_labels));
                }
                let written = raw.match_labels.as_ref().map_or(0, |m| m.len())
                    + raw.match_expressions.as_ref().map_or(0, |e| e.len());
                if written == 0 {
                    errors.push(FieldError::invalid(
                        "spec.selector",
                        "{}",
                        "empty selector is invalid for daemonset",
                    ));
                }
                s
            }
        };

        let template = build_template(template_raw, raw_doc.pointer("/spec/template"), &mut errors);
        let pod_spec = template_raw.spec.as_ref();
        if let Some(policy) = pod_spec.and_then(|s| s.restart_policy.as_deref())
            && policy != "Always"
        {
            errors.push(FieldError::not_supported(
                "spec.template.spec.restartPolicy",
                quoted(policy),
                &["Always"],
            ));
        }
        if pod_spec.and_then(|s| s.active_deadline_seconds).is_some() {
            errors.push(FieldError::forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in DaemonSet is not Supported",
            ));
        }

        let min_ready_seconds = spec.min_ready_seconds.unwrap_or(0);
        check_non_negative(min_ready_seconds, "spec.minReadySeconds", &mut errors);
        let update_strategy = build_strategy(spec.update_strategy.as_ref(), flavor, &mut errors);
        let revision_history_limit = spec.revision_history_limit.unwrap_or(10);
        check_non_negative(
            revision_history_limit,
            "spec.revisionHistoryLimit",
            &mut errors,
        );

        let burst_replicas = spec
            .burst_replicas
            .as_ref()
            .and_then(|b| int_or_percent(b, "spec.burstReplicas", &mut errors));
        let partitioned_scaling = match flavor {
            Flavor::AppsV1 => false,
            Flavor::Kruise if api_version.ends_with("v1alpha1") => annotations
                .get("daemonset.kruise.io/progressive-create-pod")
                .is_some_and(|v| v == "true"),
            Flavor::Kruise => spec
                .scale_strategy
                .as_ref()
                .and_then(|s| s.partitioned_scaling)
                .unwrap_or(false),
        };

        let mut warnings = Vec::new();
        if !raw_doc.is_null() {
            warnings = schema::unknown_field_warnings(&raw_doc, flavor == Flavor::Kruise);
        }

        if !errors.is_empty() {
            return Err(Error::Invalid {
                kind: "DaemonSet".into(),
                name,
                errors,
            });
        }

        let status = DaemonSetStatus::from_doc(doc.status.as_ref());
        let template_generation = annotations
            .get(TEMPLATE_GENERATION_ANNOTATION)
            .and_then(|g| g.parse::<i64>().ok());
        let compiled = Compiled {
            tolerations: with_daemon_tolerations(
                &template.spec.tolerations,
                template.spec.host_network,
            ),
            requests: resources::pod_requests(
                &template.spec.containers,
                &template.spec.init_containers,
                &template.spec.overhead,
            ),
            host_ports: resources::host_ports(
                &template.spec.containers,
                &template.spec.init_containers,
                template.spec.host_network,
            ),
        };
        let hash = history::compute_hash(&template.raw, status.collision_count);
        Ok(DaemonSet {
            api_version: api_version.to_string(),
            flavor,
            name,
            namespace,
            uid: meta.uid.clone().filter(|u| !u.is_empty()),
            generation: meta.generation,
            labels,
            annotations,
            deletion_timestamp,
            selector,
            template,
            update_strategy,
            min_ready_seconds,
            revision_history_limit,
            status,
            template_generation,
            partitioned_scaling,
            burst_replicas,
            warnings,
            hash,
            compiled,
        })
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `metadata.namespace` (`default` when the manifest has none).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `metadata.uid`, when the manifest has one (manifests read from a cluster do).
    pub fn uid(&self) -> Option<&str> {
        self.uid.as_deref()
    }

    /// `metadata.generation`, when present.
    pub fn generation(&self) -> Option<i64> {
        self.generation
    }

    /// `apiVersion` as written.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// Whether this is an apps/v1 or an OpenKruise DaemonSet.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// `metadata.labels`.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// `metadata.annotations`.
    pub fn annotations(&self) -> &Labels {
        &self.annotations
    }

    /// `metadata.deletionTimestamp`.
    pub fn deletion_timestamp(&self) -> Option<Timestamp> {
        self.deletion_timestamp
    }

    /// `spec.selector`.
    pub fn selector(&self) -> &LabelSelector {
        &self.selector
    }

    /// `spec.template`.
    pub fn template(&self) -> &PodTemplate {
        &self.template
    }

    /// `spec.updateStrategy`, defaulted.
    pub fn update_strategy(&self) -> &UpdateStrategy {
        &self.update_strategy
    }

    /// `spec.minReadySeconds` (default 0).
    pub fn min_ready_seconds(&self) -> i64 {
        self.min_ready_seconds
    }

    /// `spec.revisionHistoryLimit` (default 10).
    pub fn revision_history_limit(&self) -> i64 {
        self.revision_history_limit
    }

    /// `status` as the manifest carries it (zero when absent).
    pub fn status(&self) -> &DaemonSetStatus {
        &self.status
    }

    /// The template generation from the `deprecated.daemonset.template.generation` annotation.
    pub fn template_generation(&self) -> Option<i64> {
        self.template_generation
    }

    /// Warnings about fields Kubernetes does not know, worded as kubectl's field validation
    /// words them (`unknown field "spec.template.spec.containers[0].imagePullPolicyy"`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The default tolerations merged into the template's, as every daemon pod gets them.
    pub fn daemon_tolerations(&self) -> &[Toleration] {
        &self.compiled.tolerations
    }

    /// The daemon pod's effective resource request (init containers, sidecars and overhead
    /// included).
    pub fn pod_requests(&self) -> &ResourceList {
        &self.compiled.requests
    }

    /// The host ports each daemon pod takes on its node.
    pub fn host_ports(&self) -> &[HostPort] {
        &self.compiled.host_ports
    }

    /// The `controller-revision-hash` value of the current template, computed by this crate.
    ///
    /// [`plan`](crate::plan) uses the hash of a matching ControllerRevision from the snapshot
    /// instead when there is one, so pods labelled by a real cluster count as current.
    pub fn revision_hash(&self) -> &str {
        &self.hash
    }

    /// Whether a pod's controller reference points at this DaemonSet: by uid when both sides
    /// have one, else by kind and name.
    pub(crate) fn owns(&self, owner: &crate::snapshot::OwnerRef) -> bool {
        if owner.kind != "DaemonSet" {
            return false;
        }
        match (&self.uid, &owner.uid) {
            (Some(a), Some(b)) => a == b,
            _ => owner.name == self.name,
        }
    }

    /// How this DaemonSet stands to an object (pod or ControllerRevision) in `namespace` with
    /// `controller` and `labels`; `deleting` is the object's own deletionTimestamp.
    // upstream: controller_ref_manager.go ClaimObject (pods R16, revisions R47)
    pub(crate) fn ownership(
        &self,
        namespace: &str,
        controller: Option<&crate::snapshot::OwnerRef>,
        labels: &Labels,
        deleting: bool,
    ) -> Ownership {
        self.ownership_given(
            namespace == self.namespace,
            controller.map(|c| self.owns(c)),
            || self.selector.matches(labels),
            deleting,
        )
    }

    /// [`DaemonSet::ownership`] from what is known of the object: whether it is in this
    /// namespace, whether its controller (if any) is this DaemonSet, and (asked only when
    /// needed) whether the selector matches its labels.
    pub(crate) fn ownership_given(
        &self,
        same_namespace: bool,
        controlled: Option<bool>,
        labels_match: impl FnOnce() -> bool,
        deleting: bool,
    ) -> Ownership {
        if !same_namespace {
            return Ownership::Ignore;
        }
        match controlled {
            Some(true) => {
                if labels_match() {
                    Ownership::Keep
                } else if self.deletion_timestamp.is_none() {
                    Ownership::Release
                } else {
                    Ownership::Ignore
                }
            }
            None if !deleting && self.deletion_timestamp.is_none() && labels_match() => {
                Ownership::Adopt
            }
            _ => Ownership::Ignore,
        }
    }

    /// A copy with another template (used by rollback).
    pub(crate) fn with_template_json(
        &self,
        template: &serde_json::Value,
    ) -> Result<DaemonSet, Error> {
        let mut doc = self.to_json();
        if let Some(spec) = doc.get_mut("spec").and_then(|s| s.as_object_mut()) {
            spec.insert("template".into(), template.clone());
        }
        DaemonSet::from_json_value(&doc)
    }

    /// The DaemonSet as a JSON manifest (apiVersion, kind, metadata, spec; status when set).
    pub fn to_json(&self) -> serde_json::Value {
        let mut metadata = serde_json::Map::new();
        metadata.insert("name".into(), self.name.clone().into());
        metadata.insert("namespace".into(), self.namespace.clone().into());
        if let Some(uid) = &self.uid {
            metadata.insert("uid".into(), uid.clone().into());
        }
        if let Some(g) = self.generation {
            metadata.insert("generation".into(), g.into());
        }
        if !self.labels.is_empty() {
            metadata.insert(
                "labels".into(),
                serde_json::to_value(&self.labels).unwrap_or_default(),
            );
        }
        if !self.annotations.is_empty() {
            metadata.insert(
                "annotations".into(),
                serde_json::to_value(&self.annotations).unwrap_or_default(),
            );
        }
        let mut spec = serde_json::Map::new();
        spec.insert(
            "selector".into(),
            serde_json::to_value(&self.selector).unwrap_or_default(),
        );
        spec.insert("template".into(), self.template.raw.clone());
        let strategy = match &self.update_strategy {
            UpdateStrategy::OnDelete => serde_json::json!({"type": "OnDelete"}),
            UpdateStrategy::RollingUpdate(r) => {
                let mut ru = serde_json::Map::new();
                ru.insert(
                    "maxUnavailable".into(),
                    serde_json::to_value(r.max_unavailable).unwrap_or_default(),
                );
                ru.insert(
                    "maxSurge".into(),
                    serde_json::to_value(r.max_surge).unwrap_or_default(),
                );
                if let Some(p) = r.partition {
                    ru.insert(
                        "partition".into(),
                        serde_json::to_value(p).unwrap_or_default(),
                    );
                }
                if r.paused {
                    ru.insert("paused".into(), true.into());
                }
                if let Some(s) = &r.selector {
                    ru.insert(
                        "selector".into(),
                        serde_json::to_value(s).unwrap_or_default(),
                    );
                }
                serde_json::json!({"type": "RollingUpdate", "rollingUpdate": ru})
            }
        };
        spec.insert("updateStrategy".into(), strategy);
        spec.insert("minReadySeconds".into(), self.min_ready_seconds.into());
        spec.insert(
            "revisionHistoryLimit".into(),
            self.revision_history_limit.into(),
        );
        if self.partitioned_scaling && !self.api_version.ends_with("v1alpha1") {
            spec.insert(
                "scaleStrategy".into(),
                serde_json::json!({"partitionedScaling": true}),
            );
        }
        serde_json::json!({
            "apiVersion": self.api_version,
            "kind": "DaemonSet",
            "metadata": metadata,
            "spec": spec,
            "status": serde_json::to_value(&self.status).unwrap_or_default(),
        })
    }
}

/// The error for template labels the selector does not match, the value printed as JSON with
/// sorted keys (as the API server prints a Go map).
fn selector_mismatch(labels: &Labels) -> FieldError {
    let sorted: std::collections::BTreeMap<&str, &str> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    FieldError::invalid(
        "spec.template.metadata.labels",
        serde_json::to_string(&sorted).unwrap_or_default(),
        "selector does not match template labels",
    )
}

pub(crate) fn parse_time(
    text: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Timestamp> {
    let text = text?;
    if text.is_empty() || text == "null" {
        return None;
    }
    match text.parse::<Timestamp>() {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(FieldError::invalid(
                field,
                quoted(text),
                format!("not an RFC 3339 time: {e}"),
            ));
            None
        }
    }
}

fn int_or_percent(
    value: &IntOrString,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<IntOrPercent> {
    // upstream: validation.go ValidatePositiveIntOrPercent, IsNotMoreThan100Percent
    match value {
        IntOrString::Int(n) => {
            if *n < 0 {
                errors.push(FieldError::invalid(
                    field,
                    n.to_string(),
                    "must be greater than or equal to 0",
                ));
                return None;
            }
            Some(IntOrPercent::Int(*n))
        }
        IntOrString::String(s) => {
            let digits = s
                .strip_suffix('%')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            let Some(digits) = digits else {
                errors.push(FieldError::invalid(
                    field,
                    quoted(s),
                    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                ));
                return None;
            };
            let pct = digits.parse::<i64>().unwrap_or(i64::MAX);
            if pct > 100 {
                errors.push(FieldError::invalid(
                    field,
                    quoted(s),
                    "must not be greater than 100%",
                ));
                return None;
            }
            Some(IntOrPercent::Percent(pct))
        }
    }
}

/// The number upstream's getIntOrPercentValue reads: the percentage of a valid percent string,
/// else the integer (a string that is not a decimal integer reads as 0, as Go's IntValue does).
fn zero_test_value(value: &IntOrString) -> i64 {
    match value {
        IntOrString::Int(n) => *n,
        IntOrString::String(s) => {
            let text = s
                .strip_suffix('%')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or(s);
            text.parse::<i64>().unwrap_or(0)
        }
    }
}

/// An int-or-string value as the API server prints it in a field error.
fn int_or_string_value(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => quoted(s),
    }
}

fn build_strategy(
    raw: Option<&api::UpdateStrategy>,
    flavor: Flavor,
    errors: &mut Vec<FieldError>,
) -> UpdateStrategy {
    let empty = api::UpdateStrategy::default();
    let raw = raw.unwrap_or(&empty);
    match raw.type_.as_deref().unwrap_or("") {
        "OnDelete" => return UpdateStrategy::OnDelete,
        "" | "RollingUpdate" => {}
        other => {
            errors.push(FieldError::not_supported(
                "spec.updateStrategy.type",
                quoted(other),
                &["RollingUpdate", "OnDelete"],
            ));
            return UpdateStrategy::OnDelete;
        }
    }
    let base = "spec.updateStrategy.rollingUpdate";
    let empty_ru = api::RollingUpdate::default();
    let ru = raw.rolling_update.as_ref().unwrap_or(&empty_ru);
    let field = |f: &str| format!("{base}.{f}");
    // upstream: apps/v1 defaults.go SetDefaults_DaemonSet; kruise SetDefaultsDaemonSet (K3)
    let surging = ru.rolling_update_type.as_deref() == Some("Surging");
    let (mu_default, ms_default) = match flavor {
        Flavor::AppsV1 => (IntOrPercent::Int(1), IntOrPercent::Int(0)),
        Flavor::Kruise if surging => (IntOrPercent::Int(0), IntOrPercent::Int(1)),
        Flavor::Kruise if ru.max_unavailable.is_none() && ru.max_surge.is_none() => {
            (IntOrPercent::Int(1), IntOrPercent::Int(0))
        }
        Flavor::Kruise => (IntOrPercent::Int(0), IntOrPercent::Int(0)),
    };
    let max_unavailable = match &ru.max_unavailable {
        Some(v) => int_or_percent(v, &field("maxUnavailable"), errors),
        None => Some(mu_default),
    };
    let max_surge = match &ru.max_surge {
        Some(v) => int_or_percent(v, &field("maxSurge"), errors),
        None => Some(ms_default),
    };
    // upstream: validation.go ValidateRollingUpdateDaemonSet. The zero test reads the number
    // the way getIntOrPercentValue does, even from a value already reported as malformed.
    let has_unavailable = ru
        .max_unavailable
        .as_ref()
        .map_or(!mu_default.is_zero(), |v| zero_test_value(v) != 0);
    let has_surge = ru
        .max_surge
        .as_ref()
        .map_or(!ms_default.is_zero(), |v| zero_test_value(v) != 0);
    if has_unavailable && has_surge {
        errors.push(FieldError::invalid(
            field("maxSurge"),
            ru.max_surge
                .as_ref()
                .map_or_else(|| ms_default.to_string(), int_or_string_value),
            "may not be set when maxUnavailable is non-zero",
        ));
    }
    if !has_unavailable && !has_surge {
        errors.push(FieldError::required(
            field("maxUnavailable"),
            "cannot be 0 when maxSurge is 0",
        ));
    }
    let mut partition = None;
    let mut paused = false;
    let mut selector = None;
    match flavor {
        Flavor::Kruise => {
            if let Some(p) = &ru.partition {
                partition = int_or_percent(p, &field("partition"), errors);
            }
            paused = ru.paused.unwrap_or(false);
            if let Some(s) = &ru.selector {
                selector = Some(LabelSelector::compile(s, &field("selector"), errors));
            }
            match ru.rolling_update_type.as_deref() {
                None | Some("") | Some("Standard") | Some("Surging") => {}
                Some("InPlaceIfPossible") => {
                    if max_surge.is_some_and(|m| !m.is_zero()) {
                        errors.push(FieldError::invalid(
                            field("maxSurge"),
                            max_surge.map(|m| m.to_string()).unwrap_or_default(),
                            "must be 0 when rollingUpdateType is InPlaceIfPossible",
                        ));
                    }
                }
                Some(other) => errors.push(FieldError::not_supported(
                    field("rollingUpdateType"),
                    quoted(other),
                    &["Standard", "InPlaceIfPossible"],
                )),
            }
        }
        Flavor::AppsV1 => {}
    }
    UpdateStrategy::RollingUpdate(RollingUpdate {
        max_unavailable: max_unavailable.unwrap_or(IntOrPercent::Int(1)),
        max_surge: max_surge.unwrap_or(IntOrPercent::Int(0)),
        partition,
        paused,
        selector,
    })
}

fn build_template(
    raw: &api::PodTemplate,
    raw_json: Option<&serde_json::Value>,
    errors: &mut Vec<FieldError>,
) -> PodTemplate {
    let meta = raw.metadata.clone().unwrap_or_default();
    let labels: Labels = meta.labels.iter().flatten().collect();
    check_labels(&labels, "spec.template.metadata.labels", errors);
    let annotations: Labels = meta.annotations.iter().flatten().collect();
    check_annotations(&annotations, "spec.template.metadata.annotations", errors);
    let empty = api::PodSpec::default();
    let spec_raw = raw.spec.as_ref().unwrap_or(&empty);
    let spec = build_pod_spec(spec_raw, "spec.template.spec", true, errors);
    let mut json = raw_json.cloned().unwrap_or_else(|| serde_json::json!({}));
    normalise_template_json(&mut json, &labels, &annotations, &spec.node_selector);
    PodTemplate {
        labels,
        annotations,
        spec,
        raw: json,
    }
}

/// Put the string-typed maps back into the JSON form, so values YAML would have read as
/// numbers or booleans (`version: 1.0`) are the strings Kubernetes reads.
fn normalise_template_json(
    json: &mut serde_json::Value,
    labels: &Labels,
    annotations: &Labels,
    node_selector: &Labels,
) {
    let Some(obj) = json.as_object_mut() else {
        *json = serde_json::json!({});
        return normalise_template_json(json, labels, annotations, node_selector);
    };
    if let Some(meta) = obj.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        if meta.contains_key("labels") {
            meta.insert(
                "labels".into(),
                serde_json::to_value(labels).unwrap_or_default(),
            );
        }
        if meta.contains_key("annotations") {
            meta.insert(
                "annotations".into(),
                serde_json::to_value(annotations).unwrap_or_default(),
            );
        }
    }
    if let Some(spec) = obj.get_mut("spec").and_then(|m| m.as_object_mut())
        && spec.contains_key("nodeSelector")
    {
        spec.insert(
            "nodeSelector".into(),
            serde_json::to_value(node_selector).unwrap_or_default(),
        );
    }
}

pub(crate) fn build_pod_spec(
    raw: &api::PodSpec,
    field: &str,
    validate: bool,
    errors: &mut Vec<FieldError>,
) -> PodSpec {
    // upstream: validation.go ValidatePodSpec (containers, init containers, nodeSelector,
    // affinity, tolerations, overhead: errors come in that order)
    let containers = resources::parse_containers(
        raw.containers.as_ref(),
        &format!("{field}.containers"),
        false,
        validate,
        errors,
    );
    if validate && containers.is_empty() {
        errors.push(FieldError::required(format!("{field}.containers"), ""));
    }
    let init_containers = resources::parse_containers(
        raw.init_containers.as_ref(),
        &format!("{field}.initContainers"),
        true,
        validate,
        errors,
    );
    let node_selector: Labels = raw.node_selector.iter().flatten().collect();
    if validate {
        check_labels(&node_selector, &format!("{field}.nodeSelector"), errors);
    }
    let node_affinity = raw.affinity.as_ref().and_then(|a| a.node_affinity.as_ref());
    let aff_path = format!("{field}.affinity.nodeAffinity");
    let required_node_affinity = node_affinity
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .map(|r| {
            NodeSelector::compile(
                r,
                &format!("{aff_path}.requiredDuringSchedulingIgnoredDuringExecution"),
                validate,
                errors,
            )
        });
    let mut preferred_node_affinity = Vec::new();
    for (i, p) in node_affinity
        .and_then(|n| {
            n.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("{aff_path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
        let weight = p.weight.unwrap_or(0);
        if validate && !(1..=100).contains(&weight) {
            errors.push(FieldError::invalid(
                format!("{path}.weight"),
                weight.to_string(),
                "must be in the range 1-100",
            ));
        }
        let preference = NodeSelectorTerm::compile(
            p.preference
                .as_ref()
                .unwrap_or(&api::NodeSelectorTerm::default()),
            &format!("{path}.preference"),
            validate,
            errors,
        );
        preferred_node_affinity.push(PreferredSchedulingTerm { weight, preference });
    }
    let mut tolerations = Vec::new();
    for (i, t) in raw.tolerations.iter().flatten().enumerate() {
        if let Some(t) =
            Toleration::compile(t, &format!("{field}.tolerations[{i}]"), validate, errors)
        {
            tolerations.push(t);
        }
    }
    let overhead = resources::parse_resource_list(
        raw.overhead.as_ref(),
        &format!("{field}.overhead"),
        validate,
        errors,
    );
    PodSpec {
        node_selector,
        node_name: raw.node_name.clone().filter(|n| !n.is_empty()),
        required_node_affinity,
        preferred_node_affinity,
        tolerations,
        host_network: raw.host_network.unwrap_or(false),
        containers,
        init_containers,
        overhead,
        priority_class_name: raw.priority_class_name.clone(),
        priority: raw.priority,
    }
}
