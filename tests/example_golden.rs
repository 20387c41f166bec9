//! Golden test of the `plan` example's JSON output on its built-in sample data.
//!
//! To refresh after an intended change:
//! `cargo run --example plan -- --json > tests/data/golden/plan-sample.json`

use daemonset_planner::{DaemonSet, Options, Snapshot, plan};

#[test]
fn plan_example_json_matches_golden() {
    let ds = DaemonSet::from_yaml(include_str!("data/seed/01-fluentd.yaml")).unwrap();
    let snapshot =
        Snapshot::from_yaml(include_str!("../examples/data/sample-cluster.yaml")).unwrap();
    let options = Options::at("2026-01-01T10:00:00Z".parse().unwrap());
    let plan = plan(&ds, &snapshot, &options);
    let got = serde_json::to_string_pretty(&plan.to_json()).unwrap() + "\n";
    let want = include_str!("data/golden/plan-sample.json");
    assert_eq!(
        got, want,
        "plan JSON changed; see this file's header to refresh the golden copy"
    );
}

#[test]
fn sample_plan_tells_the_story() {
    let ds = DaemonSet::from_yaml(include_str!("data/seed/01-fluentd.yaml")).unwrap();
    let snapshot =
        Snapshot::from_yaml(include_str!("../examples/data/sample-cluster.yaml")).unwrap();
    let plan = plan(
        &ds,
        &snapshot,
        &Options::at("2026-01-01T10:00:00Z".parse().unwrap()),
    );
    // The cluster's own revision hash is recognised: pods labelled 7d9c8f6b5 are current.
    assert_eq!(plan.revision_hash(), "7d9c8f6b5");
    assert!(plan.revisions().create.is_none());
    let creates: Vec<&str> = plan.creates().iter().map(|c| c.node.as_str()).collect();
    assert_eq!(creates, ["cordoned-1", "full-1", "worker-2"]);
    let deletes: Vec<&str> = plan.deletes().iter().map(|d| d.pod.as_str()).collect();
    assert_eq!(deletes, ["fluentd-edge1", "fluentd-w4bad"]);
    assert!(!plan.node("gpu-1").unwrap().should_run);
    assert!(plan.node("notready-1").unwrap().should_continue_running);
    let full = plan.node("full-1").unwrap();
    assert!(full.should_run && !full.fits);
    assert_eq!(
        full.reasons[0].to_string(),
        "insufficient cpu: requested 100m, free 50m"
    );
    assert_eq!(plan.status().desired_number_scheduled, 7);
    assert_eq!(plan.status().number_misscheduled, 2);
}
