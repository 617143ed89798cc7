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

package controller_test

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// seriesOf returns the samples of the metric family whose namespace and name labels are
// the object's, each as "label=value,...=value" in the family's label order.
func seriesOf(family string, obj client.Object) []string {
	families, err := registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] != obj.GetNamespace() || labels["name"] != obj.GetName() {
				continue
			}
			out = append(out, render(m, labels))
		}
	}
	slices.Sort(out)
	return out
}

func render(m *dto.Metric, labels map[string]string) string {
	value := m.GetGauge().GetValue()
	if kind, ok := labels["kind"]; ok {
		return fmt.Sprintf("%s %s=%s %s = %v", kind, labels["type"], labels["status"], labels["reason"], value)
	}
	return fmt.Sprintf("%v", value)
}

var _ = Describe("Per-object status metric", func() {
	It("follows a NairiSecret through create, failure, recovery and deletion, leaving no series behind", func() {
		ns, vault := newNamespace(), grantedVault()
		source := createSecret(ns, "source", "value", "v1")
		obj := newNairiSecret(ns, "db", vault, "STATUS_METRIC")
		conditions := func() []string { return seriesOf("nairi_secret_status_condition", obj) }
		lastSynced := func() []string { return seriesOf("nairi_secret_last_synced_timestamp_seconds", obj) }

		By("creating: Ready=True Synced, and the time of the push")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		synced := eventuallySynced(obj)
		Eventually(conditions, timeout).Should(Equal([]string{"NairiSecret Ready=True Synced = 1"}))
		Expect(lastSynced()).To(Equal([]string{fmt.Sprintf("%v", float64(synced.Status.LastSyncedTime.Unix()))}))

		By("failing in a way that needs a human: Ready=False and Stalled=True, nothing left of Synced")
		setSecretValue(source, "value", "")
		eventuallyReason(obj, secretsv1alpha1.ReasonEmptyValue)
		Eventually(conditions, timeout).Should(Equal([]string{
			"NairiSecret Ready=False EmptyValue = 1",
			"NairiSecret Stalled=True EmptyValue = 1",
		}))
		Expect(lastSynced()).To(HaveLen(1), "the last successful push is still known")

		By("recovering: Stalled goes away")
		setSecretValue(source, "value", "v2")
		eventuallySynced(obj)
		Eventually(conditions, timeout).Should(Equal([]string{"NairiSecret Ready=True Synced = 1"}))

		By("deleting: every series of the object goes")
		Expect(k8sClient.Delete(ctx, obj)).To(Succeed())
		Eventually(func() []string { return append(conditions(), lastSynced()...) }, timeout).Should(BeEmpty())
		Consistently(conditions, quiet).Should(BeEmpty(), "a late reconcile must not bring the object back")
	})

	It("follows a NairiVault from verification to deletion", func() {
		nv := grantVault(sim.NewVault(), func(v *secretsv1alpha1.NairiVault) { v.Spec.Namespaces = []string{"nobody"} })
		conditions := func() []string { return seriesOf("nairi_secret_status_condition", nv) }
		eventuallyVerified(nv)
		Eventually(conditions, timeout).Should(Equal([]string{"NairiVault Ready=True Verified = 1"}))

		Expect(k8sClient.Delete(ctx, nv)).To(Succeed())
		Eventually(conditions, timeout).Should(BeEmpty())
	})

	It("follows a NairiSecretSet from Synced to deletion, with its children", func() {
		ns, vault := newNamespace(), grantedVault()
		createSecretData(ns, "env", map[string]string{"ONE": "1", "TWO": "2"})
		set := newSet(ns, "metric", vault, "env")
		conditions := func() []string { return seriesOf("nairi_secret_status_condition", set) }
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 2, 2)
		Eventually(conditions, timeout).Should(Equal([]string{"NairiSecretSet Ready=True Synced = 1"}))

		Expect(k8sClient.Delete(ctx, set)).To(Succeed())
		Eventually(conditions, timeout).Should(BeEmpty())
		Consistently(conditions, quiet).Should(BeEmpty(), "a late reconcile must not bring the set back")
	})
})
