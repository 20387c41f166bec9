//! Taints, tolerations, and the tolerations every daemon pod gets.

use serde::Serialize;
use std::fmt;

use crate::api;
use crate::error::{FieldError, quoted};
use crate::validation::{check_qualified_name, label_value_errors};

/// The effect of a taint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TaintEffect {
    /// New pods that do not tolerate the taint are not scheduled.
    NoSchedule,
    /// The scheduler tries to avoid the node; the DaemonSet controller ignores it.
    PreferNoSchedule,
    /// Running pods that do not tolerate the taint are evicted.
    NoExecute,
}

impl TaintEffect {
    /// The API name (`NoSchedule`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }

    fn parse(s: &str) -> Option<TaintEffect> {
        match s {
            "NoSchedule" => Some(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Some(TaintEffect::PreferNoSchedule),
            "NoExecute" => Some(TaintEffect::NoExecute),
            _ => None,
        }
    }
}

impl fmt::Display for TaintEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Taint {
    /// The taint key.
    pub key: String,
    /// The taint value (often empty).
    pub value: String,
    /// The effect.
    pub effect: TaintEffect,
}

impl Taint {
    /// A taint with the given key, value and effect.
    pub fn new(key: impl Into<String>, value: impl Into<String>, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect,
        }
    }

    pub(crate) fn compile(
        raw: &api::Taint,
        path: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<Taint> {
        let key = raw.key.clone().unwrap_or_default();
        check_qualified_name(&key, &format!("{path}.key"), errors);
        let value = raw.value.clone().unwrap_or_default();
        for e in label_value_errors(&value) {
            errors.push(FieldError::invalid(
                format!("{path}.value"),
                quoted(&value),
                e,
            ));
        }
        let effect = match raw.effect.as_deref() {
            None | Some("") => {
                errors.push(FieldError::required(format!("{path}.effect"), ""));
                None
            }
            Some(e) => match TaintEffect::parse(e) {
                Some(effect) => Some(effect),
                None => {
                    errors.push(FieldError::not_supported(
                        format!("{path}.effect"),
                        quoted(e),
                        EFFECTS,
                    ));
                    None
                }
            },
        };
        Some(Taint {
            key,
            value,
            effect: effect?,
        })
    }
}

impl fmt::Display for Taint {
    /// The scheduler's event form: `{key: value}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}: {}}}", self.key, self.value)
    }
}

/// Operators of a [`Toleration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TolerationOperator {
    /// The taint value must equal the toleration value (the default).
    Equal,
    /// Any value.
    Exists,
    /// The taint value, as an integer, is less than the toleration's (alpha upstream).
    Lt,
    /// The taint value, as an integer, is greater than the toleration's (alpha upstream).
    Gt,
}

impl TolerationOperator {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            TolerationOperator::Equal => "Equal",
            TolerationOperator::Exists => "Exists",
            TolerationOperator::Lt => "Lt",
            TolerationOperator::Gt => "Gt",
        }
    }
}

/// An int64 written in canonical decimal form: `0`, or an optional `-` and digits without a
/// leading zero. `+1`, `007` and `-0` are not.
// upstream: apimachinery api/validate/content IsDecimalInteger, then strconv.ParseInt
fn canonical_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = match digits.as_bytes() {
        [] => false,
        [b'0'] => digits.len() == s.len(),
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
    };
    if canonical { s.parse().ok() } else { None }
}

/// A pod toleration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    /// The taint key matched; empty matches every key (with `Exists`).
    pub key: String,
    /// The operator; `Equal` when the manifest leaves it empty.
    pub operator: TolerationOperator,
    /// The value for `Equal` (and `Lt`/`Gt`).
    pub value: String,
    /// The effect matched; `None` matches every effect.
    pub effect: Option<TaintEffect>,
    /// How long a NoExecute taint is tolerated; the DaemonSet controller ignores it.
    pub toleration_seconds: Option<i64>,
    /// Whether the manifest wrote the operator explicitly (kept for rendering).
    #[serde(skip)]
    pub(crate) operator_written: bool,
}

