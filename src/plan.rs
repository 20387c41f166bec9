//! `Plan`: what one sync decides, and the actions it contains.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::history::RevisionPlan;
use crate::options::FailedPodBackoff;
use crate::placement::NodeDecision;
use crate::spec::{DaemonSet, REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL};
use crate::status::{DaemonSetStatus, RolloutStatus};
use crate::taints::with_daemon_tolerations;

/// Why a pod is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum CreateReason {
    /// The node should run a daemon pod and has none.
    Missing,
    /// Rolling update with maxSurge: a new pod is started beside the old one.
    Surge,
    /// Rolling update with maxSurge: the old pod is unavailable, so it is replaced at once.
    ReplaceUnavailable,
}

impl fmt::Display for CreateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CreateReason::Missing => "node should run a daemon pod and has none",
            CreateReason::Surge => "surge: new pod beside the old one",
            CreateReason::ReplaceUnavailable => "surge: replacing an unavailable old pod",
        })
    }
}

/// A pod to create on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePod {
    /// The node the pod is for.
    pub node: String,
    /// Why.
    pub reason: CreateReason,
    /// The slow-start batch (0, 1, 2, ...): batch `k` holds up to `2^k` creations; the
    /// runtime executes batches in order and stops at the first failure.
    pub batch: usize,
    /// The `controller-revision-hash` the pod gets.
    pub revision_hash: String,
    #[serde(skip)]
    pub(crate) pin_with_node_name: bool,
}

impl CreatePod {
    /// The complete Pod manifest to submit: `generateName: <ds>-`, template labels plus
    /// `controller-revision-hash` (and `pod-template-generation` when the DaemonSet has a
    /// template generation), a controller owner reference, the default daemon tolerations, and
    /// the node pin (required node affinity replaced by `matchFields metadata.name In [node]`,
    /// or `spec.nodeName` with [`Options::pin_with_node_name`](crate::Options)). Every other
    /// template field is kept as written.
    // upstream: daemonset_util.go CreatePodTemplate, ReplaceDaemonSetPodNodeNameNodeAffinity;
    // controller_utils.go GetPodFromTemplate
    pub fn render(&self, ds: &DaemonSet) -> serde_json::Value {
        let template = &ds.template;
        let mut labels = template.labels.clone();
        labels.insert(
            REVISION_HASH_LABEL.into(),
            self.revision_hash.as_str().into(),
        );
        if let Some(g) = ds.template_generation {
            labels.insert(TEMPLATE_GENERATION_LABEL.into(), g.to_string().into());
        }
        let mut owner = serde_json::Map::new();
        owner.insert("apiVersion".into(), "apps/v1".into());
        owner.insert("kind".into(), "DaemonSet".into());
        owner.insert("name".into(), ds.name.clone().into());
        if let Some(uid) = &ds.uid {
            owner.insert("uid".into(), uid.clone().into());
        }
        owner.insert("controller".into(), true.into());
        owner.insert("blockOwnerDeletion".into(), true.into());
        // upstream: controller_utils.go getPodsPrefix: "<name>-" must itself be a valid
        // name prefix (at most 253 characters), else the bare name.
        let generate_name = if ds.name.len() < 253 {
            format!("{}-", ds.name)
        } else {
            ds.name.clone()
        };
        let mut metadata = serde_json::Map::new();
        metadata.insert("generateName".into(), generate_name.into());
        metadata.insert("namespace".into(), ds.namespace.clone().into());
        metadata.insert(
            "labels".into(),
            serde_json::to_value(&labels).unwrap_or_default(),
        );
        if !template.annotations.is_empty() {
            metadata.insert(
                "annotations".into(),
                serde_json::to_value(&template.annotations).unwrap_or_default(),
            );
        }
        if let Some(finalizers) = template.raw.pointer("/metadata/finalizers") {
            metadata.insert("finalizers".into(), finalizers.clone());
        }
        metadata.insert("ownerReferences".into(), serde_json::json!([owner]));

        let mut spec = template
            .raw
            .get("spec")
            .and_then(|s| s.as_object())
            .cloned()
            .unwrap_or_default();
        let tolerations =
            with_daemon_tolerations(&template.spec.tolerations, template.spec.host_network);
        spec.insert(
            "tolerations".into(),
            serde_json::Value::Array(tolerations.iter().map(|t| t.to_json()).collect()),
        );
        if self.pin_with_node_name {
            spec.insert("nodeName".into(), self.node.clone().into());
        } else {
            pin_affinity(&mut spec, &self.node);
        }
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": spec,
        })
    }
}

