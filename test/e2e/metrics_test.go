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
	"io"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// What Prometheus scrapes from the real manager binary, over HTTP.
var _ = Describe("The manager's /metrics", func() {
	It("names each object's conditions, drops deleted objects, and never shows a value", func() {
		ns, vault := newNamespace("metrics"), newVault()
		addr, err := utils.FreeAddr()
		Expect(err).NotTo(HaveOccurred())
		m := startManager("manager-metrics", false, "--watch-namespaces="+ns,
			"--metrics-bind-address="+addr, "--metrics-secure=false")
		DeferCleanup(func() { m.Stop(15 * time.Second) })
		scrape := func() string {
			GinkgoHelper()
			resp, err := http.Get("http://" + addr + "/metrics") //nolint:noctx // a local test server
			Expect(err).NotTo(HaveOccurred())
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			Expect(err).NotTo(HaveOccurred())
			return string(body)
		}

		b := make([]byte, 16)
		_, _ = rand.Read(b)
		canary := "canary-" + hex.EncodeToString(b)
		empty := nsec{Name: "empty", Vault: vault, EnvKey: "EMPTY"}
		apply(ns, nsec{Name: "good", Vault: vault, EnvKey: "GOOD", Value: canary}.manifest()+"---\n"+
			// An empty data value must be written "", or YAML reads it as no key at all.
			strings.Replace(empty.manifest(), "  value: \n", "  value: \"\"\n", 1))
		waitReady(ns, "good", time.Minute)

		series := func(name, typ, status, reason string) string {
			return `nairi_secret_status_condition{kind="NairiSecret",name="` + name + `",namespace="` + ns +
				`",reason="` + reason + `",status="` + status + `",type="` + typ + `"} 1`
		}
		Eventually(scrape, time.Minute).Should(And(
			ContainSubstring(series("good", "Ready", "True", "Synced")),
			ContainSubstring(series("empty", "Ready", "False", "EmptyValue")),
			ContainSubstring(series("empty", "Stalled", "True", "EmptyValue")),
			MatchRegexp(`nairi_secret_last_synced_timestamp_seconds\{name="good",namespace="`+ns+`"\} \d`),
		))

		run("delete", "nsec", "good", "-n", ns, "--wait=true", "--timeout=60s")
		Eventually(scrape, time.Minute).ShouldNot(MatchRegexp(`name="good",namespace="` + ns + `"`))

		text := scrape()
		Expect(text).To(ContainSubstring(series("empty", "Stalled", "True", "EmptyValue")))
		for _, form := range []string{canary, canary[7:19], base64.StdEncoding.EncodeToString([]byte(canary))} {
			Expect(text).NotTo(ContainSubstring(form), "the value is on /metrics")
		}
	})
})
