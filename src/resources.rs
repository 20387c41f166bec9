//! Resource lists, container ports and a pod's effective request.

use serde::Serialize;

use crate::api;
use crate::error::{FieldError, quoted};
use crate::quantity::Quantity;
use crate::strmap::Str;

/// Resource names to quantities (`cpu: 100m`, `memory: 128Mi`, `nvidia.com/gpu: 1`).
pub type ResourceList = crate::strmap::StrMap<Quantity>;

/// The protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Protocol {
    /// TCP (the default).
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port a container declares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// The port's name, if any.
    pub name: Option<String>,
    /// The container port.
    pub container_port: i32,
    /// The host port, when one is set (0 in the manifest means none).
    pub host_port: Option<i32>,
    /// The host IP the host port binds (empty means all).
    #[serde(rename = "hostIP")]
    pub host_ip: String,
    /// The protocol.
    pub protocol: Protocol,
}

/// A container, reduced to what placement needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// The container name.
    pub name: Str,
    /// `resources.requests`.
    pub requests: ResourceList,
    /// `resources.limits`.
    pub limits: ResourceList,
    /// Declared ports.
    pub ports: Vec<ContainerPort>,
    /// `restartPolicy` (only `Always`, on init containers: a sidecar).
    pub restart_policy: Option<String>,
}

impl Container {
    pub(crate) fn is_sidecar(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }

    /// Whether two containers are the same to the last detail, map order and quantity
    /// format included (`==` compares maps as sets and quantities by amount), so that one
    /// may stand for the other without changing any output.
    pub(crate) fn identical(&self, other: &Container) -> bool {
        fn same(a: &ResourceList, b: &ResourceList) -> bool {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, qa), (kb, qb))| ka == kb && qa == qb && qa.format() == qb.format())
        }
        self.name == other.name
            && same(&self.requests, &other.requests)
            && same(&self.limits, &other.limits)
            && self.ports == other.ports
            && self.restart_policy == other.restart_policy
    }

    /// A hash of what [`Container::identical`] compares.
    pub(crate) fn fingerprint(&self, state: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        self.name.hash(state);
        for list in [&self.requests, &self.limits] {
            list.len().hash(state);
            for (k, q) in list {
                k.hash(state);
                q.nanos().hash(state);
            }
        }
        self.ports.hash(state);
        self.restart_policy.hash(state);
    }
}

/// A host port in use: what two pods on one node may not share.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct HostPort {
    /// The port number.
    pub port: i32,
    /// The protocol.
    pub protocol: Protocol,
    /// The host IP (empty or `0.0.0.0` means every address).
    pub host_ip: String,
}

impl HostPort {
    /// Whether two host ports collide: same port and protocol, overlapping IPs.
    // upstream: scheduler framework HostPortInfo.CheckConflict
    pub fn conflicts_with(&self, other: &HostPort) -> bool {
        // Only `0.0.0.0` (or no IP) binds every address here; upstream does not widen `::`.
        let wildcard = |ip: &str| ip.is_empty() || ip == "0.0.0.0";
        self.port == other.port
            && self.protocol == other.protocol
            && (wildcard(&self.host_ip)
                || wildcard(&other.host_ip)
                || self.host_ip == other.host_ip)
    }
}

/// Host ports a pod occupies: explicit `hostPort`s, and every container port when the pod
/// uses the host network (the API server defaults `hostPort = containerPort` there).
pub(crate) fn host_ports(
    containers: &[Container],
    init: &[Container],
    host_network: bool,
) -> Vec<HostPort> {
    let mut out: Vec<HostPort> = Vec::new();
    let all = containers
        .iter()
        .chain(init.iter().filter(|c| c.is_sidecar()));
    for c in all {
        for p in &c.ports {
            let port = match p.host_port {
                Some(h) if h > 0 => h,
                _ if host_network => p.container_port,
                _ => continue,
            };
            let hp = HostPort {
                port,
                protocol: p.protocol,
                host_ip: p.host_ip.clone(),
            };
            if !out.contains(&hp) {
                out.push(hp);
            }
        }
    }
    out
}

fn add_into(total: &mut ResourceList, list: &ResourceList) {
    for (name, q) in list {
        let slot = total.get_or_insert(name.clone(), Quantity::ZERO);
        *slot = slot.saturating_add(*q);
    }
}

fn max_into(total: &mut ResourceList, list: &ResourceList) {
    for (name, q) in list {
        let slot = total.get_or_insert(name.clone(), Quantity::ZERO);
        if *q > *slot {
            *slot = *q;
        }
    }
}

