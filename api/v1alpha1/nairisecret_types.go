/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// DeletionPolicy says what happens to the vault secret when its NairiSecret is deleted.
// +kubebuilder:validation:Enum=Delete;Retain
type DeletionPolicy string

const (
	// DeletionPolicyDelete deletes the vault secret before the NairiSecret goes away.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyRetain leaves the vault secret in the vault.
	DeletionPolicyRetain DeletionPolicy = "Retain"
)

// DomainPattern is a host an agent may send the secret to: a lowercase RFC 1123 hostname
// (api.example.com) or "*." followed by one (*.example.com). No scheme, port or path.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^(\\\\*\\\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="each allowedDomains entry must be a lowercase hostname such as api.example.com, or *. followed by one such as *.example.com; no scheme, port, path or upper case"
type DomainPattern string

// SecretKeySelector points at one data key of a Secret in the NairiSecret's own namespace.
type SecretKeySelector struct {
	// name of the Secret, in the same namespace as this NairiSecret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be a valid Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`

	// key is the data key inside the Secret whose value is used.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="key must be a valid Secret data key: letters, digits, '-', '_' and '.'"
	Key string `json:"key"`
}

// SourceSecretRef names the Secret, in the NairiSecret's own namespace, the value comes
// from, and the data key holding it. The key is left out when spec.template composes the
// value from several keys instead.
type SourceSecretRef struct {
	// name of the Secret, in the same namespace as this NairiSecret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be a valid Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`

	// key is the data key inside the Secret whose value is used. Required unless
	// spec.template is set, and not allowed together with it.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="key must be a valid Secret data key: letters, digits, '-', '_' and '.'"
	Key string `json:"key,omitempty"`
}

// MaxTemplateLength is the longest spec.template the API server accepts (4 KiB).
const MaxTemplateLength = 4096

