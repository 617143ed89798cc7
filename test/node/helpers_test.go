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

package node

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// managerSelector selects the manager's Pods (the chart's and dist/install.yaml's).
const managerSelector = "control-plane=controller-manager"

// releaseName makes the chart's objects carry the same names as dist/install.yaml's.
const releaseName = "nairi-secrets-operator"

// deploymentName is the manager's Deployment, from the chart and from dist/install.yaml.
const deploymentName = "nairi-secrets-operator-controller-manager"

// run runs kubectl against the node and fails the spec if it fails.
func run(args ...string) string {
	GinkgoHelper()
	out, err := kubectl.Run(args...)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// helm runs the Makefile's helm against the node.
func helm(args ...string) {
	GinkgoHelper()
	cmd := exec.Command(helmBin, append(args, "--kubeconfig", node.Kubeconfig)...)
	cmd.Dir = utils.ProjectDir()
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "helm %s\n%s", strings.Join(args, " "), out)
}

// nodeEnv is what a host-network Pod needs to find the API server: there is no
// kube-proxy, so the kubernetes Service's ClusterIP leads nowhere.
func nodeEnv() []map[string]string {
	return []map[string]string{
		{"name": "KUBERNETES_SERVICE_HOST", "value": "127.0.0.1"},
		{"name": "KUBERNETES_SERVICE_PORT", "value": strconv.Itoa(node.APIServerPort())},
	}
}

// chartValues are the only values the suite gives the chart: the local image, never
// pulled; the host network with loopback probes; the API server and the simulator on
// loopback; metrics off (they would bind every address of the host).
func chartValues(tag string) string {
	values := map[string]any{
		// A ceiling of 5 requests per second, so that syncing 200 objects lasts long enough
		// to delete the leader in the middle of it.
		"nairi": map[string]any{"apiURL": "http://" + simAddr, "qps": "5"},
		"manager": map[string]any{
			"image":       map[string]any{"repository": imageRepo, "tag": tag, "pullPolicy": "Never"},
			"hostNetwork": true,
			"healthProbe": map[string]any{"host": "127.0.0.1", "port": probePort},
			"extraEnv":    nodeEnv(),
			"strategy": map[string]any{"type": "RollingUpdate",
				"rollingUpdate": map[string]any{"maxSurge": 0, "maxUnavailable": 1}},
		},
		"metrics": map[string]any{"enabled": false},
	}
	data, err := json.Marshal(values) // JSON is YAML
	Expect(err).NotTo(HaveOccurred())
	file := filepath.Join(runDir, "values-"+tag+".yaml")
	Expect(os.WriteFile(file, data, 0o644)).To(Succeed())
	return file
}

// createOperatorNamespace creates the operator's namespace, labelled privileged for the
// host network, and the operator's API key Secret.
func createOperatorNamespace() {
	GinkgoHelper()
	run("create", "namespace", operatorNS)
	allowHostNetwork(operatorNS)
	run("create", "secret", "generic", "nairi-api-key", "-n", operatorNS, "--from-literal=apiKey="+firstKey)
}

// allowHostNetwork labels a namespace privileged: host network Pods are not restricted
// (nor baseline), and that is the only reason.
func allowHostNetwork(ns string) {
	GinkgoHelper()
	run("label", "namespace", ns, "pod-security.kubernetes.io/enforce=privileged", "--overwrite")
}

