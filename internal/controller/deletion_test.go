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
	"regexp"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// DESIGN.md §4 step 1: a deletion never orphans a value it could delete, and never hangs.
var _ = Describe("Deletion that never orphans or hangs", func() {
	It("deletes the secret of a POST whose answer was lost, found by the create-intent mark", func() {
		ns, vault := newNamespace(), grantedVault()
		createSecret(ns, "source", "value", "postgresql://v1")
		obj := newNairiSecret(ns, "db", vault, "DATABASE_URL")
		// The first POST is made and its answer lost; every later one fails before it
		// reaches the vault, so the object never learns the secret's id.
		sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Drop: true, Commit: true})
		sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Status: 503, Times: -1})
		DeferCleanup(sim.ClearFaults)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		Eventually(func() []nairi.Secret { return sim.Secrets(vault) }, timeout).Should(HaveLen(1))
		Expect(get(obj).Status.SecretID).To(BeEmpty())

		deleteAndWait(obj)
		Expect(sim.Secrets(vault)).To(BeEmpty())
		Expect(filterOut(calls(vault), post)).To(Equal([]string{list, del}))
	})

	It("leaves a secret with the env key that is older than the mark", func() {
		ns, vault := newNamespace(), grantedVault()
		createSecret(ns, "source", "value", "postgresql://v1")
		seeded := sim.SeedAt(vault, "DATABASE_URL", "production", nil, time.Now().Add(-time.Hour))
		obj := newNairiSecret(ns, "db", vault, "DATABASE_URL")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallyReason(obj, secretsv1alpha1.ReasonAlreadyExists)
		deleteAndWait(obj)
		Expect(calls(vault)).To(Equal([]string{post, list, list}))
		v, ok := sim.Value(vault, seeded.ID)
		Expect(ok).To(BeTrue())
		Expect(v).To(Equal("production"))
	})

	Describe("in a namespace being deleted", func() {
		var (
			ns, vault, key string
			obj            *secretsv1alpha1.NairiSecret
		)

		// The namespace controller deletes everything at once, the API-key Secret often
		// first. envtest runs no namespace controller, so the spec does it in that order:
		// the namespace, then the key Secret, then the NairiSecret.
		BeforeEach(func() {
			ns, vault, key = newNamespace(), sim.NewVault(), canary("nr_tenant_")
			sim.AddAPIKey(key)
			createSecret(ns, "source", "value", "postgresql://v1")
			keySecret := createSecret(ns, "nairi-key", "apiKey", key)
			obj = newNairiSecret(ns, "db", vault, "DATABASE_URL")
			obj.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)

			Expect(k8sClient.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
			Expect(k8sClient.Delete(ctx, keySecret)).To(Succeed())
			eventuallyReason(obj, secretsv1alpha1.ReasonUnauthorized)
		})

		It("deletes the vault secret with the key the process last used", func() {
			Expect(k8sClient.Delete(ctx, obj)).To(Succeed())
			Eventually(func() bool {
				return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj))
			}, 30*time.Second).Should(BeTrue())
			Expect(calls(vault)).To(Equal([]string{post, del}))
			Expect(sim.Secrets(vault)).To(BeEmpty())
			Expect(sim.RequestsBy(key)).To(Equal(2))
		})

		It("releases the finalizer within 30 s when no key is known, with an Orphaned Event and metric", func() {
			restartManager() // the process forgets the key it used
			before := orphanedTotal()
			id := get(obj).Status.SecretID
			Expect(k8sClient.Delete(ctx, obj)).To(Succeed())
			Eventually(func() bool {
				return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj))
			}, 30*time.Second).Should(BeTrue())

			Expect(calls(vault)).To(Equal([]string{post}))
			Expect(sim.Secrets(vault)).To(HaveLen(1))
			Expect(orphanedTotal()).To(Equal(before + 1))
			// The namespace accepts no Events any more: the Warning goes to the Namespace
			// object (in "default") and names the NairiSecret and its vault secret.
			var orphaned *eventsv1.Event
			Eventually(func() *eventsv1.Event {
				orphaned = nil
				for _, e := range allEvents(metav1.NamespaceDefault) {
					if e.Reason == secretsv1alpha1.EventOrphaned && e.Regarding.Kind == "Namespace" && e.Regarding.Name == ns {
						orphaned = &e
					}
				}
				return orphaned
			}, timeout).ShouldNot(BeNil())
			Expect(orphaned.Type).To(Equal(corev1.EventTypeWarning))
			Expect(orphaned.Note).To(ContainSubstring(id))
			Expect(orphaned.Related).NotTo(BeNil())
			Expect(orphaned.Related.Name).To(Equal("db"))
		})
	})
})

var orphanedLine = regexp.MustCompile(`(?m)^nairi_secrets_orphaned_total ([0-9.e+]+)$`)

// orphanedTotal reads nairi_secrets_orphaned_total from the running manager's registry.
func orphanedTotal() float64 {
	m := orphanedLine.FindStringSubmatch(gatherMetrics())
	Expect(m).NotTo(BeNil(), "nairi_secrets_orphaned_total is not exported")
	v, err := strconv.ParseFloat(m[1], 64)
	Expect(err).NotTo(HaveOccurred())
	return v
}
