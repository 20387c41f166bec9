//! A compact, interned view of the snapshot's nodes, and DaemonSet matchers compiled against
//! it, so that deciding a node costs a few integer comparisons and no allocation.
//!
//! Strings (label keys and values) are interned once per snapshot; each node's labels become a
//! slice of `(key, value)` ids sorted by key; taints become ids into the snapshot's table of
//! distinct taints; allocatable and used resources become `(resource id, quantity)` pairs.
//! A DaemonSet is compiled against that view once per plan: its node selector and affinity
//! turn into ids, its tolerations into one "blocks scheduling" and one "blocks execution" bit
//! per distinct taint. Matching a node then touches only that node's slices.

use std::collections::HashMap;
use std::sync::Arc;

use crate::options::Options;
use crate::placement::{NodeDecision, Reason, ReasonMemo, Reasons, is_fit_resource};
use crate::quantity::{Quantity, QuantityFormat};
use crate::selector::{NodeSelectorOperator, NodeSelectorRequirement};
use crate::snapshot::{Node, NodeUsage};
use crate::spec::DaemonSet;
use crate::strmap::Str;
use crate::taints::{Taint, TaintEffect};

/// The id of a string the index does not hold.
pub(crate) const MISSING: u32 = u32::MAX;

/// The interned view of a snapshot's nodes.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeIndex {
    strings: HashMap<Str, u32>,
    names: Vec<Str>,
    ints: Vec<Option<i64>>,
    label_start: Vec<u32>,
    labels: Vec<(u32, u32)>,
    taint_start: Vec<u32>,
    taint_ids: Vec<u32>,
    taints: Vec<Taint>,
    /// Key and value of each distinct taint, shared by the reasons that name it.
    taint_names: Vec<(Arc<str>, Arc<str>)>,
    alloc_start: Vec<u32>,
    /// `(resource id, allocatable)` per node, sorted by resource id.
    allocs: Vec<(u32, Quantity)>,
    used_start: Vec<u32>,
    /// `(resource id, sum of the requests of the live pods bound to the node)` per node,
    /// sorted by resource id.
    used: Vec<(u32, Quantity)>,
    /// Allocatable pod count, and pods bound, per node (`None`: the node lists no `pods`).
    pods: Vec<(Option<i128>, i128)>,
    /// Whether other pods hold host ports on the node.
    host_ports: Vec<bool>,
    /// Nodes replaced since the index was built: their entries here are out of date.
    stale: Vec<bool>,
    /// Per string id: the column holding that label key's values, or `MISSING` when the key
    /// is on too few nodes to earn one.
    key_column: Vec<u32>,
    /// Label columns: for a key on many nodes, each node's value id (`MISSING`: absent), so
    /// matching reads one integer per node instead of searching the node's labels.
    columns: Vec<Vec<u32>>,
    /// Per string id: the column of free amounts of that resource, or `MISSING`.
    free_column: Vec<u32>,
    /// Free-resource columns: allocatable minus requested per node, in nanos (`NO_FREE`: the
    /// node does not list the resource).
    free: Vec<Vec<i128>>,
    /// Beside each free column: the format of that difference as a `Quantity` (the format
    /// rule of Kubernetes' `Sub`), so explanations need not search the node's resources.
    free_format: Vec<Vec<QuantityFormat>>,
    /// Per node: `NO_RESOURCES` and `POD_ROOM` bits.
    fit_flags: Vec<u8>,
}

/// A node listing no allocatable at all: nothing to check.
const NO_RESOURCES: u8 = 1;
/// The node has room for one more pod (it lists `pods` and fewer are bound).
const POD_ROOM: u8 = 2;
/// In a free-resource column: the node does not list the resource.
const NO_FREE: i128 = i128::MIN;

// Tags of a reason signature (see `Matcher::decide`).
const NAME: u32 = 0;
const SELECTOR: u32 = 1;
const AFFINITY: u32 = 2;
const TAINT: u32 = 3;

/// For each string id, its column (`MISSING`: none), numbered in id order, and how many
/// columns: the ids `ids` yields for at least one node in eight of `nodes` (a column costs
/// at most eight times what those nodes' entries take).
fn assign_columns(
    ids: impl Iterator<Item = u32>,
    strings: usize,
    nodes: usize,
) -> (Vec<u32>, usize) {
    let mut count = vec![0usize; strings];
    for id in ids {
        count[id as usize] += 1;
    }
    let mut next = 0u32;
    let column = count
        .iter()
        .map(|&c| {
            if c > 0 && c * 8 >= nodes {
                next += 1;
                next - 1
            } else {
                MISSING
            }
        })
        .collect();
    (column, next as usize)
}

