//! nodeSelector and required node affinity, as the DaemonSet controller matches them.
//!
//! Restates component-helpers' nodeaffinity tests (TestPodMatchesNodeSelectorAndAffinityTerms,
//! TestNodeSelectorMatch) and scheduling/corev1 helpers' TestMatchNodeSelectorTerms as
//! DaemonSet manifests evaluated with `node_decision()` on an untainted node: there,
//! `should_run` is exactly "nodeSelector and required affinity match".

use daemonset_planner::{
    DaemonSet, Labels, Node, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement,
    NodeSelectorTerm, Options, Reason, node_decision,
};

fn options() -> Options {
    Options::at("2026-01-01T00:00:00Z".parse().unwrap())
}

/// A DaemonSet whose template spec has `scheduling` (nodeSelector / affinity lines) added.
#[track_caller]
fn daemon_set(scheduling: &str) -> DaemonSet {
    let spec: String = scheduling.lines().map(|l| format!("      {l}\n")).collect();
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
{spec}"
    );
    DaemonSet::from_yaml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Required node affinity with the given `nodeSelectorTerms` (YAML flow list).
fn required(terms: &str) -> String {
    format!(
        "affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms: {terms}"
    )
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn node(name: &str, pairs: &[(&str, &str)]) -> Node {
    let mut n = Node::new(name);
    n.labels = labels(pairs);
    n
}

#[track_caller]
fn matches(scheduling: &str, node: &Node) -> bool {
    let d = node_decision(&daemon_set(scheduling), node, &options());
    assert_eq!(d.should_run, d.should_continue_running);
    assert_eq!(d.should_run, d.reasons.is_empty(), "{:?}", d.reasons);
    d.should_run
}

const FOO_BAR: &[(&str, &str)] = &[("foo", "bar")];

// upstream: nodeaffinity_test.go TestPodMatchesNodeSelectorAndAffinityTerms
#[test]
fn node_selector_and_affinity_terms() {
    let cases: &[(&str, String, Node, bool)] = &[
        ("NA-01 no selector", String::new(), node("", &[]), true),
        (
            "NA-02 missing labels",
            "nodeSelector: {foo: bar}".into(),
            node("", &[]),
            false,
        ),
        (
            "NA-03 same labels",
            "nodeSelector: {foo: bar}".into(),
            node("", FOO_BAR),
            true,
        ),
        (
            "NA-04 node labels are a superset",
            "nodeSelector: {foo: bar}".into(),
            node("", &[("foo", "bar"), ("baz", "blah")]),
            true,
        ),
        (
            "NA-05 node labels are a subset",
            "nodeSelector: {foo: bar, baz: blah}".into(),
            node("", FOO_BAR),
            false,
        ),
        (
            "NA-06 In matches",
            required("[{matchExpressions: [{key: foo, operator: In, values: [bar, value2]}]}]"),
            node("", FOO_BAR),
            true,
        ),
        (
            "NA-07 Gt compares integers (206 > 204, leading zeros allowed)",
            required(
                "[{matchExpressions: [{key: kernel-version, operator: Gt, values: [\"0204\"]}]}]",
            ),
            node("", &[("kernel-version", "0206")]),
            true,
        ),
        (
            "NA-08 NotIn matches",
            required(
                "[{matchExpressions: [{key: mem-type, operator: NotIn, values: [DDR, DDR2]}]}]",
            ),
            node("", &[("mem-type", "DDR3")]),
            true,
        ),
        (
            "NA-09 Exists matches",
            required("[{matchExpressions: [{key: GPU, operator: Exists}]}]"),
            node("", &[("GPU", "NVIDIA-GRID-K1")]),
            true,
        ),
        (
            "NA-10 affinity does not match the labels",
            required("[{matchExpressions: [{key: foo, operator: In, values: [value1, value2]}]}]"),
            node("", FOO_BAR),
            false,
        ),
        (
            "NA-13 a term with empty matchExpressions matches nothing",
            required("[{matchExpressions: []}]"),
            node("", FOO_BAR),
            false,
        ),
        ("NA-14 no affinity", String::new(), node("", FOO_BAR), true),
        (
            "NA-15 nodeAffinity without a required part",
            "affinity: {nodeAffinity: {}}".into(),
            node("", FOO_BAR),
            true,
        ),
        (
            "NA-16 expressions are ANDed: match",
            required(
                "[{matchExpressions: [{key: GPU, operator: Exists}, {key: GPU, operator: NotIn, values: [AMD, INTER]}]}]",
            ),
            node("", &[("GPU", "NVIDIA-GRID-K1")]),
            true,
        ),
        (
            "NA-17 expressions are ANDed: no match",
            required(
                "[{matchExpressions: [{key: GPU, operator: Exists}, {key: GPU, operator: In, values: [AMD, INTER]}]}]",
            ),
            node("", &[("GPU", "NVIDIA-GRID-K1")]),
            false,
        ),
        (
            "NA-18 terms are ORed",
            required(
                "[{matchExpressions: [{key: foo, operator: In, values: [bar, value2]}]},
                  {matchExpressions: [{key: diffkey, operator: In, values: [wrong, value2]}]}]",
            ),
            node("", FOO_BAR),
            true,
        ),
        (
            "NA-19 affinity and nodeSelector both satisfied",
            format!(
                "nodeSelector: {{foo: bar}}\n{}",
                required("[{matchExpressions: [{key: foo, operator: Exists}]}]")
            ),
            node("", FOO_BAR),
            true,
        ),
        (
            "NA-20 affinity matches, nodeSelector does not",
            format!(
                "nodeSelector: {{foo: bar}}\n{}",
                required("[{matchExpressions: [{key: foo, operator: Exists}]}]")
            ),
            node("", &[("foo", "barrrrrr")]),
            false,
        ),
        (
            "NA-21 a value that is not a label value makes the term unmatchable",
            required(
                "[{matchExpressions: [{key: foo, operator: NotIn, values: [\"invalid value: ___@#$%^\"]}]}]",
            ),
            node("", FOO_BAR),
            false,
        ),
        (
            "NA-22 matchFields In matches",
            required("[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}]}]"),
            node("node-1", &[]),
            true,
        ),
        (
            "NA-23 matchFields In does not match",
            required("[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}]}]"),
            node("node-2", &[]),
            false,
        ),
        (
            "NA-24 two terms: fields no, expressions yes",
            required(
                "[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}]},
                  {matchExpressions: [{key: foo, operator: In, values: [bar]}]}]",
            ),
            node("node-2", FOO_BAR),
            true,
        ),
        (
            "NA-25 one term: fields no, expressions yes",
            required(
                "[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}],
                   matchExpressions: [{key: foo, operator: In, values: [bar]}]}]",
            ),
            node("node-2", FOO_BAR),
            false,
        ),
        (
            "NA-26 one term: both match",
            required(
                "[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}],
                   matchExpressions: [{key: foo, operator: In, values: [bar]}]}]",
            ),
            node("node-1", FOO_BAR),
            true,
        ),
        (
            "NA-27 two terms: neither matches",
            required(
                "[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}]},
                  {matchExpressions: [{key: foo, operator: In, values: [not-match-to-bar]}]}]",
            ),
            node("node-2", FOO_BAR),
            false,
        ),
    ];
    for (id, scheduling, node, expected) in cases {
        assert_eq!(matches(scheduling, node), *expected, "{id}");
    }
}

