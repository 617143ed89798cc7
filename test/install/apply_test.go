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
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Every rendering is applied server-side with --dry-run=server: the API server runs
// defaulting, schema validation, CEL rules and admission on each object, without a
// controller acting on it. Its namespace exists and enforces the restricted Pod Security
// Standard, and each pod template is also dry-run created as a Pod there, which the
// PodSecurity admission plugin refuses if it is not restricted.
var _ = Describe("Rendered manifests applied to a real API server", Ordered, ContinueOnFailure, func() {
	BeforeAll(func() {
		// The namespaces nonDefaultValues watches: namespaced mode puts Roles there.
		for _, ns := range []string{"shop", "billing"} {
			createRestrictedNamespace(ns)
		}
		// The Prometheus Operator's CRDs, reduced to what a ServiceMonitor and a
		// PrometheusRule need to be accepted, so the optional ones are checked too.
		Expect(k8sClient.Create(ctx, serviceMonitorCRD())).To(Succeed())
		Expect(k8sClient.Create(ctx, prometheusRuleCRD())).To(Succeed())
		Eventually(func() error {
			_, _, err := run(nil, kubectlBin, "get", "servicemonitors,prometheusrules", "-A")
			return err
		}).Should(Succeed())
		// nonDefaultValues puts the dashboard ConfigMap in Grafana's namespace.
		createRestrictedNamespace("monitoring")
	})

	DescribeTable("are accepted and their pods meet the restricted profile",
		func(namespace string, render func(namespace string) []byte) {
			createRestrictedNamespace(namespace)
			objs := decodeObjects(render(namespace))
			Expect(ofKind(objs, "Deployment")).To(HaveLen(1))
			// NairiVaults (the chart's vaults value) need their CRD to exist, which a dry run
			// does not create: docs/install.md says to install the CRDs first. The API server
			// checks them in the api package's suite; here the rest is applied.
			objs = slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool { return o.GetKind() == "NairiVault" })
			manifest := asList(objs)

			// --force-conflicts: the CRD is cluster-wide and another spec's Helm release
			// may own some of its labels; ownership is not what is tested here.
			out, stderr, err := run(manifest, kubectlBin, "apply", "--server-side", "--dry-run=server",
				"--force-conflicts", "--field-manager=install-test", "-f", "-")
			Expect(err).NotTo(HaveOccurred())
			Expect(stderr).NotTo(ContainSubstring("Warning"), "the API server warned about an object")
			for _, obj := range objs {
				Expect(out).To(ContainSubstring(obj.GetName()), "kubectl did not report %s %s", obj.GetKind(), obj.GetName())
			}

			for _, deploy := range ofKind(objs, "Deployment") {
				spec := podSpecOf(deploy)
				Expect(restrictedViolations(spec)).To(BeEmpty(), "pod spec of %s", deploy.GetName())
				Expect(operationalGaps(spec)).To(BeEmpty(), "pod spec of %s", deploy.GetName())
				dryRunPod(deploy.GetNamespace(), spec)
			}
		},
		Entry("kustomize config/default", "nairi-system", func(string) []byte { return kustomizeBuild() }),
		Entry("kustomize config/default with ServiceMonitor and NetworkPolicy", "nairi-system",
			func(string) []byte { return kustomizeBuildWithOptional() }),
		Entry("dist/install.yaml", "nairi-system", func(string) []byte { return installYAML() }),
		Entry("kustomize config/namespaced", "nairi-system", func(string) []byte {
			return []byte(mustRun(kustomizeBin, "build", "config/namespaced"))
		}),
		Entry("Helm chart, default values", "helm-defaults", func(ns string) []byte { return helmTemplate(ns, "") }),
		Entry("Helm chart, non-default values", "helm-custom", func(ns string) []byte {
			return helmTemplate(ns, nonDefaultValues)
		}),
	)

	It("proves the restricted check bites: a privileged pod is refused by admission", func() {
		createRestrictedNamespace("restricted-control")
		spec := podSpecOf(ofKind(decodeObjects(installYAML()), "Deployment")[0])
		spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = new(true)
		Expect(restrictedViolations(spec)).To(ContainElement(ContainSubstring("allowPrivilegeEscalation")))
		pod := podFor("restricted-control", spec)
		err := k8sClient.Create(ctx, pod, client.DryRunAll)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "expected PodSecurity to refuse, got %v", err)
	})

	It("proves the API key check bites", func() {
		spec := podSpecOf(ofKind(decodeObjects(installYAML()), "Deployment")[0])
		Expect(operationalGaps(spec)).To(BeEmpty())

		broken := *spec.DeepCopy()
		broken.Volumes[0].Secret.Optional = nil
		Expect(operationalGaps(broken)).To(ContainElement(ContainSubstring("not optional")))

		broken = *spec.DeepCopy()
		broken.Containers[0].VolumeMounts[0].SubPath = "apiKey"
		Expect(operationalGaps(broken)).To(ContainElement(ContainSubstring("subPath")))

		broken = *spec.DeepCopy()
		broken.Containers[0].Args = slices.DeleteFunc(broken.Containers[0].Args,
			func(a string) bool { return strings.HasPrefix(a, apiKeyFileFlag) })
		Expect(operationalGaps(broken)).To(ContainElement(ContainSubstring(apiKeyFileFlag)))

		broken = *spec.DeepCopy()
		broken.Containers[0].Env = append(broken.Containers[0].Env, corev1.EnvVar{Name: "NAIRI_API_KEY", Value: "x"})
		Expect(operationalGaps(broken)).To(ContainElement(ContainSubstring("NAIRI_API_KEY")))
	})

	It("renders the optional ServiceMonitor and NetworkPolicy only when enabled", func() {
		Expect(ofKind(decodeObjects(kustomizeBuild()), "ServiceMonitor")).To(BeEmpty())
		optional := decodeObjects(kustomizeBuildWithOptional())
		Expect(ofKind(optional, "ServiceMonitor")).To(HaveLen(1))
		Expect(ofKind(optional, "NetworkPolicy")).To(HaveLen(1))

		defaults := decodeObjects(helmTemplate("helm-defaults", ""))
		Expect(ofKind(defaults, "ServiceMonitor")).To(BeEmpty())
		Expect(ofKind(defaults, "NetworkPolicy")).To(BeEmpty())
		Expect(ofKind(defaults, "Secret")).To(BeEmpty(), "no API key Secret unless nairi.apiKey.value is set")

		custom := decodeObjects(helmTemplate("helm-custom", nonDefaultValues))
		Expect(ofKind(custom, "ServiceMonitor")).To(HaveLen(1))
		Expect(ofKind(custom, "NetworkPolicy")).To(HaveLen(1))
		Expect(ofKind(custom, "Secret")).To(HaveLen(1))
		secret, key, _ := apiKeySource(podSpecOf(ofKind(custom, "Deployment")[0]))
		Expect([]string{secret, key}).To(Equal([]string{"operator-key", "key"}), "nairi.apiKey.secretName/secretKey")
		args := podSpecOf(ofKind(custom, "Deployment")[0]).Containers[0].Args
		Expect(args).To(ContainElements(
			"--nairi-api-url=https://nairi.internal.example.com",
			"--nairi-qps=20", "--nairi-burst=40", "--nairi-timeout=15s", "--nairi-allow-insecure-http=true",
			"--max-concurrent-reconciles=4", "--watch-namespaces=shop,billing",
			"--zap-log-level=debug", "--metrics-bind-address=:9443", "--leader-elect",
			"--require-vault-grant=false",
		))
		defaultArgs := podSpecOf(ofKind(defaults, "Deployment")[0]).Containers[0].Args
		Expect(defaultArgs).To(ContainElement("--require-vault-grant=true"))
		Expect(ofKind(defaults, "NairiVault")).To(BeEmpty())
		vaults := ofKind(custom, "NairiVault")
		Expect(vaults).To(HaveLen(1), "one NairiVault per item of vaults")
		Expect(vaults[0].GetName()).To(Equal("shop-prod"))
		Expect(vaults[0].Object["spec"]).To(Equal(map[string]any{
			"vaultID": "vlt_01KQ27AQH800XQTQPJZ0DH14SJ", "namespaces": []any{"shop"},
			"namespaceSelector": map[string]any{"matchLabels": map[string]any{"team": "shop"}},
			"apiKeySecretRef":   map[string]any{"name": "nairi-shop-key", "key": "apiKey"},
			"adoption":          "Allow",
		}))
	})
})