/// Where a compiled predicate finds a label key's value on a node.
#[derive(Debug, Clone, Copy)]
enum KeyRef {
    /// No node has the key.
    Missing,
    /// The key has a column (the index).
    Column(u32),
    /// Search the node's labels for this key id.
    Search(u32),
}

impl NodeIndex {
    /// The id of `s`; a new string shares the caller's text.
    fn intern(&mut self, s: &Str) -> u32 {
        if let Some(&id) = self.strings.get(s.as_str()) {
            return id;
        }
        let id = self.ints.len() as u32;
        self.strings.insert(s.clone(), id);
        self.names.push(s.clone());
        self.ints.push(s.parse::<i64>().ok());
        id
    }

    /// The id of a string (label key or value, resource name), `MISSING` if no node has it.
    pub(crate) fn string_id(&self, s: &str) -> u32 {
        self.strings.get(s).copied().unwrap_or(MISSING)
    }

    /// Index `nodes`, with `usage` in the same order and `requested`: what the live pods
    /// bound to them request, as `(node, resource, amount)` sorted by node and resource (in
    /// pod order within), resources numbered in `resource_names`.
    pub(crate) fn build(
        nodes: &[Node],
        usage: &[NodeUsage],
        requested: &[(u32, u32, Quantity)],
        resource_names: &[Str],
    ) -> NodeIndex {
        let mut requested = requested.iter().peekable();
        let mut idx = NodeIndex::default();
        let mut taint_table: HashMap<Taint, u32> = HashMap::new();
        idx.label_start.push(0);
        idx.taint_start.push(0);
        idx.alloc_start.push(0);
        idx.used_start.push(0);
        for (n, node) in nodes.iter().enumerate() {
            let start = idx.labels.len();
            for (k, v) in &node.labels {
                let pair = (idx.intern(k), idx.intern(v));
                idx.labels.push(pair);
            }
            idx.labels[start..].sort_unstable();
            idx.label_start.push(idx.labels.len() as u32);
            for t in &node.taints {
                let next = idx.taints.len() as u32;
                let id = *taint_table.entry(t.clone()).or_insert(next);
                if id == next {
                    idx.taints.push(t.clone());
                    idx.taint_names
                        .push((Arc::from(t.key.as_str()), Arc::from(t.value.as_str())));
                }
                idx.taint_ids.push(id);
            }
            idx.taint_start.push(idx.taint_ids.len() as u32);
            let start = idx.allocs.len();
            for (res, q) in &node.allocatable {
                let entry = (idx.intern(res), *q);
                idx.allocs.push(entry);
            }
            idx.allocs[start..].sort_unstable_by_key(|&(r, _)| r);
            idx.alloc_start.push(idx.allocs.len() as u32);
            let start = idx.used.len();
            while let Some(&(_, r, q)) = requested.next_if(|(node, _, _)| *node as usize == n) {
                let mut sum = Quantity::ZERO.saturating_add(q);
                while let Some((_, _, more)) = requested.next_if(|e| e.0 as usize == n && e.1 == r)
                {
                    sum = sum.saturating_add(*more);
                }
                let entry = (idx.intern(&resource_names[r as usize]), sum);
                idx.used.push(entry);
            }
            idx.used[start..].sort_unstable_by_key(|&(r, _)| r);
            idx.used_start.push(idx.used.len() as u32);
            let used = &usage[n];
            let allowed = node.allocatable.get("pods").map(|q| q.units_ceil());
            idx.pods.push((allowed, i128::from(used.pod_count)));
            idx.host_ports.push(!used.host_ports.is_empty());
        }
        idx.stale = vec![false; nodes.len()];
        idx.build_columns(nodes.len());
        // The lists grew by pushes, to up to twice what they hold; the index lives as long
        // as the snapshot.
        idx.labels.shrink_to_fit();
        idx.label_start.shrink_to_fit();
        idx.taint_ids.shrink_to_fit();
        idx.taint_start.shrink_to_fit();
        idx.allocs.shrink_to_fit();
        idx.alloc_start.shrink_to_fit();
        idx.used.shrink_to_fit();
        idx.used_start.shrink_to_fit();
        idx.pods.shrink_to_fit();
        idx.host_ports.shrink_to_fit();
        idx.names.shrink_to_fit();
        idx.ints.shrink_to_fit();
        idx
    }

