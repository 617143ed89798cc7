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
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// setFieldOwner is the field manager of the fields a set applies to its children.
const setFieldOwner = "nairi-secretset-controller"

// maxNamedFailures is how many failing env keys the set's Ready message names.
const maxNamedFailures = 5

// childSpec is a child's spec: the set's, with secretRef.key and envKey filled in.
func childSpec(set *secretsv1alpha1.NairiSecretSet, c setChild) secretsv1alpha1.NairiSecretSpec {
	return secretsv1alpha1.NairiSecretSpec{
		VaultID:         set.Spec.VaultID,
		EnvKey:          c.envKey,
		SecretRef:       secretsv1alpha1.SourceSecretRef{Name: set.Spec.SecretRef.Name, Key: c.key},
		AllowedDomains:  set.Spec.AllowedDomains,
		DeletionPolicy:  set.Spec.DeletionPolicy,
		RefreshInterval: set.Spec.RefreshInterval,
		Suspend:         set.Spec.Suspend,
		APIKeySecretRef: set.Spec.APIKeySecretRef,
	}
}

// applyChildren applies every wanted child that is missing or differs from what the set
// says (a new key, a changed set, a hand edit). A child that is as it should be costs no
// write. A name held by a NairiSecret the set does not control is reported, never taken
// over. It returns the names it wrote.
func (r *NairiSecretSetReconciler) applyChildren(ctx context.Context, set *secretsv1alpha1.NairiSecretSet,
	plan *setPlan, children map[string]*secretsv1alpha1.NairiSecret) (map[string]bool, error) {
	written := map[string]bool{}
	var taken []string
	for _, c := range plan.children {
		want := childSpec(set, c)
		if existing := children[c.name]; existing != nil && isCurrent(existing, set, want) {
			continue
		}
		if _, ok := children[c.name]; !ok {
			other := &secretsv1alpha1.NairiSecret{}
			err := r.Get(ctx, client.ObjectKey{Namespace: set.Namespace, Name: c.name}, other)
			if err == nil && !isControlledBy(other, set) {
				taken = append(taken, c.name)
				plan.invalid = append(plan.invalid, fmt.Sprintf("env key %s needs the child name %s, which a "+
					"NairiSecret this set does not manage already has (rename or delete it)", c.envKey, c.name))
				continue
			}
			if client.IgnoreNotFound(err) != nil {
				return nil, fmt.Errorf("get NairiSecret %s: %w", c.name, err)
			}
		}
		if err := r.applyChild(ctx, set, c.name, want); err != nil {
			return nil, err
		}
		written[c.name] = true
	}
	plan.children = slices.DeleteFunc(plan.children, func(c setChild) bool { return slices.Contains(taken, c.name) })
	return written, nil
}

// applyChild server-side-applies one child: its name, the set's label, the set as
// controlling owner, and its whole spec (suspend written out even when false, so a hand
// edit of it is put back). Fields another manager added that the set does not set at all
// (an allowed domain, an API key reference) survive an apply, so the spec is then
// replaced whole.
func (r *NairiSecretSetReconciler) applyChild(ctx context.Context, set *secretsv1alpha1.NairiSecretSet, name string,
	want secretsv1alpha1.NairiSecretSpec) error {
	spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&want)
	if err != nil {
		return fmt.Errorf("convert the spec of child %s: %w", name, err)
	}
	spec["suspend"] = want.Suspend
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": secretsv1alpha1.GroupVersion.String(),
		"kind":       "NairiSecret",
		"metadata": map[string]any{
			"name":      name,
			"namespace": set.Namespace,
			"labels":    map[string]any{secretsv1alpha1.SetLabel: set.Name},
			"ownerReferences": []any{map[string]any{
				"apiVersion":         secretsv1alpha1.GroupVersion.String(),
				"kind":               "NairiSecretSet",
				"name":               set.Name,
				"uid":                string(set.UID),
				"controller":         true,
				"blockOwnerDeletion": true,
			}},
		},
		"spec": spec,
	}}
	err = r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(setFieldOwner), client.ForceOwnership)
	if err != nil {
		return fmt.Errorf("apply child %s: %w", name, err)
	}
	applied := &secretsv1alpha1.NairiSecret{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, applied); err != nil {
		return fmt.Errorf("read back child %s: %w", name, err)
	}
	if equality.Semantic.DeepEqual(applied.Spec, want) {
		return nil
	}
	applied.Spec = want
	if err := r.Update(ctx, applied, client.FieldOwner(setFieldOwner)); err != nil {
		return fmt.Errorf("replace the spec of child %s: %w", name, err)
	}
	return nil
}

func isCurrent(child *secretsv1alpha1.NairiSecret, set *secretsv1alpha1.NairiSecretSet, want secretsv1alpha1.NairiSecretSpec) bool {
	return child.Labels[secretsv1alpha1.SetLabel] == set.Name && isControlledBy(child, set) &&
		equality.Semantic.DeepEqual(child.Spec, want)
}

func isControlledBy(child *secretsv1alpha1.NairiSecret, set *secretsv1alpha1.NairiSecretSet) bool {
	ref := metav1.GetControllerOf(child)
	return ref != nil && ref.UID == set.UID
}

// pruneChildren deletes the children of keys that left the Secret or spec.keys; each
// deletes its vault secret as its deletionPolicy says.
func (r *NairiSecretSetReconciler) pruneChildren(ctx context.Context, plan setPlan,
	children map[string]*secretsv1alpha1.NairiSecret) error {
	for name, child := range children {
		wanted := slices.ContainsFunc(plan.children, func(c setChild) bool { return c.name == name })
		if wanted || plan.keep[name] || !child.DeletionTimestamp.IsZero() {
			continue
		}
		err := r.Delete(ctx, child, client.Preconditions{UID: &child.UID})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete child %s: %w", name, err)
		}
		logf.FromContext(ctx).Info("deleted the child of a key that left the set", "child", name,
			"envKey", child.Spec.EnvKey)
	}
	return nil
}

