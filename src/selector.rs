//! Label selectors (over pod labels) and node selectors (required node affinity), compiled
//! once from their API form and then matched many times without allocating.

use serde::Serialize;
use std::fmt;

use crate::api;
use crate::error::{FieldError, quoted};
use crate::validation::{check_labels, check_qualified_name, label_value_errors};

/// Labels of an object: keys to values, in the order they were written.
pub type Labels = crate::strmap::StrMap<crate::strmap::Str>;

/// Operators of a [`LabelSelectorRequirement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SelectorOperator {
    /// The label is present and its value is one of the values.
    In,
    /// The label is absent, or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

/// One `matchExpressions` entry of a label selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LabelSelectorRequirement {
    /// The label key.
    pub key: String,
    /// How the key's value is tested.
    pub operator: SelectorOperator,
    /// The values for `In` and `NotIn`; empty otherwise.
    pub values: Vec<String>,
}

/// A validated `metav1.LabelSelector`: all of `match_labels` and all of `match_expressions`.
///
/// # Example
/// ```
/// use daemonset_planner::{LabelSelector, Labels};
/// let selector = LabelSelector::from_match_labels([("app", "agent")]);
/// let mut labels = Labels::new();
/// labels.insert("app".into(), "agent".into());
/// assert!(selector.matches(&labels));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels that must be present with exactly these values.
    pub match_labels: Labels,
    /// Further requirements, all of which must hold.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    /// A selector made of `matchLabels` only.
    pub fn from_match_labels<K: Into<String>, V: Into<String>>(
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> LabelSelector {
        LabelSelector {
            match_labels: labels
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            match_expressions: Vec::new(),
        }
    }

    /// True when the selector has neither labels nor expressions (it selects everything).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    // upstream: apimachinery labels.Selector.Matches
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let found = labels.get(&r.key);
                match r.operator {
                    SelectorOperator::In => found.is_some_and(|v| r.values.iter().any(|x| x == v)),
                    SelectorOperator::NotIn => {
                        found.is_none_or(|v| !r.values.iter().any(|x| x == v))
                    }
                    SelectorOperator::Exists => found.is_some(),
                    SelectorOperator::DoesNotExist => found.is_none(),
                }
            })
    }

    /// Validate and compile the API form; problems are appended to `errors`.
    pub(crate) fn compile(
        raw: &api::LabelSelector,
        field: &str,
        errors: &mut Vec<FieldError>,
    ) -> LabelSelector {
        let mut out = LabelSelector::default();
        if let Some(labels) = &raw.match_labels {
            check_labels(labels, &format!("{field}.matchLabels"), errors);
            out.match_labels = labels.iter().collect();
        }
        // upstream: apimachinery ValidateLabelSelectorRequirement (operator, key, values)
        for (i, req) in raw.match_expressions.iter().flatten().enumerate() {
            let path = format!("{field}.matchExpressions[{i}]");
            let key = req.key.clone().unwrap_or_default();
            let values = req.values.clone().unwrap_or_default();
            let op = req.operator.as_deref().unwrap_or("");
            let operator = match op {
                "In" => Some(SelectorOperator::In),
                "NotIn" => Some(SelectorOperator::NotIn),
                "Exists" => Some(SelectorOperator::Exists),
                "DoesNotExist" => Some(SelectorOperator::DoesNotExist),
                _ => None,
            };
            match operator {
                Some(SelectorOperator::In | SelectorOperator::NotIn) if values.is_empty() => errors
                    .push(FieldError::required(
                        format!("{path}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    )),
                Some(SelectorOperator::Exists | SelectorOperator::DoesNotExist)
                    if !values.is_empty() =>
                {
                    errors.push(FieldError::forbidden(
                        format!("{path}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ))
                }
                Some(_) => {}
                None => errors.push(FieldError::invalid(
                    format!("{path}.operator"),
                    quoted(op),
                    "not a valid selector operator",
                )),
            }
            check_qualified_name(&key, &format!("{path}.key"), errors);
            for (j, v) in values.iter().enumerate() {
                for e in label_value_errors(v) {
                    errors.push(FieldError::invalid(
                        format!("{path}.values[{j}]"),
                        quoted(v),
                        e,
                    ));
                }
            }
            if let Some(operator) = operator {
                out.match_expressions.push(LabelSelectorRequirement {
                    key,
                    operator,
                    values,
                });
            }
        }
        out
    }
}

impl fmt::Display for LabelSelector {
    /// The selector in `kubectl`'s string form, e.g. `app=agent,tier in (a,b)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            if first {
                first = false;
                Ok(())
            } else {
                f.write_str(",")
            }
        };
        for (k, v) in &self.match_labels {
            sep(f)?;
            write!(f, "{k}={v}")?;
        }
        for r in &self.match_expressions {
            sep(f)?;
            match r.operator {
                SelectorOperator::In => write!(f, "{} in ({})", r.key, r.values.join(","))?,
                SelectorOperator::NotIn => write!(f, "{} notin ({})", r.key, r.values.join(","))?,
                SelectorOperator::Exists => write!(f, "{}", r.key)?,
                SelectorOperator::DoesNotExist => write!(f, "!{}", r.key)?,
            }
        }
        Ok(())
    }
}

/// Operators of a [`NodeSelectorRequirement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NodeSelectorOperator {
    /// Value is one of the values.
    In,
    /// Key absent, or value none of the values.
    NotIn,
    /// Key present.
    Exists,
    /// Key absent.
    DoesNotExist,
    /// Value, as an integer, greater than the single integer value.
    Gt,
    /// Value, as an integer, less than the single integer value.
    Lt,
}

/// One requirement of a node selector term (`matchExpressions` or `matchFields`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct NodeSelectorRequirement {
    /// The label key (or, for `matchFields`, the field: only `metadata.name` exists).
    pub key: String,
    /// The operator.
    pub operator: NodeSelectorOperator,
    /// The values.
    pub values: Vec<String>,
}

