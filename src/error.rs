//! The crate's one error type.

use std::fmt;

/// Everything that can go wrong while reading a manifest or a cluster snapshot.
///
/// Every variant that concerns one field names it with its field path
/// (`spec.template.spec.tolerations[0].operator`), and the `Display` text follows the
/// Kubernetes API server's wording, e.g.
/// `spec.template.metadata.labels: Invalid value: {"app":"x"}: selector does not match template labels`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not well-formed YAML or JSON, or a field has the wrong type.
    #[error("{}", parse_message(.field, .message, .location))]
    Parse {
        /// Field path inside the document, when the parser knows it (empty otherwise).
        field: String,
        /// What the parser said.
        message: String,
        /// Line and column (1-based), when known.
        location: Option<(usize, usize)>,
    },
    /// The stream holds no object of the wanted kind.
    #[error("no {wanted} found in the input{}", found_suffix(.found))]
    NotFound {
        /// The kind that was looked for (`DaemonSet`).
        wanted: &'static str,
        /// The kinds the stream held instead, each once, in order of first appearance.
        found: Vec<String>,
    },
    /// A kind we read, in an API version that Kubernetes no longer serves.
    #[error(
        "apiVersion: Unsupported value: \"{api_version}\": {kind} in {api_version} was removed in Kubernetes 1.16; use apps/v1"
    )]
    RemovedApiVersion {
        /// The kind (`DaemonSet`).
        kind: String,
        /// The version given (`extensions/v1beta1`).
        api_version: String,
    },
    /// A kind we read, in an API version we do not know.
    #[error("apiVersion: Unsupported value: \"{api_version}\": supported values: {supported}")]
    UnsupportedApiVersion {
        /// The kind (`DaemonSet`).
        kind: String,
        /// The version given.
        api_version: String,
        /// The versions we accept, quoted and comma separated.
        supported: String,
    },
    /// The object was read but fails validation; every problem found is listed.
    #[error("{}", FieldErrors(.errors))]
    Invalid {
        /// The kind of the object (`DaemonSet`, `Node`, `Pod`, `ControllerRevision`).
        kind: String,
        /// The object's name, when it has one.
        name: String,
        /// All validation errors, in the order the fields were checked.
        errors: Vec<FieldError>,
    },
    /// Two objects of one kind share a name (two nodes `node-1`, two pods `default/p`).
    #[error("metadata.name: Duplicate value: \"{name}\": two {kind} objects with this name")]
    Duplicate {
        /// The kind.
        kind: String,
        /// The duplicated name (`namespace/name` for namespaced objects).
        name: String,
    },
    /// A rollback asked for a revision that is not in the history.
    #[error(
        "unable to find specified revision {revision} in history (known revisions: {})",
        known_list(.known)
    )]
    UnknownRevision {
        /// The revision asked for.
        revision: i64,
        /// The revisions the history holds.
        known: Vec<i64>,
    },
    /// A rollback with no revision given, but the history has no earlier revision.
    #[error("no last revision to roll back to")]
    NoPreviousRevision,
}

impl Error {
    /// The field path the error is about, when it concerns one field.
    ///
    /// For [`Error::Invalid`] with several errors this is the first one's path.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Parse { field, .. } if !field.is_empty() => Some(field),
            Error::RemovedApiVersion { .. } | Error::UnsupportedApiVersion { .. } => {
                Some("apiVersion")
            }
            Error::Invalid { errors, .. } => errors.first().map(|e| e.field.as_str()),
            Error::Duplicate { .. } => Some("metadata.name"),
            _ => None,
        }
    }

    /// All field errors of an [`Error::Invalid`]; empty for other variants.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::Invalid { errors, .. } => errors,
            _ => &[],
        }
    }

    pub(crate) fn parse(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Parse {
            field: field.into(),
            message: message.into(),
            location: None,
        }
    }
}

fn parse_message(field: &str, message: &str, location: &Option<(usize, usize)>) -> String {
    let mut out = String::new();
    if !field.is_empty() && !message.starts_with(field) {
        out.push_str(field);
        out.push_str(": ");
    }
    out.push_str(message);
    if let Some((line, column)) = location
        && !message.contains(" at line ")
    {
        out.push_str(&format!(" at line {line} column {column}"));
    }
    out
}

fn found_suffix(found: &[String]) -> String {
    if found.is_empty() {
        " (it holds no Kubernetes objects)".to_string()
    } else {
        format!(" (it holds: {})", found.join(", "))
    }
}

fn known_list(known: &[i64]) -> String {
    if known.is_empty() {
        "none".to_string()
    } else {
        known
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

struct FieldErrors<'a>(&'a [FieldError]);

impl fmt::Display for FieldErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, "{one}"),
            many => {
                f.write_str("[")?;
                for (i, e) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The kind of a [`FieldError`], as the Kubernetes API server classifies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldErrorKind {
    /// `Invalid value`: the value is malformed or out of range.
    Invalid,
    /// `Required value`: the field must be set.
    Required,
    /// `Unsupported value`: the value is not one of a fixed set.
    NotSupported,
    /// `Forbidden`: the field may not be set here.
    Forbidden,
    /// `Duplicate value`: the value repeats one already given.
    Duplicate,
    /// `Too long`: the value is longer than the field allows (the value is not repeated).
    TooLong,
}

/// One validation problem: the field path, the bad value and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// How the API server classifies the problem.
    pub kind: FieldErrorKind,
    /// The field path, e.g. `spec.updateStrategy.rollingUpdate.maxUnavailable`.
    pub field: String,
    /// The offending value as the API server prints it (already quoted where it quotes).
    pub value: Option<String>,
    /// The explanation, e.g. `must be greater than or equal to 0`.
    pub detail: String,
}

impl FieldError {
    pub(crate) fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Invalid,
            field: field.into(),
            value: Some(value.into()),
            detail: detail.into(),
        }
    }

    pub(crate) fn required(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Required,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn not_supported(
        field: impl Into<String>,
        value: impl Into<String>,
        supported: &[&str],
    ) -> FieldError {
        let list = supported
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ");
        FieldError {
            kind: FieldErrorKind::NotSupported,
            field: field.into(),
            value: Some(value.into()),
            detail: format!("supported values: {list}"),
        }
    }

    pub(crate) fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Forbidden,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn too_long(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorKind::TooLong,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn duplicate(field: impl Into<String>, value: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Duplicate,
            field: field.into(),
            value: Some(value.into()),
            detail: String::new(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.kind {
            FieldErrorKind::Invalid => "Invalid value",
            FieldErrorKind::Required => "Required value",
            FieldErrorKind::NotSupported => "Unsupported value",
            FieldErrorKind::Forbidden => "Forbidden",
            FieldErrorKind::Duplicate => "Duplicate value",
            FieldErrorKind::TooLong => "Too long",
        };
        write!(f, "{}: {label}", self.field)?;
        if let Some(value) = &self.value {
            write!(f, ": {value}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// Quote a string value the way the API server prints it in field errors.
pub(crate) fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}
