//! Which fields the Kubernetes API schema knows in a DaemonSet, to list the fields it does not
//! know the way kubectl's default field validation warns about them.
//!
//! The schema is a set of static tables, one per object type (Kubernetes v1.34 `apps/v1` and
//! `core/v1`, plus OpenKruise's `apps.kruise.io` DaemonSet additions). Each table lists the
//! field names the type knows and, for a field that is itself a typed object or a list of typed
//! objects, the type to check it against. Free-form maps (labels, annotations, nodeSelector,
//! resource quantities, ...) and opaque contents are known fields whose contents are not walked.

use serde_json::{Map, Value};
use std::fmt::Write as _;

/// How the value of a known field is checked.
#[derive(Clone, Copy)]
enum Field {
    /// A scalar, a list of scalars, or free-form contents: not walked.
    Leaf,
    /// An object of the given type.
    Obj(&'static Type),
    /// A list whose items are objects of the given type.
    List(&'static Type),
}

use Field::{Leaf, List, Obj};

/// The known fields of one object type, in the order of the Go type.
struct Type(&'static [(&'static str, Field)]);

impl Type {
    /// How the field `name` is checked, or `None` if this type does not know it.
    fn field(&self, name: &str) -> Option<Field> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }
}

// ---------------------------------------------------------------------------------------------
// DaemonSet (apps/v1) and OpenKruise's Advanced DaemonSet (apps.kruise.io/v1alpha1, v1beta1)
// ---------------------------------------------------------------------------------------------

/// apps/v1 DaemonSet.
static DAEMON_SET: Type = Type(&[
    ("apiVersion", Leaf),
    ("kind", Leaf),
    ("metadata", Obj(&OBJECT_META)),
    ("spec", Obj(&DAEMON_SET_SPEC)),
    ("status", Obj(&DAEMON_SET_STATUS)),
]);

/// apps.kruise.io DaemonSet.
static KRUISE_DAEMON_SET: Type = Type(&[
    ("apiVersion", Leaf),
    ("kind", Leaf),
    ("metadata", Obj(&OBJECT_META)),
    ("spec", Obj(&KRUISE_DAEMON_SET_SPEC)),
    ("status", Obj(&KRUISE_DAEMON_SET_STATUS)),
]);

/// apps/v1 DaemonSetSpec.
static DAEMON_SET_SPEC: Type = Type(&[
    ("selector", Obj(&LABEL_SELECTOR)),
    ("template", Obj(&POD_TEMPLATE_SPEC)),
    ("updateStrategy", Obj(&DAEMON_SET_UPDATE_STRATEGY)),
    ("minReadySeconds", Leaf),
    ("revisionHistoryLimit", Leaf),
]);

/// apps.kruise.io DaemonSetSpec.
static KRUISE_DAEMON_SET_SPEC: Type = Type(&[
    ("selector", Obj(&LABEL_SELECTOR)),
    ("template", Obj(&POD_TEMPLATE_SPEC)),
    ("updateStrategy", Obj(&KRUISE_DAEMON_SET_UPDATE_STRATEGY)),
    ("minReadySeconds", Leaf),
    ("burstReplicas", Leaf),
    ("revisionHistoryLimit", Leaf),
    ("lifecycle", Obj(&KRUISE_LIFECYCLE)),
    ("scaleStrategy", Obj(&KRUISE_DAEMON_SET_SCALE_STRATEGY)),
]);

/// apps/v1 DaemonSetUpdateStrategy.
static DAEMON_SET_UPDATE_STRATEGY: Type = Type(&[
    ("type", Leaf),
    ("rollingUpdate", Obj(&ROLLING_UPDATE_DAEMON_SET)),
]);

/// apps.kruise.io DaemonSetUpdateStrategy.
static KRUISE_DAEMON_SET_UPDATE_STRATEGY: Type = Type(&[
    ("type", Leaf),
    ("rollingUpdate", Obj(&KRUISE_ROLLING_UPDATE_DAEMON_SET)),
]);

/// apps/v1 RollingUpdateDaemonSet.
static ROLLING_UPDATE_DAEMON_SET: Type = Type(&[("maxUnavailable", Leaf), ("maxSurge", Leaf)]);

/// apps.kruise.io RollingUpdateDaemonSet.
static KRUISE_ROLLING_UPDATE_DAEMON_SET: Type = Type(&[
    ("rollingUpdateType", Leaf),
    ("maxUnavailable", Leaf),
    ("maxSurge", Leaf),
    ("selector", Obj(&LABEL_SELECTOR)),
    ("partition", Leaf),
    ("paused", Leaf),
]);

/// apps.kruise.io DaemonSetScaleStrategy.
static KRUISE_DAEMON_SET_SCALE_STRATEGY: Type = Type(&[("partitionedScaling", Leaf)]);

/// apps.kruise.io (apps/pub) Lifecycle; each hook's contents are free-form.
static KRUISE_LIFECYCLE: Type = Type(&[
    ("preDelete", Leaf),
    ("inPlaceUpdate", Leaf),
    ("preNormal", Leaf),
]);

/// apps/v1 DaemonSetStatus.
static DAEMON_SET_STATUS: Type = Type(&[
    ("currentNumberScheduled", Leaf),
    ("numberMisscheduled", Leaf),
    ("desiredNumberScheduled", Leaf),
    ("numberReady", Leaf),
    ("observedGeneration", Leaf),
    ("updatedNumberScheduled", Leaf),
    ("numberAvailable", Leaf),
    ("numberUnavailable", Leaf),
    ("collisionCount", Leaf),
    ("conditions", List(&DAEMON_SET_CONDITION)),
]);

/// apps.kruise.io DaemonSetStatus (v1alpha1's `daemonSetHash`, v1beta1's `updateRevision`).
static KRUISE_DAEMON_SET_STATUS: Type = Type(&[
    ("currentNumberScheduled", Leaf),
    ("numberMisscheduled", Leaf),
    ("desiredNumberScheduled", Leaf),
    ("numberReady", Leaf),
    ("observedGeneration", Leaf),
    ("updatedNumberScheduled", Leaf),
    ("numberAvailable", Leaf),
    ("numberUnavailable", Leaf),
    ("collisionCount", Leaf),
    ("conditions", List(&DAEMON_SET_CONDITION)),
    ("daemonSetHash", Leaf),
    ("updateRevision", Leaf),
]);

