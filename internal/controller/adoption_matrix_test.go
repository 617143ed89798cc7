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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// DESIGN.md §4 step 6: a NairiSecret takes over a vault secret that already has its env
// key only when it may have created it itself (a), its NairiVault says adoption: Allow (b),
// it uses its own key (c), or a conflict peer of this cluster created it (d).
var _ = Describe("Adopting an existing vault secret", func() {
	const production = "postgresql://production-value"
	prodDomains := []string{"db.prod.example.com"}
	var (
		ns, vault string
		obj       *secretsv1alpha1.NairiSecret
	)

	BeforeEach(func() {
		ns, vault = newNamespace(), sim.NewVault()
		createSecret(ns, "source", "value", "postgresql://tenant")
		obj = newNairiSecret(ns, "db", vault, "DATABASE_URL")
	})

	grant := func(adoption secretsv1alpha1.AdoptionPolicy) {
		eventuallyVerified(grantVault(vault, func(v *secretsv1alpha1.NairiVault) {
			v.Spec.Namespaces = []string{ns}
			v.Spec.Adoption = adoption
		}))
		verificationCalls[vault] = 1
	}

	// refused checks the audit scenario's outcome: AlreadyExists, Stalled, the ways out in
	// the message, and the production secret exactly as it was.
	refused := func(seeded nairi.Secret) {
		got := eventuallyReason(obj, secretsv1alpha1.ReasonAlreadyExists)
		Expect(stalledOf(got)).NotTo(BeNil())
		msg := readyOf(got).Message
		Expect(msg).To(ContainSubstring("delete it in Nairi"))
		Expect(msg).To(ContainSubstring("adoption: Allow"))
		Expect(msg).To(ContainSubstring("choose another spec.envKey"))
		Expect(msg).NotTo(ContainSubstring(seeded.ID))
		noMoreCalls(vault)
		Expect(calls(vault)).To(Equal([]string{post, list}))
		v, ok := sim.Value(vault, seeded.ID)
		Expect(ok).To(BeTrue())
		Expect(v).To(Equal(production))
		Expect(sim.Secrets(vault)).To(HaveLen(1))
		Expect(sim.Secrets(vault)[0].AllowedDomains).To(Equal(prodDomains))
		Expect(sim.Secrets(vault)[0].UpdatedAt).To(Equal(seeded.UpdatedAt))
		Expect(got.Status.SecretID).To(BeEmpty())
		Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Warning AlreadyExists"))
	}
	adopted := func(seeded nairi.Secret, wantCalls ...string) {
		got := eventuallySynced(obj)
		Expect(got.Status.SecretID).To(Equal(seeded.ID))
		Expect(calls(vault)).To(Equal(wantCalls))
		Expect(sim.Secrets(vault)).To(HaveLen(1))
		Expect(vaultValue(obj)).To(Equal("postgresql://tenant"))
		Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Normal Adopted"))
	}

	DescribeTable("whose secret it is",
		func(run func()) { run() },
		Entry("made before the object (the audit scenario): AlreadyExists, zero PATCH, production untouched", func() {
			grant(secretsv1alpha1.AdoptionDeny)
			seeded := sim.Seed(vault, "DATABASE_URL", production, prodDomains)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			refused(seeded)
		}),
		Entry("made before the object, adoption: Allow: one PATCH, Adopted (b)", func() {
			grant(secretsv1alpha1.AdoptionAllow)
			seeded := sim.Seed(vault, "DATABASE_URL", production, prodDomains)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			adopted(seeded, post, list, patch)
			Expect(sim.Secrets(vault)[0].AllowedDomains).To(BeEmpty())
		}),
		Entry("made before the object, own key: adopted (c)", func() {
			createSecret(ns, "nairi-key", "apiKey", operatorKey)
			obj.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}
			seeded := sim.Seed(vault, "DATABASE_URL", production, prodDomains)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			adopted(seeded, post, list, patch)
		}),
		Entry("the POST committed and its answer lost: the retry adopts it, one secret (a)", func() {
			grant(secretsv1alpha1.AdoptionDeny)
			sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Drop: true, Commit: true})
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			got := eventuallySynced(obj)
			Expect(calls(vault)).To(Equal([]string{post, post, list, patch}))
			Expect(sim.Secrets(vault)).To(HaveLen(1))
			Expect(got.Status.SecretID).To(Equal(sim.Secrets(vault)[0].ID))
			Expect(got.Annotations).To(HaveKey(secretsv1alpha1.CreateIntentAnnotation))
		}),
		Entry("a mark written earlier, but the secret older than it: refused", func() {
			grant(secretsv1alpha1.AdoptionDeny)
			seeded := sim.SeedAt(vault, "DATABASE_URL", production, prodDomains, time.Now().Add(-10*time.Minute))
			obj.Annotations = map[string]string{
				secretsv1alpha1.CreateIntentAnnotation: time.Now().UTC().Format(time.RFC3339)}
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			refused(seeded)
		}),
		Entry("left by a deleted Retain object: refused under Deny", func() {
			grant(secretsv1alpha1.AdoptionDeny)
			seeded := retainedBy(ns, vault)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			got := eventuallyReason(obj, secretsv1alpha1.ReasonAlreadyExists)
			Expect(got.Status.SecretID).To(BeEmpty())
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{post, post, list}))
			v, _ := sim.Value(vault, seeded.ID)
			Expect(v).To(Equal("postgresql://retained"))
		}),
		Entry("left by a deleted Retain object: adopted under Allow", func() {
			grant(secretsv1alpha1.AdoptionAllow)
			seeded := retainedBy(ns, vault)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			adopted(seeded, post, post, list, patch)
		}),
	)

	It("takes the secret over once an admin allows adoption, without a restart", func() {
		nv := grantVault(vault, func(v *secretsv1alpha1.NairiVault) { v.Spec.Namespaces = []string{ns} })
		eventuallyVerified(nv)
		verificationCalls[vault] = 1
		seeded := sim.Seed(vault, "DATABASE_URL", production, prodDomains)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallyReason(obj, secretsv1alpha1.ReasonAlreadyExists)

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(nv), nv)).To(Succeed())
		nv.Spec.Adoption = secretsv1alpha1.AdoptionAllow
		Expect(k8sClient.Update(ctx, nv)).To(Succeed())
		got := eventuallySynced(obj)
		Expect(got.Status.SecretID).To(Equal(seeded.ID))
		// The NairiVault's spec changed, so it was verified again.
		Expect(calls(vault)).To(ConsistOf(post, list, list, post, list, patch))
	})
})

