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

package install_test

import (
	"bytes"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// No container engine runs here, so the image build is proven through its one real step:
// `make build-release` compiles with the flags the Dockerfile uses.
var _ = Describe("Release build", func() {
	It("builds a static, trimmed, version-stamped manager with the Dockerfile's flags", func() {
		out := filepath.Join(filepath.Dir(kubeconfigPath), "manager")
		mustRun("make", "--no-print-directory", "build-release", "VERSION=9.8.7-test", "RELEASE_OUT="+out)
		info := mustRun("go", "version", "-m", out)
		Expect(info).To(MatchRegexp(`build\s+CGO_ENABLED=0`))
		Expect(info).To(MatchRegexp(`build\s+-trimpath=true`))
		Expect(info).NotTo(ContainSubstring(utils.ProjectDir()), "-trimpath leaves no local paths")

		binary, err := os.ReadFile(out)
		Expect(err).NotTo(HaveOccurred())
		// -X silently does nothing when the variable does not exist, so look for the stamp.
		Expect(bytes.Contains(binary, []byte("9.8.7-test"))).To(BeTrue(),
			"-X main.version=9.8.7-test left no trace: cmd/main.go must keep `var version`")
	})

	It("uses the same build flags in the Dockerfile as `make build-release`", func() {
		dockerfile, err := os.ReadFile(filepath.Join(utils.ProjectDir(), "Dockerfile"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(dockerfile)).To(And(
			ContainSubstring(`CGO_ENABLED=0`),
			ContainSubstring(`go build -trimpath -ldflags "-s -w -buildid= -X main.version=${VERSION}"`),
			ContainSubstring("FROM gcr.io/distroless/static:nonroot"),
			ContainSubstring("USER 65532:65532"),
		), "the Dockerfile and `make build-release` must build the same way")
	})
})