/// apps/v1 DaemonSetCondition.
static DAEMON_SET_CONDITION: Type = Type(&[
    ("type", Leaf),
    ("status", Leaf),
    ("lastTransitionTime", Leaf),
    ("reason", Leaf),
    ("message", Leaf),
]);

// ---------------------------------------------------------------------------------------------
// meta/v1
// ---------------------------------------------------------------------------------------------

/// meta/v1 ObjectMeta.
static OBJECT_META: Type = Type(&[
    ("name", Leaf),
    ("generateName", Leaf),
    ("namespace", Leaf),
    ("selfLink", Leaf),
    ("uid", Leaf),
    ("resourceVersion", Leaf),
    ("generation", Leaf),
    ("creationTimestamp", Leaf),
    ("deletionTimestamp", Leaf),
    ("deletionGracePeriodSeconds", Leaf),
    ("labels", Leaf),
    ("annotations", Leaf),
    ("ownerReferences", List(&OWNER_REFERENCE)),
    ("finalizers", Leaf),
    ("managedFields", Leaf),
]);

/// meta/v1 OwnerReference.
static OWNER_REFERENCE: Type = Type(&[
    ("apiVersion", Leaf),
    ("kind", Leaf),
    ("name", Leaf),
    ("uid", Leaf),
    ("controller", Leaf),
    ("blockOwnerDeletion", Leaf),
]);

/// meta/v1 LabelSelector.
static LABEL_SELECTOR: Type = Type(&[
    ("matchLabels", Leaf),
    ("matchExpressions", List(&LABEL_SELECTOR_REQUIREMENT)),
]);

/// meta/v1 LabelSelectorRequirement.
static LABEL_SELECTOR_REQUIREMENT: Type =
    Type(&[("key", Leaf), ("operator", Leaf), ("values", Leaf)]);

// ---------------------------------------------------------------------------------------------
// core/v1: pod template and pod spec
// ---------------------------------------------------------------------------------------------

/// core/v1 PodTemplateSpec.
static POD_TEMPLATE_SPEC: Type = Type(&[("metadata", Obj(&OBJECT_META)), ("spec", Obj(&POD_SPEC))]);

/// core/v1 PodSpec (all 41 fields of v1.34).
static POD_SPEC: Type = Type(&[
    ("volumes", List(&VOLUME)),
    ("initContainers", List(&CONTAINER)),
    ("containers", List(&CONTAINER)),
    ("ephemeralContainers", List(&EPHEMERAL_CONTAINER)),
    ("restartPolicy", Leaf),
    ("terminationGracePeriodSeconds", Leaf),
    ("activeDeadlineSeconds", Leaf),
    ("dnsPolicy", Leaf),
    ("nodeSelector", Leaf),
    ("serviceAccountName", Leaf),
    ("serviceAccount", Leaf),
    ("automountServiceAccountToken", Leaf),
    ("nodeName", Leaf),
    ("hostNetwork", Leaf),
    ("hostPID", Leaf),
    ("hostIPC", Leaf),
    ("shareProcessNamespace", Leaf),
    ("securityContext", Obj(&POD_SECURITY_CONTEXT)),
    ("imagePullSecrets", List(&LOCAL_OBJECT_REFERENCE)),
    ("hostname", Leaf),
    ("subdomain", Leaf),
    ("affinity", Obj(&AFFINITY)),
    ("schedulerName", Leaf),
    ("tolerations", List(&TOLERATION)),
    ("hostAliases", List(&HOST_ALIAS)),
    ("priorityClassName", Leaf),
    ("priority", Leaf),
    ("dnsConfig", Obj(&POD_DNS_CONFIG)),
    ("readinessGates", List(&POD_READINESS_GATE)),
    ("runtimeClassName", Leaf),
    ("enableServiceLinks", Leaf),
    ("preemptionPolicy", Leaf),
    ("overhead", Leaf),
    (
        "topologySpreadConstraints",
        List(&TOPOLOGY_SPREAD_CONSTRAINT),
    ),
    ("setHostnameAsFQDN", Leaf),
    ("os", Obj(&POD_OS)),
    ("hostUsers", Leaf),
    ("schedulingGates", List(&POD_SCHEDULING_GATE)),
    ("resourceClaims", List(&POD_RESOURCE_CLAIM)),
    ("resources", Obj(&RESOURCE_REQUIREMENTS)),
    ("hostnameOverride", Leaf),
]);

/// core/v1 LocalObjectReference.
static LOCAL_OBJECT_REFERENCE: Type = Type(&[("name", Leaf)]);

/// core/v1 HostAlias.
static HOST_ALIAS: Type = Type(&[("ip", Leaf), ("hostnames", Leaf)]);

/// core/v1 PodDNSConfig.
static POD_DNS_CONFIG: Type = Type(&[
    ("nameservers", Leaf),
    ("searches", Leaf),
    ("options", List(&POD_DNS_CONFIG_OPTION)),
]);

/// core/v1 PodDNSConfigOption.
static POD_DNS_CONFIG_OPTION: Type = Type(&[("name", Leaf), ("value", Leaf)]);

/// core/v1 PodReadinessGate.
static POD_READINESS_GATE: Type = Type(&[("conditionType", Leaf)]);

/// core/v1 PodOS.
static POD_OS: Type = Type(&[("name", Leaf)]);

/// core/v1 PodSchedulingGate.
static POD_SCHEDULING_GATE: Type = Type(&[("name", Leaf)]);

/// core/v1 PodResourceClaim.
static POD_RESOURCE_CLAIM: Type = Type(&[
    ("name", Leaf),
    ("resourceClaimName", Leaf),
    ("resourceClaimTemplateName", Leaf),
]);

/// core/v1 Toleration.
static TOLERATION: Type = Type(&[
    ("key", Leaf),
    ("operator", Leaf),
    ("value", Leaf),
    ("effect", Leaf),
    ("tolerationSeconds", Leaf),
]);

