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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// databaseURL is the template of a CloudNativePG-style "app" Secret composed into the
// URL agents use.
const databaseURL = `postgresql://{{ .username }}:{{ urlquery .password }}@{{ .host }}:5432/{{ .dbname }}`

// createSecretData creates a Secret with several keys.
func createSecretData(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}
	Expect(k8sClient.Create(ctx, s)).To(Succeed())
	return s
}

// patchSecretData sets (or, with a nil value, removes) keys of a Secret's data.
func patchSecretData(s *corev1.Secret, data map[string]*string) {
	Eventually(func() error {
		latest := &corev1.Secret{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(s), latest); err != nil {
			return err
		}
		if latest.Data == nil {
			latest.Data = map[string][]byte{}
		}
		for k, v := range data {
			if v == nil {
				delete(latest.Data, k)
			} else {
				latest.Data[k] = []byte(*v)
			}
		}
		return k8sClient.Update(ctx, latest)
	}, timeout).Should(Succeed())
}

// templated returns a NairiSecret whose value spec.template composes from Secret "app".
func templated(ns, vault, template string) *secretsv1alpha1.NairiSecret {
	obj := newNairiSecret(ns, "database-url", vault, "DATABASE_URL")
	obj.Spec.SecretRef = secretsv1alpha1.SourceSecretRef{Name: "app"}
	obj.Spec.Template = template
	return obj
}

var _ = Describe("Composing a value with spec.template", func() {
	var ns, vault string
	var app *corev1.Secret

	BeforeEach(func() {
		ns, vault = newNamespace(), grantedVault()
		app = createSecretData(ns, "app", map[string]string{"username": "shop", "password": "p@ss:/?#word",
			"host": "db-rw.shop.svc", "dbname": "shop", "unrelated": "u1"})
	})

	It("renders the template, escaping the password with urlquery, in one POST", func() {
		obj := templated(ns, vault, databaseURL)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		eventuallySynced(obj)
		Expect(vaultValue(obj)).To(Equal("postgresql://shop:p%40ss%3A%2F%3F%23word@db-rw.shop.svc:5432/shop"))
		Expect(calls(vault)).To(Equal([]string{post}))
	})

	It("pushes again when a key the template uses changes, and not when another key does", func() {
		obj := templated(ns, vault, databaseURL)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		before := eventuallySynced(obj)

		By("changing a key the template does not use: no call, same digest")
		patchSecretData(app, map[string]*string{"unrelated": new("u2")})
		noMoreCalls(vault)
		Expect(calls(vault)).To(Equal([]string{post}))
		Expect(get(obj).Status.SyncedDigest).To(Equal(before.Status.SyncedDigest))

		By("changing the password: one PATCH, new digest")
		patchSecretData(app, map[string]*string{"password": new("rotated/pw")})
		Eventually(func() string { return vaultValue(obj) }, timeout).
			Should(Equal("postgresql://shop:rotated%2Fpw@db-rw.shop.svc:5432/shop"))
		// The status is written just after the PATCH: wait for it rather than race it.
		Eventually(func() string { return get(obj).Status.SyncedDigest }, timeout).ShouldNot(Equal(before.Status.SyncedDigest))
		after := eventuallySynced(obj)
		Expect(calls(vault)).To(Equal([]string{post, patch}))
		Expect(after.Status.SyncedDigest).NotTo(Equal(before.Status.SyncedDigest))

		By("changing the host: one more PATCH")
		patchSecretData(app, map[string]*string{"host": new("db-ro.shop.svc")})
		Eventually(func() string { return vaultValue(obj) }, timeout).
			Should(Equal("postgresql://shop:rotated%2Fpw@db-ro.shop.svc:5432/shop"))
		Expect(calls(vault)).To(Equal([]string{post, patch, patch}))
	})

	It("reports a key the template uses but the Secret lacks as SecretKeyNotFound, naming it", func() {
		obj := templated(ns, vault, databaseURL+`?sslrootcert={{ index . "ca.crt" }}`)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := eventuallyReason(obj, secretsv1alpha1.ReasonSecretKeyNotFound)
		Expect(readyOf(got).Message).To(ContainSubstring(`no key "ca.crt", which spec.template uses`))
		Expect(stalledOf(got)).To(BeNil())
		Expect(calls(vault)).To(BeEmpty())

		patchSecretData(app, map[string]*string{"ca.crt": new("/etc/ca.crt")})
		eventuallySynced(obj)
		Expect(vaultValue(obj)).To(HaveSuffix("?sslrootcert=/etc/ca.crt"))
		Expect(calls(vault)).To(Equal([]string{post}))
	})

	It("reports a template that does not parse as InvalidTemplate, Stalled, and recovers when it is fixed", func() {
		obj := templated(ns, vault, `postgresql://{{ .username }:{{ .password }}`)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := eventuallyReason(obj, secretsv1alpha1.ReasonInvalidTemplate)
		Expect(readyOf(got).Message).To(ContainSubstring("Fix the template"))
		Expect(stalledOf(got)).NotTo(BeNil())
		Expect(stalledOf(got).Reason).To(Equal(secretsv1alpha1.ReasonInvalidTemplate))
		Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Warning InvalidTemplate"))
		Expect(calls(vault)).To(BeEmpty())

		update(obj, func(o *secretsv1alpha1.NairiSecret) { o.Spec.Template = databaseURL })
		eventuallySynced(obj)
		Expect(calls(vault)).To(Equal([]string{post}))
	})

	It("reports a template that fails while rendering as InvalidTemplate without showing the value", func() {
		obj := templated(ns, vault, `{{ index . .password }}`)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := eventuallyReason(obj, secretsv1alpha1.ReasonInvalidTemplate)
		Expect(readyOf(got).Message).To(ContainSubstring("details are withheld"))
		Expect(readyOf(got).Message).NotTo(ContainSubstring("word"))
		Expect(calls(vault)).To(BeEmpty())
	})
})
