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
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/common/expfmt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

func canary(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// leaks returns the forms of secret found in text: as is, base64-encoded (a Secret's JSON),
// or any 12 characters of it in a row (a hex dump of a protobuf body shows 16 bytes a line).
func leaks(text, secret string) []string {
	var found []string
	for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))} {
		if strings.Contains(text, form) {
			found = append(found, form)
		}
	}
	for i := 0; i+12 <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+12]) {
			found = append(found, secret[i:i+12])
		}
	}
	return found
}

// gatherMetrics renders the manager's API and object metrics as Prometheus text.
func gatherMetrics() string {
	families, err := registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	var sb strings.Builder
	for _, f := range families {
		_, err := expfmt.MetricFamilyToText(&sb, f)
		Expect(err).NotTo(HaveOccurred())
	}
	return sb.String()
}

var _ = Describe("Secrets never leak", func() {
	It("keeps a random value and API key out of logs, Events, status and metrics", func() {
		ns, vault := newNamespace(), grantedVault()
		value, rotated, key := canary("value-"), canary("rotated-"), canary("nr_")
		sim.AddAPIKey(key)
		source := createSecret(ns, "source", "value", value)
		createSecret(ns, "nairi-key", "apiKey", key)
		obj := newNairiSecret(ns, "db", vault, "CANARY")
		obj.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}

		By("creating")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallySynced(obj)

		By("failing a rotation twice, then rotating")
		sim.Inject(nairisim.Fault{Method: "PATCH", Route: nairi.RouteSecret, Status: 500, Times: 1,
			Body: `<html>Internal Server Error</html>`})
		// An API that echoes the start of the value, cut short: no whole value to match.
		sim.Inject(nairisim.Fault{Method: "PATCH", Route: nairi.RouteSecret, Status: 400, Times: 1,
			Body: `{"error":"value is too long: ` + rotated[:14] + `…"}`})
		setSecretValue(source, "value", rotated)
		eventuallyReason(obj, secretsv1alpha1.ReasonRejected)
		update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"x.com"} })
		eventuallySynced(obj)
		Expect(vaultValue(obj)).To(Equal(rotated))

		By("failing with a wrong key")
		sim.RevokeAPIKey(key)
		setSecretValue(source, "value", value)
		eventuallyReason(obj, secretsv1alpha1.ReasonUnauthorized)

		status, err := json.Marshal(get(obj))
		Expect(err).NotTo(HaveOccurred())
		events, err := json.Marshal(allEvents(ns))
		Expect(err).NotTo(HaveOccurred())
		Expect(events).To(ContainSubstring("Warning"), "the failures must have made Events to check")
		places := map[string]string{
			"logs":    logs.String(),
			"events":  string(events),
			"object":  string(status),
			"metrics": gatherMetrics(),
		}
		listed := &metav1.PartialObjectMetadata{}
		listed.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		Expect(mgr.cache.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: "applied-before-start"}, listed)).
			To(Succeed(), "the Secret made before the manager started must have come in the watch's LIST")
		for where, text := range places {
			for _, secret := range []string{value, rotated, key, preexisting} {
				Expect(leaks(text, secret)).To(BeEmpty(), "found a secret in %s", where)
			}
		}
		Expect(places["logs"]).To(ContainSubstring("wrote vault secret"), "the logs must have been captured")
	})

	It("keeps the values of a NairiSecretSet and of a template out of logs, Events, status, children and metrics", func() {
		ns, vault := newNamespace(), grantedVault()
		first, second, password, rotated := canary("set-a-"), canary("set-b-"), canary("pw-"), canary("pw2-")
		env := createSecretData(ns, "env", map[string]string{"FIRST": first, "SECOND": second})
		app := createSecretData(ns, "app", map[string]string{"username": "u", "password": password, "host": "h", "dbname": "d"})

		By("a set over every key, rotated once")
		set := newSet(ns, "env", vault, "env")
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 2, 2)
		patchSecretData(env, map[string]*string{"SECOND": new(rotated)})
		Eventually(func() string { return vaultValue(new(children(set)["SECOND"])) }, timeout).Should(Equal(rotated))

		By("a template, rendered, then failing in a way that quotes the value")
		obj := templated(ns, vault, databaseURL)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallySynced(obj)
		update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.Template = `{{ index . .password }}` })
		eventuallyReason(obj, secretsv1alpha1.ReasonInvalidTemplate)
		patchSecretData(app, map[string]*string{"password": new(rotated)})
		update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.Template = `{{ b64dec .password }}` })
		eventuallyReason(obj, secretsv1alpha1.ReasonInvalidTemplate)

		objects, err := json.Marshal([]any{getSet(set), children(set), get(obj)})
		Expect(err).NotTo(HaveOccurred())
		events, err := json.Marshal(allEvents(ns))
		Expect(err).NotTo(HaveOccurred())
		Expect(events).To(ContainSubstring("InvalidTemplate"), "the failures must have made Events to check")
		places := map[string]string{
			"logs":    logs.String(),
			"events":  string(events),
			"objects": string(objects),
			"metrics": gatherMetrics(),
		}
		for where, text := range places {
			for _, secret := range []string{first, second, password, rotated} {
				Expect(leaks(text, secret)).To(BeEmpty(), "found a secret in %s", where)
			}
		}
		Expect(places["objects"]).To(ContainSubstring(`"FIRST"`), "the children must have been captured")
	})

	It("keeps no Secret data in the manager's cache, not even in kubectl's last-applied annotation", func() {
		ns := newNamespace()
		value := canary("applied-")
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "applied", Annotations: map[string]string{
			corev1.LastAppliedConfigAnnotation: `{"stringData":{"password":"` + value + `"}}`, "team": "shop"}},
			StringData: map[string]string{"password": value}}
		Expect(k8sClient.Create(ctx, s)).To(Succeed())

		cached := &metav1.PartialObjectMetadata{}
		cached.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		Eventually(func() error {
			return mgr.cache.Get(ctx, client.ObjectKeyFromObject(s), cached)
		}, timeout).Should(Succeed())
		Expect(cached.Annotations).To(HaveKeyWithValue("team", "shop"))
		Expect(cached.Annotations).NotTo(HaveKey(corev1.LastAppliedConfigAnnotation))
		Expect(cached.ManagedFields).To(BeEmpty())
		dump, err := json.Marshal(cached)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(dump)).NotTo(ContainSubstring(value))
	})
})

