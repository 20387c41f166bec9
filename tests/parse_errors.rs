//! A table of bad inputs: each gets an error of the right kind, naming the right field, and
//! for many of them the whole message is checked against the API server's wording.

use FieldErrorKind::{Duplicate, Forbidden, Invalid, NotSupported, Required};
use daemonset_planner::{DaemonSet, Error, FieldErrorKind, Snapshot};

/// A valid DaemonSet; cases append lines to it (the indentation picks the level: 2 spaces is
/// `spec`, 6 the pod spec, 8 the container) or replace parts of it.
const BASE: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: agent:1
";

fn with_spec(line: &str) -> String {
    format!("{BASE}  {line}\n")
}

fn with_pod(line: &str) -> String {
    format!("{BASE}      {line}\n")
}

fn with_container(line: &str) -> String {
    format!("{BASE}        {line}\n")
}

fn with_strategy(rolling_update: &str) -> String {
    with_spec(&format!(
        "updateStrategy: {{type: RollingUpdate, rollingUpdate: {rolling_update}}}"
    ))
}

fn with_affinity(term: &str) -> String {
    with_pod(&format!(
        "affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{term}]}}}}}}"
    ))
}

fn with_toleration(toleration: &str) -> String {
    with_pod(&format!("tolerations: [{toleration}]"))
}

fn with_request(memory: &str) -> String {
    with_container(&format!(
        "resources: {{requests: {{memory: \"{memory}\"}}}}"
    ))
}

fn replace(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} is not in BASE");
    BASE.replacen(from, to, 1)
}

/// A one-node snapshot whose node carries `spec`.
fn node_with(spec: &str) -> String {
    format!("apiVersion: v1\nkind: Node\nmetadata: {{name: node-1}}\nspec: {spec}\n")
}

#[derive(Debug)]
enum Expect {
    /// `Error::Invalid` listing exactly these errors, in order.
    Invalid(&'static [(FieldErrorKind, &'static str)]),
    /// `Error::Parse` naming this field (`""`: the parser names none).
    Parse(&'static str),
    NotFound,
    Removed,
    Unsupported,
    Duplicate,
}

#[derive(Clone, Copy, Debug)]
enum Reader {
    DaemonSet,
    Snapshot,
}

struct Case {
    name: &'static str,
    reader: Reader,
    input: String,
    expect: Expect,
    /// The whole `Display` text, for cases that pin it.
    message: Option<&'static str>,
}

fn ds(name: &'static str, input: String, expect: Expect) -> Case {
    Case {
        name,
        reader: Reader::DaemonSet,
        input,
        expect,
        message: None,
    }
}

fn cluster(name: &'static str, input: String, expect: Expect) -> Case {
    Case {
        name,
        reader: Reader::Snapshot,
        input,
        expect,
        message: None,
    }
}

impl Case {
    fn says(mut self, message: &'static str) -> Case {
        self.message = Some(message);
        self
    }

    /// What is wrong with the outcome, if anything.
    fn check(&self) -> Option<String> {
        let result = match self.reader {
            Reader::DaemonSet => DaemonSet::from_yaml(&self.input).map(|_| ()),
            Reader::Snapshot => Snapshot::from_yaml(&self.input).map(|_| ()),
        };
        let err = match result {
            Ok(()) => return Some("accepted".to_string()),
            Err(err) => err,
        };
        let shape_ok = match (&self.expect, &err) {
            (Expect::Invalid(want), Error::Invalid { errors, .. }) => {
                let got: Vec<(FieldErrorKind, &str)> =
                    errors.iter().map(|e| (e.kind, e.field.as_str())).collect();
                got == *want && err.field() == want.first().map(|w| w.1)
            }
            (Expect::Parse(field), Error::Parse { .. }) => {
                err.field().unwrap_or("") == *field && err.field_errors().is_empty()
            }
            (Expect::NotFound, Error::NotFound { wanted, .. }) => *wanted == "DaemonSet",
            (Expect::Removed, Error::RemovedApiVersion { .. })
            | (Expect::Unsupported, Error::UnsupportedApiVersion { .. }) => {
                err.field() == Some("apiVersion")
            }
            (Expect::Duplicate, Error::Duplicate { .. }) => err.field() == Some("metadata.name"),
            _ => false,
        };
        if !shape_ok {
            return Some(format!("expected {:?}, got {err:?}", self.expect));
        }
        if let Some(message) = self.message
            && err.to_string() != message
        {
            return Some(format!("message\n   got: {err}\n  want: {message}"));
        }
        None
    }
}

