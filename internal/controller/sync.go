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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// remoteTimeFormat is how updated_at is kept in the status: as the API documents it, with
// milliseconds. formatRemoteTime keeps any finer digits the API may send, so that a
// recorded time never compares earlier than the one it records.
const remoteTimeFormat = "2006-01-02T15:04:05.000Z07:00"

func formatRemoteTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		return t.Format(time.RFC3339Nano)
	}
	return t.Format(remoteTimeFormat)
}

// desired is what the vault secret must hold.
type desired struct {
	value   string
	domains []string
	digest  string
}

// sync makes the vault hold the desired value with the fewest calls: a POST when there
// is no vault secret yet, a PATCH when the digest changed, a drift check when one is due,
// and nothing at all otherwise (steps 6 to 9 of DESIGN.md §4).
func (r *NairiSecretReconciler) sync(ctx context.Context, obj *secretsv1alpha1.NairiSecret, api vaultAPI,
	value, digest string) *failure {
	want := desired{value: value, domains: domainStrings(obj.Spec.AllowedDomains), digest: digest}
	switch {
	case obj.Status.SecretID == "":
		return r.push(ctx, obj, api, want, secretsv1alpha1.EventCreated)
	case obj.Status.SyncedDigest != digest:
		return r.push(ctx, obj, api, want, secretsv1alpha1.EventUpdated)
	case r.refreshDue(obj):
		return r.checkDrift(ctx, obj, api, want)
	}
	return nil
}

// push writes the desired value: PATCH with a secretID, else create. A PATCH answered 404
// creates the secret again. event is the Normal Event reason of the write.
func (r *NairiSecretReconciler) push(ctx context.Context, obj *secretsv1alpha1.NairiSecret, api vaultAPI,
	want desired, event string) *failure {
	if id := obj.Status.SecretID; id != "" {
		secret, err := api.UpdateSecret(ctx, obj.Spec.VaultID, id, nairi.UpdateSecretRequest{
			Value: &want.value, AllowedDomains: want.domains, SetAllowedDomains: true})
		r.Lists.Invalidate(api, obj.Spec.VaultID)
		if err == nil {
			r.record(ctx, obj, secret, want, event)
			return nil
		}
		if !nairi.IsNotFound(err) || nairi.IsVaultNotFound(err) {
			return classify(err, "update the vault secret", obj)
		}
		obj.Status.SecretID = "" // deleted behind our back: create it again
		event = secretsv1alpha1.EventRecreated
	}
	return r.create(ctx, obj, api, want, event)
}

// create POSTs the vault secret (DESIGN.md §4 step 6). The create-intent mark goes to the
// API server first (with the finalizer), so a secret whose POST answer is lost is still
// recognised as this object's: adopted by the retry, deleted with the object. A recreation
// renews the mark, so a secret someone else made with the env key meanwhile is not taken
// for ours. "env_key already exists" takes the vault secret over only as decideAdoption
// allows.
func (r *NairiSecretReconciler) create(ctx context.Context, obj *secretsv1alpha1.NairiSecret, api vaultAPI,
	want desired, event string) *failure {
	mark, markedBefore := createIntent(obj)
	if !markedBefore || event == secretsv1alpha1.EventRecreated {
		if err := r.markIntent(ctx, obj); err != nil {
			return &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: err,
				message: "Could not write the create-intent mark on this object, which must precede creating the " +
					"vault secret; retrying."}
		}
		markedBefore = false
	}
	secret, err := api.CreateSecret(ctx, obj.Spec.VaultID, nairi.CreateSecretRequest{
		EnvKey: obj.Spec.EnvKey, Value: want.value, AllowedDomains: want.domains})
	r.Lists.Invalidate(api, obj.Spec.VaultID)
	switch {
	case err == nil:
		r.record(ctx, obj, secret, want, event)
		return nil
	case nairi.IsEnvKeyExists(err):
		previous := meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady)
		return r.adopt(ctx, obj, api, want, adoption{markedBefore: markedBefore, mark: mark,
			judgedForeign:   previous != nil && previous.Reason == secretsv1alpha1.ReasonAlreadyExists,
			adoptionAllowed: api.grant.adoptionAllowed, ownKey: api.grant.ownKey})
	}
	return classify(err, "create the vault secret", obj)
}