/// A pod's effective request: the larger of the regular containers (plus sidecars) and each
/// init container in turn (plus the sidecars started before it), then the overhead.
// upstream: component-helpers resource.PodRequests
pub(crate) fn pod_requests(
    containers: &[Container],
    init: &[Container],
    overhead: &ResourceList,
) -> ResourceList {
    let mut reqs = ResourceList::new();
    for c in containers {
        add_into(&mut reqs, &c.requests);
    }
    let mut sidecars = ResourceList::new();
    let mut init_max = ResourceList::new();
    for c in init {
        let mut step = sidecars.clone();
        if c.is_sidecar() {
            add_into(&mut reqs, &c.requests);
            add_into(&mut sidecars, &c.requests);
            step = sidecars.clone();
        } else {
            add_into(&mut step, &c.requests);
        }
        max_into(&mut init_max, &step);
    }
    max_into(&mut reqs, &init_max);
    add_into(&mut reqs, overhead);
    reqs.sort_keys();
    reqs
}

/// Parse a map of quantities, reporting bad ones at `field[name]`.
pub(crate) fn parse_resource_list(
    raw: Option<&api::StringMap>,
    field: &str,
    validate: bool,
    errors: &mut Vec<FieldError>,
) -> ResourceList {
    let mut out = ResourceList::new();
    for (name, text) in raw.into_iter().flatten() {
        let path = format!("{field}[{name}]");
        match Quantity::parse(text) {
            Ok(q) => {
                if validate && q.is_negative() {
                    errors.push(FieldError::invalid(
                        path,
                        quoted(text),
                        "must be greater than or equal to 0",
                    ));
                }
                out.insert(name.into(), q);
            }
            Err(e) => errors.push(FieldError::invalid(path, quoted(text), e.to_string())),
        }
    }
    out
}

/// Read containers; `validate` adds the API server's per-container checks.
pub(crate) fn parse_containers(
    raw: Option<&Vec<api::Container>>,
    field: &str,
    init: bool,
    validate: bool,
    errors: &mut Vec<FieldError>,
) -> Vec<Container> {
    let mut out: Vec<Container> = Vec::new();
    for (i, c) in raw.into_iter().flatten().enumerate() {
        let path = format!("{field}[{i}]");
        let name = c.name.clone().unwrap_or_default();
        if validate {
            if name.is_empty() {
                errors.push(FieldError::required(format!("{path}.name"), ""));
            } else if out.iter().any(|o| o.name == name) {
                errors.push(FieldError::duplicate(format!("{path}.name"), quoted(&name)));
            }
        }
        let resources = c.resources.as_ref();
        let requests = parse_resource_list(
            resources.and_then(|r| r.requests.as_ref()),
            &format!("{path}.resources.requests"),
            validate,
            errors,
        );
        let limits = parse_resource_list(
            resources.and_then(|r| r.limits.as_ref()),
            &format!("{path}.resources.limits"),
            validate,
            errors,
        );
        if validate {
            for (res, req) in &requests {
                if let Some(limit) = limits.get(res)
                    && req > limit
                {
                    errors.push(FieldError::invalid(
                        format!("{path}.resources.requests"),
                        quoted(&req.to_string()),
                        format!("must be less than or equal to {res} limit of {limit}"),
                    ));
                }
            }
        }
        let mut ports = Vec::new();
        for (j, p) in c.ports.iter().flatten().enumerate() {
            let ppath = format!("{path}.ports[{j}]");
            let container_port = p.container_port.unwrap_or(0);
            if validate && !(1..=65535).contains(&container_port) {
                errors.push(FieldError::invalid(
                    format!("{ppath}.containerPort"),
                    container_port.to_string(),
                    "must be between 1 and 65535, inclusive",
                ));
            }
            let host_port = p.host_port.filter(|h| *h != 0);
            if let Some(h) = host_port
                && validate
                && !(1..=65535).contains(&h)
            {
                errors.push(FieldError::invalid(
                    format!("{ppath}.hostPort"),
                    h.to_string(),
                    "must be between 1 and 65535, inclusive",
                ));
            }
            let protocol = match p.protocol.as_deref() {
                None | Some("") | Some("TCP") => Protocol::Tcp,
                Some("UDP") => Protocol::Udp,
                Some("SCTP") => Protocol::Sctp,
                Some(other) => {
                    if validate {
                        errors.push(FieldError::not_supported(
                            format!("{ppath}.protocol"),
                            quoted(other),
                            &["SCTP", "TCP", "UDP"],
                        ));
                    }
                    Protocol::Tcp
                }
            };
            ports.push(ContainerPort {
                name: p.name.clone(),
                container_port: i32::try_from(container_port).unwrap_or(0),
                host_port: host_port.and_then(|h| i32::try_from(h).ok()),
                host_ip: p.host_ip.clone().unwrap_or_default(),
                protocol,
            });
        }
        if validate && let Some(policy) = &c.restart_policy {
            if !init {
                errors.push(FieldError::forbidden(
                    format!("{path}.restartPolicy"),
                    "may not be set for non-init containers",
                ));
            } else if policy != "Always" {
                errors.push(FieldError::not_supported(
                    format!("{path}.restartPolicy"),
                    quoted(policy),
                    &["Always"],
                ));
            }
        }
        out.push(Container {
            name: name.into(),
            requests,
            limits,
            ports,
            restart_policy: c.restart_policy.clone(),
        });
    }
    out
}