// upstream: daemonset_util.go ReplaceDaemonSetPodNodeNameNodeAffinity
fn pin_affinity(spec: &mut serde_json::Map<String, serde_json::Value>, node: &str) {
    let term = serde_json::json!({
        "nodeSelectorTerms": [{
            "matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]
        }]
    });
    let affinity = spec
        .entry("affinity")
        .or_insert_with(|| serde_json::json!({}));
    if !affinity.is_object() {
        *affinity = serde_json::json!({});
    }
    let node_affinity = affinity.as_object_mut().map(|a| {
        a.entry("nodeAffinity")
            .or_insert_with(|| serde_json::json!({}))
    });
    if let Some(na) = node_affinity {
        if !na.is_object() {
            *na = serde_json::json!({});
        }
        if let Some(obj) = na.as_object_mut() {
            obj.insert(
                "requiredDuringSchedulingIgnoredDuringExecution".into(),
                term,
            );
        }
    }
}

/// Why a pod is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum DeleteReason {
    /// More than one daemon pod on the node; the oldest is kept.
    Duplicate,
    /// The pod failed; it is replaced (subject to the per-node backoff).
    Failed,
    /// The pod completed; daemon pods are meant to run forever.
    Succeeded,
    /// The node no longer qualifies (node selector, affinity, NoExecute taint, node name).
    NotEligible,
    /// The pod is pinned by affinity to a node that no longer exists and was never bound.
    NodeGone,
    /// Rolling update: an old pod replaced within the maxUnavailable budget.
    RollingUpdate,
    /// Rolling update: an old pod that is not available, replaced without using the budget.
    OldUnavailable,
    /// Surge: the new pod on the node is available (or the old one is not ready).
    Superseded,
    /// Surge: an old pod on a node that should not run one, removed once enough pods are
    /// available elsewhere.
    Misscheduled,
}

impl fmt::Display for DeleteReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeleteReason::Duplicate => "duplicate daemon pod on the node (the oldest is kept)",
            DeleteReason::Failed => "pod failed",
            DeleteReason::Succeeded => "pod succeeded",
            DeleteReason::NotEligible => "node no longer runs this daemon",
            DeleteReason::NodeGone => "pinned to a node that no longer exists",
            DeleteReason::RollingUpdate => "rolling update: replacing an old pod",
            DeleteReason::OldUnavailable => "rolling update: replacing an unavailable old pod",
            DeleteReason::Superseded => "surge: the new pod on the node took over",
            DeleteReason::Misscheduled => "surge: old pod on a node that should not run one",
        })
    }
}

/// A pod to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletePod {
    /// The pod's name.
    pub pod: String,
    /// The pod's namespace.
    pub namespace: String,
    /// The node it targets, if any.
    pub node: Option<String>,
    /// Why.
    pub reason: DeleteReason,
}

/// A pod whose controller reference the plan patches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodRef {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
}

impl fmt::Display for PodRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A pod whose `controller-revision-hash` label the plan patches (duplicate current revisions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relabel {
    /// The pod.
    pub pod: PodRef,
    /// The new hash.
    pub hash: String,
}

/// The resolved rolling-update budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBudget {
    /// Nodes that may run an extra new pod at once.
    pub max_surge: i64,
    /// Nodes that may be without an available pod at once.
    pub max_unavailable: i64,
    /// Nodes that should run the daemon pod.
    pub desired_number_scheduled: i64,
}

/// An event the controller would record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The reason (`FailedDaemonPod`, `SucceededDaemonPod`).
    pub reason: &'static str,
    /// The message.
    pub message: String,
}

