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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// A rollout while the API misbehaves: the operator must end up with every object synced,
// one vault secret each, without hammering the API.
var _ = Describe("A rollout of 50 objects while the API fails", Ordered, func() {
	const objects = 50

	It("ends with every object Ready, no duplicate and a bounded number of requests", func() {
		ns, vault := newNamespace("rollout"), newVault()
		m := startManager("manager-rollout", false, "--watch-namespaces="+ns,
			"--max-concurrent-reconciles=4", "--nairi-qps=50", "--nairi-burst=10")
		DeferCleanup(func() { m.Stop(15 * time.Second) })

		// First matching fault wins, so the POSTs meet them in this order.
		const rateLimited, unavailable, dropped, lostAnswers = 10, 5, 2, 3
		sim.Inject(fault{Method: http.MethodPost, Route: nairi.RouteSecrets, Times: rateLimited,
			Status: http.StatusTooManyRequests, Headers: map[string]string{"Retry-After": "1"}})
		sim.Inject(fault{Method: http.MethodPost, Route: nairi.RouteSecrets, Times: unavailable,
			Status: http.StatusServiceUnavailable})
		sim.Inject(fault{Method: http.MethodPost, Route: nairi.RouteSecrets, Times: dropped, Drop: true})
		// The write happens but the answer is lost: the retry must adopt, not duplicate.
		sim.Inject(fault{Method: http.MethodPost, Route: nairi.RouteSecrets, Times: lostAnswers,
			Status: http.StatusBadGateway, Commit: true})
		DeferCleanup(sim.ClearFaults)

		objs := batch("app", vault, objects)
		apply(ns, manifests(objs))
		waitReady(ns, "--all", 3*time.Minute)

		expectVaultMatches(ns, vault, objs)
		// One creating POST per object plus one per failure that created nothing; a lost
		// answer costs one more POST (answered "env_key already exists"), a List and a PATCH.
		injected := rateLimited + unavailable + dropped + lostAnswers
		Expect(requests(vault, http.MethodPost)).To(BeNumerically("<=", objects+injected))
		Expect(requests(vault, http.MethodPatch)).To(BeNumerically("<=", lostAnswers))
		// GETs: a List per lost answer, and the NairiVault's one verification List.
		Expect(requests(vault, http.MethodGet)).To(BeNumerically("<=", lostAnswers+1))
		Expect(requests(vault, http.MethodDelete)).To(BeZero())
		GinkgoWriter.Printf("rollout requests: POST %d, PATCH %d, GET %d\n", requests(vault, http.MethodPost),
			requests(vault, http.MethodPatch), requests(vault, http.MethodGet))
	})
})
