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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// NairiVaultReconciler verifies NairiVaults (DESIGN.md §2.2): one List of the vault with
// its key when it is created, when its spec changes and when its key Secret changes, never
// on a timer; a second NairiVault of the same vault is in Conflict.
type NairiVaultReconciler struct {
	client.Client
	Recorder recorder.EventRecorder
	// Credentials hands out the client of the vault's key (shared with NairiSecrets).
	Credentials *Credentials
	// OperatorNamespace holds the API-key Secrets NairiVaults name.
	OperatorNamespace string
	// Metrics exports each NairiVault's conditions; nil disables it.
	Metrics *ObjectMetrics

	// verified remembers, per NairiVault, the generation and key last verified, so that
	// a resync, a restart or an unrelated Secret event makes no call.
	verified sync.Map // object name -> verification
}

type verification struct {
	uid        types.UID
	generation int64
	keyID      string
}

// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairivaults,verbs=get;list;watch
// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairivaults/status,verbs=get;update;patch

// Reconcile checks one NairiVault: Conflict, then its key, then (when not yet done for
// this generation and key) one List of its vault. The status is written once, deferred.
func (r *NairiVaultReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	obj := &secretsv1alpha1.NairiVault{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.verified.Delete(req.Name)
			r.Metrics.ForgetObject(KindNairiVault, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // deleting a NairiVault never touches the vault
	}
	base := obj.DeepCopy()
	defer func() {
		if perr := r.patchStatus(ctx, base, obj); perr != nil && err == nil {
			err = perr
		}
	}()

	if f := r.checkVaultConflict(ctx, obj); f != nil {
		r.verified.Delete(obj.Name)
		return r.fail(obj, f)
	}
	g := grant{vault: obj.Name, key: vaultKeySource(obj, r.OperatorNamespace)}
	api, f := r.Credentials.ClientForGrant(ctx, g)
	if f != nil {
		return r.fail(obj, untimed(f))
	}
	if r.alreadyVerified(obj, api.keyID) {
		return ctrl.Result{}, nil
	}
	if _, err := api.ListSecrets(ctx, obj.Spec.VaultID); err != nil {
		standIn := &secretsv1alpha1.NairiSecret{Spec: secretsv1alpha1.NairiSecretSpec{VaultID: obj.Spec.VaultID}}
		return r.fail(obj, untimed(g.explain(standIn, classify(err, "list the vault", standIn))))
	}
	r.verified.Store(obj.Name, verification{uid: obj.UID, generation: obj.Generation, keyID: api.keyID})
	obj.Status.ObservedGeneration = obj.Generation
	setVaultCondition(obj, secretsv1alpha1.ConditionReady, metav1.ConditionTrue, secretsv1alpha1.ReasonVerified,
		fmt.Sprintf("Listed vault %s with %s.", obj.Spec.VaultID, keyName(g.key)))
	meta.RemoveStatusCondition(&obj.Status.Conditions, secretsv1alpha1.ConditionStalled)
	return ctrl.Result{}, nil
}

// alreadyVerified says whether this generation was verified with this key. After a
// restart, a status that says Verified for this generation counts, so a restart makes no
// call; a later change of the key Secret is still noticed.
func (r *NairiVaultReconciler) alreadyVerified(obj *secretsv1alpha1.NairiVault, keyID string) bool {
	want := verification{uid: obj.UID, generation: obj.Generation, keyID: keyID}
	if v, ok := r.verified.Load(obj.Name); ok {
		return v.(verification) == want
	}
	ready := meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady)
	if ready == nil || ready.Reason != secretsv1alpha1.ReasonVerified || obj.Status.ObservedGeneration != obj.Generation {
		return false // a failed verification is worth one more try after a restart
	}
	r.verified.Store(obj.Name, want)
	return true
}

// checkVaultConflict: of two NairiVaults of one vault the oldest (creationTimestamp, name)
// grants; this one, when younger, is in Conflict and grants nothing.
func (r *NairiVaultReconciler) checkVaultConflict(ctx context.Context, obj *secretsv1alpha1.NairiVault) *failure {
	list := &secretsv1alpha1.NairiVaultList{}
	if err := r.List(ctx, list, client.MatchingFields{indexVaultID: obj.Spec.VaultID}); err != nil {
		return &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: fmt.Errorf("list NairiVaults: %w", err),
			message: "Could not list NairiVaults from the Kubernetes cache; retrying."}
	}
	owner := grantingVault(list.Items)
	if owner == nil || owner.UID == obj.UID {
		return nil
	}
	return &failure{reason: secretsv1alpha1.ReasonConflict, stalled: true,
		message: fmt.Sprintf("NairiVault %s, which is older, already governs vault %s, so this one grants nothing. "+
			"Merge the two into one NairiVault and delete the other; this one takes over when %s is deleted.",
			owner.Name, obj.Spec.VaultID, owner.Name)}
}

