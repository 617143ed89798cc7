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
// force the deletion.
func (r *NairiSecretReconciler) finalize(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, secretsv1alpha1.Finalizer) {
		return ctrl.Result{}, nil
	}
	if f := r.deleteRemote(ctx, obj); f != nil {
		f.message = fmt.Sprintf("Cannot delete vault secret %s: %s To remove this object without deleting "+
			"the vault secret, set spec.deletionPolicy to Retain.", obj.Status.SecretID, f.message)
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

// deleteRemote deletes the vault secret when the policy says so and this object owns it.
func (r *NairiSecretReconciler) deleteRemote(ctx context.Context, obj *secretsv1alpha1.NairiSecret) *failure {
	id := obj.Status.SecretID
	if obj.Spec.DeletionPolicy == secretsv1alpha1.DeletionPolicyRetain || id == "" {
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
	api, f := r.Credentials.ClientFor(ctx, obj)
	if f != nil {
		return f
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
