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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

var _ = Describe("Helm chart", func() {
	It("passes helm lint --strict", func() {
		out := mustRun(helmBin, "lint", "--strict", chartDir)
		Expect(out).To(ContainSubstring("0 chart(s) failed"))
	})

	It("passes helm lint --strict with non-default values", func() {
		path := writeValues("lint", nonDefaultValues)
		mustRun(helmBin, "lint", "--strict", chartDir, "--values", path)
	})

	// No nodes run pods in envtest: this proves the API server accepts every object Helm
	// creates, that uninstall removes them, and that the CRD survives uninstall.
	It("installs into a real API server and uninstalls, keeping the CRD", func() {
		const namespace = "helm-release"
		out := mustRun(helmBin, "install", releaseName, chartDir,
			"--namespace", namespace, "--create-namespace", "--wait=false", "--timeout", "2m")
		Expect(out).To(ContainSubstring("STATUS: deployed"))
		Expect(out).To(ContainSubstring("kind: NairiSecret"), "NOTES.txt shows a first NairiSecret")

		name := releaseName + "-controller-manager"
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &appsv1.Deployment{})).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &corev1.ServiceAccount{})).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: releaseName + "-manager-role"}, &rbacv1.ClusterRole{})).To(Succeed())
		crd := &apiextensionsv1.CustomResourceDefinition{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "nairisecrets.secrets.nairi.ai"}, crd)).To(Succeed())

		// The samples are what users try first: the installed CRD must accept them.
		samples := []byte(mustRun(kustomizeBin, "build", "config/samples"))
		Eventually(func() error {
			_, _, err := run(samples, kubectlBin, "apply", "--namespace", namespace, "-f", "-")
			return err
		}).Should(Succeed())
		sample := &unstructured.Unstructured{}
		sample.SetGroupVersionKind(secretsv1alpha1.GroupVersion.WithKind("NairiSecret"))
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: sampleName}, sample)).To(Succeed())

		mustRun(helmBin, "uninstall", releaseName, "--namespace", namespace, "--wait=false")
		err := k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &appsv1.Deployment{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Deployment left behind: %v", err)
		err = k8sClient.Get(ctx, client.ObjectKey{Name: releaseName + "-manager-role"}, &rbacv1.ClusterRole{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "ClusterRole left behind: %v", err)
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: crd.Name}, crd)).To(Succeed(), "the CRD must survive uninstall")
		Expect(crd.DeletionTimestamp).To(BeNil())
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: sampleName}, sample)).
			To(Succeed(), "NairiSecrets must survive uninstall")
	})
})
