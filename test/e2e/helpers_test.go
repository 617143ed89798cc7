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
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// --- kubectl -----------------------------------------------------------------------------

// run runs kubectl and fails the spec if it fails.
func run(args ...string) string {
	GinkgoHelper()
	out, err := kubectl.Run(args...)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// apply applies a manifest in namespace ns and fails the spec if kubectl refuses it.
func apply(ns, manifest string) string {
	GinkgoHelper()
	out, err := kubectl.Apply(ns, manifest)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// waitReady is `kubectl wait --for=condition=Ready` on one object or, with "--all", on
// every NairiSecret of the namespace.
func waitReady(ns, target string, timeout time.Duration) {
	GinkgoHelper()
	args := []string{"wait", "-n", ns, "--for=condition=Ready", "--timeout=" + timeout.String()}
	if target == "--all" {
		args = append(args, "nsec", "--all")
	} else {
		args = append(args, "nsec/"+target)
	}
	out, err := kubectl.Run(args...)
	Expect(err).NotTo(HaveOccurred(), "%s\nmanagers' logs are in %s", out, runDir)
}

// newNamespace creates a namespace for one spec. Namespaces are never deleted: envtest
// runs no namespace controller, so deletion would never finish.
func newNamespace(prefix string) string {
	GinkgoHelper()
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000)
	run("create", "namespace", ns)
	return ns
}

// nairiSecrets returns the namespace's NairiSecrets as kubectl shows them, by name.
func nairiSecrets(ns string) map[string]secretsv1alpha1.NairiSecret {
	GinkgoHelper()
	var list secretsv1alpha1.NairiSecretList
	Expect(json.Unmarshal([]byte(run("get", "nsec", "-n", ns, "-o", "json")), &list)).To(Succeed())
	out := make(map[string]secretsv1alpha1.NairiSecret, len(list.Items))
	for _, obj := range list.Items {
		out[obj.Name] = obj
	}
	return out
}

// secretValue reads one key of a Secret through kubectl.
func secretValue(ns, name, key string) string {
	GinkgoHelper()
	var s corev1.Secret
	Expect(json.Unmarshal([]byte(run("get", "secret", name, "-n", ns, "-o", "json")), &s)).To(Succeed())
	return string(s.Data[key])
}

// --- manifests ---------------------------------------------------------------------------

// nsec describes a NairiSecret and its source Secret for the manifest helpers.
type nsec struct {
	Name, Vault, EnvKey, Value string
	Policy                     secretsv1alpha1.DeletionPolicy // "" = the default (Delete)
	Domains                    []string
}

// secretName is the source Secret of a NairiSecret made by manifest.
func (n nsec) secretName() string { return n.Name + "-src" }

// manifest renders the Secret and the NairiSecret, in that order.
func (n nsec) manifest() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ndata:\n  value: %s\n---\n",
		n.secretName(), base64.StdEncoding.EncodeToString([]byte(n.Value)))
	fmt.Fprintf(&b, "apiVersion: secrets.nairi.ai/v1alpha1\nkind: NairiSecret\nmetadata:\n  name: %s\n"+
		"spec:\n  vaultID: %s\n  envKey: %s\n  secretRef:\n    name: %s\n    key: value\n",
		n.Name, n.Vault, n.EnvKey, n.secretName())
	if n.Policy != "" {
		fmt.Fprintf(&b, "  deletionPolicy: %s\n", n.Policy)
	}
	if len(n.Domains) > 0 {
		quoted, _ := json.Marshal(n.Domains)
		fmt.Fprintf(&b, "  allowedDomains: %s\n", quoted)
	}
	return b.String()
}

// manifests renders many objects as one multi-document YAML, for one kubectl apply.
func manifests(objs []nsec) string {
	parts := make([]string, len(objs))
	for i, o := range objs {
		parts[i] = o.manifest()
	}
	return strings.Join(parts, "---\n")
}

// batch returns n objects named prefix-i with env keys PREFIX_i, in vault.
func batch(prefix, vault string, n int) []nsec {
	out := make([]nsec, n)
	for i := range out {
		out[i] = nsec{
			Name:   fmt.Sprintf("%s-%02d", prefix, i),
			Vault:  vault,
			EnvKey: fmt.Sprintf("%s_%02d", strings.ToUpper(strings.ReplaceAll(prefix, "-", "_")), i),
			Value:  fmt.Sprintf("value-%s-%02d-%d", prefix, i, time.Now().UnixNano()),
		}
	}
	return out
}

// --- the simulator's view ----------------------------------------------------------------

// requests counts the requests the simulator answered for one vault ("" = any method).
func requests(vault, method string) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.VaultID == vault && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

// requestsSince counts the requests for one vault that arrived at or after t.
func requestsSince(vault string, t time.Time) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.VaultID == vault && !r.Time.Before(t) {
			n++
		}
	}
	return n
}

// requestsFunc is requests for Eventually and Consistently.
func requestsFunc(vault, method string) func() int {
	return func() int { return requests(vault, method) }
}