// operatorPods returns the manager's Pods that are not being deleted, by label.
func operatorPods(selector string) []corev1.Pod {
	GinkgoHelper()
	var list corev1.PodList
	Expect(json.Unmarshal([]byte(run("get", "pods", "-n", operatorNS, "-l", selector, "-o", "json")), &list)).To(Succeed())
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// onlyPod returns the chart's one live manager Pod, failing if there are more or none.
func onlyPod() corev1.Pod {
	GinkgoHelper()
	pods := operatorPods(managerSelector)
	Expect(pods).To(HaveLen(1))
	return pods[0]
}

// waitRollout waits until the Deployment has rolled out and its Pods are Ready.
func waitRollout(name string) {
	GinkgoHelper()
	start := time.Now()
	out, err := kubectl.Run("rollout", "status", "-n", operatorNS, "deployment/"+name, "--timeout=5m")
	Expect(err).NotTo(HaveOccurred(), "%s\nlogs in %s", out, runDir)
	timed("rollout of "+name, start)
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// acquired is client-go's log line when a manager becomes the leader.
var acquired = MatchRegexp(`(?i)successfully acquired lease`)

// managerLog is what the manager container of a Pod has logged. (The Lease does not tell
// which Pod leads: on the host network every Pod has the node's hostname.)
func managerLog(p corev1.Pod) func() string {
	return func() string { return node.PodLogs(p.Namespace, p.Name, string(p.UID), "manager") }
}

// --- NairiSecrets ------------------------------------------------------------------------

// object is a NairiSecret and its source Secret.
type object struct {
	Name, Vault, EnvKey, Value string
}

func (o object) manifest() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %[1]s-src
data:
  value: %[2]s
---
apiVersion: secrets.nairi.ai/v1alpha1
kind: NairiSecret
metadata:
  name: %[1]s
spec:
  vaultID: %[3]s
  envKey: %[4]s
  secretRef:
    name: %[1]s-src
    key: value
`, o.Name, base64.StdEncoding.EncodeToString([]byte(o.Value)), o.Vault, o.EnvKey)
}

func manifests(objs []object) string {
	parts := make([]string, len(objs))
	for i, o := range objs {
		parts[i] = o.manifest()
	}
	return strings.Join(parts, "---\n")
}

// batch returns n objects prefix-NNN in vault.
func batch(prefix, vault string, n int) []object {
	out := make([]object, n)
	for i := range out {
		out[i] = object{Name: fmt.Sprintf("%s-%03d", prefix, i), Vault: vault,
			EnvKey: fmt.Sprintf("%s_%03d", strings.ToUpper(strings.ReplaceAll(prefix, "-", "_")), i),
			Value:  fmt.Sprintf("value-%s-%03d-%d", prefix, i, time.Now().UnixNano())}
	}
	return out
}

// grantedVault makes a vault in the simulator and a NairiVault that lets every namespace
// use it with the operator's key: with --require-vault-grant (the default) a NairiSecret on
// the operator's key syncs only into a granted vault.
func grantedVault() string {
	GinkgoHelper()
	vault := sim.NewVault()
	_, err := kubectl.Apply("", fmt.Sprintf(`apiVersion: secrets.nairi.ai/v1alpha1
kind: NairiVault
metadata:
  name: %s
spec:
  vaultID: %s
  namespaceSelector: {}
`, strings.ToLower(strings.ReplaceAll(vault, "_", "-")), vault))
	Expect(err).NotTo(HaveOccurred())
	return vault
}

// applyObjects creates a namespace (if needed) and applies the objects in one call.
func applyObjects(ns string, objs []object) {
	GinkgoHelper()
	_, _ = kubectl.Run("create", "namespace", ns)
	_, err := kubectl.Apply(ns, manifests(objs))
	Expect(err).NotTo(HaveOccurred())
}

// setValue changes the source Secret of o.
func setValue(ns string, o object, value string) error {
	patch := fmt.Sprintf(`{"data":{"value":%q}}`, base64.StdEncoding.EncodeToString([]byte(value)))
	_, err := kubectl.Run("patch", "secret", o.Name+"-src", "-n", ns, "--type=merge", "-p", patch)
	return err
}

// waitSynced waits until every NairiSecret of ns is Ready.
func waitSynced(ns string, timeout time.Duration) {
	GinkgoHelper()
	out, err := kubectl.Run("wait", "-n", ns, "--for=condition=Ready", "nsec", "--all", "--timeout="+timeout.String())
	Expect(err).NotTo(HaveOccurred(), "%s\nlogs in %s", out, runDir)
}

// posts counts the POSTs (creates) the simulator answered for a vault.
func posts(vault string) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.VaultID == vault && r.Method == "POST" {
			n++
		}
	}
	return n
}

// expectVault checks that the vault holds exactly one secret per object, with its
// current value: no duplicate, nothing lost.
func expectVault(vault string, want map[string]string) {
	GinkgoHelper()
	stored := sim.Secrets(vault)
	got := map[string]string{}
	for _, s := range stored {
		Expect(got).NotTo(HaveKey(s.EnvKey), "duplicate env_key %s", s.EnvKey)
		value, _ := sim.Value(vault, s.ID)
		got[s.EnvKey] = value
	}
	Expect(got).To(Equal(want))
}

// vaultValues is expectVault's comparison as a function, for Eventually.
func vaultValues(vault string) func() map[string]string {
	return func() map[string]string {
		got := map[string]string{}
		for _, s := range sim.Secrets(vault) {
			got[s.EnvKey], _ = sim.Value(vault, s.ID)
		}
		return got
	}
}

// nsecValue is the value the vault holds for a NairiSecret (through its status.secretID).
func nsecValue(ns, name string) string {
	out, err := kubectl.Run("get", "nsec", name, "-n", ns, "-o", "jsonpath={.spec.vaultID} {.status.secretID}")
	if err != nil {
		return ""
	}
	vault, id, _ := strings.Cut(out, " ")
	value, _ := sim.Value(vault, id)
	return value
}

// unauthorizedSince counts the simulator's 401 answers since t.
func unauthorizedSince(t time.Time) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Status == 401 && !r.Time.Before(t) {
			n++
		}
	}
	return n
}

// refusals are the messages of the FailedCreate Events of a namespace (a ReplicaSet
// whose Pods the API server refused).
func refusals(ns string) string {
	out, err := kubectl.Run("get", "events", "-n", ns, "--field-selector=reason=FailedCreate",
		"-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}")
	if err != nil {
		return ""
	}
	return out
}

// podNames lists the Pods matching selector, terminating ones included.
func podNames(selector string) []string {
	out, err := kubectl.Run("get", "pods", "-n", operatorNS, "-l", selector, "-o", "name")
	if err != nil {
		return []string{"(kubectl failed)"}
	}
	return strings.Fields(out)
}

// startStandby copies the manager's Deployment as <name>-standby, its Pods labelled
// control-plane=controller-manager-standby and probed on probePortOther: the same
// image, ServiceAccount, key and flags, so it competes for the same Lease.
func startStandby() {
	GinkgoHelper()
	var d map[string]any
	current := run("get", "deployment", deploymentName, "-n", operatorNS, "-o", "json")
	Expect(json.Unmarshal([]byte(current), &d)).To(Succeed())
	delete(d, "status")
	meta := d["metadata"].(map[string]any)
	d["metadata"] = map[string]any{"name": deploymentName + "-standby", "namespace": operatorNS, "labels": meta["labels"]}
	spec := d["spec"].(map[string]any)
	spec["replicas"] = 1
	spec["selector"].(map[string]any)["matchLabels"].(map[string]any)["control-plane"] = "controller-manager-standby"
	tmpl := spec["template"].(map[string]any)
	tmpl["metadata"].(map[string]any)["labels"].(map[string]any)["control-plane"] = "controller-manager-standby"
	c := tmpl["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	args := c["args"].([]any)
	for i, a := range args {
		if strings.HasPrefix(a.(string), "--health-probe-bind-address=") {
			args[i] = fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probePortOther)
		}
	}
	for _, p := range c["ports"].([]any) {
		if p.(map[string]any)["name"] == "health" {
			p.(map[string]any)["containerPort"] = probePortOther
			delete(p.(map[string]any), "hostPort")
		}
	}
	data, err := json.Marshal(d)
	Expect(err).NotTo(HaveOccurred())
	_, err = kubectl.Apply("", string(data))
	Expect(err).NotTo(HaveOccurred())
	waitRollout(deploymentName + "-standby")
}

// nodePatch is what dist/install.yaml's and config/default's Deployment need on this
// node, as a JSON patch: the local image, never pulled; the host network with loopback
// probes; the API server and the simulator on loopback; one Pod at a time. The shipped
// flags stay; the added ones come last and win.
func nodePatch() string {
	c := "/spec/template/spec/containers/0"
	ops := make([]map[string]any, 0, 16)
	ops = append(ops, []map[string]any{
		{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": true},
		{"op": "add", "path": "/spec/strategy", "value": map[string]any{"type": "RollingUpdate",
			"rollingUpdate": map[string]any{"maxSurge": 0, "maxUnavailable": 1}}},
		{"op": "replace", "path": c + "/image", "value": imageRepo + ":" + tagA},
		{"op": "add", "path": c + "/imagePullPolicy", "value": "Never"},
		{"op": "add", "path": c + "/args/-", "value": fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probePort)},
		{"op": "add", "path": c + "/args/-", "value": "--metrics-bind-address=0"},
		{"op": "add", "path": c + "/args/-", "value": "--nairi-api-url=http://" + simAddr},
		{"op": "replace", "path": c + "/ports", "value": []map[string]any{
			{"name": "health", "containerPort": probePort, "protocol": "TCP"}}},
		{"op": "add", "path": c + "/livenessProbe/httpGet/host", "value": "127.0.0.1"},
		{"op": "add", "path": c + "/readinessProbe/httpGet/host", "value": "127.0.0.1"},
	}...)
	for _, env := range nodeEnv() {
		ops = append(ops, map[string]any{"op": "add", "path": c + "/env/-", "value": env})
	}
	data, err := json.Marshal(ops)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}
