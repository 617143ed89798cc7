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
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

const validVaultID = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"

var objectCount int

// newObject returns a valid NairiSecret with a fresh name in the default namespace.
func newObject() *secretsv1alpha1.NairiSecret {
	objectCount++
	return &secretsv1alpha1.NairiSecret{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("validation-%d", objectCount), Namespace: "default"},
		Spec: secretsv1alpha1.NairiSecretSpec{
			VaultID:   validVaultID,
			EnvKey:    "DATABASE_URL",
			SecretRef: secretsv1alpha1.SourceSecretRef{Name: "db-credentials", Key: "url"},
		},
	}
}

func domains(n int) []secretsv1alpha1.DomainPattern {
	out := make([]secretsv1alpha1.DomainPattern, n)
	for i := range out {
		out[i] = secretsv1alpha1.DomainPattern(fmt.Sprintf("host%d.example.com", i))
	}
	return out
}

var _ = Describe("NairiSecret validation by the API server", func() {
	It("applies the documented defaults", func() {
		obj := newObject()
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())

		got := &secretsv1alpha1.NairiSecret{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), got)).To(Succeed())
		Expect(got.Spec.DeletionPolicy).To(Equal(secretsv1alpha1.DeletionPolicyDelete))
		Expect(got.Spec.RefreshInterval).NotTo(BeNil())
		Expect(got.Spec.RefreshInterval.Duration.String()).To(Equal("1h0m0s"))
		Expect(got.Spec.Suspend).To(BeFalse())
		Expect(got.Spec.AllowedDomains).To(BeEmpty())
	})

	DescribeTable("accepts valid objects",
		func(mutate func(*secretsv1alpha1.NairiSecret)) {
			obj := newObject()
			mutate(obj)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		},
		Entry("lower-case and underscore env key", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "_my_key2" }),
		Entry("255-character env key", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = strings.Repeat("K", 255) }),
		Entry("env key that only contains a reserved word", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "MY_NAIRI_KEY" }),
		Entry("exact host and wildcard domains", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"api.vercel.com", "*.stripe.com", "localhost"}
		}),
		Entry("64 domains", func(o *secretsv1alpha1.NairiSecret) { o.Spec.AllowedDomains = domains(64) }),
		Entry("Retain policy", func(o *secretsv1alpha1.NairiSecret) { o.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain }),
		Entry("refresh turned off with 0s", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.RefreshInterval = &metav1.Duration{}
		}),
		Entry("compound refresh interval", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.RefreshInterval = &metav1.Duration{Duration: 90 * 60e9}
		}),
		Entry("suspended, with its own API key", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.Suspend = true
			o.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}
		}),
		Entry("dotted Secret name and key", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.SecretRef = secretsv1alpha1.SourceSecretRef{Name: "db.credentials-1", Key: "config.json"}
		}),
		Entry("a template instead of a key", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.SecretRef = secretsv1alpha1.SourceSecretRef{Name: "app"}
			o.Spec.Template = `postgresql://{{ .username }}:{{ urlquery .password }}@{{ .host }}/shop`
		}),
		Entry("a 4 KiB template", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.SecretRef.Key = ""
			o.Spec.Template = strings.Repeat("x", secretsv1alpha1.MaxTemplateLength)
		}),
	)

	DescribeTable("refuses invalid objects with a message that says what to fix",
		func(mutate func(*secretsv1alpha1.NairiSecret), message string) {
			obj := newObject()
			mutate(obj)
			err := k8sClient.Create(ctx, obj)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("vaultID missing", func(o *secretsv1alpha1.NairiSecret) { o.Spec.VaultID = "" },
			"spec.vaultID"),
		Entry("vaultID without the vlt_ prefix", func(o *secretsv1alpha1.NairiSecret) { o.Spec.VaultID = "sec_01KQ27AQH800XQTQPJZ0DH14SJ" },
			"vaultID must be a Nairi vault id"),
		Entry("vaultID in lower case", func(o *secretsv1alpha1.NairiSecret) { o.Spec.VaultID = strings.ToLower(validVaultID) },
			"vaultID must be a Nairi vault id"),
		Entry("vaultID with a letter ULIDs never use", func(o *secretsv1alpha1.NairiSecret) { o.Spec.VaultID = "vlt_01KQ27AQH800XQTQPJZ0DH14SU" },
			"vaultID must be a Nairi vault id"),
		Entry("envKey missing", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "" },
			"spec.envKey"),
		Entry("envKey starting with a digit", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "1KEY" },
			"envKey must be an environment variable name"),
		Entry("envKey with a dash", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "DB-URL" },
			"envKey must be an environment variable name"),
		Entry("envKey longer than 255", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = strings.Repeat("K", 256) },
			"may not be more than 255"),
		Entry("envKey with the NAIRI_ prefix", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "NAIRI_TOKEN" },
			"envKey must not start with NAIRI_, CCAGENT_ or CCASECRET_"),
		Entry("envKey with the CCAGENT_ prefix", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "CCAGENT_TOKEN" },
			"envKey must not start with NAIRI_, CCAGENT_ or CCASECRET_"),
		Entry("envKey with the CCASECRET_ prefix", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "CCASECRET_TOKEN" },
			"envKey must not start with NAIRI_, CCAGENT_ or CCASECRET_"),
		Entry("secretRef name missing", func(o *secretsv1alpha1.NairiSecret) { o.Spec.SecretRef.Name = "" },
			"spec.secretRef.name"),
		Entry("secretRef name in upper case", func(o *secretsv1alpha1.NairiSecret) { o.Spec.SecretRef.Name = "DB" },
			"name must be a valid Secret name"),
		Entry("secretRef key with a slash", func(o *secretsv1alpha1.NairiSecret) { o.Spec.SecretRef.Key = "a/b" },
			"key must be a valid Secret data key"),
		Entry("both secretRef.key and template", func(o *secretsv1alpha1.NairiSecret) { o.Spec.Template = "{{ .url }}" },
			"set exactly one of spec.secretRef.key"),
		Entry("neither secretRef.key nor template", func(o *secretsv1alpha1.NairiSecret) { o.Spec.SecretRef.Key = "" },
			"set exactly one of spec.secretRef.key"),
		Entry("template longer than 4 KiB", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.SecretRef.Key = ""
			o.Spec.Template = strings.Repeat("x", secretsv1alpha1.MaxTemplateLength+1)
		}, "may not be more than 4096"),
		Entry("apiKeySecretRef without a key (only the source may leave it out)", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "nairi-key"}
		}, "spec.apiKeySecretRef.key"),
		Entry("apiKeySecretRef name invalid", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.APIKeySecretRef = &secretsv1alpha1.SecretKeySelector{Name: "Nairi_Key", Key: "apiKey"}
		}, "name must be a valid Secret name"),
		Entry("domain with a scheme", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"https://api.example.com"}
		}, "each allowedDomains entry must be a lowercase hostname"),
		Entry("domain with a port", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"api.example.com:443"}
		}, "each allowedDomains entry must be a lowercase hostname"),
		Entry("domain with a path", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"example.com/api"}
		}, "each allowedDomains entry must be a lowercase hostname"),
		Entry("domain in upper case", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"API.example.com"}
		}, "each allowedDomains entry must be a lowercase hostname"),
		Entry("wildcard in the middle", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"api.*.example.com"}
		}, "each allowedDomains entry must be a lowercase hostname"),
		Entry("duplicate domains", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"*.example.com", "*.example.com"}
		}, "Duplicate value"),
		Entry("65 domains", func(o *secretsv1alpha1.NairiSecret) { o.Spec.AllowedDomains = domains(65) },
			"must have at most 64 items"),
		Entry("unknown deletion policy", func(o *secretsv1alpha1.NairiSecret) { o.Spec.DeletionPolicy = "Keep" },
			`supported values: "Delete", "Retain"`),
		Entry("negative refresh interval", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.RefreshInterval = &metav1.Duration{Duration: -60e9}
		}, "refreshInterval must be a non-negative duration"),
		Entry("refresh interval under a second", func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.RefreshInterval = &metav1.Duration{Duration: 500e6}
		}, "refreshInterval must be 0s (off) or at least 1s"),
	)

	It("refuses a refresh interval that is not a duration", func() {
		obj := newObject()
		raw := []byte(fmt.Sprintf(`{"apiVersion":"secrets.nairi.ai/v1alpha1","kind":"NairiSecret",
			"metadata":{"name":%q,"namespace":"default"},
			"spec":{"vaultID":%q,"envKey":"K","secretRef":{"name":"s","key":"k"},"refreshInterval":"hourly"}}`,
			obj.Name, validVaultID))
		err := k8sClient.Patch(ctx, obj, client.RawPatch(types.ApplyPatchType, raw),
			client.FieldOwner("test"), client.ForceOwnership)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
		Expect(err.Error()).To(ContainSubstring("refreshInterval must be a non-negative duration"))
	})

	DescribeTable("keeps immutable fields immutable",
		func(mutate func(*secretsv1alpha1.NairiSecret), message string) {
			obj := newObject()
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			mutate(obj)
			err := k8sClient.Update(ctx, obj)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("vaultID", func(o *secretsv1alpha1.NairiSecret) { o.Spec.VaultID = "vlt_01KQ27AQH800XQTQPJZ0DH14SK" },
			"vaultID is immutable: create a new NairiSecret"),
		Entry("envKey", func(o *secretsv1alpha1.NairiSecret) { o.Spec.EnvKey = "OTHER_KEY" },
			"envKey is immutable: create a new NairiSecret"),
	)

	It("lets mutable fields change", func() {
		obj := newObject()
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		obj.Spec.SecretRef.Key = "other"
		obj.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"*.example.org"}
		obj.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain
		obj.Spec.Suspend = true
		obj.Spec.RefreshInterval = &metav1.Duration{Duration: 30e9}
		Expect(k8sClient.Update(ctx, obj)).To(Succeed())
	})

	Context("with kubectl, as a user types it", func() {
		kubectl := func(args ...string) (string, error) {
			// kubectl prints the API server's refusal on stderr, which the error carries.
			out, err := cp.Kubectl.Run(args...)
			if err != nil {
				out += err.Error()
			}
			return out, err
		}

		It("applies config/samples", func() {
			out, err := kubectl("apply", "-n", "default", "-k", filepath.Join(utils.ProjectDir(), "config", "samples"))
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("nairisecret.secrets.nairi.ai/database-url created"))
			Expect(out).To(ContainSubstring("nairisecretset.secrets.nairi.ai/app-env created"))
			Expect(out).To(ContainSubstring("nairisecret.secrets.nairi.ai/shop-database-url created"))

			got := &secretsv1alpha1.NairiSecret{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "default", Name: "database-url"}, got)).To(Succeed())
			Expect(got.Spec.AllowedDomains).To(ConsistOf(secretsv1alpha1.DomainPattern("*.example.com")))
			source := &corev1.Secret{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "default", Name: "db-credentials"}, source)).To(Succeed())
		})

		It("shows the API server's message when applying an invalid object", func() {
			manifest := filepath.Join(GinkgoT().TempDir(), "bad.yaml")
			Expect(os.WriteFile(manifest, []byte(`apiVersion: secrets.nairi.ai/v1alpha1
kind: NairiSecret
metadata: {name: bad, namespace: default}
spec:
  vaultID: vlt_01KQ27AQH800XQTQPJZ0DH14SJ
  envKey: NAIRI_TOKEN
  secretRef: {name: db-credentials, key: url}
`), 0o600)).To(Succeed())
			out, err := kubectl("apply", "-f", manifest)
			Expect(err).To(HaveOccurred())
			Expect(out).To(ContainSubstring("envKey must not start with NAIRI_, CCAGENT_ or CCASECRET_"))
		})

		It("serves the short name, category and printer columns", func() {
			obj := newObject()
			obj.Name = "columns"
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			out, err := kubectl("get", "nairisecret", "-n", "default", "columns")
			Expect(err).NotTo(HaveOccurred(), out)
			header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
			Expect(header).To(Equal([]string{"NAME", "VAULT", "ENVKEY", "SECRETID", "READY", "REASON", "AGE"}))
			// The category nairi lists NairiSecrets with the other kinds of the operator.
			out, err = kubectl("get", "nairi", "-n", "default", "-o", "name")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("nairisecret.secrets.nairi.ai/columns"))
			out, err = kubectl("get", "nsec", "-n", "default", "columns", "-o", "name")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(strings.TrimSpace(out)).To(Equal("nairisecret.secrets.nairi.ai/columns"))
			// The category holds every kind of the operator, so it lists, but does not get by name.
			out, err = kubectl("get", "nairi", "-n", "default", "-o", "name")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("nairisecret.secrets.nairi.ai/columns"))
		})

		It("explains the fields", func() {
			out, err := kubectl("explain", "nairisecret.spec.envKey")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("environment variable name agents see"))
		})
	})
})
