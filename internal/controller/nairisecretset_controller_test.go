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
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

func newSet(ns, name, vault, secret string) *secretsv1alpha1.NairiSecretSet {
	return &secretsv1alpha1.NairiSecretSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: secretsv1alpha1.NairiSecretSetSpec{VaultID: vault,
			SecretRef: secretsv1alpha1.SecretNameReference{Name: secret}},
	}
}

func getSet(set *secretsv1alpha1.NairiSecretSet) *secretsv1alpha1.NairiSecretSet {
	out := &secretsv1alpha1.NairiSecretSet{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(set), out)).To(Succeed())
	return out
}

func setReadyOf(set *secretsv1alpha1.NairiSecretSet) *metav1.Condition {
	return meta.FindStatusCondition(set.Status.Conditions, secretsv1alpha1.ConditionReady)
}

// eventuallySetReason waits until the set's Ready has the reason for its current
// generation and the given number of wanted and ready keys, and returns the set then.
func eventuallySetReason(set *secretsv1alpha1.NairiSecretSet, reason string, keys, readyKeys int32) *secretsv1alpha1.NairiSecretSet {
	var latest *secretsv1alpha1.NairiSecretSet
	Eventually(func(g Gomega) {
		latest = &secretsv1alpha1.NairiSecretSet{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(set), latest)).To(Succeed())
		g.Expect(latest.Status.ObservedGeneration).To(Equal(latest.Generation))
		c := setReadyOf(latest)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(reason), "message: %s", c.Message)
		g.Expect(latest.Status.Keys).To(Equal(keys))
		g.Expect(latest.Status.ReadyKeys).To(Equal(readyKeys))
	}, timeout, 100*time.Millisecond).Should(Succeed())
	return latest
}

// children returns the NairiSecrets labelled as the set's, by env key.
func children(set *secretsv1alpha1.NairiSecretSet) map[string]secretsv1alpha1.NairiSecret {
	list := &secretsv1alpha1.NairiSecretList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(set.Namespace),
		client.MatchingLabels{secretsv1alpha1.SetLabel: set.Name})).To(Succeed())
	out := map[string]secretsv1alpha1.NairiSecret{}
	for _, c := range list.Items {
		out[c.Spec.EnvKey] = c
	}
	return out
}

