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
	"fmt"
	"slices"

	. "github.com/onsi/gomega"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// podSpecOf returns the pod template of a rendered Deployment.
func podSpecOf(obj *unstructured.Unstructured) corev1.PodSpec {
	var deploy appsv1.Deployment
	ExpectWithOffset(1, runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &deploy)).To(Succeed())
	return deploy.Spec.Template.Spec
}

// restrictedViolations lists how a pod spec breaks the restricted Pod Security Standard
// (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted),
// plus our own rule of a read-only root filesystem. Empty means compliant.
func restrictedViolations(spec corev1.PodSpec) []string {
	var v []string
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		v = append(v, "host namespaces are shared")
	}
	for _, vol := range spec.Volumes {
		if vol.HostPath != nil {
			v = append(v, fmt.Sprintf("volume %s is a hostPath", vol.Name))
		}
	}
	pod := spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if pod.RunAsUser != nil && *pod.RunAsUser == 0 {
		v = append(v, "pod runAsUser is 0")
	}
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		name := "container " + c.Name + ": "
		// The container's setting wins; the pod's applies when the container has none.
		nonRoot := sc.RunAsNonRoot
		if nonRoot == nil {
			nonRoot = pod.RunAsNonRoot
		}
		if !isTrue(nonRoot) {
			v = append(v, name+"runAsNonRoot is not true")
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			v = append(v, name+"runAsUser is 0")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			v = append(v, name+"allowPrivilegeEscalation is not false")
		}
		if isTrue(sc.Privileged) {
			v = append(v, name+"privileged")
		}
		if !dropsAll(sc.Capabilities) {
			v = append(v, name+"capabilities do not drop ALL")
		}
		if sc.Capabilities != nil {
			for _, add := range sc.Capabilities.Add {
				if add != "NET_BIND_SERVICE" {
					v = append(v, name+"adds capability "+string(add))
				}
			}
		}
		seccomp := sc.SeccompProfile
		if seccomp == nil {
			seccomp = pod.SeccompProfile
		}
		if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault &&
			seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
			v = append(v, name+"seccompProfile is not RuntimeDefault or Localhost")
		}
		if !isTrue(sc.ReadOnlyRootFilesystem) {
			v = append(v, name+"readOnlyRootFilesystem is not true")
		}
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				v = append(v, fmt.Sprintf("%shostPort %d", name, p.HostPort))
			}
		}
	}
	return v
}

// operationalGaps lists what a production Deployment of the manager must have besides
// security: probes, resources, the operator namespace and the API key from a Secret.
func operationalGaps(spec corev1.PodSpec) []string {
	var gaps []string
	c := spec.Containers[0]
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		gaps = append(gaps, "liveness or readiness probe missing")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() ||
		c.Resources.Limits.Memory().IsZero() {
		gaps = append(gaps, "cpu/memory requests or memory limit missing")
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	ns := env["POD_NAMESPACE"].ValueFrom
	if ns == nil || ns.FieldRef == nil || ns.FieldRef.FieldPath != "metadata.namespace" {
		gaps = append(gaps, "POD_NAMESPACE is not taken from metadata.namespace")
	}
	if key := env["NAIRI_API_KEY"].ValueFrom; key == nil || key.SecretKeyRef == nil || !isTrue(key.SecretKeyRef.Optional) {
		gaps = append(gaps, "NAIRI_API_KEY is not an optional Secret reference")
	}
	if !slices.Contains(c.Args, "--leader-elect") {
		gaps = append(gaps, "leader election is off")
	}
	return gaps
}

func isTrue(b *bool) bool { return b != nil && *b }

func dropsAll(caps *corev1.Capabilities) bool {
	if caps == nil {
		return false
	}
	return slices.Contains(caps.Drop, "ALL")
}
