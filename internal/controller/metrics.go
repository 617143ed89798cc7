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
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// ObjectMetrics exports how many NairiSecrets are in each Ready reason, as the gauge
// nairi_secrets_objects{reason}. Labels carry reasons only, never names or values.
type ObjectMetrics struct {
	desc *prometheus.Desc

	mu      sync.Mutex
	reasons map[types.NamespacedName]string
}

// NewObjectMetrics returns the collector; register it with the manager's registry.
func NewObjectMetrics() *ObjectMetrics {
	return &ObjectMetrics{
		desc: prometheus.NewDesc("nairi_secrets_objects",
			"NairiSecrets by the reason of their Ready condition.", []string{"reason"}, nil),
		reasons: map[types.NamespacedName]string{},
	}
}

// Observe records obj's current Ready reason.
func (m *ObjectMetrics) Observe(obj *secretsv1alpha1.NairiSecret) {
	if m == nil {
		return
	}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
	reason := "Unknown"
	if c := meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady); c != nil {
		reason = c.Reason
	}
	m.mu.Lock()
	m.reasons[key] = reason
	m.mu.Unlock()
}

// Forget drops an object that no longer exists.
func (m *ObjectMetrics) Forget(key types.NamespacedName) {
	if m == nil {
		return
	}
	m.mu.Lock()
	delete(m.reasons, key)
	m.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (m *ObjectMetrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.desc }

// Collect implements prometheus.Collector: it counts at scrape time, so the gauge is
// never out of step with the objects it has seen.
func (m *ObjectMetrics) Collect(ch chan<- prometheus.Metric) {
	counts := map[string]int{}
	m.mu.Lock()
	for _, reason := range m.reasons {
		counts[reason]++
	}
	m.mu.Unlock()
	for reason, n := range counts {
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, float64(n), reason)
	}
}