// NairiSecretSpec says which Secret key to keep in which Nairi vault, under which env key.
// +kubebuilder:validation:XValidation:rule="has(self.secretRef.key) != has(self.template)",message="set exactly one of spec.secretRef.key (push one key as it is) and spec.template (compose the value from the Secret's keys)"
type NairiSecretSpec struct {
	// vaultID is the Nairi vault that holds the secret: "vlt_" and a 26-character ULID.
	// The vault is created outside Kubernetes (dashboard or API). Immutable: to move a
	// secret to another vault, create a new NairiSecret.
	// +required
	// +kubebuilder:validation:MinLength=30
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:XValidation:rule="self.matches('^vlt_[0-9A-HJKMNP-TV-Z]{26}$')",message="vaultID must be a Nairi vault id: vlt_ followed by 26 upper-case ULID characters, e.g. vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vaultID is immutable: create a new NairiSecret to sync into another vault"
	VaultID string `json:"vaultID"`

	// envKey is the environment variable name agents see the secret under (as the
	// placeholder $CCASECRET_<envKey>). Letters, digits and '_', not starting with a digit;
	// the prefixes NAIRI_, CCAGENT_ and CCASECRET_ are reserved by Nairi. Immutable: the
	// API cannot rename a secret, so create a new NairiSecret instead.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z_][A-Za-z0-9_]*$')",message="envKey must be an environment variable name: letters, digits and '_', not starting with a digit"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('NAIRI_') && !self.startsWith('CCAGENT_') && !self.startsWith('CCASECRET_')",message="envKey must not start with NAIRI_, CCAGENT_ or CCASECRET_: Nairi reserves these prefixes"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="envKey is immutable: create a new NairiSecret for the new key and delete this one"
	EnvKey string `json:"envKey"`

	// secretRef names the Secret, in this namespace, whose value is pushed to the vault:
	// its key secretRef.key as it is, or the value spec.template composes from its keys.
	// The value must be non-empty UTF-8 text.
	// +required
	SecretRef SourceSecretRef `json:"secretRef"`

	// template composes the value from several keys of the Secret, as a Go text/template
	// whose data are the Secret's keys as strings, for example
	// "postgresql://{{ .username }}:{{ urlquery .password }}@{{ .host }}:5432/shop".
	// Keys that are not identifiers are read with index: {{ index . "tls.crt" }}. A key
	// the template uses but the Secret lacks is SecretKeyNotFound. The functions, each
	// shown with what it makes of an input:
	//   urlquery    query escaping, for user and password in URLs: p@ss/w:rd -> p%40ss%2Fw%3Ard
	//   pathEscape  path-segment escaping: my db -> my%20db
	//   b64enc      base64: hello -> aGVsbG8=
	//   b64dec      from base64: aGVsbG8= -> hello
	//   trim        drop surrounding white space and newlines: " hello\n" -> hello
	//   lower       lower case: Hello -> hello
	//   upper       upper case: Hello -> HELLO
	//   json        a quoted JSON string, for values inside JSON: a"b -> "a\"b"
	// besides the template language's own index, len, slice, and, or, not, eq, ne, lt, le,
	// gt and ge (print, printf, println, html, js and call are not available). Exclusive
	// with secretRef.key. At most 4 KiB.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Template string `json:"template,omitempty"`

	// allowedDomains restricts which hosts agents may send the secret to. Empty (the
	// default) means no restriction. Compared as a set: order does not matter.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	AllowedDomains []DomainPattern `json:"allowedDomains,omitempty"`

	// deletionPolicy says what happens to the vault secret when this object is deleted:
	// Delete (the default) removes it from the vault, Retain leaves it there.
	// +optional
	// +kubebuilder:default=Delete
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// refreshInterval is how often the operator checks that nobody changed or deleted the
	// vault secret behind its back, as a duration such as "30s", "5m" or "1h" (the default).
	// "0s" turns the check off. Changes to the source Secret are pushed at once regardless.
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(\\\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="refreshInterval must be a non-negative duration such as 30s, 5m or 1h; use 0s to turn drift checks off"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(\\\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) == duration('0s') || duration(self) >= duration('1s')",message="refreshInterval must be 0s (off) or at least 1s"
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// suspend stops all calls to the Nairi API for this object until it is set back to
	// false. Deleting the object is still honoured.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// apiKeySecretRef names a Secret key in this namespace holding the Nairi API key
	// (nr_...) to use for this object. When unset, the operator's own key is used.
	// +optional
	APIKeySecretRef *SecretKeySelector `json:"apiKeySecretRef,omitempty"`
}

// NairiSecretStatus is what the operator last observed and did.
type NairiSecretStatus struct {
	// secretID is the id (sec_...) of the vault secret this object keeps.
	// +optional
	SecretID string `json:"secretID,omitempty"`

	// observedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// syncedDigest is a keyed HMAC-SHA256 of the value and allowed domains last pushed,
	// so a change can be detected without keeping the value. Never a plain hash.
	// +optional
	SyncedDigest string `json:"syncedDigest,omitempty"`

	// lastSyncedTime is when the value was last written to the vault (POST or PATCH).
	// +optional
	LastSyncedTime *metav1.Time `json:"lastSyncedTime,omitempty"`

	// syncedFrom records what the synced value was read from, so that a reconcile (after
	// a restart, say) that finds the same resourceVersions in its metadata cache, at the
	// same generation, knows the vault is current without reading the Secret again.
	// +optional
	SyncedFrom *SyncedFrom `json:"syncedFrom,omitempty"`

	// remoteUpdatedAt is the updated_at the API returned for the operator's last write,
	// exactly as the API sent it. A later updated_at in the vault means someone else
	// changed the secret.
	// +optional
	RemoteUpdatedAt string `json:"remoteUpdatedAt,omitempty"`

	// conditions: Ready says whether the vault holds the current value (reason says why
	// not); Stalled is present only while a human must act.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SyncedFrom is the state of the inputs of a synced value: the resourceVersions of the
// Secrets it was read from and the spec generation it was pushed for.
type SyncedFrom struct {
	// secretResourceVersion is the source Secret's resourceVersion (templates read the same
	// Secret, so it covers them too).
	// +optional
	SecretResourceVersion string `json:"secretResourceVersion,omitempty"`

	// apiKeySecretResourceVersion is the resourceVersion of the Secret holding the API key
	// used, when the key comes from a Secret.
	// +optional
	APIKeySecretResourceVersion string `json:"apiKeySecretResourceVersion,omitempty"`

	// generation is the metadata.generation the value was synced for.
	// +optional
	Generation int64 `json:"generation,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=nsec,categories=nairi
// +kubebuilder:printcolumn:name="Vault",type=string,JSONPath=`.spec.vaultID`
// +kubebuilder:printcolumn:name="EnvKey",type=string,JSONPath=`.spec.envKey`
// +kubebuilder:printcolumn:name="SecretID",type=string,JSONPath=`.status.secretID`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// NairiSecret keeps one key of a Kubernetes Secret in a Nairi vault, where AI agents
// use it. The operator creates the vault secret, rotates it when the Secret changes,
// repairs it when it is changed or deleted in Nairi, and deletes it with this object.
type NairiSecret struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec says which Secret key to keep in which vault.
	// +required
	Spec NairiSecretSpec `json:"spec"`

	// status is what the operator last observed and did.
	// +optional
	Status NairiSecretStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// NairiSecretList is a list of NairiSecrets.
type NairiSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []NairiSecret `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &NairiSecret{}, &NairiSecretList{})
		return nil
	})
}
