//! Planner benchmarks on synthetic clusters. Run with `cargo bench`; figures live in
//! BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use daemonset_planner::synth::{self, ClusterShape};
use daemonset_planner::{DaemonSet, Options, Snapshot, Timestamp, placement, plan};
use std::hint::black_box;

const SIZES: &[usize] = &[1_000, 5_000, 20_000, 100_000];

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().expect("valid time")
}

/// Fewer samples for the big sizes, so the whole suite runs in minutes on two cores.
fn samples(nodes: usize) -> usize {
    if nodes >= 20_000 { 10 } else { 30 }
}

fn shape(nodes: usize) -> ClusterShape {
    ClusterShape {
        nodes,
        seed: 42,
        ..ClusterShape::default()
    }
}

fn bench_placement(c: &mut Criterion) {
    let mut group = c.benchmark_group("placement");
    for &n in SIZES {
        let cluster = synth::cluster(&shape(n));
        let snapshot = synth::snapshot(cluster.nodes, cluster.pods);
        let ds = synth::daemon_set(0);
        let options = Options::at(now());
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(samples(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(placement(&ds, &snapshot, &options)))
        });
    }
    group.finish();
}

fn steady_snapshot(n: usize) -> (DaemonSet, Snapshot) {
    let cluster = synth::cluster(&shape(n));
    let ds = synth::daemon_set(0);
    let mut pods = cluster.pods;
    pods.extend(synth::daemon_pods(
        &ds,
        &cluster.nodes,
        ds.revision_hash(),
        now(),
    ));
    (ds, synth::snapshot(cluster.nodes, pods))
}

/// One `plan` benchmark group over every size, with `setup` building its inputs.
fn plan_group(c: &mut Criterion, name: &str, setup: impl Fn(usize) -> (DaemonSet, Snapshot)) {
    let options = Options::at(now());
    let mut group = c.benchmark_group(name);
    for &n in SIZES {
        let (ds, snapshot) = setup(n);
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(samples(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(plan(&ds, &snapshot, &options)))
        });
    }
    group.finish();
}

fn bench_plan(c: &mut Criterion) {
    plan_group(c, "plan/steady", steady_snapshot);
    plan_group(c, "plan/fresh", |n| {
        let cluster = synth::cluster(&shape(n));
        (
            synth::daemon_set(0),
            synth::snapshot(cluster.nodes, cluster.pods),
        )
    });
    // Every pod runs the previous template: one rolling-update step (maxUnavailable 10%).
    plan_group(c, "plan/rolling", |n| {
        (synth::daemon_set_updated(0), steady_snapshot(n).1)
    });

    let options = Options::at(now());
    let mut group = c.benchmark_group("plan/many");
    let cluster = synth::cluster(&shape(5_000));
    let sets: Vec<_> = (0..50).map(synth::daemon_set).collect();
    let mut pods = cluster.pods.clone();
    for ds in &sets {
        pods.extend(synth::daemon_pods(
            ds,
            &cluster.nodes,
            ds.revision_hash(),
            now(),
        ));
    }
    let snapshot = synth::snapshot(cluster.nodes, pods);
    group.throughput(Throughput::Elements(5_000 * 50));
    group.bench_function("5000x50", |b| {
        b.iter(|| {
            for ds in &sets {
                black_box(plan(ds, &snapshot, &options));
            }
        })
    });
    group.finish();
}

fn bench_snapshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot/build");
    for &n in SIZES {
        let cluster = synth::cluster(&shape(n));
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(samples(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                black_box(Snapshot::new(
                    cluster.nodes.clone(),
                    cluster.pods.clone(),
                    Vec::new(),
                ))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("snapshot/parse");
    group.sample_size(10);
    let cluster = synth::cluster(&shape(10_000));
    let text = synth::to_yaml(&cluster.nodes, &cluster.pods);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("10000", |b| {
        b.iter(|| black_box(Snapshot::from_yaml(&text)))
    });
    group.finish();
}

fn bench_replan(c: &mut Criterion) {
    use daemonset_planner::replan::Replanner;
    use daemonset_planner::{ReadyCondition, Taint, TaintEffect};

    let cluster = synth::cluster(&shape(20_000));
    let sets: Vec<_> = (0..10).map(synth::daemon_set).collect();
    let mut pods = cluster.pods.clone();
    for ds in &sets {
        pods.extend(synth::daemon_pods(
            ds,
            &cluster.nodes,
            ds.revision_hash(),
            now(),
        ));
    }
    let mut replanner = Replanner::new(synth::snapshot(cluster.nodes, pods), Options::at(now()));
    for ds in sets {
        replanner.add(ds);
    }
    // A node every DaemonSet runs on, and one of its daemon pods.
    let target = replanner
        .snapshot()
        .nodes()
        .iter()
        .position(|n| {
            replanner
                .plans()
                .all(|(_, p)| p.node(&n.name).is_some_and(|d| d.should_run && d.fits))
        })
        .expect("a node that runs every DaemonSet");
    let node = replanner.snapshot().nodes()[target].clone();
    let pod = replanner
        .snapshot()
        .pods()
        .iter()
        .find(|p| {
            p.node_name.as_deref() == Some(node.name.as_str()) && p.labels.contains_key("tier")
        })
        .cloned()
        .expect("a daemon pod on the node");

    let mut group = c.benchmark_group("replan/one-node");
    group.throughput(Throughput::Elements(1));
    let mut flip = false;
    let mut labelled = node.clone();
    group.bench_function("label", |b| {
        b.iter(|| {
            flip = !flip;
            labelled
                .labels
                .insert("team".into(), if flip { "a" } else { "b" }.into());
            replanner.set_node(labelled.clone()).expect("valid node");
        })
    });
    let mut tainted = node.clone();
    group.bench_function("taint", |b| {
        b.iter(|| {
            flip = !flip;
            tainted.taints.retain(|t| t.key != "maintenance");
            if flip {
                tainted
                    .taints
                    .push(Taint::new("maintenance", "", TaintEffect::NoExecute));
            }
            replanner.set_node(tainted.clone()).expect("valid node");
        })
    });
    replanner.set_node(node.clone()).expect("valid node");
    let mut ready = pod.clone();
    group.bench_function("pod-ready", |b| {
        b.iter(|| {
            flip = !flip;
            ready.ready = Some(ReadyCondition {
                ready: flip,
                last_transition_time: Some(now()),
            });
            replanner.set_pod(ready.clone()).expect("valid pod");
        })
    });
    group.finish();
    let stats = replanner.stats();
    eprintln!(
        "replan/one-node: {} incremental, {} full replans",
        stats.incremental, stats.full
    );
}

criterion_group!(
    benches,
    bench_placement,
    bench_plan,
    bench_snapshot,
    bench_replan
);
criterion_main!(benches);
