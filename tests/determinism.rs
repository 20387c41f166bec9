//! The same cluster listed in any order gives byte-identical plans.

mod common;

use common::*;
use daemonset_planner::{DaemonSet, FailedPodBackoff, Options, plan};
use proptest::prelude::*;
use serde_json::json;
use std::time::Duration;

#[derive(Debug, Clone)]
struct NodeCase {
    color: Option<&'static str>,
    taint: Option<(&'static str, &'static str)>,
}

#[derive(Debug, Clone)]
struct PodCase {
    owner: u8,
    selected: bool,
    hash: u8,
    target: usize,
    bound: bool,
    phase: &'static str,
    ready: Option<bool>,
    created: Option<u64>,
    deleting: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    strategy: u8,
    node_selector: bool,
    min_ready: bool,
    revision: u8,
    nodes: Vec<NodeCase>,
    pods: Vec<PodCase>,
}

fn node_case() -> impl Strategy<Value = NodeCase> {
    (
        prop::option::of(prop::sample::select(vec!["blue", "red"])),
        prop::option::of(prop::sample::select(vec![
            ("dedicated", "NoSchedule"),
            ("dedicated", "NoExecute"),
            ("node.kubernetes.io/not-ready", "NoExecute"),
            ("node.kubernetes.io/not-ready", "NoSchedule"),
        ])),
    )
        .prop_map(|(color, taint)| NodeCase { color, taint })
}

fn pod_case() -> impl Strategy<Value = PodCase> {
    (
        0u8..4,
        prop::bool::weighted(0.8),
        0u8..3,
        0usize..7,
        prop::bool::weighted(0.8),
        prop::sample::select(vec!["", "Running", "Running", "Failed", "Succeeded"]),
        prop::option::of(any::<bool>()),
        prop::option::of(0u64..3),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(owner, selected, hash, target, bound, phase, ready, created, deleting)| PodCase {
                owner,
                selected,
                hash,
                target,
                bound,
                phase,
                ready,
                created,
                deleting,
            },
        )
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        0u8..3,
        prop::collection::vec(node_case(), 0..6),
        prop::collection::vec(pod_case(), 0..12),
    )
        .prop_map(
            |(strategy, node_selector, min_ready, revision, nodes, pods)| Scenario {
                strategy,
                node_selector,
                min_ready,
                revision,
                nodes,
                pods,
            },
        )
}

fn daemon_set_of(s: &Scenario) -> DaemonSet {
    let mut m = manifest(FOO);
    m["spec"]["updateStrategy"] = match s.strategy {
        0 => on_delete(),
        1 => rolling_update(),
        _ => surge(1.into()),
    };
    if s.node_selector {
        m["spec"]["template"]["spec"]["nodeSelector"] = json!({"color": "blue"});
    }
    if s.min_ready {
        m["spec"]["minReadySeconds"] = 30.into();
    }
    daemon_set(&m)
}

/// Every document of the scenario, nodes first, pods in index order.
fn documents(s: &Scenario, ds: &DaemonSet) -> Vec<String> {
    let t0 = now() - Duration::from_secs(60);
    let mut docs = Vec::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let mut doc = node(&format!("node-{i}"));
        if let Some(color) = n.color {
            doc = doc.labels(&[("color", color)]);
        }
        if let Some((key, effect)) = n.taint {
            doc = doc.taint(key, "", effect);
        }
        docs.push(doc.yaml());
    }
    for (i, p) in s.pods.iter().enumerate() {
        let mut doc = pod(&format!("p{i}")).labels(if p.selected { SELECTED } else { UNSELECTED });
        doc = match p.hash {
            0 => doc.hash(ds.revision_hash()),
            1 => doc.hash("old"),
            _ => doc,
        };
        doc = match p.owner {
            0 => doc.owned_by(ds),
            1 => doc,
            2 => doc.owner("DaemonSet", "foo2", Some("uid-foo2")),
            _ => doc.owner("ReplicaSet", "web-1", Some("uid-rs")),
        };
        let target = format!("node-{}", p.target);
        doc = if p.bound {
            doc.on(&target)
        } else {
            doc.pinned(&target)
        };
        if !p.phase.is_empty() {
            doc = doc.phase(p.phase);
        }
        if let Some(r) = p.ready {
            doc = doc.ready(r, Some(t0 + Duration::from_secs(20)));
        }
        if let Some(c) = p.created {
            doc = doc.created(t0 + Duration::from_secs(10 * c));
        }
        if p.deleting {
            doc = doc.deleting(t0);
        }
        docs.push(doc.yaml());
    }
    if s.revision > 0 {
        let mut template = manifest(FOO)["spec"]["template"].clone();
        if s.revision == 2 {
            template["spec"]["containers"][0]["image"] = "foo/bar:old".into();
        }
        docs.push(
            json!({
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": "foo-rev", "namespace": "default",
                    "labels": {"name": "simple-daemon", "type": "production",
                               "controller-revision-hash": "old"},
                },
                "revision": 1,
                "data": {"spec": {"template": template}},
            })
            .to_string(),
        );
    }
    docs
}

