//! ControllerRevisions: create, reuse, renumber, deduplicate, clean up (R47-R56); `rollout
//! history` (R67) and `rollout undo` (R66).

mod rollout_support;

use daemonset_planner::{
    ControllerRevision, DaemonSet, Error, RevisionDeleteReason, RevisionToDelete,
    RevisionToRenumber, Snapshot, plan, rollback, rollout_history,
};
use rollout_support::*;

/// A revision of `foo` storing the template of `foo(image)`, with the hash label `hash`.
fn revision(image: &str, hash: &str, number: i64) -> ControllerRevision {
    let template = foo(image, ON_DELETE).template().to_json().clone();
    let mut t = template;
    t.as_object_mut()
        .unwrap()
        .insert("$patch".into(), "replace".into());
    let mut r = ControllerRevision::new(
        "default",
        format!("foo-{hash}"),
        number,
        serde_json::json!({"spec": {"template": t}}),
    );
    r.labels.insert("app".into(), "foo".into());
    r.labels
        .insert("controller-revision-hash".into(), hash.into());
    r.controller = Some(owner());
    r
}

fn cluster_with(revisions: Vec<ControllerRevision>) -> Cluster {
    let mut c = Cluster::with_nodes(2);
    c.revisions = revisions;
    c
}

fn deleted_revisions(c: &Cluster, ds: &DaemonSet) -> Vec<(String, RevisionDeleteReason)> {
    c.plan(ds, 10)
        .revisions()
        .delete
        .iter()
        .map(|d| (d.name.clone(), d.reason))
        .collect()
}

#[test]
fn first_revision_is_created() {
    let ds = foo("foo/bar", &unavailable("1"));
    let p = cluster_with(vec![]).plan(&ds, 10);
    let create = p.revisions().create.as_ref().expect("a revision to create");
    assert_eq!(create.name, format!("foo-{}", ds.revision_hash()));
    assert_eq!(create.hash, ds.revision_hash());
    assert_eq!(create.revision, 1);
    assert_eq!(p.revision_hash(), ds.revision_hash());
    assert!(p.revisions().renumber.is_empty());
    assert!(p.revisions().delete.is_empty());
}

#[test]
fn new_template_gets_max_plus_one() {
    let ds = foo("foo/v4", &unavailable("1"));
    let c = cluster_with(vec![
        revision("foo/v1", "h1", 1),
        revision("foo/v3", "h3", 3),
        revision("foo/v2", "h2", 2),
    ]);
    let p = c.plan(&ds, 10);
    let create = p.revisions().create.as_ref().unwrap();
    assert_eq!(create.revision, 4);
    assert_eq!(create.name, format!("foo-{}", ds.revision_hash()));
}

// R49, R54: a revision storing the current template is reused, and its hash is the one the
// sync uses (so pods a real cluster labelled count as updated).
#[test]
fn matching_revision_is_reused_with_its_hash() {
    let ds = foo("foo/v2", &unavailable("1"));
    let mut c = cluster_with(vec![
        revision("foo/v1", "6d7f8c9b5", 1),
        revision("foo/v2", "5b4c7d8f9", 2),
    ]);
    c.pod("node-0", "5b4c7d8f9", Ready::Since(0), 0);
    c.pod("node-1", "6d7f8c9b5", Ready::Since(0), 0);
    let p = c.plan(&ds, 10);
    assert!(p.revisions().is_empty(), "{:?}", p.revisions());
    assert_eq!(p.revision_hash(), "5b4c7d8f9");
    assert_ne!(p.revision_hash(), ds.revision_hash());
    assert_eq!(p.status().updated_number_scheduled, 1);
    // node-1 holds the old pod: it is the one the rolling update deletes.
    assert_eq!(deleted_nodes(&p), ["node-1"]);
    // Created pods carry the reused hash.
    let mut c = c.clone();
    c.nodes.push(node("node-2"));
    let p = c.plan(&ds, 10);
    assert_eq!(p.creates()[0].revision_hash, "5b4c7d8f9");
}

