//! A compact view of the snapshot's pods, so that claiming a DaemonSet's pods and counting its
//! status read a few contiguous arrays instead of every pod's heap-allocated fields.
//!
//! Pods with the same namespace and controller share an *owner class*, and pods with the same
//! labels share a *label class*: a DaemonSet's ownership test and selector are evaluated once
//! per class (on a representative pod) and remembered for the rest of the plan. The status
//! facts the planner reads per pod (terminal, being deleted, bound, Ready and since when)
//! are packed beside them.

use std::collections::HashMap;

use crate::strmap::Str;

use crate::Timestamp;
use crate::snapshot::Pod;
use crate::spec::{DaemonSet, Ownership};

/// The pod's phase is Succeeded or Failed.
pub(crate) const TERMINAL: u8 = 1;
/// The pod has a deletionTimestamp.
pub(crate) const DELETING: u8 = 2;
/// The pod has `spec.nodeName`.
pub(crate) const BOUND: u8 = 4;
/// The pod's Ready condition is True.
pub(crate) const READY: u8 = 8;

/// Owner and label classes, and status facts, of every pod of a snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct PodIndex {
    /// Per pod: its owner class.
    owner: Vec<u32>,
    /// Per owner class: a pod of that class.
    owner_rep: Vec<u32>,
    /// The owner classes whose controller is a DaemonSet, by namespace and DaemonSet name.
    daemon_set_classes: HashMap<Str, HashMap<Str, Vec<u32>>>,
    /// The owner class of the pods without a controller, by namespace.
    orphan_classes: HashMap<Str, u32>,
    /// Per pod: its label class.
    class: Vec<u32>,
    /// Per label class: a pod of that class.
    class_rep: Vec<u32>,
    /// Per pod: `TERMINAL`, `DELETING`, `BOUND`, `READY` bits.
    flags: Vec<u8>,
    /// Per pod: when its Ready condition last changed, if it is Ready.
    ready_since: Vec<Option<Timestamp>>,
}

fn flags_of(pod: &Pod) -> u8 {
    let mut f = 0;
    if pod.phase.is_terminal() {
        f |= TERMINAL;
    }
    if pod.deletion_timestamp.is_some() {
        f |= DELETING;
    }
    if pod.node_name.is_some() {
        f |= BOUND;
    }
    if pod.is_ready() {
        f |= READY;
    }
    f
}

impl PodIndex {
    /// Index `pods` (in the snapshot's order).
    pub(crate) fn build(pods: &[Pod]) -> PodIndex {
        type OwnerKey<'a> = (&'a str, Option<(&'a str, &'a str, Option<&'a str>)>);
        let mut owners: HashMap<OwnerKey<'_>, u32> = HashMap::new();
        let mut classes: HashMap<Vec<(&str, &str)>, u32> = HashMap::new();
        let mut idx = PodIndex {
            owner: Vec::with_capacity(pods.len()),
            class: Vec::with_capacity(pods.len()),
            flags: Vec::with_capacity(pods.len()),
            ready_since: Vec::with_capacity(pods.len()),
            ..PodIndex::default()
        };
        for (i, pod) in pods.iter().enumerate() {
            let key = (
                pod.namespace.as_str(),
                pod.controller
                    .as_ref()
                    .map(|c| (c.kind.as_str(), c.name.as_str(), c.uid.as_deref())),
            );
            let next = idx.owner_rep.len() as u32;
            let owner = *owners.entry(key).or_insert(next);
            if owner == next {
                idx.owner_rep.push(i as u32);
                match &pod.controller {
                    Some(c) if c.kind == "DaemonSet" => idx
                        .daemon_set_classes
                        .entry(pod.namespace.clone())
                        .or_default()
                        .entry(c.name.clone())
                        .or_default()
                        .push(owner),
                    Some(_) => {}
                    None => {
                        idx.orphan_classes.insert(pod.namespace.clone(), owner);
                    }
                }
            }
            idx.owner.push(owner);
            let mut labels: Vec<(&str, &str)> = pod
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            labels.sort_unstable();
            let next = idx.class_rep.len() as u32;
            let class = *classes.entry(labels).or_insert(next);
            if class == next {
                idx.class_rep.push(i as u32);
            }
            idx.class.push(class);
            idx.flags.push(flags_of(pod));
            idx.ready_since.push(ready_since(pod));
        }
        idx
    }

    /// Record pod `i`'s new status (phase between non-terminal values, Ready condition).
    pub(crate) fn update_status(&mut self, i: usize, pod: &Pod) {
        self.flags[i] = flags_of(pod);
        self.ready_since[i] = ready_since(pod);
    }

    /// Whether pod `i` (of `pods`, the indexed pods) is in `ds`'s namespace and controlled by
    /// it: decided on its owner class's representative, which stays in cache.
    pub(crate) fn controlled_by(&self, ds: &DaemonSet, pods: &[Pod], i: usize) -> bool {
        let rep = &pods[self.owner_rep[self.owner[i] as usize] as usize];
        rep.namespace == ds.namespace && rep.controller.as_ref().is_some_and(|c| ds.owns(c))
    }

    /// The owner classes `ds` controls (usually one).
    pub(crate) fn classes_of(&self, ds: &DaemonSet, pods: &[Pod]) -> Vec<u32> {
        self.daemon_set_classes
            .get(ds.namespace.as_str())
            .and_then(|by_name| by_name.get(ds.name.as_str()))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&c| self.controlled_by(ds, pods, self.owner_rep[c as usize] as usize))
            .collect()
    }

