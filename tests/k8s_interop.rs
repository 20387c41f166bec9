//! The k8s-openapi path gives what the YAML path gives: DaemonSets converted from
//! `k8s_openapi::api::apps::v1::DaemonSet` equal the ones read from YAML (every fixture), and
//! snapshots built with `Snapshot::from_k8s` give byte-identical plans to `Snapshot::from_yaml`
//! (generated clusters). The renders round-trip through the k8s-openapi types.
#![cfg(feature = "k8s-openapi")]

use daemonset_planner::synth::{self, ClusterShape};
use daemonset_planner::{
    ControllerRevision, DaemonSet, Error, Node, Options, Pod, Snapshot, Timestamp, plan,
};
use k8s_openapi::api::{apps::v1 as apps, core::v1 as core};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// The first DaemonSet document of a YAML stream, deserialized straight into k8s-openapi's
/// type (as kube-rs would hand it over).
#[track_caller]
fn typed_daemon_set(text: &str) -> Result<apps::DaemonSet, serde_yaml::Error> {
    let index = serde_yaml::Deserializer::from_str(text)
        .position(|doc| {
            let value = serde_yaml::Value::deserialize(doc).unwrap();
            value.get("kind").and_then(|k| k.as_str()) == Some("DaemonSet")
        })
        .expect("no DaemonSet document");
    let doc = serde_yaml::Deserializer::from_str(text).nth(index).unwrap();
    apps::DaemonSet::deserialize(doc)
}

/// Nodes, pods and revisions of a YAML stream (single documents or `kind: List`), as
/// k8s-openapi objects.
#[derive(Default)]
struct Typed {
    nodes: Vec<core::Node>,
    pods: Vec<core::Pod>,
    revisions: Vec<apps::ControllerRevision>,
}

#[track_caller]
fn typed_cluster(text: &str) -> Typed {
    let mut out = Typed::default();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let value = serde_yaml::Value::deserialize(doc).unwrap();
        let items = match value.get("kind").and_then(|k| k.as_str()) {
            Some("List") => value["items"].as_sequence().unwrap().clone(),
            _ => vec![value],
        };
        for item in items {
            match item["kind"].as_str().unwrap() {
                "Node" => out.nodes.push(serde_yaml::from_value(item).unwrap()),
                "Pod" => out.pods.push(serde_yaml::from_value(item).unwrap()),
                "ControllerRevision" => out.revisions.push(serde_yaml::from_value(item).unwrap()),
                other => panic!("unexpected kind {other}"),
            }
        }
    }
    out
}

impl Typed {
    #[track_caller]
    fn snapshot(&self) -> Result<Snapshot, Error> {
        Snapshot::from_k8s(&self.nodes, &self.pods, &self.revisions)
    }
}

#[track_caller]
fn plan_json(ds: &DaemonSet, snapshot: &Snapshot, options: &Options) -> String {
    serde_json::to_string_pretty(&plan(ds, snapshot, options).to_json()).unwrap()
}

fn fixture_paths() -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    for dir in ["tests/data/real", "tests/data/seed"] {
        for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).unwrap() {
            paths.push(entry.unwrap().path());
        }
    }
    paths.sort();
    paths
}

#[track_caller]
fn assert_same_daemon_set(typed: &DaemonSet, yaml: &DaemonSet, file: &str) {
    assert_eq!(typed.name(), yaml.name(), "{file}");
    assert_eq!(typed.namespace(), yaml.namespace(), "{file}");
    assert_eq!(typed.uid(), yaml.uid(), "{file}");
    assert_eq!(typed.labels(), yaml.labels(), "{file}");
    assert_eq!(typed.annotations(), yaml.annotations(), "{file}");
    assert_eq!(typed.selector(), yaml.selector(), "{file}");
    assert_eq!(typed.template().labels, yaml.template().labels, "{file}");
    assert_eq!(typed.template().spec, yaml.template().spec, "{file}");
    assert_eq!(typed.update_strategy(), yaml.update_strategy(), "{file}");
    assert_eq!(
        typed.min_ready_seconds(),
        yaml.min_ready_seconds(),
        "{file}"
    );
    assert_eq!(
        typed.revision_history_limit(),
        yaml.revision_history_limit(),
        "{file}"
    );
    assert_eq!(
        typed.template_generation(),
        yaml.template_generation(),
        "{file}"
    );
    assert_eq!(typed.status(), yaml.status(), "{file}");
    assert_eq!(
        typed.daemon_tolerations(),
        yaml.daemon_tolerations(),
        "{file}"
    );
    assert_eq!(typed.pod_requests(), yaml.pod_requests(), "{file}");
    assert_eq!(typed.host_ports(), yaml.host_ports(), "{file}");
    assert_eq!(typed.revision_hash(), yaml.revision_hash(), "{file}");
    assert_eq!(
        typed.template().to_json(),
        yaml.template().to_json(),
        "{file}"
    );
    assert!(
        typed.warnings().is_empty(),
        "{file}: {:?}",
        typed.warnings()
    );
}

