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

package v1alpha1_test

import (
	"fmt"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

var vaultCount int

// newVault returns a valid NairiVault with a fresh name.
func newVault() *secretsv1alpha1.NairiVault {
	vaultCount++
	return &secretsv1alpha1.NairiVault{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("vault-validation-%d", vaultCount)},
		Spec: secretsv1alpha1.NairiVaultSpec{
			VaultID:    validVaultID,
			Namespaces: []string{"shop"},
		},
	}
}

func selector(labels map[string]secretsv1alpha1.LabelValue, exprs ...secretsv1alpha1.NamespaceSelectorRequirement) *secretsv1alpha1.NamespaceSelector {
	return &secretsv1alpha1.NamespaceSelector{MatchLabels: labels, MatchExpressions: exprs}
}

type req = secretsv1alpha1.NamespaceSelectorRequirement

type labels = map[string]secretsv1alpha1.LabelValue

func values(v ...string) []secretsv1alpha1.LabelValue {
	out := make([]secretsv1alpha1.LabelValue, len(v))
	for i := range v {
		out[i] = secretsv1alpha1.LabelValue(v[i])
	}
	return out
}

var _ = Describe("NairiVault validation by the API server", func() {
	It("is cluster-scoped and defaults adoption to Deny", func() {
		obj := newVault()
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())

		got := &secretsv1alpha1.NairiVault{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: obj.Name}, got)).To(Succeed())
		Expect(got.Namespace).To(BeEmpty())
		Expect(got.Spec.Adoption).To(Equal(secretsv1alpha1.AdoptionDeny))
		Expect(got.Spec.NamespaceSelector).To(BeNil())
	})

	DescribeTable("accepts valid objects",
		func(mutate func(*secretsv1alpha1.NairiVault)) {
			obj := newVault()
			mutate(obj)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		},
		Entry("no namespaces and no selector (grants nothing)", func(o *secretsv1alpha1.NairiVault) { o.Spec.Namespaces = nil }),
		Entry("the empty selector (every namespace)", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = &secretsv1alpha1.NamespaceSelector{}
		}),
		Entry("matchLabels with a prefixed key", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(labels{"example.com/team": "shop", "tier": ""})
		}),
		Entry("every operator of matchExpressions", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(nil,
				req{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: values("shop")},
				req{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: values("dev")},
				req{Key: "nairi", Operator: metav1.LabelSelectorOpExists},
				req{Key: "legacy", Operator: metav1.LabelSelectorOpDoesNotExist})
		}),
		Entry("Allow adoption with the vault's own key", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.Adoption = secretsv1alpha1.AdoptionAllow
			o.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-shop-key", Key: "apiKey"}
		}),
		Entry("a 63-character namespace", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.Namespaces = []string{strings.Repeat("a", 63)}
		}),
	)

	DescribeTable("refuses invalid objects with a message that says what to fix",
		func(mutate func(*secretsv1alpha1.NairiVault), message string) {
			obj := newVault()
			mutate(obj)
			err := k8sClient.Create(ctx, obj)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("vaultID missing", func(o *secretsv1alpha1.NairiVault) { o.Spec.VaultID = "" }, "spec.vaultID"),
		Entry("vaultID that is not a vault id", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.VaultID = "sec_01KQ27AQH800XQTQPJZ0DH14SJ"
		}, "vaultID must be a Nairi vault id"),
		Entry("namespace in upper case", func(o *secretsv1alpha1.NairiVault) { o.Spec.Namespaces = []string{"Shop"} },
			"each namespaces entry must be a namespace name"),
		Entry("namespace with a dot", func(o *secretsv1alpha1.NairiVault) { o.Spec.Namespaces = []string{"shop.prod"} },
			"each namespaces entry must be a namespace name"),
		Entry("namespace listed twice", func(o *secretsv1alpha1.NairiVault) { o.Spec.Namespaces = []string{"shop", "shop"} },
			"Duplicate value"),
		Entry("namespace longer than 63", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.Namespaces = []string{strings.Repeat("a", 64)}
		}, "may not be more than 63"),
		Entry("unknown adoption policy", func(o *secretsv1alpha1.NairiVault) { o.Spec.Adoption = "Always" },
			`supported values: "Deny", "Allow"`),
		Entry("unknown selector operator", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(nil, req{Key: "team", Operator: "Equals", Values: values("shop")})
		}, `supported values: "In", "NotIn", "Exists", "DoesNotExist"`),
		Entry("In without values", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(nil, req{Key: "team", Operator: metav1.LabelSelectorOpIn})
		}, "In and NotIn need at least one value"),
		Entry("Exists with values", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(nil,
				req{Key: "team", Operator: metav1.LabelSelectorOpExists, Values: values("shop")})
		}, "In and NotIn need at least one value"),
		Entry("expression key that is not a label key", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(nil, req{Key: "team name", Operator: metav1.LabelSelectorOpExists})
		}, "matchExpressions[].key must be a label key"),
		Entry("matchLabels key that is not a label key", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(labels{"-team": "shop"})
		}, "matchLabels keys must be label keys"),
		Entry("matchLabels value that is not a label value", func(o *secretsv1alpha1.NairiVault) {
			o.Spec.NamespaceSelector = selector(labels{"team": "shop/prod"})
		}, "namespaceSelector values must be label values"),
	)

	It("keeps vaultID immutable and lets the grant change", func() {
		obj := newVault()
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		moved := obj.DeepCopy()
		moved.Spec.VaultID = "vlt_01KQ27AQH800XQTQPJZ0DH14SK"
		err := k8sClient.Update(ctx, moved)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
		Expect(err.Error()).To(ContainSubstring("vaultID is immutable: create a new NairiVault"))

		obj.Spec.Namespaces = []string{"shop", "shop-staging"}
		obj.Spec.NamespaceSelector = selector(labels{"team": "shop"})
		obj.Spec.Adoption = secretsv1alpha1.AdoptionAllow
		Expect(k8sClient.Update(ctx, obj)).To(Succeed())
	})

	Context("with kubectl, as a user types it", func() {
		kubectl := func(args ...string) (string, error) {
			out, err := cp.Kubectl.Run(args...)
			if err != nil {
				out += err.Error()
			}
			return out, err
		}

		It("serves the short name, category and printer columns", func() {
			obj := newVault()
			obj.Name = "vault-columns"
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			out, err := kubectl("get", "nvault", "vault-columns")
			Expect(err).NotTo(HaveOccurred(), out)
			header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
			Expect(header).To(Equal([]string{"NAME", "VAULTID", "ADOPTION", "READY", "REASON", "AGE"}))
			Expect(out).To(ContainSubstring(validVaultID))
			out, err = kubectl("get", "nairi", "-A", "-o", "name")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("nairivault.secrets.nairi.ai/vault-columns"))
		})

		It("applies the sample NairiVault", func() {
			out, err := kubectl("apply", "-f", filepath.Join(utils.ProjectDir(), "config", "samples", "secrets_v1alpha1_nairivault.yaml"))
			Expect(err).NotTo(HaveOccurred(), out)
			// config/samples (applied by another spec) holds it too.
			Expect(out).To(MatchRegexp(`nairivault.secrets.nairi.ai/shop-prod (created|unchanged)`))
			got := &secretsv1alpha1.NairiVault{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "shop-prod"}, got)).To(Succeed())
			Expect(got.Spec.Namespaces).To(ContainElement("shop"))
		})
	})
})
