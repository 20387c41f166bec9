//! Tolerations: matching (core/v1 TestTolerationToleratesTaint, scheduling/corev1
//! TestFindMatchingUntoleratedTaint) and the default daemon tolerations (rules R6, R7).

use daemonset_planner::{
    DaemonSet, Node, Options, Taint, TaintEffect, Toleration, TolerationOperator,
    default_daemon_tolerations, keys, node_decision,
};

fn options() -> Options {
    Options::at("2026-01-01T00:00:00Z".parse().unwrap())
}

/// A DaemonSet with the given `tolerations` (YAML flow list) and optional extra spec lines.
#[track_caller]
fn daemon_set(tolerations: &str, extra: &str) -> DaemonSet {
    let text = format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers: [{{name: agent, image: agent:1}}]
      tolerations: {tolerations}
{extra}"
    );
    DaemonSet::from_yaml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The one toleration written in `yaml` (a flow map), as compiled.
#[track_caller]
fn toleration(yaml: &str) -> Toleration {
    let ds = daemon_set(&format!("[{yaml}]"), "");
    ds.daemon_tolerations()[0].clone()
}

fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
    Taint::new(key, value, effect)
}

use TaintEffect::{NoExecute, NoSchedule, PreferNoSchedule};

// upstream: core/v1 toleration_test.go TestTolerationToleratesTaint
#[test]
fn toleration_tolerates_taint() {
    let sla = "node.kubernetes.io/sla";
    let cases: &[(&str, &str, Taint, bool)] = &[
        (
            "TT-01",
            "{key: foo, operator: Exists, effect: NoSchedule}",
            taint("foo", "", NoSchedule),
            true,
        ),
        (
            "TT-02",
            "{key: foo, operator: Exists, effect: NoSchedule}",
            taint("foo", "bar", NoSchedule),
            true,
        ),
        (
            "TT-03 empty key with Exists matches every key",
            "{operator: Exists, effect: NoSchedule}",
            taint("foo", "bar", NoSchedule),
            true,
        ),
        (
            "TT-04",
            "{key: foo, operator: Equal, value: bar, effect: NoSchedule}",
            taint("foo", "bar", NoSchedule),
            true,
        ),
        (
            "TT-05",
            "{key: foo, operator: Equal, value: value1, effect: NoSchedule}",
            taint("foo", "value2", NoSchedule),
            false,
        ),
        (
            "TT-06 effect mismatch",
            "{key: foo, operator: Equal, value: bar, effect: NoSchedule}",
            taint("foo", "bar", NoExecute),
            false,
        ),
    ];
    for (id, yaml, taint, expected) in cases {
        let t = toleration(yaml);
        assert_eq!(t.tolerates(taint, false), *expected, "{id}");
        assert_eq!(t.tolerates(taint, true), *expected, "{id} (switch on)");
    }
    let numeric: &[(&str, &str, &str, &str, bool)] = &[
        ("TT-07", "Gt", "950", "800", false),
        (
            "TT-08 Gt: taint value > toleration value",
            "Gt",
            "750",
            "950",
            true,
        ),
        ("TT-09", "Lt", "800", "950", false),
        (
            "TT-10 Lt: taint value < toleration value",
            "Lt",
            "950",
            "800",
            true,
        ),
        ("TT-11 strict", "Gt", "950", "950", false),
        ("TT-12 not a number", "Gt", "950", "high", false),
        ("TT-13 negative numbers", "Gt", "-100", "-200", false),
        (
            "TT-14 int64 range",
            "Gt",
            "9223372036854775806",
            "100",
            false,
        ),
    ];
    for (id, op, value, taint_value, expected) in numeric {
        let t = toleration(&format!(
            "{{key: {sla}, operator: {op}, value: \"{value}\", effect: NoSchedule}}"
        ));
        let x = taint(sla, taint_value, NoSchedule);
        assert_eq!(t.tolerates(&x, true), *expected, "{id}");
        // With the alpha switch off (upstream's gate default), Gt/Lt never tolerate.
        assert!(!t.tolerates(&x, false), "{id} (switch off)");
    }
}

#[test]
fn numeric_operators_need_canonical_integers() {
    let gt = toleration("{key: level, operator: Gt, value: \"5\"}");
    assert!(gt.tolerates(&taint("level", "6", NoSchedule), true));
    assert!(gt.tolerates(&taint("level", "10", NoSchedule), true));
    // Leading zeros are not canonical decimal integers (upstream IsDecimalInteger).
    assert!(!gt.tolerates(&taint("level", "06", NoSchedule), true));
    assert!(!gt.tolerates(&taint("level", "", NoSchedule), true));
    let lt = toleration("{key: level, operator: Lt, value: \"1\"}");
    assert!(lt.tolerates(&taint("level", "0", NoSchedule), true));
    assert!(!lt.tolerates(&taint("level", "00", NoSchedule), true));
}

