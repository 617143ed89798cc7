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
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// `make demo` is the README's first command; running its one-shot mode here keeps it from
// rotting. It brings up its own control plane, simulator and manager.
var _ = Describe("make demo", func() {
	It("runs the whole demo in one-shot mode and cleans up after itself", func() {
		demoDir := filepath.Join(runDir, "demo")
		outPath := filepath.Join(runDir, "make-demo.out")
		out, err := os.Create(outPath)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(out.Close)

		cmd := exec.Command("make", "--no-print-directory", "demo")
		cmd.Dir = utils.ProjectDir()
		cmd.Env = append(os.Environ(), "DEMO_ONESHOT=1", "DEMO_DIR="+demoDir,
			"DEMO_MANAGER_BIN="+managerBin, "KUBEBUILDER_ASSETS="+assets)
		session, err := gexec.Start(cmd, out, out)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { session.Kill().Wait() })

		Eventually(session, 5*time.Minute).Should(gexec.Exit(0), "output in %s", outPath)
		output := string(session.Out.Contents())
		// The demo grants its namespace the vault with a NairiVault and shows it verified.
		Expect(output).To(MatchRegexp(`shop-prod\s+vlt_01KQ27AQH800XQTQPJZ0DH14SJ\s+Deny\s+True\s+Verified`))
		Expect(output).To(ContainSubstring("Ready=True reason=Synced"))
		Expect(output).To(MatchRegexp(`status.secretID=sec_[0-9A-Z]{26}`))
		Expect(output).To(MatchRegexp(`sec_\w+\s+DATABASE_URL\s+\[\*\.example\.com\]`))
		Expect(output).To(ContainSubstring("PATCH requests for the rotation: 1 "))
		// The NairiSecretSet sample: three keys, three children, and the templated URL.
		Expect(output).To(MatchRegexp(`app-env\s+vlt_\w+\s+app-env\s+3\s+True\s+Synced`))
		Expect(output).To(MatchRegexp(`app-env-stripe-api-key\s+vlt_\w+\s+STRIPE_API_KEY\s+sec_\w+\s+True`))
		Expect(output).To(ContainSubstring("POST requests for the set and the template: 4"))
		Expect(output).To(MatchRegexp(`sec_\w+\s+SHOP_DATABASE_URL`))
		Expect(output).NotTo(ContainSubstring("change-me"), "the demo printed the secret value")
		Expect(output).NotTo(ContainSubstring("change:me"), "the demo printed the secret value")
		Expect(demoDir).NotTo(BeADirectory(), "the demo left its state behind")
	})
})