/// core/v1 TopologySpreadConstraint.
static TOPOLOGY_SPREAD_CONSTRAINT: Type = Type(&[
    ("maxSkew", Leaf),
    ("topologyKey", Leaf),
    ("whenUnsatisfiable", Leaf),
    ("labelSelector", Obj(&LABEL_SELECTOR)),
    ("minDomains", Leaf),
    ("nodeAffinityPolicy", Leaf),
    ("nodeTaintsPolicy", Leaf),
    ("matchLabelKeys", Leaf),
]);

// ---------------------------------------------------------------------------------------------
// core/v1: security contexts
// ---------------------------------------------------------------------------------------------

/// core/v1 PodSecurityContext.
static POD_SECURITY_CONTEXT: Type = Type(&[
    ("seLinuxOptions", Obj(&SE_LINUX_OPTIONS)),
    ("windowsOptions", Obj(&WINDOWS_SECURITY_CONTEXT_OPTIONS)),
    ("runAsUser", Leaf),
    ("runAsGroup", Leaf),
    ("runAsNonRoot", Leaf),
    ("supplementalGroups", Leaf),
    ("supplementalGroupsPolicy", Leaf),
    ("fsGroup", Leaf),
    ("sysctls", List(&SYSCTL)),
    ("fsGroupChangePolicy", Leaf),
    ("seccompProfile", Obj(&SECCOMP_PROFILE)),
    ("appArmorProfile", Obj(&APP_ARMOR_PROFILE)),
    ("seLinuxChangePolicy", Leaf),
]);

/// core/v1 SecurityContext (container level).
static SECURITY_CONTEXT: Type = Type(&[
    ("capabilities", Obj(&CAPABILITIES)),
    ("privileged", Leaf),
    ("seLinuxOptions", Obj(&SE_LINUX_OPTIONS)),
    ("windowsOptions", Obj(&WINDOWS_SECURITY_CONTEXT_OPTIONS)),
    ("runAsUser", Leaf),
    ("runAsGroup", Leaf),
    ("runAsNonRoot", Leaf),
    ("readOnlyRootFilesystem", Leaf),
    ("allowPrivilegeEscalation", Leaf),
    ("procMount", Leaf),
    ("seccompProfile", Obj(&SECCOMP_PROFILE)),
    ("appArmorProfile", Obj(&APP_ARMOR_PROFILE)),
]);

/// core/v1 Capabilities.
static CAPABILITIES: Type = Type(&[("add", Leaf), ("drop", Leaf)]);

/// core/v1 SELinuxOptions.
static SE_LINUX_OPTIONS: Type = Type(&[
    ("user", Leaf),
    ("role", Leaf),
    ("type", Leaf),
    ("level", Leaf),
]);

/// core/v1 WindowsSecurityContextOptions.
static WINDOWS_SECURITY_CONTEXT_OPTIONS: Type = Type(&[
    ("gmsaCredentialSpecName", Leaf),
    ("gmsaCredentialSpec", Leaf),
    ("runAsUserName", Leaf),
    ("hostProcess", Leaf),
]);

/// core/v1 SeccompProfile.
static SECCOMP_PROFILE: Type = Type(&[("type", Leaf), ("localhostProfile", Leaf)]);

/// core/v1 AppArmorProfile.
static APP_ARMOR_PROFILE: Type = Type(&[("type", Leaf), ("localhostProfile", Leaf)]);

/// core/v1 Sysctl.
static SYSCTL: Type = Type(&[("name", Leaf), ("value", Leaf)]);

// ---------------------------------------------------------------------------------------------
// core/v1: containers
// ---------------------------------------------------------------------------------------------

/// core/v1 Container (all 25 fields of v1.34).
static CONTAINER: Type = Type(&[
    ("name", Leaf),
    ("image", Leaf),
    ("command", Leaf),
    ("args", Leaf),
    ("workingDir", Leaf),
    ("ports", List(&CONTAINER_PORT)),
    ("envFrom", List(&ENV_FROM_SOURCE)),
    ("env", List(&ENV_VAR)),
    ("resources", Obj(&RESOURCE_REQUIREMENTS)),
    ("resizePolicy", List(&CONTAINER_RESIZE_POLICY)),
    ("restartPolicy", Leaf),
    ("restartPolicyRules", List(&CONTAINER_RESTART_RULE)),
    ("volumeMounts", List(&VOLUME_MOUNT)),
    ("volumeDevices", List(&VOLUME_DEVICE)),
    ("livenessProbe", Obj(&PROBE)),
    ("readinessProbe", Obj(&PROBE)),
    ("startupProbe", Obj(&PROBE)),
    ("lifecycle", Obj(&LIFECYCLE)),
    ("terminationMessagePath", Leaf),
    ("terminationMessagePolicy", Leaf),
    ("imagePullPolicy", Leaf),
    ("securityContext", Obj(&SECURITY_CONTEXT)),
    ("stdin", Leaf),
    ("stdinOnce", Leaf),
    ("tty", Leaf),
]);

/// core/v1 EphemeralContainer (EphemeralContainerCommon plus `targetContainerName`).
static EPHEMERAL_CONTAINER: Type = Type(&[
    ("name", Leaf),
    ("image", Leaf),
    ("command", Leaf),
    ("args", Leaf),
    ("workingDir", Leaf),
    ("ports", List(&CONTAINER_PORT)),
    ("envFrom", List(&ENV_FROM_SOURCE)),
    ("env", List(&ENV_VAR)),
    ("resources", Obj(&RESOURCE_REQUIREMENTS)),
    ("resizePolicy", List(&CONTAINER_RESIZE_POLICY)),
    ("restartPolicy", Leaf),
    ("restartPolicyRules", List(&CONTAINER_RESTART_RULE)),
    ("volumeMounts", List(&VOLUME_MOUNT)),
    ("volumeDevices", List(&VOLUME_DEVICE)),
    ("livenessProbe", Obj(&PROBE)),
    ("readinessProbe", Obj(&PROBE)),
    ("startupProbe", Obj(&PROBE)),
    ("lifecycle", Obj(&LIFECYCLE)),
    ("terminationMessagePath", Leaf),
    ("terminationMessagePolicy", Leaf),
    ("imagePullPolicy", Leaf),
    ("securityContext", Obj(&SECURITY_CONTEXT)),
    ("stdin", Leaf),
    ("stdinOnce", Leaf),
    ("tty", Leaf),
    ("targetContainerName", Leaf),
]);