const PERCENT_MSG: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
const RU: &str = "spec.updateStrategy.rollingUpdate";
const AFF: &str = "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]";
const TOL: &str = "spec.template.spec.tolerations[0]";
const MEM: &str = "spec.template.spec.containers[0].resources.requests[memory]";

fn cases() -> Vec<Case> {
    vec![
        // ---- selector ----------------------------------------------------------------------
        ds(
            "selector missing",
            replace("  selector:\n    matchLabels: {app: agent}\n", ""),
            Expect::Invalid(&[
                (Required, "spec.selector"),
                (Invalid, "spec.template.metadata.labels"),
            ]),
        ),
        ds(
            "selector empty",
            replace("  selector:\n    matchLabels: {app: agent}\n", "  selector: {}\n"),
            Expect::Invalid(&[(Invalid, "spec.selector")]),
        )
        .says("spec.selector: Invalid value: {}: empty selector is invalid for daemonset"),
        ds(
            "selector does not match the template labels",
            replace("labels: {app: agent}", "labels: {app: x}"),
            Expect::Invalid(&[(Invalid, "spec.template.metadata.labels")]),
        )
        .says(r#"spec.template.metadata.labels: Invalid value: {"app":"x"}: selector does not match template labels"#),
        ds(
            "template without labels",
            replace("      labels: {app: agent}\n", "      annotations: {a: b}\n"),
            Expect::Invalid(&[(Invalid, "spec.template.metadata.labels")]),
        )
        .says("spec.template.metadata.labels: Invalid value: {}: selector does not match template labels"),
        ds(
            "selector expression excludes the template",
            replace(
                "matchLabels: {app: agent}",
                "matchExpressions: [{key: app, operator: NotIn, values: [agent]}]",
            ),
            Expect::Invalid(&[(Invalid, "spec.template.metadata.labels")]),
        ),
        ds(
            "selector expression with an unknown operator",
            replace(
                "matchLabels: {app: agent}",
                "matchExpressions: [{key: app, operator: Equals, values: [agent]}]",
            ),
            Expect::Invalid(&[(Invalid, "spec.selector.matchExpressions[0].operator")]),
        )
        .says(r#"spec.selector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator"#),
        ds(
            "selector In without values",
            replace(
                "matchLabels: {app: agent}",
                "matchExpressions: [{key: app, operator: In}]",
            ),
            Expect::Invalid(&[(Required, "spec.selector.matchExpressions[0].values")]),
        ),
        ds(
            "selector Exists with values",
            replace(
                "matchLabels: {app: agent}",
                "matchExpressions: [{key: app, operator: Exists, values: [agent]}]",
            ),
            Expect::Invalid(&[(Forbidden, "spec.selector.matchExpressions[0].values")]),
        )
        .says("spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        // ---- template and pod spec -----------------------------------------------------
        ds(
            "template restartPolicy OnFailure",
            with_pod("restartPolicy: OnFailure"),
            Expect::Invalid(&[(NotSupported, "spec.template.spec.restartPolicy")]),
        )
        .says(r#"spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always""#),
        ds(
            "activeDeadlineSeconds",
            with_pod("activeDeadlineSeconds: 60"),
            Expect::Invalid(&[(Forbidden, "spec.template.spec.activeDeadlineSeconds")]),
        )
        .says("spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported"),
        ds(
            "restartPolicy on a regular container",
            with_container("restartPolicy: Always"),
            Expect::Invalid(&[(Forbidden, "spec.template.spec.containers[0].restartPolicy")]),
        )
        .says("spec.template.spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"),
        ds(
            "init container restartPolicy OnFailure",
            with_pod("initContainers: [{name: init, image: i, restartPolicy: OnFailure}]"),
            Expect::Invalid(&[(NotSupported, "spec.template.spec.initContainers[0].restartPolicy")]),
        ),
        ds(
            "no containers",
            replace("      containers:\n      - name: agent\n        image: agent:1\n", "      hostNetwork: true\n"),
            Expect::Invalid(&[(Required, "spec.template.spec.containers")]),
        ),
        ds(
            "two containers with one name",
            with_pod("initContainers: [{name: a, image: i}, {name: a, image: i}]"),
            Expect::Invalid(&[(Duplicate, "spec.template.spec.initContainers[1].name")]),
        )
        .says(r#"spec.template.spec.initContainers[1].name: Duplicate value: "a""#),
        ds(
            "containerPort out of range",
            with_container("ports: [{containerPort: 70000}]"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.containers[0].ports[0].containerPort")]),
        )
        .says("spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ds(
            "unknown port protocol",
            with_container("ports: [{containerPort: 80, protocol: HTTP}]"),
            Expect::Invalid(&[(NotSupported, "spec.template.spec.containers[0].ports[0].protocol")]),
        ),
        // ---- update strategy -----------------------------------------------------------
        ds(
            "maxUnavailable negative",
            with_strategy("{maxUnavailable: -1}"),
            Expect::Invalid(&[(Invalid, "spec.updateStrategy.rollingUpdate.maxUnavailable")]),
        )
        .says("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0"),
        ds(
            "maxSurge negative",
            with_strategy("{maxUnavailable: 0, maxSurge: -1}"),
            Expect::Invalid(&[(Invalid, "spec.updateStrategy.rollingUpdate.maxSurge")]),
        ),
        ds(
            // "abc" is malformed, and upstream then reads it as 0 for the zero test too.
            "maxUnavailable abc",
            with_strategy("{maxUnavailable: abc}"),
            Expect::Invalid(&[
                (Invalid, "spec.updateStrategy.rollingUpdate.maxUnavailable"),
                (Required, "spec.updateStrategy.rollingUpdate.maxUnavailable"),
            ]),
        )
        .says("[spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"abc\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%'), spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0]"),
        ds(
            "maxUnavailable with a space before the percent sign",
            with_strategy("{maxUnavailable: \"10 %\"}"),
            Expect::Invalid(&[
                (Invalid, "spec.updateStrategy.rollingUpdate.maxUnavailable"),
                (Required, "spec.updateStrategy.rollingUpdate.maxUnavailable"),
            ]),
        ),
        ds(
            // A number in a string is no percent, but it still counts as non-zero.
            "maxUnavailable as a quoted number",
            with_strategy("{maxUnavailable: \"5\"}"),
            Expect::Invalid(&[(Invalid, "spec.updateStrategy.rollingUpdate.maxUnavailable")]),
        ),
        ds(
            "maxUnavailable over 100%",
            with_strategy("{maxUnavailable: 101%}"),
            Expect::Invalid(&[(Invalid, "spec.updateStrategy.rollingUpdate.maxUnavailable")]),
        )
        .says(r#"spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "101%": must not be greater than 100%"#),
        ds(
            "maxSurge over 100%",
            with_strategy("{maxUnavailable: 0, maxSurge: 150%}"),
            Expect::Invalid(&[(Invalid, "spec.updateStrategy.rollingUpdate.maxSurge")]),
        ),
        ds(
            "both zero",
            with_strategy("{maxUnavailable: 0, maxSurge: 0}"),
            Expect::Invalid(&[(Required, "spec.updateStrategy.rollingUpdate.maxUnavailable")]),
        )
        .says("spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"),
        ds(
            "both zero, one written 0%",
            with_strategy("{maxUnavailable: 0%, maxSurge: 0}"),
            Expect::Invalid(&[(Required, "spec.updateStrategy.rollingUpdate.maxUnavailable")]),
        ),
        ds(
            "maxUnavailable 0 and maxSurge left at its default 0",
            with_strategy("{maxUnavailable: 0}"),
            Expect::Invalid(&[(Required, "spec.updateStrategy.rollingUpdate.maxUnavailable")]),
        ),
        ds(
            "both non-zero",
            with_strategy("{maxUnavailable: 1, maxSurge: 1}"),
            Expect::Invalid(&[(Invalid, "spec.updateStrategy.rollingUpdate.maxSurge")]),
        )
        .says("spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"),
        ds(
            "maxSurge set while maxUnavailable keeps its default 1",
            with_strategy("{maxSurge: 20%}"),
            Expect::Invalid(&[(Invalid, "spec.updateStrategy.rollingUpdate.maxSurge")]),
        )
        .says(r#"spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "20%": may not be set when maxUnavailable is non-zero"#),
        ds(
            "unknown strategy type",
            with_spec("updateStrategy: {type: Recreate}"),
            Expect::Invalid(&[(NotSupported, "spec.updateStrategy.type")]),
        )
        .says(r#"spec.updateStrategy.type: Unsupported value: "Recreate": supported values: "RollingUpdate", "OnDelete""#),
        ds(
            "revisionHistoryLimit negative",
            with_spec("revisionHistoryLimit: -1"),
            Expect::Invalid(&[(Invalid, "spec.revisionHistoryLimit")]),
        )
        .says("spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"),
        ds(
            "minReadySeconds negative",
            with_spec("minReadySeconds: -5"),
            Expect::Invalid(&[(Invalid, "spec.minReadySeconds")]),
        )
        .says("spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"),
        // ---- names, labels, annotations ----------------------------------------------------
        ds(
            "name missing",
            replace("  name: agent\n", ""),
            Expect::Invalid(&[(Required, "metadata.name")]),
        )
        .says("metadata.name: Required value: name or generateName is required"),
        ds(
            "name not a DNS subdomain",
            replace("name: agent\n", "name: Agent_1\n"),
            Expect::Invalid(&[(Invalid, "metadata.name")]),
        )
        .says(r#"metadata.name: Invalid value: "Agent_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#),
        ds(
            "namespace not a DNS label",
            replace("namespace: kube-system", "namespace: kube.system"),
            Expect::Invalid(&[(Invalid, "metadata.namespace")]),
        ),
        ds(
            "label key starting with a dash",
            replace("  namespace: kube-system\n", "  namespace: kube-system\n  labels: {-bad: x}\n"),
            Expect::Invalid(&[(Invalid, "metadata.labels")]),
        )
        .says(r#"metadata.labels: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#),
        ds(
            "label key with two slashes",
            replace("labels: {app: agent}", "labels: {app: agent, a/b/c: x}"),
            Expect::Invalid(&[(Invalid, "spec.template.metadata.labels")]),
        )
        .says(r#"spec.template.metadata.labels: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"#),
        ds(
            "label key with an empty name part",
            replace("labels: {app: agent}", "labels: {app: agent, example.com/: x}"),
            Expect::Invalid(&[
                (Invalid, "spec.template.metadata.labels"),
                (Invalid, "spec.template.metadata.labels"),
            ]),
        ),
        ds(
            "label value with a space",
            replace("labels: {app: agent}", "labels: {app: agent, tier: \"front end\"}"),
            Expect::Invalid(&[(Invalid, "spec.template.metadata.labels")]),
        )
        .says(r#"spec.template.metadata.labels: Invalid value: "front end": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#),
        ds(
            "label value of 64 characters",
            replace("labels: {app: agent}", &format!("labels: {{app: agent, v: {}}}", "x".repeat(64))),
            Expect::Invalid(&[(Invalid, "spec.template.metadata.labels")]),
        ),
        ds(
            "selector label value invalid",
            replace("matchLabels: {app: agent}", "matchLabels: {app: agent!}"),
            Expect::Invalid(&[(Invalid, "spec.selector.matchLabels")]),
        ),
        ds(
            "nodeSelector key with an empty name part",
            with_pod("nodeSelector: {\"kubernetes.io/\": linux}"),
            Expect::Invalid(&[
                (Invalid, "spec.template.spec.nodeSelector"),
                (Invalid, "spec.template.spec.nodeSelector"),
            ]),
        ),
        ds(
            "annotation key with a space",
            replace("  namespace: kube-system\n", "  namespace: kube-system\n  annotations: {\"bad key\": x}\n"),
            Expect::Invalid(&[(Invalid, "metadata.annotations")]),
        ),
        ds(
            "template annotation key with two slashes",
            replace("      labels: {app: agent}\n", "      labels: {app: agent}\n      annotations: {a/b/c: x}\n"),
            Expect::Invalid(&[(Invalid, "spec.template.metadata.annotations")]),
        ),
        ds(
            "deletionTimestamp not a time",
            replace("  namespace: kube-system\n", "  namespace: kube-system\n  deletionTimestamp: yesterday\n"),
            Expect::Invalid(&[(Invalid, "metadata.deletionTimestamp")]),
        ),
        // ---- tolerations ---------------------------------------------------------------
        ds(
            "toleration key with a space",
            with_toleration("{key: bad key, operator: Exists}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.tolerations[0].key")]),
        ),
        ds(
            "toleration Exists with a value",
            with_toleration("{key: gpu, operator: Exists, value: \"true\", effect: NoSchedule}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.tolerations[0].operator")]),
        )
        .says(r#"spec.template.spec.tolerations[0].operator: Invalid value: "true": value must be empty when `operator` is 'Exists'"#),
        ds(
            "toleration with an unknown operator",
            with_toleration("{key: gpu, operator: Maybe}"),
            Expect::Invalid(&[(NotSupported, "spec.template.spec.tolerations[0].operator")]),
        ),
        ds(
            "toleration with an unknown effect",
            with_toleration("{key: gpu, operator: Exists, effect: NoRun}"),
            Expect::Invalid(&[(NotSupported, "spec.template.spec.tolerations[0].effect")]),
        )
        .says(r#"spec.template.spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute""#),
        ds(
            "toleration without key must use Exists",
            with_toleration("{operator: Equal, value: x}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.tolerations[0].operator")]),
        ),
        ds(
            "tolerationSeconds on a NoSchedule toleration",
            with_toleration("{key: gpu, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.tolerations[0].effect")]),
        ),
        ds(
            "toleration value not a label value",
            with_toleration("{key: gpu, value: \"a b\"}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.tolerations[0].value")]),
        ),
        // ---- node affinity ---------------------------------------------------------------
        ds(
            "node selector operator unknown",
            with_affinity("{matchExpressions: [{key: zone, operator: Near, values: [a]}]}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator")]),
        )
        .says(r#"spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator"#),
        ds(
            "node selector In without values",
            with_affinity("{matchExpressions: [{key: zone, operator: In}]}"),
            Expect::Invalid(&[(Required, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")]),
        )
        .says("spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
        ds(
            "node selector NotIn with an empty list",
            with_affinity("{matchExpressions: [{key: zone, operator: NotIn, values: []}]}"),
            Expect::Invalid(&[(Required, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")]),
        ),
        ds(
            "node selector Exists with values",
            with_affinity("{matchExpressions: [{key: zone, operator: Exists, values: [a]}]}"),
            Expect::Invalid(&[(Forbidden, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")]),
        ),
        ds(
            "node selector DoesNotExist with values",
            with_affinity("{matchExpressions: [{key: zone, operator: DoesNotExist, values: [a]}]}"),
            Expect::Invalid(&[(Forbidden, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")]),
        ),
        ds(
            "node selector Gt without values",
            with_affinity("{matchExpressions: [{key: cores, operator: Gt}]}"),
            Expect::Invalid(&[(Required, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")]),
        )
        .says("spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"),
        ds(
            "node selector Lt with two values",
            with_affinity("{matchExpressions: [{key: cores, operator: Lt, values: [\"2\", \"4\"]}]}"),
            Expect::Invalid(&[(Required, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")]),
        ),
        ds(
            "node selector Gt with a word",
            with_affinity("{matchExpressions: [{key: cores, operator: Gt, values: [ten]}]}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]")]),
        ),
        ds(
            "node selector key invalid",
            with_affinity("{matchExpressions: [{key: \"zone!\", operator: Exists}]}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key")]),
        ),
        ds(
            "matchFields on metadata.namespace",
            with_affinity("{matchFields: [{key: metadata.namespace, operator: In, values: [ns1]}]}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key")]),
        )
        .says(r#"spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: Invalid value: "metadata.namespace": not a valid field selector key"#),
        ds(
            "matchFields with Exists",
            with_affinity("{matchFields: [{key: metadata.name, operator: Exists}]}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].operator")]),
        ),
        ds(
            "matchFields In with two node names",
            with_affinity("{matchFields: [{key: metadata.name, operator: In, values: [a, b]}]}"),
            Expect::Invalid(&[(Required, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values")]),
        ),
        ds(
            "required affinity without terms",
            with_pod("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}"),
            Expect::Invalid(&[(Required, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")]),
        ),
        ds(
            "preferred term weight 0 and a bad operator",
            with_pod("affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, preference: {matchExpressions: [{key: a, operator: Near}]}}]}}"),
            Expect::Invalid(&[
                (Invalid, "spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"),
                (Invalid, "spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator"),
            ]),
        ),
        // ---- quantities ----------------------------------------------------------------
        ds(
            "quantity with two decimal points",
            with_request("1.5.5Gi"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.containers[0].resources.requests[memory]")]),
        )
        .says(r#"spec.template.spec.containers[0].resources.requests[memory]: Invalid value: "1.5.5Gi": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"#),
        ds(
            "quantity that is only a suffix",
            with_request("Ki"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.containers[0].resources.requests[memory]")]),
        ),
        ds(
            "quantity with two signs",
            with_request("--1"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.containers[0].resources.requests[memory]")]),
        ),
        ds(
            "quantity with a space",
            with_request("1 Gi"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.containers[0].resources.requests[memory]")]),
        ),
        ds(
            "quantity negative",
            with_request("-1Gi"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.containers[0].resources.requests[memory]")]),
        )
        .says(r#"spec.template.spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0"#),
        ds(
            "request above the limit",
            with_container("resources: {requests: {cpu: 500m}, limits: {cpu: 200m}}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.containers[0].resources.requests")]),
        ),
        ds(
            "overhead quantity invalid",
            with_pod("overhead: {cpu: lots}"),
            Expect::Invalid(&[(Invalid, "spec.template.spec.overhead[cpu]")]),
        ),
        // ---- API versions and kinds ----------------------------------------------------
        ds(
            "extensions/v1beta1",
            replace("apps/v1", "extensions/v1beta1"),
            Expect::Removed,
        )
        .says(r#"apiVersion: Unsupported value: "extensions/v1beta1": DaemonSet in extensions/v1beta1 was removed in Kubernetes 1.16; use apps/v1"#),
        ds(
            "apps/v1beta2",
            replace("apps/v1", "apps/v1beta2"),
            Expect::Removed,
        )
        .says(r#"apiVersion: Unsupported value: "apps/v1beta2": DaemonSet in apps/v1beta2 was removed in Kubernetes 1.16; use apps/v1"#),
        ds(
            "apps/v1beta2 inside a List",
            format!(
                "apiVersion: v1\nkind: List\nitems:\n- {}\n",
                serde_json::to_string(&serde_yaml::from_str::<serde_json::Value>(&replace("apps/v1", "apps/v1beta2")).unwrap()).unwrap()
            ),
            Expect::Removed,
        ),
        ds(
            "unknown apiVersion",
            replace("apps/v1", "apps/v2"),
            Expect::Unsupported,
        ),
        ds(
            "no DaemonSet in the stream",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n".to_string(),
            Expect::NotFound,
        )
        .says("no DaemonSet found in the input (it holds: ConfigMap, Service)"),
        ds(
            "a Deployment is no DaemonSet",
            BASE.replace("kind: DaemonSet", "kind: Deployment"),
            Expect::NotFound,
        )
        .says("no DaemonSet found in the input (it holds: Deployment)"),
        ds(
            "empty text holds no DaemonSet",
            String::new(),
            Expect::NotFound,
        )
        .says("no DaemonSet found in the input (it holds no Kubernetes objects)"),
        // ---- malformed text and wrong types ----------------------------------------------
        ds(
            "unclosed flow sequence",
            "apiVersion: apps/v1\nkind: DaemonSet\nspec: [unclosed\n".to_string(),
            Expect::Parse(""),
        ),
        ds(
            "tab indentation",
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n\tname: agent\n".to_string(),
            Expect::Parse(""),
        ),
        ds(
            "containers is a number",
            replace("      containers:\n      - name: agent\n        image: agent:1\n", "      containers: 5\n"),
            Expect::Parse("spec.template.spec.containers"),
        ),
        ds(
            "selector is a string",
            replace("  selector:\n    matchLabels: {app: agent}\n", "  selector: app=agent\n"),
            Expect::Parse("spec.selector"),
        ),
        ds(
            "hostNetwork is not a boolean",
            with_pod("hostNetwork: maybe"),
            Expect::Parse("spec.template.spec.hostNetwork"),
        ),
        ds(
            "revisionHistoryLimit is a word",
            with_spec("revisionHistoryLimit: ten"),
            Expect::Parse("spec.revisionHistoryLimit"),
        ),
        ds(
            "maxUnavailable is a boolean",
            with_strategy("{maxUnavailable: true}"),
            Expect::Parse("spec.updateStrategy.rollingUpdate.maxUnavailable"),
        ),
        ds(
            "a malformed document after the DaemonSet",
            format!("{BASE}---\nkind: ConfigMap\n- stray item\n"),
            Expect::Parse(""),
        ),
        // ---- snapshots -----------------------------------------------------------------
        cluster(
            "two nodes with one name",
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node, metadata: {name: node-1}}\n- {apiVersion: v1, kind: Node, metadata: {name: node-2}}\n- {apiVersion: v1, kind: Node, metadata: {name: node-1}}\n".to_string(),
            Expect::Duplicate,
        )
        .says(r#"metadata.name: Duplicate value: "node-1": two Node objects with this name"#),
        cluster(
            "two pods with one namespace and name",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\n".to_string(),
            Expect::Duplicate,
        )
        .says(r#"metadata.name: Duplicate value: "kube-system/p": two Pod objects with this name"#),
        cluster(
            "two pods with one name in the default namespace, one written, one implied",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n".to_string(),
            Expect::Duplicate,
        )
        .says(r#"metadata.name: Duplicate value: "default/p": two Pod objects with this name"#),
        cluster(
            "pod without a name",
            "apiVersion: v1\nkind: Pod\nmetadata: {namespace: default}\n".to_string(),
            Expect::Invalid(&[(Required, "metadata.name")]),
        ),
        cluster(
            "node label key invalid",
            "apiVersion: v1\nkind: Node\nmetadata: {name: n, labels: {\"a b\": x}}\n".to_string(),
            Expect::Invalid(&[(Invalid, "metadata.labels")]),
        ),
        cluster(
            "taint key invalid",
            node_with("{taints: [{key: \"bad key\", effect: NoSchedule}]}"),
            Expect::Invalid(&[(Invalid, "spec.taints[0].key")]),
        ),
        cluster(
            "taint effect unknown",
            node_with("{taints: [{key: gpu, effect: NoRun}]}"),
            Expect::Invalid(&[(NotSupported, "spec.taints[0].effect")]),
        )
        .says(r#"spec.taints[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute""#),
        cluster(
            "taint without effect",
            node_with("{taints: [{key: gpu}]}"),
            Expect::Invalid(&[(Required, "spec.taints[0].effect")]),
        ),
        cluster(
            "allocatable quantity invalid",
            "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {allocatable: {cpu: 1.5.5}}\n".to_string(),
            Expect::Invalid(&[(Invalid, "status.allocatable[cpu]")]),
        ),
        cluster(
            "capacity quantity invalid (checked though not kept)",
            "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {capacity: {memory: 2Gb}}\n".to_string(),
            Expect::Invalid(&[(Invalid, "status.capacity[memory]")]),
        ),
        cluster(
            "pod creationTimestamp not a time",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, creationTimestamp: last tuesday}\n".to_string(),
            Expect::Invalid(&[(Invalid, "metadata.creationTimestamp")]),
        ),
        cluster(
            "node spec is a number",
            node_with("5"),
            Expect::Parse("spec"),
        ),
        cluster(
            "List items is a mapping",
            "apiVersion: v1\nkind: List\nitems: {a: b}\n".to_string(),
            Expect::Parse("items"),
        ),
        cluster(
            "malformed snapshot",
            "apiVersion: v1\nkind: Node\nmetadata: {name: [\n".to_string(),
            Expect::Parse(""),
        ),
    ]
}

#[test]
fn every_bad_input_gets_its_error() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            c.check()
                .map(|why| format!("{} ({:?}): {why}", c.name, c.reader))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> = cases().iter().map(|c| c.name).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before);
}

#[test]
fn every_problem_of_one_manifest_is_reported() {
    let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: Bad_Name
  labels: {-x: y}
spec:
  selector:
    matchLabels: {app: agent}
  minReadySeconds: -1
  revisionHistoryLimit: -2
  updateStrategy:
    rollingUpdate: {maxUnavailable: 150%, maxSurge: 1}
  template:
    metadata:
      labels: {app: other}
    spec:
      restartPolicy: Never
      tolerations:
      - {key: gpu, operator: Exists, value: x}
      - {operator: Exists, effect: Sometimes}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: zone, operator: In}]
      containers:
      - name: agent
        image: agent:1
        restartPolicy: Always
        resources: {requests: {memory: 1 Gi}}
";
    let err = DaemonSet::from_yaml(text).unwrap_err();
    let Error::Invalid { kind, name, errors } = &err else {
        panic!("expected Invalid, got {err:?}");
    };
    assert_eq!(kind, "DaemonSet");
    assert_eq!(name, "Bad_Name");
    let got: Vec<(FieldErrorKind, &str)> =
        errors.iter().map(|e| (e.kind, e.field.as_str())).collect();
    assert_eq!(
        got,
        [
            (Invalid, "metadata.name"),
            (Invalid, "metadata.labels"),
            (Invalid, "spec.template.metadata.labels"),
            (Invalid, MEM),
            (Forbidden, "spec.template.spec.containers[0].restartPolicy"),
            (Required, &format!("{AFF}.matchExpressions[0].values")),
            (Invalid, &format!("{TOL}.operator")),
            (NotSupported, "spec.template.spec.tolerations[1].effect"),
            (NotSupported, "spec.template.spec.restartPolicy"),
            (Invalid, "spec.minReadySeconds"),
            (Invalid, &format!("{RU}.maxUnavailable")),
            (Invalid, &format!("{RU}.maxSurge")),
            (Invalid, "spec.revisionHistoryLimit"),
        ]
    );
    // Display lists them all, bracketed and comma separated, in the same order.
    let display = err.to_string();
    assert!(
        display.starts_with("[metadata.name: Invalid value: \"Bad_Name\": "),
        "{display}"
    );
    assert!(
        display.ends_with(
            "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0]"
        ),
        "{display}"
    );
    assert_eq!(
        display.matches(", spec.").count() + display.matches(", metadata.").count(),
        12
    );
    assert!(
        display.contains(r#"maxUnavailable: Invalid value: "150%": must not be greater than 100%"#)
    );
    assert!(!display.contains(PERCENT_MSG));
}

#[test]
fn pods_with_one_name_in_two_namespaces_are_fine() {
    let snapshot = Snapshot::from_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: b}\n",
    )
    .unwrap();
    assert_eq!(snapshot.pods().len(), 2);
}

#[test]
fn parse_errors_carry_a_location() {
    let err = DaemonSet::from_yaml("apiVersion: apps/v1\nkind: DaemonSet\nspec: [unclosed\n")
        .unwrap_err();
    let Error::Parse { location, .. } = &err else {
        panic!("{err:?}")
    };
    let (line, _) = location.expect("a location");
    assert!((3..=4).contains(&line), "{err}");
    assert!(err.to_string().contains(" at line "), "{err}");

    // A wrong type names its field and where it is.
    let err = DaemonSet::from_yaml(&replace(
        "      containers:\n      - name: agent\n        image: agent:1\n",
        "      containers: 5\n",
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "spec.template.spec.containers: invalid type: integer `5`, expected a sequence at line 13 column 19"
    );

    // An error in a later document of a stream says which document.
    let err =
        DaemonSet::from_yaml(&format!("{BASE}---\nkind: ConfigMap\n- stray item\n")).unwrap_err();
    assert!(err.to_string().contains("(document 2)"), "{err}");
    assert!(
        matches!(
            err,
            Error::Parse {
                location: Some((18, 1)),
                ..
            }
        ),
        "{err:?}"
    );
}
