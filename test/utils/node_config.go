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

package utils

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PauseImage is the test node's sandbox image, built from hack/pause and imported before
// containerd's CRI ever needs it, so it never tries to pull registry.k8s.io/pause.
const PauseImage = "k8s.local/pause:1"

// RedirectedRegistries are pointed at http://127.0.0.1:1 in containerd's hosts.toml: a
// pull that got past the admission policy would fail at once on loopback instead of
// leaving the machine. containerd 1.6 ignores the _default catch-all, so each registry
// a test image name could use is listed.
var RedirectedRegistries = []string{"docker.io", "ghcr.io", "registry.k8s.io", "quay.io", "gcr.io", "k8s.local"}

// LocalImagesPolicy is a ValidatingAdmissionPolicy and its binding: the API server
// refuses any Pod with a container that could pull (imagePullPolicy other than Never).
const LocalImagesPolicy = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: local-images-only
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["pods"]
  validations:
  - expression: >-
      object.spec.containers.all(c, has(c.imagePullPolicy) && c.imagePullPolicy == 'Never')
    message: "this test node has no registry: every container needs imagePullPolicy: Never"
  - expression: >-
      !has(object.spec.initContainers) ||
      object.spec.initContainers.all(c, has(c.imagePullPolicy) && c.imagePullPolicy == 'Never')
    message: "this test node has no registry: every init container needs imagePullPolicy: Never"
  - expression: >-
      !has(object.spec.ephemeralContainers) ||
      object.spec.ephemeralContainers.all(c, has(c.imagePullPolicy) && c.imagePullPolicy == 'Never')
    message: "this test node has no registry: every ephemeral container needs imagePullPolicy: Never"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: local-images-only
spec:
  policyName: local-images-only
  validationActions: [Deny]
`

// auditPolicy records who called the API for the project's own resources (metadata only:
// never a body), so a test can tell which identity the manager used and which RBAC
// binding allowed it.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources: [{group: secrets.nairi.ai}]
- level: None
`

// kubeletSysctls are the kernel tunables the kubelet insists on. It would write them
// unless protectKernelDefaults is set, and with it set it refuses to start if they differ.
// The test node must not change the machine's sysctls, so the kubelet runs in its own
// mount namespace where these files are read-only bind mounts of files holding the
// expected values: the kubelet reads what it wants and the machine stays as it was.
var kubeletSysctls = map[string]string{
	"vm/overcommit_memory":      "1",
	"vm/panic_on_oom":           "0",
	"kernel/panic":              "10",
	"kernel/panic_on_oops":      "1",
	"kernel/keys/root_maxkeys":  "1000000",
	"kernel/keys/root_maxbytes": "25000000",
}

// writeNodeConfig writes containerd's config and registry redirects, the CNI
// configuration, the kubelet's configuration and the admin kubeconfig under n.Dir.
func (n *Node) writeNodeConfig() error {
	files := map[string]string{
		"containerd/config.toml":           n.containerdConfig(),
		"cni/net.d/10-nairi-node.conflist": n.cniConfig(),
		"kubelet-config.yaml":              n.kubeletConfig(),
		"kubeconfig":                       n.kubeconfig(),
		"audit-policy.yaml":                auditPolicy,
	}
	for _, registry := range RedirectedRegistries {
		files[filepath.Join("containerd/certs.d", registry, "hosts.toml")] =
			"server = \"http://127.0.0.1:1\"\n\n[host.\"http://127.0.0.1:1\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
	}
	for name, value := range kubeletSysctls {
		files[filepath.Join("sysctl", strings.ReplaceAll(name, "/", "."))] = value + "\n"
	}
	for name, content := range files {
		path := filepath.Join(n.Dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) path(parts ...string) string {
	return filepath.Join(append([]string{n.Dir}, parts...)...)
}

// ContainerdSocket is the address of the node's containerd.
func (n *Node) ContainerdSocket() string { return n.path("run", "containerd.sock") }

// containerdConfig keeps every path of containerd, its shims and runc under n.Dir, uses
// the local pause image, never raises its own OOM priority (this kind of VM refuses
// negative scores, which breaks every sandbox) and reads registry hosts from certs.d.
func (n *Node) containerdConfig() string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q

[grpc]
  address = %[3]q

[debug]
  level = "debug"

[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = %[6]q
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[7]q
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %[8]q
`, n.path("containerd", "root"), n.path("containerd", "state"), n.ContainerdSocket(),
		n.path("containerd", "opt"), PauseImage, n.path("run", "runc"), n.path("cni", "net.d"),
		n.path("containerd", "certs.d"))
}

// NodeBridge is the bridge the CNI configuration names. Pods of the suite use the host
// network, so no CNI ADD ever runs and the bridge is never created; the configuration
// exists only because the kubelet reports NotReady without one.
const NodeBridge = "nairinode0"

func (n *Node) cniConfig() string {
	return fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "nairi-node", "plugins": [
  {"type": "bridge", "bridge": %q, "isGateway": false, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.251.0.0/24"}]], "dataDir": %q}},
  {"type": "loopback"}]}
`, NodeBridge, n.path("cni", "ipam"))
}

// kubeletConfig listens on 127.0.0.1 only, uses cgroupfs on this cgroup v1 machine,
// keeps its pod logs under n.Dir, never garbage-collects the imported images, touches
// neither iptables nor sysctls, and refreshes mounted Secrets every 10 s.
func (n *Node) kubeletConfig() string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: %d
healthzBindAddress: 127.0.0.1
healthzPort: %d
readOnlyPort: 0
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
protectKernelDefaults: true
makeIPTablesUtilChains: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: %q}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://%s
podLogsDir: %q
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
syncFrequency: 10s
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "50Mi", nodefs.available: "1%%", imagefs.available: "1%%"}
serializeImagePulls: true
`, n.ports.kubelet, n.ports.kubeletHealthz, n.pki.path("ca.crt"), n.ContainerdSocket(), n.path("pod-logs"))
}

// kubeconfig is the admin's: the static token of group system:masters.
func (n *Node) kubeconfig() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: node
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: node
  context: {cluster: node, user: admin}
current-context: node
`, n.APIServerURL(), n.pki.path("ca.crt"), n.pki.adminToken)
}