/// core/v1 ContainerPort.
static CONTAINER_PORT: Type = Type(&[
    ("name", Leaf),
    ("hostPort", Leaf),
    ("containerPort", Leaf),
    ("protocol", Leaf),
    ("hostIP", Leaf),
]);

/// core/v1 EnvFromSource.
static ENV_FROM_SOURCE: Type = Type(&[
    ("prefix", Leaf),
    ("configMapRef", Obj(&NAME_OPTIONAL_REF)),
    ("secretRef", Obj(&NAME_OPTIONAL_REF)),
]);

/// core/v1 ConfigMapEnvSource and SecretEnvSource (same shape).
static NAME_OPTIONAL_REF: Type = Type(&[("name", Leaf), ("optional", Leaf)]);

/// core/v1 EnvVar.
static ENV_VAR: Type = Type(&[
    ("name", Leaf),
    ("value", Leaf),
    ("valueFrom", Obj(&ENV_VAR_SOURCE)),
]);

/// core/v1 EnvVarSource.
static ENV_VAR_SOURCE: Type = Type(&[
    ("fieldRef", Obj(&OBJECT_FIELD_SELECTOR)),
    ("resourceFieldRef", Obj(&RESOURCE_FIELD_SELECTOR)),
    ("configMapKeyRef", Obj(&KEY_SELECTOR)),
    ("secretKeyRef", Obj(&KEY_SELECTOR)),
    ("fileKeyRef", Obj(&FILE_KEY_SELECTOR)),
]);

/// core/v1 ObjectFieldSelector.
static OBJECT_FIELD_SELECTOR: Type = Type(&[("apiVersion", Leaf), ("fieldPath", Leaf)]);

/// core/v1 ResourceFieldSelector.
static RESOURCE_FIELD_SELECTOR: Type = Type(&[
    ("containerName", Leaf),
    ("resource", Leaf),
    ("divisor", Leaf),
]);

/// core/v1 ConfigMapKeySelector and SecretKeySelector (same shape).
static KEY_SELECTOR: Type = Type(&[("name", Leaf), ("key", Leaf), ("optional", Leaf)]);

/// core/v1 FileKeySelector.
static FILE_KEY_SELECTOR: Type = Type(&[
    ("volumeName", Leaf),
    ("path", Leaf),
    ("key", Leaf),
    ("optional", Leaf),
]);

/// core/v1 ResourceRequirements.
static RESOURCE_REQUIREMENTS: Type = Type(&[
    ("limits", Leaf),
    ("requests", Leaf),
    ("claims", List(&RESOURCE_CLAIM)),
]);

/// core/v1 ResourceClaim (a container's or pod's use of a pod resource claim).
static RESOURCE_CLAIM: Type = Type(&[("name", Leaf), ("request", Leaf)]);

/// core/v1 ContainerResizePolicy.
static CONTAINER_RESIZE_POLICY: Type = Type(&[("resourceName", Leaf), ("restartPolicy", Leaf)]);

/// core/v1 ContainerRestartRule.
static CONTAINER_RESTART_RULE: Type = Type(&[
    ("action", Leaf),
    ("exitCodes", Obj(&CONTAINER_RESTART_RULE_ON_EXIT_CODES)),
]);

/// core/v1 ContainerRestartRuleOnExitCodes.
static CONTAINER_RESTART_RULE_ON_EXIT_CODES: Type = Type(&[("operator", Leaf), ("values", Leaf)]);

/// core/v1 VolumeMount.
static VOLUME_MOUNT: Type = Type(&[
    ("name", Leaf),
    ("readOnly", Leaf),
    ("recursiveReadOnly", Leaf),
    ("mountPath", Leaf),
    ("subPath", Leaf),
    ("mountPropagation", Leaf),
    ("subPathExpr", Leaf),
]);

/// core/v1 VolumeDevice.
static VOLUME_DEVICE: Type = Type(&[("name", Leaf), ("devicePath", Leaf)]);

/// core/v1 Probe (ProbeHandler inlined).
static PROBE: Type = Type(&[
    ("exec", Obj(&EXEC_ACTION)),
    ("httpGet", Obj(&HTTP_GET_ACTION)),
    ("tcpSocket", Obj(&TCP_SOCKET_ACTION)),
    ("grpc", Obj(&GRPC_ACTION)),
    ("initialDelaySeconds", Leaf),
    ("timeoutSeconds", Leaf),
    ("periodSeconds", Leaf),
    ("successThreshold", Leaf),
    ("failureThreshold", Leaf),
    ("terminationGracePeriodSeconds", Leaf),
]);

/// core/v1 Lifecycle.
static LIFECYCLE: Type = Type(&[
    ("postStart", Obj(&LIFECYCLE_HANDLER)),
    ("preStop", Obj(&LIFECYCLE_HANDLER)),
    ("stopSignal", Leaf),
]);

/// core/v1 LifecycleHandler.
static LIFECYCLE_HANDLER: Type = Type(&[
    ("exec", Obj(&EXEC_ACTION)),
    ("httpGet", Obj(&HTTP_GET_ACTION)),
    ("tcpSocket", Obj(&TCP_SOCKET_ACTION)),
    ("sleep", Obj(&SLEEP_ACTION)),
]);

/// core/v1 ExecAction.
static EXEC_ACTION: Type = Type(&[("command", Leaf)]);

/// core/v1 HTTPGetAction.
static HTTP_GET_ACTION: Type = Type(&[
    ("path", Leaf),
    ("port", Leaf),
    ("host", Leaf),
    ("scheme", Leaf),
    ("httpHeaders", List(&HTTP_HEADER)),
]);

