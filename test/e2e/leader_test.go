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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Two replicas with leader election, as the Deployment runs them during a rollout.
var _ = Describe("Two managers with leader election", func() {
	// The leader-election log line (client-go's klog and controller-runtime's logr spell
	// it differently) and controller-runtime's line for the controller start.
	acquired := MatchRegexp(`(?i)successfully acquired lease`)
	const started = "Starting workers"

	It("lets only the leader call the API, and hands over when the leader is killed", func() {
		ns, vault := newNamespace("leader"), newVault()
		args := []string{"--watch-namespaces=" + ns}

		first := startManager("manager-leader-a", true, args...)
		DeferCleanup(func() { first.Stop(15 * time.Second) })
		Eventually(first.Log).Should(acquired)
		Eventually(first.Log).Should(ContainSubstring(started))
		second := startManager("manager-leader-b", true, args...)
		DeferCleanup(func() { second.Stop(15 * time.Second) })

		objs := batch("led", vault, 5)
		apply(ns, manifests(objs))
		waitReady(ns, "--all", time.Minute)
		expectVaultMatches(ns, vault, objs)
		Expect(second.Log()).To(SatisfyAll(Not(acquired), Not(ContainSubstring(started))),
			"the standby ran its controllers while the leader was alive")

		By("killing the leader: the standby takes the lease once it expires and syncs new work")
		first.Kill()
		late := batch("after-handover", vault, 1)
		apply(ns, manifests(late))
		// The lease lasts 15s after the leader's last renewal; the standby retries every 2s.
		Eventually(second.Log, 45*time.Second).Should(acquired)
		waitReady(ns, "--all", time.Minute)
		expectVaultMatches(ns, vault, append(objs, late...))
	})
})
