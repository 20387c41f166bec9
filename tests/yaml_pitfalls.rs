//! YAML traps handled on purpose: plain scalars that a YAML reader would turn into booleans or
//! numbers stay the strings the user wrote where Kubernetes reads strings; JSON works as well as
//! YAML; streams, Lists and `kubectl get -o yaml` output are read whole.

use daemonset_planner::{DaemonSet, Labels, PodPhase, Snapshot, TaintEffect};
use serde_json::json;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[track_caller]
fn ds(text: &str) -> DaemonSet {
    match DaemonSet::from_yaml(text) {
        Ok(ds) => ds,
        Err(e) => panic!("should parse, got: {e}"),
    }
}

#[track_caller]
fn snapshot(text: &str) -> Snapshot {
    match Snapshot::from_yaml(text) {
        Ok(s) => s,
        Err(e) => panic!("should parse, got: {e}"),
    }
}

fn node_names(s: &Snapshot) -> Vec<&str> {
    s.nodes().iter().map(|n| n.name.as_str()).collect()
}

/// Values YAML 1.1 reads as booleans, floats or integers, written plain (unquoted).
const TRICKY: &[(&str, &str)] = &[
    ("a", "yes"),
    ("b", "on"),
    ("c", "1.0"),
    ("d", "0x1F"),
    ("e", "010"),
    ("f", "true"),
    ("g", "No"),
    ("h", "1e3"),
    ("i", "0o17"),
    ("j", "12345678901234567890123"),
];

const TRICKY_DS: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  labels: {a: yes, b: on, c: 1.0, d: 0x1F, e: 010, f: true, g: No, h: 1e3, i: 0o17, j: 12345678901234567890123}
  annotations:
    prometheus.io/scrape: true
    prometheus.io/port: 9100
    ratio: 1.50
spec:
  selector:
    matchLabels: {a: yes, f: true}
  template:
    metadata:
      labels: {a: yes, b: on, c: 1.0, d: 0x1F, e: 010, f: true, g: No, h: 1e3, i: 0o17, j: 12345678901234567890123}
    spec:
      nodeSelector:
        ssd: true
        version: 1.0
        rack: 010
        enabled: on
      containers:
      - name: agent
        image: agent:1
"#;

#[test]
fn plain_label_values_stay_the_strings_written() {
    let ds = ds(TRICKY_DS);
    assert_eq!(*ds.labels(), labels(TRICKY));
    assert_eq!(ds.template().labels, labels(TRICKY));
    assert_eq!(
        ds.selector().match_labels,
        labels(&[("a", "yes"), ("f", "true")])
    );
    assert!(ds.selector().matches(&ds.template().labels));
    assert_eq!(
        ds.template().spec.node_selector,
        labels(&[
            ("ssd", "true"),
            ("version", "1.0"),
            ("rack", "010"),
            ("enabled", "on")
        ])
    );
    assert_eq!(
        *ds.annotations(),
        labels(&[
            ("prometheus.io/scrape", "true"),
            ("prometheus.io/port", "9100"),
            ("ratio", "1.50"),
        ])
    );
}

#[test]
fn the_kept_template_holds_the_strings_too() {
    let ds = ds(TRICKY_DS);
    let raw = ds.template().to_json();
    assert_eq!(raw["metadata"]["labels"]["f"], json!("true"));
    assert_eq!(raw["metadata"]["labels"]["c"], json!("1.0"));
    assert_eq!(raw["metadata"]["labels"]["d"], json!("0x1F"));
    assert_eq!(
        raw["metadata"]["labels"]["j"],
        json!("12345678901234567890123")
    );
    assert_eq!(raw["spec"]["nodeSelector"]["ssd"], json!("true"));
    assert_eq!(raw["spec"]["nodeSelector"]["rack"], json!("010"));
}