    /// Columns for the label keys and resources present on at least one node in eight (at
    /// most eight bytes per label per node, no more than the labels themselves take).
    fn build_columns(&mut self, n: usize) {
        let keys = self.labels.iter().map(|&(k, _)| k);
        let (key_column, count) = assign_columns(keys, self.names.len(), n);
        self.key_column = key_column;
        self.columns = vec![vec![MISSING; n]; count];
        for node in 0..n {
            let labels =
                &self.labels[self.label_start[node] as usize..self.label_start[node + 1] as usize];
            for &(k, v) in labels {
                let c = self.key_column[k as usize];
                if c != MISSING {
                    self.columns[c as usize][node] = v;
                }
            }
        }
        let resources = self.allocs.iter().map(|&(r, _)| r);
        let (free_column, count) = assign_columns(resources, self.names.len(), n);
        self.free_column = free_column;
        self.free = vec![vec![NO_FREE; n]; count];
        self.free_format = vec![vec![QuantityFormat::DecimalSI; n]; count];
        self.fit_flags = Vec::with_capacity(n);
        for node in 0..n {
            let allocs =
                &self.allocs[self.alloc_start[node] as usize..self.alloc_start[node + 1] as usize];
            for &(r, alloc) in allocs {
                let c = self.free_column[r as usize];
                if c != MISSING {
                    let free = alloc.saturating_sub(self.used(node, r).unwrap_or(Quantity::ZERO));
                    // NO_FREE + 1 marks a clamped difference (see `free`).
                    self.free[c as usize][node] = free.nanos().max(NO_FREE + 1);
                    self.free_format[c as usize][node] = free.format();
                }
            }
            let mut flags = 0;
            if allocs.is_empty() {
                flags |= NO_RESOURCES;
            }
            if matches!(self.pods[node], (Some(allowed), used) if used < allowed) {
                flags |= POD_ROOM;
            }
            self.fit_flags.push(flags);
        }
    }

    fn key_ref(&self, key: &str) -> KeyRef {
        match self.string_id(key) {
            MISSING => KeyRef::Missing,
            id => match self.key_column[id as usize] {
                MISSING => KeyRef::Search(id),
                c => KeyRef::Column(c),
            },
        }
    }

    /// The value id of label `key` on node `n`, if the node has it.
    #[inline]
    fn value(&self, n: usize, key: KeyRef) -> Option<u32> {
        match key {
            KeyRef::Missing => None,
            KeyRef::Column(c) => {
                let v = self.columns[c as usize][n];
                (v != MISSING).then_some(v)
            }
            KeyRef::Search(k) => self.label(n, k),
        }
    }

    /// Mark node `n`'s entries out of date (the node was replaced in place).
    pub(crate) fn mark_stale(&mut self, n: usize) {
        self.stale[n] = true;
    }

    /// Whether node `n`'s entries are out of date.
    pub(crate) fn is_stale(&self, n: usize) -> bool {
        self.stale[n]
    }

    fn labels(&self, n: usize) -> &[(u32, u32)] {
        &self.labels[self.label_start[n] as usize..self.label_start[n + 1] as usize]
    }

    fn label(&self, n: usize, key: u32) -> Option<u32> {
        let labels = self.labels(n);
        labels
            .binary_search_by_key(&key, |&(k, _)| k)
            .ok()
            .map(|i| labels[i].1)
    }

    fn taint_ids(&self, n: usize) -> &[u32] {
        &self.taint_ids[self.taint_start[n] as usize..self.taint_start[n + 1] as usize]
    }

    fn allocs(&self, n: usize) -> &[(u32, Quantity)] {
        &self.allocs[self.alloc_start[n] as usize..self.alloc_start[n + 1] as usize]
    }

    /// The string with id `id`, shared.
    pub(crate) fn string(&self, id: u32) -> &Str {
        &self.names[id as usize]
    }

    /// Whether node `n` lists any allocatable resource.
    pub(crate) fn has_allocatable(&self, n: usize) -> bool {
        self.fit_flags[n] & NO_RESOURCES == 0
    }

    /// Node `n`'s allocatable amount of resource `res`.
    pub(crate) fn alloc(&self, n: usize, res: u32) -> Option<Quantity> {
        let allocs = self.allocs(n);
        allocs
            .binary_search_by_key(&res, |&(r, _)| r)
            .ok()
            .map(|i| allocs[i].1)
    }