fn plan_json(ds: &DaemonSet, docs: &[String]) -> String {
    let mut options = Options::at(now());
    let mut backoff = FailedPodBackoff::new();
    backoff.insert(
        "node-1",
        now() - Duration::from_secs(1),
        Duration::from_secs(4),
    );
    options.failed_pod_backoff = backoff;
    let snapshot = cluster(docs.iter().cloned());
    serde_json::to_string(&plan(ds, &snapshot, &options).to_json()).unwrap()
}

fn shuffled() -> impl Strategy<Value = (Scenario, Vec<String>, Vec<String>)> {
    scenario().prop_flat_map(|s| {
        let ds = daemon_set_of(&s);
        let docs = documents(&s, &ds);
        (Just(s), Just(docs.clone()), Just(docs).prop_shuffle())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn input_order_never_changes_the_plan((s, docs, mixed) in shuffled()) {
        let ds = daemon_set_of(&s);
        let expected = plan_json(&ds, &docs);
        prop_assert_eq!(&plan_json(&ds, &mixed), &expected);
        let mut reversed = docs.clone();
        reversed.reverse();
        prop_assert_eq!(&plan_json(&ds, &reversed), &expected);
    }
}

// The property sees real work: a fixed scenario with something of everything.
#[test]
fn the_generated_clusters_exercise_the_plan() {
    let s = Scenario {
        strategy: 2,
        node_selector: false,
        min_ready: true,
        revision: 1,
        nodes: vec![
            NodeCase {
                color: Some("blue"),
                taint: None,
            },
            NodeCase {
                color: None,
                taint: Some(("dedicated", "NoExecute")),
            },
            NodeCase {
                color: None,
                taint: None,
            },
        ],
        pods: vec![
            PodCase {
                owner: 0,
                selected: true,
                hash: 1,
                target: 0,
                bound: true,
                phase: "Running",
                ready: Some(true),
                created: Some(0),
                deleting: false,
            },
            PodCase {
                owner: 1,
                selected: true,
                hash: 0,
                target: 0,
                bound: false,
                phase: "",
                ready: None,
                created: None,
                deleting: false,
            },
            PodCase {
                owner: 0,
                selected: true,
                hash: 0,
                target: 1,
                bound: true,
                phase: "Running",
                ready: Some(true),
                created: Some(1),
                deleting: false,
            },
        ],
    };
    let ds = daemon_set_of(&s);
    let docs = documents(&s, &ds);
    let json: serde_json::Value = serde_json::from_str(&plan_json(&ds, &docs)).unwrap();
    assert_eq!(
        json["adopt"],
        json!([{"namespace": "default", "name": "p1"}])
    );
    // The adopted revision stores the template, so "old" is the current hash: p0 is new, the
    // adopted p1 is old and not ready (replaced at once with surge), p2 is on a NoExecute node.
    let deletes: Vec<&str> = json["deletes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["pod"].as_str().unwrap())
        .collect();
    assert_eq!(deletes, ["p1", "p2"]);
    assert_eq!(json["creates"][0]["node"], json!("node-2"));
    assert_eq!(json["revisionHash"], json!("old"));
}
