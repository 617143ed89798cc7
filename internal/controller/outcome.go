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
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// slowRetry is how long VaultNotFound and Unauthorized wait: these are fixed outside
// Kubernetes, so polling faster only spends API calls.
const slowRetry = 5 * time.Minute

// failure is why an object is not Ready, sorted the Flux way: needs a human (stalled,
// not retried until something changes), wait (retry after a set time), or transient
// (err is returned, so the workqueue backs off exponentially).
type failure struct {
	reason  string
	message string
	stalled bool
	// retryAfter, when set, requeues the object after about that long.
	retryAfter time.Duration
	// err, when set, goes back to the workqueue for exponential backoff.
	err error
}

// classify maps an error of the Nairi API to a Ready reason: the one place where API
// errors become conditions. what names the call, e.g. "create the vault secret".
func classify(err error, what string, obj *secretsv1alpha1.NairiSecret) *failure {
	var apiErr *nairi.APIError
	switch {
	case nairi.IsUnauthorized(err):
		return &failure{reason: secretsv1alpha1.ReasonUnauthorized, retryAfter: jitter(slowRetry),
			message: fmt.Sprintf("Nairi refused the API key (HTTP 401: %s) when trying to %s. "+
				"It must be a valid, unrevoked nr_ key. %s", apiMessage(err), what, keyHint(obj))}
	case nairi.IsVaultNotFound(err):
		return &failure{reason: secretsv1alpha1.ReasonVaultNotFound, retryAfter: jitter(slowRetry),
			message: fmt.Sprintf("Vault %s does not exist in the API key's organization (HTTP 404: vault not found). "+
				"Create it in Nairi or fix spec.vaultID; retrying every 5 minutes.", obj.Spec.VaultID)}
	}
	if wait, ok := nairi.IsRateLimited(err); ok {
		if wait <= 0 { // no Retry-After: back off exponentially like any transient failure
			return &failure{reason: secretsv1alpha1.ReasonRateLimited, err: err,
				message: fmt.Sprintf("Nairi is rate limiting this API key (HTTP 429) while trying to %s; "+
					"retrying with backoff.", what)}
		}
		return &failure{reason: secretsv1alpha1.ReasonRateLimited, retryAfter: max(wait, time.Second),
			message: fmt.Sprintf("Nairi is rate limiting this API key (HTTP 429) while trying to %s; "+
				"retrying in %s.", what, max(wait, time.Second).Round(time.Second))}
	}
	if nairi.IsRetryable(err) || !errors.As(err, &apiErr) {
		return &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: err,
			message: fmt.Sprintf("Could not %s: %v. Retrying with backoff.", what, err)}
	}
	return &failure{reason: secretsv1alpha1.ReasonRejected, stalled: true,
		message: fmt.Sprintf("Nairi rejected the request to %s (HTTP %d: %s). "+
			"Fix the NairiSecret or its Secret; nothing is retried until one of them changes.",
			what, apiErr.StatusCode, apiErr.Message)}
}

// apiMessage is the API's own error string, without the method and route.
func apiMessage(err error) string {
	if apiErr, ok := errors.AsType[*nairi.APIError](err); ok {
		return apiErr.Message
	}
	return err.Error()
}

func suspended() *failure {
	return &failure{reason: secretsv1alpha1.ReasonSuspended,
		message: "spec.suspend is true: no calls are made to the Nairi API. Set it to false to resume."}
}

// fail records a failure in the Ready and Stalled conditions, emits one Warning Event
// when the reason changes (not one per retry), and says when to retry.
func (r *NairiSecretReconciler) fail(ctx context.Context, obj *secretsv1alpha1.NairiSecret, f *failure) (ctrl.Result, error) {
	previous := meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady)
	if f.reason != secretsv1alpha1.ReasonSuspended &&
		(previous == nil || previous.Reason != f.reason || previous.Status != metav1.ConditionFalse) {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, f.reason, "Sync", "%s", f.message)
	}
	setReady(obj, metav1.ConditionFalse, f.reason, f.message)
	if f.stalled {
		meta.SetStatusCondition(&obj.Status.Conditions, metav1.Condition{Type: secretsv1alpha1.ConditionStalled,
			Status: metav1.ConditionTrue, Reason: f.reason, Message: f.message, ObservedGeneration: obj.Generation})
	} else {
		meta.RemoveStatusCondition(&obj.Status.Conditions, secretsv1alpha1.ConditionStalled)
	}
	if f.err != nil {
		logf.FromContext(ctx).V(1).Info("transient failure, backing off", "reason", f.reason)
		return ctrl.Result{}, f.err
	}
	if f.stalled {
		return ctrl.Result{}, reconcile.TerminalError(errors.New(f.reason))
	}
	return ctrl.Result{RequeueAfter: f.retryAfter}, nil
}

// synced marks the object Ready and requeues it for its next drift check.
func (r *NairiSecretReconciler) synced(obj *secretsv1alpha1.NairiSecret) ctrl.Result {
	setReady(obj, metav1.ConditionTrue, secretsv1alpha1.ReasonSynced,
		fmt.Sprintf("Vault %s holds the current value as %s (%s).", obj.Spec.VaultID, obj.Spec.EnvKey, obj.Status.SecretID))
	meta.RemoveStatusCondition(&obj.Status.Conditions, secretsv1alpha1.ConditionStalled)
	interval := refreshInterval(obj)
	if interval == 0 {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: max(r.schedule().due(obj, interval).Sub(r.Now()), time.Second)}
}

func setReady(obj *secretsv1alpha1.NairiSecret, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&obj.Status.Conditions, metav1.Condition{Type: secretsv1alpha1.ConditionReady,
		Status: status, Reason: reason, Message: message, ObservedGeneration: obj.Generation})
}

// jitter spreads retries of many objects over ±10% of d, so they do not arrive at once.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d)) //nolint:gosec // not security relevant
}

// newBackoff is the workqueue's per-object backoff for transient failures: exponential
// from base to limit, with jitter, instead of controller-runtime's 5 ms start.
func newBackoff(base, limit time.Duration) workqueue.TypedRateLimiter[reconcile.Request] {
	return &jitteredBackoff{inner: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](base, limit)}
}

type jitteredBackoff struct {
	inner workqueue.TypedRateLimiter[reconcile.Request]
}

func (b *jitteredBackoff) When(item reconcile.Request) time.Duration {
	return jitter(b.inner.When(item))
}
func (b *jitteredBackoff) Forget(item reconcile.Request)          { b.inner.Forget(item) }
func (b *jitteredBackoff) NumRequeues(item reconcile.Request) int { return b.inner.NumRequeues(item) }