// createRestrictedNamespace creates a namespace that enforces and warns on the
// restricted Pod Security Standard.
func createRestrictedNamespace(name string) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	}}}
	err := k8sClient.Create(ctx, ns)
	if apierrors.IsAlreadyExists(err) {
		return
	}
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
}

// dryRunPod asks the API server to admit a Pod with the given spec, as the Deployment's
// ReplicaSet would create it (dry run: nothing is stored).
func dryRunPod(namespace string, spec corev1.PodSpec) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: spec.ServiceAccountName, Namespace: namespace}}
	if err := k8sClient.Create(ctx, sa); !apierrors.IsAlreadyExists(err) {
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
	}
	ExpectWithOffset(1, k8sClient.Create(ctx, podFor(namespace, spec), client.DryRunAll)).To(Succeed())
}

func podFor(namespace string, spec corev1.PodSpec) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "manager-", Namespace: namespace}, Spec: spec}
}

// serviceMonitorCRD is a stand-in for the Prometheus Operator's ServiceMonitor CRD.
func serviceMonitorCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "servicemonitors.monitoring.coreos.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "monitoring.coreos.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural: "servicemonitors", Singular: "servicemonitor", Kind: "ServiceMonitor", ListKind: "ServiceMonitorList",
			},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type:                   "object",
					XPreserveUnknownFields: new(true),
				}},
			}},
		},
	}
}

// asList encodes objects as one v1 List, for one kubectl apply.
func asList(objs []*unstructured.Unstructured) []byte {
	items := make([]any, len(objs))
	for i, o := range objs {
		items[i] = o.Object
	}
	data, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return data
}