// NA-11 / NA-12: required affinity with no terms. The API server rejects such a DaemonSet;
// the matcher itself says "no match".
#[test]
fn no_terms_match_nothing_and_are_rejected() {
    assert!(!NodeSelector::default().matches("n", &labels(FOO_BAR)));
    for terms in ["[]", "null"] {
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
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: {terms}}}
"
        );
        let err = DaemonSet::from_yaml(&text).unwrap_err();
        assert_eq!(
            err.field(),
            Some(
                "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
            ),
            "{terms}: {err}"
        );
    }
}

#[test]
fn gt_and_lt_follow_upstream_integer_rules() {
    let gt = |bound: &str| {
        required(&format!(
            "[{{matchExpressions: [{{key: cores, operator: Gt, values: [\"{bound}\"]}}]}}]"
        ))
    };
    let lt = |bound: &str| {
        required(&format!(
            "[{{matchExpressions: [{{key: cores, operator: Lt, values: [\"{bound}\"]}}]}}]"
        ))
    };
    let cores = |v: &str| node("n", &[("cores", v)]);
    assert!(matches(&gt("4"), &cores("8")));
    assert!(!matches(&gt("8"), &cores("8")), "strict");
    assert!(matches(&lt("16"), &cores("8")));
    assert!(!matches(&lt("8"), &cores("8")), "strict");
    // A label that is not an integer, or missing, never matches.
    assert!(!matches(&gt("4"), &cores("eight")));
    assert!(!matches(&lt("4"), &node("n", &[])));
    assert!(!matches(&gt("4"), &cores("1.5")));
    // Label values are compared as int64: big values work, beyond int64 they do not parse.
    assert!(matches(
        &gt("9223372036854775806"),
        &cores("9223372036854775807")
    ));
    assert!(!matches(&lt("1"), &cores("99999999999999999999")));
}

