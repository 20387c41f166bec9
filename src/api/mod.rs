//! Serde mirrors of the Kubernetes objects we read, and the document-stream reader.
//!
//! Every scalar that Kubernetes reads as a string is deserialized from its raw YAML text
//! (serde_yaml hands plain scalars to string fields verbatim), so label values such as `yes`,
//! `1.0` or `0x1F` stay the strings the user wrote. Quantities are kept as text here and parsed
//! during validation, where errors can name their field.
//!
//! The stream is split at its document markers and each document read on its own, in two
//! passes: the first learns its kind (and its List items' kinds), the second reads only the
//! documents of wanted kinds. Before the YAML parser sees a document, flow collections nested
//! deeper than 128 levels are refused (the parser's work grows with that depth for every
//! token). Alias bombs are stopped by serde_yaml's repetition limit, and deep nesting inside
//! fields that are read by its recursion limit.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

use crate::error::Error;

pub(crate) type StringMap = IndexMap<String, String>;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub uid: Option<String>,
    pub generation: Option<i64>,
    #[serde(default, deserialize_with = "string_map")]
    pub labels: Option<StringMap>,
    #[serde(default, deserialize_with = "string_map")]
    pub annotations: Option<StringMap>,
    pub creation_timestamp: Option<String>,
    pub deletion_timestamp: Option<String>,
    pub owner_references: Option<Vec<OwnerReference>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OwnerReference {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub controller: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LabelSelector {
    #[serde(default, deserialize_with = "string_map")]
    pub match_labels: Option<StringMap>,
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LabelSelectorRequirement {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub values: Option<Vec<String>>,
}

/// `intstr.IntOrString` as written: an integer, or a string kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IntOrString {
    Int(i64),
    String(String),
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrString, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i64::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(format!("integer {v} is out of range")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<IntOrString, E> {
                Err(E::invalid_type(de::Unexpected::Bool(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DaemonSetDoc {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub spec: Option<DaemonSetSpec>,
    pub status: Option<DaemonSetStatusDoc>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DaemonSetSpec {
    pub selector: Option<LabelSelector>,
    pub template: Option<PodTemplate>,
    pub update_strategy: Option<UpdateStrategy>,
    pub min_ready_seconds: Option<i64>,
    pub revision_history_limit: Option<i64>,
    /// OpenKruise only.
    pub burst_replicas: Option<IntOrString>,
    /// OpenKruise v1beta1 only.
    pub scale_strategy: Option<ScaleStrategy>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScaleStrategy {
    pub partitioned_scaling: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateStrategy {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub rolling_update: Option<RollingUpdate>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RollingUpdate {
    pub max_unavailable: Option<IntOrString>,
    pub max_surge: Option<IntOrString>,
    /// OpenKruise only.
    pub partition: Option<IntOrString>,
    /// OpenKruise only.
    pub paused: Option<bool>,
    /// OpenKruise only: a selector over node labels.
    pub selector: Option<LabelSelector>,
    /// OpenKruise only: Standard, Surging (v1alpha1), InPlaceIfPossible.
    pub rolling_update_type: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DaemonSetStatusDoc {
    pub current_number_scheduled: Option<i64>,
    pub number_misscheduled: Option<i64>,
    pub desired_number_scheduled: Option<i64>,
    pub number_ready: Option<i64>,
    pub observed_generation: Option<i64>,
    pub updated_number_scheduled: Option<i64>,
    pub number_available: Option<i64>,
    pub number_unavailable: Option<i64>,
    pub collision_count: Option<i64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodTemplate {
    pub metadata: Option<ObjectMeta>,
    pub spec: Option<PodSpec>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodSpec {
    #[serde(default, deserialize_with = "string_map")]
    pub node_selector: Option<StringMap>,
    pub node_name: Option<String>,
    pub affinity: Option<Affinity>,
    pub tolerations: Option<Vec<Toleration>>,
    pub host_network: Option<bool>,
    pub containers: Option<Vec<Container>>,
    pub init_containers: Option<Vec<Container>>,
    #[serde(default, deserialize_with = "string_map")]
    pub overhead: Option<StringMap>,
    pub priority_class_name: Option<String>,
    pub priority: Option<i64>,
    pub restart_policy: Option<String>,
    pub active_deadline_seconds: Option<i64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Affinity {
    pub node_affinity: Option<NodeAffinity>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeAffinity {
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    pub preferred_during_scheduling_ignored_during_execution: Option<Vec<PreferredTerm>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelector {
    pub node_selector_terms: Option<Vec<NodeSelectorTerm>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelectorTerm {
    pub match_expressions: Option<Vec<NodeSelectorRequirement>>,
    pub match_fields: Option<Vec<NodeSelectorRequirement>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSelectorRequirement {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub values: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreferredTerm {
    pub weight: Option<i64>,
    pub preference: Option<NodeSelectorTerm>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Toleration {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Container {
    pub name: Option<String>,
    pub resources: Option<Resources>,
    pub ports: Option<Vec<ContainerPort>>,
    pub restart_policy: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resources {
    #[serde(default, deserialize_with = "string_map")]
    pub requests: Option<StringMap>,
    #[serde(default, deserialize_with = "string_map")]
    pub limits: Option<StringMap>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContainerPort {
    pub name: Option<String>,
    pub container_port: Option<i64>,
    pub host_port: Option<i64>,
    #[serde(rename = "hostIP")]
    pub host_ip: Option<String>,
    pub protocol: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeDoc {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub spec: Option<NodeSpec>,
    pub status: Option<NodeStatus>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeSpec {
    pub unschedulable: Option<bool>,
    pub taints: Option<Vec<Taint>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Taint {
    pub key: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeStatus {
    #[serde(default, deserialize_with = "string_map")]
    pub allocatable: Option<StringMap>,
    #[serde(default, deserialize_with = "string_map")]
    pub capacity: Option<StringMap>,
    pub conditions: Option<Vec<Condition>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Condition {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub status: Option<String>,
    pub last_transition_time: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodDoc {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub spec: Option<PodSpec>,
    pub status: Option<PodStatus>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodStatus {
    pub phase: Option<String>,
    pub conditions: Option<Vec<Condition>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RevisionDoc {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "json_value")]
    pub data: Option<serde_json::Value>,
    pub revision: Option<i64>,
}

/// The kinds the readers dispatch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    DaemonSet,
    Node,
    Pod,
    ControllerRevision,
    List,
    Other,
}

impl Kind {
    fn of(kind: &str) -> Kind {
        match kind {
            "DaemonSet" => Kind::DaemonSet,
            "Node" => Kind::Node,
            "Pod" => Kind::Pod,
            "ControllerRevision" => Kind::ControllerRevision,
            k if k == "List" || k.ends_with("List") => Kind::List,
            _ => Kind::Other,
        }
    }
}

/// What the first, cheap pass learns of one document or list item.
#[derive(Debug, Clone, Default)]
pub(crate) struct Header {
    pub api_version: String,
    pub kind: String,
    pub items: Vec<Header>,
}

impl Header {
    pub(crate) fn kind(&self) -> Kind {
        Kind::of(&self.kind)
    }

    /// Items of a typed list (`NodeList`, `PodList`, ...) as the API server returns them carry
    /// no `kind` or `apiVersion` of their own: they take the list's.
    fn type_items(&mut self) {
        let Some(item_kind) = self.kind.strip_suffix("List").filter(|k| !k.is_empty()) else {
            return;
        };
        for item in &mut self.items {
            if item.kind.is_empty() {
                item.kind = item_kind.to_string();
                if item.api_version.is_empty() {
                    item.api_version = self.api_version.clone();
                }
            }
        }
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Header;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes object (a mapping with apiVersion and kind)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
                let mut header = Header::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "apiVersion" => {
                            header.api_version =
                                map.next_value::<Option<String>>()?.unwrap_or_default()
                        }
                        "kind" => {
                            header.kind = map.next_value::<Option<String>>()?.unwrap_or_default()
                        }
                        "items" => {
                            header.items = map
                                .next_value::<Option<Vec<Option<Header>>>>()?
                                .unwrap_or_default()
                                .into_iter()
                                .map(Option::unwrap_or_default)
                                .collect()
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                header.type_items();
                Ok(header)
            }
        }
        d.deserialize_map(V)
    }
}

/// A typed object picked out of a stream.
#[derive(Debug)]
pub(crate) enum Object {
    DaemonSet(Box<DaemonSetDoc>),
    Node(Box<NodeDoc>),
    Pod(Box<PodDoc>),
    ControllerRevision(Box<RevisionDoc>),
    Skipped,
}

/// Which kinds the second pass deserializes fully.
#[derive(Clone, Copy)]
pub(crate) struct Wanted {
    pub daemon_set: bool,
    pub cluster: bool,
}

impl Wanted {
    fn wants(self, kind: Kind) -> bool {
        match kind {
            Kind::DaemonSet => self.daemon_set,
            Kind::Node | Kind::Pod | Kind::ControllerRevision => self.cluster,
            Kind::List | Kind::Other => false,
        }
    }
}

struct ObjectSeed<'h> {
    header: &'h Header,
    wanted: Wanted,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Vec<Object>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Object>, D::Error> {
        let kind = self.header.kind();
        if kind == Kind::List {
            return d.deserialize_map(ListVisitor {
                header: self.header,
                wanted: self.wanted,
            });
        }
        if !self.wanted.wants(kind) {
            IgnoredAny::deserialize(d)?;
            return Ok(vec![Object::Skipped]);
        }
        let object = match kind {
            Kind::DaemonSet => Object::DaemonSet(Box::new(DaemonSetDoc::deserialize(d)?)),
            Kind::Node => Object::Node(Box::new(NodeDoc::deserialize(d)?)),
            Kind::Pod => Object::Pod(Box::new(PodDoc::deserialize(d)?)),
            Kind::ControllerRevision => {
                Object::ControllerRevision(Box::new(RevisionDoc::deserialize(d)?))
            }
            Kind::List | Kind::Other => {
                IgnoredAny::deserialize(d)?;
                Object::Skipped
            }
        };
        Ok(vec![object])
    }
}

struct ListVisitor<'h> {
    header: &'h Header,
    wanted: Wanted,
}

impl<'de> Visitor<'de> for ListVisitor<'_> {
    type Value = Vec<Object>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a List object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Object>, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                out = map.next_value_seed(ItemsSeed {
                    header: self.header,
                    wanted: self.wanted,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

struct ItemsSeed<'h> {
    header: &'h Header,
    wanted: Wanted,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Vec<Object>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Object>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = Vec<Object>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }
    fn visit_none<E: de::Error>(self) -> Result<Vec<Object>, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<Object>, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Object>, D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Object>, A::Error> {
        let mut out = Vec::new();
        let empty = Header::default();
        let mut i = 0;
        loop {
            let header = self.header.items.get(i).unwrap_or(&empty);
            let seed = OptionalObjectSeed(ObjectSeed {
                header,
                wanted: self.wanted,
            });
            match seq.next_element_seed(seed)? {
                Some(objects) => out.extend(objects),
                None => break,
            }
            i += 1;
        }
        Ok(out)
    }
}

struct OptionalObjectSeed<'h>(ObjectSeed<'h>);

impl<'de> DeserializeSeed<'de> for OptionalObjectSeed<'_> {
    type Value = Vec<Object>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Object>, D::Error> {
        if self.0.header.kind.is_empty() && self.0.header.items.is_empty() {
            IgnoredAny::deserialize(d)?;
            return Ok(vec![Object::Skipped]);
        }
        self.0.deserialize(d)
    }
}

/// One document of the stream, after both passes.
pub(crate) struct Document<'t> {
    /// Position in the stream (0-based), for error messages.
    pub index: usize,
    pub header: Header,
    pub objects: Vec<Object>,
    /// Where the document's text is.
    part: Part<'t>,
    /// Which document of the part it is (0 unless the part could not be split further).
    nth: usize,
}

impl Document<'_> {
    /// The document as a generic JSON value (used to keep a template losslessly and to look
    /// for unknown fields).
    pub(crate) fn value(&self) -> Result<serde_json::Value, Error> {
        let Some(doc) = serde_yaml::Deserializer::from_str(self.part.text).nth(self.nth) else {
            return Ok(serde_json::Value::Null);
        };
        JsonSeed { key: "" }
            .deserialize(doc)
            .map_err(|e| yaml_error(e, self.index, self.part.first_line))
    }
}

/// The largest text either reader accepts. Bigger inputs are refused up front instead of
/// spending seconds on them; 100,000 nodes as `kubectl get -o yaml` prints them stay below it.
pub const MAX_INPUT_BYTES: usize = 1 << 30;

/// A stretch of the stream holding (normally) one document, and the line it starts on.
#[derive(Clone, Copy)]
struct Part<'t> {
    text: &'t str,
    /// Lines before this part in the whole text.
    first_line: usize,
}

/// Whether `line` is a document marker (`---` or `...` at column 0, then a blank or the end).
fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Split the stream at its document markers, so each document is parsed on its own: the
/// kinds nobody wants are then read once, and a wanted document can be read again without
/// reading the whole stream again. A marker at column 0 ends any scalar in YAML, so the split
/// agrees with a YAML parser's; streams with `%` directives are not split.
fn split_documents(text: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut first_line = 0;
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if line.starts_with('%') {
            return vec![Part {
                text,
                first_line: 0,
            }];
        }
        if is_marker(line, "---") && offset > start {
            parts.push(Part {
                text: &text[start..offset],
                first_line,
            });
            start = offset;
            first_line = number;
        }
        offset += line.len();
        if is_marker(line, "...") {
            parts.push(Part {
                text: &text[start..offset],
                first_line,
            });
            start = offset;
            first_line = number + 1;
        }
    }
    if offset > start {
        parts.push(Part {
            text: &text[start..offset],
            first_line,
        });
    }
    parts
}

/// The deepest nesting of flow collections (`[...]`, `{...}`) a document may have. The YAML
/// parser's cost grows with the flow depth for every token it reads, so a small document of
/// nothing but brackets would otherwise take minutes; the deserializer refuses more than 128
/// levels of any nesting anyway.
const MAX_FLOW_DEPTH: usize = 128;

/// Refuse a document part whose flow collections nest deeper than [`MAX_FLOW_DEPTH`], before
/// the YAML parser sees it. The scan follows YAML's rules closely enough not to miss a flow
/// collection: a bracket opens one where a value starts in block context, and anywhere
/// outside a quoted scalar in flow context; quoted scalars, comments and block scalars
/// (`|`, `>`) are skipped.
fn check_flow_depth(part: &Part<'_>, index: usize) -> Result<(), Error> {
    let bytes = part.text.as_bytes();
    let blank = |b: Option<&u8>| matches!(b, None | Some(b' ' | b'\t' | b'\n' | b'\r'));
    let mut depth = 0usize;
    // The indentation of the line that opened a block scalar, while inside one.
    let mut block_scalar: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        // A line starts at `i`.
        let line_start = i;
        let indent = bytes[i..].iter().take_while(|&&b| b == b' ').count();
        let line_end = bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| i + p + 1);
        if let Some(parent) = block_scalar {
            let empty = bytes[i + indent..line_end]
                .iter()
                .all(u8::is_ascii_whitespace);
            if empty || indent > parent {
                i = line_end;
                continue;
            }
            block_scalar = None;
        }
        i += indent;
        // Whether a new token (a value, a key, an entry) may start here.
        let mut token_start = true;
        // Whether the last token was a quoted scalar (then `:` right after it is a value
        // indicator, as in JSON).
        let mut after_quote = false;
        while i < line_end {
            let b = bytes[i];
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
                continue;
            }
            if b == b'#' && (i == line_start || blank(bytes.get(i - 1))) {
                i = line_end;
                continue;
            }
            if token_start {
                match b {
                    b'[' | b'{' => {
                        depth += 1;
                        if depth > MAX_FLOW_DEPTH {
                            return Err(too_deep(part, index, i));
                        }
                        i += 1;
                        continue;
                    }
                    b'"' | b'\'' => {
                        // Skip the quoted scalar, across lines if it goes on.
                        i += 1;
                        while i < bytes.len() {
                            match bytes[i] {
                                b'\\' if b == b'"' => i += 2,
                                b'\'' if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                                c if c == b => break,
                                _ => i += 1,
                            }
                        }
                        i += 1;
                        token_start = false;
                        after_quote = true;
                        continue;
                    }
                    b'|' | b'>' if depth == 0 => {
                        block_scalar = Some(indent);
                        i = line_end;
                        continue;
                    }
                    b'&' | b'!' => {
                        // An anchor or a tag: the value starts after it.
                        while i < line_end && !blank(bytes.get(i)) {
                            i += 1;
                        }
                        continue;
                    }
                    b'-' | b'?' | b':' if depth == 0 && blank(bytes.get(i + 1)) => {
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            token_start = false;
            let value_indicator = b == b':' && (after_quote || blank(bytes.get(i + 1)));
            after_quote = false;
            if depth > 0 {
                match b {
                    // In flow context a bracket opens or closes a collection wherever it is.
                    b'[' | b'{' => {
                        token_start = true;
                        continue;
                    }
                    b']' | b'}' => depth -= 1,
                    b',' | b'?' => token_start = true,
                    _ => token_start = value_indicator,
                }
            } else {
                token_start = value_indicator;
            }
            i += 1;
        }
        // A quoted scalar may have ended on a later line: go on from where it ended.
        i = i.max(line_end);
    }
    Ok(())
}

/// The error for flow collections nested too deep, at byte `at` of the part.
fn too_deep(part: &Part<'_>, index: usize, at: usize) -> Error {
    let before = &part.text.as_bytes()[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count();
    let column = at
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
    let message = format!("flow collections nested more than {MAX_FLOW_DEPTH} deep");
    Error::Parse {
        field: String::new(),
        message: if index > 0 {
            format!("{message} (document {})", index + 1)
        } else {
            message
        },
        location: Some((part.first_line + line + 1, column + 1)),
    }
}

/// Read a YAML (or JSON) stream: one pass learns every document's kind, a second reads the
/// documents of the wanted kinds (only those) into their typed mirrors.
pub(crate) fn read_stream(text: &str, wanted: Wanted) -> Result<Vec<Document<'_>>, Error> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::parse(
            "",
            format!(
                "input is {} bytes, more than the {} this reader accepts",
                text.len(),
                MAX_INPUT_BYTES
            ),
        ));
    }
    // A byte-order mark may open the text (editors on Windows write one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut documents = Vec::new();
    let mut index = 0;
    for part in split_documents(text) {
        check_flow_depth(&part, index)?;
        let mut headers = Vec::new();
        for doc in serde_yaml::Deserializer::from_str(part.text) {
            let header = Option::<Header>::deserialize(doc)
                .map_err(|e| yaml_error(e, index + headers.len(), part.first_line))?;
            headers.push(header);
        }
        let interesting = |header: &Header| {
            wanted.wants(header.kind())
                || (header.kind() == Kind::List
                    && header.items.iter().any(|h| wanted.wants(h.kind())))
        };
        let any_interesting = headers.iter().flatten().any(interesting);
        let mut docs = any_interesting.then(|| serde_yaml::Deserializer::from_str(part.text));
        for (nth, header) in headers.into_iter().enumerate() {
            let doc = docs.as_mut().and_then(Iterator::next);
            let this = index;
            index += 1;
            let Some(header) = header else { continue };
            let objects = match doc {
                Some(doc) if interesting(&header) => ObjectSeed {
                    header: &header,
                    wanted,
                }
                .deserialize(doc)
                .map_err(|e| yaml_error(e, this, part.first_line))?,
                _ => Vec::new(),
            };
            documents.push(Document {
                index: this,
                header,
                objects,
                part,
                nth,
            });
        }
    }
    Ok(documents)
}

/// The first `kind: DaemonSet` object of a document: the document itself, or the first one
/// found in its `items`, depth first (the order the stream reader finds them in).
///
/// The object is returned with `apiVersion` and `kind` filled in from a typed list
/// (`DaemonSetList`) when its item leaves them out.
pub(crate) fn first_daemon_set(value: &serde_json::Value) -> Option<serde_json::Value> {
    first_daemon_set_in(value, "", "")
}

fn first_daemon_set_in(
    value: &serde_json::Value,
    list_kind: &str,
    list_api_version: &str,
) -> Option<serde_json::Value> {
    let kind = value.get("kind").and_then(|k| k.as_str());
    let api_version = value.get("apiVersion").and_then(|k| k.as_str());
    if kind == Some("DaemonSet") || (kind.is_none() && list_kind == "DaemonSetList") {
        let mut object = value.clone();
        if let Some(map) = object.as_object_mut() {
            map.entry("kind").or_insert_with(|| "DaemonSet".into());
            map.entry("apiVersion")
                .or_insert_with(|| list_api_version.into());
        }
        return Some(object);
    }
    let kind = kind.unwrap_or_default();
    let api_version = api_version.unwrap_or_default();
    value
        .get("items")?
        .as_array()?
        .iter()
        .find_map(|item| first_daemon_set_in(item, kind, api_version))
}

/// Deserialize YAML (or JSON) straight into JSON the way Kubernetes' YAML reader converts it:
/// mapping keys become strings (plain scalars keep their text), tags are dropped, integers too
/// large for 64 bits become floats, and a file mode written with a leading zero (`0640`) is
/// read as octal, as YAML 1.1 (and so Kubernetes) reads it.
pub(crate) struct JsonSeed<'k> {
    /// The mapping key this value belongs to (`""` at the top and in sequences).
    key: &'k str,
}

/// Keys whose integer values are file modes, which YAML 1.1 reads in octal when written with
/// a leading zero.
const MODE_KEYS: &[&str] = &["defaultMode", "mode"];

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = serde_json::Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<serde_json::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<serde_json::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<serde_json::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<serde_json::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<serde_json::Value, E> {
        Ok(v.into())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<serde_json::Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| float(v as f64), serde_json::Value::from))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<serde_json::Value, E> {
        Ok(u64::try_from(v).map_or_else(|_| float(v as f64), serde_json::Value::from))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<serde_json::Value, E> {
        Ok(float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<serde_json::Value, E> {
        if MODE_KEYS.contains(&self.key)
            && v.len() > 1
            && v.starts_with('0')
            && v.bytes().all(|b| (b'0'..=b'7').contains(&b))
            && let Ok(mode) = i64::from_str_radix(v, 8)
        {
            return Ok(mode.into());
        }
        Ok(v.into())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<serde_json::Value, E> {
        if MODE_KEYS.contains(&self.key) {
            return self.visit_str(&v);
        }
        Ok(v.into())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<serde_json::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(JsonSeed { key: self.key })? {
            out.push(item);
        }
        Ok(out.into())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<serde_json::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(JsonSeed { key: &key })?;
            out.insert(key, value);
        }
        Ok(out.into())
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<serde_json::Value, A::Error> {
        // A value with a custom tag (`!mytag value`): the tag is dropped.
        let (_tag, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
}

fn float(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// Deserialize an optional free-form JSON field (a ControllerRevision's `data`) with
/// [`JsonSeed`].
fn json_value<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    Ok(Some(JsonSeed { key: "" }.deserialize(d)?).filter(|v| !v.is_null()))
}

/// Deserialize a string map whose null values (`key:`, `key: ~`, `key: null`) read as empty
/// strings, as Kubernetes reads them.
fn string_map<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<StringMap>, D::Error> {
    let raw = Option::<IndexMap<String, Option<String>>>::deserialize(d)?;
    Ok(raw.map(|m| {
        m.into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }))
}

/// Whether the text before serde_yaml's first `": "` is a field path (`spec`,
/// `spec.template.spec.containers[0].ports`) rather than part of a parser message, which
/// always has spaces in it.
fn is_field_path(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'[' | b']' | b'_' | b'-' | b'/' | b'$')
        })
}

fn yaml_error(e: serde_yaml::Error, index: usize, first_line: usize) -> Error {
    let location = e.location().map(|l| (l.line() + first_line, l.column()));
    let text = shift_lines(&e.to_string(), first_line);
    // serde_yaml prefixes the field path ("spec.template: invalid type ...").
    let (field, message) = match text.split_once(": ") {
        Some((path, rest)) if is_field_path(path) => (path.to_string(), rest.to_string()),
        _ => (String::new(), text.clone()),
    };
    let message = if index > 0 {
        format!("{message} (document {})", index + 1)
    } else {
        message
    };
    Error::Parse {
        field,
        message,
        location,
    }
}

/// Add `by` to every `at line N column` in a parser message about a part of the stream, so
/// the lines it names are lines of the whole text (other text, such as a quoted value, is
/// left alone).
fn shift_lines(message: &str, by: usize) -> String {
    const AT: &str = "at line ";
    if by == 0 {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len() + 8);
    let mut rest = message;
    while let Some(at) = rest.find(AT) {
        let (before, after) = rest.split_at(at + AT.len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let number = after[..digits].parse::<usize>();
        match number {
            Ok(n) if after[digits..].starts_with(" column ") => out.push_str(&(n + by).to_string()),
            _ => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}
#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(text: &str) -> Option<String> {
        let part = Part {
            text,
            first_line: 0,
        };
        check_flow_depth(&part, 0).err().map(|e| e.to_string())
    }

    #[test]
    fn deep_flow_nesting_is_refused_where_it_gets_too_deep() {
        let deep = format!("a:\n  b: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            depth_error(&deep).as_deref(),
            Some("flow collections nested more than 128 deep at line 2 column 134")
        );
        let json = format!("{}{}", "{\"a\":".repeat(129), "}".repeat(129));
        assert!(depth_error(&json).is_some());
        let ok = format!("a: {}{}\n", "[".repeat(128), "]".repeat(128));
        assert_eq!(depth_error(&ok), None);
        // Closing brackets bring the depth down again.
        let wide = "a: [[1], [2], {b: [3]}]\n".repeat(1000);
        assert_eq!(depth_error(&wide), None);
    }

    #[test]
    fn brackets_that_are_not_flow_collections_do_not_count() {
        let many = "[".repeat(500);
        for text in [
            format!("a: \"{many}\"\n"),
            format!("a: '{many}'\n"),
            format!("a: '{many}''{many}'\n"),
            format!("a: \"x\\\"{many}\"\n"),
            format!("a: plain{many}\n"),
            format!("a: http://x/{many}\n"),
            format!("# {many}\na: 1\n"),
            format!("a: 1 # {many}\n"),
            format!("a: |\n  {many}\n\n  {many}\nb: 2\n"),
            format!("- >-\n    {many}\n- x\n"),
            format!("a: [\"{many}\", '{many}']\n"),
            format!("a: [don't, \"{many}\", it's]\n"),
            format!("a: \"multi\n  line {many}\"\nb: 1\n"),
            format!("a: !!str &x \"{many}\"\n"),
        ] {
            assert_eq!(depth_error(&text), None, "{text:.60}");
        }
    }

    #[test]
    fn documents_split_at_their_markers() {
        let text = "a: 1\n---\nb: 2\n--- # c\nc: |\n  ---x\n...\nd: 4\n---\n";
        let parts: Vec<(&str, usize)> = split_documents(text)
            .iter()
            .map(|p| (p.text, p.first_line))
            .collect();
        assert_eq!(
            parts,
            [
                ("a: 1\n", 0),
                ("---\nb: 2\n", 1),
                ("--- # c\nc: |\n  ---x\n...\n", 3),
                ("d: 4\n", 7),
                ("---\n", 8),
            ]
        );
        // A stream with directives is read whole.
        assert_eq!(
            split_documents("%YAML 1.1\n---\na: 1\n---\nb: 2\n").len(),
            1
        );
    }

    #[test]
    fn line_numbers_of_a_part_are_shifted_to_the_whole_text() {
        assert_eq!(
            shift_lines(
                "did not find expected key at line 2 column 1, while parsing a block mapping at line 1 column 1",
                10
            ),
            "did not find expected key at line 12 column 1, while parsing a block mapping at line 11 column 1"
        );
        assert_eq!(shift_lines("no lines here", 3), "no lines here");
        assert_eq!(
            shift_lines(
                "invalid type: string \"at line 5\", expected a map at line 2 column 3",
                10
            ),
            "invalid type: string \"at line 5\", expected a map at line 12 column 3"
        );
    }
}