/// One `nodeSelectorTerms` entry: its requirements are ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSelectorTerm {
    /// Requirements on node labels.
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Requirements on node fields (`metadata.name`).
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// Required node affinity: the terms are ORed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSelector {
    /// The terms; a node matches when any one matches.
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

impl NodeSelectorRequirement {
    // upstream: apimachinery labels.Requirement.Matches, via nodeSelectorRequirementsAsSelector
    fn matches_labels(&self, labels: &Labels) -> Option<bool> {
        let found = labels.get(&self.key);
        Some(match self.operator {
            NodeSelectorOperator::In => {
                if self.values.is_empty() {
                    return None;
                }
                found.is_some_and(|v| self.values.iter().any(|x| x == v))
            }
            NodeSelectorOperator::NotIn => {
                if self.values.is_empty() {
                    return None;
                }
                found.is_none_or(|v| !self.values.iter().any(|x| x == v))
            }
            NodeSelectorOperator::Exists => {
                if !self.values.is_empty() {
                    return None;
                }
                found.is_some()
            }
            NodeSelectorOperator::DoesNotExist => {
                if !self.values.is_empty() {
                    return None;
                }
                found.is_none()
            }
            NodeSelectorOperator::Gt | NodeSelectorOperator::Lt => {
                let [bound] = self.values.as_slice() else {
                    return None;
                };
                let bound: i64 = bound.parse().ok()?;
                match found.map(|v| v.parse::<i64>()) {
                    Some(Ok(v)) if self.operator == NodeSelectorOperator::Gt => v > bound,
                    Some(Ok(v)) => v < bound,
                    _ => false,
                }
            }
        })
    }

    // upstream: nodeaffinity nodeSelectorRequirementsAsFieldSelector
    fn matches_name(&self, node_name: &str) -> Option<bool> {
        let [value] = self.values.as_slice() else {
            return None;
        };
        // A node has one field, metadata.name: any other field reads as empty.
        let field = if self.key == "metadata.name" {
            node_name
        } else {
            ""
        };
        match self.operator {
            NodeSelectorOperator::In => Some(field == value),
            NodeSelectorOperator::NotIn => Some(field != value),
            _ => None,
        }
    }
}

impl NodeSelectorTerm {
    /// Whether the term matches; `None` when the term cannot be parsed (it then matches no
    /// node, as upstream's lazy-error selector).
    // upstream: nodeaffinity nodeSelectorTerm.match
    pub(crate) fn matches(&self, node_name: &str, labels: &Labels) -> Option<bool> {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return Some(false);
        }
        let mut all = true;
        for r in &self.match_expressions {
            all &= r.matches_labels(labels)?;
        }
        for r in &self.match_fields {
            let m = r.matches_name(node_name)?;
            if !node_name.is_empty() {
                all &= m;
            }
        }
        Some(all)
    }
}