/// `defaultMode: 0640` is octal for Kubernetes' YAML reader (YAML 1.1), a string for
/// serde_yaml, and no `i32` for k8s-openapi: such a manifest never reaches a kube-rs
/// controller as written. The API server stores the decimal value.
fn octal_modes_in_decimal(text: &str) -> String {
    text.replace("defaultMode: 0640", "defaultMode: 416")
        .replace("defaultMode: 0644", "defaultMode: 420")
}

#[test]
fn every_fixture_converts_like_its_yaml() {
    let mut converted = Vec::new();
    let mut rejected = Vec::new();
    let mut octal = Vec::new();
    for path in fixture_paths() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let yaml = DaemonSet::from_yaml(&text);
        let typed = match typed_daemon_set(&text) {
            Ok(object) => DaemonSet::try_from(&object),
            Err(e) => {
                assert!(
                    e.to_string().contains("defaultMode: invalid type: string"),
                    "{file}: {e}"
                );
                octal.push(file.clone());
                // serde_yaml cannot read `0640` into k8s-openapi's integer; written in decimal,
                // the typed path gives the same DaemonSet as our YAML reader, which reads the
                // YAML 1.1 octal as Kubernetes does (so even the revision hash agrees).
                let t =
                    DaemonSet::try_from(&typed_daemon_set(&octal_modes_in_decimal(&text)).unwrap())
                        .unwrap();
                let y = DaemonSet::from_yaml(&octal_modes_in_decimal(&text)).unwrap();
                assert_same_daemon_set(&t, &y, &file);
                assert_eq!(t.revision_hash(), yaml.as_ref().unwrap().revision_hash());
                continue;
            }
        };
        match (&typed, &yaml) {
            (Ok(t), Ok(y)) => {
                assert_same_daemon_set(t, y, &file);
                converted.push(file);
            }
            (Err(t), Err(y)) => {
                assert_eq!(t, y, "{file}");
                rejected.push((file, t.to_string()));
            }
            _ => panic!("{file}: typed {typed:?}, yaml {yaml:?}"),
        }
    }
    assert_eq!(octal, ["09-filebeat.yaml", "13-secure-agent.yaml"]);
    assert_eq!(converted.len(), 24, "{converted:?}");
    assert_eq!(
        rejected,
        [(
            "15-ha-agent.yaml".to_string(),
            "spec.template.spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"
                .to_string()
        )]
    );
}

/// A generated cluster as YAML, with one current pod of `ds` on every eligible node except
/// every `gap`-th one, and a revision storing `revision_of`'s template.
fn cluster_yaml(shape: &ClusterShape, ds: &DaemonSet, gap: usize) -> String {
    let cluster = synth::cluster(shape);
    let mut pods = cluster.pods.clone();
    let daemon = synth::daemon_pods(ds, &cluster.nodes, ds.revision_hash(), t0());
    pods.extend(
        daemon
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % gap != 0)
            .map(|(_, p)| p),
    );
    synth::to_yaml(&cluster.nodes, &pods)
}

#[test]
fn fixture_daemon_sets_plan_alike_on_a_generated_cluster() {
    let shape = ClusterShape {
        nodes: 40,
        seed: 11,
        ..ClusterShape::default()
    };
    let snapshot =
        Snapshot::from_yaml(&synth::to_yaml(&synth::cluster(&shape).nodes, &[])).unwrap();
    let options = Options::at(t0());
    let mut planned = 0;
    for path in fixture_paths() {
        let text = octal_modes_in_decimal(&std::fs::read_to_string(&path).unwrap());
        let (Ok(yaml), Ok(typed)) = (
            DaemonSet::from_yaml(&text),
            DaemonSet::try_from(&typed_daemon_set(&text).unwrap()),
        ) else {
            continue;
        };
        let file = path.display();
        assert_eq!(
            plan_json(&typed, &snapshot, &options),
            plan_json(&yaml, &snapshot, &options),
            "{file}"
        );
        planned += 1;
    }
    assert_eq!(planned, 26);
}

