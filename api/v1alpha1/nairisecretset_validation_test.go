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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

var _ = Describe("NairiSecretSet in kubectl", func() {
	kubectl := func(args ...string) (string, error) {
		out, err := cp.Kubectl.Run(args...)
		if err != nil {
			out += err.Error()
		}
		return out, err
	}

	It("serves the short name, category and printer columns", func() {
		set := &secretsv1alpha1.NairiSecretSet{
			ObjectMeta: metav1.ObjectMeta{Name: "set-columns", Namespace: "default"},
			Spec: secretsv1alpha1.NairiSecretSetSpec{VaultID: validVaultID,
				SecretRef: secretsv1alpha1.SecretNameReference{Name: "app-env"}},
		}
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		out, err := kubectl("get", "nsecset", "-n", "default", "set-columns")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(strings.Fields(strings.SplitN(out, "\n", 2)[0])).To(
			Equal([]string{"NAME", "VAULT", "SECRET", "KEYS", "READY", "REASON", "AGE"}))
		out, err = kubectl("get", "nsecset", "-n", "default", "set-columns", "-o", "wide")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(strings.Fields(strings.SplitN(out, "\n", 2)[0])).To(
			Equal([]string{"NAME", "VAULT", "SECRET", "KEYS", "READYKEYS", "READY", "REASON", "AGE"}))
		out, err = kubectl("get", "nairi", "-n", "default", "-o", "name")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("nairisecretset.secrets.nairi.ai/set-columns"))
	})
})
