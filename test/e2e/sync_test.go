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

package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// The life of the sample from config/samples, as the README walks a user through it.
var _ = Describe("Syncing the sample with one manager", Ordered, func() {
	const (
		name     = "database-url" // the sample's names
		source   = "db-credentials"
		envKey   = "DATABASE_URL"
		srcKey   = "url"
		waitTime = 60 * time.Second
	)
	const rotated = "postgresql://shop:rotated@db.example.com:5432/shop"
	var (
		ns, vault string
		m         *utils.Manager
	)

	BeforeAll(func() {
		ns, vault = newNamespace("sample"), newVault()
		m = startManager("manager-sample", false, "--watch-namespaces="+ns)
		DeferCleanup(func() { m.Stop(15 * time.Second) })
	})

	It("creates the vault secret for config/samples and reports Ready with its id", func() {
		sample, err := utils.Sample(vault)
		Expect(err).NotTo(HaveOccurred())
		apply(ns, sample)
		waitReady(ns, name, waitTime)

		obj := nairiSecrets(ns)[name]
		Expect(obj.Status.SecretID).To(MatchRegexp(`^sec_[0-9A-HJKMNP-TV-Z]{26}$`))
		Expect(obj.Status.ObservedGeneration).To(Equal(obj.Generation))
		Expect(run("get", "nsec", name, "-n", ns, "-o",
			`jsonpath={.status.conditions[?(@.type=="Ready")].reason}`)).To(Equal(secretsv1alpha1.ReasonSynced))

		listed, err := sim.List(ctx(), vault)
		Expect(err).NotTo(HaveOccurred())
		Expect(listed).To(HaveLen(1))
		Expect(listed[0].ID).To(Equal(obj.Status.SecretID))
		Expect(listed[0].EnvKey).To(Equal(envKey))
		Expect(listed[0].AllowedDomains).To(Equal([]string{"*.example.com"}))
		value, _ := sim.Value(vault, listed[0].ID)
		Expect(value).To(Equal(secretValue(ns, source, srcKey)))
		Expect(requests(vault, http.MethodPost)).To(Equal(1))
	})

	It("shows the vault, env key, secret id and Ready reason in kubectl get", func() {
		lines := strings.Split(strings.TrimSpace(run("get", "nsec", "-n", ns)), "\n")
		Expect(lines).To(HaveLen(2))
		row := strings.Fields(lines[1])
		Expect(row[:6]).To(Equal([]string{name, vault, envKey, nairiSecrets(ns)[name].Status.SecretID, "True", "Synced"}))
	})

	It("rotates the vault secret with exactly one PATCH when the Secret changes", func() {
		before := sim.Secrets(vault)[0]
		run("patch", "secret", source, "-n", ns, "--type=merge",
			"-p", `{"stringData":{"url":"`+rotated+`"}}`)

		Eventually(func() string { v, _ := sim.Value(vault, before.ID); return v }).Should(Equal(rotated))
		waitReady(ns, name, waitTime)
		Consistently(requestsFunc(vault, http.MethodPatch)).Should(Equal(1))
		Expect(requests(vault, http.MethodPost)).To(Equal(1))
		after := sim.Secrets(vault)
		Expect(after).To(HaveLen(1))
		Expect(after[0].ID).To(Equal(before.ID))
		Expect(after[0].UpdatedAt).To(BeTemporally(">", before.UpdatedAt))
	})

	It("makes no API call for a label change on the Secret", func() {
		calls := requests(vault, "")
		run("label", "secret", source, "-n", ns, "team=shop")
		Consistently(requestsFunc(vault, "")).Should(Equal(calls))
	})

	It("never shows a value or the API key in its log, Events or status", func() {
		sample, err := utils.Sample(vault)
		Expect(err).NotTo(HaveOccurred())
		original := regexp.MustCompile(`url: (\S+)`).FindStringSubmatch(sample)[1]
		seen := m.Log() + run("get", "events", "-n", ns, "-o", "yaml") + run("get", "nsec", "-n", ns, "-o", "yaml")
		for _, canary := range []string{original, rotated, apiKey} {
			Expect(seen).NotTo(ContainSubstring(canary))
		}
	})

	It("deletes the vault secret with one DELETE when a Delete-policy object is deleted", func() {
		run("delete", "nsec", name, "-n", ns, "--timeout=60s")
		Expect(run("get", "nsec", "-n", ns, "-o", "name")).To(BeEmpty())
		Expect(requests(vault, http.MethodDelete)).To(Equal(1))
		Expect(sim.Secrets(vault)).To(BeEmpty())
	})

	It("keeps the vault secret when a Retain-policy object is deleted", func() {
		obj := nsec{Name: "kept", Vault: vault, EnvKey: "KEPT_TOKEN", Value: "keep-me",
			Policy: secretsv1alpha1.DeletionPolicyRetain}
		apply(ns, obj.manifest())
		waitReady(ns, obj.Name, waitTime)
		id := nairiSecrets(ns)[obj.Name].Status.SecretID
		deletes := requests(vault, http.MethodDelete)

		run("delete", "nsec", obj.Name, "-n", ns, "--timeout=60s")
		Consistently(requestsFunc(vault, http.MethodDelete), time.Second).Should(Equal(deletes))
		Expect(sim.Secrets(vault)).To(ConsistOf(HaveField("ID", id)))
	})

	It("leaves NairiSecrets outside --watch-namespaces alone", func() {
		// A vault without a NairiVault: nothing at all may reach it.
		other, otherVault := newNamespace("unwatched"), sim.NewVault()
		obj := nsec{Name: "elsewhere", Vault: otherVault, EnvKey: "ELSEWHERE", Value: "not-mine"}
		apply(other, obj.manifest())
		Consistently(func() []secretsv1alpha1.NairiSecret {
			var out []secretsv1alpha1.NairiSecret
			for _, o := range nairiSecrets(other) {
				if len(o.Status.Conditions) > 0 || len(o.Finalizers) > 0 {
					out = append(out, o)
				}
			}
			return out
		}, 2*time.Second).Should(BeEmpty())
		Expect(requests(otherVault, "")).To(BeZero())
	})
})