// expectVaultMatches checks that the vault holds exactly one secret per object, under its
// env key, with the id the object recorded and the value of its source Secret: no
// duplicate, nothing lost.
func expectVaultMatches(ns, vault string, objs []nsec) {
	GinkgoHelper()
	stored := sim.Secrets(vault)
	byKey := map[string]string{}
	for _, s := range stored {
		Expect(byKey).NotTo(HaveKey(s.EnvKey), "duplicate env_key %s in vault %s", s.EnvKey, vault)
		byKey[s.EnvKey] = s.ID
	}
	Expect(stored).To(HaveLen(len(objs)))
	live := nairiSecrets(ns)
	for _, o := range objs {
		id, ok := byKey[o.EnvKey]
		Expect(ok).To(BeTrue(), "vault %s has no %s", vault, o.EnvKey)
		Expect(live[o.Name].Status.SecretID).To(Equal(id), "status.secretID of %s", o.Name)
		value, _ := sim.Value(vault, id)
		Expect(value).To(Equal(o.Value), "value of %s", o.EnvKey)
	}
}

// --- managers ----------------------------------------------------------------------------

var (
	managersMu sync.Mutex
	managers   []*utils.Manager
)

// startManager starts the manager binary against the control plane and the simulator and
// waits until it is ready. Its log is runDir/<name>.log; a restart under the same name
// appends to the same file.
//
// It runs as the Helm chart's ServiceAccount, with exactly the RBAC the chart renders: in
// namespaced mode (manager.watchNamespaces = the --watch-namespaces among args) when args
// name namespaces, else in the cluster-wide mode.
func startManager(name string, leaderElect bool, args ...string) *utils.Manager {
	GinkgoHelper()
	var watch []string
	for _, arg := range args {
		if list, ok := strings.CutPrefix(arg, "--watch-namespaces="); ok {
			watch = strings.Split(list, ",")
		}
	}
	return startManagerAs(chartIdentity(watch), name, leaderElect, args...)
}

// startManagerClusterRBAC is startManager, without leader election, with the chart's
// cluster-wide RBAC (the default values), whatever namespaces args watch.
func startManagerClusterRBAC(name string, args ...string) *utils.Manager {
	GinkgoHelper()
	return startManagerAs(chartIdentity(nil), name, false, args...)
}

var (
	identitiesMu sync.Mutex
	// identities are the chart identities managers of this run used, by release: the
	// permission audit checks every request of each against its rendered RBAC.
	identities = map[string]*utils.ChartIdentity{}
)

// chartIdentity renders the chart for the watched namespaces (none: cluster-wide mode),
// applies its ServiceAccount and RBAC and gets a token for it, once per release. Each
// namespaced set gets its own release, so a manager holds no Role of another spec.
func chartIdentity(watch []string) *utils.ChartIdentity {
	GinkgoHelper()
	release := "nso-cluster"
	if len(watch) > 0 {
		release = strings.TrimSuffix(fmt.Sprintf("%.40s", "nso-"+strings.Join(watch, "-")), "-")
	}
	identitiesMu.Lock()
	defer identitiesMu.Unlock()
	if id, ok := identities[release]; ok {
		return id
	}
	id, err := utils.RenderChartIdentity(release, utils.OperatorNamespace, watch)
	Expect(err).NotTo(HaveOccurred())
	Expect(id.Apply(cp, runDir)).To(Succeed())
	identities[release] = id
	return id
}

// managerEnv is added to the environment of the managers the specs start next.
var managerEnv []string

// startManagerAs starts the manager with the kubeconfig of id.
func startManagerAs(id *utils.ChartIdentity, name string, leaderElect bool, args ...string) *utils.Manager {
	GinkgoHelper()
	m, err := utils.StartManager(utils.ManagerOptions{
		Name: name, Binary: managerBin, Kubeconfig: id.Kubeconfig, Env: managerEnv,
		APIURL: sim.URL, APIKey: apiKey, LeaderElect: leaderElect,
		LogPath: filepath.Join(runDir, name+".log"),
		Args:    args,
	})
	Expect(err).NotTo(HaveOccurred())
	managersMu.Lock()
	managers = append(managers, m)
	managersMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	Expect(m.WaitReady(ctx)).To(Succeed())
	return m
}

// stopAllManagers stops every manager still running (SIGTERM, then SIGKILL).
func stopAllManagers() {
	managersMu.Lock()
	defer managersMu.Unlock()
	for _, m := range managers {
		m.Stop(15 * time.Second)
	}
	managers = nil
}

// newVault adds a vault to the simulator for one spec, so its counts are its own, and a
// NairiVault that lets every namespace use it with the operator's key, as a cluster admin
// would (--require-vault-grant is on by default). The manager verifies the NairiVault with
// one List (GET) of the vault, once.
func newVault() string {
	GinkgoHelper()
	vault := sim.NewVault()
	apply("", fmt.Sprintf("apiVersion: secrets.nairi.ai/v1alpha1\nkind: NairiVault\nmetadata:\n  name: %s\n"+
		"spec:\n  vaultID: %s\n  namespaceSelector: {}\n", vaultObjectName(vault), vault))
	return vault
}

// vaultObjectName is the name of the NairiVault newVault made for vault.
func vaultObjectName(vault string) string {
	return "e2e-" + strings.ToLower(strings.TrimPrefix(vault, "vlt_"))
}

// fault is shorthand for the faults the specs inject.
type fault = nairisim.Fault

// ctx is the context of a call the specs make themselves (to the simulator's HTTP API).
func ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	DeferCleanup(cancel)
	return c
}
