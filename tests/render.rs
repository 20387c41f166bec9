//! `CreatePod::render`: the complete Pod manifest a runtime submits for a create
//! (upstream CreatePodTemplate, GetPodFromTemplate, ReplaceDaemonSetPodNodeNameNodeAffinity,
//! AddOrUpdateDaemonPodTolerations).

mod common;

use common::*;
use daemonset_planner::{CreatePod, DaemonSet, Options, plan};
use serde_json::{Value, json};

/// The create for the first node of a one-node cluster.
fn create_for(ds: &DaemonSet, node_name: &str, options: &Options) -> CreatePod {
    let p = plan(ds, &cluster([node(node_name).yaml()]), options);
    assert_eq!(p.creates().len(), 1, "expected one create on {node_name}");
    p.creates()[0].clone()
}

fn rendered(ds: &DaemonSet, node_name: &str) -> Value {
    create_for(ds, node_name, &Options::at(now())).render(ds)
}

fn default_tolerations() -> Vec<Value> {
    vec![
        json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}),
    ]
}

/// The pin: one required term `matchFields metadata.name In [node]`.
fn pin(node: &str) -> Value {
    json!({"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    ]})
}

// upstream: TestSimpleDaemonSetScheduleDaemonSetPodsLaunchesPods and the created-pod shape
// (R29): every field of the Pod.
#[test]
fn renders_the_complete_pod() {
    let ds = foo(&on_delete());
    let create = create_for(&ds, "node-0", &Options::at(now()));
    assert_eq!(create.revision_hash, ds.revision_hash());
    assert_eq!(
        create.render(&ds),
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": "foo-",
                "namespace": "default",
                "labels": {
                    "name": "simple-daemon",
                    "type": "production",
                    "controller-revision-hash": ds.revision_hash(),
                },
                "ownerReferences": [{
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "name": "foo",
                    "uid": "3d9c5a0e-foo",
                    "controller": true,
                    "blockOwnerDeletion": true,
                }],
            },
            "spec": {
                "dnsPolicy": "Default",
                "containers": [{"name": "foo", "image": "foo/bar", "imagePullPolicy": "IfNotPresent"}],
                "tolerations": default_tolerations(),
                "affinity": {"nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": pin("node-0")
                }},
            },
        })
    );
    // The owner reference in upstream's field order, for a readable manifest.
    let owner = create.render(&ds)["metadata"]["ownerReferences"][0].clone();
    let keys: Vec<&String> = owner.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "apiVersion",
            "kind",
            "name",
            "uid",
            "controller",
            "blockOwnerDeletion"
        ]
    );
}

// upstream: TestSimpleDaemonSetScheduleDaemonSetPodsLaunchesPods: one pod per node, each
// pinned to its node by a single matchFields value, nodeName empty.
#[test]
fn each_create_is_pinned_to_its_node() {
    let ds = foo(&on_delete());
    let p = plan_now(&ds, &cluster(nodes(0..5, &[])));
    let pins: Vec<Value> = p
        .creates()
        .iter()
        .map(|c| {
            let pod = c.render(&ds);
            assert!(pod["spec"].get("nodeName").is_none());
            pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                .clone()
        })
        .collect();
    let expected: Vec<Value> = (0..5).map(|i| pin(&format!("node-{i}"))).collect();
    assert_eq!(pins, expected);
}

// upstream: TestCreatePodTemplate, with the deprecated template-generation annotation.
#[test]
fn template_generation_label_and_template_metadata() {
    let mut m = manifest(FOO);
    m["metadata"]["annotations"] = json!({"deprecated.daemonset.template.generation": "2"});
    m["spec"]["template"]["metadata"]["annotations"] =
        json!({"prometheus.io/scrape": "true", "checksum/config": "abc"});
    m["spec"]["template"]["metadata"]["finalizers"] = json!(["example.com/keep"]);
    let ds = daemon_set(&m);
    let pod = rendered(&ds, "node-0");
    assert_eq!(
        pod["metadata"]["labels"],
        json!({
            "name": "simple-daemon",
            "type": "production",
            "controller-revision-hash": ds.revision_hash(),
            "pod-template-generation": "2",
        })
    );
    assert_eq!(
        pod["metadata"]["annotations"],
        json!({"prometheus.io/scrape": "true", "checksum/config": "abc"})
    );
    assert_eq!(pod["metadata"]["finalizers"], json!(["example.com/keep"]));
    // The DaemonSet's own annotations stay on the DaemonSet.
    assert!(
        pod["metadata"]["annotations"]
            .get("deprecated.daemonset.template.generation")
            .is_none()
    );

    // Without the annotation there is no pod-template-generation label.
    let plain = rendered(&foo(&on_delete()), "node-0");
    assert!(
        plain["metadata"]["labels"]
            .get("pod-template-generation")
            .is_none()
    );
}