// adopt takes over the vault secret that already has this env key, and writes the
// desired value to it, when decideAdoption allows; else AlreadyExists, and the vault
// secret is left untouched.
func (r *NairiSecretReconciler) adopt(ctx context.Context, obj *secretsv1alpha1.NairiSecret, api vaultAPI,
	want desired, a adoption) *failure {
	secrets, err := api.ListSecrets(ctx, obj.Spec.VaultID)
	if err != nil {
		return classify(err, "list the vault to adopt the existing secret", obj)
	}
	i := slices.IndexFunc(secrets, func(s nairi.Secret) bool { return s.EnvKey == obj.Spec.EnvKey })
	if i < 0 {
		return &failure{reason: secretsv1alpha1.ReasonAPIUnavailable,
			err:     fmt.Errorf("vault %s said %s exists but does not list it", obj.Spec.VaultID, obj.Spec.EnvKey),
			message: "Nairi said the env key already exists but does not list it; retrying with backoff."}
	}
	a.existing = secrets[i]
	if a.peerIDs, err = r.peerSecretIDs(ctx, obj); err != nil {
		return &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: err,
			message: "Could not list NairiSecrets from the Kubernetes cache to check who created the vault secret; retrying."}
	}
	rule := decideAdoption(a)
	if rule == "" {
		return alreadyExists(obj, api.grant)
	}
	logf.FromContext(ctx).Info("adopting the existing vault secret", "secretID", a.existing.ID, "rule", rule)
	secret, err := api.UpdateSecret(ctx, obj.Spec.VaultID, a.existing.ID, nairi.UpdateSecretRequest{
		Value: &want.value, AllowedDomains: want.domains, SetAllowedDomains: true})
	r.Lists.Invalidate(api, obj.Spec.VaultID)
	if nairi.IsNotFound(err) && !nairi.IsVaultNotFound(err) {
		// Deleted between the List and the PATCH: try the POST again.
		return &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: err,
			message: "The existing vault secret disappeared while being adopted; retrying with backoff."}
	}
	if err != nil {
		return classify(err, "update the existing vault secret", obj)
	}
	r.record(ctx, obj, secret, want, secretsv1alpha1.EventAdopted)
	return nil
}

// checkDrift compares the vault, through a shared List, with what was last written:
// a missing secret is created again (Recreated); a later updated_at or other domains
// mean someone changed it, so the value is written again (Restored). Nothing drifted:
// nothing is written, not even the status.
func (r *NairiSecretReconciler) checkDrift(ctx context.Context, obj *secretsv1alpha1.NairiSecret, api vaultAPI,
	want desired) *failure {
	event, f := r.drifted(ctx, obj, api)
	if f != nil || event == "" {
		return f
	}
	if event == secretsv1alpha1.EventRecreated {
		obj.Status.SecretID = ""
	}
	return r.push(ctx, obj, api, want, event)
}

// drifted looks for the vault secret in a shared List: "" when it is as last written (the
// next check is then scheduled from the List's time), else the Event of the write that
// must restore it.
func (r *NairiSecretReconciler) drifted(ctx context.Context, obj *secretsv1alpha1.NairiSecret, api vaultAPI) (string, *failure) {
	secrets, listed, err := r.Lists.ListAt(ctx, api, obj.Spec.VaultID)
	if err != nil {
		return "", classify(err, "list the vault to check for drift", obj)
	}
	i := slices.IndexFunc(secrets, func(s nairi.Secret) bool { return s.ID == obj.Status.SecretID })
	if i < 0 {
		return secretsv1alpha1.EventRecreated, nil
	}
	remote := secrets[i]
	recorded, err := time.Parse(time.RFC3339Nano, obj.Status.RemoteUpdatedAt)
	if err != nil || remote.UpdatedAt.After(recorded) ||
		!sameSet(remote.AllowedDomains, domainStrings(obj.Spec.AllowedDomains)) {
		return secretsv1alpha1.EventRestored, nil
	}
	r.schedule().checked(obj, listed, refreshInterval(obj))
	return "", nil
}