// retainedBy syncs, then deletes, a NairiSecret with deletionPolicy Retain for
// DATABASE_URL, and returns the vault secret it left behind (one POST).
func retainedBy(ns, vault string) nairi.Secret {
	createSecret(ns, "retained-source", "value", "postgresql://retained")
	old := newNairiSecret(ns, "retained", vault, "DATABASE_URL")
	old.Spec.SecretRef.Name = "retained-source"
	old.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain
	Expect(k8sClient.Create(ctx, old)).To(Succeed())
	eventuallySynced(old)
	deleteAndWait(old)
	Expect(sim.Secrets(vault)).To(HaveLen(1))
	return sim.Secrets(vault)[0]
}

// Two NairiSecrets claim one vault secret, and the younger one created it: it had POSTed
// before the older one reached the cache. The owner adopts it (d); the loser forgets its
// digest, keeps its secretID, and when the owner is deleted takes over by writing its own
// value at once, whatever the owner's deletion policy.
var _ = Describe("Conflict takeover", func() {
	DescribeTable("after the owner's deletion, the vault holds the new owner's value",
		func(policy secretsv1alpha1.DeletionPolicy, afterDeletion []string) {
			vault := grantedVault()
			owner, loser := createdInTheSameSecond(vault, policy)

			// The owner adopted what the loser created (d): one secret, the owner's value.
			got := eventuallySynced(owner)
			lost := eventuallyReason(loser, secretsv1alpha1.ReasonConflict)
			Expect(lost.Status.SecretID).To(Equal(got.Status.SecretID))
			Expect(lost.Status.SyncedDigest).To(BeEmpty())
			Expect(readyOf(lost).Message).NotTo(ContainSubstring(owner.Namespace))
			Expect(sim.Secrets(vault)).To(HaveLen(1))
			Expect(vaultValue(owner)).To(Equal("owner"))
			Eventually(func() []string { return eventsOf(owner) }, timeout).Should(ContainElement("Normal Adopted"))
			Expect(calls(vault)).To(Equal([]string{post, post, list, patch}))

			deleteAndWait(owner)
			Eventually(func() string {
				v, _ := sim.Value(vault, get(loser).Status.SecretID)
				return v
			}, 10*time.Second).Should(Equal("loser"))
			eventuallySynced(loser)
			Expect(sim.Secrets(vault)).To(HaveLen(1))
			Expect(calls(vault)[4:]).To(Equal(afterDeletion))
		},
		Entry("Delete: the owner's DELETE, then the loser's PATCH finds it gone and POSTs",
			secretsv1alpha1.DeletionPolicyDelete, []string{del, patch, post}),
		Entry("Retain: the loser PATCHes its value over the owner's", secretsv1alpha1.DeletionPolicyRetain, []string{patch}),
	)

	It("never sends a DELETE when a loser is deleted", func() {
		vault := grantedVault()
		owner, loser := createdInTheSameSecond(vault, secretsv1alpha1.DeletionPolicyDelete)
		eventuallySynced(owner)
		eventuallyReason(loser, secretsv1alpha1.ReasonConflict)
		deleteAndWait(loser)
		noMoreCalls(vault)
		Expect(calls(vault)).To(Equal([]string{post, post, list, patch}))
		Expect(vaultValue(owner)).To(Equal("owner"))
	})
})

