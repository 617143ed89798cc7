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
	"debug/elf"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// No container engine runs here; the real-node suite (test/node) assembles the operator's
// image with hack/mkimage instead. That image must be what the Dockerfile builds, or the
// node would test something users never run: this compares the two.
var _ = Describe("The image hack/mkimage assembles", func() {
	It("has the Dockerfile's final stage: user, entrypoint, workdir, only its files, a static binary", func() {
		dir := filepath.Join(filepath.Dir(kubeconfigPath), "image")
		Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
		manager := filepath.Join(dir, "manager")
		mustRun("make", "--no-print-directory", "build-release", "RELEASE_OUT="+manager)
		mkimage := filepath.Join(dir, "mkimage")
		Expect(utils.BuildMkimage(mkimage)).To(Succeed())
		tarball := filepath.Join(dir, "operator.tar")
		spec, err := utils.OperatorImage(dir, manager, "k8s.local/op:a", "k8s.local/op:b")
		Expect(err).NotTo(HaveOccurred())
		Expect(utils.MakeImage(mkimage, tarball, spec)).To(Succeed())

		stage, err := utils.DockerfileFinalStage(filepath.Join(utils.ProjectDir(), "Dockerfile"))
		Expect(err).NotTo(HaveOccurred())
		// distroless/static:nonroot has no shell and no libc; the assembled image holds
		// less still (only the copied binary), which is right only for such a base.
		Expect(stage.From).To(Equal("gcr.io/distroless/static:nonroot"))

		img, err := utils.ReadImageTarball(tarball)
		Expect(err).NotTo(HaveOccurred())
		Expect(img.Tags).To(ConsistOf("k8s.local/op:a", "k8s.local/op:b"))
		Expect(img.Config.OS).To(Equal("linux"))
		Expect(img.Config.Config.User).To(Equal(stage.User), "USER")
		Expect(img.Config.Config.Entrypoint).To(Equal(stage.Entrypoint), "ENTRYPOINT")
		Expect(img.Config.Config.Cmd).To(BeEmpty(), "the Dockerfile has no CMD")
		Expect(img.Config.Config.WorkingDir).To(Equal(stage.WorkingDir), "WORKDIR")

		var files []string
		want := make([]string, 0, len(stage.Copies)+len(utils.BaseImageFiles))
		for p, hdr := range img.Files {
			if !hdr.FileInfo().IsDir() {
				files = append(files, p)
			}
		}
		for dst := range stage.Copies {
			want = append(want, dst)
		}
		for dst := range utils.BaseImageFiles {
			want = append(want, dst)
		}
		Expect(files).To(ConsistOf(want), "what the final stage copies and the base's user database: no shell")

		By("USER names the base image's nonroot user and group, so the runtime finds GID 65532")
		Expect(string(img.Contents["/etc/passwd"])).To(ContainSubstring("nonroot:x:" + stage.User + ":"))
		uid, gid, _ := strings.Cut(stage.User, ":")
		Expect(string(img.Contents["/etc/group"])).To(ContainSubstring("nonroot:x:" + gid + ":"))
		Expect(uid).To(Equal(gid))

		entry := img.Files[stage.Entrypoint[0]]
		Expect(entry).NotTo(BeNil(), "the entrypoint is in the image")
		Expect(entry.Uid).To(BeZero())
		Expect(entry.Mode&0o111).NotTo(BeZero(), "the entrypoint is executable")

		By("the entrypoint is the release binary, statically linked")
		release, err := os.ReadFile(manager)
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.Equal(img.Contents[stage.Entrypoint[0]], release)).To(BeTrue())
		bin, err := elf.NewFile(bytes.NewReader(release))
		Expect(err).NotTo(HaveOccurred())
		for _, prog := range bin.Progs {
			Expect(prog.Type).NotTo(Equal(elf.PT_INTERP), "a dynamic loader: not a static binary")
		}
		libs, err := bin.ImportedLibraries()
		Expect(err).NotTo(HaveOccurred())
		Expect(libs).To(BeEmpty(), "shared libraries: not a static binary")
	})

	It("reads the Dockerfile's final stage as Docker does (the parser the check above relies on)", func() {
		file := filepath.Join(GinkgoT().TempDir(), "Dockerfile")
		Expect(os.WriteFile(file, []byte(`FROM golang AS builder
USER root
COPY a /b
FROM scratch
WORKDIR /app
COPY --from=builder /workspace/manager .
COPY --chown=1:1 conf /etc/conf
USER 1000:1000
ENTRYPOINT ["/app/manager", "--flag"]
`), 0o644)).To(Succeed())
		stage, err := utils.DockerfileFinalStage(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(*stage).To(Equal(utils.DockerfileStage{
			From: "scratch", User: "1000:1000", Entrypoint: []string{"/app/manager", "--flag"}, WorkingDir: "/app",
			Copies: map[string]string{"/app/manager": "/workspace/manager", "/etc/conf": "conf"},
		}))
	})
})
