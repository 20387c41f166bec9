//! # daemonset-planner
//!
//! The Kubernetes DaemonSet controller's decisions as pure functions. Hand it a DaemonSet and a
//! snapshot of the cluster (nodes, pods, ControllerRevisions); get back a [`Plan`]: which pods
//! to create on which nodes, which to delete and why, the rolling-update step, the status the
//! DaemonSet should report, and when to look again. The crate performs no I/O, reads no clock
//! and keeps no hidden state: time and the failed-pod backoff are inputs, and the backoff
//! comes back out in the plan.
//!
//! Upstream Kubernetes (`pkg/controller/daemon`) is the reference; where this crate differs on
//! purpose (deterministic order, its own revision hash, fit explained) the README's
//! "Semantics vs upstream" section says so.
//!
//! # Example
//! ```
//! use daemonset_planner::{plan, DaemonSet, Options, Snapshot};
//!
//! let ds = DaemonSet::from_yaml(r#"
//! apiVersion: apps/v1
//! kind: DaemonSet
//! metadata: {name: node-agent, namespace: kube-system}
//! spec:
//!   selector: {matchLabels: {app: node-agent}}
//!   template:
//!     metadata: {labels: {app: node-agent}}
//!     spec:
//!       nodeSelector: {kubernetes.io/os: linux}
//!       containers: [{name: agent, image: "agent:1.0"}]
//! "#)?;
//! let snapshot = Snapshot::from_yaml(r#"
//! apiVersion: v1
//! kind: List
//! items:
//! - {apiVersion: v1, kind: Node, metadata: {name: linux-1, labels: {kubernetes.io/os: linux}}}
//! - {apiVersion: v1, kind: Node, metadata: {name: linux-2, labels: {kubernetes.io/os: linux}}}
//! - {apiVersion: v1, kind: Node, metadata: {name: win-1, labels: {kubernetes.io/os: windows}}}
//! "#)?;
//! let options = Options::at("2026-01-01T00:00:00Z".parse().unwrap());
//!
//! let plan = plan(&ds, &snapshot, &options);
//! let nodes: Vec<&str> = plan.creates().iter().map(|c| c.node.as_str()).collect();
//! assert_eq!(nodes, ["linux-1", "linux-2"]);
//! assert!(!plan.node("win-1").unwrap().should_run);
//! assert_eq!(plan.status().desired_number_scheduled, 2);
//! # Ok::<(), daemonset_planner::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod compact;
mod defaults;
mod error;
mod history;
#[cfg(feature = "k8s-openapi")]
pub mod k8s;
mod options;
mod placement;
mod plan;
mod pod_index;
pub mod quantity;
mod reconcile;
pub mod replan;
mod resources;
mod rollout;
mod schema;
mod selector;
pub mod sim;
mod snapshot;
mod spec;
mod status;
mod strmap;
pub mod synth;
mod taints;
mod validation;

pub use error::{Error, FieldError, FieldErrorKind};
pub use history::{
    HistoryEntry, RevisionDeleteReason, RevisionPlan, RevisionToCreate, RevisionToDelete,
    RevisionToRenumber, rollback, rollout_history,
};
pub use jiff::Timestamp;
pub use options::{
    BURST_REPLICAS, BackoffEntry, FAILED_POD_BACKOFF_INITIAL, FAILED_POD_BACKOFF_MAX,
    FailedPodBackoff, NodeOrder, Options, RolloutControls,
};
pub use placement::{NodeDecision, Reason, Reasons, node_decision, placement};
pub use plan::{
    CreatePod, CreateReason, DeletePod, DeleteReason, Event, NodeEntry, Plan, PodRef, Relabel,
    StuckReason, UnavailableNode, UpdateBudget,
};
pub use quantity::{Quantity, QuantityError};
pub use resources::{Container, ContainerPort, HostPort, Protocol, ResourceList};
pub use selector::{
    LabelSelector, LabelSelectorRequirement, Labels, NodeSelector, NodeSelectorOperator,
    NodeSelectorRequirement, NodeSelectorTerm, SelectorOperator,
};
pub use snapshot::{
    ControllerRevision, Node, NodeCondition, OwnerRef, Pod, PodPhase, ReadyCondition, Snapshot,
};
pub use spec::{
    DaemonSet, Flavor, IntOrPercent, PodSpec, PodTemplate, PreferredSchedulingTerm,
    REVISION_HASH_LABEL, RollingUpdate, TEMPLATE_GENERATION_ANNOTATION, TEMPLATE_GENERATION_LABEL,
    UpdateStrategy,
};
pub use status::{DaemonSetStatus, RolloutStatus};
pub use strmap::{Iter as StrMapIter, Str, StrMap};
pub use taints::{
    Taint, TaintEffect, Toleration, TolerationOperator, default_daemon_tolerations, keys,
};

/// Compute what one sync of the DaemonSet controller does on this snapshot.
///
/// Infallible: the inputs are already validated. The same inputs give the same plan, whatever
/// order nodes and pods were listed in.
// upstream: daemon_controller.go syncDaemonSet
pub fn plan(ds: &DaemonSet, snapshot: &Snapshot, options: &Options) -> Plan {
    reconcile::sync(ds, snapshot, options)
}

#[cfg(test)]
mod thread_safety {
    fn send_and_sync<T: Send + Sync>() {}

    /// Controllers share snapshots and plans across threads and async tasks.
    #[test]
    fn inputs_and_plans_cross_threads() {
        send_and_sync::<crate::DaemonSet>();
        send_and_sync::<crate::Snapshot>();
        send_and_sync::<crate::Options>();
        send_and_sync::<crate::Plan>();
        send_and_sync::<crate::NodeDecision>();
        send_and_sync::<crate::Reasons>();
        send_and_sync::<crate::replan::Replanner>();
    }
}
