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
	"github.com/prometheus/client_golang/prometheus"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/controller"
)

// --watch-label-selector, with the Flux sharding convention: the suite's manager is the
// main deployment ('!sharding.fluxcd.io/key'); two more managers are shards.
var _ = Describe("Sharding with --watch-label-selector", func() {
	It("lets each of two shard managers handle only the objects labelled for it", func() {
		ns, vault := newNamespace(), grantedVault()
		createSecret(ns, "source", "value", "postgresql://v1")
		shard := func(name, envKey, key string) *secretsv1alpha1.NairiSecret {
			o := newNairiSecret(ns, name, vault, envKey)
			o.Labels = map[string]string{controller.ShardLabel: key}
			return o
		}
		reg1, reg2 := prometheus.NewRegistry(), prometheus.NewRegistry()
		shard1 := startManagerWith(controller.ShardLabel+"=shard1", reg1)
		defer shard1.stop()

		a, b := shard("a", "KEY_A", "shard1"), shard("b", "KEY_B", "shard2")
		Expect(k8sClient.Create(ctx, a)).To(Succeed())
		Expect(k8sClient.Create(ctx, b)).To(Succeed())
		eventuallySynced(a)
		// Neither the main manager nor shard1 touches shard2's object.
		Consistently(func() []secretsv1alpha1.NairiSecretStatus { return []secretsv1alpha1.NairiSecretStatus{get(b).Status} },
			3*time.Second, 200*time.Millisecond).Should(Equal([]secretsv1alpha1.NairiSecretStatus{{}}))
		Expect(calls(vault)).To(Equal([]string{post}))

		shard2 := startManagerWith(controller.ShardLabel+"=shard2", reg2)
		defer shard2.stop()
		eventuallySynced(b)
		Expect(calls(vault)).To(Equal([]string{post, post}))
		Expect(objectCountIn(reg1)).To(Equal(1.0), "shard1 handled objects not labelled for it")
		Expect(objectCountIn(reg2)).To(Equal(1.0), "shard2 handled objects not labelled for it")

		// The finalizers are removed by the shard that owns each object.
		deleteAndWait(a)
		deleteAndWait(b)
	})
})
