//! The incremental replanner gives exactly the plan a full `plan()` gives on the changed
//! snapshot, whatever sequence of node and pod changes it sees.

use daemonset_planner::replan::Replanner;
use daemonset_planner::synth::{self, ClusterShape, Rng};
use daemonset_planner::{Options, Quantity, ReadyCondition, Taint, TaintEffect, Timestamp, plan};
use proptest::prelude::*;

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn check(replanner: &Replanner, options: &Options) {
    for (ds, p) in replanner.plans() {
        let full = plan(ds, replanner.snapshot(), options);
        assert_eq!(
            serde_json::to_string(&p.to_json()).unwrap(),
            serde_json::to_string(&full.to_json()).unwrap(),
            "DaemonSet {}",
            ds.name()
        );
    }
}

fn run(seed: u64, steps: usize) -> (usize, usize) {
    let options = Options::at(now());
    let cluster = synth::cluster(&ClusterShape {
        nodes: 40,
        seed,
        ..ClusterShape::default()
    });
    let sets: Vec<_> = (0..3).map(synth::daemon_set).collect();
    let mut pods = cluster.pods.clone();
    for ds in &sets {
        pods.extend(synth::daemon_pods(
            ds,
            &cluster.nodes,
            ds.revision_hash(),
            now(),
        ));
    }
    let mut replanner = Replanner::new(synth::snapshot(cluster.nodes, pods), options.clone());
    for ds in sets {
        replanner.add(ds);
    }
    let mut rng = Rng::new(seed ^ 0x5eed);
    for step in 0..steps {
        let snapshot = replanner.snapshot();
        let n = rng.below(snapshot.nodes().len() as u64) as usize;
        let mut node = snapshot.nodes()[n].clone();
        match rng.below(9) {
            0 => {
                let os = if rng.chance(50) { "linux" } else { "windows" };
                node.labels.insert("kubernetes.io/os".into(), os.into());
            }
            1 => {
                node.labels.insert(
                    "pool".into(),
                    (*rng.pick(&["edge", "general", "gpu"])).into(),
                );
            }
            2 => {
                node.labels.insert("team".into(), format!("t{step}").into());
            }
            3 => node
                .taints
                .push(Taint::new("maintenance", "", TaintEffect::NoSchedule)),
            4 => node
                .taints
                .push(Taint::new("evict", "now", TaintEffect::NoExecute)),
            5 => node.taints.clear(),
            6 => {
                node.allocatable
                    .insert("cpu".into(), Quantity::from_milli(rng.below(200) as i64));
            }
            7 => {
                // A pod on the node turns Ready or not.
                let victim = snapshot
                    .pods()
                    .iter()
                    .find(|p| {
                        p.node_name.as_deref() == Some(node.name.as_str())
                            && p.labels.contains_key("tier")
                    })
                    .cloned();
                if let Some(mut pod) = victim {
                    let ready = !pod.is_ready();
                    pod.ready = Some(ReadyCondition {
                        ready,
                        last_transition_time: Some(now()),
                    });
                    replanner.set_pod(pod).unwrap();
                    check(&replanner, &options);
                }
                continue;
            }
            _ => {
                node = daemonset_planner::Node::new(format!("new-{seed}-{step}"));
                node.labels
                    .insert("kubernetes.io/os".into(), "linux".into());
                node.labels
                    .insert("kubernetes.io/arch".into(), "amd64".into());
            }
        }
        replanner.set_node(node).unwrap();
        check(&replanner, &options);
    }
    let stats = replanner.stats();
    (stats.incremental, stats.full)
}

#[test]
fn incremental_path_is_taken_and_agrees() {
    let (incremental, full) = run(7, 60);
    assert!(
        incremental > 10,
        "incremental path taken only {incremental} times"
    );
    assert!(full > 0, "the fallback was never exercised");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn replanning_equals_planning(seed in any::<u64>()) {
        run(seed, 25);
    }
}
