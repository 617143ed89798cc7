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
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// indexSetSecretRef maps a Secret name to the NairiSecretSets of its namespace that read it.
const indexSetSecretRef = "spec.secretRef.name"

// NairiSecretSetReconciler keeps one child NairiSecret per key of a NairiSecretSet's
// Secret (DESIGN.md §2.3). It reads the Secret only for its key names; the children
// read the values themselves, so no value is ever copied into a child or the set.
type NairiSecretSetReconciler struct {
	client.Client
	// APIReader reads the Secret without a cache, and lists children exactly when the
	// set is being deleted.
	APIReader client.Reader
	Recorder  recorder.EventRecorder
	// Metrics exports each set's conditions; nil disables it.
	Metrics *ObjectMetrics
}

// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairisecretsets,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairisecretsets/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairisecretsets/finalizers,verbs=update
// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairisecrets,verbs=create;delete

// Reconcile makes the set's children match its Secret's keys and reports on them. The
// status is written once, by the deferred patch, whatever the outcome.
func (r *NairiSecretSetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	set := &secretsv1alpha1.NairiSecretSet{}
	if err := r.Get(ctx, req.NamespacedName, set); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.ForgetObject(KindNairiSecretSet, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base := set.DeepCopy()
	defer func() {
		if perr := r.patchStatus(ctx, base, set); perr != nil && err == nil {
			err = perr
		}
	}()

	if !set.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, set)
	}
	if err := r.addFinalizer(ctx, set); err != nil {
		return ctrl.Result{}, err
	}
	set.Status.ObservedGeneration = set.Generation
	children, err := r.listChildren(ctx, r.Client, set)
	if err != nil {
		return ctrl.Result{}, err
	}
	keys, f := r.readKeys(ctx, set)
	if f != nil {
		// The children stay as they are: a Secret replaced by a GitOps tool must not
		// empty the vault.
		return r.report(ctx, set, ownedPlan(children), children, nil, f)
	}
	plan := planChildren(set, keys)
	written, err := r.applyChildren(ctx, set, &plan, children)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.pruneChildren(ctx, plan, children); err != nil {
		return ctrl.Result{}, err
	}
	return r.report(ctx, set, plan, children, written, nil)
}

// readKeys returns the names of the Secret's data keys. The Secret is read uncached and
// quietly (its body is its data); nothing but the names leaves this function.
func (r *NairiSecretSetReconciler) readKeys(ctx context.Context, set *secretsv1alpha1.NairiSecretSet) ([]string, *failure) {
	secret, f := readSecret(ctx, r.APIReader, set.Namespace, set.Spec.SecretRef.Name,
		secretsv1alpha1.ReasonSecretNotFound, "the source Secret")
	if f != nil {
		if f.reason == secretsv1alpha1.ReasonSecretNotFound {
			f.message += " Its children and their vault secrets are kept until then."
		}
		return nil, f
	}
	return slices.Collect(maps.Keys(secret.Data)), nil
}

// listChildren returns the NairiSecrets this set controls, by name.
func (r *NairiSecretSetReconciler) listChildren(ctx context.Context, reader client.Reader,
	set *secretsv1alpha1.NairiSecretSet) (map[string]*secretsv1alpha1.NairiSecret, error) {
	list := &secretsv1alpha1.NairiSecretList{}
	if err := reader.List(ctx, list, client.InNamespace(set.Namespace),
		client.MatchingLabels{secretsv1alpha1.SetLabel: set.Name}); err != nil {
		return nil, fmt.Errorf("list the children of NairiSecretSet %s/%s: %w", set.Namespace, set.Name, err)
	}
	children := make(map[string]*secretsv1alpha1.NairiSecret, len(list.Items))
	for i := range list.Items {
		if ref := metav1.GetControllerOf(&list.Items[i]); ref != nil && ref.UID == set.UID {
			children[list.Items[i].Name] = &list.Items[i]
		}
	}
	return children, nil
}