    /// What the live pods bound to node `n` request of resource `res`.
    pub(crate) fn used(&self, n: usize, res: u32) -> Option<Quantity> {
        let used = &self.used[self.used_start[n] as usize..self.used_start[n + 1] as usize];
        used.binary_search_by_key(&res, |&(r, _)| r)
            .ok()
            .map(|i| used[i].1)
    }

    /// Node `n`'s free amount of resource `res` as a quantity (allocatable minus what its
    /// live pods request, with `Sub`'s format), when the resource has a column and the node
    /// lists it.
    pub(crate) fn free(&self, n: usize, res: u32) -> Option<Quantity> {
        let c = *self.free_column.get(res as usize)?;
        if c == MISSING {
            return None;
        }
        let free = self.free[c as usize][n];
        // NO_FREE + 1 may be a clamped difference: the caller computes it exactly instead.
        (free > NO_FREE + 1)
            .then(|| Quantity::from_nanos(free).with_format(self.free_format[c as usize][n]))
    }

    fn used_nanos(&self, n: usize, res: u32) -> i128 {
        self.used(n, res).map_or(0, |q| q.nanos())
    }

    /// Node `n`'s allocatable pod count (`None`: it lists none), and the pods bound to it.
    pub(crate) fn pods(&self, n: usize) -> (Option<i128>, i128) {
        self.pods[n]
    }
}

#[derive(Debug)]
struct Requirement {
    key: KeyRef,
    operator: NodeSelectorOperator,
    values: Vec<u32>,
    bound: Option<i64>,
    broken: bool,
}

#[derive(Debug)]
struct Term {
    expressions: Vec<Requirement>,
    fields: Vec<(NodeSelectorOperator, String)>,
    broken: bool,
    empty: bool,
}

/// A DaemonSet's placement predicates compiled against one snapshot's [`NodeIndex`].
#[derive(Debug)]
pub(crate) struct Matcher {
    node_name: Option<String>,
    /// Each selector entry: where to find the key, and the wanted value id (`MISSING`: no
    /// node has that value).
    selector: Vec<(KeyRef, u32)>,
    /// The selector's keys and values, shared by the reasons that name them.
    selector_names: Vec<(Arc<str>, Arc<str>)>,
    terms: Option<Vec<Term>>,
    blocks_schedule: Vec<bool>,
    blocks_execute: Vec<bool>,
    /// The daemon pod's requests of resources the scheduler checks: where to find the
    /// node's free amount, and the request in nanos.
    requests: Vec<(KeyRef, i128)>,
    has_host_ports: bool,
    /// Whether deciding reads the node's name (a template `nodeName` or `matchFields`).
    pub(crate) needs_name: bool,
    /// The reason lists built so far, by signature.
    memo: ReasonMemo,
}

fn compile_requirement(idx: &NodeIndex, r: &NodeSelectorRequirement) -> Requirement {
    let mut values: Vec<u32> = r.values.iter().map(|v| idx.string_id(v)).collect();
    values.sort_unstable();
    let (bound, broken) = match r.operator {
        NodeSelectorOperator::In | NodeSelectorOperator::NotIn => (None, r.values.is_empty()),
        NodeSelectorOperator::Exists | NodeSelectorOperator::DoesNotExist => {
            (None, !r.values.is_empty())
        }
        NodeSelectorOperator::Gt | NodeSelectorOperator::Lt => match r.values.as_slice() {
            [one] => match one.parse::<i64>() {
                Ok(b) => (Some(b), false),
                Err(_) => (None, true),
            },
            _ => (None, true),
        },
    };
    Requirement {
        key: idx.key_ref(&r.key),
        operator: r.operator,
        values,
        bound,
        broken,
    }
}

