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

// SetLabel is put on every NairiSecret a NairiSecretSet manages; its value is the set's name.
const SetLabel = "secrets.nairi.ai/set"

// MaxSetKeys is how many keys one NairiSecretSet may list in spec.keys.
const MaxSetKeys = 256

// SecretNameReference names a Secret in the object's own namespace.
type SecretNameReference struct {
	// name of the Secret, in the same namespace as this NairiSecretSet.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be a valid Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`
}

// SetKey selects one data key of the Secret, and optionally the env key it gets.
// +kubebuilder:validation:XValidation:rule="has(self.envKey) == has(oldSelf.envKey) && (!has(self.envKey) || self.envKey == oldSelf.envKey)",message="keys[].envKey is immutable: remove the key from spec.keys, then add it back with the new envKey (its vault secret is deleted and created again)"
type SetKey struct {
	// key is the data key inside the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="key must be a valid Secret data key: letters, digits, '-', '_' and '.'"
	Key string `json:"key"`

	// envKey is the env key of this key in the vault, before spec.envKeyPrefix. Default:
	// the key itself with every character outside [A-Za-z0-9_] replaced by '_'.
	// Immutable.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z_][A-Za-z0-9_]*$')",message="envKey must be an environment variable name: letters, digits and '_', not starting with a digit"
	EnvKey string `json:"envKey,omitempty"`
}

// NairiSecretSetSpec says which keys of one Secret to keep in which Nairi vault. The
// fields after envKeyPrefix are copied to every child NairiSecret.
// +kubebuilder:validation:XValidation:rule="has(self.envKeyPrefix) == has(oldSelf.envKeyPrefix) && (!has(self.envKeyPrefix) || self.envKeyPrefix == oldSelf.envKeyPrefix)",message="envKeyPrefix is immutable: create a new NairiSecretSet with the new prefix and delete this one"
type NairiSecretSetSpec struct {
	// vaultID is the Nairi vault that holds the secrets: "vlt_" and a 26-character ULID.
	// Immutable: to move the secrets to another vault, create a new NairiSecretSet.
	// +required
	// +kubebuilder:validation:MinLength=30
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:XValidation:rule="self.matches('^vlt_[0-9A-HJKMNP-TV-Z]{26}$')",message="vaultID must be a Nairi vault id: vlt_ followed by 26 upper-case ULID characters, e.g. vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vaultID is immutable: create a new NairiSecretSet to sync into another vault"
	VaultID string `json:"vaultID"`

	// secretRef names the Secret, in this namespace, whose keys are kept in the vault.
	// +required
	SecretRef SecretNameReference `json:"secretRef"`

	// keys selects the Secret's keys to keep, each optionally under its own env key.
	// Empty (the default) keeps every key of the Secret, including keys added later.
	// A key listed here that the Secret lacks gets a child that reports SecretKeyNotFound.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=256
	Keys []SetKey `json:"keys,omitempty"`

	// envKeyPrefix is put before every env key, e.g. SHOP_ makes the key url SHOP_url.
	// Letters, digits and '_', not starting with a digit; not a prefix Nairi reserves.
	// Immutable.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z_][A-Za-z0-9_]*$')",message="envKeyPrefix must start an environment variable name: letters, digits and '_', not starting with a digit"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('NAIRI_') && !self.startsWith('CCAGENT_') && !self.startsWith('CCASECRET_')",message="envKeyPrefix must not start with NAIRI_, CCAGENT_ or CCASECRET_: Nairi reserves these prefixes"
	EnvKeyPrefix string `json:"envKeyPrefix,omitempty"`

	// allowedDomains restricts which hosts agents may send the secrets to. Empty (the
	// default) means no restriction. Copied to every child.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	AllowedDomains []DomainPattern `json:"allowedDomains,omitempty"`

	// deletionPolicy says what happens to a vault secret when its key leaves the set or
	// the set is deleted: Delete (the default) removes it, Retain leaves it in the vault.
	// Copied to every child.
	// +optional
	// +kubebuilder:default=Delete
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// refreshInterval is how often each child checks its vault secret for changes made
	// outside Kubernetes ("1h" by default, "0s" for never). Copied to every child.
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(\\\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="refreshInterval must be a non-negative duration such as 30s, 5m or 1h; use 0s to turn drift checks off"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(\\\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self) == duration('0s') || duration(self) >= duration('1s')",message="refreshInterval must be 0s (off) or at least 1s"
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// suspend stops all calls to the Nairi API for every child until it is set back to
	// false. Copied to every child.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// apiKeySecretRef names a Secret key in this namespace holding the Nairi API key to
	// use for every child. When unset, the children use the vault's key. Copied to every
	// child.
	// +optional
	APIKeySecretRef *SecretKeySelector `json:"apiKeySecretRef,omitempty"`
}

// NairiSecretSetStatus is what the operator last observed of the set and its children.
type NairiSecretSetStatus struct {
	// observedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// keys is how many children the set wants: one per key that maps to a valid env key.
	// +optional
	Keys int32 `json:"keys"`

	// readyKeys is how many of them are Ready.
	// +optional
	ReadyKeys int32 `json:"readyKeys"`

	// conditions: Ready is True when every child is Ready and every key has a valid env
	// key; otherwise its reason is InvalidKey, SecretNotFound, or the reason of the first
	// failing child (by env key), and its message names up to 5 failing env keys. Stalled
	// is present only while a human must act.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=nsecset,categories=nairi
// +kubebuilder:printcolumn:name="Vault",type=string,JSONPath=`.spec.vaultID`
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.spec.secretRef.name`
// +kubebuilder:printcolumn:name="Keys",type=integer,JSONPath=`.status.keys`
// +kubebuilder:printcolumn:name="ReadyKeys",type=integer,JSONPath=`.status.readyKeys`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="a NairiSecretSet name is at most 63 characters: it is the value of the secrets.nairi.ai/set label on its children"

// NairiSecretSet keeps every key (or chosen keys) of one Secret in a Nairi vault, by
// managing one child NairiSecret per key: children are added, updated and deleted as
// the Secret's keys come and go.
type NairiSecretSet struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec says which Secret's keys to keep in which vault.
	// +required
	Spec NairiSecretSetSpec `json:"spec"`

	// status is what the operator last observed of the set and its children.
	// +optional
	Status NairiSecretSetStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// NairiSecretSetList is a list of NairiSecretSets.
type NairiSecretSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []NairiSecretSet `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &NairiSecretSet{}, &NairiSecretSetList{})
		return nil
	})
}