// R55: going back to an older template renumbers its revision instead of creating one.
#[test]
fn rollback_template_renumbers_its_revision() {
    let ds = foo("foo/v1", &unavailable("1"));
    let c = cluster_with(vec![
        revision("foo/v1", "h1", 1),
        revision("foo/v2", "h2", 2),
    ]);
    let p = c.plan(&ds, 10);
    assert!(p.revisions().create.is_none());
    assert_eq!(
        p.revisions().renumber,
        [RevisionToRenumber {
            name: "foo-h1".into(),
            from: 1,
            to: 3
        }]
    );
    assert_eq!(p.revision_hash(), "h1");
}

// R53: several revisions store the current template: keep the highest, delete the others,
// relabel pods to the kept hash.
#[test]
fn duplicate_current_revisions_are_deduplicated() {
    let ds = foo("foo/v2", &unavailable("1"));
    let mut c = cluster_with(vec![
        revision("foo/v2", "dup-a", 2),
        revision("foo/v1", "h1", 3),
        revision("foo/v2", "dup-b", 4),
    ]);
    let a = c.pod("node-0", "dup-a", Ready::Since(0), 0);
    let old = c.pod("node-1", "h1", Ready::Since(0), 0);
    let p = c.plan(&ds, 10);
    assert_eq!(p.revision_hash(), "dup-b");
    assert_eq!(
        p.revisions().delete,
        [RevisionToDelete {
            name: "foo-dup-a".into(),
            revision: 2,
            reason: RevisionDeleteReason::Duplicate
        }]
    );
    assert!(p.revisions().renumber.is_empty(), "4 > 3: no renumber");
    assert!(p.revisions().create.is_none());
    // Every pod whose hash differs from the kept one is relabelled, even the genuinely old
    // one (an upstream quirk, R53).
    let mut relabelled: Vec<String> = p.relabels().iter().map(|r| r.pod.name.clone()).collect();
    relabelled.sort();
    let mut want = vec![a, old];
    want.sort();
    assert_eq!(relabelled, want);
    assert!(p.relabels().iter().all(|r| r.hash == "dup-b"));

    // Kept revision below max(other) + 1: renumbered.
    let c = cluster_with(vec![
        revision("foo/v2", "dup-a", 1),
        revision("foo/v2", "dup-b", 2),
        revision("foo/v1", "h1", 5),
    ]);
    let p = c.plan(&ds, 10);
    assert_eq!(p.revision_hash(), "dup-b");
    assert_eq!(
        p.revisions().renumber,
        [RevisionToRenumber {
            name: "foo-dup-b".into(),
            from: 2,
            to: 6
        }]
    );
    // A tie keeps the later one in (name) list order.
    let c = cluster_with(vec![
        revision("foo/v2", "dup-b", 2),
        revision("foo/v2", "dup-a", 2),
    ]);
    let p = c.plan(&ds, 10);
    assert_eq!(p.revision_hash(), "dup-b");
    assert_eq!(p.revisions().delete[0].name, "foo-dup-a");
}

fn history_ds(limit: i64) -> DaemonSet {
    foo_with(
        "foo/v9",
        &unavailable("1"),
        &format!("  revisionHistoryLimit: {limit}\n"),
    )
}

