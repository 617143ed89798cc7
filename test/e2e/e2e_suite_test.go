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

// Package e2e runs the real manager binary out of cluster, as `make run` does, against a
// real kube-apiserver and etcd (the envtest store) and the Nairi simulator, and drives
// everything through the kubectl binary a user types.
//
// Every run writes its logs (one file per manager start, the simulator's request log,
// kubectl's answers to failed specs) to a folder it prints at the start and the end. The
// folder is removed when every spec passed, and kept otherwise (E2E_KEEP=1 keeps it always).
package e2e

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// apiKey is the operator's key; the simulator accepts it and nothing else.
const apiKey = "nr_e2e_operator_key"

var (
	// runDir holds this run's binaries and logs.
	runDir string
	// assets is the envtest store directory (kube-apiserver, etcd, kubectl).
	assets string
	// managerBin is the manager built once for the run.
	managerBin string
	cp         *utils.ControlPlane
	kubectl    utils.Kubectl
	sim        *utils.Simulator
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(90 * time.Second)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	SetDefaultConsistentlyDuration(3 * time.Second)
	SetDefaultConsistentlyPollingInterval(250 * time.Millisecond)
	RunSpecs(t, "nairi-secrets-operator end-to-end suite")
}

var _ = BeforeSuite(func() {
	var err error
	runDir = os.Getenv("E2E_RUN_DIR")
	if runDir == "" {
		runDir = filepath.Join(utils.ProjectDir(), "bin", "e2e", time.Now().Format("20060102-150405"))
	}
	Expect(os.MkdirAll(runDir, 0o755)).To(Succeed())
	By("logs of this run go to " + runDir)
	_, _ = fmt.Fprintf(GinkgoWriter, "e2e logs: %s\n", runDir)

	assets, err = utils.EnvtestAssets()
	Expect(err).NotTo(HaveOccurred())

	By("building the manager binary")
	managerBin = filepath.Join(runDir, "manager")
	Expect(utils.GoBuild(managerBin, "./cmd/main.go")).To(Succeed())

	By("starting kube-apiserver and etcd with the CRDs installed")
	cp, err = utils.StartControlPlane(assets, runDir, utils.WithAuditLog())
	Expect(err).NotTo(HaveOccurred())
	kubectl = cp.Kubectl
	run("create", "namespace", utils.OperatorNamespace)

	By("starting the Nairi simulator on 127.0.0.1")
	sim, err = utils.StartSimulator(nairisim.New(nairisim.WithAPIKeys(apiKey)), apiKey,
		filepath.Join(runDir, "simulator.log"))
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	stopAllManagers()
	if cp != nil && cp.AuditLog != "" && len(identities) > 0 {
		auditPermissions()
	}
	if sim != nil {
		sim.Close()
	}
	if cp != nil {
		Expect(cp.Stop()).To(Succeed())
	}
})

// On failure, dump what a reader needs next to the logs; at the end, keep or drop them.
var _ = ReportAfterEach(func(report SpecReport) {
	if report.Failed() && runDir != "" && kubectl.Bin != "" {
		dumpState(report)
	}
})

var _ = ReportAfterSuite("logs", func(report Report) {
	if runDir == "" {
		return
	}
	if report.SuiteSucceeded && os.Getenv("E2E_KEEP") == "" {
		_ = os.RemoveAll(runDir)
		_, _ = fmt.Fprintf(os.Stdout, "e2e passed; removed its logs %s (E2E_KEEP=1 keeps them)\n", runDir)
		return
	}
	_, _ = fmt.Fprintf(os.Stdout, "e2e logs kept in %s\n", runDir)
})

// dumpState writes the NairiSecrets, Events and lease as kubectl shows them.
func dumpState(report SpecReport) {
	name := strings.NewReplacer(" ", "_", "/", "_").Replace(report.FullText())
	if len(name) > 100 {
		name = name[:100]
	}
	var b strings.Builder
	for _, args := range [][]string{
		{"get", "nsec", "-A", "-o", "wide"},
		{"get", "nsec", "-A", "-o", "yaml"},
		{"get", "events", "-A", "--sort-by=.lastTimestamp"},
		{"get", "lease", "-n", utils.OperatorNamespace, "-o", "yaml"},
	} {
		out, err := kubectl.Run(args...)
		_, _ = fmt.Fprintf(&b, "$ kubectl %s\n%s%v\n\n", strings.Join(args, " "), out, err)
	}
	_ = os.WriteFile(filepath.Join(runDir, "failed-"+name+".txt"), []byte(b.String()), 0o644)
}

// auditPermissions checks every request the managers made during the suite, as the API
// server's audit log recorded it, against the RBAC the chart rendered for the identity
// that made it: a request the chart does not grant fails the suite (whether or not the
// manager survived the 403), and the granted permissions no request needed are printed.
// The comparison is generic: new resources are checked as soon as the chart grants them
// and the manager uses them.
func auditPermissions() {
	used, forbidden, err := utils.ReadAudit(cp.AuditLog)
	Expect(err).NotTo(HaveOccurred())
	var report strings.Builder
	total := 0
	for _, release := range slices.Sorted(maps.Keys(identities)) {
		id := identities[release]
		grants, err := id.NewGrants()
		Expect(err).NotTo(HaveOccurred())
		requests := used[id.Username]
		total += len(requests)
		Expect(forbidden[id.Username]).To(BeEmpty(), "the API server refused requests of %s", id.Username)
		Expect(grants.Denied(requests)).To(BeEmpty(),
			"%s (chart release %s, watchNamespaces %v) made requests its chart does not grant",
			id.Username, release, id.WatchNamespaces)
		fmt.Fprintf(&report, "%s (watchNamespaces %v): %d requests; granted but never used:\n%s",
			release, id.WatchNamespaces, len(requests), utils.FormatList(grants.Unused(requests)))
	}
	Expect(total).To(BeNumerically(">", 0), "the audit log %s holds no request of the managers", cp.AuditLog)
	_, _ = fmt.Fprintf(os.Stdout, "\nPermission audit: every request was granted by the chart.\n%s", report.String())
	_ = os.WriteFile(filepath.Join(runDir, "permission-audit.txt"), []byte(report.String()), 0o644)
}