func envKeysOf(set *secretsv1alpha1.NairiSecretSet) []string {
	var keys []string
	for k, c := range children(set) {
		if c.DeletionTimestamp.IsZero() {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// vaultEnvKeys returns the env keys the vault holds, sorted.
func vaultEnvKeys(vault string) []string {
	var keys []string //nolint:prealloc // nil when the vault is empty, as the table entries expect
	for _, s := range sim.Secrets(vault) {
		keys = append(keys, s.EnvKey)
	}
	slices.Sort(keys)
	return keys
}

// expectOwnedBy checks the child's controller owner reference and label.
func expectOwnedBy(child secretsv1alpha1.NairiSecret, set *secretsv1alpha1.NairiSecretSet) {
	ref := metav1.GetControllerOfNoCopy(&child)
	ExpectWithOffset(1, ref).NotTo(BeNil(), "child %s has no controller reference", child.Name)
	ExpectWithOffset(1, ref.Kind).To(Equal("NairiSecretSet"))
	ExpectWithOffset(1, ref.Name).To(Equal(set.Name))
	ExpectWithOffset(1, ref.UID).To(Equal(getSet(set).UID))
	ExpectWithOffset(1, ref.BlockOwnerDeletion).To(HaveValue(BeTrue()))
	ExpectWithOffset(1, child.Labels).To(HaveKeyWithValue(secretsv1alpha1.SetLabel, set.Name))
}

var fiveKeys = map[string]string{"DB_HOST": "db.shop.svc", "DB_USER": "shop", "DB_PASSWORD": "pw-1",
	"STRIPE_KEY": "sk_test_1", "SMTP_URL": "smtp://mail"}

var _ = Describe("Keeping a whole Secret with a NairiSecretSet", func() {
	var (
		ns, vault string
		env       *corev1.Secret
		set       *secretsv1alpha1.NairiSecretSet
	)

	BeforeEach(func() {
		ns, vault = newNamespace(), grantedVault()
		env = createSecretData(ns, "app-env", fiveKeys)
		set = newSet(ns, "app-env", vault, "app-env")
	})

	It("makes one child and one POST per key, then follows the Secret with one call per change", func() {
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		got := eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		Expect(setReadyOf(got).Status).To(Equal(metav1.ConditionTrue))
		Expect(calls(vault)).To(Equal([]string{post, post, post, post, post}))
		Expect(vaultEnvKeys(vault)).To(Equal([]string{"DB_HOST", "DB_PASSWORD", "DB_USER", "SMTP_URL", "STRIPE_KEY"}))
		kids := children(set)
		Expect(kids).To(HaveLen(5))
		for envKey, child := range kids {
			expectOwnedBy(child, set)
			Expect(child.Spec.SecretRef).To(Equal(secretsv1alpha1.SourceSecretRef{Name: "app-env", Key: envKey}))
		}
		Expect(kids["DB_PASSWORD"].Name).To(Equal("app-env-db-password"))
		Expect(vaultValue(new(kids["DB_PASSWORD"]))).To(Equal("pw-1"))

		By("adding a key: one child, one POST")
		patchSecretData(env, map[string]*string{"NEW_KEY": new("n")})
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 6, 6)
		Expect(calls(vault)).To(HaveLen(6))
		Expect(calls(vault)[5]).To(Equal(post))

		By("removing a key: its child goes, with one DELETE")
		patchSecretData(env, map[string]*string{"SMTP_URL": nil})
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		Eventually(func() []string { return envKeysOf(set) }, timeout).ShouldNot(ContainElement("SMTP_URL"))
		Eventually(func() []string { return vaultEnvKeys(vault) }, timeout).ShouldNot(ContainElement("SMTP_URL"))
		Expect(calls(vault)[6:]).To(Equal([]string{del}))

		By("changing one value: exactly one PATCH")
		patchSecretData(env, map[string]*string{"DB_PASSWORD": new("pw-2")})
		Eventually(func() string { return vaultValue(new(children(set)["DB_PASSWORD"])) }, timeout).Should(Equal("pw-2"))
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		noMoreCalls(vault)
		Expect(calls(vault)[7:]).To(Equal([]string{patch}))

		By("relabelling the Secret: no call at all")
		Eventually(func() error {
			latest := &corev1.Secret{}
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(env), latest)).To(Succeed())
			latest.Labels = map[string]string{"team": "shop"}
			return k8sClient.Update(ctx, latest)
		}, timeout).Should(Succeed())
		noMoreCalls(vault)
		Expect(calls(vault)).To(HaveLen(8))

		By("deleting the set: its children go, each deleting its vault secret")
		deleteAndWait(set)
		Eventually(func() []string { return envKeysOf(set) }, timeout).Should(BeEmpty())
		Eventually(func() map[string]secretsv1alpha1.NairiSecret { return children(set) }, timeout).Should(BeEmpty())
		Expect(sim.Secrets(vault)).To(BeEmpty())
		Expect(filterIn(calls(vault)[8:], del)).To(HaveLen(5))
	})

	It("keeps the vault secret of a removed key with deletionPolicy Retain", func() {
		set.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		Expect(children(set)["DB_HOST"].Spec.DeletionPolicy).To(Equal(secretsv1alpha1.DeletionPolicyRetain))

		patchSecretData(env, map[string]*string{"DB_HOST": nil})
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 4, 4)
		Eventually(func() []string { return envKeysOf(set) }, timeout).ShouldNot(ContainElement("DB_HOST"))
		noMoreCalls(vault)
		Expect(calls(vault)).To(HaveLen(5))
		Expect(vaultEnvKeys(vault)).To(ContainElement("DB_HOST"))
	})

	It("keeps its children and their vault secrets when the Secret is deleted", func() {
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		before := children(set)

		Expect(k8sClient.Delete(ctx, env)).To(Succeed())
		got := eventuallySetReason(set, secretsv1alpha1.ReasonSecretNotFound, 5, 0)
		Expect(setReadyOf(got).Message).To(ContainSubstring("children and their vault secrets are kept"))
		Expect(meta.FindStatusCondition(got.Status.Conditions, secretsv1alpha1.ConditionStalled)).To(BeNil())
		noMoreCalls(vault)
		Expect(calls(vault)).To(HaveLen(5))
		Expect(sim.Secrets(vault)).To(HaveLen(5))
		after := children(set)
		Expect(after).To(HaveLen(5))
		for envKey, child := range after {
			Expect(child.UID).To(Equal(before[envKey].UID))
			Expect(child.DeletionTimestamp).To(BeNil())
		}

		By("the Secret coming back: Ready again, without a call")
		createSecretData(ns, "app-env", fiveKeys)
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		noMoreCalls(vault)
		Expect(calls(vault)).To(HaveLen(5))
	})

	It("puts back a child edited by hand, and recreates a child deleted by hand", func() {
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)

		By("editing a child")
		child := new(children(set)["DB_USER"])
		update(child, func(o *secretsv1alpha1.NairiSecret) {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"evil.example.com"}
			o.Spec.Suspend = true
			o.Spec.SecretRef.Key = "DB_PASSWORD"
			o.Labels["extra"] = "kept"
		})
		Eventually(func(g Gomega) {
			got := get(child)
			g.Expect(got.Spec.AllowedDomains).To(BeEmpty())
			g.Expect(got.Spec.Suspend).To(BeFalse())
			g.Expect(got.Spec.SecretRef.Key).To(Equal("DB_USER"))
		}, timeout).Should(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		Eventually(func() string { return vaultValue(child) }, timeout).Should(Equal("shop"))
		Eventually(func() []string {
			for _, s := range sim.Secrets(vault) {
				if s.EnvKey == "DB_USER" {
					return s.AllowedDomains
				}
			}
			return nil
		}, timeout).Should(BeEmpty())

		By("deleting a child")
		victim := new(children(set)["STRIPE_KEY"])
		Expect(k8sClient.Delete(ctx, victim)).To(Succeed())
		Eventually(func(g Gomega) {
			again := &secretsv1alpha1.NairiSecret{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(victim), again)).To(Succeed())
			g.Expect(again.UID).NotTo(Equal(victim.UID))
			expectOwnedBy(*again, set)
		}, timeout).Should(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		Expect(vaultEnvKeys(vault)).To(ContainElement("STRIPE_KEY"))
		Expect(sim.Secrets(vault)).To(HaveLen(5))
	})

	It("copies its spec to every child and follows changes of it", func() {
		set.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"*.example.com"}
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 5, 5)
		for _, s := range sim.Secrets(vault) {
			Expect(s.AllowedDomains).To(Equal([]string{"*.example.com"}))
		}

		Eventually(func() error {
			latest := getSet(set)
			latest.Spec.Suspend = true
			return k8sClient.Update(ctx, latest)
		}, timeout).Should(Succeed())
		got := eventuallySetReason(set, secretsv1alpha1.ReasonSuspended, 5, 0)
		Expect(meta.FindStatusCondition(got.Status.Conditions, secretsv1alpha1.ConditionStalled)).To(BeNil())
		for _, child := range children(set) {
			Expect(child.Spec.Suspend).To(BeTrue())
		}
		Expect(calls(vault)).To(HaveLen(5))
	})
})