// R56: oldest first, beyond revisionHistoryLimit, never one a live pod uses.
#[test]
fn cleanup_beyond_the_history_limit() {
    let revisions = || {
        vec![
            revision("foo/v9", "cur", 9),
            revision("foo/v1", "h1", 1),
            revision("foo/v2", "h2", 2),
            revision("foo/v3", "h3", 3),
            revision("foo/v4", "h4", 4),
        ]
    };
    let mut c = cluster_with(revisions());
    // 4 old revisions, limit 2: the two oldest go.
    assert_eq!(
        deleted_revisions(&c, &history_ds(2)),
        [
            ("foo-h1".into(), RevisionDeleteReason::HistoryLimit),
            ("foo-h2".into(), RevisionDeleteReason::HistoryLimit)
        ]
    );
    // A live pod still runs h1: it is skipped, and the next oldest goes instead.
    c.pod("node-0", "h1", Ready::Since(0), 0);
    assert_eq!(
        deleted_revisions(&c, &history_ds(2)),
        [
            ("foo-h2".into(), RevisionDeleteReason::HistoryLimit),
            ("foo-h3".into(), RevisionDeleteReason::HistoryLimit)
        ]
    );
    // A Failed pod being deleted still counts as using its revision.
    let f = c.pod("node-1", "h2", Ready::No, 0);
    c.pod_mut(&f).phase = daemonset_planner::PodPhase::Failed;
    c.pod_mut(&f).deletion_timestamp = Some(at(5));
    assert_eq!(
        deleted_revisions(&c, &history_ds(2)),
        [
            ("foo-h3".into(), RevisionDeleteReason::HistoryLimit),
            ("foo-h4".into(), RevisionDeleteReason::HistoryLimit)
        ]
    );
    // Limit 0: every unreferenced old revision goes; never the current one.
    let got = deleted_revisions(&c, &history_ds(0));
    assert_eq!(
        got.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(),
        ["foo-h3", "foo-h4"]
    );
    // Within the limit: nothing.
    assert!(deleted_revisions(&c, &history_ds(4)).is_empty());
    assert!(deleted_revisions(&c, &history_ds(10)).is_empty());
    // The default limit is 10.
    assert_eq!(foo("foo/v9", ON_DELETE).revision_history_limit(), 10);
}

#[test]
fn cleanup_counts_the_revision_being_created_as_current() {
    // No revision matches: one is created; the 3 existing are all old.
    let c = cluster_with(vec![
        revision("foo/v1", "h1", 1),
        revision("foo/v2", "h2", 2),
        revision("foo/v3", "h3", 3),
    ]);
    let p = c.plan(&history_ds(1), 10);
    assert_eq!(p.revisions().create.as_ref().unwrap().revision, 4);
    let names: Vec<&str> = p
        .revisions()
        .delete
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names, ["foo-h1", "foo-h2"]);
}

// upstream: TestControlledHistories
#[test]
fn controlled_histories() {
    let ds = foo("foo/v9", &unavailable("1"));
    // Owned, plus an orphan with matching labels in the same namespace: both are the
    // DaemonSet's (the orphan is adopted), so the next number is 3.
    let mut orphan = revision("foo/v2", "x2", 2);
    orphan.controller = None;
    let c = cluster_with(vec![revision("foo/v1", "x1", 1), orphan.clone()]);
    let p = c.plan(&ds, 10);
    assert_eq!(p.revisions().adopt, ["foo-x2"]);
    assert_eq!(p.revisions().create.as_ref().unwrap().revision, 3);

    // An orphan in another namespace is not adopted and not counted.
    let mut other = orphan.clone();
    other.namespace = "default-other".into();
    let c = cluster_with(vec![other]);
    let p = c.plan(&ds, 10);
    assert!(p.revisions().adopt.is_empty());
    assert_eq!(p.revisions().create.as_ref().unwrap().revision, 1);

    // Owned by another DaemonSet: not ours.
    let mut foreign = revision("foo/v5", "x5", 5);
    if let Some(o) = foreign.controller.as_mut() {
        o.name = "bar".into();
        o.uid = Some("another-uid".into());
    }
    let c = cluster_with(vec![foreign]);
    let p = c.plan(&ds, 10);
    assert_eq!(p.revisions().create.as_ref().unwrap().revision, 1);

    // Owned but no longer matching the selector: released.
    let mut stray = revision("foo/v6", "x6", 6);
    stray.labels.insert("app".into(), "other".into());
    let c = cluster_with(vec![stray]);
    let p = c.plan(&ds, 10);
    assert_eq!(p.revisions().release, ["foo-x6"]);
    assert_eq!(p.revisions().create.as_ref().unwrap().revision, 1);
}

