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
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// dist/ is derived from config/ (`make dist`); these specs fail as soon as someone
// changes config/ or the RBAC markers without regenerating it.
var _ = Describe("dist/ follows config/", func() {
	It("has dist/install.yaml equal to `kustomize build config/default`", func() {
		Expect(string(installYAML())).To(Equal(string(kustomizeBuild())), "dist/install.yaml is stale: run `make dist`")
	})

	It("has the chart's CRD and RBAC sources byte-equal to the generated ones", func() {
		root := utils.ProjectDir()
		pairs := map[string]string{
			filepath.Join(root, "config", "rbac", "role.yaml"): filepath.Join(root, chartDir, "files", "rbac", "role.yaml"),
		}
		crds, err := filepath.Glob(filepath.Join(utils.CRDDir(), "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(crds).NotTo(BeEmpty())
		for _, crd := range crds {
			pairs[crd] = filepath.Join(root, chartDir, "files", "crds", filepath.Base(crd))
		}
		chartCRDs, err := filepath.Glob(filepath.Join(root, chartDir, "files", "crds", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(chartCRDs).To(HaveLen(len(crds)), "the chart carries a CRD config/ no longer has: run `make dist`")
		for src, copied := range pairs {
			want, err := os.ReadFile(src)
			Expect(err).NotTo(HaveOccurred())
			got, err := os.ReadFile(copied)
			Expect(err).NotTo(HaveOccurred(), "run `make dist`")
			Expect(string(got)).To(Equal(string(want)), "%s is stale: run `make dist`", copied)
		}
	})
})

// The chart and kustomize are two spellings of one installation: same RBAC, same CRDs,
// same security settings. The release name is chosen so object names coincide.
var _ = Describe("Helm chart and kustomize agree", func() {
	var fromKustomize, fromHelm []*unstructured.Unstructured
	BeforeEach(func() {
		fromKustomize = decodeObjects(kustomizeBuild())
		fromHelm = decodeObjects(helmTemplate("nairi-system", ""))
	})

	It("grants the same RBAC rules, role by role", func() {
		want := rbacRules(fromKustomize)
		Expect(want).To(HaveKey("ClusterRole/nairi-secrets-operator-manager-role"))
		Expect(rbacRules(fromHelm)).To(Equal(want))
	})

	It("binds the same roles to the manager's ServiceAccount", func() {
		Expect(bindings(fromHelm)).To(Equal(bindings(fromKustomize)))
	})

	It("installs the same CRDs, with the chart keeping them on uninstall", func() {
		want := ofKind(fromKustomize, "CustomResourceDefinition")
		got := ofKind(fromHelm, "CustomResourceDefinition")
		Expect(got).To(HaveLen(len(want)))
		for i := range want {
			Expect(got[i].Object["spec"]).To(Equal(want[i].Object["spec"]), "CRD %s", want[i].GetName())
			Expect(got[i].GetAnnotations()).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"))
		}
	})

	It("runs the manager with the same security settings, probes, resources and environment", func() {
		want := podSpecOf(ofKind(fromKustomize, "Deployment")[0])
		got := podSpecOf(ofKind(fromHelm, "Deployment")[0])
		Expect(got.SecurityContext).To(Equal(want.SecurityContext))
		Expect(got.Affinity).To(Equal(want.Affinity))
		Expect(got.TerminationGracePeriodSeconds).To(Equal(want.TerminationGracePeriodSeconds))
		Expect(got.Containers).To(HaveLen(1))
		w, g := want.Containers[0], got.Containers[0]
		Expect(g.SecurityContext).To(Equal(w.SecurityContext))
		Expect(g.LivenessProbe).To(Equal(w.LivenessProbe))
		Expect(g.ReadinessProbe).To(Equal(w.ReadinessProbe))
		Expect(g.Resources).To(Equal(w.Resources))
		Expect(g.Env).To(Equal(w.Env))
		Expect(g.VolumeMounts).To(Equal(w.VolumeMounts))
		Expect(got.Volumes).To(Equal(want.Volumes))
		Expect(g.Ports).To(Equal(w.Ports))
		Expect(g.Image).To(Equal(w.Image), "chart appVersion and Makefile VERSION differ")
		Expect(g.Args).To(ContainElements(w.Args), "the chart drops a kustomize flag")
	})

	It("mounts the API key from the same optional Secret and key, at the path the flag names", func() {
		for name, objs := range map[string][]*unstructured.Unstructured{"kustomize": fromKustomize, "helm": fromHelm} {
			spec := podSpecOf(ofKind(objs, "Deployment")[0])
			secret, key, gaps := apiKeySource(spec)
			Expect(gaps).To(BeEmpty(), name)
			Expect(secret).To(Equal("nairi-api-key"), name)
			Expect(key).To(Equal("apiKey"), name)
			Expect(spec.Containers[0].Args).To(ContainElement(apiKeyFileFlag+"/var/run/secrets/nairi/apiKey"), name)
			Expect(spec.Containers[0].Env).NotTo(ContainElement(HaveField("Name", "NAIRI_API_KEY")), name)
		}
	})
})

// Namespaced mode: the chart with manager.watchNamespaces and kustomize's config/namespaced
// grant the same, and neither lets the manager read a Secret outside the watched
// namespaces and its own.
var _ = Describe("Namespaced mode", func() {
	It("renders the same RBAC from the chart and from config/namespaced", func() {
		fromKustomize := decodeObjects([]byte(mustRun(kustomizeBin, "build", "config/namespaced")))
		fromHelm := decodeObjects(helmTemplate("nairi-system", "manager:\n  watchNamespaces: [shop]\n"))
		Expect(rbacRules(fromHelm)).To(Equal(rbacRules(fromKustomize)))
		Expect(bindings(fromHelm)).To(Equal(bindings(fromKustomize)))
		args := podSpecOf(ofKind(fromKustomize, "Deployment")[0]).Containers[0].Args
		Expect(args).To(ContainElement("--watch-namespaces=shop"))
	})

	It("grants Secrets only through Roles in the watched namespaces and the operator's own", func() {
		objs := decodeObjects(helmTemplate("nairi-system", "manager:\n  watchNamespaces: [shop, billing]\n"))
		var secretRoles []string
		for _, obj := range objs {
			for _, rule := range rbacRules([]*unstructured.Unstructured{obj})[obj.GetKind()+"/"+obj.GetName()] {
				if !slices.Contains(rule.APIGroups, "") || !slices.Contains(rule.Resources, "secrets") {
					continue
				}
				Expect(obj.GetKind()).To(Equal("Role"), "%s %s grants %v on Secrets", obj.GetKind(), obj.GetName(), rule.Verbs)
				if slices.Contains(rule.Verbs, "get") {
					secretRoles = append(secretRoles, obj.GetNamespace())
				}
			}
		}
		Expect(secretRoles).To(ConsistOf("shop", "billing", "nairi-system"))
		// The default (cluster) mode is unchanged: one ClusterRole reads Secrets everywhere.
		Expect(rbacRules(decodeObjects(helmTemplate("nairi-system", "")))["ClusterRole/nairi-secrets-operator-manager-role"]).
			To(ContainElement(HaveField("Resources", ContainElement("secrets"))))
	})
})

// rbacRules maps "Kind/name" of every Role and ClusterRole to its rules, normalized.
func rbacRules(objs []*unstructured.Unstructured) map[string][]rbacv1.PolicyRule {
	rules := map[string][]rbacv1.PolicyRule{}
	for _, obj := range objs {
		if obj.GetKind() != "Role" && obj.GetKind() != "ClusterRole" {
			continue
		}
		var role rbacv1.ClusterRole // same rules field as Role
		ExpectWithOffset(1, runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &role)).To(Succeed())
		for i := range role.Rules {
			for _, list := range [][]string{role.Rules[i].APIGroups, role.Rules[i].Resources,
				role.Rules[i].Verbs, role.Rules[i].ResourceNames, role.Rules[i].NonResourceURLs} {
				slices.Sort(list)
			}
		}
		slices.SortFunc(role.Rules, func(a, b rbacv1.PolicyRule) int {
			return strings.Compare(strings.Join(slices.Concat(a.APIGroups, a.Resources, a.NonResourceURLs), ","),
				strings.Join(slices.Concat(b.APIGroups, b.Resources, b.NonResourceURLs), ","))
		})
		rules[obj.GetKind()+"/"+obj.GetName()] = role.Rules
	}
	return rules
}

// bindings maps "Kind/name" of every (Cluster)RoleBinding to "roleKind/roleName <- subjects".
func bindings(objs []*unstructured.Unstructured) map[string]string {
	found := map[string]string{}
	for _, obj := range objs {
		if obj.GetKind() != "RoleBinding" && obj.GetKind() != "ClusterRoleBinding" {
			continue
		}
		var b rbacv1.RoleBinding
		ExpectWithOffset(1, runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &b)).To(Succeed())
		subjects := make([]string, 0, len(b.Subjects))
		for _, s := range b.Subjects {
			subjects = append(subjects, s.Kind+"/"+s.Namespace+"/"+s.Name)
		}
		found[obj.GetKind()+"/"+obj.GetNamespace()+"/"+obj.GetName()] =
			b.RoleRef.Kind + "/" + b.RoleRef.Name + " <- " + strings.Join(subjects, ",")
	}
	return found
}