// The env key of each key, as DESIGN.md §2.3 says: prefix + (keys[].envKey, else the key
// with characters outside [A-Za-z0-9_] made '_'); keys that cannot become one get no
// child and are named in InvalidKey, while the others proceed.
var _ = Describe("Env keys of a NairiSecretSet", func() {
	DescribeTable("maps keys to env keys",
		func(data map[string]string, mutate func(*secretsv1alpha1.NairiSecretSet), wantEnvKeys []string, invalid []string) {
			ns, vault := newNamespace(), grantedVault()
			createSecretData(ns, "env", data)
			set := newSet(ns, "env", vault, "env")
			mutate(set)
			Expect(k8sClient.Create(ctx, set)).To(Succeed())

			n := int32(len(wantEnvKeys))
			reason := secretsv1alpha1.ReasonSynced
			if len(invalid) > 0 {
				reason = secretsv1alpha1.ReasonInvalidKey
			}
			got := eventuallySetReason(set, reason, n, n)
			Eventually(func() []string { return vaultEnvKeys(vault) }, timeout).Should(Equal(wantEnvKeys))
			Expect(envKeysOf(set)).To(Equal(wantEnvKeys))
			Expect(calls(vault)).To(HaveLen(len(wantEnvKeys)))
			for _, child := range children(set) {
				expectOwnedBy(child, set)
			}
			if len(invalid) > 0 {
				stalled := meta.FindStatusCondition(got.Status.Conditions, secretsv1alpha1.ConditionStalled)
				Expect(stalled).NotTo(BeNil())
				Expect(stalled.Reason).To(Equal(secretsv1alpha1.ReasonInvalidKey))
				for _, words := range invalid {
					Expect(setReadyOf(got).Message).To(ContainSubstring(words))
				}
			}
		},
		Entry("keys[].envKey renames a key; keys not listed get no child",
			map[string]string{"url": "postgres://x", "token": "t", "other": "o"},
			func(s *secretsv1alpha1.NairiSecretSet) {
				s.Spec.Keys = []secretsv1alpha1.SetKey{{Key: "url", EnvKey: "DATABASE_URL"}, {Key: "token"}}
			},
			[]string{"DATABASE_URL", "token"}, nil),
		Entry("envKeyPrefix goes before every env key, renamed or not",
			map[string]string{"url": "postgres://x", "API_TOKEN": "t"},
			func(s *secretsv1alpha1.NairiSecretSet) {
				s.Spec.EnvKeyPrefix = "SHOP_"
				s.Spec.Keys = []secretsv1alpha1.SetKey{{Key: "url", EnvKey: "DATABASE_URL"}, {Key: "API_TOKEN"}}
			},
			[]string{"SHOP_API_TOKEN", "SHOP_DATABASE_URL"}, nil),
		Entry("tls.crt becomes tls_crt; a-b and a.b collide and both get no child",
			map[string]string{"tls.crt": "cert", "a-b": "1", "a.b": "2", "c": "3"},
			func(*secretsv1alpha1.NairiSecretSet) {},
			[]string{"c", "tls_crt"}, []string{`keys "a-b" and "a.b" all map to env key a_b`}),
		Entry("a key starting with a digit, without a prefix",
			map[string]string{"1password": "p", "ok": "o"},
			func(*secretsv1alpha1.NairiSecretSet) {},
			[]string{"ok"}, []string{`key "1password" would be env key 1password, which starts with a digit`}),
		Entry("the same key with a prefix",
			map[string]string{"1password": "p", "ok": "o"},
			func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.EnvKeyPrefix = "APP_" },
			[]string{"APP_1password", "APP_ok"}, nil),
		Entry("a key with a prefix Nairi reserves",
			map[string]string{"NAIRI_TOKEN": "n", "CCASECRET_X": "c", "ok": "o"},
			func(*secretsv1alpha1.NairiSecretSet) {},
			[]string{"ok"}, []string{`key "NAIRI_TOKEN" would be env key NAIRI_TOKEN, which starts with NAIRI_`,
				`key "CCASECRET_X" would be env key CCASECRET_X, which starts with CCASECRET_`}),
	)

	It("names children deterministically, with a hash where names could meet", func() {
		ns, vault := newNamespace(), grantedVault()
		createSecretData(ns, "env", map[string]string{"FOO": "1", "foo": "2", "BAR_": "3"})
		set := newSet(ns, "names", vault, "env")
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		eventuallySetReason(set, secretsv1alpha1.ReasonSynced, 3, 3)
		kids := children(set)
		Expect(kids["FOO"].Name).To(Equal("names-foo"))
		Expect(kids["foo"].Name).To(MatchRegexp(`^names-foo-[0-9a-f]{8}$`))
		Expect(kids["BAR_"].Name).To(MatchRegexp(`^names-bar-[0-9a-f]{8}$`))
	})

	It("never takes over a NairiSecret it does not manage", func() {
		ns, vault := newNamespace(), grantedVault()
		createSecretData(ns, "env", map[string]string{"A": "1", "B": "2"})
		mine := newNairiSecret(ns, "taken-a", sim.NewVault(), "MINE")
		mine.Spec.SecretRef = secretsv1alpha1.SourceSecretRef{Name: "env", Key: "A"}
		Expect(k8sClient.Create(ctx, mine)).To(Succeed())
		set := newSet(ns, "taken", vault, "env")
		Expect(k8sClient.Create(ctx, set)).To(Succeed())
		got := eventuallySetReason(set, secretsv1alpha1.ReasonInvalidKey, 1, 1)
		Expect(setReadyOf(got).Message).To(ContainSubstring("needs the child name taken-a"))
		Expect(get(mine).Spec.EnvKey).To(Equal("MINE"))
		Expect(metav1.GetControllerOf(get(mine))).To(BeNil())
		Expect(vaultEnvKeys(vault)).To(Equal([]string{"B"}))
	})
})