/// core/v1 HTTPHeader.
static HTTP_HEADER: Type = Type(&[("name", Leaf), ("value", Leaf)]);

/// core/v1 TCPSocketAction.
static TCP_SOCKET_ACTION: Type = Type(&[("port", Leaf), ("host", Leaf)]);

/// core/v1 GRPCAction.
static GRPC_ACTION: Type = Type(&[("port", Leaf), ("service", Leaf)]);

/// core/v1 SleepAction.
static SLEEP_ACTION: Type = Type(&[("seconds", Leaf)]);

// ---------------------------------------------------------------------------------------------
// core/v1: affinity
// ---------------------------------------------------------------------------------------------

/// core/v1 Affinity.
static AFFINITY: Type = Type(&[
    ("nodeAffinity", Obj(&NODE_AFFINITY)),
    ("podAffinity", Obj(&POD_AFFINITY)),
    ("podAntiAffinity", Obj(&POD_AFFINITY)),
]);

/// core/v1 NodeAffinity.
static NODE_AFFINITY: Type = Type(&[
    (
        "requiredDuringSchedulingIgnoredDuringExecution",
        Obj(&NODE_SELECTOR),
    ),
    (
        "preferredDuringSchedulingIgnoredDuringExecution",
        List(&PREFERRED_SCHEDULING_TERM),
    ),
]);

/// core/v1 NodeSelector.
static NODE_SELECTOR: Type = Type(&[("nodeSelectorTerms", List(&NODE_SELECTOR_TERM))]);

/// core/v1 NodeSelectorTerm.
static NODE_SELECTOR_TERM: Type = Type(&[
    ("matchExpressions", List(&NODE_SELECTOR_REQUIREMENT)),
    ("matchFields", List(&NODE_SELECTOR_REQUIREMENT)),
]);

/// core/v1 NodeSelectorRequirement.
static NODE_SELECTOR_REQUIREMENT: Type =
    Type(&[("key", Leaf), ("operator", Leaf), ("values", Leaf)]);

/// core/v1 PreferredSchedulingTerm.
static PREFERRED_SCHEDULING_TERM: Type =
    Type(&[("weight", Leaf), ("preference", Obj(&NODE_SELECTOR_TERM))]);

/// core/v1 PodAffinity and PodAntiAffinity (same shape).
static POD_AFFINITY: Type = Type(&[
    (
        "requiredDuringSchedulingIgnoredDuringExecution",
        List(&POD_AFFINITY_TERM),
    ),
    (
        "preferredDuringSchedulingIgnoredDuringExecution",
        List(&WEIGHTED_POD_AFFINITY_TERM),
    ),
]);

/// core/v1 WeightedPodAffinityTerm.
static WEIGHTED_POD_AFFINITY_TERM: Type = Type(&[
    ("weight", Leaf),
    ("podAffinityTerm", Obj(&POD_AFFINITY_TERM)),
]);

/// core/v1 PodAffinityTerm.
static POD_AFFINITY_TERM: Type = Type(&[
    ("labelSelector", Obj(&LABEL_SELECTOR)),
    ("namespaces", Leaf),
    ("topologyKey", Leaf),
    ("namespaceSelector", Obj(&LABEL_SELECTOR)),
    ("matchLabelKeys", Leaf),
    ("mismatchLabelKeys", Leaf),
]);

// ---------------------------------------------------------------------------------------------
// core/v1: volumes
// ---------------------------------------------------------------------------------------------

/// core/v1 Volume: `name` plus every VolumeSource key of v1.34. The sources walked are the
/// common ones; the contents of the others are not checked.
static VOLUME: Type = Type(&[
    ("name", Leaf),
    ("hostPath", Obj(&HOST_PATH_VOLUME_SOURCE)),
    ("emptyDir", Obj(&EMPTY_DIR_VOLUME_SOURCE)),
    ("gcePersistentDisk", Leaf),
    ("awsElasticBlockStore", Leaf),
    ("gitRepo", Leaf),
    ("secret", Obj(&SECRET_VOLUME_SOURCE)),
    ("nfs", Obj(&NFS_VOLUME_SOURCE)),
    ("iscsi", Leaf),
    ("glusterfs", Leaf),
    (
        "persistentVolumeClaim",
        Obj(&PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE),
    ),
    ("rbd", Leaf),
    ("flexVolume", Leaf),
    ("cinder", Leaf),
    ("cephfs", Leaf),
    ("flocker", Leaf),
    ("downwardAPI", Obj(&DOWNWARD_API_VOLUME_SOURCE)),
    ("fc", Leaf),
    ("azureFile", Leaf),
    ("configMap", Obj(&CONFIG_MAP_VOLUME_SOURCE)),
    ("vsphereVolume", Leaf),
    ("quobyte", Leaf),
    ("azureDisk", Leaf),
    ("photonPersistentDisk", Leaf),
    ("projected", Obj(&PROJECTED_VOLUME_SOURCE)),
    ("portworxVolume", Leaf),
    ("scaleIO", Leaf),
    ("storageos", Leaf),
    ("csi", Obj(&CSI_VOLUME_SOURCE)),
    ("ephemeral", Leaf),
    ("image", Obj(&IMAGE_VOLUME_SOURCE)),
]);

/// core/v1 HostPathVolumeSource.
static HOST_PATH_VOLUME_SOURCE: Type = Type(&[("path", Leaf), ("type", Leaf)]);

/// core/v1 EmptyDirVolumeSource.
static EMPTY_DIR_VOLUME_SOURCE: Type = Type(&[("medium", Leaf), ("sizeLimit", Leaf)]);

/// core/v1 SecretVolumeSource.
static SECRET_VOLUME_SOURCE: Type = Type(&[
    ("secretName", Leaf),
    ("items", List(&KEY_TO_PATH)),
    ("defaultMode", Leaf),
    ("optional", Leaf),
]);

/// core/v1 ConfigMapVolumeSource.
static CONFIG_MAP_VOLUME_SOURCE: Type = Type(&[
    ("name", Leaf),
    ("items", List(&KEY_TO_PATH)),
    ("defaultMode", Leaf),
    ("optional", Leaf),
]);

