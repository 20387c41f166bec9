//! Placement: for one node, should the daemon pod run here, may it keep running, and why not.

use serde::Serialize;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use crate::compact::{MISSING as MISSING_ID, Matcher};
use crate::options::Options;
use crate::quantity::{Quantity, QuantityFormat};
use crate::resources::Protocol;
use crate::snapshot::{Node, Snapshot};
use crate::spec::DaemonSet;
use crate::taints::{TaintEffect, first_untolerated};

/// Why a daemon pod does not (or cannot) run on a node.
///
/// A decision lists its reasons in a fixed order: the template's node name; each failing
/// `nodeSelector` entry, in manifest order; node affinity; each untolerated `NoSchedule` or
/// `NoExecute` taint, in the node's order; then fit: resources by name, the pod count, and
/// host ports in the template's order. `Display` reads like a scheduler event:
///
/// ```
/// use daemonset_planner::{Reason, TaintEffect};
/// let taint = Reason::UntoleratedTaint {
///     key: "maintenance".into(),
///     value: "true".into(),
///     effect: TaintEffect::NoSchedule,
/// };
/// assert_eq!(taint.to_string(), "node(s) had untolerated taint {maintenance: true}");
/// let memory = Reason::InsufficientResource {
///     resource: "memory".into(),
///     requested: "256Mi".parse().unwrap(),
///     free: "100Mi".parse().unwrap(),
/// };
/// assert_eq!(memory.to_string(), "insufficient memory: requested 256Mi, free 100Mi");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Reason {
    /// The template's `nodeName` names another node.
    NodeNameMismatch {
        /// The node the template is pinned to.
        wanted: Arc<str>,
    },
    /// A `nodeSelector` entry is missing or differs on the node.
    NodeSelectorMismatch {
        /// The label key.
        key: Arc<str>,
        /// The value the DaemonSet wants.
        wanted: Arc<str>,
        /// The value the node has, if any.
        found: Option<Arc<str>>,
    },
    /// No required node-affinity term matches the node.
    NodeAffinityMismatch,
    /// A taint the daemon pod does not tolerate. A `NoSchedule` taint stops new pods only;
    /// a `NoExecute` taint also removes running ones.
    UntoleratedTaint {
        /// The taint key.
        key: Arc<str>,
        /// The taint value.
        value: Arc<str>,
        /// The taint effect.
        effect: TaintEffect,
    },
    /// Not enough of a resource left for the daemon pod (upstream leaves the pod Pending).
    /// Checked: `cpu`, `memory`, `ephemeral-storage`, huge pages, extended resources such as
    /// `nvidia.com/gpu`, and the pod count (`pods`), against the node's allocatable minus the
    /// requests of the other live pods bound to it (this DaemonSet's own pod there excluded:
    /// the new one replaces it).
    InsufficientResource {
        /// The resource name (`cpu`, `memory`, `nvidia.com/gpu`, `pods`).
        resource: Arc<str>,
        /// What the daemon pod requests.
        requested: Quantity,
        /// What is left on the node for it.
        free: Quantity,
    },
    /// A host port the daemon pod needs is taken by another pod on the node.
    HostPortConflict {
        /// The port.
        port: i32,
        /// The protocol.
        protocol: Protocol,
        /// The pod holding it (`namespace/name`).
        pod: Arc<str>,
    },
}

impl Reason {
    /// Whether this reason is about fit (resources, ports) rather than eligibility.
    pub fn is_fit(&self) -> bool {
        matches!(
            self,
            Reason::InsufficientResource { .. } | Reason::HostPortConflict { .. }
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NodeNameMismatch { wanted } => {
                write!(f, "node(s) didn't match the requested node name {wanted:?}")
            }
            Reason::NodeSelectorMismatch { key, wanted, found } => match found {
                Some(found) => write!(
                    f,
                    "node(s) didn't match Pod's node selector: {key}={wanted} wanted, node has {key}={found}"
                ),
                None => write!(
                    f,
                    "node(s) didn't match Pod's node selector: {key}={wanted} wanted, node has no {key} label"
                ),
            },
            Reason::NodeAffinityMismatch => {
                f.write_str("node(s) didn't match Pod's node affinity/selector")
            }
            Reason::UntoleratedTaint { key, value, .. } => {
                write!(f, "node(s) had untolerated taint {{{key}: {value}}}")
            }
            Reason::InsufficientResource {
                resource,
                requested,
                free,
            } => {
                write!(
                    f,
                    "insufficient {resource}: requested {requested}, free {free}"
                )
            }
            Reason::HostPortConflict {
                port,
                protocol,
                pod,
            } => {
                write!(
                    f,
                    "node(s) didn't have free ports for the requested pod ports: {port}/{protocol} is used by pod {pod}"
                )
            }
        }
    }
}