#[test]
fn not_in_and_does_not_exist_match_a_missing_label() {
    let none = node("n", &[]);
    assert!(matches(
        &required("[{matchExpressions: [{key: zone, operator: NotIn, values: [a]}]}]"),
        &none
    ));
    assert!(matches(
        &required("[{matchExpressions: [{key: zone, operator: DoesNotExist}]}]"),
        &none
    ));
    assert!(!matches(
        &required("[{matchExpressions: [{key: zone, operator: DoesNotExist}]}]"),
        &node("n", &[("zone", "")])
    ));
    assert!(matches(
        &required("[{matchExpressions: [{key: zone, operator: Exists}]}]"),
        &node("n", &[("zone", "")])
    ));
}

#[test]
fn match_fields_supports_not_in() {
    let not_a = required("[{matchFields: [{key: metadata.name, operator: NotIn, values: [a]}]}]");
    assert!(!matches(&not_a, &node("a", &[])));
    assert!(matches(&not_a, &node("b", &[])));
}

// Upstream skips field requirements for a node without a name (a quirk kept as is).
#[test]
fn match_fields_are_skipped_for_a_nameless_node() {
    let only_a = required("[{matchFields: [{key: metadata.name, operator: In, values: [a]}]}]");
    assert!(matches(&only_a, &node("", &[])));
}

// upstream: nodeaffinity_test.go TestNodeSelectorMatch (NSM-02: the strict constructor's errors
// are the API server's validation errors here)
#[test]
fn invalid_terms_are_rejected_with_their_paths() {
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
{}",
        required(
            "[{matchFields: [{key: metadata.name, operator: In, values: [host-1, host-2]}]},
              {matchExpressions: [{key: label_1, operator: In, values: [label_1_val]}],
               matchFields: [{key: metadata.name, operator: In, values: [host-1]}]},
              {matchExpressions: [{key: invalid key, operator: In, values: [label_value]}]}]"
        )
        .lines()
        .map(|l| format!("      {l}\n"))
        .collect::<String>()
    );
    let err = DaemonSet::from_yaml(&text).unwrap_err();
    let base =
        "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
    let fields: Vec<&str> = err
        .field_errors()
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            format!("{base}.nodeSelectorTerms[0].matchFields[0].values"),
            format!("{base}.nodeSelectorTerms[2].matchExpressions[0].key"),
        ]
    );
}

// upstream: nodeaffinity_test.go TestNodeSelectorMatch (NSM-03..05)
#[test]
fn field_and_label_requirements_in_one_term_are_anded() {
    let both = required(
        "[{matchExpressions: [{key: label_1, operator: In, values: [label_1_val]}],
           matchFields: [{key: metadata.name, operator: In, values: [host-1]}]}]",
    );
    assert!(!matches(&both, &node("host-1", &[])), "NSM-03");
    assert!(
        matches(&both, &node("host-1", &[("label_1", "label_1_val")])),
        "NSM-04"
    );
    let either = required(
        "[{matchExpressions: [{key: label_1, operator: In, values: [label_1_val]}]},
          {matchFields: [{key: metadata.name, operator: In, values: [host-1]}]}]",
    );
    assert!(matches(&either, &node("host-1", &[])), "NSM-05");
}

