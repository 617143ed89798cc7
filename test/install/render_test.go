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
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

const (
	// chartDir is the Helm chart, relative to the project directory.
	chartDir = "dist/chart"
	// releaseName makes the chart's object names equal kustomize's namePrefix ones, so
	// the two renderings can be compared object by object.
	releaseName = "nairi-secrets-operator"
	// kubeVersion is what `helm template` assumes; envtest runs the same minor.
	kubeVersion = "1.37.2"
	// sampleName is the NairiSecret of config/samples.
	sampleName = "database-url"
)

// nonDefaultValues sets every value users are told about in docs/install.md to something
// other than its default.
const nonDefaultValues = `
nameOverride: nso
nairi:
  apiURL: https://nairi.internal.example.com
  apiKey:
    secretName: operator-key
    secretKey: key
    value: nairi_test_not_a_real_key
  qps: 20
  burst: 40
  timeout: 15s
  allowInsecureHTTP: true
manager:
  replicas: 2
  image:
    repository: registry.example.com/mirror/nairi-secrets-operator
    tag: v9.9.9
    pullPolicy: Always
  watchNamespaces: [shop, billing]
  maxConcurrentReconciles: 4
  logLevel: debug
  extraArgs: ["--zap-stacktrace-level=panic"]
  extraEnv:
  - name: HTTPS_PROXY
    value: http://proxy.example.com:3128
  imagePullSecrets:
  - name: regcred
  resources:
    limits: {cpu: "1", memory: 512Mi}
    requests: {cpu: 50m, memory: 128Mi}
  nodeSelector: {node-role.kubernetes.io/infra: ""}
  tolerations:
  - {key: infra, operator: Exists, effect: NoSchedule}
  affinity: {}
  priorityClassName: system-cluster-critical
  podLabels: {team: platform}
  podAnnotations: {example.com/scrape: "false"}
rbac:
  helpers:
    enabled: false
crd:
  keep: false
metrics:
  port: 9443
  prometheusRule:
    enabled: true
    labels: {release: kube-prometheus-stack}
  dashboard:
    enabled: true
    namespace: monitoring
    annotations: {grafana_folder: Operators}
prometheus:
  enabled: true
networkPolicy:
  enabled: true
requireVaultGrant: false
vaults:
- name: shop-prod
  vaultID: vlt_01KQ27AQH800XQTQPJZ0DH14SJ
  namespaces: [shop]
  namespaceSelector: {matchLabels: {team: shop}}
  apiKeySecretRef: {name: nairi-shop-key, key: apiKey}
  adoption: Allow
`

// kustomizeBuild renders config/default, the source of dist/install.yaml.
func kustomizeBuild() []byte {
	return []byte(mustRun(kustomizeBin, "build", "config/default"))
}

// kustomizeBuildWithOptional renders config/default with the optional ServiceMonitor and
// NetworkPolicy switched on, the way docs/install.md tells users to: by uncommenting them.
func kustomizeBuildWithOptional() []byte {
	dir := filepath.Join(filepath.Dir(kubeconfigPath), "config-optional")
	ExpectWithOffset(1, os.RemoveAll(dir)).To(Succeed())
	ExpectWithOffset(1, os.CopyFS(dir, os.DirFS(filepath.Join(utils.ProjectDir(), "config")))).To(Succeed())
	path := filepath.Join(dir, "default", "kustomization.yaml")
	data, err := os.ReadFile(path)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	enabled := strings.NewReplacer("#- ../prometheus", "- ../prometheus", "#- ../network-policy", "- ../network-policy").
		Replace(string(data))
	ExpectWithOffset(1, enabled).NotTo(Equal(string(data)), "the optional parts are no longer commented out")
	ExpectWithOffset(1, os.WriteFile(path, []byte(enabled), 0o600)).To(Succeed())
	return []byte(mustRun(kustomizeBin, "build", filepath.Join(dir, "default")))
}

// installYAML is the committed dist/install.yaml.
func installYAML() []byte {
	data, err := os.ReadFile(filepath.Join(utils.ProjectDir(), "dist", "install.yaml"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return data
}

// helmTemplate renders the chart into namespace with the given values file content
// (empty: the defaults).
func helmTemplate(namespace, values string) []byte {
	args := []string{"template", releaseName, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	if values != "" {
		args = append(args, "--values", writeValues(namespace, values))
	}
	return []byte(mustRun(helmBin, args...))
}

// writeValues stores a values file in the suite's temporary directory and returns its path.
func writeValues(name, values string) string {
	path := filepath.Join(filepath.Dir(kubeconfigPath), "values-"+name+".yaml")
	ExpectWithOffset(1, os.WriteFile(path, []byte(values), 0o600)).To(Succeed())
	return path
}