#[test]
fn matching_corners() {
    // An empty effect matches every effect.
    let any_effect = toleration("{key: foo, operator: Exists}");
    for effect in [NoSchedule, PreferNoSchedule, NoExecute] {
        assert!(any_effect.tolerates(&taint("foo", "x", effect), false));
    }
    assert!(
        !any_effect.tolerates(&taint("bar", "x", NoSchedule), false),
        "key mismatch"
    );
    // An empty key with Exists and no effect matches every taint.
    let everything = toleration("{operator: Exists}");
    assert_eq!(everything.key, "");
    assert_eq!(everything.effect, None);
    assert!(everything.tolerates(&taint("anything", "at-all", NoExecute), false));
    // An empty operator means Equal.
    let no_operator = toleration("{key: foo, value: bar, effect: NoSchedule}");
    assert_eq!(no_operator.operator, TolerationOperator::Equal);
    assert!(no_operator.tolerates(&taint("foo", "bar", NoSchedule), false));
    assert!(!no_operator.tolerates(&taint("foo", "baz", NoSchedule), false));
    // Equal with an empty value matches an empty taint value only.
    let empty_value = toleration("{key: foo, operator: Equal, effect: NoSchedule}");
    assert!(empty_value.tolerates(&taint("foo", "", NoSchedule), false));
    assert!(!empty_value.tolerates(&taint("foo", "bar", NoSchedule), false));
    // tolerationSeconds plays no part in the match.
    let timed = toleration("{key: foo, operator: Exists, effect: NoExecute, tolerationSeconds: 0}");
    assert_eq!(timed.toleration_seconds, Some(0));
    assert!(timed.tolerates(&taint("foo", "bar", NoExecute), false));
}

fn tainted(taints: &[Taint]) -> Node {
    let mut n = Node::new("n");
    n.taints = taints.to_vec();
    n
}

/// `(should_run, should_continue_running)` of a DaemonSet with `tolerations` on `node`.
#[track_caller]
fn flags(tolerations: &str, node: &Node, options: &Options) -> (bool, bool) {
    let d = node_decision(&daemon_set(tolerations, ""), node, options);
    (d.should_run, d.should_continue_running)
}

// upstream: helpers_test.go TestFindMatchingUntoleratedTaint, through the controller's two
// filters: NoSchedule or NoExecute for "should run", NoExecute for "may keep running".
#[test]
fn find_matching_untolerated_taint() {
    let o = options();
    let foo_ns = "[{key: foo, operator: Exists, effect: NoSchedule}]";
    assert_eq!(flags("[]", &tainted(&[]), &o), (true, true), "FMUT-01");
    assert_eq!(flags(foo_ns, &tainted(&[]), &o), (true, true), "FMUT-02");
    assert_eq!(
        flags(foo_ns, &tainted(&[taint("foo", "", NoSchedule)]), &o),
        (true, true),
        "FMUT-03"
    );
    assert_eq!(
        flags(foo_ns, &tainted(&[taint("bar", "", PreferNoSchedule)]), &o),
        (true, true),
        "FMUT-04: no taint passes the filter"
    );
    assert_eq!(
        flags(foo_ns, &tainted(&[taint("bar", "", NoSchedule)]), &o),
        (false, true),
        "FMUT-05"
    );
    assert_eq!(
        flags(
            "[{key: foo, operator: Exists, effect: NoExecute}]",
            &tainted(&[taint("foo", "", NoExecute), taint("bar", "", NoSchedule)]),
            &o
        ),
        (false, true),
        "FMUT-06: bar:NoSchedule blocks new pods only"
    );
}

#[test]
fn comparison_operators_switch_reaches_placement() {
    let node = tainted(&[taint("sla", "950", NoSchedule)]);
    let tolerations = "[{key: sla, operator: Gt, value: \"750\", effect: NoSchedule}]";
    assert_eq!(flags(tolerations, &node, &options()), (false, true));
    let mut on = options();
    on.taint_toleration_comparison_operators = true;
    assert_eq!(flags(tolerations, &node, &on), (true, true));
}

// ---------------------------------------------------------------------------------------------
// Default daemon tolerations (R6, R7). No upstream unit test exists for
// AddOrUpdateDaemonPodTolerations; these vectors come from its source.

fn summary(tolerations: &[Toleration]) -> Vec<String> {
    tolerations
        .iter()
        .map(|t| {
            let effect = t.effect.map_or(String::new(), |e| e.to_string());
            let secs = t
                .toleration_seconds
                .map_or(String::new(), |s| format!(" {s}s"));
            format!(
                "{} {} {}{effect}{secs}",
                t.key,
                t.operator.as_str(),
                t.value
            )
        })
        .collect()
}

