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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// DESIGN.md §4 invariants: zero Kubernetes writes for a drift check that finds nothing,
// and zero Secret reads, status writes and Nairi calls for a restart.
var _ = Describe("Free at rest", func() {
	var ns, vault string

	BeforeEach(func() { ns, vault = newNamespace(), grantedVault() })

	It("writes no status while drift checks find nothing", func() {
		createSecret(ns, "source", "value", "postgresql://v1")
		obj := newNairiSecret(ns, "db", vault, "DATABASE_URL")
		obj.Spec.RefreshInterval = &metav1.Duration{Duration: time.Second}
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		synced := eventuallySynced(obj)
		mark := kubeRequests.mark()
		lists := len(filterIn(calls(vault), list))

		// Drift checks every second, served by a List at most every 5 s (the list cache's
		// TTL): two Lists mean a good dozen checks that found the vault as written.
		Eventually(func() int { return len(filterIn(calls(vault), list)) - lists }, 2*timeout).Should(BeNumerically(">=", 2))
		Expect(filterOut(calls(vault), list)).To(Equal([]string{post}))
		Expect(kubeRequests.count(mark, "PATCH", nairiSecretPath(ns))).To(BeZero(),
			"a drift check that found nothing patched the NairiSecret")
		Expect(get(obj).ResourceVersion).To(Equal(synced.ResourceVersion))
		deleteAndWait(obj)
	})

	It("costs no Secret read, status write or Nairi call to restart with synced objects", func() {
		objs := make([]*secretsv1alpha1.NairiSecret, 5)
		secrets := make([]*corev1.Secret, 5)
		for i := range objs {
			secrets[i] = createSecret(ns, fmt.Sprintf("source-%d", i), "value", fmt.Sprintf("value-%d", i))
			objs[i] = newNairiSecret(ns, fmt.Sprintf("obj-%d", i), vault, fmt.Sprintf("KEY_%d", i))
			objs[i].Spec.SecretRef.Name = secrets[i].Name
			Expect(k8sClient.Create(ctx, objs[i])).To(Succeed())
		}
		versions := map[string]string{}
		for i, o := range objs {
			eventuallySynced(o)
			// The first sync may run before the watch cache saw the Secret; the version is
			// then recorded by the reconcile the Secret's watch event brings.
			Eventually(func(g Gomega) {
				got := get(o)
				g.Expect(got.Status.SyncedFrom).NotTo(BeNil())
				g.Expect(got.Status.SyncedFrom.SecretResourceVersion).To(Equal(secrets[i].ResourceVersion))
				g.Expect(got.Status.SyncedFrom.Generation).To(Equal(got.Generation))
				versions[o.Name] = got.ResourceVersion
			}, timeout).Should(Succeed())
		}
		before := len(calls(vault))

		restartManager()
		mark := kubeRequests.mark()
		// The fresh manager reconciles every NairiSecret of the cluster once at start.
		all := &secretsv1alpha1.NairiSecretList{}
		Expect(k8sClient.List(ctx, all)).To(Succeed())
		Eventually(objectCount, timeout).Should(BeNumerically(">=", len(all.Items)))

		Expect(kubeRequests.count(mark, "GET", "/api/v1/namespaces/"+ns+"/secrets/")).To(BeZero(),
			"the restart read Secrets")
		Expect(kubeRequests.count(mark, "PATCH", nairiSecretPath(ns))).To(BeZero(), "the restart wrote")
		Expect(kubeRequests.count(mark, "PUT", nairiSecretPath(ns))).To(BeZero(), "the restart wrote")
		Expect(calls(vault)[before:]).To(BeEmpty(), "the restart called the Nairi API")
		for _, o := range objs {
			Expect(get(o).ResourceVersion).To(Equal(versions[o.Name]))
		}

		// The counting sees the new manager: a change is read once and pushed once.
		setSecretValue(secrets[0], "value", "value-0-rotated")
		Eventually(func() []string { return calls(vault)[before:] }, timeout).Should(Equal([]string{patch}))
		Expect(kubeRequests.count(mark, "GET", "/api/v1/namespaces/"+ns+"/secrets/source-0")).To(Equal(1))
		Expect(kubeRequests.count(mark, "GET", "/api/v1/namespaces/"+ns+"/secrets/source-")).To(Equal(1))
		for _, o := range objs {
			deleteAndWait(o)
		}
	})
})

func nairiSecretPath(ns string) string {
	return "/apis/secrets.nairi.ai/v1alpha1/namespaces/" + ns + "/nairisecrets"
}

// objectCount is the number of objects the suite's manager has reconciled since it
// started, by its nairi_secrets_objects gauge.
func objectCount() float64 { return objectCountIn(registry) }

// objectCountIn is objectCount for the manager whose metrics are in reg.
func objectCountIn(reg *prometheus.Registry) float64 {
	fams, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range fams {
		if f.GetName() == "nairi_secrets_objects" {
			for _, m := range f.GetMetric() {
				total += m.GetGauge().GetValue()
			}
		}
	}
	return total
}
