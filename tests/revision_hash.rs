//! The revision hash: our own stable hash of the template, unless the snapshot holds a
//! ControllerRevision of this DaemonSet storing the current template, whose
//! `controller-revision-hash` then wins (so pods a real cluster labelled count as current).

mod common;

use common::*;
use daemonset_planner::DaemonSet;
use serde_json::{Value, json};

/// A ControllerRevision storing `template`, labelled `hash`, with an optional controller.
fn revision(
    name: &str,
    hash: &str,
    number: i64,
    template: &Value,
    owner: Option<(&str, &str)>,
) -> String {
    let mut r = json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"name": "simple-daemon", "type": "production",
                       "controller-revision-hash": hash},
        },
        "revision": number,
        "data": {"spec": {"template": template}},
    });
    if let Some((owner, uid)) = owner {
        r["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "DaemonSet",
            "name": owner, "uid": uid, "controller": true, "blockOwnerDeletion": true}]);
    }
    r.to_string()
}

fn foo_template() -> Value {
    manifest(FOO)["spec"]["template"].clone()
}

/// Two nodes: node-0 runs a pod labelled with upstream's hash, node-1 one labelled with ours.
fn two_pods(ds: &DaemonSet, extra: Vec<String>) -> daemonset_planner::Snapshot {
    let mut docs = vec![
        node("node-0").yaml(),
        node("node-1").yaml(),
        node("node-2").yaml(),
        daemon_pod(ds, "labelled-by-cluster", "node-0")
            .hash("5b7f6c9d4")
            .yaml(),
        daemon_pod(ds, "labelled-by-us", "node-1").yaml(),
    ];
    docs.extend(extra);
    cluster(docs)
}

#[test]
fn our_hash_without_a_matching_revision() {
    let ds = foo(&on_delete());
    let plan = plan_now(&ds, &two_pods(&ds, vec![]));
    assert_eq!(plan.revision_hash(), ds.revision_hash());
    assert_eq!(plan.status().updated_number_scheduled, 1);
    let create = plan.revisions().create.as_ref().unwrap();
    assert_eq!(create.name, format!("foo-{}", ds.revision_hash()));
    assert_eq!(create.hash, ds.revision_hash());
    assert_eq!(create.revision, 1);
    assert_eq!(created_on(&plan), strings(&["node-2"]));
    assert_eq!(plan.creates()[0].revision_hash, ds.revision_hash());
}

#[test]
fn a_revision_storing_the_current_template_gives_the_hash() {
    let ds = foo(&on_delete());
    let owned = revision(
        "foo-5b7f6c9d4",
        "5b7f6c9d4",
        3,
        &foo_template(),
        Some(("foo", ds.uid().unwrap())),
    );
    let plan = plan_now(&ds, &two_pods(&ds, vec![owned]));
    assert_eq!(plan.revision_hash(), "5b7f6c9d4");
    assert_ne!(ds.revision_hash(), "5b7f6c9d4");
    // The pod the cluster labelled is current; the one labelled with our hash is not.
    assert_eq!(plan.status().updated_number_scheduled, 1);
    assert!(plan.revisions().create.is_none());
    assert_eq!(plan.creates()[0].revision_hash, "5b7f6c9d4");
    assert_eq!(
        plan.creates()[0].render(&ds)["metadata"]["labels"]["controller-revision-hash"],
        json!("5b7f6c9d4")
    );

    // With a RollingUpdate the pod labelled by us is the old one to replace.
    let rolling = foo(&rolling_update());
    let owned = revision(
        "foo-5b7f6c9d4",
        "5b7f6c9d4",
        3,
        &foo_template(),
        Some(("foo", rolling.uid().unwrap())),
    );
    let mut docs = vec![
        node("node-0").yaml(),
        node("node-1").yaml(),
        daemon_pod(&rolling, "labelled-by-cluster", "node-0")
            .hash("5b7f6c9d4")
            .ready(true, None)
            .yaml(),
        daemon_pod(&rolling, "labelled-by-us", "node-1")
            .ready(true, None)
            .yaml(),
    ];
    docs.push(owned);
    let plan = plan_now(&rolling, &cluster(docs));
    assert_eq!(deleted(&plan), strings(&["labelled-by-us"]));
}

