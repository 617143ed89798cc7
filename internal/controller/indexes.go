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
	"maps"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// Field indexes on NairiSecrets.
const (
	// indexSecretRef maps a Secret name to the NairiSecrets reading their value from it.
	indexSecretRef = "spec.secretRef.name"
	// indexAPIKeyRef maps a Secret name to the NairiSecrets taking their API key from it.
	indexAPIKeyRef = "spec.apiKeySecretRef.name"
	// indexVaultKey maps "vaultID/envKey" to the NairiSecrets that claim that vault secret.
	indexVaultKey = "spec.vaultID/envKey"
	// indexVaultID maps a vault id to the NairiSecrets, and to the NairiVaults, of that vault.
	indexVaultID = "spec.vaultID"
)

func vaultKey(obj *secretsv1alpha1.NairiSecret) string {
	return obj.Spec.VaultID + "/" + obj.Spec.EnvKey
}

func registerIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	indexes := map[string]func(*secretsv1alpha1.NairiSecret) []string{
		indexSecretRef: func(o *secretsv1alpha1.NairiSecret) []string { return []string{o.Spec.SecretRef.Name} },
		indexAPIKeyRef: func(o *secretsv1alpha1.NairiSecret) []string {
			if o.Spec.APIKeySecretRef == nil {
				return nil
			}
			return []string{o.Spec.APIKeySecretRef.Name}
		},
		indexVaultKey: func(o *secretsv1alpha1.NairiSecret) []string { return []string{vaultKey(o)} },
		indexVaultID:  func(o *secretsv1alpha1.NairiSecret) []string { return []string{o.Spec.VaultID} },
	}
	for field, extract := range indexes {
		err := indexer.IndexField(ctx, &secretsv1alpha1.NairiSecret{}, field, func(o client.Object) []string {
			return extract(o.(*secretsv1alpha1.NairiSecret))
		})
		if err != nil {
			return fmt.Errorf("index NairiSecrets by %s: %w", field, err)
		}
	}
	err := indexer.IndexField(ctx, &secretsv1alpha1.NairiVault{}, indexVaultID, func(o client.Object) []string {
		return []string{o.(*secretsv1alpha1.NairiVault).Spec.VaultID}
	})
	if err != nil {
		return fmt.Errorf("index NairiVaults by %s: %w", indexVaultID, err)
	}
	return nil
}

// secretUsers maps a Secret to the NairiSecrets of its namespace that read their value
// or their API key from it.
func (r *NairiSecretReconciler) secretUsers(ctx context.Context, secret client.Object) []reconcile.Request {
	var requests []reconcile.Request
	for _, field := range []string{indexSecretRef, indexAPIKeyRef} {
		list := &secretsv1alpha1.NairiSecretList{}
		if err := r.List(ctx, list, client.InNamespace(secret.GetNamespace()),
			client.MatchingFields{field: secret.GetName()}); err != nil {
			logf.FromContext(ctx).Error(err, "list NairiSecrets for a Secret", "field", field)
			continue
		}
		for i := range list.Items {
			req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
			if !slices.Contains(requests, req) {
				requests = append(requests, req)
			}
		}
	}
	if secret.GetNamespace() == r.OperatorNamespace {
		requests = append(requests, r.vaultKeyUsers(ctx, secret.GetName())...)
	}
	return requests
}

// vaultKeyUsers maps a Secret of the operator's namespace to the NairiSecrets of the
// NairiVaults taking their API key from it, so a fixed key retries at once.
func (r *NairiSecretReconciler) vaultKeyUsers(ctx context.Context, name string) []reconcile.Request {
	vaults := &secretsv1alpha1.NairiVaultList{}
	if err := r.List(ctx, vaults); err != nil {
		logf.FromContext(ctx).Error(err, "list NairiVaults for a key Secret")
		return nil
	}
	var requests []reconcile.Request
	for i := range vaults.Items {
		if ref := vaults.Items[i].Spec.APIKeySecretRef; ref != nil && ref.Name == name {
			requests = append(requests, r.vaultUsers(ctx, &vaults.Items[i])...)
		}
	}
	return requests
}

// vaultUsers maps a NairiVault to the NairiSecrets of its vault that depend on a grant
// (those without a key of their own), so creating, changing or deleting it re-evaluates
// exactly them.
func (r *NairiSecretReconciler) vaultUsers(ctx context.Context, o client.Object) []reconcile.Request {
	vault, ok := o.(*secretsv1alpha1.NairiVault)
	if !ok {
		return nil
	}
	return r.grantDependents(ctx, client.MatchingFields{indexVaultID: vault.Spec.VaultID})
}

// namespaceUsers maps a Namespace whose labels changed to its NairiSecrets that depend on
// a grant: a namespaceSelector may now match it, or no longer.
func (r *NairiSecretReconciler) namespaceUsers(ctx context.Context, ns client.Object) []reconcile.Request {
	return r.grantDependents(ctx, client.InNamespace(ns.GetName()))
}