/// The reasons of a [`NodeDecision`]: a shared, immutable list that reads like a slice.
///
/// Nodes that fail for the same reasons (the same missing label, the same taint, the same
/// shortfall) share one list, so explaining many ineligible nodes costs a reference count
/// each rather than a list each. Index it, iterate it, compare it with a `Vec` or an array,
/// or copy it out with `to_vec()`.
///
/// ```
/// use daemonset_planner::{Reason, Reasons};
/// let reasons = Reasons::from(vec![Reason::NodeAffinityMismatch]);
/// assert_eq!(reasons.len(), 1);
/// assert_eq!(reasons[0], Reason::NodeAffinityMismatch);
/// assert_eq!(reasons, vec![Reason::NodeAffinityMismatch]);
/// assert!(Reasons::default().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Reasons(Option<Arc<List>>);

impl PartialEq for Reasons {
    fn eq(&self, other: &Reasons) -> bool {
        self.ptr_eq(other) || self.as_slice() == other.as_slice()
    }
}

impl Eq for Reasons {}

/// The shared part of [`Reasons`]: one allocation for the usual single reason.
enum List {
    One(Reason),
    Many(Vec<Reason>),
}

impl Reasons {
    /// The reasons as a slice.
    pub fn as_slice(&self) -> &[Reason] {
        match self.0.as_deref() {
            None => &[],
            Some(List::One(reason)) => std::slice::from_ref(reason),
            Some(List::Many(reasons)) => reasons,
        }
    }

