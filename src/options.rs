//! `Options`: the clock, upstream's knobs, and the state upstream keeps between syncs.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::Timestamp;
use crate::selector::LabelSelector;
use crate::spec::IntOrPercent;

/// Upstream's burst limit on creations and deletions per sync.
pub const BURST_REPLICAS: usize = 250;
/// First delay of the failed-pod backoff.
pub const FAILED_POD_BACKOFF_INITIAL: Duration = Duration::from_secs(1);
/// Longest delay of the failed-pod backoff.
pub const FAILED_POD_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

/// One node's failed-pod backoff state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackoffEntry {
    /// When a failed pod on the node was last deleted.
    pub last_update: Timestamp,
    /// The current delay before the next failed pod on the node may be deleted.
    #[serde(with = "duration_secs")]
    pub delay: Duration,
}

mod duration_secs {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// The per-node failed-pod backoff (1 s doubling to 15 min) that upstream keeps in memory.
///
/// Pass it in [`Options::failed_pod_backoff`], take the updated table from
/// [`Plan::failed_pod_backoff`](crate::Plan::failed_pod_backoff), and pass that in next time.
///
/// # Example
/// ```
/// use daemonset_planner::{FailedPodBackoff, Timestamp};
/// use std::time::Duration;
/// let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
/// let mut backoff = FailedPodBackoff::default();
/// backoff.insert("node-1", now, Duration::from_secs(2));
/// assert_eq!(backoff.get("node-1").unwrap().delay, Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FailedPodBackoff {
    entries: BTreeMap<String, BackoffEntry>,
    /// The DaemonSet `status.observedGeneration` the entries were recorded under; upstream
    /// keys the backoff by it, so entries from another generation do not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    generation: Option<i64>,
}

impl FailedPodBackoff {
    /// An empty table.
    pub fn new() -> FailedPodBackoff {
        FailedPodBackoff::default()
    }

    /// Record that a failed pod on `node` was deleted at `last_update`, with `delay` before
    /// the next one may be.
    pub fn insert(&mut self, node: impl Into<String>, last_update: Timestamp, delay: Duration) {
        self.entries
            .insert(node.into(), BackoffEntry { last_update, delay });
    }

    /// The entry for a node.
    pub fn get(&self, node: &str) -> Option<&BackoffEntry> {
        self.entries.get(node)
    }

    /// Remove a node's entry.
    pub fn remove(&mut self, node: &str) -> Option<BackoffEntry> {
        self.entries.remove(node)
    }

    /// All entries, by node name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &BackoffEntry)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of nodes with an entry.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The observedGeneration the entries belong to, when recorded by a plan.
    pub fn generation(&self) -> Option<i64> {
        self.generation
    }

    pub(crate) fn set_generation(&mut self, generation: Option<i64>) {
        self.generation = generation;
    }

    /// Whether a node is in backoff at `now`, and its current delay.
    // upstream: client-go flowcontrol Backoff.IsInBackOffSinceUpdate
    pub(crate) fn in_backoff(&self, node: &str, now: Timestamp) -> Option<Duration> {
        let e = self.entries.get(node)?;
        let since = now.duration_since(e.last_update);
        if since.is_negative() {
            return Some(e.delay);
        }
        let since = since.unsigned_abs();
        if since > 2 * FAILED_POD_BACKOFF_MAX {
            return None;
        }
        (since < e.delay).then_some(e.delay)
    }

    /// Advance a node's backoff: 1 s for a new or expired entry, else double up to 15 min.
    // upstream: client-go flowcontrol Backoff.Next
    pub(crate) fn next(&mut self, node: &str, now: Timestamp) {
        let delay = match self.entries.get(node) {
            // upstream: hasExpired is only true for an entry older than twice the maximum;
            // an entry stamped in the future (clock skew) has not expired.
            Some(e)
                if now.duration_since(e.last_update).is_negative()
                    || now.duration_since(e.last_update).unsigned_abs()
                        <= 2 * FAILED_POD_BACKOFF_MAX =>
            {
                (e.delay * 2).min(FAILED_POD_BACKOFF_MAX)
            }
            _ => FAILED_POD_BACKOFF_INITIAL,
        };
        self.insert(node, now, delay);
    }

    /// Drop entries older than twice the maximum delay.
    // upstream: client-go flowcontrol Backoff.GC
    pub(crate) fn gc(&mut self, now: Timestamp) {
        self.entries.retain(|_, e| {
            let since = now.duration_since(e.last_update);
            since.is_negative() || since.unsigned_abs() <= 2 * FAILED_POD_BACKOFF_MAX
        });
    }
}

/// In which order rolling-update candidates are taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum NodeOrder {
    /// By node name, ascending (the default).
    #[default]
    Name,
    /// By the value of a node label (nodes without it last), then by name: e.g. a zone label
    /// updates one zone after another.
    Label(String),
}

/// Rollout controls for apps/v1 DaemonSets (OpenKruise manifests carry their own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RolloutControls {
    /// No old pod is replaced while paused; nodes without a pod still get one.
    pub paused: bool,
    /// Keep this many nodes (or this percentage of desired nodes) on the old revision.
    pub partition: Option<IntOrPercent>,
    /// Update only nodes whose labels match (a canary).
    pub selector: Option<LabelSelector>,
    /// The order in which nodes are updated.
    pub order: NodeOrder,
}

/// The clock, upstream's knobs and the remembered state for one call of [`plan`](crate::plan).
///
/// # Example
/// ```
/// use daemonset_planner::Options;
/// let options = Options::at("2026-01-01T00:00:00Z".parse().unwrap());
/// assert_eq!(options.burst_replicas, 250);
/// assert!(!options.strict_fit);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The time the plan is computed for (readiness for minReadySeconds, backoff).
    pub now: Timestamp,
    /// Failed-pod backoff remembered from earlier syncs.
    pub failed_pod_backoff: FailedPodBackoff,
    /// Most creations (and, separately, deletions) per step; upstream's `BurstReplicas`.
    pub burst_replicas: usize,
    /// Enable the alpha `Lt`/`Gt` toleration operators (`TaintTolerationComparisonOperators`).
    pub taint_toleration_comparison_operators: bool,
    /// Do not create a pod on a node where it cannot fit (resources, host ports); such nodes
    /// are reported as blocked. Off by default, as upstream leaves fit to the scheduler.
    pub strict_fit: bool,
    /// Render created pods with `spec.nodeName` set instead of the node-affinity pin.
    pub pin_with_node_name: bool,
    /// Rollout controls (pause, partition, canary selector, order).
    pub rollout: RolloutControls,
}

impl Options {
    /// Upstream defaults at time `now`.
    pub fn at(now: Timestamp) -> Options {
        Options {
            now,
            failed_pod_backoff: FailedPodBackoff::default(),
            burst_replicas: BURST_REPLICAS,
            taint_toleration_comparison_operators: false,
            strict_fit: false,
            pin_with_node_name: false,
            rollout: RolloutControls::default(),
        }
    }
}
