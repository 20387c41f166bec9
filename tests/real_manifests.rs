//! Every real-world fixture (tests/data/real, copies of public upstream manifests) and every
//! design-brief example (tests/data/seed) is read, and a few concrete fields of each are checked.
//! The one file Kubernetes itself refuses (seed 15) fails with the API server's exact error.

use std::path::{Path, PathBuf};

use daemonset_planner::{DaemonSet, Error, FieldErrorKind, UpdateStrategy};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

#[track_caller]
fn read(file: &str) -> String {
    let path = data_dir().join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

#[track_caller]
fn load(file: &str) -> DaemonSet {
    match DaemonSet::from_yaml(&read(file)) {
        Ok(ds) => ds,
        Err(e) => panic!("{file} should parse, got: {e}"),
    }
}

/// The fixture files of one folder, sorted.
fn fixture_files(folder: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(data_dir().join(folder))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .map(|n| format!("{folder}/{n}"))
        .collect();
    files.sort();
    files
}

/// The template's tolerations as written, each as `key operator effect` (`-` for none).
fn tolerations(ds: &DaemonSet) -> Vec<String> {
    ds.template()
        .spec
        .tolerations
        .iter()
        .map(|t| {
            let key = if t.key.is_empty() { "-" } else { &t.key };
            let effect = t.effect.map_or("-", |e| e.as_str());
            format!("{key} {} {effect}", t.operator.as_str())
        })
        .collect()
}

/// Host ports as `port/PROTOCOL`.
fn host_ports(ds: &DaemonSet) -> Vec<String> {
    ds.host_ports()
        .iter()
        .map(|p| format!("{}/{}", p.port, p.protocol))
        .collect()
}

/// The effective pod request as `resource=quantity`.
fn requests(ds: &DaemonSet) -> Vec<String> {
    ds.pod_requests()
        .iter()
        .map(|(name, q)| format!("{name}={q}"))
        .collect()
}

/// The first required node-affinity term, each requirement as `key Op [values]`.
fn required_affinity(ds: &DaemonSet) -> Vec<String> {
    let Some(selector) = &ds.template().spec.required_node_affinity else {
        return Vec::new();
    };
    assert_eq!(selector.node_selector_terms.len(), 1, "{}", ds.name());
    selector.node_selector_terms[0]
        .match_expressions
        .iter()
        .map(|r| format!("{} {:?} [{}]", r.key, r.operator, r.values.join(",")))
        .collect()
}

fn node_selector(ds: &DaemonSet) -> Vec<String> {
    ds.template()
        .spec
        .node_selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// `maxUnavailable/maxSurge` of a RollingUpdate DaemonSet, `OnDelete` otherwise.
fn strategy(ds: &DaemonSet) -> String {
    match ds.update_strategy() {
        UpdateStrategy::RollingUpdate(r) => format!("{}/{}", r.max_unavailable, r.max_surge),
        UpdateStrategy::OnDelete => "OnDelete".to_string(),
    }
}

/// What one fixture must read as.
struct Expect {
    file: &'static str,
    name: &'static str,
    namespace: &'static str,
    tolerations: &'static [&'static str],
    host_ports: &'static [&'static str],
    requests: &'static [&'static str],
    strategy: &'static str,
    affinity: &'static [&'static str],
    node_selector: &'static [&'static str],
    host_network: bool,
}

