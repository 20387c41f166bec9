//! `DaemonSetStatus`: what the controller writes, computed from the snapshot.

use serde::Serialize;

use crate::api;

/// The status a DaemonSet reports, with apps/v1 field names when serialized.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonSetStatus {
    /// Nodes that should run the daemon pod.
    pub desired_number_scheduled: i64,
    /// Nodes that should run the daemon pod and run at least one.
    pub current_number_scheduled: i64,
    /// Nodes that run a daemon pod but should not.
    pub number_misscheduled: i64,
    /// Nodes that should run the pod whose (oldest) pod is Ready.
    pub number_ready: i64,
    /// Nodes whose (oldest) pod runs the current template.
    pub updated_number_scheduled: i64,
    /// Nodes whose (oldest) pod has been Ready for minReadySeconds.
    pub number_available: i64,
    /// `desired_number_scheduled - number_available`.
    pub number_unavailable: i64,
    /// The generation this status describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Hash-collision counter used to name revisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collision_count: Option<i64>,
}

impl DaemonSetStatus {
    pub(crate) fn from_doc(doc: Option<&api::DaemonSetStatusDoc>) -> DaemonSetStatus {
        let Some(d) = doc else {
            return DaemonSetStatus::default();
        };
        DaemonSetStatus {
            desired_number_scheduled: d.desired_number_scheduled.unwrap_or(0),
            current_number_scheduled: d.current_number_scheduled.unwrap_or(0),
            number_misscheduled: d.number_misscheduled.unwrap_or(0),
            number_ready: d.number_ready.unwrap_or(0),
            updated_number_scheduled: d.updated_number_scheduled.unwrap_or(0),
            number_available: d.number_available.unwrap_or(0),
            number_unavailable: d.number_unavailable.unwrap_or(0),
            observed_generation: d.observed_generation,
            collision_count: d.collision_count,
        }
    }
}

/// `kubectl rollout status` for a DaemonSet, plus this crate's Blocked state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
#[non_exhaustive]
pub enum RolloutStatus {
    /// Every desired node runs an updated, available pod.
    Done {
        /// kubectl's message.
        message: String,
    },
    /// The rollout is moving.
    Progressing {
        /// kubectl's message.
        message: String,
    },
    /// The rollout cannot progress; [`Plan::stuck`](crate::Plan::stuck) says why.
    Blocked {
        /// kubectl's message, followed by the reason.
        message: String,
    },
    /// The strategy is not RollingUpdate: kubectl refuses.
    Unsupported {
        /// kubectl's error.
        message: String,
    },
}

impl RolloutStatus {
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            RolloutStatus::Done { message }
            | RolloutStatus::Progressing { message }
            | RolloutStatus::Blocked { message }
            | RolloutStatus::Unsupported { message } => message,
        }
    }

    /// Whether the rollout is finished.
    pub fn is_done(&self) -> bool {
        matches!(self, RolloutStatus::Done { .. })
    }
}

/// kubectl's rollout status for `name` given its strategy, generation and status.
// upstream: kubectl rollout_status.go DaemonSetStatusViewer.Status
pub(crate) fn rollout_status(
    name: &str,
    rolling: bool,
    generation: Option<i64>,
    status: &DaemonSetStatus,
    blocked: Option<&str>,
) -> RolloutStatus {
    if !rolling {
        return RolloutStatus::Unsupported {
            message: "rollout status is only available for RollingUpdate strategy type".into(),
        };
    }
    if generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return RolloutStatus::Progressing {
            message: "Waiting for daemon set spec update to be observed...".into(),
        };
    }
    let message = if status.updated_number_scheduled < status.desired_number_scheduled {
        format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {} out of {} new pods have been updated...",
            status.updated_number_scheduled, status.desired_number_scheduled
        )
    } else if status.number_available < status.desired_number_scheduled {
        format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {} of {} updated pods are available...",
            status.number_available, status.desired_number_scheduled
        )
    } else {
        return RolloutStatus::Done {
            message: format!("daemon set \"{name}\" successfully rolled out"),
        };
    };
    match blocked {
        Some(why) => RolloutStatus::Blocked {
            message: format!("{message} blocked: {why}"),
        },
        None => RolloutStatus::Progressing { message },
    }
}
