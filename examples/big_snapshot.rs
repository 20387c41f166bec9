//! Build a large synthetic snapshot and plan once, to measure memory:
//!
//! ```text
//! cargo build --release --example big_snapshot
//! /usr/bin/time -v target/release/examples/big_snapshot 100000
//! ```
//!
//! The peak RSS ("Maximum resident set size") is the figure BENCHMARKS.md records.

use daemonset_planner::synth::{self, ClusterShape};
use daemonset_planner::{Options, Timestamp, plan};

fn main() {
    let nodes: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let now: Timestamp = "2026-06-01T00:00:00Z".parse().expect("valid time");
    let cluster = synth::cluster(&ClusterShape {
        nodes,
        seed: 42,
        ..ClusterShape::default()
    });
    let ds = synth::daemon_set(0);
    let mut pods = cluster.pods;
    pods.extend(synth::daemon_pods(
        &ds,
        &cluster.nodes,
        ds.revision_hash(),
        now,
    ));
    let snapshot = synth::snapshot(cluster.nodes, pods);
    let plan = plan(&ds, &snapshot, &Options::at(now));
    println!(
        "{} nodes, {} pods; plan: {} creates, {} deletes, desired {}",
        snapshot.nodes().len(),
        snapshot.pods().len(),
        plan.creates().len(),
        plan.deletes().len(),
        plan.status().desired_number_scheduled
    );
}