#[test]
fn generated_clusters_plan_alike_from_k8s_and_from_yaml() {
    let mut checked = 0;
    for (seed, nodes, variant) in [(1, 50, 0), (2, 120, 1), (3, 200, 4), (4, 80, 5)] {
        let shape = ClusterShape {
            nodes,
            seed,
            not_ready_percent: 3,
            cordoned_percent: 5,
            ..ClusterShape::default()
        };
        let ds = synth::daemon_set(variant);
        let updated = synth::daemon_set_updated(variant);
        let text = cluster_yaml(&shape, &ds, 20);
        let from_yaml = Snapshot::from_yaml(&text).unwrap();
        let typed = typed_cluster(&text);
        assert_eq!(typed.nodes.len(), nodes);
        let from_k8s = typed.snapshot().unwrap();
        assert_eq!(from_k8s.nodes(), from_yaml.nodes());
        assert_eq!(from_k8s.pods(), from_yaml.pods());
        let mut options = Options::at(t0());
        options
            .failed_pod_backoff
            .insert("node-000003", t0(), std::time::Duration::from_secs(4));
        // Steady state with gaps (creates), and a rolling update (deletes within the budget).
        for (ds, rolling) in [(&ds, false), (&updated, true)] {
            let typed_ds = DaemonSet::try_from(
                &typed_daemon_set(&serde_yaml::to_string(&ds.to_json()).unwrap()).unwrap(),
            )
            .unwrap();
            for ds in [ds, &typed_ds] {
                let a = plan_json(ds, &from_k8s, &options);
                let b = plan_json(ds, &from_yaml, &options);
                assert_eq!(a, b, "seed {seed}");
                let p = plan(ds, &from_k8s, &options);
                assert!(!p.creates().is_empty(), "seed {seed}: the gaps are filled");
                assert_eq!(
                    !p.deletes().is_empty(),
                    rolling,
                    "seed {seed}: the rolling update deletes old pods"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 16);
}

const AGENT: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system, uid: ds-uid, generation: 2,
  annotations: {deprecated.daemonset.template.generation: "2"}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}, annotations: {prometheus.io/scrape: "true"}}
    spec:
      hostNetwork: true
      tolerations: [{operator: Exists, effect: NoSchedule}]
      containers:
      - name: agent
        image: agent:1
        ports: [{containerPort: 9100, hostPort: 9100}]
        resources: {requests: {cpu: 50m, memory: 64Mi}}
"#;

const NODES: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: node-a, labels: {kubernetes.io/os: linux}}
  status:
    allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
    conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-12-01T00:00:00Z"}]
- apiVersion: v1
  kind: Node
  metadata: {name: node-b}
  spec:
    taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
  status:
    allocatable: {cpu: 1500m, memory: 2Gi, pods: "110"}
    conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-12-01T00:00:00Z"}]
"#;

/// What the API server and the kubelet make of a submitted pod: a name, a uid, bound to its
/// node, running and ready.
fn run(mut pod: core::Pod, node: &str, uid: &str) -> core::Pod {
    pod.metadata.name = Some(format!(
        "{}{node}",
        pod.metadata.generate_name.clone().unwrap()
    ));
    pod.metadata.uid = Some(uid.to_string());
    pod.metadata.creation_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t0()));
    pod.spec.as_mut().unwrap().node_name = Some(node.into());
    pod.status = Some(
        serde_json::from_value(serde_json::json!({
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
        }))
        .unwrap(),
    );
    pod
}

