//! Revision history: the template hash, the current revision, revisions to create, renumber
//! and delete, and rollback.

use serde::Serialize;

use crate::error::Error;
use crate::snapshot::{ControllerRevision, Snapshot};
use crate::spec::{DaemonSet, Ownership, REVISION_HASH_LABEL};

/// Write `value` as JSON with object keys sorted, so equal templates hash equally whatever
/// order their fields were written in.
fn canonical_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                canonical_json(&map[k.as_str()], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of a template: 32-bit FNV-1a over its canonical JSON (and the collision count),
/// written in decimal with each digit mapped as upstream's `SafeEncodeString` maps it.
// upstream: controller_utils.go ComputeHash (our own byte stream; see README)
pub(crate) fn compute_hash(template: &serde_json::Value, collision_count: Option<i64>) -> String {
    let mut text = String::new();
    canonical_json(template, &mut text);
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u32::from(*b);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(text.as_bytes());
    if let Some(c) = collision_count {
        // Truncation to 32 bits mirrors upstream's uint32(collisionCount).
        let c = c as u32;
        feed(&c.to_le_bytes());
        feed(&[0, 0, 0, 0]);
    }
    hash.to_string()
        .bytes()
        .map(|d| match d {
            b'0' => '4',
            b'1' => '5',
            b'2' => '6',
            b'3' => '7',
            b'4' => '8',
            b'5' => '9',
            b'6' => 'b',
            b'7' => 'c',
            b'8' => 'd',
            _ => 'f',
        })
        .collect()
}

/// The revisions the DaemonSet controls or would adopt: same namespace, and either its
/// controller reference points at the DaemonSet, or it is an orphan whose labels match the
/// selector.
// upstream: update.go controlledHistories
pub(crate) fn owned_revisions<'s>(
    ds: &DaemonSet,
    snapshot: &'s Snapshot,
) -> Vec<&'s ControllerRevision> {
    snapshot
        .revisions()
        .iter()
        .filter(|r| matches!(revision_state(ds, r), Ownership::Keep | Ownership::Adopt))
        .collect()
}

fn revision_state(ds: &DaemonSet, r: &ControllerRevision) -> Ownership {
    ds.ownership(&r.namespace, r.controller.as_ref(), &r.labels, false)
}

/// The revisions `kubectl rollout history` and `rollout undo` see: selected by the
/// DaemonSet's selector and controlled by it (orphans are not, until the controller adopts
/// them).
// upstream: kubectl history.go controlledHistory
fn controlled_revisions<'s>(ds: &DaemonSet, snapshot: &'s Snapshot) -> Vec<&'s ControllerRevision> {
    snapshot
        .revisions()
        .iter()
        .filter(|r| r.namespace == ds.namespace && ds.selector.matches(&r.labels))
        .filter(|r| r.controller.as_ref().is_some_and(|c| ds.owns(c)))
        .collect()
}

/// Whether a revision stores exactly this DaemonSet's template.
// upstream: update.go Match
pub(crate) fn matches_template(ds: &DaemonSet, revision: &ControllerRevision) -> bool {
    revision
        .template()
        .is_some_and(|t| crate::defaults::same_template(&t, &ds.template.raw))
}

/// A ControllerRevision the plan asks to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionToCreate {
    /// `<ds>-<hash>`.
    pub name: String,
    /// The `controller-revision-hash` value.
    pub hash: String,
    /// The revision number.
    pub revision: i64,
}

/// A ControllerRevision whose number the plan changes (rollback to an older template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionToRenumber {
    /// The revision's name.
    pub name: String,
    /// Its number now.
    pub from: i64,
    /// Its new number.
    pub to: i64,
}

/// A ControllerRevision the plan asks to delete, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionToDelete {
    /// The revision's name.
    pub name: String,
    /// Its number.
    pub revision: i64,
    /// Why it goes.
    pub reason: RevisionDeleteReason,
}

/// Why a revision is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum RevisionDeleteReason {
    /// Beyond `revisionHistoryLimit` and used by no live pod.
    HistoryLimit,
    /// Another revision with the same template is kept.
    Duplicate,
}

/// What the plan does to the revision history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionPlan {
    /// The revision to create when none stores the current template.
    pub create: Option<RevisionToCreate>,
    /// Revisions to renumber.
    pub renumber: Vec<RevisionToRenumber>,
    /// Revisions to delete.
    pub delete: Vec<RevisionToDelete>,
    /// Orphan revisions to adopt (patch the controller reference in).
    pub adopt: Vec<String>,
    /// Owned revisions whose labels no longer match the selector (reference removed).
    pub release: Vec<String>,
}

