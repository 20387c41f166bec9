//! Performance shape: deciding for an eligible node allocates nothing.
//!
//! A counting allocator (this file's own binary, so no other test is affected) counts the
//! allocations made by the current thread while a closure runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use daemonset_planner::{DaemonSet, Options, Snapshot, node_decision, placement};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// const-initialised thread-local without a destructor, so touching it cannot allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

/// A DaemonSet that uses every part of the decision: node selector, required affinity (labels
/// and fields), its own and the default tolerations, resource requests and a host port.
fn busy_daemon_set() -> DaemonSet {
    DaemonSet::from_yaml(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {kubernetes.io/os: linux, pool: general}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: cores, operator: Gt, values: [\"2\"]}
              - {key: zone, operator: In, values: [a, b, c]}
              - {key: retired, operator: DoesNotExist}
            - matchFields: [{key: metadata.name, operator: In, values: [special]}]
      tolerations:
      - {key: dedicated, operator: Equal, value: infra, effect: NoSchedule}
      containers:
      - name: agent
        image: agent:1
        ports: [{containerPort: 9100, hostPort: 9100}]
        resources: {requests: {cpu: 100m, memory: 128Mi, ephemeral-storage: 1Gi}}
",
    )
    .unwrap()
}

/// `n` eligible nodes, each with tolerated taints and another pod using resources and a
/// different host port.
fn eligible_cluster(n: usize) -> Snapshot {
    let mut yaml = String::new();
    for i in 0..n {
        yaml.push_str(&format!(
            "apiVersion: v1
kind: Node
metadata:
  name: node-{i:04}
  labels: {{kubernetes.io/os: linux, pool: general, cores: \"8\", zone: b}}
spec:
  unschedulable: true
  taints:
  - {{key: dedicated, value: infra, effect: NoSchedule}}
  - {{key: node.kubernetes.io/unschedulable, effect: NoSchedule}}
  - {{key: node.kubernetes.io/memory-pressure, effect: NoSchedule}}
  - {{key: spot, effect: PreferNoSchedule}}
status:
  allocatable: {{cpu: \"4\", memory: 16Gi, ephemeral-storage: 100Gi, pods: \"110\"}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web-{i}, namespace: web}}
spec:
  nodeName: node-{i:04}
  containers:
  - name: web
    image: nginx
    ports: [{{containerPort: 80, hostPort: 80}}]
    resources: {{requests: {{cpu: \"1\", memory: 1Gi}}}}
---
"
        ));
    }
    Snapshot::from_yaml(&yaml).unwrap()
}

#[test]
fn eligible_nodes_are_decided_without_allocating() {
    let ds = busy_daemon_set();
    let options = Options::at("2026-01-01T00:00:00Z".parse().unwrap());
    let small = eligible_cluster(1);
    let large = eligible_cluster(200);

    for node in large.nodes() {
        let (count, d) = allocations(|| node_decision(&ds, node, &options));
        assert!(d.should_run && d.reasons.is_empty());
        assert_eq!(count, 0, "node_decision on {} allocated", node.name);
    }

    // placement(): the result vector, and nothing per node (fit included).
    let (one, decisions) = allocations(|| placement(&ds, &small, &options));
    assert!(decisions.iter().all(|d| d.should_run && d.fits));
    let (many, decisions) = allocations(|| placement(&ds, &large, &options));
    assert_eq!(decisions.len(), 200);
    assert!(
        decisions
            .iter()
            .all(|d| d.should_run && d.fits && d.reasons.is_empty())
    );
    assert_eq!(one, 1);
    assert_eq!(many, 1);
}

#[test]
fn only_explaining_a_refusal_allocates() {
    let ds = busy_daemon_set();
    let options = Options::at("2026-01-01T00:00:00Z".parse().unwrap());
    let snapshot = Snapshot::from_yaml(
        "apiVersion: v1
kind: Node
metadata: {name: windows, labels: {kubernetes.io/os: windows, pool: general}}
",
    )
    .unwrap();
    let (count, d) = allocations(|| node_decision(&ds, &snapshot.nodes()[0], &options));
    assert!(!d.should_run);
    assert!(count > 0, "the reasons are built");
}