// upstream: helpers_test.go TestMatchNodeSelectorTerms
#[test]
fn match_node_selector_terms() {
    let label_term = "{matchExpressions: [{key: label_1, operator: In, values: [label_1_val]}]}";
    let field_term = "{matchFields: [{key: metadata.name, operator: In, values: [host-1]}]}";
    let both_term = "{matchExpressions: [{key: label_1, operator: In, values: [label_1_val]}],
                      matchFields: [{key: metadata.name, operator: In, values: [host-1]}]}";
    let labelled = |v: &str| node("host-1", &[("label_1", v)]);

    assert!(
        !NodeSelector::default().matches("", &Labels::new()),
        "MNST-01"
    );
    assert!(
        matches(
            &required(&format!("[{label_term}]")),
            &labelled("label_1_val")
        ),
        "MNST-02"
    );
    assert!(
        matches(&required(&format!("[{field_term}]")), &node("host-1", &[])),
        "MNST-03"
    );
    assert!(
        !matches(
            &required(&format!("[{field_term}]")),
            &node("not_host-1", &[("metadata.name", "host-1")])
        ),
        "MNST-05: fields are not read from labels"
    );
    assert!(
        !matches(
            &required(
                "[{matchExpressions: [{key: metadata.name, operator: In, values: [host-1]}]}]"
            ),
            &node("host-1", &[])
        ),
        "MNST-06: labels are not read from fields"
    );
    assert!(
        !matches(&required(&format!("[{both_term}]")), &node("host-1", &[])),
        "MNST-07"
    );
    assert!(
        matches(
            &required(&format!("[{both_term}]")),
            &labelled("label_1_val")
        ),
        "MNST-08"
    );
    assert!(
        !matches(
            &required(&format!("[{both_term}]")),
            &labelled("label_1_val-failed")
        ),
        "MNST-09"
    );
    assert!(
        matches(
            &required(&format!("[{label_term}, {field_term}]")),
            &labelled("label_1_val-failed")
        ),
        "MNST-10"
    );
}

// MNST-04: a field requirement with two values. The API server rejects it in a DaemonSet;
// as a compiled selector (e.g. read from a pod) the term simply never matches.
#[test]
fn field_requirement_with_two_values_never_matches() {
    let selector = NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: NodeSelectorOperator::In,
                values: vec!["host-1".into(), "host-2".into()],
            }],
        }],
    };
    assert!(!selector.matches("host-1", &Labels::new()));
    assert_eq!(selector.pinned_node(), None);
}

// upstream: helpers_test.go TestMatchNodeSelectorTermsStateless: matching does not reorder.
#[test]
fn matching_leaves_the_selector_untouched() {
    let ds = daemon_set(&required(
        "[{matchExpressions: [{key: zone, operator: In, values: [c, a, b]}],
           matchFields: [{key: metadata.name, operator: NotIn, values: [z]}]}]",
    ));
    let before = ds.template().spec.required_node_affinity.clone();
    for name in ["x", "y"] {
        let _ = node_decision(&ds, &node(name, &[("zone", "a")]), &options());
    }
    assert_eq!(ds.template().spec.required_node_affinity, before);
    let values = &before.unwrap().node_selector_terms[0].match_expressions[0].values;
    assert_eq!(values, &["c", "a", "b"]);
}

// Preferred affinity plays no part in placement (upstream: not used by the controller).
#[test]
fn preferred_affinity_is_ignored() {
    let ds = daemon_set(
        "affinity:
  nodeAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      preference:
        matchExpressions: [{key: network-speed, operator: In, values: [high]}]",
    );
    let d = node_decision(&ds, &node("slow", &[("network-speed", "low")]), &options());
    assert!(d.should_run && d.reasons.is_empty());
}

#[test]
fn selector_reasons_name_each_failing_key_in_manifest_order() {
    let ds = daemon_set("nodeSelector: {zone: production, storage-type: ssd, tier: db}");
    let d = node_decision(
        &ds,
        &node("n", &[("storage-type", "hdd"), ("tier", "db")]),
        &options(),
    );
    assert_eq!(
        d.reasons,
        [
            Reason::NodeSelectorMismatch {
                key: "zone".into(),
                wanted: "production".into(),
                found: None,
            },
            Reason::NodeSelectorMismatch {
                key: "storage-type".into(),
                wanted: "ssd".into(),
                found: Some("hdd".into()),
            },
        ]
    );
    // Selector and affinity both failing: both are reported, selector first.
    let ds = daemon_set(&format!(
        "nodeSelector: {{zone: production}}\n{}",
        required("[{matchExpressions: [{key: tier, operator: In, values: [web]}]}]")
    ));
    let d = node_decision(&ds, &node("n", &[("tier", "db")]), &options());
    assert_eq!(d.reasons.len(), 2);
    assert_eq!(d.reasons[1], Reason::NodeAffinityMismatch);
}