#[test]
fn renders_round_trip_and_the_typed_loop_converges() {
    let ds = DaemonSet::try_from(&typed_daemon_set(AGENT).unwrap()).unwrap();
    let mut cluster = typed_cluster(NODES);
    let options = Options::at(t0());
    let first = plan(&ds, &cluster.snapshot().unwrap(), &options);
    let nodes: Vec<&str> = first.creates().iter().map(|c| c.node.as_str()).collect();
    assert_eq!(nodes, ["node-a", "node-b"]);

    for (i, create) in first.creates().iter().enumerate() {
        let pod = create.to_k8s(&ds).unwrap();
        assert_eq!(serde_json::to_value(&pod).unwrap(), create.render(&ds));
        let labels = pod.metadata.labels.as_ref().unwrap();
        assert_eq!(labels["controller-revision-hash"], first.revision_hash());
        assert_eq!(labels["pod-template-generation"], "2");
        let owner = &pod.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(owner, &ds.to_k8s_owner_reference());
        assert_eq!(owner.uid, "ds-uid");
        cluster
            .pods
            .push(run(pod, &create.node, &format!("pod-{i}")));
    }
    let create = first.revisions().create.as_ref().unwrap();
    let revision = create.to_k8s(&ds);
    assert_eq!(serde_json::to_value(&revision).unwrap(), create.render(&ds));
    assert_eq!(revision.revision, Some(1));
    cluster.revisions.push(revision);

    let snapshot = cluster.snapshot().unwrap();
    let pod = &snapshot.pods()[0];
    assert_eq!(
        (pod.name.as_str(), pod.target_node(), pod.revision_hash()),
        ("agent-node-a", Some("node-a"), Some(first.revision_hash()))
    );
    assert_eq!(pod.pinned_node.as_deref(), Some("node-a"));
    assert_eq!(pod.host_ports().len(), 1);
    let second = plan(&ds, &snapshot, &options);
    assert!(second.is_empty(), "{:#}", second.to_json());
    assert_eq!(second.revision_hash(), first.revision_hash());
    assert_eq!(second.status().desired_number_scheduled, 2);
    assert_eq!(second.status().number_available, 2);
    assert_eq!(second.status().updated_number_scheduled, 2);
}

#[test]
fn status_converts_with_apps_v1_names() {
    let ds = DaemonSet::try_from(&typed_daemon_set(AGENT).unwrap()).unwrap();
    let p = plan(
        &ds,
        &typed_cluster(NODES).snapshot().unwrap(),
        &Options::at(t0()),
    );
    let status = p.status().to_k8s();
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        serde_json::json!({
            "currentNumberScheduled": 0,
            "desiredNumberScheduled": 2,
            "numberAvailable": 0,
            "numberMisscheduled": 0,
            "numberReady": 0,
            "numberUnavailable": 2,
            "observedGeneration": 2,
            "updatedNumberScheduled": 0,
        })
    );
    // Every field of the crate's status appears, under the same name.
    let ours = serde_json::to_value(p.status()).unwrap();
    for (field, value) in ours.as_object().unwrap() {
        assert_eq!(
            &serde_json::to_value(&status).unwrap()[field],
            value,
            "{field}"
        );
    }
}

#[test]
fn a_revision_written_by_upstream_is_recognised() {
    let ds = DaemonSet::try_from(&typed_daemon_set(AGENT).unwrap()).unwrap();
    let mut cluster = typed_cluster(NODES);
    let create = plan(&ds, &cluster.snapshot().unwrap(), &Options::at(t0()))
        .revisions()
        .create
        .clone()
        .unwrap();
    // kube-controller-manager stores Go's serialization of the template, with
    // `creationTimestamp: null` in its metadata, under its own hash.
    let mut revision = create.to_k8s(&ds);
    revision.metadata.name = Some("agent-6b9f7c4d8".into());
    revision
        .metadata
        .labels
        .as_mut()
        .unwrap()
        .insert("controller-revision-hash".into(), "6b9f7c4d8".into());
    revision.data.0["spec"]["template"]["metadata"]["creationTimestamp"] = serde_json::Value::Null;
    revision.revision = Some(4);
    cluster.revisions.push(revision);
    let p = plan(&ds, &cluster.snapshot().unwrap(), &Options::at(t0()));
    assert_eq!(p.revision_hash(), "6b9f7c4d8");
    assert_eq!(p.revisions().create, None);
    assert!(p.creates().iter().all(|c| c.revision_hash == "6b9f7c4d8"));
}