#[test]
fn a_quoted_label_and_a_plain_one_are_the_same_label() {
    let quoted = ds(&TRICKY_DS
        .replace("{a: yes, f: true}", "{a: \"yes\", f: 'true'}")
        .replace(
            "nodeSelector:\n        ssd: true",
            "nodeSelector:\n        ssd: \"true\"",
        ));
    let plain = ds(TRICKY_DS);
    assert_eq!(quoted.selector(), plain.selector());
    assert_eq!(
        quoted.template().spec.node_selector,
        plain.template().spec.node_selector
    );
}

#[test]
fn null_label_values_read_as_empty_strings() {
    let ds = ds(r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  labels: {a: , b: ~, c: null}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent, role: }}
    spec: {containers: [{name: agent, image: agent:1}]}
"#);
    assert_eq!(*ds.labels(), labels(&[("a", ""), ("b", ""), ("c", "")]));
    assert_eq!(ds.template().labels["role"], "");
}

#[test]
fn plain_node_label_values_stay_strings_in_a_snapshot() {
    let s = snapshot(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {gpu: true, cores: 08, ratio: 1.0, zone: on, hex: 0x1F}\n",
    );
    assert_eq!(
        s.nodes()[0].labels,
        labels(&[
            ("gpu", "true"),
            ("cores", "08"),
            ("ratio", "1.0"),
            ("zone", "on"),
            ("hex", "0x1F"),
        ])
    );
}

#[test]
fn file_modes_with_a_leading_zero_are_octal_as_kubernetes_reads_them() {
    // seed 09 and 13 write `defaultMode: 0640` / `0644`: YAML 1.1 (Kubernetes) reads octal.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/seed/13-secure-agent.yaml"
    ))
    .unwrap();
    assert!(text.contains("defaultMode: 0644"));
    let ds = ds(&text);
    let volumes = ds.template().to_json()["spec"]["volumes"].clone();
    let modes: Vec<&serde_json::Value> = volumes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.get("configMap").and_then(|c| c.get("defaultMode")))
        .collect();
    assert_eq!(modes, [&json!(0o644)]);

    let ds = ds_with_volumes(
        "[{name: a, secret: {secretName: s, defaultMode: 0640, items: [{key: k, path: p, mode: 0400}]}}, {name: b, configMap: {name: c, defaultMode: 420}}, {name: c, configMap: {name: c, defaultMode: 0o755}}]",
    );
    let raw = ds.template().to_json();
    assert_eq!(
        raw["spec"]["volumes"][0]["secret"]["defaultMode"],
        json!(416)
    );
    assert_eq!(
        raw["spec"]["volumes"][0]["secret"]["items"][0]["mode"],
        json!(256)
    );
    assert_eq!(
        raw["spec"]["volumes"][1]["configMap"]["defaultMode"],
        json!(420)
    );
    assert_eq!(
        raw["spec"]["volumes"][2]["configMap"]["defaultMode"],
        json!(493)
    );
    // Only mode fields: other strings of digits with a leading zero stay as written.
    assert_eq!(raw["spec"]["containers"][0]["args"][0], json!("0640"));
}

fn ds_with_volumes(volumes: &str) -> DaemonSet {
    ds(&format!(
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers: [{{name: agent, image: agent:1, args: [0640]}}]
      volumes: {volumes}
"#
    ))
}

#[test]
fn a_daemon_set_written_as_json() {
    let text = r#"{
  "apiVersion": "apps/v1",
  "kind": "DaemonSet",
  "metadata": {"name": "agent", "namespace": "ops", "labels": {"v": "1.0"}},
  "spec": {
    "selector": {"matchLabels": {"app": "agent"}},
    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}},
    "template": {
      "metadata": {"labels": {"app": "agent"}},
      "spec": {
        "hostNetwork": true,
        "containers": [{"name": "agent", "image": "agent:1",
                        "ports": [{"containerPort": 9100}],
                        "resources": {"requests": {"cpu": "100m", "memory": 64e6}}}]
      }
    }
  }
}"#;
    let ds = ds(text);
    assert_eq!(ds.name(), "agent");
    assert_eq!(ds.namespace(), "ops");
    assert_eq!(ds.labels()["v"], "1.0");
    let ru = ds.update_strategy().rolling_update().unwrap();
    assert_eq!(ru.max_unavailable.to_string(), "25%");
    assert_eq!(ds.host_ports()[0].port, 9100);
    let requests: Vec<String> = ds
        .pod_requests()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(requests, ["cpu=100m", "memory=64e6"]);
    assert_eq!(ds.warnings(), [] as [String; 0]);

    // The same DaemonSet in YAML has the same template and revision hash.
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    let yaml = serde_yaml::to_string(&value).unwrap();
    let from_yaml = DaemonSet::from_yaml(&yaml).unwrap();
    assert_eq!(from_yaml.template(), ds.template());
    assert_eq!(from_yaml.revision_hash(), ds.revision_hash());
}