/// core/v1 KeyToPath.
static KEY_TO_PATH: Type = Type(&[("key", Leaf), ("path", Leaf), ("mode", Leaf)]);

/// core/v1 NFSVolumeSource.
static NFS_VOLUME_SOURCE: Type = Type(&[("server", Leaf), ("path", Leaf), ("readOnly", Leaf)]);

/// core/v1 PersistentVolumeClaimVolumeSource.
static PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE: Type =
    Type(&[("claimName", Leaf), ("readOnly", Leaf)]);

/// core/v1 DownwardAPIVolumeSource.
static DOWNWARD_API_VOLUME_SOURCE: Type = Type(&[
    ("items", List(&DOWNWARD_API_VOLUME_FILE)),
    ("defaultMode", Leaf),
]);

/// core/v1 DownwardAPIVolumeFile.
static DOWNWARD_API_VOLUME_FILE: Type = Type(&[
    ("path", Leaf),
    ("fieldRef", Obj(&OBJECT_FIELD_SELECTOR)),
    ("resourceFieldRef", Obj(&RESOURCE_FIELD_SELECTOR)),
    ("mode", Leaf),
]);

/// core/v1 CSIVolumeSource.
static CSI_VOLUME_SOURCE: Type = Type(&[
    ("driver", Leaf),
    ("readOnly", Leaf),
    ("fsType", Leaf),
    ("volumeAttributes", Leaf),
    ("nodePublishSecretRef", Obj(&LOCAL_OBJECT_REFERENCE)),
]);

/// core/v1 ImageVolumeSource.
static IMAGE_VOLUME_SOURCE: Type = Type(&[("reference", Leaf), ("pullPolicy", Leaf)]);

/// core/v1 ProjectedVolumeSource.
static PROJECTED_VOLUME_SOURCE: Type =
    Type(&[("sources", List(&VOLUME_PROJECTION)), ("defaultMode", Leaf)]);

/// core/v1 VolumeProjection (`podCertificate`, alpha in v1.34, is not walked).
static VOLUME_PROJECTION: Type = Type(&[
    ("secret", Obj(&SECRET_PROJECTION)),
    ("downwardAPI", Obj(&DOWNWARD_API_PROJECTION)),
    ("configMap", Obj(&CONFIG_MAP_PROJECTION)),
    (
        "serviceAccountToken",
        Obj(&SERVICE_ACCOUNT_TOKEN_PROJECTION),
    ),
    ("clusterTrustBundle", Obj(&CLUSTER_TRUST_BUNDLE_PROJECTION)),
    ("podCertificate", Leaf),
]);

/// core/v1 SecretProjection.
static SECRET_PROJECTION: Type = Type(&[
    ("name", Leaf),
    ("items", List(&KEY_TO_PATH)),
    ("optional", Leaf),
]);

/// core/v1 ConfigMapProjection.
static CONFIG_MAP_PROJECTION: Type = Type(&[
    ("name", Leaf),
    ("items", List(&KEY_TO_PATH)),
    ("optional", Leaf),
]);

/// core/v1 DownwardAPIProjection.
static DOWNWARD_API_PROJECTION: Type = Type(&[("items", List(&DOWNWARD_API_VOLUME_FILE))]);

/// core/v1 ServiceAccountTokenProjection.
static SERVICE_ACCOUNT_TOKEN_PROJECTION: Type = Type(&[
    ("audience", Leaf),
    ("expirationSeconds", Leaf),
    ("path", Leaf),
]);

/// core/v1 ClusterTrustBundleProjection.
static CLUSTER_TRUST_BUNDLE_PROJECTION: Type = Type(&[
    ("name", Leaf),
    ("signerName", Leaf),
    ("labelSelector", Obj(&LABEL_SELECTOR)),
    ("optional", Leaf),
    ("path", Leaf),
]);

// ---------------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------------

/// Field paths, in document order, of fields the Kubernetes schema does not know, each as
/// kubectl words the warning: `unknown field "spec.template.spec.containers[0].foo"`.
///
/// `doc` is the whole DaemonSet document as JSON; `kruise` selects the apps.kruise.io
/// DaemonSet schema (which knows a few more fields) instead of apps/v1. Values that are not
/// objects where an object is expected (or not lists where a list is expected) are not walked.
pub(crate) fn unknown_field_warnings(doc: &Value, kruise: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Object(map) = doc {
        let ty = if kruise {
            &KRUISE_DAEMON_SET
        } else {
            &DAEMON_SET
        };
        let mut path = String::new();
        walk(map, ty, &mut path, &mut out);
    }
    out
}