func (r *NairiSecretReconciler) grantDependents(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	list := &secretsv1alpha1.NairiSecretList{}
	if err := r.List(ctx, list, opts...); err != nil {
		logf.FromContext(ctx).Error(err, "list NairiSecrets that depend on a NairiVault")
		return nil
	}
	var requests []reconcile.Request
	for i := range list.Items {
		if list.Items[i].Spec.APIKeySecretRef == nil {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return requests
}

// conflictPeers maps a created or deleted NairiSecret to the others claiming the same
// vault secret: a new, older claimant makes an owner a loser at once (it forgets its
// digest, so it writes when it takes over); a deleted one lets the next in line take over.
func (r *NairiSecretReconciler) conflictPeers(ctx context.Context, o client.Object) []reconcile.Request {
	obj, ok := o.(*secretsv1alpha1.NairiSecret)
	if !ok {
		return nil
	}
	list := &secretsv1alpha1.NairiSecretList{}
	if err := r.List(ctx, list, client.MatchingFields{indexVaultKey: vaultKey(obj)}); err != nil {
		logf.FromContext(ctx).Error(err, "list NairiSecrets claiming the same vault secret")
		return nil
	}
	requests := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		if list.Items[i].UID != obj.UID {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return requests
}

func onCreateOrDelete() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
	}
}

func onDeleteOnly() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
	}
}

// userAnnotationChanged passes annotation changes other than the create-intent mark: a
// user annotates an object to make it retry now, while the operator's own mark must not
// start a second attempt of a create whose answer was definitive (Rejected, AlreadyExists).
func userAnnotationChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			without := func(a map[string]string) map[string]string {
				a = maps.Clone(a)
				delete(a, secretsv1alpha1.CreateIntentAnnotation)
				return a
			}
			return !maps.Equal(without(e.ObjectOld.GetAnnotations()), without(e.ObjectNew.GetAnnotations()))
		},
	}
}

// labelsChangedOnly passes label changes of an object, nothing else: a namespace's labels
// are all a grant looks at.
func labelsChangedOnly() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		UpdateFunc:  func(e event.UpdateEvent) bool { return !maps.Equal(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels()) },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
	}
}

// checkConflict finds the NairiSecret that owns this object's vaultID+envKey: the
// oldest, ordered by (creationTimestamp, namespace, name). Any other gets the terminal
// Conflict and makes no API calls; it takes over when the owner is deleted.
func (r *NairiSecretReconciler) checkConflict(ctx context.Context, obj *secretsv1alpha1.NairiSecret) *failure {
	owner, err := r.claimOwner(ctx, obj)
	if err != nil {
		return &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: err,
			message: "Could not list NairiSecrets from the Kubernetes cache to check for conflicts; retrying."}
	}
	if owner == nil || owner.UID == obj.UID {
		return nil
	}
	// A loser may have synced before the owner showed up (created in the same second, or
	// in a namespace watched only later). It forgets what it wrote, so that when it takes
	// over it writes its own value at once instead of claiming Synced with zero calls; it
	// keeps its secretID, by which the owner recognises the vault secret the loser created
	// (DESIGN.md §4 step 6 (d)) and which it PATCHes (or finds gone) when it takes over.
	obj.Status.SyncedDigest = ""
	// The other object's namespace is not named unless it is this one: a tenant learns
	// nothing about other namespaces from a conflict.
	other := "Another NairiSecret, which is older,"
	if owner.Namespace == obj.Namespace {
		other = fmt.Sprintf("NairiSecret %s, which is older,", owner.Name)
	}
	return &failure{reason: secretsv1alpha1.ReasonConflict, stalled: true,
		message: fmt.Sprintf("%s already syncs %s in vault %s, so this one makes no calls. Delete one of the two "+
			"(or use another envKey); this one takes over, and writes its own value, when the other is gone.",
			other, obj.Spec.EnvKey, obj.Spec.VaultID)}
}

// claimOwner returns the oldest NairiSecret claiming obj's vault secret.
func (r *NairiSecretReconciler) claimOwner(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (*secretsv1alpha1.NairiSecret, error) {
	list := &secretsv1alpha1.NairiSecretList{}
	if err := r.List(ctx, list, client.MatchingFields{indexVaultKey: vaultKey(obj)}); err != nil {
		return nil, fmt.Errorf("list NairiSecrets by vault secret: %w", err)
	}
	var owner *secretsv1alpha1.NairiSecret
	for i := range list.Items {
		if owner == nil || older(&list.Items[i], owner) {
			owner = &list.Items[i]
		}
	}
	return owner, nil
}

// older orders claims by creation time, then namespace, then name, so every replica and
// every reconcile agrees on one owner.
func older(a, b *secretsv1alpha1.NairiSecret) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}
