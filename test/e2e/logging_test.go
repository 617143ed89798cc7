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
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// client-go logs API bodies at -v>=8, and the first LIST of the Secret watch carries
// kubectl's last-applied-configuration annotation, which holds the Secret's data: the
// manager binary's whole output at --zap-log-level=10 must hold none of it.
var _ = Describe("The manager's log at --zap-log-level=10", func() {
	It("holds no Secret data, API key or value, even of Secrets that existed before it started", func() {
		ns, vault := newNamespace("verbose"), newVault()
		before, value, rotated := canary("before-"), canary("value-"), canary("rotated-")

		By("applying Secrets with kubectl before the manager starts (last-applied holds their data)")
		apply(ns, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: unrelated\nstringData:\n  password: "+before+"\n")
		obj := nsec{Name: "verbose", Vault: vault, EnvKey: "VERBOSE_TOKEN", Value: value}
		apply(ns, obj.manifest())
		Expect(run("get", "secret", obj.secretName(), "-n", ns, "-o", "yaml")).
			To(ContainSubstring("last-applied-configuration"))

		// Informers LIST first, as against an API server without WatchList: the response
		// body of that LIST is what client-go logs at -v>=8.
		managerEnv = []string{"KUBE_FEATURE_WatchListClient=false"}
		DeferCleanup(func() { managerEnv = nil })
		m := startManager("manager-verbose", false, "--watch-namespaces="+ns, "--zap-log-level=10")
		DeferCleanup(func() { m.Stop(15 * time.Second) })
		waitReady(ns, obj.Name, time.Minute)
		id := nairiSecrets(ns)[obj.Name].Status.SecretID
		run("patch", "secret", obj.secretName(), "-n", ns, "--type=merge",
			"-p", `{"stringData":{"value":"`+rotated+`"}}`)
		Eventually(func() string { v, _ := sim.Value(vault, id); return v }).Should(Equal(rotated))
		m.Stop(15 * time.Second)

		log := m.Log()
		Expect(log).To(MatchRegexp(`"level":"(debug|Level\(-\d+\))"`), "the manager did not log at a verbose level")
		Expect(log).To(ContainSubstring("wrote vault secret"), "the log of the sync is missing")
		for _, secret := range []string{before, value, rotated, apiKey} {
			Expect(leaks(log, secret)).To(BeEmpty(), "the manager's log (%s) holds Secret data", m.LogPath)
		}
	})
})

func canary(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// leaks returns the forms of secret found in text: as is, base64-encoded (a Secret's JSON),
// or any 12 characters of it in a row (a hex dump of a protobuf body shows 16 bytes a line).
func leaks(text, secret string) []string {
	var found []string
	for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))} {
		if strings.Contains(text, form) {
			found = append(found, form)
		}
	}
	for i := 0; i+12 <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+12]) {
			found = append(found, secret[i:i+12])
		}
	}
	return found
}