/// Check every key of `obj` against `ty`, in document order, recursing into typed fields.
/// `path` is the path of `obj` (empty at the top) and is restored before returning.
fn walk(obj: &Map<String, Value>, ty: &Type, path: &mut String, out: &mut Vec<String>) {
    for (key, value) in obj {
        let base = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        match ty.field(key) {
            None => out.push(format!("unknown field \"{path}\"")),
            Some(Leaf) => {}
            Some(Obj(inner)) => {
                if let Value::Object(map) = value {
                    walk(map, inner, path, out);
                }
            }
            Some(List(inner)) => {
                if let Value::Array(items) = value {
                    for (index, item) in items.iter().enumerate() {
                        if let Value::Object(map) = item {
                            let item_base = path.len();
                            // Writing to a String cannot fail.
                            let _ = write!(path, "[{index}]");
                            walk(map, inner, path, out);
                            path.truncate(item_base);
                        }
                    }
                }
            }
        }
        path.truncate(base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// Test helper, cross-checking the typed validation: paths of regular (non-init) containers that set `restartPolicy`: Kubernetes (since 1.28)
    /// rejects these with `spec.template.spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers`.
    ///
    /// Returns paths such as `"spec.template.spec.containers[0].restartPolicy"`, in container
    /// order. A `restartPolicy` whose value is null counts as unset.
    fn forbidden_container_restart_policies(doc: &Value) -> Vec<String> {
        let Some(Value::Array(containers)) = doc
            .get("spec")
            .and_then(|spec| spec.get("template"))
            .and_then(|template| template.get("spec"))
            .and_then(|pod| pod.get("containers"))
        else {
            return Vec::new();
        };
        containers
            .iter()
            .enumerate()
            .filter(|(_, container)| {
                container
                    .get("restartPolicy")
                    .is_some_and(|policy| !policy.is_null())
            })
            .map(|(index, _)| format!("spec.template.spec.containers[{index}].restartPolicy"))
            .collect()
    }

    /// Convert a YAML value to JSON as Kubernetes reads it: keys become strings, tags dropped.
    fn yaml_to_json(value: serde_yaml::Value) -> Value {
        use serde_yaml::Value as Y;
        match value {
            Y::Null => Value::Null,
            Y::Bool(b) => Value::Bool(b),
            Y::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::from(i)
                } else if let Some(u) = n.as_u64() {
                    Value::from(u)
                } else {
                    n.as_f64()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(Value::Null, Value::Number)
                }
            }
            Y::String(s) => Value::String(s),
            Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
            Y::Mapping(mapping) => {
                let mut map = Map::new();
                for (k, v) in mapping {
                    let key = match k {
                        Y::String(s) => s,
                        other => match yaml_to_json(other) {
                            Value::String(s) => s,
                            Value::Null => "null".to_owned(),
                            json => json.to_string(),
                        },
                    };
                    map.insert(key, yaml_to_json(v));
                }
                Value::Object(map)
            }
            Y::Tagged(tagged) => yaml_to_json(tagged.value),
        }
    }

    /// The DaemonSet documents of a YAML stream, as JSON.
    fn daemon_sets(text: &str) -> Vec<Value> {
        serde_yaml::Deserializer::from_str(text)
            .filter_map(|doc| serde_yaml::Value::deserialize(doc).ok())
            .map(yaml_to_json)
            .filter(|doc| doc.get("kind").and_then(Value::as_str) == Some("DaemonSet"))
            .collect()
    }

    /// Parse a single-document YAML manifest to JSON.
    fn parse(text: &str) -> Value {
        let docs = daemon_sets(text);
        assert_eq!(docs.len(), 1, "expected one DaemonSet document");
        docs.into_iter().next().unwrap_or(Value::Null)
    }

    const BASE: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  labels: {anything: goes, "even.dots/and": "slashes"}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: agent:v1
"#;

    #[test]
    fn clean_manifest_has_no_warnings() {
        let doc = parse(BASE);
        assert!(unknown_field_warnings(&doc, false).is_empty());
        assert!(unknown_field_warnings(&doc, true).is_empty());
        assert!(forbidden_container_restart_policies(&doc).is_empty());
    }

    #[test]
    fn typo_in_container_field() {
        let doc = parse(
            r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: sidecar
        image: sidecar:v1
      - name: agent
        image: agent:v1
        imagePullPolicyy: Always
        resources:
          requests: {cpu: 100m, memory: 1Gi, "example.com/whatever": 1}
          limitz: {cpu: 1}
"#,
        );
        assert_eq!(
            unknown_field_warnings(&doc, false),
            vec![
                r#"unknown field "spec.template.spec.containers[1].imagePullPolicyy""#,
                r#"unknown field "spec.template.spec.containers[1].resources.limitz""#,
            ]
        );
    }

    #[test]
    fn unknown_top_level_and_spec_fields_in_document_order() {
        let doc = json!({
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "extra": 1,
            "metadata": {"name": "x", "labelz": {}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"spec": {"containers": []}},
            },
        });
        assert_eq!(
            unknown_field_warnings(&doc, false),
            vec![
                r#"unknown field "extra""#,
                r#"unknown field "metadata.labelz""#,
                r#"unknown field "spec.replicas""#,
            ]
        );
    }

    #[test]
    fn unknown_field_inside_affinity() {
        let doc = parse(
            r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: kubernetes.io/os, operator: In, values: [linux]}
            - matchExpressions:
              - {key: a, operator: Exists, valuez: [x]}
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 1
            preference:
              matchFields: [{key: metadata.name, operator: In, values: [n]}]
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: agent}}
            topologyKey: kubernetes.io/hostname
            topologyKeys: [oops]
      containers:
      - {name: agent, image: agent:v1}