    /// The owner class of the pods without a controller in `namespace`, if there are any.
    pub(crate) fn orphan_class(&self, namespace: &str) -> Option<u32> {
        self.orphan_classes.get(namespace).copied()
    }

    /// Pod `i`'s owner class.
    pub(crate) fn owner_class(&self, i: usize) -> u32 {
        self.owner[i]
    }

    /// Pod `i`'s `TERMINAL`, `DELETING`, `BOUND` and `READY` bits.
    pub(crate) fn flags(&self, i: usize) -> u8 {
        self.flags[i]
    }

    /// Whether pod `i` is Ready.
    pub(crate) fn is_ready(&self, i: usize) -> bool {
        self.flags[i] & READY != 0
    }

    /// [`Pod::is_available`] for pod `i`.
    // upstream: pod util.go IsPodAvailable
    pub(crate) fn is_available(&self, i: usize, min_ready_seconds: i64, now: Timestamp) -> bool {
        self.is_ready(i)
            && crate::snapshot::ready_long_enough(self.ready_since[i], min_ready_seconds, now)
    }
}

fn ready_since(pod: &Pod) -> Option<Timestamp> {
    pod.ready
        .filter(|r| r.ready)
        .and_then(|r| r.last_transition_time)
}

/// One DaemonSet's view of the pod index during a plan: its ownership of each owner class and
/// its selector's verdict on each label class, worked out on first use.
pub(crate) struct Claimer<'a> {
    ds: &'a DaemonSet,
    pods: &'a [Pod],
    index: &'a PodIndex,
    /// Per owner class: 0 unknown, else 1 + the class's standing (`OWN`, `ORPHAN`, `OTHER`).
    owners: Vec<u8>,
    /// Per label class: 0 unknown, 1 the selector matches, 2 it does not.
    classes: Vec<u8>,
    /// The last answer and what it depends on (owner class, label class, being deleted):
    /// a DaemonSet's pods mostly share all three.
    last: Option<(u32, u32, bool, Ownership)>,
}

/// The owner class is in the DaemonSet's namespace and controlled by it.
const OWN: u8 = 1;
/// The owner class is in the DaemonSet's namespace, without a controller.
const ORPHAN: u8 = 2;
/// Another namespace, or another controller.
const OTHER: u8 = 3;

impl<'a> Claimer<'a> {
    /// A claimer for `ds` over the snapshot's `pods` and their `index`.
    pub(crate) fn new(ds: &'a DaemonSet, pods: &'a [Pod], index: &'a PodIndex) -> Claimer<'a> {
        Claimer {
            ds,
            pods,
            index,
            owners: vec![0; index.owner_rep.len()],
            classes: vec![0; index.class_rep.len()],
            last: None,
        }
    }

    fn standing(&mut self, i: usize) -> u8 {
        let owner = self.index.owner[i] as usize;
        if self.owners[owner] == 0 {
            let rep = &self.pods[self.index.owner_rep[owner] as usize];
            self.owners[owner] = if rep.namespace != self.ds.namespace {
                OTHER
            } else {
                match &rep.controller {
                    None => ORPHAN,
                    Some(c) if self.ds.owns(c) => OWN,
                    Some(_) => OTHER,
                }
            };
        }
        self.owners[owner]
    }

    fn selector_matches(&mut self, i: usize) -> bool {
        let class = self.index.class[i] as usize;
        if self.classes[class] == 0 {
            let rep = &self.pods[self.index.class_rep[class] as usize];
            self.classes[class] = if self.ds.selector.matches(&rep.labels) {
                1
            } else {
                2
            };
        }
        self.classes[class] == 1
    }

    /// How the DaemonSet stands to pod `i`: [`DaemonSet::ownership`] with classes remembered.
    // upstream: controller_ref_manager.go ClaimPods
    pub(crate) fn ownership(&mut self, i: usize) -> Ownership {
        let deleting = self.index.flags[i] & DELETING != 0;
        let key = (self.index.owner[i], self.index.class[i], deleting);
        if let Some((owner, class, del, answer)) = self.last
            && (owner, class, del) == key
        {
            return answer;
        }
        // Another namespace or controller: `Some(false)`, which claims nothing.
        let controlled = match self.standing(i) {
            OWN => Some(true),
            ORPHAN => None,
            _ => Some(false),
        };
        let ds = self.ds;
        let answer = ds.ownership_given(true, controlled, || self.selector_matches(i), deleting);
        self.last = Some((key.0, key.1, key.2, answer));
        answer
    }
}
