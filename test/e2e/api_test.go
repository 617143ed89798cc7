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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// What a user sees of the API through kubectl, with no manager running: the API server
// alone enforces validation, and the CRD carries the columns and the documentation.
var _ = Describe("The NairiSecret API through kubectl", Ordered, func() {
	const vault = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	var ns string

	BeforeAll(func() {
		ns = newNamespace("api")
		// No manager runs here; leave nothing for a later one to sync into a vault the
		// simulator does not have.
		DeferCleanup(func() { _, _ = kubectl.Run("delete", "nsec", "--all", "-n", ns, "--wait=false") })
	})

	DescribeTable("refuses an invalid object with the rule's message",
		func(obj nsec, message string) {
			obj.Vault = strings.ReplaceAll(obj.Vault, "VAULT", vault)
			_, err := kubectl.Apply(ns, obj.manifest())
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
			Expect(run("get", "nsec", "-n", ns, "-o", "name")).NotTo(ContainSubstring("nairisecret.secrets.nairi.ai/" + obj.Name + "\n"))
		},
		Entry("a vault id in lower case",
			nsec{Name: "bad-vault", Vault: "vlt_01kq27aqh800xqtqpjz0dh14sj", EnvKey: "A", Value: "v"},
			"vaultID must be a Nairi vault id"),
		Entry("an env key with a reserved prefix",
			nsec{Name: "bad-prefix", Vault: "VAULT", EnvKey: "NAIRI_TOKEN", Value: "v"},
			"envKey must not start with NAIRI_, CCAGENT_ or CCASECRET_"),
		Entry("an env key that is not an environment variable name",
			nsec{Name: "bad-key", Vault: "VAULT", EnvKey: "DB-URL", Value: "v"},
			"envKey must be an environment variable name"),
		Entry("a domain with a scheme",
			nsec{Name: "bad-domain", Vault: "VAULT", EnvKey: "A", Value: "v", Domains: []string{"https://example.com"}},
			"each allowedDomains entry must be a lowercase hostname"),
	)

	It("refuses to change the vault or the env key of an existing object", func() {
		obj := nsec{Name: "immutable", Vault: vault, EnvKey: "DATABASE_URL", Value: "v"}
		apply(ns, obj.manifest())

		moved := obj
		moved.Vault = "vlt_01KQ27AQH800XQTQPJZ0DH14SK"
		_, err := kubectl.Apply(ns, moved.manifest())
		Expect(err).To(MatchError(ContainSubstring("vaultID is immutable")))

		renamed := obj
		renamed.EnvKey = "OTHER_URL"
		_, err = kubectl.Apply(ns, renamed.manifest())
		Expect(err).To(MatchError(ContainSubstring("envKey is immutable")))
	})

	It("lists NairiSecrets with the documented columns, by short name and category", func() {
		header := strings.Fields(strings.SplitN(run("get", "nsec", "-n", ns), "\n", 2)[0])
		Expect(header).To(Equal([]string{"NAME", "VAULT", "ENVKEY", "SECRETID", "READY", "REASON", "AGE"}))
		Expect(run("get", "nairi", "-n", ns)).To(ContainSubstring("immutable"))
		Expect(run("get", "nairisecrets.secrets.nairi.ai", "-n", ns, "immutable",
			"-o", "jsonpath={.spec.deletionPolicy} {.spec.refreshInterval}")).To(Equal("Delete 1h"))
	})

	It("documents every spec field in kubectl explain", func() {
		out := run("explain", "nairisecret.spec")
		for _, field := range []string{"vaultID", "envKey", "secretRef", "allowedDomains",
			"deletionPolicy", "refreshInterval", "suspend", "apiKeySecretRef"} {
			Expect(out).To(ContainSubstring(field))
		}
		Expect(out).To(MatchRegexp(`vaultID\s+<string> -required-`))
		Expect(run("explain", "nairisecret.status.secretID")).To(ContainSubstring("sec_"))
	})
})