#[test]
fn owner_reference_without_uid_when_the_manifest_has_none() {
    let mut m = manifest(FOO);
    m["metadata"].as_object_mut().unwrap().remove("uid");
    let ds = daemon_set(&m);
    assert_eq!(
        rendered(&ds, "node-0")["metadata"]["ownerReferences"],
        json!([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "foo",
                "controller": true, "blockOwnerDeletion": true}])
    );
}

// upstream: getPodsPrefix: "<name>-" unless that is no valid name prefix (253 characters).
#[test]
fn generate_name_is_the_name_and_a_dash_when_it_fits() {
    let label = "a".repeat(62);
    let long = format!("{label}.{label}.{label}.{label}.b");
    assert_eq!(long.len(), 253);
    let mut m = manifest(FOO);
    m["metadata"]["name"] = long.clone().into();
    let ds = daemon_set(&m);
    assert_eq!(
        rendered(&ds, "node-0")["metadata"]["generateName"],
        json!(long)
    );

    let shorter = &long[2..];
    m["metadata"]["name"] = shorter.into();
    let ds = daemon_set(&m);
    assert_eq!(
        rendered(&ds, "node-0")["metadata"]["generateName"],
        json!(format!("{shorter}-"))
    );
}

// R6/R7 (derived vectors of the notes, section 4.5; upstream has no unit test): defaults are
// appended in order; an entry with the same key, effect, operator and value is replaced in
// place; one that differs in operator or value is kept, and the default appended as well.
#[test]
fn default_tolerations_are_added_or_updated_in_place() {
    let with = |tolerations: Value, host_network: bool| {
        let ds = foo_with(
            &on_delete(),
            json!({"tolerations": tolerations, "hostNetwork": host_network}),
        );
        rendered(&ds, "node-0")["spec"]["tolerations"].clone()
    };

    assert_eq!(with(json!([]), false), Value::from(default_tolerations()));

    let mut seven = default_tolerations();
    seven.push(
        json!({"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                      "effect": "NoSchedule"}),
    );
    assert_eq!(with(json!([]), true), Value::from(seven));

    // A finite not-ready toleration becomes the infinite default, in its own position.
    let mut expected = vec![json!({"key": "gpu", "operator": "Exists"})];
    expected.extend(default_tolerations());
    assert_eq!(
        with(
            json!([
                {"key": "gpu", "operator": "Exists"},
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
            ]),
            false
        ),
        Value::from(expected)
    );
    let mut expected = vec![json!({"key": "gpu", "operator": "Exists"})];
    expected.extend(default_tolerations());
    expected.swap(1, 2);
    assert_eq!(
        with(
            json!([
                {"key": "gpu", "operator": "Exists"},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 60},
            ]),
            false
        ),
        Value::from(expected)
    );

    // Equal with an empty value is another toleration: kept, and the default appended.
    let mut expected = vec![
        json!({"key": "node.kubernetes.io/not-ready", "operator": "Equal",
                                   "effect": "NoExecute"}),
    ];
    expected.extend(default_tolerations());
    assert_eq!(
        with(
            json!([{"key": "node.kubernetes.io/not-ready", "operator": "Equal", "value": "",
                    "effect": "NoExecute"}]),
            false
        ),
        Value::from(expected)
    );
}

// upstream: TestReplaceDaemonSetPodNodeNameNodeAffinity (RNA-01..08), node host_1, and R30:
// required terms are replaced wholesale; preferred terms, pod (anti-)affinity and the
// nodeSelector are untouched. RNA-04 (matchFields with two values) and RNA-08 (field key
// metadata.foo) are left out: the API server rejects such a DaemonSet, so `from_yaml` does
// too; RNA-05 repeats RNA-01.
#[test]
fn node_pin_replaces_required_node_affinity() {
    let hostname_term = json!({"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["host_1"]}]});
    // Upstream uses weight 0, which the API server rejects (1-100).
    let preferred = json!([{"weight": 1, "preference": hostname_term.clone()}]);
    let required = |terms: Value| json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}});
    let pinned =
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": pin("host_1")}});
    let cases: Vec<(&str, Option<Value>, Value)> = vec![
        ("RNA-01 nil affinity", None, pinned.clone()),
        (
            "RNA-02 required hostname term",
            Some(required(json!([hostname_term.clone()]))),
            pinned.clone(),
        ),
        (
            "RNA-03 only preferred",
            Some(
                json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred.clone()}}),
            ),
            json!({"nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": preferred.clone(),
                "requiredDuringSchedulingIgnoredDuringExecution": pin("host_1"),
            }}),
        ),
        (
            "RNA-06 two terms",
            Some(required(json!([
                hostname_term.clone(),
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["host_2"]}]},
            ]))),
            pinned.clone(),
        ),
        (
            "RNA-07 NotIn",
            Some(required(json!([{"matchFields": [
                {"key": "metadata.name", "operator": "NotIn", "values": ["host_2"]}
            ]}]))),
            pinned.clone(),
        ),
        ("R30 empty affinity object", Some(json!({})), pinned.clone()),
        (
            "R30 pod anti-affinity kept",
            Some(json!({
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [hostname_term.clone()]}},
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}
                ]},
            })),
            json!({
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": pin("host_1")},
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}
                ]},
            }),
        ),
    ];
    // Any create of "foo" for host_1 renders the pin; the affinity comes from the DaemonSet
    // rendered (some of these affinities match no node at all).
    let create = create_for(&foo(&on_delete()), "host_1", &Options::at(now()));
    for (id, affinity, expected) in cases {
        let mut spec = json!({"nodeSelector": {"disk": "ssd"}});
        if let Some(a) = affinity {
            spec["affinity"] = a;
        }
        let ds = foo_with(&on_delete(), spec);
        let pod = create.render(&ds);
        assert_eq!(pod["spec"]["affinity"], expected, "{id}");
        assert_eq!(pod["spec"]["nodeSelector"], json!({"disk": "ssd"}), "{id}");
    }
}

