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
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// Two teams share a cluster and an operator; a cluster admin lets one of them use a vault
// with the operator's key. The other team gets nothing from that vault until the admin's
// NairiVault selects its namespace too.
var _ = Describe("Two tenants and one NairiVault", func() {
	It("lets only the granted namespace write, and grants the other once its namespace is labelled", func() {
		granted, other := newNamespace("tenant-a"), newNamespace("tenant-b")
		vault := sim.NewVault()
		m := startManager("manager-tenants", false, "--watch-namespaces="+granted+","+other)
		DeferCleanup(func() { m.Stop(15 * time.Second) })

		By("a cluster admin grants the vault to " + granted + " by name, and to namespaces labelled nairi-vault=shop")
		name := "tenants-" + strings.ToLower(strings.TrimPrefix(vault, "vlt_"))
		apply("", fmt.Sprintf(`apiVersion: secrets.nairi.ai/v1alpha1
kind: NairiVault
metadata:
  name: %s
spec:
  vaultID: %s
  namespaces: [%s]
  namespaceSelector:
    matchLabels: {nairi-vault: shop}
`, name, vault, granted))
		Eventually(func() string {
			out, _ := kubectl.Run("get", "nvault", name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].reason}`)
			return out
		}).Should(Equal(secretsv1alpha1.ReasonVerified))
		Expect(run("get", "nvault", name)).To(ContainSubstring(vault))

		a := nsec{Name: "db", Vault: vault, EnvKey: "TENANT_A_URL", Value: "tenant-a-value"}
		b := nsec{Name: "db", Vault: vault, EnvKey: "TENANT_B_URL", Value: "tenant-b-value"}
		apply(granted, a.manifest())
		apply(other, b.manifest())
		waitReady(granted, a.Name, time.Minute)

		By("the other tenant is refused without any call")
		Eventually(func() string {
			return run("get", "nsec", b.Name, "-n", other, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].reason}`)
		}).Should(Equal(secretsv1alpha1.ReasonVaultNotAllowed))
		Expect(run("get", "nsec", b.Name, "-n", other, "-o", `jsonpath={.status.conditions[?(@.type=="Stalled")].status}`)).
			To(Equal("True"))
		Consistently(requestsFunc(vault, http.MethodPost)).Should(Equal(1))
		Expect(sim.Secrets(vault)).To(ConsistOf(HaveField("EnvKey", a.EnvKey)))

		By("labelling the other namespace grants it at once, without a restart")
		run("label", "namespace", other, "nairi-vault=shop")
		waitReady(other, b.Name, time.Minute)
		Expect(requests(vault, http.MethodPost)).To(Equal(2))
		value, _ := sim.Value(vault, nairiSecrets(other)[b.Name].Status.SecretID)
		Expect(value).To(Equal(b.Value))
		// The verification List, then one POST per tenant: nothing else.
		Expect(requests(vault, "")).To(Equal(3))
	})
})