#[test]
fn a_snapshot_written_as_a_json_list() {
    let s = snapshot(
        r#"{"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n2"}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
             "spec": {"nodeName": "n2", "containers": [{"name": "c", "resources": {"requests": {"cpu": 0.5}}}]},
             "status": {"phase": "Running"}},
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"gpu": "true"}}}
        ], "metadata": {"resourceVersion": ""}}"#,
    );
    assert_eq!(node_names(&s), ["n1", "n2"]);
    assert_eq!(s.pods().len(), 1);
    assert_eq!(s.pods()[0].node_name.as_deref(), Some("n2"));
    assert_eq!(s.pods()[0].requests()["cpu"].to_string(), "500m");
}

const AGENT: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: agent
        image: agent:1
        imagePullPolicy: IfNotPresent
";

#[test]
fn kinds_before_the_daemon_set_are_skipped() {
    let text = format!(
        "# a bundle\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: agent-config}}\ndata:\n  config.yaml: |\n    kind: DaemonSet\n    spec: 5\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: agent}}\nspec:\n  selector: {{app: agent}}\n  ports: [{{port: 80}}]\n...\n---\n{AGENT}---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: second}}\nspec: {{}}\n"
    );
    let bundle = ds(&text);
    assert_eq!(bundle.name(), "agent");
    let alone = ds(AGENT);
    assert_eq!(bundle.template(), alone.template());
    assert_eq!(bundle.revision_hash(), alone.revision_hash());
}

#[test]
fn a_daemon_set_inside_a_list() {
    let value: serde_json::Value = serde_yaml::from_str(AGENT).unwrap();
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
            value,
        ],
    });
    let text = serde_yaml::to_string(&list).unwrap();
    let from_list = ds(&text);
    let alone = ds(AGENT);
    assert_eq!(from_list.name(), "agent");
    assert_eq!(from_list.namespace(), "ops");
    // The List item's template is kept whole, so it hashes as the same DaemonSet alone.
    assert_eq!(from_list.template().to_json(), alone.template().to_json());
    assert_eq!(from_list.revision_hash(), alone.revision_hash());

    // Unknown fields inside a List item are reported as for a lone manifest.
    let typo = text.replace("imagePullPolicy", "imagePullPolicyy");
    assert_eq!(
        ds(&typo).warnings(),
        ["unknown field \"spec.template.spec.containers[0].imagePullPolicyy\""]
    );
}

#[test]
fn unknown_fields_are_warned_about_as_kubectl_words_it() {
    let typo = ds(&AGENT.replace("imagePullPolicy", "imagePullPolicyy"));
    assert_eq!(
        typo.warnings(),
        ["unknown field \"spec.template.spec.containers[0].imagePullPolicyy\""]
    );
    let several = ds(&AGENT
        .replace("imagePullPolicy", "imagePullPolicyy")
        .replace("  selector:", "  minReadySecond: 5\n  selector:"));
    assert_eq!(
        several.warnings(),
        [
            "unknown field \"spec.minReadySecond\"",
            "unknown field \"spec.template.spec.containers[0].imagePullPolicyy\"",
        ]
    );
    assert_eq!(ds(AGENT).warnings(), [] as [String; 0]);
}

