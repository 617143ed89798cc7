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
	"strings"

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
	if _, set := env["NAIRI_API_KEY"]; set {
		gaps = append(gaps,
			"NAIRI_API_KEY is set: the key must come from the mounted Secret, which a restart-free rotation needs")
	}
	_, _, keyGaps := apiKeySource(spec)
	gaps = append(gaps, keyGaps...)
	if !slices.Contains(c.Args, "--leader-elect") {
		gaps = append(gaps, "leader election is off")
	}
	return gaps
}

// apiKeyFileFlag is the manager's flag naming the file with its API key.
const apiKeyFileFlag = "--nairi-api-key-file="

// apiKeySource follows the manager's --nairi-api-key-file to the Secret volume that
// provides it and returns that Secret's name and key. gaps lists why the file does not
// come from an optional Secret volume mounted read-only and refreshed by the kubelet
// (a subPath mount is never refreshed); empty means it does.
func apiKeySource(spec corev1.PodSpec) (secretName, key string, gaps []string) {
	c := spec.Containers[0]
	file := ""
	for _, arg := range c.Args { // the last occurrence wins, as with Go's flag package
		if f, ok := strings.CutPrefix(arg, apiKeyFileFlag); ok {
			file = f
		}
	}
	if file == "" {
		return "", "", []string{"no " + apiKeyFileFlag + " flag"}
	}
	var mount *corev1.VolumeMount
	rel := ""
	for i, m := range c.VolumeMounts {
		if r, ok := strings.CutPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/"); ok && r != "" {
			mount, rel = &c.VolumeMounts[i], r
		}
	}
	if mount == nil {
		return "", "", []string{"no volume is mounted at the directory of " + file}
	}
	if !mount.ReadOnly {
		gaps = append(gaps, "the API key volume is not mounted read-only")
	}
	if mount.SubPath != "" || mount.SubPathExpr != "" {
		gaps = append(gaps, "the API key volume is mounted with a subPath, which the kubelet never refreshes")
	}
	idx := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == mount.Name })
	if idx < 0 || spec.Volumes[idx].Secret == nil {
		return "", "", append(gaps, "volume "+mount.Name+" is not a Secret volume")
	}
	src := spec.Volumes[idx].Secret
	if !isTrue(src.Optional) {
		gaps = append(gaps, "the API key Secret volume is not optional")
	}
	item := slices.IndexFunc(src.Items, func(k corev1.KeyToPath) bool { return k.Path == rel })
	if item < 0 {
		return src.SecretName, "", append(gaps, "the API key Secret volume maps no key to "+rel)
	}
	return src.SecretName, src.Items[item].Key, gaps
}

func isTrue(b *bool) bool { return b != nil && *b }

func dropsAll(caps *corev1.Capabilities) bool {
	if caps == nil {
		return false
	}
	return slices.Contains(caps.Drop, "ALL")
}