impl Matcher {
    pub(crate) fn compile(ds: &DaemonSet, idx: &NodeIndex, options: &Options) -> Matcher {
        let spec = &ds.template.spec;
        let selector = spec
            .node_selector
            .iter()
            .map(|(k, v)| (idx.key_ref(k), idx.string_id(v)))
            .collect();
        let terms = spec.required_node_affinity.as_ref().map(|required| {
            required
                .node_selector_terms
                .iter()
                .map(|t| {
                    let expressions: Vec<Requirement> = t
                        .match_expressions
                        .iter()
                        .map(|r| compile_requirement(idx, r))
                        .collect();
                    let mut broken = expressions.iter().any(|r| r.broken);
                    let mut fields = Vec::new();
                    for f in &t.match_fields {
                        match (f.key.as_str(), f.operator, f.values.as_slice()) {
                            (
                                "metadata.name",
                                op @ (NodeSelectorOperator::In | NodeSelectorOperator::NotIn),
                                [v],
                            ) => fields.push((op, v.clone())),
                            _ => broken = true,
                        }
                    }
                    Term {
                        empty: t.match_expressions.is_empty() && t.match_fields.is_empty(),
                        expressions,
                        fields,
                        broken,
                    }
                })
                .collect()
        });
        let cmp = options.taint_toleration_comparison_operators;
        let tolerated = |t: &Taint| {
            ds.compiled
                .tolerations
                .iter()
                .any(|tol| tol.tolerates(t, cmp))
        };
        let mut blocks_schedule = Vec::with_capacity(idx.taints.len());
        let mut blocks_execute = Vec::with_capacity(idx.taints.len());
        for t in &idx.taints {
            let ok = tolerated(t);
            blocks_schedule
                .push(!ok && matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute));
            blocks_execute.push(!ok && t.effect == TaintEffect::NoExecute);
        }
        let requests = ds
            .compiled
            .requests
            .iter()
            .filter(|(res, q)| q.is_positive() && is_fit_resource(res))
            .map(|(res, q)| {
                let at = match idx.string_id(res) {
                    MISSING => KeyRef::Missing,
                    id => match idx.free_column[id as usize] {
                        MISSING => KeyRef::Search(id),
                        c => KeyRef::Column(c),
                    },
                };
                (at, q.nanos())
            })
            .collect();
        let selector_names = spec
            .node_selector
            .iter()
            .map(|(k, v)| (Arc::from(k.as_str()), Arc::from(v.as_str())))
            .collect();
        let needs_name = spec.node_name.is_some()
            || terms
                .as_ref()
                .is_some_and(|t: &Vec<Term>| t.iter().any(|t| !t.fields.is_empty()));
        Matcher {
            memo: ReasonMemo::default(),
            needs_name,
            node_name: spec.node_name.clone(),
            selector,
            selector_names,
            terms,
            blocks_schedule,
            blocks_execute,
            requests,
            has_host_ports: !ds.compiled.host_ports.is_empty(),
        }
    }

    /// True when the daemon pod certainly fits on node `n` (free resources, pod count, no host
    /// port in use by others). False means "look closer": the full check decides.
    pub(crate) fn surely_fits(&self, idx: &NodeIndex, n: usize) -> bool {
        if self.has_host_ports && idx.host_ports[n] {
            return false;
        }
        let flags = idx.fit_flags[n];
        if flags & NO_RESOURCES != 0 {
            return true;
        }
        for &(at, wanted) in &self.requests {
            if Matcher::free_nanos(idx, n, at).is_none_or(|free| wanted > free) {
                return false;
            }
        }
        flags & POD_ROOM != 0
    }

    /// What node `n` has free of the resource found at `at`, in nanos; `None` when it does
    /// not list the resource.
    fn free_nanos(idx: &NodeIndex, n: usize, at: KeyRef) -> Option<i128> {
        let free = match at {
            KeyRef::Missing => return None,
            KeyRef::Column(c) => idx.free[c as usize][n],
            KeyRef::Search(res) => idx
                .alloc(n, res)?
                .nanos()
                .saturating_sub(idx.used_nanos(n, res)),
        };
        (free != NO_FREE).then_some(free)
    }

    fn requirement_matches(idx: &NodeIndex, n: usize, r: &Requirement) -> bool {
        Matcher::requirement_holds(idx, r, idx.value(n, r.key))
    }

    /// Whether requirement `r` holds for a node whose value of the key is `found`.
    fn requirement_holds(idx: &NodeIndex, r: &Requirement, found: Option<u32>) -> bool {
        match r.operator {
            NodeSelectorOperator::In => found.is_some_and(|v| r.values.binary_search(&v).is_ok()),
            NodeSelectorOperator::NotIn => {
                found.is_none_or(|v| r.values.binary_search(&v).is_err())
            }
            NodeSelectorOperator::Exists => found.is_some(),
            NodeSelectorOperator::DoesNotExist => found.is_none(),
            NodeSelectorOperator::Gt | NodeSelectorOperator::Lt => {
                let (Some(v), Some(bound)) = (found.and_then(|v| idx.ints[v as usize]), r.bound)
                else {
                    return false;
                };
                if r.operator == NodeSelectorOperator::Gt {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }

    /// Set in `bits` the nodes whose value of `key` passes `keep` and clear the others, a
    /// column at a time when the key has one.
    fn mark(idx: &NodeIndex, key: KeyRef, bits: &mut NodeBits, keep: impl Fn(Option<u32>) -> bool) {
        match key {
            KeyRef::Column(c) => {
                let column = &idx.columns[c as usize];
                for (word, chunk) in bits.words.iter_mut().zip(column.chunks(64)) {
                    *word = chunk.iter().enumerate().fold(0, |w, (b, &v)| {
                        w | u64::from(keep((v != MISSING).then_some(v))) << b
                    });
                }
            }
            _ => {
                for n in 0..bits.len {
                    bits.set(n, keep(idx.value(n, key)));
                }
            }
        }
    }

    /// Node selector and required affinity for every node at once, a label
    /// column or free-resource column at a time; `None` when deciding reads node names.
    /// [`Matcher::decide_prepared`] then decides a node from these bits.
    pub(crate) fn prepare(&self, idx: &NodeIndex) -> Option<Prepared> {
        if self.needs_name {
            return None;
        }
        let nodes = idx.fit_flags.len();
        let mut selector = NodeBits::new(nodes, true);
        let mut one = NodeBits::new(nodes, false);
        for &(k, v) in &self.selector {
            Matcher::mark(idx, k, &mut one, |found| v != MISSING && found == Some(v));
            selector.and(&one);
        }
        let affinity = match &self.terms {
            None => NodeBits::new(nodes, true),
            Some(terms) => {
                let mut any = NodeBits::new(nodes, false);
                let mut term_bits = NodeBits::new(nodes, true);
                for t in terms.iter().filter(|t| !t.broken && !t.empty) {
                    term_bits.fill(true);
                    for r in &t.expressions {
                        Matcher::mark_requirement(idx, r, &mut one);
                        term_bits.and(&one);
                    }
                    any.or(&term_bits);
                }
                any
            }
        };
        let fits = self.fit_bits(idx);
        // One byte per node: the three bits a node is decided by, read together.
        let mut verdicts = Vec::with_capacity(nodes);
        let words = selector.words.iter().zip(&affinity.words).zip(&fits.words);
        for (w, ((&sel, &aff), &fit)) in words.enumerate() {
            let count = (nodes - w * 64).min(64);
            verdicts.extend((0..count).map(|b| {
                ((sel >> b & 1) as u8 * SELECTOR_OK)
                    | ((aff >> b & 1) as u8 * AFFINITY_OK)
                    | ((fit >> b & 1) as u8 * SURELY_FITS)
            }));
        }
        Some(Prepared { verdicts })
    }

    /// [`Matcher::mark`] for requirement `r`: an `In` or `NotIn` looks its value up in a
    /// table of the listed ids instead of searching the list.
    fn mark_requirement(idx: &NodeIndex, r: &Requirement, bits: &mut NodeBits) {
        match r.operator {
            NodeSelectorOperator::In | NodeSelectorOperator::NotIn if !r.values.is_empty() => {
                let mut listed = NodeBits::new(idx.names.len(), false);
                for &v in r.values.iter().filter(|&&v| v != MISSING) {
                    listed.set(v as usize, true);
                }
                let wanted = r.operator == NodeSelectorOperator::In;
                Matcher::mark(idx, r.key, bits, |found| {
                    found.is_some_and(|v| listed.get(v as usize)) == wanted
                });
            }
            _ => Matcher::mark(idx, r.key, bits, |found| {
                Matcher::requirement_holds(idx, r, found)
            }),
        }
    }

    /// [`Matcher::surely_fits`] for every node, a free-resource column at a time.
    fn fit_bits(&self, idx: &NodeIndex) -> NodeBits {
        let nodes = idx.fit_flags.len();
        // Per node: no resources listed (fits), room for a pod, other pods' host ports.
        let mut unlisted = NodeBits::new(nodes, false);
        let mut room = NodeBits::new(nodes, false);
        let words = unlisted.words.iter_mut().zip(room.words.iter_mut());
        for ((u, r), chunk) in words.zip(idx.fit_flags.chunks(64)) {
            for (b, &flags) in chunk.iter().enumerate() {
                *u |= u64::from(flags & NO_RESOURCES != 0) << b;
                *r |= u64::from(flags & POD_ROOM != 0) << b;
            }
        }
        for &(at, wanted) in &self.requests {
            match at {
                KeyRef::Missing => room.fill(false),
                KeyRef::Column(c) => {
                    let free = &idx.free[c as usize];
                    for (word, chunk) in room.words.iter_mut().zip(free.chunks(64)) {
                        *word &= chunk.iter().enumerate().fold(0, |w, (b, &f)| {
                            w | u64::from(f != NO_FREE && wanted <= f) << b
                        });
                    }
                }
                KeyRef::Search(_) => {
                    for n in 0..nodes {
                        let ok = Matcher::free_nanos(idx, n, at).is_some_and(|f| wanted <= f);
                        room.set(n, room.get(n) && ok);
                    }
                }
            }
        }
        // Fits: no other pod's host port in the way, and nothing listed or all of it free.
        room.or(&unlisted);
        if self.has_host_ports {
            for (r, chunk) in room.words.iter_mut().zip(idx.host_ports.chunks(64)) {
                let taken =
                    (chunk.iter().enumerate()).fold(0u64, |w, (b, &t)| w | u64::from(t) << b);
                *r &= !taken;
            }
        }
        room
    }

    /// [`Matcher::decide`] for node `n` of a matcher [prepared](Matcher::prepare) as
    /// `prepared`, with whether the pod surely fits there. Only for a node whose index entries
    /// are current (not [stale](NodeIndex::is_stale)): the bits of a replaced node are not.
    #[inline]
    pub(crate) fn decide_prepared(
        &self,
        idx: &NodeIndex,
        prepared: &Prepared,
        n: usize,
    ) -> (NodeDecision, bool) {
        let bits = prepared.verdicts[n];
        let affinity = bits & AFFINITY_OK != 0;
        let verdict = if bits & SELECTOR_OK == 0 {
            (false, false, Some(affinity))
        } else if !affinity {
            (false, false, Some(false))
        } else {
            let (schedule, execute) = self.taint_verdict(idx, n);
            (schedule, execute, Some(true))
        };
        (
            self.decide_with(idx, n, "", verdict),
            bits & SURELY_FITS != 0,
        )
    }

    /// The decision for node `n` named `name`, fit aside, with the same reasons in the same
    /// order as [`node_decision`](crate::placement::node_decision) gives. The name is read
    /// only when [`Matcher::needs_name`]; callers may pass `""` otherwise.
    // upstream: daemon_controller.go NodeShouldRunDaemonPod
    pub(crate) fn decide(&self, idx: &NodeIndex, n: usize, name: &str) -> NodeDecision {
        self.decide_with(idx, n, name, self.eval(idx, n, name))
    }

    /// [`Matcher::decide`] given what [`Matcher::eval`] says of the node.
    #[inline]
    fn decide_with(
        &self,
        idx: &NodeIndex,
        n: usize,
        name: &str,
        (should_run, should_continue_running, affinity): (bool, bool, Option<bool>),
    ) -> NodeDecision {
        let mut decision = NodeDecision {
            should_run,
            should_continue_running,
            fits: true,
            reasons: Reasons::default(),
        };
        if should_run && should_continue_running {
            return decision;
        }
        // The reasons are a function of a few ids (which selector entries fail and what the
        // node has instead, affinity, which taints block): nodes with the same ids share one
        // list.
        decision.reasons = self.memo.lookup(
            |key| {
                if self.node_name.as_deref().is_some_and(|w| w != name) {
                    key.push(NAME);
                    return;
                }
                let mut affinity_ok = true;
                for (i, &(k, v)) in self.selector.iter().enumerate() {
                    let found = idx.value(n, k);
                    if v == MISSING || found != Some(v) {
                        affinity_ok = false;
                        key.extend([SELECTOR, i as u32, found.unwrap_or(MISSING)]);
                    }
                }
                if !affinity.unwrap_or_else(|| self.affinity_matches(idx, n, name)) {
                    affinity_ok = false;
                    key.push(AFFINITY);
                }
                if affinity_ok {
                    for &t in idx.taint_ids(n) {
                        if self.blocks_schedule[t as usize] {
                            key.extend([TAINT, t]);
                        }
                    }
                }
            },
            |key| self.reasons_of(idx, key),
        );
        decision
    }

    /// The reasons a signature built by [`Matcher::decide`] stands for.
    fn reasons_of(&self, idx: &NodeIndex, key: &[u32]) -> Vec<Reason> {
        let mut reasons = Vec::new();
        let mut rest = key;
        while let Some((&tag, tail)) = rest.split_first() {
            rest = tail;
            match tag {
                NAME => reasons.push(Reason::NodeNameMismatch {
                    wanted: self.node_name.as_deref().unwrap_or_default().into(),
                }),
                SELECTOR => {
                    let (i, found) = (rest[0] as usize, rest[1]);
                    rest = &rest[2..];
                    let (key, wanted) = &self.selector_names[i];
                    reasons.push(Reason::NodeSelectorMismatch {
                        key: Arc::clone(key),
                        wanted: Arc::clone(wanted),
                        found: (found != MISSING).then(|| idx.names[found as usize].to_arc()),
                    });
                }
                AFFINITY => reasons.push(Reason::NodeAffinityMismatch),
                _ => {
                    let t = rest[0] as usize;
                    rest = &rest[1..];
                    let (key, value) = &idx.taint_names[t];
                    reasons.push(Reason::UntoleratedTaint {
                        key: Arc::clone(key),
                        value: Arc::clone(value),
                        effect: idx.taints[t].effect,
                    });
                }
            }
        }
        reasons
    }

    fn affinity_matches(&self, idx: &NodeIndex, n: usize, name: &str) -> bool {
        let Some(terms) = &self.terms else {
            return true;
        };
        terms.iter().any(|t| {
            !t.broken
                && !t.empty
                && t.expressions
                    .iter()
                    .all(|r| Matcher::requirement_matches(idx, n, r))
                && (name.is_empty()
                    || t.fields.iter().all(|(op, v)| match op {
                        NodeSelectorOperator::In => name == v,
                        _ => name != v,
                    }))
        })
    }

    /// `(should_run, should_continue_running)` for node `n` named `name`, and whether the
    /// required node affinity matches when that was looked at.
    fn eval(&self, idx: &NodeIndex, n: usize, name: &str) -> (bool, bool, Option<bool>) {
        if self.node_name.as_deref().is_some_and(|w| w != name) {
            return (false, false, None);
        }
        for &(k, v) in &self.selector {
            if v == MISSING || idx.value(n, k) != Some(v) {
                return (false, false, None);
            }
        }
        if !self.affinity_matches(idx, n, name) {
            return (false, false, Some(false));
        }
        let (schedule, execute) = self.taint_verdict(idx, n);
        (schedule, execute, Some(true))
    }

    /// Whether node `n`'s taints let the pod schedule, and let it keep running.
    #[inline]
    fn taint_verdict(&self, idx: &NodeIndex, n: usize) -> (bool, bool) {
        let mut schedule = true;
        let mut execute = true;
        for &t in idx.taint_ids(n) {
            schedule &= !self.blocks_schedule[t as usize];
            execute &= !self.blocks_execute[t as usize];
        }
        (schedule, execute)
    }
}

/// One bit per node.
#[derive(Debug, Clone)]
pub(crate) struct NodeBits {
    words: Vec<u64>,
    len: usize,
}

impl NodeBits {
    fn new(len: usize, value: bool) -> NodeBits {
        let mut bits = NodeBits {
            words: vec![0; len.div_ceil(64)],
            len,
        };
        bits.fill(value);
        bits
    }

    fn fill(&mut self, value: bool) {
        self.words.fill(if value { u64::MAX } else { 0 });
    }

    #[inline]
    fn set(&mut self, n: usize, value: bool) {
        let (word, bit) = (n / 64, n % 64);
        self.words[word] = (self.words[word] & !(1 << bit)) | (u64::from(value) << bit);
    }

    #[inline]
    fn get(&self, n: usize) -> bool {
        self.words[n / 64] >> (n % 64) & 1 == 1
    }

    fn and(&mut self, other: &NodeBits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    fn or(&mut self, other: &NodeBits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }
}

/// A [`Matcher`]'s verdicts on every node of an index, computed a column at a time
/// ([`Matcher::prepare`]).
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Per node: `SELECTOR_OK`, `AFFINITY_OK` and `SURELY_FITS` bits.
    verdicts: Vec<u8>,
}

/// Every node selector entry matches.
const SELECTOR_OK: u8 = 1;
/// The required node affinity matches (or there is none).
const AFFINITY_OK: u8 = 2;
/// [`Matcher::surely_fits`].
const SURELY_FITS: u8 = 4;