/// Why a rollout cannot progress on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum StuckReason {
    /// The maxUnavailable budget is used up by unavailable pods.
    BudgetExhausted {
        /// The budget.
        max_unavailable: i64,
        /// The nodes counted as unavailable, with whether each node is NotReady.
        unavailable: Vec<UnavailableNode>,
    },
    /// The surge budget is used up by new pods that are not available yet.
    SurgeExhausted {
        /// The budget.
        max_surge: i64,
        /// Nodes whose surge pod is not yet available.
        waiting: Vec<String>,
    },
    /// A surge pod can never start beside the old one: both need the same host port
    /// (kubernetes#106417).
    SurgeHostPortDeadlock {
        /// The node.
        node: String,
        /// The port.
        port: i32,
    },
    /// A surge pod needs room for a second pod that the node does not have.
    SurgeInsufficientResource {
        /// The node.
        node: String,
        /// The resource.
        resource: String,
    },
    /// The node is held back by the partition.
    Partitioned {
        /// The node.
        node: String,
    },
    /// The node does not match the rollout selector.
    NotSelected {
        /// The node.
        node: String,
    },
    /// The rollout is paused.
    Paused,
    /// An old pod targets a node missing from the snapshot: upstream's surge step fails
    /// every sync until the pod is garbage collected.
    NodeMissing {
        /// The node name.
        node: String,
    },
    /// With [`Options::strict_fit`](crate::Options): the node should run a daemon pod, but
    /// the pod cannot fit there, so none is created.
    DoesNotFit {
        /// The node.
        node: String,
        /// Why (resources, host ports).
        reasons: crate::Reasons,
    },
}

/// A node counted as unavailable by the rolling update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnavailableNode {
    /// The node.
    pub node: String,
    /// The unavailable pod on it, if it has one (`namespace/name`).
    pub pod: Option<String>,
    /// Whether the node itself is NotReady or unreachable.
    pub node_not_ready: bool,
}

/// What [`Plan::rollout_status`] is computed from.
#[derive(Debug, Clone)]
pub(crate) struct RolloutInputs {
    pub name: String,
    pub rolling: bool,
    pub generation: Option<i64>,
    pub deleting: bool,
}

/// A node's entry in the plan's decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeEntry<'p> {
    /// The node name.
    pub node: &'p str,
    /// The decision.
    #[serde(flatten)]
    pub decision: &'p NodeDecision,
}

/// Everything one sync decides. Built by [`plan`](crate::plan).
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) node_names: Arc<Vec<crate::strmap::Str>>,
    pub(crate) decisions: Vec<NodeDecision>,
    pub(crate) creates: Vec<CreatePod>,
    pub(crate) deletes: Vec<DeletePod>,
    pub(crate) adopt: Vec<PodRef>,
    pub(crate) release: Vec<PodRef>,
    pub(crate) relabel: Vec<Relabel>,
    pub(crate) revisions: RevisionPlan,
    pub(crate) status: DaemonSetStatus,
    pub(crate) write_status: bool,
    pub(crate) budget: Option<UpdateBudget>,
    pub(crate) failed_pod_backoff: FailedPodBackoff,
    pub(crate) requeue_after: Option<Duration>,
    pub(crate) revision_hash: String,
    pub(crate) events: Vec<Event>,
    pub(crate) stuck: Vec<StuckReason>,
    /// kubectl's rollout status, formatted on first use (replanning changes the counters
    /// often and reads the message rarely).
    pub(crate) rollout: std::sync::OnceLock<RolloutStatus>,
    /// What the rollout status is computed from: the DaemonSet's name, whether it rolls, and
    /// the status to report on (the stored one for a DaemonSet being deleted).
    pub(crate) rollout_inputs: RolloutInputs,
}

impl Plan {
    /// Pods to create, in slow-start batch order (then node order).
    pub fn creates(&self) -> &[CreatePod] {
        &self.creates
    }