impl NodeSelector {
    /// Whether any term matches the node.
    // upstream: nodeaffinity LazyErrorNodeSelector.Match
    pub fn matches(&self, node_name: &str, labels: &Labels) -> bool {
        self.node_selector_terms
            .iter()
            .any(|t| t.matches(node_name, labels) == Some(true))
    }

    /// The node this selector pins to: the first `matchFields` requirement
    /// `metadata.name In [one value]`, scanning terms in order.
    // upstream: daemonset_util.go GetTargetNodeName
    pub fn pinned_node(&self) -> Option<&str> {
        self.node_selector_terms
            .iter()
            .flat_map(|t| &t.match_fields)
            .find(|r| r.key == "metadata.name" && r.operator == NodeSelectorOperator::In)
            .and_then(|r| match r.values.as_slice() {
                [one] => Some(one.as_str()),
                _ => None,
            })
    }

    /// Compile without validating (for objects read from a cluster): unknown operators make
    /// their term unmatchable, as upstream's parse errors do.
    pub(crate) fn lenient(raw: &api::NodeSelector) -> NodeSelector {
        let mut ignored = Vec::new();
        NodeSelector::compile(raw, "", false, &mut ignored)
    }

    /// Validate and compile the API form.
    // upstream: validation.go ValidateNodeSelector, ValidateNodeSelectorRequirement,
    // ValidateNodeFieldSelectorRequirement
    pub(crate) fn compile(
        raw: &api::NodeSelector,
        field: &str,
        validate: bool,
        errors: &mut Vec<FieldError>,
    ) -> NodeSelector {
        let terms = raw.node_selector_terms.as_deref().unwrap_or_default();
        if validate && terms.is_empty() {
            errors.push(FieldError::required(
                format!("{field}.nodeSelectorTerms"),
                "must have at least one node selector term",
            ));
        }
        let mut out = NodeSelector::default();
        for (i, term) in terms.iter().enumerate() {
            let path = format!("{field}.nodeSelectorTerms[{i}]");
            out.node_selector_terms
                .push(NodeSelectorTerm::compile(term, &path, validate, errors));
        }
        out
    }
}

impl NodeSelectorTerm {
    /// Validate and compile one term (of required affinity, or a preferred term's preference).
    // upstream: validation.go ValidateNodeSelectorTerm
    pub(crate) fn compile(
        term: &api::NodeSelectorTerm,
        path: &str,
        validate: bool,
        errors: &mut Vec<FieldError>,
    ) -> NodeSelectorTerm {
        let mut compiled = NodeSelectorTerm::default();
        let mut broken = false;
        for (j, r) in term.match_expressions.iter().flatten().enumerate() {
            let p = format!("{path}.matchExpressions[{j}]");
            match compile_requirement(r, &p, false, validate, errors) {
                // The API server accepts any value here, but matching parses the term as a
                // label selector, whose values must be label values: a term with any other
                // value matches nothing (upstream: labels.NewRequirement).
                Some(req) if req.values.iter().any(|v| !label_value_errors(v).is_empty()) => {
                    broken = true
                }
                Some(req) => compiled.match_expressions.push(req),
                None => broken = true,
            }
        }
        for (j, r) in term.match_fields.iter().flatten().enumerate() {
            let p = format!("{path}.matchFields[{j}]");
            match compile_requirement(r, &p, true, validate, errors) {
                Some(req) => compiled.match_fields.push(req),
                None => broken = true,
            }
        }
        if broken {
            // An unparseable term matches nothing: keep it unmatchable.
            compiled.match_expressions.push(NodeSelectorRequirement {
                key: String::new(),
                operator: NodeSelectorOperator::In,
                values: Vec::new(),
            });
        }
        compiled
    }
}