var _ = Describe("NairiSecretSet validation by the API server", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	DescribeTable("refuses invalid sets",
		func(mutate func(*secretsv1alpha1.NairiSecretSet), message string) {
			set := newSet(ns, "invalid", sim.NewVault(), "env")
			mutate(set)
			err := k8sClient.Create(ctx, set)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("bad vaultID", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.VaultID = "vault-1" }, "vaultID must be a Nairi vault id"),
		Entry("prefix starting with a digit", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.EnvKeyPrefix = "1_" },
			"envKeyPrefix must start an environment variable name"),
		Entry("reserved prefix", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.EnvKeyPrefix = "NAIRI_APP_" },
			"envKeyPrefix must not start with NAIRI_"),
		Entry("a key listed twice", func(s *secretsv1alpha1.NairiSecretSet) {
			s.Spec.Keys = []secretsv1alpha1.SetKey{{Key: "a"}, {Key: "a", EnvKey: "B"}}
		}, "Duplicate value"),
		Entry("257 keys", func(s *secretsv1alpha1.NairiSecretSet) {
			for i := range secretsv1alpha1.MaxSetKeys + 1 {
				s.Spec.Keys = append(s.Spec.Keys, secretsv1alpha1.SetKey{Key: fmt.Sprintf("k%d", i)})
			}
		}, "must have at most 256 items"),
		Entry("an env key that is not a name", func(s *secretsv1alpha1.NairiSecretSet) {
			s.Spec.Keys = []secretsv1alpha1.SetKey{{Key: "a", EnvKey: "A-B"}}
		}, "envKey must be an environment variable name"),
		Entry("a name longer than a label value", func(s *secretsv1alpha1.NairiSecretSet) {
			s.Name = "a-very-long-name-that-does-not-fit-in-a-label-value-of-sixty-three-characters"
		}, "at most 63 characters"),
	)

	DescribeTable("keeps immutable fields immutable",
		func(mutate func(*secretsv1alpha1.NairiSecretSet), message string) {
			set := newSet(ns, "immutable", sim.NewVault(), "env")
			set.Spec.EnvKeyPrefix = "SHOP_"
			set.Spec.Keys = []secretsv1alpha1.SetKey{{Key: "url", EnvKey: "DATABASE_URL"}, {Key: "token"}}
			Expect(k8sClient.Create(ctx, set)).To(Succeed())
			DeferCleanup(func() { deleteAndWait(set) })
			var err error
			Eventually(func() bool {
				latest := getSet(set)
				mutate(latest)
				err = k8sClient.Update(ctx, latest)
				return apierrors.IsConflict(err) // the controller wrote meanwhile: try again
			}, timeout).Should(BeFalse())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("vaultID", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.VaultID = "vlt_01KQ27AQH800XQTQPJZ0DH14SK" },
			"vaultID is immutable"),
		Entry("envKeyPrefix changed", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.EnvKeyPrefix = "SHOP2_" },
			"envKeyPrefix is immutable"),
		Entry("envKeyPrefix removed", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.EnvKeyPrefix = "" },
			"envKeyPrefix is immutable"),
		Entry("a key's envKey changed", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.Keys[0].EnvKey = "DB_URL" },
			"keys[].envKey is immutable"),
		Entry("a key's envKey added", func(s *secretsv1alpha1.NairiSecretSet) { s.Spec.Keys[1].EnvKey = "API_TOKEN" },
			"keys[].envKey is immutable"),
	)
})
