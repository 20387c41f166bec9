//! Comparing a stored template with a manifest's, modulo what the API server defaults.
//!
//! A ControllerRevision written by a real cluster stores the template after server-side
//! defaulting (`terminationMessagePath`, `imagePullPolicy`, `dnsPolicy`, ...), while a manifest
//! read from a file has none of those fields. The two still describe the same pods, and
//! treating them as different would start a needless rollout. So a stored template matches a
//! manifest's when they are equal after dropping, from the stored side, fields the manifest
//! leaves out whose value is the API server's default for that field name.

use serde_json::Value;

/// Whether `value` is the API server's default for a field named `key`.
// upstream: pkg/apis/core/v1/defaults.go SetDefaults_PodSpec, SetDefaults_Container,
// SetDefaults_Probe, SetDefaults_HTTPGetAction, SetDefaults_HostPathVolumeSource, ...
fn is_default(key: &str, value: &Value) -> bool {
    match key {
        "creationTimestamp" => value.is_null(),
        "dnsPolicy" => value == "ClusterFirst",
        "restartPolicy" => value == "Always",
        "schedulerName" => value == "default-scheduler",
        "securityContext" | "resources" | "emptyDir" => {
            value.as_object().is_some_and(|o| o.is_empty())
        }
        "terminationGracePeriodSeconds" => value == 30,
        "enableServiceLinks" => value == true,
        "terminationMessagePath" => value == "/dev/termination-log",
        "terminationMessagePolicy" => value == "File",
        "imagePullPolicy" => value == "IfNotPresent" || value == "Always",
        "protocol" => value == "TCP",
        "timeoutSeconds" => value == 1,
        "periodSeconds" => value == 10,
        "successThreshold" => value == 1,
        "failureThreshold" => value == 3,
        "scheme" => value == "HTTP",
        "type" => value == "",
        "defaultMode" => value == 420,
        "apiVersion" => value == "v1",
        "preemptionPolicy" => value == "PreemptLowerPriority",
        _ => false,
    }
}

/// Whether the stored template `stored` describes the same pods as `wanted`.
pub(crate) fn same_template(stored: &Value, wanted: &Value) -> bool {
    match (stored, wanted) {
        (Value::Object(s), Value::Object(w)) => {
            s.iter().all(|(k, sv)| match w.get(k) {
                Some(wv) => same_template(sv, wv),
                None => is_default(k, sv),
            }) && w.keys().all(|k| s.contains_key(k))
        }
        (Value::Array(s), Value::Array(w)) => {
            s.len() == w.len() && s.iter().zip(w).all(|(a, b)| same_template(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaulted_fields_are_ignored() {
        let manifest = json!({"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}});
        let stored = json!({"metadata": {"creationTimestamp": null, "labels": {"app": "a"}}, "spec": {
            "containers": [{"name": "a", "image": "a:1", "imagePullPolicy": "IfNotPresent", "resources": {},
                            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "securityContext": {}, "terminationGracePeriodSeconds": 30}});
        assert!(same_template(&stored, &manifest));
        assert!(same_template(&manifest, &manifest));
    }

    #[test]
    fn real_differences_are_not_ignored() {
        let manifest = json!({"spec": {"containers": [{"name": "a", "image": "a:2"}]}});
        let stored = json!({"spec": {"containers": [{"name": "a", "image": "a:1"}]}});
        assert!(!same_template(&stored, &manifest));
        // A field the user removed (hostNetwork) is a change, not a default.
        let removed =
            json!({"spec": {"hostNetwork": true, "containers": [{"name": "a", "image": "a:2"}]}});
        assert!(!same_template(&removed, &manifest));
        // A default with a non-default value is a change too.
        let grace = json!({"spec": {"terminationGracePeriodSeconds": 5, "containers": [{"name": "a", "image": "a:2"}]}});
        assert!(!same_template(&grace, &manifest));
        // A field the manifest has and the store lacks is a change.
        assert!(!same_template(&manifest, &removed));
    }
}
