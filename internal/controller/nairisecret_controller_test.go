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
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

var _ = Describe("Syncing a NairiSecret", func() {
	var (
		ns, vault string
		source    *corev1.Secret
		obj       *secretsv1alpha1.NairiSecret
	)

	BeforeEach(func() {
		ns, vault = newNamespace(), grantedVault()
		source = createSecret(ns, "source", "value", "postgresql://v1")
		obj = newNairiSecret(ns, "db", vault, "DATABASE_URL")
	})

	It("creates the vault secret with one POST and records it", func() {
		obj.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"*.example.com"}
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := eventuallySynced(obj)

		Expect(calls(vault)).To(Equal([]string{post}))
		Expect(got.Status.SecretID).To(MatchRegexp(`^sec_[0-9A-HJKMNP-TV-Z]{26}$`))
		Expect(got.Status.SyncedDigest).To(HavePrefix("v2:hmac-sha256:"))
		Expect(got.Status.LastSyncedTime).NotTo(BeNil())
		Eventually(func() *secretsv1alpha1.SyncedFrom { return get(obj).Status.SyncedFrom }, timeout).Should(
			Equal(&secretsv1alpha1.SyncedFrom{SecretResourceVersion: source.ResourceVersion, Generation: got.Generation}))
		remote := sim.Secrets(vault)
		Expect(remote).To(HaveLen(1))
		Expect(remote[0].EnvKey).To(Equal("DATABASE_URL"))
		Expect(remote[0].AllowedDomains).To(Equal([]string{"*.example.com"}))
		Expect(got.Status.RemoteUpdatedAt).To(Equal(remote[0].UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")))
		Expect(vaultValue(obj)).To(Equal("postgresql://v1"))
		Expect(controllerutil.ContainsFinalizer(got, secretsv1alpha1.Finalizer)).To(BeTrue())
		Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Normal Created"))
	})

	It("rotates the value with one PATCH when the Secret changes", func() {
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		first := eventuallySynced(obj)

		setSecretValue(source, "value", "postgresql://v2")
		Eventually(func() string { return vaultValue(obj) }, timeout).Should(Equal("postgresql://v2"))
		// The status is written just after the PATCH: wait for it rather than race it.
		Eventually(func() string { return get(obj).Status.SyncedDigest }, timeout).ShouldNot(Equal(first.Status.SyncedDigest))
		got := eventuallySynced(obj)
		Expect(calls(vault)).To(Equal([]string{post, patch}))
		Expect(got.Status.SecretID).To(Equal(first.Status.SecretID))
		Expect(got.Status.SyncedDigest).NotTo(Equal(first.Status.SyncedDigest))
		Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Normal Updated"))
	})

	It("patches the allowed domains when only they change", func() {
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallySynced(obj)

		update(obj, func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"api.example.com", "*.stripe.com"}
		})
		Eventually(func() []string { return sim.Secrets(vault)[0].AllowedDomains }, timeout).
			Should(ConsistOf("api.example.com", "*.stripe.com"))
		eventuallySynced(obj)
		Expect(calls(vault)).To(Equal([]string{post, patch}))
		Expect(vaultValue(obj)).To(Equal("postgresql://v1"))
	})

	Context("when nothing that matters changes", func() {
		BeforeEach(func() {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
		})

		It("makes no call for a label change on the Secret", func() {
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(source), source)).To(Succeed())
			source.Labels = map[string]string{"team": "shop"}
			Expect(k8sClient.Update(ctx, source)).To(Succeed())
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{post}))
		})

		It("makes no call for an annotation on the NairiSecret", func() {
			update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Annotations = map[string]string{"note": "x"} })
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{post}))
		})

		It("makes no call after a manager restart", func() {
			restartManager()
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{post}))
			eventuallySynced(obj)
		})
	})

	It("gives two objects holding one value unrelated digests", func() {
		other := newNamespace()
		createSecret(other, "source", "value", "postgresql://v1")
		twin := newNairiSecret(other, "db", grantedVault(), "DATABASE_URL")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		Expect(k8sClient.Create(ctx, twin)).To(Succeed())
		first, second := eventuallySynced(obj), eventuallySynced(twin)
		Expect(second.Status.SyncedDigest).NotTo(Equal(first.Status.SyncedDigest))
	})

	It("re-pushes an object with an older digest format once after an upgrade, and says so at start", func() {
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		synced := eventuallySynced(obj)
		By("recording a v1 digest, as the previous release wrote it")
		before := synced.DeepCopy()
		synced.Status.SyncedDigest = "hmac-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		Expect(k8sClient.Status().Patch(ctx, synced, client.MergeFrom(before))).To(Succeed())
		restartManager()

		Eventually(func() string { return get(obj).Status.SyncedDigest }, timeout).Should(HavePrefix("v2:hmac-sha256:"))
		noMoreCalls(vault)
		Expect(calls(vault)).To(Equal([]string{post, patch}), "exactly one PATCH to record the new digest")
		Expect(logs.String()).To(MatchRegexp(`will push their value once.*"count":[1-9]`))
	})

	It("keeps one vault secret when the POST's answer is lost and the manager restarts", func() {
		// The POST is made, but its answer never arrives: what a crash between the POST
		// and the status write looks like to the API.
		sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Drop: true, Commit: true})
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		Eventually(func() []string { return calls(vault) }, timeout).Should(HaveLen(1))
		restartManager()

		got := eventuallySynced(obj)
		Expect(sim.Secrets(vault)).To(HaveLen(1))
		Expect(got.Status.SecretID).To(Equal(sim.Secrets(vault)[0].ID))
		Expect(vaultValue(obj)).To(Equal("postgresql://v1"))
	})

	Context("with drift checks every second", func() {
		BeforeEach(func() {
			obj.Spec.RefreshInterval = &metav1.Duration{Duration: time.Second}
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
		})
		AfterEach(func() { deleteAndWait(obj) })

		It("recreates a vault secret deleted outside Kubernetes", func() {
			old := get(obj).Status.SecretID
			sim.DeleteOutOfBand(vault, old)
			Eventually(func() []nairi.Secret { return sim.Secrets(vault) }, timeout).Should(HaveLen(1))
			// The status is written just after the POST: wait for it rather than race it.
			Eventually(func() string { return get(obj).Status.SecretID }, timeout).ShouldNot(Equal(old))
			got := eventuallySynced(obj)
			Expect(got.Status.SecretID).To(Equal(sim.Secrets(vault)[0].ID))
			Expect(vaultValue(obj)).To(Equal("postgresql://v1"))
			Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Normal Recreated"))
		})

		It("restores a vault secret changed outside Kubernetes", func() {
			id := get(obj).Status.SecretID
			tampered := "tampered"
			sim.ChangeOutOfBand(vault, id, &tampered, []string{"evil.example.com"})
			Eventually(func() string { return vaultValue(obj) }, timeout).Should(Equal("postgresql://v1"))
			Expect(sim.Secrets(vault)[0].AllowedDomains).To(BeEmpty())
			Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Normal Restored"))
			Expect(get(obj).Status.SecretID).To(Equal(id))
		})

		It("checks with Lists only, no writes, while nothing drifts", func() {
			Eventually(func() []string { return calls(vault) }, timeout).Should(ContainElement(list))
			noMoreWrites := func() []string {
				return filterOut(calls(vault)[1:], list)
			}
			Consistently(noMoreWrites, quiet).Should(BeEmpty())
		})
	})

	It("shares one vault List among the drift checks of the vault's objects", func() {
		objs := make([]*secretsv1alpha1.NairiSecret, 0, 5)
		for _, key := range []string{"A", "B", "C", "D", "E"} {
			o := newNairiSecret(ns, "obj-"+strings.ToLower(key), vault, "KEY_"+key)
			o.Spec.RefreshInterval = &metav1.Duration{Duration: time.Second}
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
			objs = append(objs, o)
		}
		for _, o := range objs {
			eventuallySynced(o)
		}
		start := len(calls(vault))
		// Over 3 s, five objects checked every second would make about 15 Lists on
		// their own; sharing (5 s TTL, dropped after writes) leaves very few.
		time.Sleep(3 * time.Second)
		lists := filterIn(calls(vault)[start:], list)
		Expect(lists).NotTo(BeEmpty())
		Expect(len(lists)).To(BeNumerically("<=", 2))
		for _, o := range objs {
			deleteAndWait(o)
		}
	})

	Context("deletion", func() {
		It("deletes the vault secret with deletionPolicy Delete", func() {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			deleteAndWait(obj)
			Expect(calls(vault)).To(Equal([]string{post, del}))
			Expect(sim.Secrets(vault)).To(BeEmpty())
		})

		It("keeps the vault secret with deletionPolicy Retain, and holds no finalizer", func() {
			obj.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			got := eventuallySynced(obj)
			Expect(got.Finalizers).To(BeEmpty())
			deleteAndWait(obj)
			Expect(calls(vault)).To(Equal([]string{post}))
			Expect(sim.Secrets(vault)).To(HaveLen(1))
		})

		It("treats a vault secret already gone as deleted", func() {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			got := eventuallySynced(obj)
			sim.DeleteOutOfBand(vault, got.Status.SecretID)
			deleteAndWait(obj)
			Expect(calls(vault)).To(Equal([]string{post, del}))
		})

		It("reports a failing DELETE as Deleting, and lets Retain unblock it", func() {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			sim.Inject(nairisim.Fault{Method: "DELETE", Route: nairi.RouteSecret, Times: -1, Status: 500})
			defer sim.ClearFaults()
			Expect(k8sClient.Delete(ctx, obj)).To(Succeed())
			var got *secretsv1alpha1.NairiSecret
			Eventually(func(g Gomega) {
				got = &secretsv1alpha1.NairiSecret{}
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), got)).To(Succeed())
				g.Expect(readyOf(got)).NotTo(BeNil())
				g.Expect(readyOf(got).Reason).To(Equal(secretsv1alpha1.ReasonDeleting))
			}, timeout).Should(Succeed())
			Expect(readyOf(got).Message).To(ContainSubstring("set spec.deletionPolicy to Retain"))

			update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain })
			deleteAndWait(obj)
			Expect(sim.Secrets(vault)).To(HaveLen(1))
		})

		It("keeps the finalizer on a 404 that did not come from the API, then deletes once it answers", func() {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			got := eventuallySynced(obj)
			// A proxy's page for a wrong path: not the API's {"error": ...} shape.
			sim.Inject(nairisim.Fault{Method: "DELETE", Route: nairi.RouteSecret, Times: -1, Status: 404,
				Headers: map[string]string{"Content-Type": "text/html"}, Body: "<html><h1>404 Not Found</h1></html>"})
			defer sim.ClearFaults()
			Expect(k8sClient.Delete(ctx, obj)).To(Succeed())
			Eventually(func(g Gomega) {
				got = &secretsv1alpha1.NairiSecret{}
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), got)).To(Succeed())
				g.Expect(readyOf(got)).NotTo(BeNil())
				g.Expect(readyOf(got).Reason).To(Equal(secretsv1alpha1.ReasonDeleting))
			}, timeout).Should(Succeed())
			Expect(readyOf(got).Message).To(ContainSubstring("did not come from the Nairi API (check --nairi-api-url)"))
			Expect(got.Finalizers).To(ContainElement(secretsv1alpha1.Finalizer))
			Expect(sim.Secrets(vault)).To(HaveLen(1), "the vault secret must stay while the finalizer does")

			sim.ClearFaults()
			Eventually(func() bool {
				return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), &secretsv1alpha1.NairiSecret{}))
			}, timeout).Should(BeTrue())
			Expect(sim.Secrets(vault)).To(BeEmpty())
		})

		It("deletes even while suspended", func() {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.Suspend = true })
			eventuallyReason(obj, secretsv1alpha1.ReasonSuspended)
			deleteAndWait(obj)
			Expect(sim.Secrets(vault)).To(BeEmpty())
		})
	})

	It("makes no call while suspended, and catches up when resumed", func() {
		obj.Spec.Suspend = true
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := eventuallyReason(obj, secretsv1alpha1.ReasonSuspended)
		Expect(readyOf(got).Status).To(Equal(metav1.ConditionFalse))
		Expect(stalledOf(got)).To(BeNil())
		setSecretValue(source, "value", "postgresql://v2")
		noMoreCalls(vault)
		Expect(calls(vault)).To(BeEmpty())

		update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.Suspend = false })
		eventuallySynced(obj)
		Expect(calls(vault)).To(Equal([]string{post}))
		Expect(vaultValue(obj)).To(Equal("postgresql://v2"))
	})
})

func filterIn(calls []string, keep string) []string {
	var out []string
	for _, c := range calls {
		if c == keep {
			out = append(out, c)
		}
	}
	return out
}

func filterOut(calls []string, drop string) []string {
	var out []string
	for _, c := range calls {
		if c != drop {
			out = append(out, c)
		}
	}
	return out
}
