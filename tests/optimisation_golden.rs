//! Plans on generated clusters are byte-identical to the plans the planner gave before its
//! performance work (commit 5b8fde5, before the compiled node index, the counting-sort
//! grouping and the interned revision hashes). `tests/data/golden/synth-plans.txt` holds, per
//! case, the 64-bit FNV-1a digest and the length of the plan's JSON as that version printed it.

use daemonset_planner::synth::{self, ClusterShape};
use daemonset_planner::{Options, Timestamp, plan};

fn fnv64(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Every case: name and plan JSON.
pub fn cases() -> Vec<(String, String)> {
    let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let options = Options::at(now);
    let mut out = Vec::new();
    for seed in 1..=4u64 {
        let cluster = synth::cluster(&ClusterShape {
            nodes: 150,
            seed,
            max_other_pods_per_node: 4,
            not_ready_percent: 5,
            cordoned_percent: 5,
        });
        for variant in 0..3 {
            let ds = synth::daemon_set(variant);
            let fresh = synth::snapshot(cluster.nodes.clone(), cluster.pods.clone());
            out.push((
                format!("seed{seed}-v{variant}-fresh"),
                plan(&ds, &fresh, &options),
            ));
            let mut pods = cluster.pods.clone();
            pods.extend(synth::daemon_pods(
                &ds,
                &cluster.nodes,
                ds.revision_hash(),
                now,
            ));
            let steady = synth::snapshot(cluster.nodes.clone(), pods);
            out.push((
                format!("seed{seed}-v{variant}-steady"),
                plan(&ds, &steady, &options),
            ));
            let updated = synth::daemon_set_updated(variant);
            out.push((
                format!("seed{seed}-v{variant}-rolling"),
                plan(&updated, &steady, &options),
            ));
        }
    }
    out.into_iter()
        .map(|(name, p)| (name, serde_json::to_string(&p.to_json()).unwrap()))
        .collect()
}

#[test]
fn plans_unchanged_by_optimisation() {
    let golden = include_str!("data/golden/synth-plans.txt");
    let expected: Vec<(&str, &str, &str)> = golden
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            )
        })
        .collect();
    let got = cases();
    assert_eq!(got.len(), expected.len());
    for ((name, json), (want_name, want_hash, want_len)) in got.iter().zip(&expected) {
        assert_eq!(name, want_name);
        assert_eq!(
            json.len().to_string(),
            *want_len,
            "{name}: plan JSON length changed"
        );
        assert_eq!(
            format!("{:016x}", fnv64(json)),
            *want_hash,
            "{name}: plan JSON changed"
        );
    }
}