#[test]
fn kubectl_get_nodes_pods_controllerrevisions_output() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cluster/kubectl-get-nodes-pods-controllerrevisions.yaml"
    ))
    .unwrap();
    let s = snapshot(&text);

    // Listed worker-b, control-plane-1, worker-a: kept in name order.
    assert_eq!(node_names(&s), ["control-plane-1", "worker-a", "worker-b"]);
    let cp = s.node("control-plane-1").unwrap();
    assert_eq!(cp.taints.len(), 1);
    assert_eq!(cp.taints[0].key, "node-role.kubernetes.io/control-plane");
    assert_eq!(cp.taints[0].value, "");
    assert_eq!(cp.taints[0].effect, TaintEffect::NoSchedule);
    assert_eq!(cp.labels["node-role.kubernetes.io/control-plane"], "");
    let a = s.node("worker-a").unwrap();
    assert!(a.unschedulable);
    assert_eq!(a.taints[0].key, "node.kubernetes.io/unschedulable");
    let b = s.node("worker-b").unwrap();
    assert!(!b.unschedulable);
    assert_eq!(b.allocatable["cpu"].to_string(), "3920m");
    assert_eq!(b.allocatable["pods"].to_string(), "110");
    assert_eq!(b.allocatable["memory"].to_string(), "15622024Ki");
    assert_eq!(b.ready_status(), Some("True"));
    assert_eq!(b.conditions.len(), 4);
    assert_eq!(
        b.conditions[3].last_transition_time,
        Some("2025-11-03T09:13:15Z".parse().unwrap())
    );

    // Pods in namespace/name order.
    let pods: Vec<String> = s
        .pods()
        .iter()
        .map(|p| format!("{}/{}", p.namespace, p.name))
        .collect();
    assert_eq!(
        pods,
        [
            "kube-system/coredns-7c65d6cfc9-l8kxz",
            "monitoring/node-exporter-7xk2p",
            "monitoring/node-exporter-q9w4m",
        ]
    );
    let running = &s.pods()[1];
    assert_eq!(running.node_name.as_deref(), Some("worker-b"));
    assert_eq!(running.pinned_node.as_deref(), Some("worker-b"));
    assert_eq!(running.phase, PodPhase::Running);
    assert!(running.is_ready());
    assert_eq!(
        running.ready.unwrap().last_transition_time,
        Some("2025-12-01T10:00:11Z".parse().unwrap())
    );
    assert_eq!(running.revision_hash(), Some("6d5f8b7c9d"));
    let owner = running.controller.as_ref().unwrap();
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("DaemonSet", "node-exporter")
    );
    assert_eq!(
        owner.uid.as_deref(),
        Some("5b2d1c0e-8f7a-4e6d-9c5b-4a3f2e1d0c9b")
    );
    assert_eq!(running.priority, Some(2_000_000_000));
    assert_eq!(running.labels["app.kubernetes.io/version"], "1.8.2");
    let ports: Vec<String> = running
        .host_ports()
        .iter()
        .map(|p| format!("{}/{}", p.port, p.protocol))
        .collect();
    assert_eq!(ports, ["9100/TCP"]);
    assert_eq!(running.requests()["cpu"].to_string(), "102m");

    // The surge/new pod that cannot schedule: pinned, not bound, Pending.
    let pending = &s.pods()[2];
    assert_eq!(pending.node_name, None);
    assert_eq!(pending.target_node(), Some("worker-a"));
    assert_eq!(pending.phase, PodPhase::Pending);
    assert!(!pending.is_ready());

    let coredns = &s.pods()[0];
    assert_eq!(coredns.controller.as_ref().unwrap().kind, "ReplicaSet");
    // Two container ports without hostNetwork: no host ports.
    assert!(coredns.host_ports().is_empty());

    let revisions = s.revisions();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].name, "node-exporter-6d5f8b7c9d");
    assert_eq!(revisions[0].revision, 1);
    assert_eq!(revisions[0].hash(), "6d5f8b7c9d");
    let template = revisions[0].template().unwrap();
    assert!(template.get("$patch").is_none());
    assert_eq!(
        template["metadata"]["labels"]["app.kubernetes.io/version"],
        json!("1.8.2")
    );
    assert_eq!(
        template["spec"]["containers"][0]["ports"][0]["hostPort"],
        json!(9100)
    );
}