#[test]
fn snapshots_take_store_arcs() {
    let cluster = typed_cluster(NODES);
    let nodes: Vec<Arc<core::Node>> = cluster.nodes.iter().cloned().map(Arc::new).collect();
    let pods: Vec<Arc<core::Pod>> = Vec::new();
    let revisions: Vec<Arc<apps::ControllerRevision>> = Vec::new();
    let from_arcs = Snapshot::from_k8s(nodes.clone(), pods, revisions).unwrap();
    let from_slice_of_arcs = Snapshot::from_k8s(
        nodes.iter().map(Arc::as_ref),
        Vec::<&core::Pod>::new(),
        Vec::<&apps::ControllerRevision>::new(),
    )
    .unwrap();
    let from_yaml = Snapshot::from_yaml(NODES).unwrap();
    assert_eq!(from_arcs.nodes(), from_yaml.nodes());
    assert_eq!(from_slice_of_arcs.nodes(), from_yaml.nodes());
    let node = Node::try_from(nodes[1].as_ref()).unwrap();
    assert_eq!(
        (node.taints[0].key.as_str(), node.taints[0].value.as_str()),
        ("dedicated", "gpu")
    );
    assert_eq!(node.allocatable["cpu"].to_string(), "1500m");
    assert_eq!(node.ready_status(), Some("True"));
}

/// The same invalid object gives the same error on both paths.
#[track_caller]
fn assert_same_error(yaml: &str) {
    let from_yaml = Snapshot::from_yaml(yaml).unwrap_err();
    let typed = typed_cluster(yaml);
    let from_k8s = typed.snapshot().unwrap_err();
    assert_eq!(from_k8s, from_yaml);
    assert!(
        matches!(from_k8s, Error::Invalid { .. } | Error::Duplicate { .. }),
        "{from_k8s:?}"
    );
}

#[test]
fn invalid_objects_fail_alike() {
    assert_same_error("{apiVersion: v1, kind: Node, metadata: {name: n, labels: {'-bad': x}}}");
    assert_same_error(
        "{apiVersion: v1, kind: Node, metadata: {name: n}, spec: {taints: [{key: k, effect: Sometimes}]}}",
    );
    assert_same_error(
        "{apiVersion: v1, kind: Node, metadata: {name: n}, status: {allocatable: {cpu: 2 cores}}}",
    );
    assert_same_error("{apiVersion: v1, kind: Node, metadata: {}}");
    assert_same_error(
        "---\n{apiVersion: v1, kind: Node, metadata: {name: n}}\n---\n{apiVersion: v1, kind: Node, metadata: {name: n}}",
    );
    assert_same_error(
        "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, resources: {requests: {memory: 1Qi}}}]}}",
    );
    assert_same_error(
        "{apiVersion: v1, kind: Pod, metadata: {name: p, labels: {app: 'not valid'}}}",
    );
    assert_same_error(
        "{apiVersion: apps/v1, kind: ControllerRevision, metadata: {}, revision: 1, data: {}}",
    );

    let node =
        typed_cluster("{apiVersion: v1, kind: Node, metadata: {name: n, labels: {'-bad': x}}}")
            .nodes;
    let err = Node::try_from(&node[0]).unwrap_err();
    assert_eq!(err.field(), Some("metadata.labels"));
    let pod: core::Pod = serde_json::from_value(serde_json::json!({"metadata": {}})).unwrap();
    assert_eq!(
        Pod::try_from(&pod).unwrap_err().to_string(),
        "metadata.name: Required value: name or generateName is required"
    );
    let revision: apps::ControllerRevision =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "r"}})).unwrap();
    assert_eq!(ControllerRevision::try_from(&revision).unwrap().revision, 0);
}

#[test]
fn daemon_set_errors_match_the_yaml_path() {
    let bad = AGENT
        .replace(
            "selector: {matchLabels: {app: agent}}",
            "selector: {matchLabels: {app: other}}",
        )
        .replace("hostPort: 9100", "hostPort: 70000");
    let from_yaml = DaemonSet::from_yaml(&bad).unwrap_err();
    let from_k8s = DaemonSet::try_from(&typed_daemon_set(&bad).unwrap()).unwrap_err();
    assert_eq!(from_k8s, from_yaml);
    assert_eq!(from_k8s.field_errors().len(), 2, "{from_k8s}");
}

#[test]
fn a_yaml_template_k8s_openapi_cannot_hold_does_not_render() {
    let ds = DaemonSet::from_yaml(&AGENT.replace(
        "hostNetwork: true",
        "hostNetwork: true\n      terminationGracePeriodSeconds: soon",
    ))
    .unwrap();
    let p = plan(
        &ds,
        &Snapshot::from_yaml(NODES).unwrap(),
        &Options::at(t0()),
    );
    let err = p.creates()[0].to_k8s(&ds).unwrap_err();
    assert_eq!(err.field(), Some("spec.template"));
    assert!(
        err.to_string().contains("invalid type: string \"soon\""),
        "{err}"
    );
}
