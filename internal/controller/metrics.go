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
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// Kinds as the kind label of nairi_secret_status_condition spells them.
const (
	// KindNairiSecret labels the conditions of NairiSecrets.
	KindNairiSecret = "NairiSecret"
	// KindNairiVault labels the conditions of NairiVaults (cluster-scoped: no namespace).
	KindNairiVault = "NairiVault"
	// KindNairiSecretSet labels the conditions of NairiSecretSets.
	KindNairiSecretSet = "NairiSecretSet"
)

// ObjectMetrics exports the state of each object the operator reconciles, computed at
// scrape time from what the reconcilers last wrote:
//
//   - nairi_secret_status_condition{namespace,name,kind,type,status,reason} = 1 for every
//     current condition of every NairiSecret, NairiVault and NairiSecretSet, so an alert or
//     a dashboard names the broken object;
//   - nairi_secret_last_synced_timestamp_seconds{namespace,name}: status.lastSyncedTime of
//     each NairiSecret that has been pushed at least once;
//   - nairi_secrets_objects{reason}: NairiSecrets by the reason of their Ready condition.
//
// Labels carry object names, condition types and reasons, never messages or values. An
// object's series disappear when it is forgotten (it no longer exists), so nothing stale
// is left behind.
type ObjectMetrics struct {
	condition, lastSynced, byReason *prometheus.Desc
	// orphaned is nairi_secrets_orphaned_total: vault secrets left behind because their
	// namespace was deleted with the API key needed to delete them.
	orphaned prometheus.Counter

	mu      sync.Mutex
	objects map[objectKey]objectState
}

type objectKey struct{ kind, namespace, name string }

// objectState is what the metrics keep of one object: no messages, no values.
type objectState struct {
	conditions []conditionLabels
	lastSynced float64 // seconds since the epoch; 0 = never synced
}

type conditionLabels struct{ typ, status, reason string }

// NewObjectMetrics returns the collector; register it with the manager's registry.
func NewObjectMetrics() *ObjectMetrics {
	return &ObjectMetrics{
		condition: prometheus.NewDesc("nairi_secret_status_condition",
			"1 for each current status condition of each NairiSecret, NairiVault and NairiSecretSet.",
			[]string{"namespace", "name", "kind", "type", "status", "reason"}, nil),
		lastSynced: prometheus.NewDesc("nairi_secret_last_synced_timestamp_seconds",
			"When the operator last wrote the NairiSecret's value to its vault (status.lastSyncedTime), "+
				"in seconds since the epoch.",
			[]string{"namespace", "name"}, nil),
		byReason: prometheus.NewDesc("nairi_secrets_objects",
			"NairiSecrets by the reason of their Ready condition.", []string{"reason"}, nil),
		objects: map[objectKey]objectState{},
		orphaned: prometheus.NewCounter(prometheus.CounterOpts{Name: "nairi_secrets_orphaned_total",
			Help: "Vault secrets left in Nairi because their NairiSecret's namespace was deleted together with " +
				"the API key needed to delete them."}),
	}
}

// Orphaned counts a vault secret left behind by a namespace deletion.
func (m *ObjectMetrics) Orphaned() {
	if m != nil {
		m.orphaned.Inc()
	}
}

// Observe records obj's current conditions and last sync time. An object whose last
// finalizer was just removed is gone, so it is forgotten instead.
func (m *ObjectMetrics) Observe(obj *secretsv1alpha1.NairiSecret) {
	if m == nil {
		return
	}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
	if !obj.DeletionTimestamp.IsZero() && len(obj.Finalizers) == 0 {
		m.ForgetObject(KindNairiSecret, key)
		return
	}
	state := objectState{conditions: labelsOf(obj.Status.Conditions)}
	if obj.Status.LastSyncedTime != nil {
		state.lastSynced = float64(obj.Status.LastSyncedTime.Unix())
	}
	m.set(objectKey{KindNairiSecret, key.Namespace, key.Name}, state)
}

// ObserveConditions records the current conditions of an object of another kind
// (KindNairiVault, KindNairiSecretSet); call it where that kind's status is written.
func (m *ObjectMetrics) ObserveConditions(kind string, key types.NamespacedName, conditions []metav1.Condition) {
	if m == nil {
		return
	}
	m.set(objectKey{kind, key.Namespace, key.Name}, objectState{conditions: labelsOf(conditions)})
}

// Forget drops a NairiSecret that no longer exists.
func (m *ObjectMetrics) Forget(key types.NamespacedName) {
	m.ForgetObject(KindNairiSecret, key)
}

// ForgetObject drops an object of the kind that no longer exists, with all its series.
func (m *ObjectMetrics) ForgetObject(kind string, key types.NamespacedName) {
	if m == nil {
		return
	}
	m.mu.Lock()
	delete(m.objects, objectKey{kind, key.Namespace, key.Name})
	m.mu.Unlock()
}

func (m *ObjectMetrics) set(key objectKey, state objectState) {
	m.mu.Lock()
	m.objects[key] = state
	m.mu.Unlock()
}

func labelsOf(conditions []metav1.Condition) []conditionLabels {
	out := make([]conditionLabels, 0, len(conditions))
	for _, c := range conditions {
		out = append(out, conditionLabels{typ: c.Type, status: string(c.Status), reason: c.Reason})
	}
	return out
}

// readyReason is the reason of the Ready condition, "Unknown" before the first one.
func (s objectState) readyReason() string {
	for _, c := range s.conditions {
		if c.typ == secretsv1alpha1.ConditionReady {
			return c.reason
		}
	}
	return "Unknown"
}

// Describe implements prometheus.Collector.
func (m *ObjectMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.condition
	ch <- m.lastSynced
	ch <- m.byReason
	m.orphaned.Describe(ch)
}

// Collect implements prometheus.Collector: it derives every series at scrape time, so
// they are never out of step with the objects the reconcilers have seen.
func (m *ObjectMetrics) Collect(ch chan<- prometheus.Metric) {
	counts := map[string]int{}
	m.mu.Lock()
	for key, state := range m.objects {
		for _, c := range state.conditions {
			ch <- prometheus.MustNewConstMetric(m.condition, prometheus.GaugeValue, 1,
				key.namespace, key.name, key.kind, c.typ, c.status, c.reason)
		}
		if key.kind != KindNairiSecret {
			continue
		}
		counts[state.readyReason()]++
		if state.lastSynced > 0 {
			ch <- prometheus.MustNewConstMetric(m.lastSynced, prometheus.GaugeValue, state.lastSynced,
				key.namespace, key.name)
		}
	}
	m.mu.Unlock()
	for reason, n := range counts {
		ch <- prometheus.MustNewConstMetric(m.byReason, prometheus.GaugeValue, float64(n), reason)
	}
	m.orphaned.Collect(ch)
}