impl RevisionPlan {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.create.is_none()
            && self.renumber.is_empty()
            && self.delete.is_empty()
            && self.adopt.is_empty()
            && self.release.is_empty()
    }
}

/// The result of reading the history: the hash the sync uses and the planned changes
/// except cleanup (which needs the pods).
pub(crate) struct History<'s> {
    pub hash: String,
    pub plan: RevisionPlan,
    pub non_current: Vec<&'s ControllerRevision>,
}

// upstream: update.go constructHistory, dedupCurHistories, snapshot
pub(crate) fn construct<'s>(ds: &DaemonSet, snapshot: &'s Snapshot) -> History<'s> {
    let mut plan = RevisionPlan::default();
    for r in snapshot.revisions() {
        match revision_state(ds, r) {
            Ownership::Release => plan.release.push(r.name.clone()),
            Ownership::Adopt => plan.adopt.push(r.name.clone()),
            Ownership::Keep | Ownership::Ignore => {}
        }
    }
    let owned = owned_revisions(ds, snapshot);
    let (current, non_current): (Vec<&ControllerRevision>, Vec<&ControllerRevision>) =
        owned.into_iter().partition(|r| matches_template(ds, r));
    let max_other = non_current.iter().map(|r| r.revision).max().unwrap_or(0);
    let next = max_other.saturating_add(1);
    let hash = match current.as_slice() {
        [] => {
            let hash = free_hash(ds, snapshot);
            plan.create = Some(RevisionToCreate {
                name: format!("{}-{}", ds.name, hash),
                hash: hash.clone(),
                revision: next,
            });
            hash
        }
        several => {
            // Keep the highest revision; on a tie, the later one in list order.
            let mut keep = several[0];
            for r in several {
                if r.revision >= keep.revision {
                    keep = r;
                }
            }
            for r in several {
                if !std::ptr::eq(*r, keep) {
                    plan.delete.push(RevisionToDelete {
                        name: r.name.clone(),
                        revision: r.revision,
                        reason: RevisionDeleteReason::Duplicate,
                    });
                }
            }
            if keep.revision < next {
                plan.renumber.push(RevisionToRenumber {
                    name: keep.name.clone(),
                    from: keep.revision,
                    to: next,
                });
            }
            keep.hash().to_string()
        }
    };
    History {
        hash,
        plan,
        non_current,
    }
}

/// The hash for a new revision: the template's, or, when a revision with another template
/// already holds the name `<ds>-<hash>`, the hash with the next free collision count.
// upstream: update.go snapshot (on AlreadyExists the controller bumps status.collisionCount
// and the next sync hashes again; the plan takes that next hash at once)
fn free_hash(ds: &DaemonSet, snapshot: &Snapshot) -> String {
    let taken = |hash: &str| {
        let name = format!("{}-{}", ds.name, hash);
        snapshot
            .revisions()
            .iter()
            .any(|r| r.namespace == ds.namespace && r.name == name && !matches_template(ds, r))
    };
    let mut hash = ds.hash.clone();
    let mut count = ds.status.collision_count.unwrap_or(0);
    // Each step changes the 32-bit hash; a handful of steps always suffices in practice,
    // the bound only keeps a hostile snapshot from looping long.
    for _ in 0..64 {
        if !taken(&hash) {
            break;
        }
        let Some(next) = count.checked_add(1) else {
            break;
        };
        count = next;
        hash = compute_hash(&ds.template.raw, Some(count));
    }
    hash
}

/// Revisions beyond `revisionHistoryLimit` that no pod uses, oldest first.
// upstream: update.go cleanupHistory
pub(crate) fn cleanup(ds: &DaemonSet, history: &mut History<'_>, live_hashes: &[&str]) {
    let to_kill = history.non_current.len() as i64 - ds.revision_history_limit;
    if to_kill <= 0 {
        return;
    }
    let mut candidates = history.non_current.clone();
    candidates.sort_by_key(|r| r.revision);
    let mut left = to_kill;
    for r in candidates {
        if left <= 0 {
            break;
        }
        if live_hashes.contains(&r.hash()) {
            continue;
        }
        history.plan.delete.push(RevisionToDelete {
            name: r.name.clone(),
            revision: r.revision,
            reason: RevisionDeleteReason::HistoryLimit,
        });
        left -= 1;
    }
}