#[test]
fn node_list_and_pod_list() {
    let s = snapshot(
        "apiVersion: v1\nkind: NodeList\nitems:\n- {metadata: {name: b}}\n- {metadata: {name: a}}\n---\napiVersion: v1\nkind: PodList\nitems:\n- {metadata: {name: p1}, spec: {nodeName: a}}\n",
    );
    // NodeList / PodList items carry no kind of their own, as the API returns them.
    assert_eq!(node_names(&s), ["a", "b"]);
    assert_eq!(s.pods().len(), 1);
    assert_eq!(s.pods()[0].namespace, "default");
    assert_eq!(s.pods()[0].target_node(), Some("a"));
}

#[test]
fn a_daemon_set_list_as_the_api_returns_it() {
    // Items of a typed list have no apiVersion or kind of their own.
    let value: serde_json::Value = serde_yaml::from_str(AGENT).unwrap();
    let mut item = value.clone();
    item.as_object_mut().unwrap().remove("kind");
    item.as_object_mut().unwrap().remove("apiVersion");
    let list = json!({"apiVersion": "apps/v1", "kind": "DaemonSetList", "items": [item]});
    let ds = ds(&list.to_string());
    assert_eq!(ds.name(), "agent");
    assert_eq!(ds.api_version(), "apps/v1");
    assert_eq!(ds.revision_hash(), self::ds(AGENT).revision_hash());
    assert_eq!(ds.warnings(), [] as [String; 0]);
}

#[test]
fn empty_text_is_an_empty_cluster() {
    for text in ["", "\n", "# nothing here\n", "---\n", "---\n---\n", "   \n"] {
        let s = snapshot(text);
        assert!(s.nodes().is_empty(), "{text:?}");
        assert!(s.pods().is_empty(), "{text:?}");
        assert!(s.revisions().is_empty(), "{text:?}");
    }
    // An empty List too.
    let s = snapshot("apiVersion: v1\nkind: List\nitems: []\n");
    assert!(s.nodes().is_empty());
}

#[test]
fn nodes_come_out_sorted_whatever_the_input_order() {
    let names = ["node-10", "node-2", "node-1", "alpha", "node-02"];
    let docs: Vec<String> = names
        .iter()
        .map(|n| format!("apiVersion: v1\nkind: Node\nmetadata: {{name: {n}}}\n"))
        .collect();
    let forward = snapshot(&docs.join("---\n"));
    let mut reversed_docs = docs.clone();
    reversed_docs.reverse();
    let backward = snapshot(&reversed_docs.join("---\n"));
    // Byte order of names, as documented.
    let want = ["alpha", "node-02", "node-1", "node-10", "node-2"];
    assert_eq!(node_names(&forward), want);
    assert_eq!(node_names(&backward), want);
}

#[test]
fn other_kinds_in_a_snapshot_are_skipped() {
    let s = snapshot(&format!(
        "{AGENT}---\napiVersion: v1\nkind: Service\nmetadata: {{name: s}}\n---\napiVersion: v1\nkind: Node\nmetadata: {{name: n}}\n"
    ));
    assert_eq!(node_names(&s), ["n"]);
    assert!(s.pods().is_empty());
}

#[test]
fn comments_anchors_and_block_scalars() {
    let ds = ds(r#"
# leading comment
apiVersion: apps/v1   # trailing comment
kind: DaemonSet
metadata:
  name: agent
  annotations:
    description: |
      multi-line
      text: with a colon
spec:
  selector:
    matchLabels: &labels {app: agent}
  template:
    metadata:
      labels: *labels
    spec:
      containers:
      - name: agent
        image: "agent:1"
        resources:
          requests: &req {cpu: 100m}
          limits: *req
"#);
    assert_eq!(ds.template().labels, labels(&[("app", "agent")]));
    assert_eq!(
        ds.annotations()["description"],
        "multi-line\ntext: with a colon\n"
    );
    assert_eq!(ds.pod_requests()["cpu"].to_string(), "100m");
}