"#,
        );
        assert_eq!(
            unknown_field_warnings(&doc, false),
            vec![
                "unknown field \"spec.template.spec.affinity.nodeAffinity.\
                 requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1].\
                 matchExpressions[0].valuez\"",
                "unknown field \"spec.template.spec.affinity.podAntiAffinity.\
                 requiredDuringSchedulingIgnoredDuringExecution[0].topologyKeys\"",
            ]
        );
    }

    #[test]
    fn kruise_only_fields() {
        let doc = parse(
            r#"
apiVersion: apps.kruise.io/v1alpha1
kind: DaemonSet
metadata: {name: agent}
spec:
  burstReplicas: 10
  lifecycle:
    preDelete: {labelsHandler: {hold: "true"}, markPodNotReady: true}
  scaleStrategy: {partitionedScaling: true}
  selector: {matchLabels: {app: agent}}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      rollingUpdateType: InPlaceIfPossible
      partition: 2
      paused: false
      selector: {matchLabels: {pool: a}}
      maxUnavailable: 1
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: agent:v1}
status:
  daemonSetHash: abc
  updateRevision: def
  numberReady: 1
"#,
        );
        assert!(unknown_field_warnings(&doc, true).is_empty());
        assert_eq!(
            unknown_field_warnings(&doc, false),
            vec![
                r#"unknown field "spec.burstReplicas""#,
                r#"unknown field "spec.lifecycle""#,
                r#"unknown field "spec.scaleStrategy""#,
                r#"unknown field "spec.updateStrategy.rollingUpdate.rollingUpdateType""#,
                r#"unknown field "spec.updateStrategy.rollingUpdate.partition""#,
                r#"unknown field "spec.updateStrategy.rollingUpdate.paused""#,
                r#"unknown field "spec.updateStrategy.rollingUpdate.selector""#,
                r#"unknown field "status.daemonSetHash""#,
                r#"unknown field "status.updateRevision""#,
            ]
        );
        // Kruise still checks the typed parts it knows.
        let mut bad = doc.clone();
        if let Some(Value::Object(spec)) = bad.get_mut("spec") {
            spec.insert("scaleStrategy".into(), json!({"partitionedScalingg": true}));
        }
        assert_eq!(
            unknown_field_warnings(&bad, true),
            vec![r#"unknown field "spec.scaleStrategy.partitionedScalingg""#]
        );
    }

    #[test]
    fn free_form_maps_are_not_walked_and_non_objects_are_skipped() {
        let doc = json!({
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "annotations": {"x": {"deep": 1}},
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
                "ownerReferences": [{"kind": "X", "name": "y", "uid": "z", "bogus": 1}],
            },
            "spec": {
                "selector": null,
                "updateStrategy": "OnDelete",
                "template": {
                    "spec": {
                        "nodeSelector": {"anything": "goes"},
                        "overhead": {"cpu": "1"},
                        "containers": [
                            "not an object",
                            null,
                            {"name": "a", "env": [
                                {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "x", "nope": 1}}},
                            ]},
                        ],
                        "volumes": [
                            {"name": "v", "rbd": {"whatever": 1}},
                            {"name": "w", "hostPath": {"path": "/", "typ": "Directory"}},
                            {"name": "p", "projected": {"sources": [
                                {"serviceAccountToken": {"path": "t", "audiences": ["a"]}},
                            ]}},
                        ],
                    },
                },
            },
        });
        assert_eq!(
            unknown_field_warnings(&doc, false),
            vec![
                r#"unknown field "metadata.ownerReferences[0].bogus""#,
                r#"unknown field "spec.template.spec.containers[2].env[0].valueFrom.fieldRef.nope""#,
                r#"unknown field "spec.template.spec.volumes[1].hostPath.typ""#,
                r#"unknown field "spec.template.spec.volumes[2].projected.sources[0].serviceAccountToken.audiences""#,
            ]
        );
        assert!(unknown_field_warnings(&Value::Null, false).is_empty());
        assert!(unknown_field_warnings(&json!("text"), true).is_empty());
    }

    #[test]
    fn recent_pod_fields_are_known() {
        let doc = json!({
            "kind": "DaemonSet",
            "apiVersion": "apps/v1",
            "spec": {"template": {"spec": {
                "hostUsers": false,
                "os": {"name": "linux"},
                "schedulingGates": [{"name": "g"}],
                "resourceClaims": [{"name": "c", "resourceClaimTemplateName": "t"}],
                "resources": {"requests": {"cpu": "1"}, "claims": [{"name": "c", "request": "r"}]},
                "setHostnameAsFQDN": true,
                "shareProcessNamespace": true,
                "hostnameOverride": "h",
                "serviceAccount": "sa",
                "securityContext": {"seLinuxChangePolicy": "Recursive", "supplementalGroupsPolicy": "Strict",
                    "appArmorProfile": {"type": "RuntimeDefault"}, "sysctls": [{"name": "a", "value": "b"}]},
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule",
                    "minDomains": 1, "nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Ignore", "matchLabelKeys": ["a"]}],
                "initContainers": [{"name": "i", "restartPolicy": "Always",
                    "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}],
                    "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
                    "lifecycle": {"stopSignal": "SIGTERM", "preStop": {"sleep": {"seconds": 1}}},
                    "startupProbe": {"grpc": {"port": 1, "service": "s"}},
                    "env": [{"name": "E", "valueFrom": {"fileKeyRef": {"volumeName": "v", "path": "p", "key": "k"}}}],
                    "envFrom": [{"prefix": "P_", "configMapRef": {"name": "c"}}],
                    "volumeMounts": [{"name": "v", "mountPath": "/m", "recursiveReadOnly": "IfPossible"}]}],
                "ephemeralContainers": [{"name": "e", "targetContainerName": "i"}],
                "volumes": [{"name": "img", "image": {"reference": "r", "pullPolicy": "Always"}},
                    {"name": "pc", "projected": {"sources": [{"podCertificate": {"signerName": "s"}},
                        {"clusterTrustBundle": {"signerName": "s", "path": "p"}}]}}],
            }}},
        });
        assert!(unknown_field_warnings(&doc, false).is_empty());
        assert!(forbidden_container_restart_policies(&doc).is_empty());
    }

    #[test]
    fn restart_policy_in_regular_container() {
        let doc = json!({
            "spec": {"template": {"spec": {
                "initContainers": [{"name": "i", "restartPolicy": "Always"}],
                "containers": [
                    {"name": "a"},
                    {"name": "b", "restartPolicy": "Always"},
                    {"name": "c", "restartPolicy": null},
                ],
            }}},
        });
        assert_eq!(
            forbidden_container_restart_policies(&doc),
            vec!["spec.template.spec.containers[1].restartPolicy"]
        );
        assert!(unknown_field_warnings(&doc, false).is_empty());
        assert!(forbidden_container_restart_policies(&Value::Null).is_empty());
    }

    /// Every fixture DaemonSet: no unknown fields; only seed 15 sets a container restartPolicy.
    #[test]
    fn fixtures_have_no_unknown_fields() {
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/real"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/seed"),
        ];
        let mut checked = 0;
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.extension()
                        .and_then(|ext| ext.to_str())
                        .is_some_and(|ext| ext == "yaml" || ext == "yml")
                })
                .collect();
            paths.sort();
            for path in paths {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let docs = daemon_sets(&text);
                assert_eq!(docs.len(), 1, "{}: one DaemonSet", path.display());
                for doc in docs {
                    assert_eq!(
                        unknown_field_warnings(&doc, false),
                        Vec::<String>::new(),
                        "{}",
                        path.display()
                    );
                    let forbidden = forbidden_container_restart_policies(&doc);
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    if name == "15-ha-agent.yaml" {
                        assert_eq!(
                            forbidden,
                            vec!["spec.template.spec.containers[0].restartPolicy"]
                        );
                    } else {
                        assert!(forbidden.is_empty(), "{}: {forbidden:?}", path.display());
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 27, "only {checked} fixture DaemonSets checked");
    }
}