#[test]
fn pin_with_node_name_sets_node_name_instead() {
    let ds = foo_with(
        &on_delete(),
        json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}
        ]}}}),
    );
    let mut options = Options::at(now());
    options.pin_with_node_name = true;
    let pod = create_for(&ds, "node-7", &options).render(&ds);
    assert_eq!(pod["spec"]["nodeName"], json!("node-7"));
    assert_eq!(
        pod["spec"]["affinity"],
        json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}
        ]}})
    );

    let plain = foo(&on_delete());
    let pod = create_for(&plain, "node-7", &options).render(&plain);
    assert_eq!(pod["spec"]["nodeName"], json!("node-7"));
    assert!(pod["spec"].get("affinity").is_none());
}

// Every template field other than tolerations and affinity is submitted as written; seed 10
// has hostPID/hostIPC/hostNetwork, volumes, a security context, probes-free container with
// `$$` (Kubernetes' escaped `$`) in its args.
#[test]
fn every_other_template_field_is_kept_verbatim() {
    let text = std::fs::read_to_string("tests/data/seed/10-node-exporter.yaml").unwrap();
    let ds = DaemonSet::from_yaml(&text).unwrap();
    let template: Value = ds.template().to_json().clone();
    let pod = rendered(&ds, "node-0");

    let mut spec = pod["spec"].as_object().unwrap().clone();
    let tolerations = spec.remove("tolerations").unwrap();
    let affinity = spec.remove("affinity").unwrap();
    let mut written = template["spec"].as_object().unwrap().clone();
    let user_tolerations = written.remove("tolerations").unwrap();
    assert_eq!(spec, written);
    assert_eq!(
        affinity,
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": pin("node-0")}})
    );
    // The user's toleration first, then the defaults (hostNetwork adds network-unavailable).
    let mut expected = user_tolerations.as_array().unwrap().clone();
    expected.extend(default_tolerations());
    expected.push(
        json!({"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                         "effect": "NoSchedule"}),
    );
    assert_eq!(tolerations, Value::from(expected));

    let args = pod["spec"]["containers"][0]["args"].as_array().unwrap();
    assert!(args[3].as_str().unwrap().ends_with(")($$|/)"));
    assert!(args[4].as_str().unwrap().ends_with("|tracefs)$$"));
    assert_eq!(
        pod["spec"]["containers"][0]["securityContext"],
        json!({"runAsNonRoot": true, "runAsUser": 65534})
    );
    assert_eq!(
        pod["spec"]["volumes"][2],
        json!({"name": "root", "hostPath": {"path": "/"}})
    );
    assert_eq!(
        pod["spec"]["containers"][0]["resources"],
        json!({"requests": {"cpu": "100m", "memory": "128Mi"},
               "limits": {"cpu": "200m", "memory": "256Mi"}})
    );
    assert_eq!(pod["metadata"]["namespace"], json!("monitoring"));
    assert_eq!(pod["metadata"]["generateName"], json!("node-exporter-"));
    assert_eq!(
        pod["metadata"]["annotations"],
        json!({"prometheus.io/scrape": "true", "prometheus.io/port": "9100",
               "prometheus.io/path": "/metrics"})
    );
    assert_eq!(
        pod["metadata"]["labels"],
        json!({"app": "node-exporter", "controller-revision-hash": ds.revision_hash()})
    );
}

// upstream: TestNameDaemonSetLaunchesPods: a template nodeName is kept (the pod is created
// bound) and the pin is added as for any other pod.
#[test]
fn template_node_name_is_kept() {
    let ds = foo_with(&on_delete(), json!({"nodeName": "node-0"}));
    let p = plan_now(&ds, &cluster(nodes(0..5, &[])));
    assert_eq!(created_on(&p), strings(&["node-0"]));
    let pod = p.creates()[0].render(&ds);
    assert_eq!(pod["spec"]["nodeName"], json!("node-0"));
    assert_eq!(
        pod["spec"]["affinity"],
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": pin("node-0")}})
    );
}
