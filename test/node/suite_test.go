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

// Package node runs the operator as users do: the chart's Pod on a real kubelet and
// containerd, from an image built here, against the Nairi simulator on loopback.
//
// The suite brings up a single-node Kubernetes (test/utils.StartNode): etcd and
// kube-apiserver from the envtest store, kube-controller-manager, kube-scheduler and the
// kubelet from hack/node-assets.sh, Debian's containerd and runc. Nothing is ever
// pulled: a ValidatingAdmissionPolicy refuses Pods that could pull, containerd's
// registries point at 127.0.0.1:1, and the images are imported from tarballs made by
// hack/mkimage. Pods use the host network and loopback addresses only; the node changes
// no iptables rule and no sysctl. It needs root, and runs with `make test-node`.
//
// Logs (every component's, the audit log, the simulator's requests) go to a folder
// printed at the start and the end, removed when every spec passed (NODE_KEEP=1 keeps it).
package node

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

const (
	// nodeDirPrefix starts the name of every test node's directory, so a snapshot of the
	// machine can find any node's processes.
	nodeDirPrefix = "/tmp/nairi-node-"
	// imageRepo is the operator image's name on the node; no registry serves it.
	imageRepo = "k8s.local/nairi-secrets-operator"
	// tagA and tagB are two tags of one image (the same build), for the rolling upgrade.
	tagA, tagB = "node-a", "node-b"
	// operatorNS is where the chart (and dist/install.yaml) installs the operator.
	operatorNS = "nairi-system"
	// firstKey is the operator's API key at install time.
	firstKey = "nr_node_operator_key_first"
)

// The node's port block (utils.DefaultNodePortBase..+99), below the ephemeral range.
var (
	simAddr        = fmt.Sprintf("127.0.0.1:%d", utils.DefaultNodePortBase+99)
	probePort      = utils.DefaultNodePortBase + 81
	probePortOther = utils.DefaultNodePortBase + 91
)

var (
	runDir     string
	node       *utils.Node
	kubectl    utils.Kubectl
	sim        *utils.Simulator
	helmBin    string
	imageTar   string
	hostBefore utils.HostState
	unlock     func()
	timings    []string
)

func TestNode(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(3 * time.Minute)
	SetDefaultEventuallyPollingInterval(time.Second)
	RunSpecs(t, "Real node suite")
}

// timed records how long a step took, for the report printed at the end.
func timed(what string, start time.Time) {
	line := fmt.Sprintf("%-60s %s", what, time.Since(start).Round(100*time.Millisecond))
	timings = append(timings, line)
	_, _ = fmt.Fprintln(GinkgoWriter, "timing: "+line)
}

func progress(format string, args ...any) {
	_, _ = fmt.Fprintf(GinkgoWriter, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(os.Geteuid()).To(Equal(0), "the real-node suite needs root: containerd, mounts and cgroups")
	var err error
	unlock, err = utils.LockTestNodes(ctx, progress)
	Expect(err).NotTo(HaveOccurred())
	hostBefore = utils.SnapshotHost(nodeDirPrefix)

	runDir = filepath.Join(utils.ProjectDir(), "bin", "node", time.Now().Format("20060102-150405"))
	Expect(os.MkdirAll(runDir, 0o755)).To(Succeed())
	_, _ = fmt.Fprintf(GinkgoWriter, "real-node logs: %s\n", runDir)

	assets, err := utils.EnvtestAssets()
	Expect(err).NotTo(HaveOccurred())
	nodeAssets := os.Getenv("NODE_ASSETS")
	if nodeAssets == "" {
		version, _, _ := strings.Cut(filepath.Base(assets), "-")
		out, err := exec.Command(filepath.Join(utils.ProjectDir(), "hack", "node-assets.sh"), version).Output()
		Expect(err).NotTo(HaveOccurred(), "hack/node-assets.sh")
		nodeAssets = strings.TrimSpace(string(out))
	}
	helmBin = filepath.Join(utils.ProjectDir(), "bin", "helm")

	start := time.Now()
	imageTar, err = buildImages(runDir)
	Expect(err).NotTo(HaveOccurred())
	timed("build: release manager, pause, mkimage, image tarballs", start)

	dir := os.Getenv("NODE_DIR") // given by `make test-node`, whose trap cleans it up
	if dir == "" {
		dir, err = os.MkdirTemp("/tmp", strings.TrimPrefix(nodeDirPrefix, "/tmp/"))
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(dir).To(HavePrefix(nodeDirPrefix))

	start = time.Now()
	node, err = utils.StartNode(ctx, utils.NodeOptions{
		Dir: dir, LogDir: runDir, Assets: assets, NodeAssets: nodeAssets,
		Images:   []string{filepath.Join(runDir, "pause.tar"), imageTar},
		Progress: progress,
	})
	Expect(err).NotTo(HaveOccurred())
	timed("node up (containerd .. node Ready)", start)
	kubectl = node.Kubectl

	sim, err = utils.StartSimulatorAt(nairisim.New(nairisim.WithAPIKeys(firstKey)), firstKey,
		filepath.Join(runDir, "simulator.log"), simAddr)
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(30*time.Minute))

var _ = AfterSuite(func() {
	if node != nil {
		start := time.Now()
		Expect(node.Stop()).To(Succeed())
		timed("node down", start)
	}
	if sim != nil {
		sim.Close()
	}
	if node != nil {
		By("containerd was never asked to pull an image")
		Expect(pullAttempts(node.ContainerdLog())).To(BeEmpty())
	}
	if unlock != nil {
		By("the machine is as it was: processes, mounts, network namespaces, links, cgroups, sysctls, iptables, paths")
		Expect(hostBefore.Diff(utils.SnapshotHost(nodeDirPrefix))).To(BeEmpty())
		unlock()
	}
})

// A failed spec keeps the Pods' logs as they are now (the kubelet removes a deleted Pod's).
var _ = ReportAfterEach(func(report SpecReport) {
	if report.Failed() && node != nil {
		dst := filepath.Join(runDir, fmt.Sprintf("pod-logs-%s", time.Now().Format("150405")))
		_ = exec.Command("cp", "-a", filepath.Join(node.Dir, "pod-logs"), dst).Run()
	}
})

var _ = ReportAfterSuite("real-node logs and timings", func(report Report) {
	if runDir == "" {
		return
	}
	_ = os.WriteFile(filepath.Join(runDir, "timings.txt"), []byte(strings.Join(timings, "\n")+"\n"), 0o644)
	_, _ = fmt.Fprintf(os.Stdout, "real-node timings:\n  %s\n", strings.Join(timings, "\n  "))
	if report.SuiteSucceeded && os.Getenv("NODE_KEEP") == "" {
		_ = os.RemoveAll(runDir)
		_, _ = fmt.Fprintf(os.Stdout, "real-node suite passed; removed its logs %s (NODE_KEEP=1 keeps them)\n", runDir)
		return
	}
	_, _ = fmt.Fprintf(os.Stdout, "real-node logs kept in %s\n", runDir)
})

// pullAttempts returns the lines of containerd's log (debug level) that show an image
// pull or a registry lookup: the CRI's PullImage, and the resolver and fetcher of
// containerd's remotes.
func pullAttempts(logPath string) []string {
	data, err := os.ReadFile(logPath)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for line := range strings.SplitSeq(string(data), "\n") {
		for _, sign := range []string{"PullImage", "resolving", "fetch", "do request"} {
			if strings.Contains(line, sign) {
				out = append(out, line)
				break
			}
		}
	}
	return out
}