// checkUnchanged serves an object whose inputs did not change since its value was synced
// (see unchanged) without reading its Secret: nothing at all when no drift check is due,
// else a drift check. done is false only when the check found drift: the full sync then
// reads the value to restore it.
func (r *NairiSecretReconciler) checkUnchanged(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (done bool, f *failure) {
	if !r.refreshDue(obj) {
		return true, nil
	}
	api, f := r.Credentials.ClientFor(ctx, obj)
	if f != nil {
		return true, f
	}
	event, f := r.drifted(ctx, obj, api)
	return event == "" || f != nil, f
}

// record notes a successful write in the status and as a Normal Event.
func (r *NairiSecretReconciler) record(ctx context.Context, obj *secretsv1alpha1.NairiSecret, secret *nairi.Secret,
	want desired, event string) {
	logf.FromContext(ctx).Info("wrote vault secret", "event", event, "secretID", secret.ID, "vaultID", obj.Spec.VaultID)
	now := metav1.NewTime(r.Now())
	obj.Status.SecretID = secret.ID
	obj.Status.SyncedDigest = want.digest
	obj.Status.LastSyncedTime = &now
	obj.Status.RemoteUpdatedAt = formatRemoteTime(secret.UpdatedAt)
	r.schedule().checked(obj, now.Time, refreshInterval(obj))
	r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, event, "Sync", "%s", eventNote(event, obj, secret.ID))
}

func eventNote(event string, obj *secretsv1alpha1.NairiSecret, id string) string {
	switch event {
	case secretsv1alpha1.EventCreated:
		return fmt.Sprintf("Created vault secret %s (%s) in vault %s", id, obj.Spec.EnvKey, obj.Spec.VaultID)
	case secretsv1alpha1.EventUpdated:
		return fmt.Sprintf("Rotated vault secret %s (%s) after a change in Kubernetes", id, obj.Spec.EnvKey)
	case secretsv1alpha1.EventAdopted:
		return fmt.Sprintf("Adopted the existing vault secret %s (%s) and wrote the current value", id, obj.Spec.EnvKey)
	case secretsv1alpha1.EventRecreated:
		return fmt.Sprintf("Vault secret %s had been deleted outside Kubernetes; created it again as %s", obj.Spec.EnvKey, id)
	case secretsv1alpha1.EventRestored:
		return fmt.Sprintf("Vault secret %s (%s) had been changed outside Kubernetes; restored it", id, obj.Spec.EnvKey)
	}
	return fmt.Sprintf("%s vault secret %s", event, id)
}

// refreshDue says whether a drift check is due (see checkSchedule).
func (r *NairiSecretReconciler) refreshDue(obj *secretsv1alpha1.NairiSecret) bool {
	interval := refreshInterval(obj)
	return interval > 0 && !r.Now().Before(r.schedule().due(obj, interval))
}

// schedule returns the drift-check schedule, made on first use.
func (r *NairiSecretReconciler) schedule() *checkSchedule {
	r.checksOnce.Do(func() {
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		r.checks = newCheckSchedule(now())
	})
	return r.checks
}

// refreshInterval is spec.refreshInterval, 1h when unset, 0 for never.
func refreshInterval(obj *secretsv1alpha1.NairiSecret) time.Duration {
	if obj.Spec.RefreshInterval == nil {
		return time.Hour
	}
	return max(obj.Spec.RefreshInterval.Duration, 0)
}

func domainStrings(domains []secretsv1alpha1.DomainPattern) []string {
	out := make([]string, len(domains))
	for i, d := range domains {
		out[i] = string(d)
	}
	return out
}

// sameSet compares domain lists as sets: the API does not promise to keep their order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