// createdInTheSameSecond makes the race that leaves a younger NairiSecret with a vault
// secret: the loser is created and syncs, then the owner is created within the same
// second in a namespace that sorts first, so it is older by (creationTimestamp, namespace,
// name). Creation timestamps have a one-second resolution; when the second turns over in
// between, the attempt is discarded and made again.
func createdInTheSameSecond(vault string, ownerPolicy secretsv1alpha1.DeletionPolicy) (owner, loser *secretsv1alpha1.NairiSecret) {
	for attempt := range 10 {
		base := newNamespace()
		ownerNS, loserNS := base+"-a", base+"-b"
		for _, n := range []string{ownerNS, loserNS} {
			Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}})).To(Succeed())
		}
		createSecret(ownerNS, "source", "value", "owner")
		createSecret(loserNS, "source", "value", "loser")
		// Start at the beginning of a second, to leave the loser a whole second to sync.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		loser = newNairiSecret(loserNS, "db", vault, fmt.Sprintf("SHARED_%d", attempt))
		Expect(k8sClient.Create(ctx, loser)).To(Succeed())
		Eventually(func() string { return get(loser).Status.SecretID }, timeout, 10*time.Millisecond).ShouldNot(BeEmpty())
		owner = newNairiSecret(ownerNS, "db", vault, loser.Spec.EnvKey)
		owner.Spec.DeletionPolicy = ownerPolicy
		Expect(k8sClient.Create(ctx, owner)).To(Succeed())
		if get(owner).CreationTimestamp.Equal(&loser.CreationTimestamp) {
			return owner, loser
		}
		// The second turned over: start again with a fresh env key, forgetting this try.
		update(owner, func(o *secretsv1alpha1.NairiSecret) { o.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyDelete })
		deleteAndWait(owner)
		deleteAndWait(loser)
		verificationCalls[vault] += len(requestsOf(vault)) // the specs count from the attempt that worked
	}
	Fail("could not create two NairiSecrets within one second in 10 attempts")
	return nil, nil
}
