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

package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// keySource says where the API key of a NairiSecret comes from: a Secret key (in the
// object's namespace, or in the operator's for a NairiVault's key), or the operator's own
// key when ref is nil.
type keySource struct {
	namespace string
	ref       *secretsv1alpha1.SecretKeySelector
	// what names the Secret's role in messages, e.g. "the API key Secret (spec.apiKeySecretRef)".
	what string
}

// grant is what DESIGN.md §2.2 allows a NairiSecret: the key it writes with and whether it
// may take over vault secrets it did not create (§4 step 6 (b) and (c)).
type grant struct {
	key keySource
	// vault is the name of the NairiVault that grants the use of the vault; "" when the
	// object brings its own key or grants are not required.
	vault string
	// ownKey is true when the object brings its own key: it may adopt (§4 step 6 (c)).
	ownKey bool
	// adoptionAllowed is true when the granting NairiVault says adoption: Allow (§4 step 6 (b)).
	adoptionAllowed bool
}

// resolveGrant decides, from what the cache holds, which key a NairiSecret may use
// (DESIGN.md §2.2, §4 step 3):
//   - its own spec.apiKeySecretRef: the key is its authority; it may adopt (c);
//   - else the NairiVault of its vault that allows its namespace (listed, or matched by
//     namespaceSelector): that NairiVault's key, else the operator's; it may adopt when
//     the NairiVault says adoption: Allow (b). Of two NairiVaults of one vault, only the
//     oldest grants (the other is in Conflict);
//   - else, when grants are not required (--require-vault-grant=false), the operator's key
//     without adoption;
//   - else VaultNotAllowed: Stalled, no API call, re-evaluated when a NairiVault or the
//     namespace's labels change.
//
// vaults are the NairiVaults of obj's vaultID; nsLabels are the labels of obj's namespace.
func resolveGrant(obj *secretsv1alpha1.NairiSecret, nsLabels map[string]string, vaults []secretsv1alpha1.NairiVault,
	requireGrant bool, operatorNamespace string) (grant, *failure) {
	if ref := obj.Spec.APIKeySecretRef; ref != nil {
		return grant{key: keySource{namespace: obj.Namespace, ref: ref,
			what: "the API key Secret (spec.apiKeySecretRef)"}, ownKey: true}, nil
	}
	if v := grantingVault(vaults); v != nil && allowsNamespace(v, obj.Namespace, nsLabels) {
		g := grant{vault: v.Name, adoptionAllowed: v.Spec.Adoption == secretsv1alpha1.AdoptionAllow}
		if ref := v.Spec.APIKeySecretRef; ref != nil {
			g.key = keySource{namespace: operatorNamespace, ref: ref,
				what: fmt.Sprintf("the API key Secret of NairiVault %s (spec.apiKeySecretRef)", v.Name)}
		}
		return g, nil
	}
	if !requireGrant {
		return grant{}, nil
	}
	return grant{}, &failure{reason: secretsv1alpha1.ReasonVaultNotAllowed, stalled: true,
		message: fmt.Sprintf("No NairiVault lets namespace %s use vault %s with the operator's API key, so no call "+
			"was made. A cluster admin must create (or extend) a NairiVault with spec.vaultID %s that lists %s in "+
			"spec.namespaces or matches it with spec.namespaceSelector; or set spec.apiKeySecretRef to a key of "+
			"this namespace. This object is re-evaluated as soon as that happens.",
			obj.Namespace, obj.Spec.VaultID, obj.Spec.VaultID, obj.Namespace)}
}

// grantingVault returns the NairiVault that speaks for a vault: the oldest, ordered by
// (creationTimestamp, name). A younger one of the same vault is in Conflict and grants
// nothing, so adding a NairiVault can never widen what an existing one decided.
func grantingVault(vaults []secretsv1alpha1.NairiVault) *secretsv1alpha1.NairiVault {
	var oldest *secretsv1alpha1.NairiVault
	for i := range vaults {
		if !vaults[i].DeletionTimestamp.IsZero() {
			continue
		}
		if oldest == nil || olderVault(&vaults[i], oldest) {
			oldest = &vaults[i]
		}
	}
	return oldest
}

func olderVault(a, b *secretsv1alpha1.NairiVault) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// allowsNamespace: listed by name, or matched by the selector ({} matches every
// namespace, unset matches none). A selector the API server let through but that does not
// parse allows nothing.
func allowsNamespace(v *secretsv1alpha1.NairiVault, namespace string, nsLabels map[string]string) bool {
	if slices.Contains(v.Spec.Namespaces, namespace) {
		return true
	}
	if v.Spec.NamespaceSelector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(v.Spec.NamespaceSelector.AsLabelSelector())
	return err == nil && sel.Matches(labels.Set(nsLabels))
}

// grantFor gathers from the cache what resolveGrant decides on: the NairiVaults of the
// object's vault and its namespace's labels.
func (r *NairiSecretReconciler) grantFor(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (grant, *failure) {
	if obj.Spec.APIKeySecretRef != nil {
		return resolveGrant(obj, nil, nil, r.RequireVaultGrant, r.OperatorNamespace)
	}
	vaults := &secretsv1alpha1.NairiVaultList{}
	if err := r.List(ctx, vaults, client.MatchingFields{indexVaultID: obj.Spec.VaultID}); err != nil {
		return grant{}, &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: fmt.Errorf("list NairiVaults: %w", err),
			message: "Could not list NairiVaults from the Kubernetes cache; retrying."}
	}
	ns, err := r.namespaceOf(ctx, obj.Namespace)
	if err != nil {
		return grant{}, &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: err,
			message: fmt.Sprintf("Could not read namespace %s from the Kubernetes cache; retrying.", obj.Namespace)}
	}
	return resolveGrant(obj, ns.GetLabels(), vaults.Items, r.RequireVaultGrant, r.OperatorNamespace)
}

// namespaceOf reads a Namespace's metadata from the cache (Namespaces are watched as
// metadata only). A namespace the cache does not know has no labels and is not terminating.
func (r *NairiSecretReconciler) namespaceOf(ctx context.Context, name string) (*metav1.PartialObjectMetadata, error) {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return ns, nil
		}
		return nil, fmt.Errorf("get namespace %s: %w", name, err)
	}
	return ns, nil
}

// explain points an Unauthorized failure at the key actually in use: a NairiVault's key
// Secret rather than the operator's key.
func (g grant) explain(obj *secretsv1alpha1.NairiSecret, f *failure) *failure {
	if f.reason == secretsv1alpha1.ReasonUnauthorized && g.vault != "" && g.key.ref != nil {
		f.message = strings.Replace(f.message, keyHint(obj), g.key.hint(), 1)
	}
	return f
}