// untimed keeps the retries a failure asks for only where they are not a timer: a
// transient failure backs off, a 429 waits as the API says; anything else (no key, a
// refused key, an unknown vault) waits for the spec or the key Secret to change.
func untimed(f *failure) *failure {
	if f.err == nil && f.reason != secretsv1alpha1.ReasonRateLimited {
		f.stalled, f.retryAfter = true, 0
	}
	return f
}

// fail records the failure in Ready (and Stalled when a human must act), with a Warning
// Event when the reason changes.
func (r *NairiVaultReconciler) fail(obj *secretsv1alpha1.NairiVault, f *failure) (ctrl.Result, error) {
	obj.Status.ObservedGeneration = obj.Generation
	previous := meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady)
	if previous == nil || previous.Reason != f.reason || previous.Status != metav1.ConditionFalse {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, f.reason, "Verify", "%s", f.message)
	}
	setVaultCondition(obj, secretsv1alpha1.ConditionReady, metav1.ConditionFalse, f.reason, f.message)
	if f.stalled {
		setVaultCondition(obj, secretsv1alpha1.ConditionStalled, metav1.ConditionTrue, f.reason, f.message)
	} else {
		meta.RemoveStatusCondition(&obj.Status.Conditions, secretsv1alpha1.ConditionStalled)
	}
	if f.err != nil {
		return ctrl.Result{}, f.err
	}
	return ctrl.Result{RequeueAfter: f.retryAfter}, nil
}

func setVaultCondition(obj *secretsv1alpha1.NairiVault, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&obj.Status.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason,
		Message: message, ObservedGeneration: obj.Generation})
}

// patchStatus writes the status if it changed, with its own short timeout.
func (r *NairiVaultReconciler) patchStatus(ctx context.Context, base, obj *secretsv1alpha1.NairiVault) error {
	r.Metrics.ObserveConditions(KindNairiVault, client.ObjectKeyFromObject(obj), obj.Status.Conditions)
	if equality.Semantic.DeepEqual(base.Status, obj.Status) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statusPatchTimeout)
	defer cancel()
	if err := r.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patch NairiVault status: %w", err)
	}
	return nil
}

// vaultKeySource is the key a NairiVault names (in the operator's namespace), else the
// operator's own.
func vaultKeySource(obj *secretsv1alpha1.NairiVault, operatorNamespace string) keySource {
	if ref := obj.Spec.APIKeySecretRef; ref != nil {
		return keySource{namespace: operatorNamespace, ref: ref,
			what: fmt.Sprintf("the API key Secret of NairiVault %s (spec.apiKeySecretRef)", obj.Name)}
	}
	return keySource{}
}

func keyName(src keySource) string {
	if src.ref == nil {
		return "the operator's API key"
	}
	return fmt.Sprintf("the API key in Secret %s/%s", src.namespace, src.ref.Name)
}

// SetupWithManager watches NairiVaults (spec changes; deletions wake the other NairiVaults
// of the vault, one of which may now grant) and the key Secrets of the operator's
// namespace, as metadata only.
func (r *NairiVaultReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&secretsv1alpha1.NairiVault{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&secretsv1alpha1.NairiVault{}, handler.EnqueueRequestsFromMapFunc(r.vaultPeers),
			builder.WithPredicates(onDeleteOnly())).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.keyUsers)).
		WithOptions(controller.Options{RateLimiter: newBackoff(time.Second, 5*time.Minute)}).
		Named("nairivault").
		Complete(r)
}

// vaultPeers maps a deleted NairiVault to the others of its vault.
func (r *NairiVaultReconciler) vaultPeers(ctx context.Context, o client.Object) []reconcile.Request {
	list := &secretsv1alpha1.NairiVaultList{}
	if err := r.List(ctx, list, client.MatchingFields{indexVaultID: o.(*secretsv1alpha1.NairiVault).Spec.VaultID}); err != nil {
		logf.FromContext(ctx).Error(err, "list NairiVaults of the same vault")
		return nil
	}
	var requests []reconcile.Request
	for i := range list.Items {
		if list.Items[i].UID != o.GetUID() {
			requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Name: list.Items[i].Name}})
		}
	}
	return requests
}

// keyUsers maps a Secret of the operator's namespace to the NairiVaults naming it as key.
func (r *NairiVaultReconciler) keyUsers(ctx context.Context, secret client.Object) []reconcile.Request {
	if secret.GetNamespace() != r.OperatorNamespace {
		return nil
	}
	list := &secretsv1alpha1.NairiVaultList{}
	if err := r.List(ctx, list); err != nil {
		logf.FromContext(ctx).Error(err, "list NairiVaults for a key Secret")
		return nil
	}
	var requests []reconcile.Request
	for i := range list.Items {
		if ref := list.Items[i].Spec.APIKeySecretRef; ref != nil && ref.Name == secret.GetName() {
			requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Name: list.Items[i].Name}})
		}
	}
	return requests
}