// The stored template is compared as JSON: key order does not matter.
#[test]
fn revision_template_key_order_does_not_matter() {
    let ds = foo(&on_delete());
    let reordered: Value = serde_json::from_str(
        r#"{"spec": {"containers": [{"imagePullPolicy": "IfNotPresent", "image": "foo/bar", "name": "foo"}],
                     "dnsPolicy": "Default"},
            "metadata": {"labels": {"type": "production", "name": "simple-daemon"}}}"#,
    )
    .unwrap();
    let owned = revision(
        "foo-5b7f6c9d4",
        "5b7f6c9d4",
        1,
        &reordered,
        Some(("foo", ds.uid().unwrap())),
    );
    let plan = plan_now(&ds, &two_pods(&ds, vec![owned]));
    assert_eq!(plan.revision_hash(), "5b7f6c9d4");
}

#[test]
fn revisions_that_do_not_apply_leave_our_hash() {
    let ds = foo(&on_delete());
    let mut old_template = foo_template();
    old_template["spec"]["containers"][0]["image"] = "foo/bar:v0".into();
    let cases = [
        (
            "another template",
            revision(
                "foo-old",
                "5b7f6c9d4",
                1,
                &old_template,
                Some(("foo", ds.uid().unwrap())),
            ),
            2,
        ),
        (
            "another DaemonSet's revision",
            revision(
                "bar-1",
                "5b7f6c9d4",
                1,
                &foo_template(),
                Some(("bar", "uid-bar")),
            ),
            1,
        ),
        (
            "an older incarnation of foo",
            revision(
                "foo-1",
                "5b7f6c9d4",
                1,
                &foo_template(),
                Some(("foo", "uid-old-foo")),
            ),
            1,
        ),
    ];
    for (what, rev, next) in cases {
        let plan = plan_now(&ds, &two_pods(&ds, vec![rev]));
        assert_eq!(plan.revision_hash(), ds.revision_hash(), "{what}");
        assert_eq!(plan.status().updated_number_scheduled, 1, "{what}");
        assert_eq!(
            plan.revisions().create.as_ref().unwrap().revision,
            next,
            "{what}"
        );
    }
}

// upstream: TestControlledHistories: an orphan revision in the namespace whose labels match
// is adopted, and then it is ours.
#[test]
fn an_orphan_revision_is_adopted_and_used() {
    let ds = foo(&on_delete());
    let orphan = revision("foo-x2", "5b7f6c9d4", 1, &foo_template(), None);
    let plan = plan_now(&ds, &two_pods(&ds, vec![orphan]));
    assert_eq!(plan.revisions().adopt, strings(&["foo-x2"]));
    assert_eq!(plan.revision_hash(), "5b7f6c9d4");
}

#[test]
fn our_hash_is_stable_across_key_order_and_whitespace() {
    let block = foo(&on_delete());
    let flow = DaemonSet::from_yaml(
        r#"{kind: DaemonSet, apiVersion: apps/v1,
            spec: {template: {spec: {containers: [{imagePullPolicy: IfNotPresent, image: "foo/bar",
                                                    name: foo}],
                                     dnsPolicy: Default},
                              metadata: {labels: {type: production, name: simple-daemon}}},
                   selector: {matchLabels: {type: production, name: simple-daemon}},
                   updateStrategy: {type: OnDelete}, revisionHistoryLimit: 2},
            metadata: {uid: 3d9c5a0e-foo, namespace: default, name: foo}}"#,
    )
    .unwrap();
    assert_eq!(flow.revision_hash(), block.revision_hash());
    // The same DaemonSet as JSON.
    let json_text = serde_json::to_string_pretty(&manifest(FOO)).unwrap();
    assert_eq!(
        DaemonSet::from_yaml(&json_text).unwrap().revision_hash(),
        block.revision_hash()
    );
    // Only the template counts: the strategy and metadata do not change it.
    assert_eq!(
        foo(&rolling_update()).revision_hash(),
        block.revision_hash()
    );
    // Any template change does.
    let mut m = manifest(FOO);
    m["spec"]["template"]["spec"]["containers"][0]["image"] = "foo/bar2".into();
    assert_ne!(daemon_set(&m).revision_hash(), block.revision_hash());
    // Pinned, so a change of the hash function (which would make every pod of every
    // DaemonSet look outdated) cannot go unnoticed; encoded like upstream's safe strings.
    assert_eq!(block.revision_hash(), "6f99f5fc6b");
    assert!(
        block
            .revision_hash()
            .bytes()
            .all(|c| b"456789bcdf".contains(&c))
    );
}