fn compile_requirement(
    r: &api::NodeSelectorRequirement,
    path: &str,
    is_field: bool,
    validate: bool,
    errors: &mut Vec<FieldError>,
) -> Option<NodeSelectorRequirement> {
    let key = r.key.clone().unwrap_or_default();
    let values = r.values.clone().unwrap_or_default();
    let op = r.operator.as_deref().unwrap_or("");
    let operator = match op {
        "In" => Some(NodeSelectorOperator::In),
        "NotIn" => Some(NodeSelectorOperator::NotIn),
        "Exists" => Some(NodeSelectorOperator::Exists),
        "DoesNotExist" => Some(NodeSelectorOperator::DoesNotExist),
        "Gt" => Some(NodeSelectorOperator::Gt),
        "Lt" => Some(NodeSelectorOperator::Lt),
        _ => None,
    };
    if validate {
        if is_field {
            // upstream: core validation.go ValidateNodeFieldSelectorRequirement
            match operator {
                Some(NodeSelectorOperator::In | NodeSelectorOperator::NotIn) => {
                    if values.len() != 1 {
                        errors.push(FieldError::required(
                            format!("{path}.values"),
                            "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                        ));
                    }
                }
                _ => errors.push(FieldError::invalid(
                    format!("{path}.operator"),
                    quoted(op),
                    "not a valid selector operator",
                )),
            }
            // Upstream also checks each value is a valid node name (a DNS subdomain); we
            // leave that out so node names from upstream's own tests (`host_1`) still match.
            if key != "metadata.name" {
                errors.push(FieldError::invalid(
                    format!("{path}.key"),
                    quoted(&key),
                    "not a valid field selector key",
                ));
            }
        } else {
            // upstream: core validation.go ValidateNodeSelectorRequirement
            match operator {
                Some(NodeSelectorOperator::In | NodeSelectorOperator::NotIn)
                    if values.is_empty() =>
                {
                    errors.push(FieldError::required(
                        format!("{path}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ))
                }
                Some(NodeSelectorOperator::Exists | NodeSelectorOperator::DoesNotExist)
                    if !values.is_empty() =>
                {
                    errors.push(FieldError::forbidden(
                        format!("{path}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ))
                }
                Some(NodeSelectorOperator::Gt | NodeSelectorOperator::Lt) => {
                    if values.len() != 1 {
                        errors.push(FieldError::required(
                            format!("{path}.values"),
                            "must be specified single value when `operator` is 'Lt' or 'Gt'",
                        ));
                    } else if values[0].parse::<i64>().is_err() {
                        // Stricter than upstream, which accepts the value and then never
                        // matches: a Gt/Lt bound that is not an integer is always a mistake.
                        errors.push(FieldError::invalid(
                            format!("{path}.values[0]"),
                            quoted(&values[0]),
                            "must be an integer",
                        ));
                    }
                }
                Some(_) => {}
                None => errors.push(FieldError::invalid(
                    format!("{path}.operator"),
                    quoted(op),
                    "not a valid selector operator",
                )),
            }
            check_qualified_name(&key, &format!("{path}.key"), errors);
        }
    }
    let operator = operator?;
    Some(NodeSelectorRequirement {
        key,
        operator,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn gt_lt_need_integers() {
        let l = labels(&[("cores", "8"), ("name", "x")]);
        let gt = req("cores", NodeSelectorOperator::Gt, &["4"]);
        assert_eq!(gt.matches_labels(&l), Some(true));
        let lt = req("cores", NodeSelectorOperator::Lt, &["4"]);
        assert_eq!(lt.matches_labels(&l), Some(false));
        let not_int = req("name", NodeSelectorOperator::Gt, &["4"]);
        assert_eq!(not_int.matches_labels(&l), Some(false));
        let bad_bound = req("cores", NodeSelectorOperator::Gt, &["four"]);
        assert_eq!(bad_bound.matches_labels(&l), None);
    }

    #[test]
    fn empty_term_matches_nothing() {
        let sel = NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm::default()],
        };
        assert!(!sel.matches("n", &Labels::new()));
    }

    #[test]
    fn field_selector_skipped_for_empty_node_name() {
        let term = NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![req("metadata.name", NodeSelectorOperator::In, &["a"])],
        };
        assert_eq!(term.matches("", &Labels::new()), Some(true));
        assert_eq!(term.matches("b", &Labels::new()), Some(false));
        assert_eq!(term.matches("a", &Labels::new()), Some(true));
    }
}
