//! Name and value checks in the words of k8s.io/apimachinery/pkg/util/validation.

use crate::error::{FieldError, quoted};

const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')),
        _ => false,
    }
}

/// Problems with a DNS-1123 subdomain (lower case, dots, at most 253 characters).
pub(crate) fn dns1123_subdomain_errors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 253 {
        out.push("must be no more than 253 characters".to_string());
    }
    let ok = !s.is_empty() && s.split('.').all(is_dns1123_label);
    if !ok {
        out.push(DNS1123_SUBDOMAIN_MSG.to_string());
    }
    out
}

/// Problems with a DNS-1123 label (lower case, no dots, at most 63 characters), as namespace
/// names must be.
pub(crate) fn dns1123_label_errors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !is_dns1123_label(s) {
        out.push(DNS1123_LABEL_MSG.to_string());
    }
    out
}

fn is_dns1123_label(label: &str) -> bool {
    let b = label.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            (f.is_ascii_lowercase() || f.is_ascii_digit())
                && (l.is_ascii_lowercase() || l.is_ascii_digit())
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        }
        _ => false,
    }
}

/// Problems with a qualified name (`[prefix/]name`), as used by label keys and taint keys.
// upstream: apimachinery validation.IsQualifiedName
pub(crate) fn qualified_name_errors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut parts = s.split('/');
    let (prefix, name) = match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, _) => (None, name),
        (Some(prefix), Some(name), None) => (Some(prefix), name),
        _ => {
            out.push(format!("a qualified name {QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
            return out;
        }
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            out.push("prefix part must be non-empty".to_string());
        } else {
            for e in dns1123_subdomain_errors(prefix) {
                out.push(format!("prefix part {e}"));
            }
        }
    }
    if name.is_empty() {
        out.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        out.push("name part must be no more than 63 characters".to_string());
    }
    if !is_name_part(name) {
        out.push(format!("name part {QUALIFIED_NAME_MSG}"));
    }
    out
}

/// Problems with a label value (empty, or at most 63 name characters).
pub(crate) fn label_value_errors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !s.is_empty() && !is_name_part(s) {
        out.push(LABEL_VALUE_MSG.to_string());
    }
    out
}

/// Check a label map: keys are qualified names, values valid label values.
pub(crate) fn check_labels<K: AsRef<str>, V: AsRef<str>>(
    labels: impl IntoIterator<Item = (K, V)>,
    field: &str,
    errors: &mut Vec<FieldError>,
) {
    for (key, value) in labels {
        let (key, value) = (key.as_ref(), value.as_ref());
        for e in qualified_name_errors(key) {
            errors.push(FieldError::invalid(field, quoted(key), e));
        }
        for e in label_value_errors(value) {
            errors.push(FieldError::invalid(field, quoted(value), e));
        }
    }
}

/// Check annotation keys: qualified names, case-insensitively.
// upstream: apimachinery ValidateAnnotations
pub(crate) fn check_annotations<K: AsRef<str>, V: AsRef<str>>(
    annotations: impl IntoIterator<Item = (K, V)>,
    field: &str,
    errors: &mut Vec<FieldError>,
) {
    let mut total = 0usize;
    for (key, value) in annotations {
        let (key, value) = (key.as_ref(), value.as_ref());
        for e in qualified_name_errors(&key.to_ascii_lowercase()) {
            errors.push(FieldError::invalid(field, quoted(key), e));
        }
        total = total.saturating_add(key.len()).saturating_add(value.len());
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errors.push(FieldError::too_long(
            field,
            format!("must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"),
        ));
    }
}

/// The most bytes (keys and values together) an object's annotations may hold.
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Check a qualified-name key at `field`.
pub(crate) fn check_qualified_name(key: &str, field: &str, errors: &mut Vec<FieldError>) {
    for e in qualified_name_errors(key) {
        errors.push(FieldError::invalid(field, quoted(key), e));
    }
}

/// Check a non-negative integer field.
pub(crate) fn check_non_negative(value: i64, field: &str, errors: &mut Vec<FieldError>) {
    if value < 0 {
        errors.push(FieldError::invalid(
            field,
            value.to_string(),
            "must be greater than or equal to 0",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        assert!(qualified_name_errors("app").is_empty());
        assert!(qualified_name_errors("kubernetes.io/os").is_empty());
        assert!(qualified_name_errors("node-role.kubernetes.io/control-plane").is_empty());
        assert!(!qualified_name_errors("").is_empty());
        assert!(!qualified_name_errors("-app").is_empty());
        assert!(!qualified_name_errors("a/b/c").is_empty());
        assert!(!qualified_name_errors("Example.com/x").is_empty());
        assert!(!qualified_name_errors(&"a".repeat(64)).is_empty());
        assert!(!qualified_name_errors("/x").is_empty());
    }

    #[test]
    fn label_values() {
        assert!(label_value_errors("").is_empty());
        assert!(label_value_errors("1.0").is_empty());
        assert!(label_value_errors("yes").is_empty());
        assert!(!label_value_errors("a b").is_empty());
        assert!(!label_value_errors("x-").is_empty());
        assert!(!label_value_errors(&"a".repeat(64)).is_empty());
    }
}