var _ = Describe("Metrics", func() {
	It("counts API requests by route template and objects by Ready reason", func() {
		ns, vault := newNamespace(), grantedVault()
		createSecret(ns, "source", "value", "v")
		obj := newNairiSecret(ns, "db", vault, "METRICS")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		synced := eventuallySynced(obj)
		empty := newNairiSecret(ns, "empty", vault, "EMPTY")
		empty.Spec.SecretRef.Name = "missing"
		Expect(k8sClient.Create(ctx, empty)).To(Succeed())
		eventuallyReason(empty, secretsv1alpha1.ReasonSecretNotFound)

		text := gatherMetrics()
		Expect(text).To(MatchRegexp(`nairi_api_requests_total\{code="201",method="POST",route="/vaults/\{id\}/secrets"\} [1-9]`))
		Expect(text).To(ContainSubstring(`nairi_api_request_duration_seconds_bucket{method="POST",route="/vaults/{id}/secrets"`))
		Expect(text).To(MatchRegexp(`nairi_secrets_objects\{reason="Synced"\} [1-9]`))
		Expect(text).To(MatchRegexp(`nairi_secrets_objects\{reason="SecretNotFound"\} [1-9]`))
		Expect(text).NotTo(ContainSubstring(vault))
		Expect(text).NotTo(ContainSubstring(synced.Status.SecretID))
	})
})