    /// The creations grouped by slow-start batch (sizes 1, 2, 4, ...).
    pub fn create_batches(&self) -> Vec<&[CreatePod]> {
        self.creates.chunk_by(|a, b| a.batch == b.batch).collect()
    }

    /// Pods to delete, in the order upstream issues them.
    pub fn deletes(&self) -> &[DeletePod] {
        &self.deletes
    }

    /// Orphan pods to adopt (set this DaemonSet as their controller).
    pub fn adoptions(&self) -> &[PodRef] {
        &self.adopt
    }

    /// Owned pods whose labels no longer match the selector (drop the owner reference).
    pub fn releases(&self) -> &[PodRef] {
        &self.release
    }

    /// Pods whose revision hash label is rewritten.
    pub fn relabels(&self) -> &[Relabel] {
        &self.relabel
    }

    /// ControllerRevisions to create, renumber, delete, adopt or release.
    pub fn revisions(&self) -> &RevisionPlan {
        &self.revisions
    }

    /// The status the controller writes in this sync, computed from the snapshot as observed.
    pub fn status(&self) -> &DaemonSetStatus {
        &self.status
    }

    /// Whether upstream would write the status at all (not for a DaemonSet being deleted, nor
    /// when nothing changed).
    pub fn writes_status(&self) -> bool {
        self.write_status
    }

    /// The decision for a node of the snapshot.
    pub fn node(&self, name: &str) -> Option<&NodeDecision> {
        self.node_names
            .binary_search_by(|n| n.as_str().cmp(name))
            .ok()
            .map(|i| &self.decisions[i])
    }

    /// Every node's decision, in node-name order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeEntry<'_>> {
        self.node_names
            .iter()
            .zip(&self.decisions)
            .map(|(node, decision)| NodeEntry { node, decision })
    }

    /// The rolling-update budget, for RollingUpdate DaemonSets.
    pub fn budget(&self) -> Option<&UpdateBudget> {
        self.budget.as_ref()
    }

    /// The failed-pod backoff to pass in next time.
    pub fn failed_pod_backoff(&self) -> &FailedPodBackoff {
        &self.failed_pod_backoff
    }

    /// When to compute the plan again even if nothing changes (backoff expiry, pods becoming
    /// available after minReadySeconds).
    pub fn requeue_after(&self) -> Option<Duration> {
        self.requeue_after
    }

    /// The revision hash this sync treats as current.
    pub fn revision_hash(&self) -> &str {
        &self.revision_hash
    }

    /// Events the controller would record.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Why the rollout cannot progress, if it cannot.
    pub fn stuck(&self) -> &[StuckReason] {
        &self.stuck
    }

    /// The rollout state, as `kubectl rollout status` would report it after this sync.
    pub fn rollout_status(&self) -> &RolloutStatus {
        self.rollout.get_or_init(|| {
            let inputs = &self.rollout_inputs;
            let blocked = if inputs.deleting {
                None
            } else {
                crate::rollout::blocked(self)
            };
            crate::status::rollout_status(
                &inputs.name,
                inputs.rolling,
                if inputs.deleting {
                    inputs.generation
                } else {
                    self.status.observed_generation
                },
                &self.status,
                blocked.as_deref(),
            )
        })
    }

    /// True when the plan changes nothing in the cluster (status aside).
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
            && self.deletes.is_empty()
            && self.adopt.is_empty()
            && self.release.is_empty()
            && self.relabel.is_empty()
            && self.revisions.is_empty()
    }

    /// The plan as stable JSON (the `--json` output of the `plan` example).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "revisionHash": self.revision_hash,
            "creates": self.creates,
            "deletes": self.deletes,
            "adopt": self.adopt,
            "release": self.release,
            "relabel": self.relabel,
            "revisions": self.revisions,
            "status": self.status,
            "budget": self.budget,
            "requeueAfterSeconds": self.requeue_after.map(|d| d.as_secs_f64()),
            "failedPodBackoff": self.failed_pod_backoff,
            "events": self.events,
            "stuck": self.stuck,
            "rollout": self.rollout_status(),
            "nodes": self.nodes().collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for StuckReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::rollout::describe(self))
    }
}
