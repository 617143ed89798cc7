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
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

const (
	timeout = 20 * time.Second
	// quiet is how long a spec watches for calls that must not happen.
	quiet = 2 * time.Second
)

// createSecret creates a source Secret with one key.
func createSecret(ns, name, key, value string) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data:       map[string][]byte{key: []byte(value)},
	}
	Expect(k8sClient.Create(ctx, s)).To(Succeed())
	return s
}

// setSecretValue replaces the Secret's data with one key.
func setSecretValue(s *corev1.Secret, key, value string) {
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
	s.Data = map[string][]byte{key: []byte(value)}
	Expect(k8sClient.Update(ctx, s)).To(Succeed())
}

// newNairiSecret returns a NairiSecret syncing key "value" of Secret "source".
func newNairiSecret(ns, name, vault, envKey string) *secretsv1alpha1.NairiSecret {
	return &secretsv1alpha1.NairiSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: secretsv1alpha1.NairiSecretSpec{
			VaultID:   vault,
			EnvKey:    envKey,
			SecretRef: secretsv1alpha1.SourceSecretRef{Name: "source", Key: "value"},
		},
	}
}

func get(obj *secretsv1alpha1.NairiSecret) *secretsv1alpha1.NairiSecret {
	out := &secretsv1alpha1.NairiSecret{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), out)).To(Succeed())
	return out
}

// update applies mutate to the latest version of obj.
func update(obj *secretsv1alpha1.NairiSecret, mutate func(*secretsv1alpha1.NairiSecret)) {
	Eventually(func() error {
		latest := get(obj)
		mutate(latest)
		return k8sClient.Update(ctx, latest)
	}, timeout).Should(Succeed())
}

func readyOf(obj *secretsv1alpha1.NairiSecret) *metav1.Condition {
	return meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady)
}

// eventuallyReason waits until Ready has the reason, for the current generation, and
// returns the object then.
func eventuallyReason(obj *secretsv1alpha1.NairiSecret, reason string) *secretsv1alpha1.NairiSecret {
	var latest *secretsv1alpha1.NairiSecret
	Eventually(func(g Gomega) {
		latest = &secretsv1alpha1.NairiSecret{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), latest)).To(Succeed())
		g.Expect(latest.Status.ObservedGeneration).To(Equal(latest.Generation))
		c := readyOf(latest)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(reason), "message: %s", c.Message)
	}, timeout, 100*time.Millisecond).Should(Succeed())
	return latest
}

// eventuallySynced waits for Ready=True Synced.
func eventuallySynced(obj *secretsv1alpha1.NairiSecret) *secretsv1alpha1.NairiSecret {
	latest := eventuallyReason(obj, secretsv1alpha1.ReasonSynced)
	Expect(readyOf(latest).Status).To(Equal(metav1.ConditionTrue))
	Expect(meta.FindStatusCondition(latest.Status.Conditions, secretsv1alpha1.ConditionStalled)).To(BeNil())
	return latest
}

func stalledOf(obj *secretsv1alpha1.NairiSecret) *metav1.Condition {
	return meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionStalled)
}

// calls returns the requests the simulator received for one vault, as "METHOD route",
// after those that verified its NairiVault (see grantedVault).
func calls(vault string) []string {
	reqs := requestsOf(vault)
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Route)
	}
	return out
}

// requestsOf returns the requests of one vault after its NairiVault's verification.
func requestsOf(vault string) []nairisim.Request {
	reqs := slices.DeleteFunc(sim.Requests(), func(r nairisim.Request) bool { return r.VaultID != vault })
	return reqs[min(verificationCalls[vault], len(reqs)):]
}

// verificationCalls counts, per vault, the requests made to verify its NairiVault, which
// calls and requestsOf leave out so specs count the NairiSecrets' requests alone.
var verificationCalls = map[string]int{}

const (
	post  = http.MethodPost + " " + nairi.RouteSecrets
	list  = http.MethodGet + " " + nairi.RouteSecrets
	patch = http.MethodPatch + " " + nairi.RouteSecret
	del   = http.MethodDelete + " " + nairi.RouteSecret
)

// noMoreCalls asserts that the vault gets no further request for a while.
func noMoreCalls(vault string) {
	before := len(calls(vault))
	Consistently(func() []string { return calls(vault)[before:] }, quiet, 100*time.Millisecond).Should(BeEmpty())
}

// eventsOf returns the reasons of the Events about obj, oldest first.
func eventsOf(obj *secretsv1alpha1.NairiSecret) []string {
	list := &eventsv1.EventList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(obj.Namespace))).To(Succeed())
	slices.SortFunc(list.Items, func(a, b eventsv1.Event) int { return a.EventTime.Compare(b.EventTime.Time) })
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Name == obj.Name {
			out = append(out, e.Type+" "+e.Reason)
		}
	}
	return out
}

// allEvents returns every Event of a namespace, for the canary test.
func allEvents(ns string) []eventsv1.Event {
	list := &eventsv1.EventList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	return list.Items
}

// deleteAndWait deletes obj and waits until it is gone.
func deleteAndWait(obj client.Object) {
	Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
	Eventually(func() bool {
		err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err)
	}, timeout).Should(BeTrue(), fmt.Sprintf("%s was not deleted", obj.GetName()))
}

// vaultValue returns the value the vault holds for the object's secret.
func vaultValue(obj *secretsv1alpha1.NairiSecret) string {
	v, ok := sim.Value(obj.Spec.VaultID, get(obj).Status.SecretID)
	Expect(ok).To(BeTrue(), "the vault has no secret %s", get(obj).Status.SecretID)
	return v
}

// grantedVault adds a vault to the simulator and a NairiVault that lets every namespace
// use it with the operator's key: what the specs that are not about grants need since
// --require-vault-grant defaults to true.
func grantedVault() string {
	vault := sim.NewVault()
	nv := grantVault(vault, func(v *secretsv1alpha1.NairiVault) { v.Spec.NamespaceSelector = &secretsv1alpha1.NamespaceSelector{} })
	eventuallyVerified(nv)
	// The NairiVault is verified with exactly one List; the specs count what follows.
	Expect(calls(vault)).To(Equal([]string{list}))
	verificationCalls[vault] = 1
	return vault
}

// eventuallyVerified waits for a NairiVault to be Ready=True Verified.
func eventuallyVerified(v *secretsv1alpha1.NairiVault) {
	Eventually(func(g Gomega) {
		c := vaultReadyOf(v)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(secretsv1alpha1.ReasonVerified), "message: %s", c.Message)
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
	}, timeout, 100*time.Millisecond).Should(Succeed())
}

// grantVault creates a NairiVault for vault, shaped by mutate, and returns it.
func grantVault(vault string, mutate func(*secretsv1alpha1.NairiVault)) *secretsv1alpha1.NairiVault {
	v := &secretsv1alpha1.NairiVault{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("grant-%d-%s", GinkgoParallelProcess(), strings.ToLower(vault[4:]))},
		Spec:       secretsv1alpha1.NairiVaultSpec{VaultID: vault},
	}
	mutate(v)
	Expect(k8sClient.Create(ctx, v)).To(Succeed())
	return v
}

// vaultReadyOf returns a NairiVault's Ready condition, nil when it has none yet.
func vaultReadyOf(v *secretsv1alpha1.NairiVault) *metav1.Condition {
	latest := &secretsv1alpha1.NairiVault{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(v), latest)).To(Succeed())
	return meta.FindStatusCondition(latest.Status.Conditions, secretsv1alpha1.ConditionReady)
}

var _ = GinkgoWriter