#[test]
fn rendered_revision() {
    let ds = ds(&format!(
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: foo
  namespace: default
  uid: {UID}
  annotations: {{kubernetes.io/change-cause: "kubectl set image ds/foo foo=foo/v2", team: infra}}
spec:
  selector: {{matchLabels: {{app: foo}}}}
  template:
    metadata: {{labels: {{app: foo, tier: node}}}}
    spec: {{containers: [{{name: foo, image: foo/v2}}]}}
"#
    ));
    let c = cluster_with(vec![revision("foo/v1", "h1", 1)]);
    let p = c.plan(&ds, 10);
    let create = p.revisions().create.as_ref().unwrap();
    let doc = create.render(&ds);
    let hash = ds.revision_hash();
    assert_eq!(
        doc,
        serde_json::json!({
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": format!("foo-{hash}"),
                "namespace": "default",
                "labels": {"app": "foo", "tier": "node", "controller-revision-hash": hash},
                "annotations": {
                    "kubernetes.io/change-cause": "kubectl set image ds/foo foo=foo/v2",
                    "team": "infra"
                },
                "ownerReferences": [{
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": "foo",
                    "uid": UID,
                    "controller": true,
                    "blockOwnerDeletion": true
                }]
            },
            "data": {"spec": {"template": {
                "$patch": "replace",
                "metadata": {"labels": {"app": "foo", "tier": "node"}},
                "spec": {"containers": [{"name": "foo", "image": "foo/v2"}]}
            }}},
            "revision": 2
        })
    );

    // Fed back as part of the cluster, the revision is current: nothing to create, and
    // `rollout history` shows it with its change-cause.
    let text = serde_json::to_string(&doc).unwrap();
    let snap = Snapshot::from_yaml(&text).unwrap();
    let mut c2 = c.clone();
    c2.revisions.extend(snap.revisions().iter().cloned());
    let p = c2.plan(&ds, 20);
    assert!(p.revisions().is_empty(), "{:?}", p.revisions());
    assert_eq!(p.revision_hash(), hash);
    let h = rollout_history(&ds, &c2.snapshot());
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].revision, 2);
    assert_eq!(
        h[1].change_cause.as_deref(),
        Some("kubectl set image ds/foo foo=foo/v2")
    );
}

#[test]
fn rendered_revision_of_a_kruise_daemon_set_points_at_it() {
    let ds = ds(&format!(
        r#"
apiVersion: apps.kruise.io/v1beta1
kind: DaemonSet
metadata: {{name: foo, namespace: default, uid: {UID}}}
spec:
  selector: {{matchLabels: {{app: foo}}}}
  template:
    metadata: {{labels: {{app: foo}}}}
    spec: {{containers: [{{name: foo, image: foo/v2}}]}}
"#
    ));
    let p = cluster_with(vec![]).plan(&ds, 10);
    let doc = p.revisions().create.as_ref().unwrap().render(&ds);
    assert_eq!(
        doc["metadata"]["ownerReferences"][0]["apiVersion"],
        "apps.kruise.io/v1beta1"
    );
    assert_eq!(doc["apiVersion"], "apps/v1");
}

fn three_revisions() -> Snapshot {
    let mut r1 = revision("foo/v1", "h1", 1);
    r1.annotations
        .insert("kubernetes.io/change-cause".into(), "initial".into());
    let r2 = revision("foo/v2", "h2", 2);
    let mut r3 = revision("foo/v3", "h3", 3);
    r3.annotations
        .insert("kubernetes.io/change-cause".into(), "bump to v3".into());
    // Listed out of order on purpose; an orphan, another namespace and another owner are
    // not part of the history kubectl shows.
    let mut orphan = revision("foo/v7", "h7", 7);
    orphan.controller = None;
    let mut elsewhere = revision("foo/v8", "h8", 8);
    elsewhere.namespace = "other".into();
    let mut foreign = revision("foo/v9", "h9", 9);
    foreign.controller.as_mut().unwrap().uid = Some("another-uid".into());
    Snapshot::new(vec![], vec![], vec![r3, orphan, r1, elsewhere, r2, foreign]).unwrap()
}

// R67
#[test]
fn rollout_history_lists_revisions_with_change_cause() {
    let ds = foo("foo/v3", &unavailable("1"));
    let h = rollout_history(&ds, &three_revisions());
    let rows: Vec<(i64, Option<&str>, &str)> = h
        .iter()
        .map(|e| (e.revision, e.change_cause.as_deref(), e.name.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (1, Some("initial"), "foo-h1"),
            (2, None, "foo-h2"),
            (3, Some("bump to v3"), "foo-h3"),
        ]
    );
    assert_eq!(h[0].hash, "h1");
    assert!(rollout_history(&ds, &Snapshot::new(vec![], vec![], vec![]).unwrap()).is_empty());
}

