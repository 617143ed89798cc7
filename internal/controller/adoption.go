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
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// intentSkew is the clock allowance between the create-intent mark (this process's clock)
// and created_at (Nairi's clock): a vault secret created no earlier than the mark minus
// intentSkew may be the one this object's lost POST created.
const intentSkew = 2 * time.Minute

// adoption is what decideAdoption knows about one "env_key already exists" answer.
type adoption struct {
	// markedBefore is true when the create-intent mark was on the object before this
	// reconcile began (an earlier attempt may have created the secret); mark is its time.
	markedBefore bool
	mark         time.Time
	// judgedForeign is true when the previous attempt already found the vault secret with
	// this env key foreign (Ready was AlreadyExists): a secret made shortly before the mark
	// does not become ours by trying again.
	judgedForeign bool
	// existing is the vault secret that has the env key.
	existing nairi.Secret
	// adoptionAllowed: the NairiVault in use says adoption: Allow (b).
	adoptionAllowed bool
	// ownKey: the object uses its own spec.apiKeySecretRef (c).
	ownKey bool
	// peerIDs are the secret ids that other NairiSecrets claiming the same vault and env
	// key record in their status (conflict peers in this cluster).
	peerIDs []string
}

// Adoption rules of DESIGN.md §4 step 6, by the name a reader looks for.
const (
	adoptLostAnswer = "(a) this object's earlier POST created it"
	adoptAllowed    = "(b) the NairiVault says adoption: Allow"
	adoptOwnKey     = "(c) the object uses its own API key"
	adoptPeer       = "(d) a conflict peer in this cluster created it"
)

// decideAdoption says whether a NairiSecret may take over a vault secret that already has
// its env key, and by which rule; "" means it may not (AlreadyExists). A NairiSecret takes
// over only what it may have created itself (a), what a peer of this cluster created (d),
// or anything when its grant says so (b, c). Everything else (made in the Nairi dashboard,
// by another cluster, or left by a deleted object with deletionPolicy Retain) is foreign.
func decideAdoption(a adoption) string {
	switch {
	case a.markedBefore && !a.judgedForeign && !a.existing.CreatedAt.Before(a.mark.Add(-intentSkew)):
		return adoptLostAnswer
	case a.adoptionAllowed:
		return adoptAllowed
	case a.ownKey:
		return adoptOwnKey
	case slices.Contains(a.peerIDs, a.existing.ID):
		return adoptPeer
	}
	return ""
}

// createIntent returns the time of obj's create-intent mark, and whether it has a valid one.
func createIntent(obj client.Object) (time.Time, bool) {
	value, ok := obj.GetAnnotations()[secretsv1alpha1.CreateIntentAnnotation]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, value)
	return t, err == nil
}

// markIntent writes the create-intent mark, with the finalizer when the object needs one,
// in one patch, before a POST (DESIGN.md §4 step 6). Once the API server has it, a vault
// secret this POST creates can be recognised (and deleted with the object) even if the
// answer is lost.
func (r *NairiSecretReconciler) markIntent(ctx context.Context, obj *secretsv1alpha1.NairiSecret) error {
	before := obj.DeepCopy()
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[secretsv1alpha1.CreateIntentAnnotation] = r.Now().UTC().Format(time.RFC3339)
	obj.SetAnnotations(annotations)
	if obj.Spec.DeletionPolicy != secretsv1alpha1.DeletionPolicyRetain {
		controllerutil.AddFinalizer(obj, secretsv1alpha1.Finalizer)
	}
	// The lock keeps a finalizer or annotation another writer added meanwhile. The patch
	// answers with the stored object, whose status lacks what this reconcile has noted so
	// far: that stays as it is, for the deferred status patch.
	status := obj.Status.DeepCopy()
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("write the create-intent mark: %w", err)
	}
	obj.Status = *status
	return nil
}

// peerSecretIDs returns the secret ids recorded by the other NairiSecrets claiming obj's
// vault and env key.
func (r *NairiSecretReconciler) peerSecretIDs(ctx context.Context, obj *secretsv1alpha1.NairiSecret) ([]string, error) {
	list := &secretsv1alpha1.NairiSecretList{}
	if err := r.List(ctx, list, client.MatchingFields{indexVaultKey: vaultKey(obj)}); err != nil {
		return nil, fmt.Errorf("list NairiSecrets by vault secret: %w", err)
	}
	var ids []string
	for i := range list.Items {
		if list.Items[i].UID != obj.UID && list.Items[i].Status.SecretID != "" {
			ids = append(ids, list.Items[i].Status.SecretID)
		}
	}
	return ids, nil
}

// alreadyExists is the terminal failure of a vault secret this object may not take over.
// It names the ways out and nothing about other namespaces or the secret itself.
func alreadyExists(obj *secretsv1alpha1.NairiSecret, g grant) *failure {
	allow := fmt.Sprintf("ask a cluster admin to set adoption: Allow on the NairiVault of vault %s (NairiVault %s)",
		obj.Spec.VaultID, g.vault)
	if g.vault == "" {
		allow = fmt.Sprintf("ask a cluster admin for a NairiVault of vault %s with adoption: Allow that allows this "+
			"namespace", obj.Spec.VaultID)
	}
	return &failure{reason: secretsv1alpha1.ReasonAlreadyExists, stalled: true,
		message: fmt.Sprintf("Vault %s already has a secret %s that this NairiSecret did not create, so it was left "+
			"untouched. Either delete it in Nairi (then annotate or edit this object to retry), or %s, or choose "+
			"another spec.envKey (a new NairiSecret, as envKey is immutable).",
			obj.Spec.VaultID, obj.Spec.EnvKey, allow)}
}
