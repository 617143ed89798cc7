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
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// finalize handles a deleted NairiSecret (step 1 of DESIGN.md §4): with deletionPolicy
// Delete it deletes the vault secret (404 counts as done), then removes the finalizer;
// with Retain it removes the finalizer at once. It runs even while suspended, because
// deleting is an explicit act. While the DELETE fails, Ready says Deleting and how to
// force the deletion. A namespace being deleted never waits on this operator: with no
// API key left to authenticate the DELETE, the finalizer is released (Orphaned).
func (r *NairiSecretReconciler) finalize(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, secretsv1alpha1.Finalizer) {
		return ctrl.Result{}, nil
	}
	if f := r.deleteRemote(ctx, obj); f != nil {
		f.message = fmt.Sprintf("Cannot delete vault secret %s: %s To remove this object without deleting "+
			"the vault secret, set spec.deletionPolicy to Retain.", deletedName(obj), f.message)
		f.reason, f.stalled = secretsv1alpha1.ReasonDeleting, false
		if f.err == nil && f.retryAfter == 0 {
			f.retryAfter = jitter(slowRetry)
		}
		return r.fail(ctx, obj, f)
	}
	before := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, secretsv1alpha1.Finalizer)
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("remove finalizer: %w", err))
	}
	return ctrl.Result{}, nil
}

// deleteRemote deletes the vault secret when the policy says so and this object owns it:
// the one in status.secretID, else, when a create-intent mark says a POST may have
// created one whose answer was lost, the secret with this env key created since the mark.
func (r *NairiSecretReconciler) deleteRemote(ctx context.Context, obj *secretsv1alpha1.NairiSecret) *failure {
	mark, marked := createIntent(obj)
	if obj.Spec.DeletionPolicy == secretsv1alpha1.DeletionPolicyRetain || (obj.Status.SecretID == "" && !marked) {
		return nil
	}
	// An object that lost a conflict never owned the vault secret: deleting it would
	// pull the value from under the owner.
	owner, err := r.claimOwner(ctx, obj)
	if err != nil {
		return &failure{err: err, message: "could not check who owns the vault secret."}
	}
	if owner != nil && owner.UID != obj.UID {
		logf.FromContext(ctx).Info("not deleting the vault secret: another NairiSecret owns it",
			"owner", client.ObjectKeyFromObject(owner))
		return nil
	}
	api, f := r.deletionClient(ctx, obj)
	if f != nil {
		return r.orphanIfNamespaceGone(ctx, obj, f)
	}
	id := obj.Status.SecretID
	if id == "" {
		if id, f = r.intendedSecret(ctx, obj, api, mark); f != nil || id == "" {
			return f
		}
	}
	err = api.DeleteSecret(ctx, obj.Spec.VaultID, id)
	r.Lists.Invalidate(api, obj.Spec.VaultID)
	if err != nil && !nairi.IsNotFound(err) {
		return classify(err, "delete the vault secret", obj)
	}
	logf.FromContext(ctx).Info("deleted vault secret", "secretID", id, "vaultID", obj.Spec.VaultID)
	r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, secretsv1alpha1.EventDeleted, "Delete",
		"Deleted vault secret %s (%s) from vault %s", id, obj.Spec.EnvKey, obj.Spec.VaultID)
	obj.Status.SecretID = ""
	return nil
}

// deletionClient is the client to delete with: the key the object resolves to now, else
// the key this process last used for it (its key Secret deleted with its namespace, or its
// NairiVault withdrawn).
func (r *NairiSecretReconciler) deletionClient(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (vaultAPI, *failure) {
	g, f := r.grantFor(ctx, obj)
	if f == nil {
		var api vaultAPI
		if api, f = r.Credentials.ClientForGrant(ctx, g); f == nil {
			return api, nil
		}
	}
	if used, ok := r.lastKeys.Load(client.ObjectKeyFromObject(obj)); ok && used.(usedKey).uid == obj.UID {
		logf.FromContext(ctx).Info("deleting with the API key last used for this object", "reason", f.reason)
		return used.(usedKey).api, nil
	}
	return vaultAPI{}, f
}

// intendedSecret finds the vault secret a POST with a lost answer may have created: the
// one with this env key created no earlier than the create-intent mark minus intentSkew.
// "" when there is none.
func (r *NairiSecretReconciler) intendedSecret(ctx context.Context, obj *secretsv1alpha1.NairiSecret, api vaultAPI,
	mark time.Time) (string, *failure) {
	secrets, err := api.ListSecrets(ctx, obj.Spec.VaultID)
	if err != nil {
		return "", classify(err, "list the vault for a secret whose creation was not recorded", obj)
	}
	for _, s := range secrets {
		if s.EnvKey == obj.Spec.EnvKey && !s.CreatedAt.Before(mark.Add(-intentSkew)) {
			return s.ID, nil
		}
	}
	return "", nil
}

// orphanIfNamespaceGone releases an object whose namespace is being deleted when no key
// is left to delete its vault secret with: the namespace deletion must not hang on this
// operator. The vault secret stays; a Warning Event Orphaned names it and
// nairi_secrets_orphaned_total counts it. Otherwise the failure stands (Deleting).
func (r *NairiSecretReconciler) orphanIfNamespaceGone(ctx context.Context, obj *secretsv1alpha1.NairiSecret, f *failure) *failure {
	if f.err != nil { // a transient failure, not a missing key
		return f
	}
	ns, err := r.namespaceOf(ctx, obj.Namespace)
	if err != nil || ns.DeletionTimestamp.IsZero() {
		return f
	}
	note := fmt.Sprintf("Namespace %s is being deleted and no API key is left to delete vault secret %s of "+
		"NairiSecret %s: released it without deleting the vault secret. Delete it in Nairi if it is no longer needed.",
		obj.Namespace, deletedName(obj), obj.Name)
	logf.FromContext(ctx).Info("orphaned the vault secret: namespace deleted with its API key",
		"vaultID", obj.Spec.VaultID, "secretID", obj.Status.SecretID, "envKey", obj.Spec.EnvKey)
	// A terminating namespace accepts no new objects, Events included: the Event goes to
	// the Namespace (cluster-scoped, so it lands in "default") and names the NairiSecret.
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	r.Recorder.Eventf(ns, obj, corev1.EventTypeWarning, secretsv1alpha1.EventOrphaned, "Delete", "%s", note)
	r.Metrics.Orphaned()
	return nil
}

// deletedName names the vault secret in messages: its id, else its env key and vault.
func deletedName(obj *secretsv1alpha1.NairiSecret) string {
	if obj.Status.SecretID != "" {
		return fmt.Sprintf("%s (%s in vault %s)", obj.Status.SecretID, obj.Spec.EnvKey, obj.Spec.VaultID)
	}
	return fmt.Sprintf("%s in vault %s", obj.Spec.EnvKey, obj.Spec.VaultID)
}