impl RevisionToCreate {
    /// The ControllerRevision object to submit, as JSON: labels from the template plus the
    /// hash, the DaemonSet's annotations, a controller owner reference, and the template as
    /// `data` (with `$patch: replace`, as upstream stores it).
    // upstream: update.go snapshot, getPatch
    pub fn render(&self, ds: &DaemonSet) -> serde_json::Value {
        render_revision(ds, self)
    }
}

fn render_revision(ds: &DaemonSet, create: &RevisionToCreate) -> serde_json::Value {
    let mut labels = ds.template.labels.clone();
    labels.insert(REVISION_HASH_LABEL.into(), create.hash.as_str().into());
    let mut template = ds.template.raw.clone();
    if let Some(obj) = template.as_object_mut() {
        obj.insert("$patch".into(), "replace".into());
    }
    let mut owner = serde_json::json!({
        "apiVersion": ds.api_version,
        "kind": "DaemonSet",
        "name": ds.name,
        "controller": true,
        "blockOwnerDeletion": true,
    });
    if let Some(uid) = &ds.uid {
        owner["uid"] = uid.clone().into();
    }
    let mut metadata = serde_json::json!({
        "name": create.name,
        "namespace": ds.namespace,
        "labels": labels,
        "ownerReferences": [owner],
    });
    if !ds.annotations.is_empty() {
        metadata["annotations"] = serde_json::to_value(&ds.annotations).unwrap_or_default();
    }
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": metadata,
        "data": {"spec": {"template": template}},
        "revision": create.revision,
    })
}

/// One line of `kubectl rollout history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The revision number.
    pub revision: i64,
    /// The `kubernetes.io/change-cause` annotation, if any.
    pub change_cause: Option<String>,
    /// The revision's name.
    pub name: String,
    /// The revision's hash.
    pub hash: String,
}

/// The DaemonSet's revisions in ascending order, as `kubectl rollout history` lists them.
// upstream: kubectl history.go DaemonSetHistoryViewer.ViewHistory
pub fn rollout_history(ds: &DaemonSet, snapshot: &Snapshot) -> Vec<HistoryEntry> {
    let mut out: Vec<HistoryEntry> = controlled_revisions(ds, snapshot)
        .into_iter()
        .map(|r| HistoryEntry {
            revision: r.revision,
            change_cause: r
                .annotations
                .get("kubernetes.io/change-cause")
                .map(|v| v.to_string()),
            name: r.name.clone(),
            hash: r.hash().to_string(),
        })
        .collect();
    out.sort_by(|a, b| (a.revision, &a.name).cmp(&(b.revision, &b.name)));
    out
}

/// The DaemonSet with the template of revision `to_revision` (default: the previous one),
/// as `kubectl rollout undo daemonset --to-revision` computes it.
///
/// # Errors
/// [`Error::UnknownRevision`] (listing the known revisions) when the revision is not in the
/// history or is negative; [`Error::NoPreviousRevision`] when no revision is given and the
/// history has at most one.
// upstream: kubectl rollback.go DaemonSetRollbacker.Rollback
pub fn rollback(
    ds: &DaemonSet,
    snapshot: &Snapshot,
    to_revision: Option<i64>,
) -> Result<DaemonSet, Error> {
    let mut history = controlled_revisions(ds, snapshot);
    history.sort_by_key(|r| r.revision);
    let known: Vec<i64> = history.iter().map(|r| r.revision).collect();
    let target = match to_revision {
        Some(n) if n < 0 => {
            return Err(Error::UnknownRevision { revision: n, known });
        }
        Some(0) | None => {
            if history.len() <= 1 {
                return Err(Error::NoPreviousRevision);
            }
            history[history.len() - 2]
        }
        Some(n) => match history.iter().find(|r| r.revision == n) {
            Some(r) => *r,
            None => return Err(Error::UnknownRevision { revision: n, known }),
        },
    };
    let Some(template) = target.template() else {
        return Err(Error::parse(
            "data.spec.template",
            format!("revision {} stores no template", target.revision),
        ));
    };
    ds.with_template_json(&template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_key_order() {
        let a = serde_json::json!({"a": 1, "b": {"c": [1, 2], "d": "x"}});
        let b = serde_json::json!({"b": {"d": "x", "c": [1, 2]}, "a": 1});
        assert_eq!(compute_hash(&a, None), compute_hash(&b, None));
        assert_ne!(compute_hash(&a, None), compute_hash(&a, Some(1)));
        assert!(
            compute_hash(&a, None)
                .bytes()
                .all(|c| b"456789bcdf".contains(&c))
        );
    }
}