const EXPECTED: &[Expect] = &[
    Expect {
        file: "real/aws-ebs-csi-node.yaml",
        name: "ebs-csi-node",
        // A kustomize base: no namespace in the manifest.
        namespace: "default",
        tolerations: &["- Exists -"],
        // containerPorts 9808/9809 without hostNetwork (explicitly false): no host ports.
        host_ports: &[],
        // Three containers: 10m/40Mi + 10m/32Mi + 10m/32Mi.
        requests: &["cpu=30m", "memory=104Mi"],
        strategy: "10%/0",
        affinity: &["eks.amazonaws.com/compute-type NotIn [fargate,auto,hybrid]"],
        node_selector: &["kubernetes.io/os=linux"],
        host_network: false,
    },
    Expect {
        file: "real/aws-k8s-cni.yaml",
        name: "aws-node",
        namespace: "kube-system",
        tolerations: &["- Exists -"],
        // hostNetwork: the container ports count as host ports (implicit hostPort).
        host_ports: &["61678/TCP", "8162/TCP"],
        // 25m on the init container and on each of 2 containers: max(25m, 50m).
        requests: &["cpu=50m"],
        strategy: "10%/0",
        affinity: &[
            "kubernetes.io/os In [linux]",
            "kubernetes.io/arch In [amd64,arm64]",
            "eks.amazonaws.com/compute-type NotIn [fargate,hybrid,auto]",
        ],
        node_selector: &[],
        host_network: true,
    },
    Expect {
        file: "real/calico.yaml",
        name: "calico-node",
        namespace: "kube-system",
        tolerations: &[
            "- Exists NoSchedule",
            "CriticalAddonsOnly Exists -",
            "- Exists NoExecute",
        ],
        host_ports: &[],
        requests: &["cpu=250m"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &["kubernetes.io/os=linux"],
        host_network: true,
    },
    Expect {
        file: "real/cilium-quick-install.yaml",
        name: "cilium",
        namespace: "kube-system",
        tolerations: &["- Exists -"],
        host_ports: &[],
        // Only the init container has requests.
        requests: &["cpu=100m", "memory=100Mi"],
        // The Deployment after it has maxSurge: 1, which must not leak into the DaemonSet.
        strategy: "2/0",
        affinity: &[],
        node_selector: &[],
        host_network: true,
    },
    Expect {
        file: "real/fluentd-daemonset-elasticsearch.yaml",
        name: "fluentd",
        namespace: "kube-system",
        tolerations: &[
            "node-role.kubernetes.io/control-plane Equal NoSchedule",
            "node-role.kubernetes.io/master Equal NoSchedule",
        ],
        host_ports: &[],
        requests: &["cpu=100m", "memory=200Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "real/k8s-docs-daemonset.yaml",
        name: "fluentd-elasticsearch",
        namespace: "kube-system",
        tolerations: &["node-role.kubernetes.io/master Equal NoSchedule"],
        host_ports: &[],
        requests: &["cpu=100m", "memory=200Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "real/kube-flannel.yml",
        name: "kube-flannel-ds",
        namespace: "kube-flannel",
        tolerations: &["- Exists NoSchedule"],
        host_ports: &["8081/TCP"],
        // Quoted quantities: cpu: "100m", memory: "50Mi".
        requests: &["cpu=100m", "memory=50Mi"],
        strategy: "1/0",
        affinity: &["kubernetes.io/os In [linux]"],
        node_selector: &[],
        host_network: true,
    },
    Expect {
        file: "real/kube-prometheus-node-exporter.yaml",
        name: "node-exporter",
        namespace: "monitoring",
        tolerations: &["- Exists -"],
        host_ports: &["9100/TCP"],
        // node-exporter 102m/180Mi plus the kube-rbac-proxy sidecar 10m/20Mi.
        requests: &["cpu=112m", "memory=200Mi"],
        strategy: "10%/0",
        affinity: &[],
        node_selector: &["kubernetes.io/os=linux"],
        host_network: true,
    },
    Expect {
        file: "real/kured-ds.yaml",
        name: "kured",
        namespace: "kube-system",
        tolerations: &[
            "node-role.kubernetes.io/control-plane Equal NoSchedule",
            "node-role.kubernetes.io/master Equal NoSchedule",
        ],
        // containerPort 8080 without hostNetwork: not a host port.
        host_ports: &[],
        requests: &[],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "real/metallb-native.yaml",
        name: "speaker",
        namespace: "metallb-system",
        tolerations: &[
            "node-role.kubernetes.io/master Exists NoSchedule",
            "node-role.kubernetes.io/control-plane Exists NoSchedule",
        ],
        // One port number under two protocols: two distinct host ports.
        host_ports: &["9120/TCP", "7946/TCP", "7946/UDP"],
        requests: &[],
        strategy: "1/0",
        affinity: &[],
        node_selector: &["kubernetes.io/os=linux"],
        host_network: true,
    },
    Expect {
        file: "real/node-problem-detector.yaml",
        name: "node-problem-detector",
        namespace: "kube-system",
        tolerations: &["- Exists NoSchedule", "- Exists NoExecute"],
        host_ports: &[],
        requests: &["cpu=10m", "memory=80Mi"],
        strategy: "1/0",
        affinity: &["kubernetes.io/os In [linux]"],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "real/nvidia-device-plugin.yml",
        name: "nvidia-device-plugin-daemonset",
        namespace: "kube-system",
        tolerations: &["nvidia.com/gpu Exists NoSchedule"],
        host_ports: &[],
        requests: &[],
        // `updateStrategy: {type: RollingUpdate}` without rollingUpdate: defaulted.
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "seed/01-fluentd.yaml",
        name: "fluentd",
        namespace: "kube-system",
        tolerations: &[
            "node-role.kubernetes.io/master Equal NoSchedule",
            "node-role.kubernetes.io/control-plane Equal NoSchedule",
        ],
        host_ports: &[],
        requests: &["cpu=100m", "memory=128Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "seed/02-gpu-monitoring.yaml",
        name: "gpu-monitoring",
        namespace: "monitoring",
        tolerations: &[],
        host_ports: &["9400/TCP"],
        requests: &["cpu=50m", "memory=64Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &["accelerator=nvidia-tesla-k80"],
        host_network: true,
    },
    Expect {
        file: "seed/03-calico-node.yaml",
        name: "calico-node",
        namespace: "kube-system",
        tolerations: &["- Exists NoSchedule", "- Exists NoExecute"],
        host_ports: &[],
        requests: &["cpu=250m", "memory=256Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &["kubernetes.io/os=linux"],
        host_network: true,
    },
    Expect {
        file: "seed/04-monitoring-agent.yaml",
        name: "monitoring-agent",
        namespace: "default",
        tolerations: &[],
        host_ports: &[],
        requests: &["cpu=100m", "memory=128Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "seed/05-critical-system-agent.yaml",
        name: "critical-system-agent",
        namespace: "default",
        tolerations: &[],
        host_ports: &[],
        requests: &[],
        strategy: "OnDelete",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "seed/06-ssd-monitoring.yaml",
        name: "ssd-monitoring",
        namespace: "default",
        tolerations: &[],
        host_ports: &[],
        requests: &[],
        strategy: "1/0",
        affinity: &[],
        node_selector: &["storage-type=ssd", "zone=production"],
        host_network: false,
    },
    Expect {
        file: "seed/07-edge-agent.yaml",
        name: "edge-agent",
        namespace: "default",
        tolerations: &[],
        host_ports: &[],
        requests: &["cpu=50m", "memory=64Mi"],
        strategy: "1/0",
        affinity: &[
            "node-type In [edge,gateway]",
            "kubernetes.io/arch In [amd64,arm64]",
        ],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "seed/08-system-monitor.yaml",
        name: "system-monitor",
        namespace: "default",
        tolerations: &[
            "node-role.kubernetes.io/master Exists NoSchedule",
            "node-role.kubernetes.io/control-plane Exists NoSchedule",
            "node.kubernetes.io/not-ready Exists NoExecute",
            "node.kubernetes.io/unreachable Exists NoExecute",
            "maintenance Equal NoSchedule",
        ],
        host_ports: &[],
        requests: &[],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: true,
    },
    Expect {
        file: "seed/09-filebeat.yaml",
        name: "filebeat",
        namespace: "logging",
        tolerations: &["- Exists NoSchedule"],
        host_ports: &[],
        requests: &["cpu=100m", "memory=100Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: true,
    },
    Expect {
        file: "seed/10-node-exporter.yaml",
        name: "node-exporter",
        namespace: "monitoring",
        tolerations: &["- Exists NoSchedule"],
        host_ports: &["9100/TCP"],
        requests: &["cpu=100m", "memory=128Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: true,
    },
    Expect {
        file: "seed/11-csi-driver-node.yaml",
        name: "csi-driver-node",
        namespace: "kube-system",
        tolerations: &["- Exists NoSchedule"],
        host_ports: &[],
        // Two containers: 10m/20Mi + 100m/128Mi.
        requests: &["cpu=110m", "memory=148Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: true,
    },
    Expect {
        file: "seed/12-resource-optimized-agent.yaml",
        name: "resource-optimized-agent",
        namespace: "default",
        tolerations: &[],
        host_ports: &[],
        // Each quantity is followed by a trailing comment.
        requests: &["cpu=100m", "memory=128Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "seed/13-secure-agent.yaml",
        name: "secure-agent",
        namespace: "default",
        tolerations: &[],
        host_ports: &[],
        requests: &[],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
    Expect {
        file: "seed/14-observable-agent.yaml",
        name: "observable-agent",
        namespace: "default",
        tolerations: &[],
        host_ports: &[],
        requests: &["cpu=100m", "memory=128Mi"],
        strategy: "1/0",
        affinity: &[],
        node_selector: &[],
        host_network: false,
    },
];

const REFUSED: &str = "seed/15-ha-agent.yaml";

#[test]
fn every_fixture_is_covered_by_the_table() {
    let mut files = fixture_files("real");
    files.extend(fixture_files("seed"));
    assert_eq!(files.len(), 27, "{files:?}");
    let mut listed: Vec<&str> = EXPECTED.iter().map(|e| e.file).collect();
    listed.push(REFUSED);
    listed.sort();
    assert_eq!(files, listed);
}

#[test]
fn every_fixture_reads_as_expected() {
    for e in EXPECTED {
        let ds = load(e.file);
        let file = e.file;
        assert_eq!(ds.name(), e.name, "{file}");
        assert_eq!(ds.namespace(), e.namespace, "{file}");
        assert_eq!(ds.api_version(), "apps/v1", "{file}");
        assert_eq!(tolerations(&ds), e.tolerations, "{file}");
        assert_eq!(host_ports(&ds), e.host_ports, "{file}");
        assert_eq!(requests(&ds), e.requests, "{file}");
        assert_eq!(strategy(&ds), e.strategy, "{file}");
        assert_eq!(required_affinity(&ds), e.affinity, "{file}");
        assert_eq!(node_selector(&ds), e.node_selector, "{file}");
        assert_eq!(ds.template().spec.host_network, e.host_network, "{file}");
        // No fixture sets minReadySeconds or (on its DaemonSet) a history limit other than 10.
        assert_eq!(ds.min_ready_seconds(), 0, "{file}");
        assert_eq!(ds.revision_history_limit(), 10, "{file}");
        assert_eq!(ds.warnings(), [] as [String; 0], "{file}");
        assert!(ds.selector().matches(&ds.template().labels), "{file}");
        assert!(!ds.revision_hash().is_empty(), "{file}");
    }
}

#[test]
fn seed_15_is_refused_as_kubernetes_refuses_it() {
    // A restartPolicy on a regular container has been forbidden since Kubernetes 1.28.
    let err = DaemonSet::from_yaml(&read(REFUSED)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "spec.template.spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"
    );
    assert!(
        matches!(&err, Error::Invalid { kind, name, .. } if kind == "DaemonSet" && name == "ha-agent")
    );
    assert_eq!(err.field_errors().len(), 1);
    assert_eq!(err.field_errors()[0].kind, FieldErrorKind::Forbidden);
    assert_eq!(
        err.field(),
        Some("spec.template.spec.containers[0].restartPolicy")
    );
}

#[test]
fn seed_15_without_the_container_restart_policy_reads() {
    let text = read(REFUSED).replace("restartPolicy: Always", "");
    let ds = DaemonSet::from_yaml(&text).unwrap();
    assert_eq!(ds.name(), "ha-agent");
    assert_eq!(ds.namespace(), "default");
    assert_eq!(
        tolerations(&ds),
        ["- Exists NoSchedule", "- Exists NoExecute"]
    );
    assert_eq!(
        ds.template().spec.tolerations[1].toleration_seconds,
        Some(300)
    );
    assert_eq!(requests(&ds), ["cpu=100m", "memory=128Mi"]);
    assert_eq!(
        ds.template().spec.priority_class_name.as_deref(),
        Some("system-node-critical")
    );
}

#[test]
fn percent_max_unavailable_scales_against_the_node_count() {
    let ds = load("real/kube-prometheus-node-exporter.yaml");
    let ru = ds.update_strategy().rolling_update().unwrap();
    assert_eq!(
        ru.max_unavailable,
        daemonset_planner::IntOrPercent::Percent(10)
    );
    // 10% of 25 nodes: 2.5, rounded up by the controller (R36) and down when asked.
    assert_eq!(ru.max_unavailable.scaled(25, true), 3);
    assert_eq!(ru.max_unavailable.scaled(25, false), 2);
    assert_eq!(ru.max_surge, daemonset_planner::IntOrPercent::Int(0));
}

#[test]
fn seed_preferred_affinity_is_kept_but_separate_from_required() {
    let ds = load("seed/07-edge-agent.yaml");
    let preferred = &ds.template().spec.preferred_node_affinity;
    assert_eq!(preferred.len(), 1);
    assert_eq!(preferred[0].weight, 100);
    let req = &preferred[0].preference.match_expressions[0];
    assert_eq!(req.key, "network-speed");
    assert_eq!(req.values, ["high"]);
}

#[test]
fn seed_08_default_tolerations_overwrite_the_written_ones() {
    // R7: the not-ready / unreachable Exists NoExecute tolerations lose their 300 s limit.
    let ds = load("seed/08-system-monitor.yaml");
    let written = &ds.template().spec.tolerations;
    assert_eq!(written[2].toleration_seconds, Some(300));
    assert_eq!(written[3].toleration_seconds, Some(300));
    assert_eq!(written[4].value, "true");
    let merged = ds.daemon_tolerations();
    let not_ready = merged
        .iter()
        .find(|t| t.key == "node.kubernetes.io/not-ready")
        .unwrap();
    assert_eq!(not_ready.toleration_seconds, None);
    // 5 written, 2 of them replaced in place, 4 more defaults (disk, memory, pid pressure,
    // unschedulable) and network-unavailable for a hostNetwork pod.
    assert_eq!(merged.len(), 10);
}

#[test]
fn the_whole_template_is_kept_losslessly() {
    let ds = load("seed/10-node-exporter.yaml");
    let raw = ds.template().to_json();
    // `$$` is Kubernetes' escape for `$` in args: kept verbatim.
    let args = raw.pointer("/spec/containers/0/args").unwrap().to_string();
    assert!(args.contains("$$"), "{args}");
    assert_eq!(raw.pointer("/spec/hostPID"), Some(&serde_json::json!(true)));
    assert_eq!(raw.pointer("/spec/hostIPC"), Some(&serde_json::json!(true)));

    let ds = load("real/kube-prometheus-node-exporter.yaml");
    let raw = ds.template().to_json();
    assert_eq!(
        raw.pointer("/metadata/labels/app.kubernetes.io~1version"),
        Some(&serde_json::json!("1.12.1"))
    );
    assert_eq!(
        ds.template().labels["app.kubernetes.io/version"],
        "1.12.1".to_string()
    );
}

#[test]
fn fixtures_with_the_daemonset_late_in_the_stream() {
    // calico: document 37 of 38; metallb: 25 of 26; kured: 2 of 2, starting with `---`.
    for (file, name) in [
        ("real/calico.yaml", "calico-node"),
        ("real/metallb-native.yaml", "speaker"),
        ("real/kured-ds.yaml", "kured"),
        ("seed/09-filebeat.yaml", "filebeat"),
    ] {
        assert_eq!(load(file).name(), name);
    }
}

#[test]
fn fixtures_are_byte_identical_to_the_shared_copies() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if !shared.is_dir() {
        eprintln!(
            "skipped: {} is absent (not a checkout beside the shared folder)",
            shared.display()
        );
        return;
    }
    let mut compared = 0;
    for folder in ["real", "seed"] {
        let mut theirs: Vec<String> = std::fs::read_dir(shared.join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .map(|n| format!("{folder}/{n}"))
            .collect();
        theirs.sort();
        assert_eq!(
            fixture_files(folder),
            theirs,
            "file lists differ in {folder}"
        );
        for file in theirs {
            let ours = std::fs::read(data_dir().join(&file)).unwrap();
            let original = std::fs::read(shared.join(&file)).unwrap();
            assert!(ours == original, "{file} differs from the shared copy");
            compared += 1;
        }
    }
    assert_eq!(compared, 27);
}