// finalize deletes the children, waits until they are gone (each deletes its vault secret
// as its deletionPolicy says), then lets the set go. Garbage collection by owner
// reference would delete them too, but not before the set is gone, and not at all where
// no garbage collector runs.
func (r *NairiSecretSetReconciler) finalize(ctx context.Context, set *secretsv1alpha1.NairiSecretSet) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(set, secretsv1alpha1.Finalizer) {
		return ctrl.Result{}, nil
	}
	children, err := r.listChildren(ctx, r.APIReader, set)
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, child := range children {
		if child.DeletionTimestamp.IsZero() {
			if err := r.Delete(ctx, child, client.Preconditions{UID: &child.UID}); client.IgnoreNotFound(err) != nil {
				return ctrl.Result{}, fmt.Errorf("delete child %s: %w", child.Name, err)
			}
		}
	}
	if len(children) > 0 {
		setCondition(set, secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonDeleting,
			fmt.Sprintf("Waiting for %d children to be deleted; each deletes its vault secret as spec.deletionPolicy "+
				"says. A child stuck in Deleting says how to unblock it.", len(children)))
		// Each child's deletion wakes the set up; the requeue is a safety net.
		return ctrl.Result{RequeueAfter: 30 * time.Second}, nil
	}
	before := set.DeepCopy()
	controllerutil.RemoveFinalizer(set, secretsv1alpha1.Finalizer)
	if err := r.Patch(ctx, set, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}

// addFinalizer makes sure the set outlives its children.
func (r *NairiSecretSetReconciler) addFinalizer(ctx context.Context, set *secretsv1alpha1.NairiSecretSet) error {
	if controllerutil.ContainsFinalizer(set, secretsv1alpha1.Finalizer) {
		return nil
	}
	before := set.DeepCopy()
	controllerutil.AddFinalizer(set, secretsv1alpha1.Finalizer)
	if err := r.Patch(ctx, set, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("add finalizer: %w", err)
	}
	return nil
}

// patchStatus writes the status if it changed, as a merge patch of the status alone.
func (r *NairiSecretSetReconciler) patchStatus(ctx context.Context, base, set *secretsv1alpha1.NairiSecretSet) error {
	r.Metrics.ObserveConditions(KindNairiSecretSet, client.ObjectKeyFromObject(set), set.Status.Conditions)
	if equality.Semantic.DeepEqual(base.Status, set.Status) {
		return nil
	}
	if err := r.Status().Patch(ctx, set, client.MergeFrom(base)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patch status: %w", err)
	}
	return nil
}

func setCondition(set *secretsv1alpha1.NairiSecretSet, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&set.Status.Conditions, metav1.Condition{Type: condType, Status: status,
		Reason: reason, Message: message, ObservedGeneration: set.Generation})
}

// SetupWithManager watches sets (spec and deletion changes), their children (all
// changes, so a hand edit is put back and a deleted child recreated), and Secrets as
// metadata only.
func (r *NairiSecretSetReconciler) SetupWithManager(mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &secretsv1alpha1.NairiSecretSet{}, indexSetSecretRef,
		func(o client.Object) []string {
			return []string{o.(*secretsv1alpha1.NairiSecretSet).Spec.SecretRef.Name}
		})
	if err != nil {
		return fmt.Errorf("index NairiSecretSets by %s: %w", indexSetSecretRef, err)
	}
	b := ctrl.NewControllerManagedBy(mgr)
	if cacheSecretsInFull {
		b = b.Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.secretReaders))
	} else {
		b = b.WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.secretReaders))
	}
	return b.
		For(&secretsv1alpha1.NairiSecretSet{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&secretsv1alpha1.NairiSecret{}).
		WithOptions(controller.Options{RateLimiter: newBackoff(time.Second, 5*time.Minute)}).
		Named("nairisecretset").
		Complete(r)
}

// secretReaders maps a Secret to the sets of its namespace that keep its keys.
func (r *NairiSecretSetReconciler) secretReaders(ctx context.Context, secret client.Object) []reconcile.Request {
	list := &secretsv1alpha1.NairiSecretSetList{}
	if err := r.List(ctx, list, client.InNamespace(secret.GetNamespace()),
		client.MatchingFields{indexSetSecretRef: secret.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "list NairiSecretSets for a Secret")
		return nil
	}
	requests := make([]reconcile.Request, len(list.Items))
	for i := range list.Items {
		requests[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
	}
	return requests
}
