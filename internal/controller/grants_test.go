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
)

// DESIGN.md §2.2: which namespace may write to which vault with the operator's key. Each
// row sets up grants, creates a NairiSecret in namespace ns, and checks the outcome and
// every request the simulator saw for the vault (the NairiVault's one verification List
// included).
var _ = Describe("Vault grants", func() {
	var (
		ns, vault string
		obj       *secretsv1alpha1.NairiSecret
	)
	shop := map[string]string{"team": "shop"}

	BeforeEach(func() {
		ns, vault = newNamespace(), sim.NewVault()
		createSecret(ns, "source", "value", "postgresql://v1")
		obj = newNairiSecret(ns, "db", vault, "DATABASE_URL")
	})

	// notAllowed waits for VaultNotAllowed, Stalled, with a message that tells the admin
	// what to create, and no call at all.
	notAllowed := func() {
		got := eventuallyReason(obj, secretsv1alpha1.ReasonVaultNotAllowed)
		Expect(readyOf(got).Status).To(Equal(metav1.ConditionFalse))
		Expect(stalledOf(got)).NotTo(BeNil())
		Expect(readyOf(got).Message).To(ContainSubstring("No NairiVault lets namespace " + ns + " use vault " + vault))
		Expect(readyOf(got).Message).To(ContainSubstring("spec.namespaceSelector"))
		Eventually(func() []string { return eventsOf(obj) }, timeout).Should(ContainElement("Warning VaultNotAllowed"))
	}
	listNamespace := func(v *secretsv1alpha1.NairiVault) { v.Spec.Namespaces = []string{ns} }
	selectShop := func(v *secretsv1alpha1.NairiVault) {
		v.Spec.NamespaceSelector = &secretsv1alpha1.NamespaceSelector{MatchLabels: map[string]secretsv1alpha1.LabelValue{"team": "shop"}}
	}
	relabel := func(labels map[string]string) {
		Eventually(func() error {
			n := &corev1.Namespace{}
			if err := k8sClient.Get(ctx, client.ObjectKey{Name: ns}, n); err != nil {
				return err
			}
			n.Labels = labels
			return k8sClient.Update(ctx, n)
		}, timeout).Should(Succeed())
	}

	DescribeTable("who may use the vault",
		func(run func()) { run() },
		Entry("namespace listed: synced with the operator's key", func() {
			eventuallyVerified(grantVault(vault, listNamespace))
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			Expect(calls(vault)).To(Equal([]string{list, post}))
		}),
		Entry("namespace matched by the selector", func() {
			relabel(shop)
			eventuallyVerified(grantVault(vault, selectShop))
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			Expect(calls(vault)).To(Equal([]string{list, post}))
		}),
		Entry("label added later: Ready without a restart", func() {
			eventuallyVerified(grantVault(vault, selectShop))
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			notAllowed()
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{list}))

			relabel(shop)
			eventuallySynced(obj)
			Expect(calls(vault)).To(Equal([]string{list, post}))
		}),
		Entry("label removed: VaultNotAllowed, the vault secret kept", func() {
			relabel(shop)
			eventuallyVerified(grantVault(vault, selectShop))
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)

			relabel(map[string]string{"team": "ads"})
			notAllowed()
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{list, post}))
			Expect(sim.Secrets(vault)).To(HaveLen(1))
		}),
		Entry("no NairiVault: VaultNotAllowed, zero calls", func() {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			notAllowed()
			noMoreCalls(vault)
			Expect(calls(vault)).To(BeEmpty())
		}),
		Entry("NairiVault with its own key Secret: the simulator sees that key", func() {
			vaultKey := canary("nr_vault_")
			sim.AddAPIKey(vaultKey)
			createSecret(operatorNamespace, "vault-key-"+ns, "apiKey", vaultKey)
			eventuallyVerified(grantVault(vault, func(v *secretsv1alpha1.NairiVault) {
				v.Spec.Namespaces = []string{ns}
				v.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "vault-key-" + ns, Key: "apiKey"}
			}))
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			Expect(calls(vault)).To(Equal([]string{list, post}))
			// Both calls, the verification List and the POST, were made with the vault's key.
			Expect(sim.RequestsBy(vaultKey)).To(Equal(2))
		}),
		Entry("own apiKeySecretRef without NairiVault: its own key", func() {
			ownKey := canary("nr_own_")
			sim.AddAPIKey(ownKey)
			createSecret(ns, "nairi-key", "apiKey", ownKey)
			obj.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			Expect(calls(vault)).To(Equal([]string{post}))
			Expect(sim.RequestsBy(ownKey)).To(Equal(1))
		}),
		Entry("--require-vault-grant=false: the operator's key serves every namespace", func() {
			restartManagerWith(managerConfig{requireVaultGrant: false})
			DeferCleanup(restartManager)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			Expect(calls(vault)).To(Equal([]string{post}))
		}),
		Entry("two NairiVaults for one vault: the younger is in Conflict and grants nothing", func() {
			older := grantVault(vault, func(v *secretsv1alpha1.NairiVault) { v.Spec.Namespaces = []string{"someone-else"} })
			eventuallyVerified(older)
			time.Sleep(1100 * time.Millisecond) // creation timestamps have a one-second resolution
			younger := grantVault(vault, func(v *secretsv1alpha1.NairiVault) {
				v.Name += "-younger"
				v.Spec.Namespaces = []string{ns}
			})
			Eventually(func() string { return reasonOf(vaultReadyOf(younger)) }, timeout).
				Should(Equal(secretsv1alpha1.ReasonConflict))
			Expect(vaultReadyOf(younger).Message).To(ContainSubstring("NairiVault " + older.Name + ", which is older"))
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			notAllowed()
			Expect(calls(vault)).To(Equal([]string{list}))

			// The older one goes: the younger takes over, is verified, and grants.
			deleteAndWait(older)
			eventuallyVerified(younger)
			eventuallySynced(obj)
			Expect(calls(vault)[0]).To(Equal(list))
			Expect(calls(vault)[1:]).To(ConsistOf(list, post))
		}),
		Entry("NairiVault deleted: VaultNotAllowed, the vault secret kept", func() {
			nv := grantVault(vault, listNamespace)
			eventuallyVerified(nv)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			eventuallySynced(obj)
			deleteAndWait(nv)
			notAllowed()
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{list, post}))
			Expect(sim.Secrets(vault)).To(HaveLen(1))
		}),
	)

	Describe("the NairiVault itself", func() {
		It("is verified with one List, and not again on a restart or a resync", func() {
			nv := grantVault(vault, listNamespace)
			eventuallyVerified(nv)
			Expect(vaultReadyOf(nv).Message).To(ContainSubstring("the operator's API key"))
			restartManager()
			noMoreCalls(vault)
			Expect(calls(vault)).To(Equal([]string{list}))
		})

		It("is verified again when its spec changes, and when its key Secret changes", func() {
			key := canary("nr_vault_")
			sim.AddAPIKey(key)
			keySecret := createSecret(operatorNamespace, "vault-key-"+ns, "apiKey", "nr_not_accepted")
			nv := grantVault(vault, func(v *secretsv1alpha1.NairiVault) {
				v.Spec.Namespaces = []string{ns}
				v.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "vault-key-" + ns, Key: "apiKey"}
			})
			Eventually(func() string { return reasonOf(vaultReadyOf(nv)) }, timeout).Should(Equal(secretsv1alpha1.ReasonUnauthorized))
			Expect(vaultReadyOf(nv).Message).To(ContainSubstring("Fix the key in Secret " + operatorNamespace + "/vault-key-" + ns))
			// The NairiSecret using the vault points at the same key.
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			got := eventuallyReason(obj, secretsv1alpha1.ReasonUnauthorized)
			Expect(readyOf(got).Message).To(ContainSubstring("Fix the key in Secret " + operatorNamespace + "/vault-key-" + ns))
			Expect(calls(vault)).To(Equal([]string{list, post}))

			setSecretValue(keySecret, "apiKey", key)
			eventuallyVerified(nv)
			eventuallySynced(obj)
			Expect(calls(vault)).To(HaveLen(4))
			Expect(calls(vault)[2:]).To(ConsistOf(list, post))
			Expect(sim.RequestsBy(key)).To(Equal(2))

			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(nv), nv)).To(Succeed())
			nv.Spec.Namespaces = append(nv.Spec.Namespaces, "another")
			Expect(k8sClient.Update(ctx, nv)).To(Succeed())
			Eventually(func() []string { return calls(vault) }, timeout).Should(HaveLen(5))
			noMoreCalls(vault)
			Expect(calls(vault)[4]).To(Equal(list))
		})

		It("reports a vault Nairi does not know as VaultNotFound, without retrying on a timer", func() {
			unknown := "vlt_01KQ27AQH800XQTQPJZ0DH14SZ"
			nv := grantVault(unknown, listNamespace)
			Eventually(func() string { return reasonOf(vaultReadyOf(nv)) }, timeout).Should(Equal(secretsv1alpha1.ReasonVaultNotFound))
			noMoreCalls(unknown)
			Expect(calls(unknown)).To(Equal([]string{list}))
		})
	})
})

func reasonOf(c *metav1.Condition) string {
	if c == nil {
		return ""
	}
	return c.Reason
}