impl Toleration {
    /// An `Exists` toleration for `key` with `effect`.
    pub fn exists(key: impl Into<String>, effect: Option<TaintEffect>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect,
            toleration_seconds: None,
            operator_written: true,
        }
    }

    /// Whether this toleration tolerates `taint`.
    ///
    /// `comparison_operators` enables the alpha `Lt`/`Gt` operators
    /// (`TaintTolerationComparisonOperators`); with it off they never match.
    // upstream: core/v1 toleration.go Toleration.ToleratesTaint
    pub fn tolerates(&self, taint: &Taint, comparison_operators: bool) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Equal => self.value == taint.value,
            TolerationOperator::Exists => true,
            TolerationOperator::Lt | TolerationOperator::Gt => {
                if !comparison_operators {
                    return false;
                }
                match (canonical_int(&taint.value), canonical_int(&self.value)) {
                    (Some(t), Some(v)) if self.operator == TolerationOperator::Lt => t < v,
                    (Some(t), Some(v)) => t > v,
                    _ => false,
                }
            }
        }
    }

    pub(crate) fn compile(
        raw: &api::Toleration,
        path: &str,
        validate: bool,
        errors: &mut Vec<FieldError>,
    ) -> Option<Toleration> {
        let key = raw.key.clone().unwrap_or_default();
        let value = raw.value.clone().unwrap_or_default();
        let op = raw.operator.as_deref().unwrap_or("");
        if validate && !key.is_empty() {
            check_qualified_name(&key, &format!("{path}.key"), errors);
        }
        let operator = match op {
            "" | "Equal" => TolerationOperator::Equal,
            "Exists" => TolerationOperator::Exists,
            "Lt" => TolerationOperator::Lt,
            "Gt" => TolerationOperator::Gt,
            other => {
                if validate {
                    errors.push(FieldError::not_supported(
                        format!("{path}.operator"),
                        quoted(other),
                        &["Equal", "Exists", "Lt", "Gt"],
                    ));
                }
                return None;
            }
        };
        if validate {
            // upstream: validation.go ValidateTolerations
            if key.is_empty() && operator != TolerationOperator::Exists {
                errors.push(FieldError::invalid(
                    format!("{path}.operator"),
                    quoted(op),
                    "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                ));
            }
            match operator {
                TolerationOperator::Exists if !value.is_empty() => {
                    errors.push(FieldError::invalid(
                        format!("{path}.operator"),
                        quoted(&value),
                        "value must be empty when `operator` is 'Exists'",
                    ))
                }
                TolerationOperator::Equal => {
                    for e in label_value_errors(&value) {
                        errors.push(FieldError::invalid(
                            format!("{path}.value"),
                            quoted(&value),
                            e,
                        ));
                    }
                }
                TolerationOperator::Lt | TolerationOperator::Gt
                    if value.parse::<i64>().is_err() =>
                {
                    errors.push(FieldError::invalid(
                        format!("{path}.value"),
                        quoted(&value),
                        "value must be an integer when `operator` is 'Lt' or 'Gt'",
                    ))
                }
                _ => {}
            }
        }
        let effect = match raw.effect.as_deref() {
            None | Some("") => None,
            Some(e) => match TaintEffect::parse(e) {
                Some(effect) => Some(effect),
                None => {
                    if validate {
                        errors.push(FieldError::not_supported(
                            format!("{path}.effect"),
                            quoted(e),
                            EFFECTS,
                        ));
                    }
                    return None;
                }
            },
        };
        if validate && raw.toleration_seconds.is_some() && effect != Some(TaintEffect::NoExecute) {
            errors.push(FieldError::invalid(
                format!("{path}.effect"),
                quoted(effect.map_or("", TaintEffect::as_str)),
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        Some(Toleration {
            key,
            operator,
            value,
            effect,
            toleration_seconds: raw.toleration_seconds,
            operator_written: !op.is_empty(),
        })
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if !self.key.is_empty() {
            map.insert("key".into(), self.key.clone().into());
        }
        if self.operator_written || self.operator != TolerationOperator::Equal {
            map.insert("operator".into(), self.operator.as_str().into());
        }
        if !self.value.is_empty() {
            map.insert("value".into(), self.value.clone().into());
        }
        if let Some(effect) = self.effect {
            map.insert("effect".into(), effect.as_str().into());
        }
        if let Some(seconds) = self.toleration_seconds {
            map.insert("tolerationSeconds".into(), seconds.into());
        }
        serde_json::Value::Object(map)
    }

    /// Equal as the API server's semantic deep-equality sees it (every field, the operator as
    /// its value: an omitted operator is not `Equal`).
    fn is_deep_equal(&self, other: &Toleration) -> bool {
        self.same_identity(other)
            && self.toleration_seconds == other.toleration_seconds
            && self.operator_written == other.operator_written
    }

    // upstream: core/v1 toleration.go MatchToleration (tolerationSeconds not compared)
    fn same_identity(&self, other: &Toleration) -> bool {
        self.key == other.key
            && self.effect == other.effect
            && self.operator == other.operator
            && self.value == other.value
    }
}

/// The taint keys the node lifecycle controller uses, and that daemon pods tolerate.
pub mod keys {
    /// Node Ready condition is False.
    pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
    /// Node Ready condition is Unknown.
    pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
    /// Node has disk pressure.
    pub const DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
    /// Node has memory pressure.
    pub const MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
    /// Node has PID pressure.
    pub const PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
    /// Node is cordoned.
    pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
    /// Node network is unavailable.
    pub const NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";
}

/// The tolerations the DaemonSet controller adds to every daemon pod, in upstream order.
// upstream: daemonset_util.go AddOrUpdateDaemonPodTolerations
pub fn default_daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut out = vec![
        Toleration::exists(keys::NOT_READY, Some(TaintEffect::NoExecute)),
        Toleration::exists(keys::UNREACHABLE, Some(TaintEffect::NoExecute)),
        Toleration::exists(keys::DISK_PRESSURE, Some(TaintEffect::NoSchedule)),
        Toleration::exists(keys::MEMORY_PRESSURE, Some(TaintEffect::NoSchedule)),
        Toleration::exists(keys::PID_PRESSURE, Some(TaintEffect::NoSchedule)),
        Toleration::exists(keys::UNSCHEDULABLE, Some(TaintEffect::NoSchedule)),
    ];
    if host_network {
        out.push(Toleration::exists(
            keys::NETWORK_UNAVAILABLE,
            Some(TaintEffect::NoSchedule),
        ));
    }
    out
}

/// `tolerations` with the default daemon tolerations added or updated in place.
// upstream: core/v1 helper AddOrUpdateTolerationInPodSpec
pub fn with_daemon_tolerations(tolerations: &[Toleration], host_network: bool) -> Vec<Toleration> {
    let mut out = tolerations.to_vec();
    for default in default_daemon_tolerations(host_network) {
        let same = |t: &Toleration| t.same_identity(&default);
        if out.iter().any(|t| same(t) && t.is_deep_equal(&default)) {
            // upstream stops at an entry already equal to the default: nothing changes.
            continue;
        }
        let mut found = false;
        for existing in out.iter_mut().filter(|t| same(t)) {
            *existing = default.clone();
            found = true;
        }
        if !found {
            out.push(default);
        }
    }
    out
}

/// The first taint with one of `effects` that no toleration tolerates.
// upstream: scheduling/corev1 helpers.go FindMatchingUntoleratedTaint
pub(crate) fn first_untolerated<'t>(
    taints: &'t [Taint],
    tolerations: &[Toleration],
    effect: impl Fn(TaintEffect) -> bool,
    comparison_operators: bool,
) -> Option<&'t Taint> {
    taints.iter().find(|t| {
        effect(t.effect)
            && !tolerations
                .iter()
                .any(|tol| tol.tolerates(t, comparison_operators))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(
        key: &str,
        op: TolerationOperator,
        value: &str,
        effect: Option<TaintEffect>,
    ) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op,
            value: value.into(),
            effect,
            toleration_seconds: None,
            operator_written: true,
        }
    }

    #[test]
    fn empty_key_exists_tolerates_everything() {
        let t = Taint::new("a", "b", TaintEffect::NoExecute);
        assert!(tol("", TolerationOperator::Exists, "", None).tolerates(&t, false));
    }

    #[test]
    fn equal_with_empty_value_matches_empty_taint_value() {
        let t = Taint::new("a", "", TaintEffect::NoSchedule);
        assert!(tol("a", TolerationOperator::Equal, "", None).tolerates(&t, false));
        let t2 = Taint::new("a", "x", TaintEffect::NoSchedule);
        assert!(!tol("a", TolerationOperator::Equal, "", None).tolerates(&t2, false));
    }

    #[test]
    fn comparison_operators_behind_switch() {
        let t = Taint::new("level", "5", TaintEffect::NoSchedule);
        let gt = tol("level", TolerationOperator::Gt, "3", None);
        assert!(!gt.tolerates(&t, false));
        assert!(gt.tolerates(&t, true));
        let lt = tol("level", TolerationOperator::Lt, "3", None);
        assert!(!lt.tolerates(&t, true));
    }

    #[test]
    fn defaults_replace_matching_entries_in_place() {
        let mut user = tol(
            keys::NOT_READY,
            TolerationOperator::Exists,
            "",
            Some(TaintEffect::NoExecute),
        );
        user.toleration_seconds = Some(300);
        let keep = tol(
            keys::UNREACHABLE,
            TolerationOperator::Equal,
            "",
            Some(TaintEffect::NoExecute),
        );
        let out = with_daemon_tolerations(&[user, keep.clone()], false);
        assert_eq!(out[0].toleration_seconds, None);
        assert_eq!(out[0].key, keys::NOT_READY);
        assert_eq!(out[1], keep);
        assert_eq!(out[2].key, keys::UNREACHABLE);
        assert_eq!(out.len(), 7);
        assert_eq!(with_daemon_tolerations(&[], true).len(), 7);
    }
}
