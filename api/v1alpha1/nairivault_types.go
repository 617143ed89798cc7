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

// AdoptionPolicy says whether NairiSecrets may take over vault secrets they did not create.
// +kubebuilder:validation:Enum=Deny;Allow
type AdoptionPolicy string

const (
	// AdoptionDeny refuses to take over a vault secret a NairiSecret did not create: the
	// NairiSecret reports AlreadyExists and the vault secret is left as it is.
	AdoptionDeny AdoptionPolicy = "Deny"
	// AdoptionAllow lets a NairiSecret take over (and overwrite) a vault secret with its
	// env key that it did not create, e.g. one made in the Nairi dashboard.
	AdoptionAllow AdoptionPolicy = "Allow"
)

// NairiVaultSpec says which namespaces may write to one vault with a key they do not hold.
type NairiVaultSpec struct {
	// vaultID is the Nairi vault this object grants access to: "vlt_" and a 26-character
	// ULID. Immutable: to grant another vault, create another NairiVault.
	// +required
	// +kubebuilder:validation:MinLength=30
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:XValidation:rule="self.matches('^vlt_[0-9A-HJKMNP-TV-Z]{26}$')",message="vaultID must be a Nairi vault id: vlt_ followed by 26 upper-case ULID characters, e.g. vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vaultID is immutable: create a new NairiVault to grant another vault"
	VaultID string `json:"vaultID"`

	// namespaces lists, by exact name, namespaces whose NairiSecrets may use this vault.
	// A namespace is allowed when it is listed here OR matches namespaceSelector; with
	// neither set, no namespace is.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=1024
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self.all(n, !format.dns1123Label().validate(n).hasValue())",message="each namespaces entry must be a namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit"
	Namespaces []string `json:"namespaces,omitempty"`

	// namespaceSelector allows every namespace whose labels it matches. {} matches every
	// namespace; unset matches none.
	// +optional
	NamespaceSelector *NamespaceSelector `json:"namespaceSelector,omitempty"`

	// apiKeySecretRef names a Secret key in the operator's namespace holding the Nairi API
	// key (nr_...) used for this vault. When unset, the operator's own key is used.
	// +optional
	APIKeySecretRef *SecretKeySelector `json:"apiKeySecretRef,omitempty"`

	// adoption says whether NairiSecrets may take over a vault secret with their env key
	// that they did not create (made in the Nairi dashboard, by another cluster, or left by a
	// deleted NairiSecret with deletionPolicy Retain). Deny (the default) leaves such a
	// secret untouched and reports AlreadyExists; Allow overwrites it.
	// +optional
	// +kubebuilder:default=Deny
	Adoption AdoptionPolicy `json:"adoption,omitempty"`
}

// NamespaceSelector selects namespaces by their labels. It reads and means exactly what a
// metav1.LabelSelector does; it is its own type only so that the API server can check it
// (CEL needs bounded sizes to accept its rules).
type NamespaceSelector struct {
	// matchLabels: every one of these labels must be on the namespace with this value.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && !format.qualifiedName().validate(k).hasValue())",message="namespaceSelector.matchLabels keys must be label keys such as team or example.com/team"
	MatchLabels map[string]LabelValue `json:"matchLabels,omitempty"`

	// matchExpressions: every one of these requirements must hold.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	MatchExpressions []NamespaceSelectorRequirement `json:"matchExpressions,omitempty"`
}

// NamespaceSelectorRequirement is one requirement of a NamespaceSelector, as in a
// metav1.LabelSelectorRequirement.
// +kubebuilder:validation:XValidation:rule="(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",message="namespaceSelector.matchExpressions[]: In and NotIn need at least one value, Exists and DoesNotExist take none"
type NamespaceSelectorRequirement struct {
	// key is the label key the requirement applies to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="!format.qualifiedName().validate(self).hasValue()",message="namespaceSelector.matchExpressions[].key must be a label key such as team or example.com/team"
	Key string `json:"key"`

	// operator is In, NotIn, Exists or DoesNotExist.
	// +required
	// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist
	Operator metav1.LabelSelectorOperator `json:"operator"`

	// values: for In and NotIn, at least one; for Exists and DoesNotExist, none.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Values []LabelValue `json:"values,omitempty"`
}

// LabelValue is a label value: at most 63 letters, digits, '-', '_' or '.', starting and
// ending with a letter or digit, or empty.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="!format.labelValue().validate(self).hasValue()",message="namespaceSelector values must be label values: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
type LabelValue string

// AsLabelSelector returns the selector as the metav1.LabelSelector it mirrors.
func (s *NamespaceSelector) AsLabelSelector() *metav1.LabelSelector {
	if s == nil {
		return nil
	}
	out := &metav1.LabelSelector{}
	if s.MatchLabels != nil {
		out.MatchLabels = make(map[string]string, len(s.MatchLabels))
		for k, v := range s.MatchLabels {
			out.MatchLabels[k] = string(v)
		}
	}
	for _, e := range s.MatchExpressions {
		req := metav1.LabelSelectorRequirement{Key: e.Key, Operator: e.Operator}
		for _, v := range e.Values {
			req.Values = append(req.Values, string(v))
		}
		out.MatchExpressions = append(out.MatchExpressions, req)
	}
	return out
}

// NairiVaultStatus is what the operator last verified.
type NairiVaultStatus struct {
	// observedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready is True (reason Verified) once a List of the vault with its key
	// succeeded; False with VaultNotFound, Unauthorized, APIUnavailable or Conflict (another
	// NairiVault of the same vault is older; this one grants nothing).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=nvault,categories=nairi
// +kubebuilder:printcolumn:name="VaultID",type=string,JSONPath=`.spec.vaultID`
// +kubebuilder:printcolumn:name="Adoption",type=string,JSONPath=`.spec.adoption`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// NairiVault lets NairiSecrets of the namespaces it names write to one Nairi vault with
// the operator's key (or the key it names). A cluster admin creates it; a NairiSecret
// without its own apiKeySecretRef needs one for its vault.
type NairiVault struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec says which vault, which namespaces, which key and whether adoption is allowed.
	// +required
	Spec NairiVaultSpec `json:"spec"`

	// status is what the operator last verified.
	// +optional
	Status NairiVaultStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// NairiVaultList is a list of NairiVaults.
type NairiVaultList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []NairiVault `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &NairiVault{}, &NairiVaultList{})
		return nil
	})
}