// ownedPlan describes the children as they are, for when the Secret cannot be read.
func ownedPlan(children map[string]*secretsv1alpha1.NairiSecret) setPlan {
	p := setPlan{}
	for name, child := range children {
		p.children = append(p.children, setChild{name: name, key: child.Spec.SecretRef.Key, envKey: child.Spec.EnvKey})
	}
	slices.SortFunc(p.children, func(a, b setChild) int { return strings.Compare(a.envKey, b.envKey) })
	return p
}

// childReport is what the set makes of one child's status.
type childReport struct {
	envKey, reason string
	ready, stalled bool
}

func reportOf(c setChild, child *secretsv1alpha1.NairiSecret, written bool) childReport {
	rep := childReport{envKey: c.envKey, reason: secretsv1alpha1.ReasonProgressing}
	if child == nil || written || child.Status.ObservedGeneration != child.Generation {
		return rep
	}
	ready := meta.FindStatusCondition(child.Status.Conditions, secretsv1alpha1.ConditionReady)
	if ready == nil {
		return rep
	}
	rep.reason, rep.ready = ready.Reason, ready.Status == metav1.ConditionTrue
	rep.stalled = meta.IsStatusConditionTrue(child.Status.Conditions, secretsv1alpha1.ConditionStalled)
	return rep
}

// report sets keys, readyKeys, Ready and Stalled: a failure of the set itself (f) first,
// then keys that got no child (InvalidKey), then the first failing child by env key.
func (r *NairiSecretSetReconciler) report(ctx context.Context, set *secretsv1alpha1.NairiSecretSet, plan setPlan,
	children map[string]*secretsv1alpha1.NairiSecret, written map[string]bool, f *failure) (ctrl.Result, error) {
	var failing []childReport
	for _, c := range plan.children {
		if rep := reportOf(c, children[c.name], written[c.name]); !rep.ready {
			failing = append(failing, rep)
		}
	}
	set.Status.Keys = int32(len(plan.children))
	set.Status.ReadyKeys = int32(len(plan.children) - len(failing))
	progress := fmt.Sprintf("%d of %d keys are Ready%s", set.Status.ReadyKeys, set.Status.Keys, namedFailures(failing))

	switch {
	case f != nil:
		r.setFailure(set, f.reason, f.stalled, f.reason, f.message+" "+progress)
		return ctrl.Result{RequeueAfter: f.retryAfter}, f.err
	case len(plan.invalid) > 0:
		r.setFailure(set, secretsv1alpha1.ReasonInvalidKey, true, secretsv1alpha1.ReasonInvalidKey,
			fmt.Sprintf("Some keys of Secret %s get no child: %s. Rename them in the Secret, or give them "+
				"spec.keys[].envKey; the other keys proceed: %s", set.Spec.SecretRef.Name,
				strings.Join(plan.invalid, "; "), progress))
	case len(failing) > 0:
		stalledReason := ""
		if i := slices.IndexFunc(failing, func(c childReport) bool { return c.stalled }); i >= 0 {
			stalledReason = failing[i].reason
		}
		r.setFailure(set, failing[0].reason, stalledReason != "", stalledReason,
			fmt.Sprintf("%s. See kubectl get nsec -n %s -l %s=%s.", progress, set.Namespace,
				secretsv1alpha1.SetLabel, set.Name))
	default:
		setCondition(set, secretsv1alpha1.ConditionReady, metav1.ConditionTrue, secretsv1alpha1.ReasonSynced,
			fmt.Sprintf("Vault %s holds all %d keys of Secret %s.", set.Spec.VaultID, set.Status.Keys, set.Spec.SecretRef.Name))
		meta.RemoveStatusCondition(&set.Status.Conditions, secretsv1alpha1.ConditionStalled)
	}
	logf.FromContext(ctx).V(1).Info("reported on the set's children", "keys", set.Status.Keys, "ready", set.Status.ReadyKeys)
	return ctrl.Result{}, nil
}

// setFailure sets Ready=False with reason and Stalled (with stalledReason) when stalled,
// and emits a Warning Event when the reason changes (not one per reconcile).
func (r *NairiSecretSetReconciler) setFailure(set *secretsv1alpha1.NairiSecretSet, reason string, stalled bool,
	stalledReason, message string) {
	previous := meta.FindStatusCondition(set.Status.Conditions, secretsv1alpha1.ConditionReady)
	quietReason := reason == secretsv1alpha1.ReasonProgressing || reason == secretsv1alpha1.ReasonSuspended
	if !quietReason && (previous == nil || previous.Reason != reason || previous.Status != metav1.ConditionFalse) {
		r.Recorder.Eventf(set, nil, corev1.EventTypeWarning, reason, "Sync", "%s", message)
	}
	setCondition(set, secretsv1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
	if stalled {
		setCondition(set, secretsv1alpha1.ConditionStalled, metav1.ConditionTrue, stalledReason, message)
	} else {
		meta.RemoveStatusCondition(&set.Status.Conditions, secretsv1alpha1.ConditionStalled)
	}
}

// namedFailures names up to maxNamedFailures failing env keys with their reasons.
func namedFailures(failing []childReport) string {
	if len(failing) == 0 {
		return ""
	}
	names := make([]string, 0, maxNamedFailures)
	for _, c := range failing[:min(len(failing), maxNamedFailures)] {
		names = append(names, fmt.Sprintf("%s (%s)", c.envKey, c.reason))
	}
	more := ""
	if n := len(failing) - maxNamedFailures; n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return "; not Ready: " + strings.Join(names, ", ") + more
}
