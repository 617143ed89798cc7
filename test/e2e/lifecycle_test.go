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
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// The manager process dying or being stopped in the middle of its work. These managers
// run with the chart's cluster-wide RBAC; the others with its namespaced mode.
var _ = Describe("The manager process", func() {
	const workers = 4

	It("loses nothing and duplicates nothing when SIGKILLed during a sync and restarted", func() {
		ns, vault := newNamespace("sigkill"), newVault()
		args := []string{"--watch-namespaces=" + ns, "--max-concurrent-reconciles=" + strconv.Itoa(workers)}
		m := startManagerClusterRBAC("manager-sigkill", args...)

		// Slow creates keep several requests in flight when the process dies.
		sim.Inject(fault{Method: http.MethodPost, Route: nairi.RouteSecrets, Times: -1, Latency: 500 * time.Millisecond})
		DeferCleanup(sim.ClearFaults)
		objs := batch("killed", vault, 20)
		apply(ns, manifests(objs))

		Eventually(func() int { return len(sim.Secrets(vault)) }).Should(BeNumerically(">=", 5))
		m.Kill()
		synced := len(sim.Secrets(vault))
		Expect(synced).To(BeNumerically("<", len(objs)), "the kill came too late to interrupt the rollout")
		sim.ClearFaults()
		patchesBefore := requests(vault, http.MethodPatch)

		m = startManagerClusterRBAC("manager-sigkill", args...)
		DeferCleanup(func() { m.Stop(15 * time.Second) })
		waitReady(ns, "--all", 2*time.Minute)
		expectVaultMatches(ns, vault, objs)
		// Only a create whose answer died with the process needs adopting (one PATCH each);
		// there can be no more of those than requests in flight.
		Expect(requests(vault, http.MethodPatch) - patchesBefore).To(BeNumerically("<=", workers))
	})

	It("exits within its termination grace period on SIGTERM, even with requests in flight", func() {
		ns, vault := newNamespace("sigterm"), newVault()
		args := []string{"--watch-namespaces=" + ns}
		m := startManagerClusterRBAC("manager-sigterm", args...)

		sim.Inject(fault{Method: http.MethodPost, Route: nairi.RouteSecrets, Times: -1, Latency: 2 * time.Second})
		DeferCleanup(sim.ClearFaults)
		objs := batch("stopped", vault, 5)
		apply(ns, manifests(objs))
		// Once the first slow create is answered, the next one is in flight.
		Eventually(func() int { return len(sim.Secrets(vault)) }).Should(BeNumerically(">=", 1))

		Expect(m.Signal(syscall.SIGTERM)).To(Succeed())
		Eventually(m.Exited, terminationGracePeriod()).Should(BeTrue(),
			"still running %s after SIGTERM; log %s", terminationGracePeriod(), m.LogPath)
		Expect(m.ExitCode()).To(BeZero(), "log %s ends with:\n%s", m.LogPath, m.Tail(20))

		By("a restart finishes the work")
		sim.ClearFaults()
		m = startManagerClusterRBAC("manager-sigterm", args...)
		waitReady(ns, "--all", time.Minute)
		expectVaultMatches(ns, vault, objs)

		By("a restart with everything synced makes no API call at all")
		m.Stop(15 * time.Second)
		// Counted by start time: a create the first manager sent just before SIGTERM may
		// still be answered now, to nobody.
		restarted := time.Now()
		m = startManagerClusterRBAC("manager-sigterm", args...)
		DeferCleanup(func() { m.Stop(15 * time.Second) })
		Eventually(m.Log).Should(ContainSubstring("Starting workers"))
		Consistently(func() int { return requestsSince(vault, restarted) }).Should(BeZero())
	})
})

// terminationGracePeriod is the Deployment's terminationGracePeriodSeconds: how long the
// kubelet waits after SIGTERM before it SIGKILLs the manager.
func terminationGracePeriod() time.Duration {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(utils.ProjectDir(), "config", "manager", "manager.yaml"))
	Expect(err).NotTo(HaveOccurred())
	m := regexp.MustCompile(`terminationGracePeriodSeconds:\s*(\d+)`).FindSubmatch(data)
	Expect(m).NotTo(BeNil(), "config/manager/manager.yaml sets no terminationGracePeriodSeconds")
	seconds, _ := strconv.Atoi(string(m[1]))
	return time.Duration(seconds) * time.Second
}
