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

// Each row of DESIGN.md §3: the trigger, the reason, whether it is Stalled, the words
// of the message that tell the user what to do, and then the fix that clears it.
var _ = Describe("Ready reasons", func() {
	var (
		ns, vault string
		obj       *secretsv1alpha1.NairiSecret
	)

	BeforeEach(func() {
		ns, vault = newNamespace(), grantedVault()
		obj = newNairiSecret(ns, "db", vault, "DATABASE_URL")
	})

	type row struct {
		setup   func()
		reason  string
		stalled bool
		message string
		fix     func()
	}

	DescribeTable("from trigger to recovery",
		func(r func() row) {
			rw := r()
			rw.setup()
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			got := eventuallyReason(obj, rw.reason)
			Expect(readyOf(got).Status).To(Equal(metav1.ConditionFalse))
			Expect(readyOf(got).Message).To(ContainSubstring(rw.message))
			if rw.stalled {
				Expect(stalledOf(got)).NotTo(BeNil())
				Expect(stalledOf(got).Status).To(Equal(metav1.ConditionTrue))
				Expect(stalledOf(got).Reason).To(Equal(rw.reason))
			} else {
				Expect(stalledOf(got)).To(BeNil())
			}
			Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Warning " + rw.reason))

			rw.fix()
			eventuallySynced(obj)
			Expect(sim.Secrets(vault)).To(HaveLen(1))
		},
		Entry("SecretNotFound: the Secret appears", func() row {
			return row{setup: func() {}, reason: secretsv1alpha1.ReasonSecretNotFound,
				message: "does not exist. Create it",
				fix:     func() { createSecret(ns, "source", "value", "v") }}
		}),
		Entry("SecretKeyNotFound: the key is added", func() row {
			var s *corev1.Secret
			return row{setup: func() { s = createSecret(ns, "source", "other", "v") },
				reason: secretsv1alpha1.ReasonSecretKeyNotFound, message: `has no key "value"`,
				fix: func() { setSecretValue(s, "value", "v") }}
		}),
		Entry("EmptyValue: a value is put in", func() row {
			var s *corev1.Secret
			return row{setup: func() { s = createSecret(ns, "source", "value", "") },
				reason: secretsv1alpha1.ReasonEmptyValue, stalled: true, message: "Nairi refuses empty values",
				fix: func() { setSecretValue(s, "value", "v") }}
		}),
		Entry("InvalidValue: the value becomes text", func() row {
			var s *corev1.Secret
			return row{setup: func() { s = createSecret(ns, "source", "value", "\xff\xfe") },
				reason: secretsv1alpha1.ReasonInvalidValue, stalled: true, message: "not valid UTF-8",
				fix: func() { setSecretValue(s, "value", "text") }}
		}),
		Entry("VaultNotFound: the vault is created in Nairi", func() row {
			return row{setup: func() {
				vault = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
				obj.Spec.VaultID = vault
				grantVault(vault, func(v *secretsv1alpha1.NairiVault) { v.Spec.Namespaces = []string{ns} })
				createSecret(ns, "source", "value", "v")
			}, reason: secretsv1alpha1.ReasonVaultNotFound, message: "Create it in Nairi or fix spec.vaultID",
				fix: func() {
					sim.AddVault(vault)
					// The retry comes after ~5 minutes; a spec change makes it now.
					update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"a.com"} })
				}}
		}),
		Entry("Unauthorized: the per-object key Secret is missing, then created", func() row {
			return row{setup: func() {
				createSecret(ns, "source", "value", "v")
				obj.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}
			}, reason: secretsv1alpha1.ReasonUnauthorized, message: "API key Secret (spec.apiKeySecretRef) " + ns + "/nairi-key does not exist",
				fix: func() { createSecret(ns, "nairi-key", "apiKey", operatorKey) }}
		}),
		Entry("Unauthorized: a wrong per-object key is fixed in its Secret alone", func() row {
			var key *corev1.Secret
			return row{setup: func() {
				createSecret(ns, "source", "value", "v")
				key = createSecret(ns, "nairi-key", "apiKey", "nr_revoked")
				obj.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}
			}, reason: secretsv1alpha1.ReasonUnauthorized, message: "Nairi refused the API key (HTTP 401",
				fix: func() { setSecretValue(key, "apiKey", operatorKey) }}
		}),
		Entry("Rejected: another 4xx, until the spec changes", func() row {
			return row{setup: func() {
				// A longer value: the client withholds messages of requests with values
				// too short to search them for.
				createSecret(ns, "source", "value", "postgresql://v1")
				sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Status: 400,
					Body: `{"error":"allowed_domains is invalid"}`})
			}, reason: secretsv1alpha1.ReasonRejected, stalled: true, message: "(HTTP 400: allowed_domains is invalid)",
				fix: func() {
					update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"b.com"} })
				}}
		}),
		Entry("APIUnavailable: 5xx until the API recovers, without a duplicate", func() row {
			return row{setup: func() {
				createSecret(ns, "source", "value", "v")
				sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Status: 503, Times: 2})
			}, reason: secretsv1alpha1.ReasonAPIUnavailable, message: "Retrying with backoff",
				fix: func() {}}
		}),
		Entry("RateLimited: waits for Retry-After", func() row {
			return row{setup: func() {
				createSecret(ns, "source", "value", "v")
				sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Status: 429,
					Headers: map[string]string{"Retry-After": "2"}})
			}, reason: secretsv1alpha1.ReasonRateLimited, message: "retrying in 2s",
				fix: func() {}}
		}),
	)

	It("does not call the API again before Retry-After has passed", func() {
		createSecret(ns, "source", "value", "v")
		sim.Inject(nairisim.Fault{Method: "POST", Route: nairi.RouteSecrets, Status: 429,
			Headers: map[string]string{"Retry-After": "2"}})
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallySynced(obj)
		reqs := requestsOf(vault)
		Expect(reqs).To(HaveLen(2))
		Expect(reqs[0].Status).To(Equal(429))
		Expect(reqs[1].Time.Sub(reqs[0].Time)).To(BeNumerically(">=", 2*time.Second))
	})

	It("reports a revoked operator key as Unauthorized, naming what to fix", func() {
		createSecret(ns, "source", "value", "v")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallySynced(obj)
		sim.RevokeAPIKey(operatorKey)
		defer sim.AddAPIKey(operatorKey)
		createSecret(ns, "other", "value", "v")
		second := newNairiSecret(ns, "second", vault, "OTHER")
		second.Spec.SecretRef.Name = "other"
		Expect(k8sClient.Create(ctx, second)).To(Succeed())
		got := eventuallyReason(second, secretsv1alpha1.ReasonUnauthorized)
		Expect(readyOf(got).Message).To(ContainSubstring("Fix the operator's key (NAIRI_API_KEY or --nairi-api-key-file)"))
	})

	Describe("Conflict", func() {
		It("lets the oldest object own a vault secret, and hands over when it is deleted", func() {
			createSecret(ns, "source", "value", "first")
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)

			otherNS := newNamespace()
			createSecret(otherNS, "source", "value", "second")
			// The creation timestamps have a one-second resolution.
			time.Sleep(1100 * time.Millisecond)
			younger := newNairiSecret(otherNS, "db", vault, "DATABASE_URL")
			Expect(k8sClient.Create(ctx, younger)).To(Succeed())
			got := eventuallyReason(younger, secretsv1alpha1.ReasonConflict)
			Expect(stalledOf(got)).NotTo(BeNil())
			// The owner is in another namespace, which the message does not name.
			Expect(readyOf(got).Message).To(ContainSubstring("Another NairiSecret, which is older, already syncs DATABASE_URL"))
			Expect(readyOf(got).Message).NotTo(ContainSubstring(ns))
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{post}))

			deleteAndWait(obj)
			eventuallySynced(younger)
			Expect(sim.Secrets(vault)).To(HaveLen(1))
			Expect(vaultValue(younger)).To(Equal("second"))
		})
	})

	It("refuses a wildcard over a public suffix before any call, naming the entry", func() {
		createSecret(ns, "source", "value", "postgresql://v1")
		obj.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"api.example.com", "*.co.uk"}
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := eventuallyReason(obj, secretsv1alpha1.ReasonRejected)
		Expect(readyOf(got).Message).To(ContainSubstring(`entry "*.co.uk" is a wildcard over the public suffix "co.uk"`))
		Expect(stalledOf(got)).NotTo(BeNil())
		Expect(stalledOf(got).Reason).To(Equal(secretsv1alpha1.ReasonRejected))
		noMoreCalls(vault)
		Expect(calls(vault)).To(BeEmpty())

		update(obj, func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"api.example.com", "*.shop.co.uk"}
		})
		eventuallySynced(obj)
		Expect(sim.Secrets(vault)).To(ConsistOf(HaveField("AllowedDomains", ConsistOf("api.example.com", "*.shop.co.uk"))))
	})

	It("stops re-evaluating a terminal reason only until its cause changes", func() {
		s := createSecret(ns, "source", "value", "")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallyReason(obj, secretsv1alpha1.ReasonEmptyValue)
		noMoreCalls(vault)
		Expect(calls(vault)).To(BeEmpty())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		setSecretValue(s, "value", "now set")
		eventuallySynced(obj)
	})
})
