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
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

var _ = Describe("Monitoring objects", func() {
	It("renders the chart's PrometheusRule and dashboard ConfigMap only when enabled", func() {
		defaults := decodeObjects(helmTemplate("helm-defaults", ""))
		Expect(ofKind(defaults, "PrometheusRule")).To(BeEmpty())
		Expect(ofKind(defaults, "ConfigMap")).To(BeEmpty())

		custom := decodeObjects(helmTemplate("helm-custom", nonDefaultValues))
		rules := ofKind(custom, "PrometheusRule")
		Expect(rules).To(HaveLen(1))
		Expect(rules[0].GetLabels()).To(HaveKeyWithValue("release", "kube-prometheus-stack"))
		Expect(rules[0].Object["spec"]).To(Equal(rulesFile()), "the chart's rules are config/prometheus/alerts.rules.yaml")

		dashboards := ofKind(custom, "ConfigMap")
		Expect(dashboards).To(HaveLen(1))
		cm := dashboards[0]
		Expect(cm.GetLabels()).To(HaveKeyWithValue("grafana_dashboard", "1"))
		Expect(cm.GetNamespace()).To(Equal("monitoring"))
		Expect(cm.GetAnnotations()).To(HaveKeyWithValue("grafana_folder", "Operators"))
		data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
		Expect(data).To(HaveKey("nairi-secrets-operator.json"))
		Expect(json.Valid([]byte(data["nairi-secrets-operator.json"]))).To(BeTrue())
		Expect(data["nairi-secrets-operator.json"]).
			To(MatchJSON(readProjectFile("config/grafana/nairi-secrets-operator.json")))
	})

	It("renders the kustomize PrometheusRule from the rules file and the dashboard ConfigMap", func() {
		optional := decodeObjects(kustomizeBuildWithOptional())
		rules := ofKind(optional, "PrometheusRule")
		Expect(rules).To(HaveLen(1))
		Expect(rules[0].GetNamespace()).To(Equal("nairi-system"))
		Expect(rules[0].Object["spec"]).To(Equal(rulesFile()))
		monitors := ofKind(optional, "ServiceMonitor")
		Expect(monitors).To(HaveLen(1))
		endpoints, _, _ := unstructured.NestedSlice(monitors[0].Object, "spec", "endpoints")
		Expect(endpoints).To(ConsistOf(HaveKeyWithValue("honorLabels", true)),
			"the namespace label of nairi_secret_status_condition must not become exported_namespace")

		grafana := decodeObjects([]byte(mustRun(kustomizeBin, "build", "config/grafana")))
		Expect(grafana).To(HaveLen(1))
		Expect(grafana[0].GetKind()).To(Equal("ConfigMap"))
		Expect(grafana[0].GetLabels()).To(HaveKeyWithValue("grafana_dashboard", "1"))
	})

	It("passes helm lint --strict with the monitoring objects on", func() {
		path := writeValues("lint-monitoring", "metrics:\n  prometheusRule: {enabled: true}\n  dashboard: {enabled: true}\n")
		mustRun(helmBin, "lint", "--strict", chartDir, "--values", path)
	})
})

// rulesFile is config/prometheus/alerts.rules.yaml as a generic object.
func rulesFile() map[string]any {
	var rules map[string]any
	data := readProjectFile("config/prometheus/alerts.rules.yaml")
	ExpectWithOffset(1, yaml.Unmarshal([]byte(data), &rules)).To(Succeed())
	return rules
}

func readProjectFile(path string) string {
	data, err := os.ReadFile(filepath.Join(utils.ProjectDir(), path))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return string(data)
}

// prometheusRuleCRD is a stand-in for the Prometheus Operator's PrometheusRule CRD.
func prometheusRuleCRD() *apiextensionsv1.CustomResourceDefinition {
	crd := serviceMonitorCRD()
	crd.ObjectMeta = metav1.ObjectMeta{Name: "prometheusrules.monitoring.coreos.com"}
	crd.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{
		Plural: "prometheusrules", Singular: "prometheusrule", Kind: "PrometheusRule", ListKind: "PrometheusRuleList",
	}
	return crd
}