fn image_of(ds: &DaemonSet) -> String {
    ds.template().to_json()["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

// R66
#[test]
fn rollback_to_a_revision() {
    let ds = foo_with(
        "foo/v3",
        &unavailable("2"),
        "  minReadySeconds: 7\n  revisionHistoryLimit: 4\n",
    );
    let snap = three_revisions();
    // Default: the previous revision (second-highest number).
    let back = rollback(&ds, &snap, None).unwrap();
    assert_eq!(image_of(&back), "foo/v2");
    assert_eq!(back.name(), "foo");
    assert_eq!(back.uid(), Some(UID));
    assert_eq!(back.min_ready_seconds(), 7);
    assert_eq!(back.revision_history_limit(), 4);
    assert_eq!(back.update_strategy(), ds.update_strategy());
    // Revision 0 means the same as none.
    assert_eq!(image_of(&rollback(&ds, &snap, Some(0)).unwrap()), "foo/v2");
    // An explicit revision.
    let back = rollback(&ds, &snap, Some(1)).unwrap();
    assert_eq!(image_of(&back), "foo/v1");
    // The current one: the same template (kubectl says "skipped rollback").
    let same = rollback(&ds, &snap, Some(3)).unwrap();
    assert_eq!(same.template().to_json(), ds.template().to_json());

    // Planning the rolled-back DaemonSet reuses revision 1, renumbered past the highest
    // other revision (R55). The controller, unlike kubectl, also adopts the orphan (7).
    let back = rollback(&ds, &snap, Some(1)).unwrap();
    let p = plan(&back, &snap, &options(10));
    assert!(p.revisions().create.is_none());
    assert_eq!(p.revisions().adopt, ["foo-h7"]);
    assert_eq!(
        p.revisions().renumber,
        [RevisionToRenumber {
            name: "foo-h1".into(),
            from: 1,
            to: 8
        }]
    );
    assert_eq!(p.revision_hash(), "h1");
}

#[test]
fn rollback_errors() {
    let ds = foo("foo/v3", &unavailable("1"));
    let snap = three_revisions();
    let err = rollback(&ds, &snap, Some(5)).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownRevision {
            revision: 5,
            known: vec![1, 2, 3]
        }
    );
    assert_eq!(
        err.to_string(),
        "unable to find specified revision 5 in history (known revisions: 1, 2, 3)"
    );
    // Revisions outside the history (orphan 7, other namespace 8) are unknown too.
    assert!(matches!(
        rollback(&ds, &snap, Some(7)),
        Err(Error::UnknownRevision { revision: 7, .. })
    ));
    assert!(matches!(
        rollback(&ds, &snap, Some(-1)),
        Err(Error::UnknownRevision { revision: -1, .. })
    ));

    let one = Snapshot::new(vec![], vec![], vec![revision("foo/v3", "h3", 3)]).unwrap();
    let err = rollback(&ds, &one, None).unwrap_err();
    assert_eq!(err, Error::NoPreviousRevision);
    assert_eq!(err.to_string(), "no last revision to roll back to");
    let none = Snapshot::new(vec![], vec![], vec![]).unwrap();
    assert_eq!(
        rollback(&ds, &none, None).unwrap_err(),
        Error::NoPreviousRevision
    );
    assert_eq!(
        rollback(&ds, &none, Some(2)).unwrap_err().to_string(),
        "unable to find specified revision 2 in history (known revisions: none)"
    );
}

// R51: a revision already holds the name `<ds>-<hash>` with another template (a hash
// collision): the next collision count gives a free name.
#[test]
fn name_collision_takes_the_next_hash() {
    let ds = foo("foo/v2", &unavailable("1"));
    let mut squatter = revision("foo/v1", "x", 1);
    squatter.name = format!("foo-{}", ds.revision_hash());
    let c = cluster_with(vec![squatter]);
    let p = c.plan(&ds, 10);
    let create = p.revisions().create.as_ref().unwrap();
    assert_ne!(create.hash, ds.revision_hash());
    assert_eq!(create.name, format!("foo-{}", create.hash));
    assert_eq!(p.revision_hash(), create.hash);
    assert_eq!(create.revision, 2);
}