    /// Whether two lists are the same shared list (not merely equal).
    pub fn ptr_eq(&self, other: &Reasons) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl std::ops::Deref for Reasons {
    type Target = [Reason];
    fn deref(&self) -> &[Reason] {
        self.as_slice()
    }
}

impl fmt::Debug for Reasons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl From<Vec<Reason>> for Reasons {
    fn from(mut reasons: Vec<Reason>) -> Reasons {
        // A thin pointer: a decision stays two words.
        match reasons.len() {
            0 => Reasons(None),
            1 => Reasons(reasons.pop().map(|r| Arc::new(List::One(r)))),
            _ => Reasons(Some(Arc::new(List::Many(reasons)))),
        }
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Reasons {
        Reasons::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a Reasons {
    type Item = &'a Reason;
    type IntoIter = std::slice::Iter<'a, Reason>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq<Vec<Reason>> for Reasons {
    fn eq(&self, other: &Vec<Reason>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<[Reason]> for Reasons {
    fn eq(&self, other: &[Reason]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<[Reason; N]> for Reasons {
    fn eq(&self, other: &[Reason; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<Reasons> for Vec<Reason> {
    fn eq(&self, other: &Reasons) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// Reason lists already built during one plan, by a signature of ids that determines them,
/// so nodes failing the same way share one list.
#[derive(Debug, Default)]
pub(crate) struct ReasonMemo {
    /// Signatures of up to three ids, packed with their length.
    short: RefCell<HashMap<u128, Reasons, BuildHasherDefault<IdHasher>>>,
    long: RefCell<LongMemo>,
    key: RefCell<Vec<u32>>,
}

/// Longer signatures: one entry per hash, its key kept in one shared buffer (no allocation
/// per key); a key whose hash is already taken by another key goes to `collided`.
#[derive(Debug, Default)]
struct LongMemo {
    /// Hash of the key, to where the key sits in `keys` (start, length) and its list.
    by_hash: HashMap<u64, (u32, u32, Reasons), BuildHasherDefault<IdHasher>>,
    keys: Vec<u32>,
    collided: HashMap<Box<[u32]>, Reasons, BuildHasherDefault<IdHasher>>,
}

impl ReasonMemo {
    /// The list for the signature `fill` writes, built by `build` from the signature the first
    /// time it is seen.
    pub(crate) fn lookup(
        &self,
        fill: impl FnOnce(&mut Vec<u32>),
        build: impl FnOnce(&[u32]) -> Vec<Reason>,
    ) -> Reasons {
        let mut key = self.key.borrow_mut();
        key.clear();
        fill(&mut key);
        if key.is_empty() {
            // Nothing to explain (a node where the pod fits after all).
            return Reasons::default();
        }
        if key.len() <= 3 {
            let packed = key
                .iter()
                .enumerate()
                .fold((key.len() as u128) << 96, |acc, (i, &w)| {
                    acc | (u128::from(w) << (32 * i))
                });
            let mut short = self.short.borrow_mut();
            return short
                .entry(packed)
                .or_insert_with(|| Reasons::from(build(&key)))
                .clone();
        }
        let hash = {
            use std::hash::Hasher;
            let mut h = IdHasher::default();
            key.iter().for_each(|&w| h.write_u32(w));
            h.write_usize(key.len());
            h.finish()
        };
        let mut long = self.long.borrow_mut();
        let long = &mut *long;
        match long.by_hash.get(&hash) {
            Some((start, len, found)) => {
                let (start, len) = (*start as usize, *len as usize);
                if long.keys[start..start + len] == key[..] {
                    return found.clone();
                }
                if let Some(found) = long.collided.get(key.as_slice()) {
                    return found.clone();
                }
                let reasons = Reasons::from(build(&key));
                long.collided.insert(key.as_slice().into(), reasons.clone());
                reasons
            }
            None => {
                let reasons = Reasons::from(build(&key));
                let start = long.keys.len() as u32;
                long.keys.extend_from_slice(&key);
                long.by_hash
                    .insert(hash, (start, key.len() as u32, reasons.clone()));
                reasons
            }
        }
    }
}

/// A fast hash for short lists of ids (the multiply-rotate step of rustc's FxHasher). Keys
/// are ids and amounts from the snapshot, so a hostile snapshot could aim for collisions; the
/// worst case is a slower memo (one entry per node), never a wrong list: keys are compared
/// in full.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }
}

/// The decision for one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDecision {
    /// A daemon pod should run here (upstream `shouldRun`): create one if missing.
    pub should_run: bool,
    /// An existing daemon pod may stay (upstream `shouldContinueRunning`).
    pub should_continue_running: bool,
    /// Whether the pod fits (resources, host ports); checked only where `should_run`, true
    /// elsewhere. Upstream ignores fit; this crate only reports it, unless
    /// [`Options::strict_fit`] is on.
    pub fits: bool,
    /// Why not, in a fixed order; empty when the pod runs and fits.
    pub reasons: Reasons,
}

impl NodeDecision {
    /// The reasons as a slice (the same as `&decision.reasons[..]`).
    pub fn reasons(&self) -> &[Reason] {
        self.reasons.as_slice()
    }

    /// Whether the plan may create a pod here under `options` (eligible, and fitting when
    /// `strict_fit` is on).
    pub fn may_create(&self, options: &Options) -> bool {
        self.should_run && (self.fits || !options.strict_fit)
    }
}

/// Decide for one node, without looking at the pods on it (so without fit): the template's
/// node name, node selector, required node affinity and taints. Allocates nothing when the
/// node is eligible.
// upstream: daemon_controller.go NodeShouldRunDaemonPod
pub fn node_decision(ds: &DaemonSet, node: &Node, options: &Options) -> NodeDecision {
    let mut reasons = Vec::new();
    let (should_run, should_continue_running) = eligibility(ds, node, options, &mut reasons);
    NodeDecision {
        should_run,
        should_continue_running,
        fits: true,
        reasons: reasons.into(),
    }
}

/// `(should_run, should_continue_running)` for `node`, with the reasons against it.
fn eligibility(
    ds: &DaemonSet,
    node: &Node,
    options: &Options,
    reasons: &mut Vec<Reason>,
) -> (bool, bool) {
    let spec = &ds.template.spec;
    if let Some(wanted) = &spec.node_name
        && *wanted != node.name
    {
        reasons.push(Reason::NodeNameMismatch {
            wanted: wanted.as_str().into(),
        });
        return (false, false);
    }
    let mut fits_affinity = true;
    for (key, wanted) in &spec.node_selector {
        let found = node.labels.get(key);
        if found != Some(wanted) {
            fits_affinity = false;
            reasons.push(Reason::NodeSelectorMismatch {
                key: key.as_str().into(),
                wanted: wanted.as_str().into(),
                found: found.map(|f| f.as_str().into()),
            });
        }
    }
    if let Some(required) = &spec.required_node_affinity
        && !required.matches(&node.name, &node.labels)
    {
        fits_affinity = false;
        reasons.push(Reason::NodeAffinityMismatch);
    }
    if !fits_affinity {
        return (false, false);
    }
    let cmp = options.taint_toleration_comparison_operators;
    let tolerations = &ds.compiled.tolerations;
    let blocks_new = |e: TaintEffect| matches!(e, TaintEffect::NoSchedule | TaintEffect::NoExecute);
    if first_untolerated(&node.taints, tolerations, blocks_new, cmp).is_none() {
        return (true, true);
    }
    let keeps_running = first_untolerated(
        &node.taints,
        tolerations,
        |e| e == TaintEffect::NoExecute,
        cmp,
    )
    .is_none();
    for taint in &node.taints {
        if blocks_new(taint.effect) && !tolerations.iter().any(|t| t.tolerates(taint, cmp)) {
            reasons.push(Reason::UntoleratedTaint {
                key: taint.key.as_str().into(),
                value: taint.value.as_str().into(),
                effect: taint.effect,
            });
        }
    }
    (false, keeps_running)
}

/// Decide for the node at `index` of the snapshot, fit included.
#[cfg(test)]
pub(crate) fn decide(
    ds: &DaemonSet,
    snapshot: &Snapshot,
    index: usize,
    options: &Options,
) -> NodeDecision {
    let node = &snapshot.nodes()[index];
    let mut decision = node_decision(ds, node, options);
    if decision.should_run {
        let own = snapshot.pod_index().classes_of(ds, snapshot.pods());
        check_fit(ds, snapshot, index, &own, &mut decision);
    }
    decision
}

/// Decisions for every node of the snapshot, in the snapshot's node order.
///
/// # Example
/// ```
/// use daemonset_planner::{placement, DaemonSet, Options, Snapshot};
/// let ds = DaemonSet::from_yaml(r#"
/// apiVersion: apps/v1
/// kind: DaemonSet
/// metadata: {name: agent}
/// spec:
///   selector: {matchLabels: {app: agent}}
///   template:
///     metadata: {labels: {app: agent}}
///     spec:
///       nodeSelector: {disk: ssd}
///       containers: [{name: agent, image: agent:1}]
/// "#)?;
/// let snapshot = Snapshot::from_yaml(r#"
/// {apiVersion: v1, kind: Node, metadata: {name: a, labels: {disk: ssd}}}
/// ---
/// {apiVersion: v1, kind: Node, metadata: {name: b}}
/// "#)?;
/// let options = Options::at("2026-01-01T00:00:00Z".parse().unwrap());
/// let decisions = placement(&ds, &snapshot, &options);
/// assert!(decisions[0].should_run);
/// assert!(!decisions[1].should_run);
/// assert_eq!(
///     decisions[1].reasons[0].to_string(),
///     "node(s) didn't match Pod's node selector: disk=ssd wanted, node has no disk label"
/// );
/// # Ok::<(), daemonset_planner::Error>(())
/// ```
pub fn placement(ds: &DaemonSet, snapshot: &Snapshot, options: &Options) -> Vec<NodeDecision> {
    let index = snapshot.node_index();
    let matcher = Matcher::compile(ds, index, options);
    let fit = Fit::new(ds, snapshot);
    let nodes = snapshot.nodes();
    // Selector, affinity and the quick fit test are worked out a column at a time; a node is
    // then decided from three bits and its taints.
    let prepared = matcher.prepare(index);
    (0..nodes.len())
        .map(|i| {
            // The compiled matcher decides without allocating when the node is eligible and
            // the pod surely fits; only a node that may not fit takes the full fit check. The
            // node itself is read only when the index has no current copy of it, or for its
            // name when the template names nodes.
            let (mut decision, sure) = if index.is_stale(i) {
                (node_decision(ds, &nodes[i], options), false)
            } else if let Some(prepared) = &prepared {
                matcher.decide_prepared(index, prepared, i)
            } else {
                let decision = matcher.decide(index, i, &nodes[i].name);
                let sure = decision.should_run && matcher.surely_fits(index, i);
                (decision, sure)
            };
            if decision.should_run && !sure {
                fit.check(i, &mut decision);
            }
            decision
        })
        .collect()
}

/// Whether the scheduler's resource fit looks at this resource: cpu, memory,
/// ephemeral-storage, huge pages and extended resources (`vendor.example/thing`). Anything
/// else a container may list (`pods`, `kubernetes.io/...`) is not checked.
// upstream: scheduler noderesources fit.go fitsRequest, v1helper IsScalarResourceName
pub(crate) fn is_fit_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage")
        || name.starts_with("hugepages-")
        || (name.contains('/') && !name.contains("kubernetes.io/"))
}

/// Resources, the pod count and host ports, against what the other pods bound to the node
/// hold, for one node (the `Replanner`'s path; `placement()` keeps one [`Fit`] per plan).
// upstream: scheduler noderesources fit.go fitsRequest, nodeports.go fitsPorts
///
/// `own_classes` are the owner classes of the DaemonSet's pods
/// ([`PodIndex::classes_of`](crate::pod_index::PodIndex::classes_of)).
pub(crate) fn check_fit(
    ds: &DaemonSet,
    snapshot: &Snapshot,
    index: usize,
    own_classes: &[u32],
    decision: &mut NodeDecision,
) {
    Fit::with_classes(ds, snapshot, Cow::Borrowed(own_classes)).check(index, decision)
}

// Tags of a fit signature (see `Fit::signature`).
const FIT_RESOURCE: u32 = 0;
const FIT_PODS: u32 = 1;
const FIT_PORT: u32 = 2;

/// Words a quantity takes in a signature: its nanos (four) and its format.
const QUANTITY_WORDS: usize = 5;

fn push_quantity(key: &mut Vec<u32>, q: Quantity) {
    let nanos = q.nanos() as u128;
    key.extend((0..4).map(|i| (nanos >> (32 * i)) as u32));
    key.push(match q.format() {
        QuantityFormat::DecimalSI => 0,
        QuantityFormat::BinarySI => 1,
        QuantityFormat::DecimalExponent => 2,
    });
}

fn read_quantity(words: &[u32]) -> Quantity {
    let nanos = (0..4).fold(0u128, |n, i| n | (u128::from(words[i]) << (32 * i))) as i128;
    let format = match words[4] {
        0 => QuantityFormat::DecimalSI,
        1 => QuantityFormat::BinarySI,
        _ => QuantityFormat::DecimalExponent,
    };
    Quantity::from_nanos(nanos).with_format(format)
}

/// The fit check of one DaemonSet against one snapshot: the daemon pod's requests resolved
/// to the snapshot's resource ids once, and its own pods found once when first needed.
pub(crate) struct Fit<'a> {
    ds: &'a DaemonSet,
    snapshot: &'a Snapshot,
    /// `(resource id, name, request)` of each positive request of a resource the scheduler
    /// checks, in name order.
    requests: Vec<(u32, Arc<str>, Quantity)>,
    /// The owner classes of the DaemonSet's own pods (usually one).
    own_classes: Cow<'a, [u32]>,
    /// The pods whose controller is a DaemonSet of this name, by node
    /// ([`Snapshot::daemon_set_pods_by_node`]), looked up when first needed.
    by_node: std::cell::OnceCell<&'a [(u32, u32)]>,
    /// The reason lists built so far, by signature.
    memo: ReasonMemo,
}

impl<'a> Fit<'a> {
    /// A fit check of `ds` on the nodes of `snapshot`.
    pub(crate) fn new(ds: &'a DaemonSet, snapshot: &'a Snapshot) -> Fit<'a> {
        let classes = snapshot.pod_index().classes_of(ds, snapshot.pods());
        Fit::with_classes(ds, snapshot, Cow::Owned(classes))
    }

    /// [`Fit::new`] with the owner classes of the DaemonSet's pods already known.
    pub(crate) fn with_classes(
        ds: &'a DaemonSet,
        snapshot: &'a Snapshot,
        own_classes: Cow<'a, [u32]>,
    ) -> Fit<'a> {
        let idx = snapshot.node_index();
        let requests = ds
            .compiled
            .requests
            .iter()
            .filter(|(res, q)| q.is_positive() && is_fit_resource(res))
            .map(|(res, q)| {
                let id = idx.string_id(res);
                let name = if id == MISSING_ID {
                    Arc::from(res.as_str())
                } else {
                    idx.string(id).to_arc()
                };
                (id, name, *q)
            })
            .collect();
        Fit {
            ds,
            snapshot,
            requests,
            own_classes,
            by_node: std::cell::OnceCell::new(),
            memo: ReasonMemo::default(),
        }
    }

    /// Whether pod `p` is live (not terminal) and bound to node `index`.
    fn live_on(&self, p: usize, index: usize) -> bool {
        use crate::pod_index::{BOUND, TERMINAL};
        self.snapshot.pod_index().flags(p) & (BOUND | TERMINAL) == BOUND
            && self.snapshot.pod_node(p) == Some(index)
    }

    /// Whether pod `p` is a live pod of this DaemonSet bound to node `index` (by owner class,
    /// as claiming goes).
    fn is_own_bound(&self, p: usize, index: usize) -> bool {
        self.live_on(p, index)
            && self
                .own_classes
                .contains(&self.snapshot.pod_index().owner_class(p))
    }

    /// Whether the port held by pod `p` on node `index` is the DaemonSet's own (a new daemon
    /// pod replaces it): a live pod bound there whose controller is this DaemonSet by
    /// [`DaemonSet::owns`] (its uid when both have one), whatever name the reference carries.
    fn holds_own_port(&self, p: usize, index: usize) -> bool {
        self.live_on(p, index)
            && self
                .snapshot
                .pod_index()
                .controlled_by(self.ds, self.snapshot.pods(), p)
    }

    /// The live pods of this DaemonSet bound to node `index`, in pod order.
    fn own_on(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let by_node = *self.by_node.get_or_init(|| {
            self.snapshot
                .daemon_set_pods_by_node(&self.ds.namespace, &self.ds.name)
        });
        let start = by_node.partition_point(|&(n, _)| (n as usize) < index);
        by_node[start..]
            .iter()
            .take_while(move |&&(n, _)| n as usize == index)
            .map(|&(_, p)| p as usize)
            .filter(move |&p| self.is_own_bound(p, index))
    }

    /// What the DaemonSet's `own` pods on a node request of resource `res` (a new daemon pod
    /// replaces them, so their share counts as free); `None` if none requests it.
    fn own_share(&self, own: impl Iterator<Item = usize>, res: u32) -> Option<Quantity> {
        let mut share: Option<Quantity> = None;
        for p in own {
            for &(r, q) in self.snapshot.daemon_pod_requests(p) {
                if r == res {
                    share = Some(share.unwrap_or(Quantity::ZERO).saturating_add(q));
                }
            }
        }
        share
    }

    /// Check node `index`, adding fit reasons to `decision` and setting `decision.fits`.
    pub(crate) fn check(&self, index: usize, decision: &mut NodeDecision) {
        let reasons = self
            .memo
            .lookup(|key| self.signature(index, key), |key| self.reasons_of(key));
        decision.fits = reasons.is_empty();
        decision.reasons = if decision.reasons.is_empty() {
            reasons
        } else {
            decision.reasons.iter().chain(&reasons).cloned().collect()
        };
    }

    /// Write what does not fit on node `index` as ids: for each short resource its request's
    /// position and what is free; the pod count; each taken host port and the pod holding it.
    fn signature(&self, index: usize, key: &mut Vec<u32>) {
        let (ds, snapshot) = (self.ds, self.snapshot);
        let idx = snapshot.node_index();
        // A replaced node is read from the snapshot, not from the index.
        let node = idx.is_stale(index).then(|| &snapshot.nodes()[index]);
        let usage = snapshot.usage(index);
        let has_allocatable = match node {
            Some(node) => !node.allocatable.is_empty(),
            None => idx.has_allocatable(index),
        };
        // A node that reports no allocatable at all (no status) tells nothing about its capacity.
        if has_allocatable {
            for (i, (id, name, requested)) in self.requests.iter().enumerate() {
                // From the free column when there is one: allocatable minus used, exactly.
                let column = if node.is_none() {
                    idx.free(index, *id)
                } else {
                    None
                };
                let mut free = match column {
                    // Enough free before counting the DaemonSet's own pods: nothing to explain.
                    Some(free) if *requested <= free => continue,
                    Some(free) => free,
                    None => {
                        let alloc = match node {
                            Some(node) => node.allocatable.get(name).copied(),
                            None if *id == MISSING_ID => None,
                            None => idx.alloc(index, *id),
                        };
                        let used = if *id == MISSING_ID {
                            None
                        } else {
                            idx.used(index, *id)
                        };
                        alloc
                            .unwrap_or(Quantity::ZERO)
                            .saturating_sub(used.unwrap_or(Quantity::ZERO))
                    }
                };
                if *requested > free
                    && let Some(q) = self.own_share(self.own_on(index), *id)
                {
                    free = free.saturating_add(q);
                }
                if *requested > free {
                    let shown = if free.is_negative() {
                        Quantity::ZERO.with_format(free.format())
                    } else {
                        free
                    };
                    key.extend([FIT_RESOURCE, i as u32]);
                    push_quantity(key, shown);
                }
            }
            // The scheduler reads a missing `pods` allocatable as zero.
            let allowed = match node {
                Some(node) => node.allocatable.get("pods").map_or(0, |q| q.units_ceil()),
                None => idx.pods(index).0.unwrap_or(0),
            };
            let mut used = i128::from(usage.pod_count);
            if used >= allowed {
                used -= self.own_on(index).count() as i128;
            }
            if used >= allowed {
                let free = (allowed - used).max(0).saturating_mul(1_000_000_000);
                key.push(FIT_PODS);
                push_quantity(key, Quantity::from_nanos(free));
            }
        }
        for (w, wanted) in ds.compiled.host_ports.iter().enumerate() {
            let taken = usage
                .host_ports
                .iter()
                .find(|(used, p)| used.conflicts_with(wanted) && !self.holds_own_port(*p, index));
            if let Some(&(_, p)) = taken {
                key.extend([FIT_PORT, w as u32, p as u32]);
            }
        }
    }

    /// The reasons a signature built by [`Fit::signature`] stands for.
    fn reasons_of(&self, key: &[u32]) -> Vec<Reason> {
        let mut reasons = Vec::new();
        let mut rest = key;
        while let Some((&tag, tail)) = rest.split_first() {
            rest = tail;
            match tag {
                FIT_RESOURCE => {
                    let (_, name, requested) = &self.requests[rest[0] as usize];
                    reasons.push(Reason::InsufficientResource {
                        resource: Arc::clone(name),
                        requested: *requested,
                        free: read_quantity(&rest[1..]),
                    });
                    rest = &rest[1 + QUANTITY_WORDS..];
                }
                FIT_PODS => {
                    reasons.push(Reason::InsufficientResource {
                        resource: "pods".into(),
                        requested: Quantity::from_units(1),
                        free: read_quantity(rest),
                    });
                    rest = &rest[QUANTITY_WORDS..];
                }
                _ => {
                    let wanted = &self.ds.compiled.host_ports[rest[0] as usize];
                    let pod = &self.snapshot.pods()[rest[1] as usize];
                    reasons.push(Reason::HostPortConflict {
                        port: wanted.port,
                        protocol: wanted.protocol,
                        pod: format!("{}/{}", pod.namespace, pod.name).into(),
                    });
                    rest = &rest[2..];
                }
            }
        }
        reasons
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use crate::snapshot::Pod;
    use crate::synth::{self, ClusterShape};

    fn daemon_sets() -> Vec<DaemonSet> {
        let mut out: Vec<DaemonSet> = (0..6).map(synth::daemon_set).collect();
        let specs = [
            "nodeSelector: {disk: ssd, pool: general}",
            "nodeName: node-000007",
            "tolerations: [{operator: Exists}]",
            "tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]",
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: rack, operator: In, values: [rack-1, rack-2]}, {key: missing, operator: DoesNotExist}]}, {matchFields: [{key: metadata.name, operator: In, values: [node-000003]}]}]}}}",
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: cores, operator: Gt, values: ['8']}]}, {matchFields: [{key: metadata.name, operator: NotIn, values: [node-000001]}]}]}}}",
            "hostNetwork: true",
            // Keys on few nodes: searched in the node's labels, not read from a column.
            "nodeSelector: {rare: 'yes'}",
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: rare, operator: NotIn, values: ['no']}, {key: rare-count, operator: Lt, values: ['3']}]}]}}}",
            // Terms without node names: decided from per-column bits (`Matcher::prepare`).
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: cores, operator: Gt, values: ['8']}]}, {matchExpressions: [{key: rack, operator: In, values: [rack-1, rack-2]}, {key: missing, operator: DoesNotExist}]}]}}}",
            "nodeSelector: {disk: ssd}\n      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: rare, operator: Exists}, {key: cores, operator: Lt, values: ['16']}]}, {matchExpressions: [{key: pool, operator: NotIn, values: [general]}]}]}}}",
        ];
        for (i, extra) in specs.iter().enumerate() {
            let yaml = format!(
                "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: x{i}}}\nspec:\n  selector: {{matchLabels: {{app: x}}}}\n  template:\n    metadata: {{labels: {{app: x}}}}\n    spec:\n      {extra}\n      containers: [{{name: x, image: x, ports: [{{containerPort: 9100, hostPort: 9100}}], resources: {{requests: {{cpu: 3500m, memory: 1Gi}}}}}}]\n"
            );
            out.push(DaemonSet::from_yaml(&yaml).unwrap());
        }
        // An extended resource few nodes have.
        let yaml = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: dongle}\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n      containers: [{name: x, image: x, resources: {requests: {example.com/dongle: 1, cpu: 10m}}}]\n";
        out.push(DaemonSet::from_yaml(yaml).unwrap());
        // Memory short with some left: the free amount keeps its binary format (`1536Mi`).
        let yaml = yaml
            .replace("name: dongle", "name: memory")
            .replace("example.com/dongle: 1, cpu: 10m", "memory: 15Gi");
        out.push(DaemonSet::from_yaml(&yaml).unwrap());
        out
    }

    /// The fit reasons of node `n`, recomputed from the pods without any index.
    fn reference_fit(ds: &DaemonSet, snapshot: &Snapshot, n: usize) -> Vec<String> {
        let zero = Quantity::ZERO;
        let node = &snapshot.nodes()[n];
        let bound: Vec<&Pod> = snapshot
            .pods()
            .iter()
            .filter(|p| p.node_name.as_deref() == Some(&node.name) && !p.phase.is_terminal())
            .collect();
        let own = |p: &Pod| {
            p.namespace == ds.namespace && p.controller.as_ref().is_some_and(|c| ds.owns(c))
        };
        let mut out = Vec::new();
        if !node.allocatable.is_empty() {
            let mut used = crate::resources::ResourceList::new();
            for p in &bound {
                for (r, q) in p.requests() {
                    let e = used.get_or_insert(r, zero);
                    *e = e.saturating_add(q);
                }
            }
            for (res, requested) in &ds.compiled.requests {
                if !requested.is_positive() || !is_fit_resource(res) {
                    continue;
                }
                let alloc = node.allocatable.get(res).copied().unwrap_or(zero);
                let mut free = alloc.saturating_sub(used.get(res).copied().unwrap_or(zero));
                if *requested > free {
                    let mut share: Option<Quantity> = None;
                    for p in bound.iter().filter(|p| own(p)) {
                        if let Some(q) = p.requests().get(res) {
                            share = Some(share.unwrap_or(zero).saturating_add(*q));
                        }
                    }
                    if let Some(q) = share {
                        free = free.saturating_add(q);
                    }
                }
                if *requested > free {
                    let free = if free.is_negative() {
                        zero.with_format(free.format())
                    } else {
                        free
                    };
                    out.push(format!(
                        "insufficient {res}: requested {requested}, free {free}"
                    ));
                }
            }
            let allowed = node.allocatable.get("pods").map_or(0, |q| q.units_ceil());
            let mut count = bound.len() as i128;
            if count >= allowed {
                count -= bound.iter().filter(|p| own(p)).count() as i128;
            }
            if count >= allowed {
                let free = Quantity::from_units(((allowed - count).max(0)) as i64);
                out.push(format!("insufficient pods: requested 1, free {free}"));
            }
        }
        for wanted in &ds.compiled.host_ports {
            let holder = bound
                .iter()
                .filter(|p| !own(p))
                .find(|p| p.host_ports().iter().any(|hp| hp.conflicts_with(wanted)));
            if let Some(p) = holder {
                out.push(format!(
                    "node(s) didn't have free ports for the requested pod ports: {}/{} is used by pod {}/{}",
                    wanted.port, wanted.protocol, p.namespace, p.name
                ));
            }
        }
        out
    }

    #[test]
    fn a_decision_is_two_words() {
        // Plans hold one per node: 100,000 nodes should cost 1.6 MB, not 2.4.
        assert_eq!(std::mem::size_of::<NodeDecision>(), 16);
    }

    #[test]
    fn nodes_failing_the_same_way_share_one_reason_list() {
        let options = Options::at("2026-06-01T00:00:00Z".parse().unwrap());
        let cluster = synth::cluster(&ClusterShape {
            nodes: 200,
            seed: 5,
            ..ClusterShape::default()
        });
        let snapshot = synth::snapshot(cluster.nodes, cluster.pods);
        let ds = synth::daemon_set(0);
        let decisions = placement(&ds, &snapshot, &options);
        let texts =
            |d: &NodeDecision| -> Vec<String> { d.reasons.iter().map(Reason::to_string).collect() };
        let failing: Vec<&NodeDecision> =
            decisions.iter().filter(|d| !d.reasons.is_empty()).collect();
        assert!(failing.len() > 20, "{} failing nodes", failing.len());
        for a in &failing {
            for b in &failing {
                // Equal lists are one list; different lists are not.
                assert_eq!(a.reasons.ptr_eq(&b.reasons), texts(a) == texts(b));
            }
        }
    }

    #[test]
    fn compiled_path_agrees_with_the_full_path() {
        let options = Options::at("2026-06-01T00:00:00Z".parse().unwrap());
        for seed in 1..4 {
            let mut cluster = synth::cluster(&ClusterShape {
                nodes: 300,
                seed,
                max_other_pods_per_node: 6,
                not_ready_percent: 5,
                cordoned_percent: 5,
            });
            for (i, node) in cluster.nodes.iter_mut().enumerate() {
                node.labels
                    .insert("cores".into(), ((i * 7) % 17).to_string().into());
                if i % 11 == 0 {
                    node.allocatable.clear();
                }
                if i % 13 == 0 {
                    node.allocatable.remove("pods");
                }
                // Memory as a manifest would write it: free amounts then print as `Mi`.
                if i % 7 == 0 && node.allocatable.contains_key("memory") {
                    node.allocatable
                        .insert("memory".into(), "16Gi".parse().unwrap());
                }
                // A label and an extended resource on one node in about thirty.
                if i % 29 == 3 {
                    let rare = if i % 2 == 0 { "yes" } else { "no" };
                    node.labels.insert("rare".into(), rare.into());
                    node.labels
                        .insert("rare-count".into(), (i % 5).to_string().into());
                    node.allocatable
                        .insert("example.com/dongle".into(), crate::Quantity::from_units(1));
                }
            }
            let mut pods = cluster.pods;
            let sets = daemon_sets();
            pods.extend(synth::daemon_pods(
                &sets[0],
                &cluster.nodes,
                "h",
                options.now,
            ));
            // Pods of a heavy DaemonSet overcommit nodes: only its own share makes room.
            let memory = sets.last().unwrap();
            pods.extend(synth::daemon_pods(memory, &cluster.nodes, "h", options.now));
            for (i, node) in cluster.nodes.iter_mut().enumerate() {
                // Another owner's pod holds host port 9100 on one node in five.
                if i % 5 == 2 {
                    let mut exporter = Pod::new("monitoring", format!("exporter-{i}"));
                    exporter.node_name = Some(node.name.clone());
                    exporter.containers = Arc::from(vec![crate::resources::Container {
                        name: "exporter".into(),
                        requests: Default::default(),
                        limits: Default::default(),
                        ports: vec![crate::resources::ContainerPort {
                            name: None,
                            container_port: 9100,
                            host_port: Some(9100),
                            host_ip: String::new(),
                            protocol: crate::resources::Protocol::Tcp,
                        }],
                        restart_policy: None,
                    }]);
                    pods.push(exporter);
                }
                // Exactly 3500m cpu free on one node in nine: the pod just fits.
                if i % 9 == 4 && node.allocatable.contains_key("cpu") {
                    let used = pods
                        .iter()
                        .filter(|p| p.node_name.as_deref() == Some(&node.name))
                        .filter_map(|p| p.requests().get("cpu").copied())
                        .fold(Quantity::ZERO, Quantity::saturating_add);
                    let exact = used.saturating_add("3500m".parse().unwrap());
                    node.allocatable.insert("cpu".into(), exact);
                }
            }
            let snapshot = synth::snapshot(cluster.nodes, pods);
            for ds in &sets {
                let fast = placement(ds, &snapshot, &options);
                let full: Vec<NodeDecision> = (0..snapshot.nodes().len())
                    .map(|i| decide(ds, &snapshot, i, &options))
                    .collect();
                assert_eq!(fast, full, "DaemonSet {}", ds.name());
                // Quantities compare by amount only: compare the texts too, which show the
                // format (`100Mi` against `104857600`), and the fit reasons against a plain
                // recomputation from the pods.
                for (n, d) in fast.iter().enumerate() {
                    let texts: Vec<String> = d.reasons.iter().map(Reason::to_string).collect();
                    let full_texts: Vec<String> =
                        full[n].reasons.iter().map(Reason::to_string).collect();
                    assert_eq!(texts, full_texts, "DaemonSet {} node {n}", ds.name());
                    if d.should_run {
                        let expected = reference_fit(ds, &snapshot, n);
                        assert_eq!(texts, expected, "DaemonSet {} node {n}", ds.name());
                    }
                }
            }
        }
    }
}
