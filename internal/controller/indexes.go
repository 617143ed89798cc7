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
	}
	for field, extract := range indexes {
		err := indexer.IndexField(ctx, &secretsv1alpha1.NairiSecret{}, field, func(o client.Object) []string {
			return extract(o.(*secretsv1alpha1.NairiSecret))
		})
		if err != nil {
			return fmt.Errorf("index NairiSecrets by %s: %w", field, err)
		}
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
	return requests
}

// conflictPeers maps a deleted NairiSecret to the others claiming the same vault
// secret, so the next in line takes over.
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

func onDeleteOnly() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
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
	// in a namespace watched only later). The owner now has the vault secret and may
	// delete it; keeping its id and digest would let this object claim Synced later
	// without writing anything.
	obj.Status.SecretID, obj.Status.SyncedDigest, obj.Status.RemoteUpdatedAt = "", "", ""
	obj.Status.LastSyncedTime, obj.Status.SyncedFrom = nil, nil
	return &failure{reason: secretsv1alpha1.ReasonConflict, stalled: true,
		message: fmt.Sprintf("NairiSecret %s/%s, which is older, already syncs %s in vault %s. Delete one of the two; "+
			"this one takes over when the other is gone.", owner.Namespace, owner.Name, obj.Spec.EnvKey, obj.Spec.VaultID)}
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