const DEFAULTS: [&str; 6] = [
    "node.kubernetes.io/not-ready Exists NoExecute",
    "node.kubernetes.io/unreachable Exists NoExecute",
    "node.kubernetes.io/disk-pressure Exists NoSchedule",
    "node.kubernetes.io/memory-pressure Exists NoSchedule",
    "node.kubernetes.io/pid-pressure Exists NoSchedule",
    "node.kubernetes.io/unschedulable Exists NoSchedule",
];
const NETWORK: &str = "node.kubernetes.io/network-unavailable Exists NoSchedule";

#[test]
fn defaults_in_upstream_order() {
    assert_eq!(summary(&default_daemon_tolerations(false)), DEFAULTS);
    let mut with_network = DEFAULTS.to_vec();
    with_network.push(NETWORK);
    assert_eq!(summary(&default_daemon_tolerations(true)), with_network);

    assert_eq!(summary(daemon_set("[]", "").daemon_tolerations()), DEFAULTS);
    assert_eq!(
        summary(daemon_set("[]", "      hostNetwork: true\n").daemon_tolerations()),
        with_network
    );
}

#[test]
fn user_tolerations_come_first_and_defaults_follow() {
    let ds = daemon_set("[{key: dedicated, value: gpu, effect: NoSchedule}]", "");
    let mut expected = vec!["dedicated Equal gpuNoSchedule"];
    expected.extend(DEFAULTS);
    assert_eq!(summary(ds.daemon_tolerations()), expected);
}

#[test]
fn a_matching_user_toleration_is_replaced_in_place() {
    // {not-ready, Exists, NoExecute, 300s}: same key, effect, operator and value as the
    // default, so the default overwrites it where it stands and the 300 s is dropped.
    let ds = daemon_set(
        "[{key: a, operator: Exists},
          {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300},
          {key: z, operator: Exists}]",
        "",
    );
    let got = summary(ds.daemon_tolerations());
    assert_eq!(got[..3], ["a Exists ", DEFAULTS[0], "z Exists "]);
    assert_eq!(got[3..], DEFAULTS[1..]);
}

#[test]
fn a_toleration_differing_in_operator_is_kept_beside_the_default() {
    let ds = daemon_set(
        "[{key: node.kubernetes.io/not-ready, operator: Equal, effect: NoExecute, tolerationSeconds: 60}]",
        "",
    );
    let mut expected = vec!["node.kubernetes.io/not-ready Equal NoExecute 60s"];
    expected.extend(DEFAULTS);
    assert_eq!(summary(ds.daemon_tolerations()), expected);
}

// Upstream's AddOrUpdateTolerationInPodSpec stops as soon as it meets an entry already equal to
// the default: then nothing changes, even a matching entry before it.
#[test]
fn an_entry_equal_to_the_default_leaves_the_list_unchanged() {
    let ds = daemon_set(
        "[{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30},
          {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}]",
        "",
    );
    let got = summary(ds.daemon_tolerations());
    assert_eq!(
        got[..2],
        [
            "node.kubernetes.io/unreachable Exists NoExecute 30s",
            "node.kubernetes.io/unreachable Exists NoExecute",
        ]
    );
    let mut rest = vec![DEFAULTS[0]];
    rest.extend(&DEFAULTS[2..]);
    assert_eq!(got[2..], rest);
}

#[test]
fn network_unavailable_taint_needs_host_network() {
    let node = tainted(&[taint(keys::NETWORK_UNAVAILABLE, "", NoSchedule)]);
    let pod_network = daemon_set("[]", "");
    let host_network = daemon_set("[]", "      hostNetwork: true\n");
    let d = node_decision(&pod_network, &node, &options());
    assert_eq!((d.should_run, d.should_continue_running), (false, true));
    assert!(node_decision(&host_network, &node, &options()).should_run);
}

#[test]
fn default_tolerations_cover_only_their_effects() {
    // not-ready and unreachable are tolerated as NoExecute only; the NoSchedule variant the
    // node lifecycle controller also adds stops new pods.
    for key in [keys::NOT_READY, keys::UNREACHABLE] {
        let o = options();
        assert_eq!(
            flags("[]", &tainted(&[taint(key, "", NoExecute)]), &o),
            (true, true)
        );
        assert_eq!(
            flags("[]", &tainted(&[taint(key, "", NoSchedule)]), &o),
            (false, true)
        );
    }
    for key in [
        keys::DISK_PRESSURE,
        keys::MEMORY_PRESSURE,
        keys::PID_PRESSURE,
        keys::UNSCHEDULABLE,
    ] {
        let o = options();
        assert_eq!(
            flags("[]", &tainted(&[taint(key, "", NoSchedule)]), &o),
            (true, true)
        );
        assert_eq!(
            flags("[]", &tainted(&[taint(key, "", NoExecute)]), &o),
            (false, false)
        );
    }
}
