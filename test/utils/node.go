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
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// NodeName is the name the test node registers under.
const NodeName = "nairi-test-node"

// DefaultNodePortBase is the first of the fixed loopback ports the test node uses. The
// block 17400-17499 lies below Linux's ephemeral range (32768-60999), where envtest and
// every other "random free port" come from, so a node run never collides with them.
const DefaultNodePortBase = 17400

// NodeOptions describe a test node: a single-node Kubernetes (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kubelet) on containerd, on loopback only.
type NodeOptions struct {
	// Dir holds everything the node writes. It is created, and removed by Stop. Keep it
	// short (under /tmp): containerd's socket path must fit in 108 bytes.
	Dir string
	// LogDir receives the components' logs; it outlives the node.
	LogDir string
	// Assets holds kube-apiserver, etcd and kubectl (hack/envtest-assets.sh).
	Assets string
	// NodeAssets holds kubelet, kube-controller-manager and kube-scheduler
	// (hack/node-assets.sh).
	NodeAssets string
	// Images are docker-archive tarballs imported into containerd before the kubelet
	// starts; one of them must provide PauseImage.
	Images []string
	// PortBase is the first port of the node's block (DefaultNodePortBase if 0).
	PortBase int
	// Progress receives one line per step, for a reader watching a slow machine.
	Progress func(format string, args ...any)
}

// nodePorts are the node's fixed loopback ports, all within PortBase..PortBase+99.
type nodePorts struct {
	etcd, etcdPeer, etcdMetrics, apiserver, controllerManager, scheduler, kubelet, kubeletHealthz int
}

func newNodePorts(base int) nodePorts {
	return nodePorts{etcd: base + 1, etcdPeer: base + 2, etcdMetrics: base + 3, apiserver: base + 43,
		kubeletHealthz: base + 48, kubelet: base + 50, controllerManager: base + 57, scheduler: base + 59}
}

func (p nodePorts) all() []int {
	return []int{p.etcd, p.etcdPeer, p.etcdMetrics, p.apiserver, p.controllerManager, p.scheduler,
		p.kubelet, p.kubeletHealthz}
}

// Node is a running test node.
type Node struct {
	NodeOptions
	// Kubeconfig is the admin kubeconfig (group system:masters).
	Kubeconfig string
	// Kubectl runs the envtest store's kubectl against the node's API server.
	Kubectl Kubectl
	// Config is the admin connection, for in-process clients.
	Config *rest.Config

	ports nodePorts
	pki   nodePKI
	procs []*Process
}

// APIServerPort is where kube-apiserver listens on 127.0.0.1; Pods on the host network
// get it as KUBERNETES_SERVICE_PORT.
func (n *Node) APIServerPort() int { return n.ports.apiserver }

// APIServerURL is the API server's address.
func (n *Node) APIServerURL() string { return fmt.Sprintf("https://127.0.0.1:%d", n.ports.apiserver) }

// ContainerdLog is the path of containerd's log (debug level).
func (n *Node) ContainerdLog() string { return filepath.Join(n.LogDir, "containerd.log") }

// AuditLog is the API server's audit log (metadata of requests for secrets.nairi.ai).
func (n *Node) AuditLog() string { return filepath.Join(n.LogDir, "audit.log") }

// KubeletLog is the path of the kubelet's log.
func (n *Node) KubeletLog() string { return filepath.Join(n.LogDir, "kubelet.log") }

// KubeletPodDir is where the kubelet keeps a Pod's volumes: a mounted file of the Pod
// can be read at KubeletPodDir(uid)/volumes/kubernetes.io~secret/<volume>/<path>.
func (n *Node) KubeletPodDir(uid string) string { return n.path("kubelet", "pods", uid) }

// PodLogs returns what a Pod's container wrote so far, from the kubelet's log files (all
// of its restarts, oldest first).
func (n *Node) PodLogs(namespace, pod, uid, container string) string {
	files, _ := filepath.Glob(n.path("pod-logs", namespace+"_"+pod+"_"+uid, container, "*.log"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

func (n *Node) progress(format string, args ...any) {
	if n.Progress != nil {
		n.Progress(format, args...)
	}
}

// StartNode brings a test node up and waits until it is Ready. It needs root. On error
// everything started so far is torn down. Only one node can run on a machine at a time:
// hold LockTestNodes around it.
func StartNode(ctx context.Context, o NodeOptions) (n *Node, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("a test node needs root (containerd, mounts, cgroups)")
	}
	if o.PortBase == 0 {
		o.PortBase = DefaultNodePortBase
	}
	n = &Node{NodeOptions: o, ports: newNodePorts(o.PortBase)}
	for _, bin := range []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc", "unshare", "mount"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%s not found: run hack/node-assets.sh (it installs containerd, runc and "+
				"containernetworking-plugins): %w", bin, err)
		}
	}
	for _, bin := range []string{filepath.Join(o.NodeAssets, "kubelet"), filepath.Join(o.NodeAssets, "kube-scheduler"),
		filepath.Join(o.NodeAssets, "kube-controller-manager"), filepath.Join(o.Assets, "kube-apiserver"),
		filepath.Join(o.Assets, "etcd"), filepath.Join(o.Assets, "kubectl"), "/usr/lib/cni/bridge"} {
		if !isExecutable(bin) {
			return nil, fmt.Errorf("%s is missing: run hack/node-assets.sh and hack/envtest-assets.sh", bin)
		}
	}
	defer func() {
		if err != nil {
			n.progress("bring-up failed (%v); tearing down", err)
			_ = n.Stop()
			n = nil
		}
	}()
	for _, port := range n.ports.all() {
		l, lerr := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if lerr != nil {
			return n, fmt.Errorf("port %d of the node's block is taken (set another base): %w", port, lerr)
		}
		_ = l.Close()
	}
	for _, d := range []string{n.Dir, o.LogDir, n.path("pids"), n.path("run"), n.path("kubelet"), n.path("pod-logs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return n, err
		}
	}
	// The kubelet and containerd's shims create these wherever their configuration
	// says; teardown removes them again (when empty) if they were not there before.
	for marker, dir := range createdDirs {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			if err := os.WriteFile(n.path(marker), nil, 0o644); err != nil {
				return n, err
			}
		}
	}
	if n.pki, err = newNodePKI(n.path("pki")); err != nil {
		return n, err
	}
	if err := n.writeNodeConfig(); err != nil {
		return n, err
	}
	n.Kubeconfig = n.path("kubeconfig")
	n.Kubectl = Kubectl{Bin: filepath.Join(o.Assets, "kubectl"), Kubeconfig: n.Kubeconfig}
	if n.Config, err = clientcmd.BuildConfigFromFlags("", n.Kubeconfig); err != nil {
		return n, err
	}

	steps := []struct {
		what string
		run  func(context.Context) error
	}{
		{"containerd", n.startContainerd},
		{"local images", n.importImages},
		{"etcd and kube-apiserver", n.startAPIServer},
		{"the local-images-only admission policy", n.installLocalImagesPolicy},
		{"kube-controller-manager and kube-scheduler", n.startControllers},
		{"the admission policy enforced", n.verifyLocalImagesPolicy},
		{"kubelet", n.startKubelet},
		{"node Ready", n.waitNodeReady},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.run(ctx); err != nil {
			return n, fmt.Errorf("%s: %w", s.what, err)
		}
		n.progress("node: %s up in %s", s.what, time.Since(start).Round(100*time.Millisecond))
	}
	return n, nil
}

// start starts one component, records its PID for TeardownNodeDir, and remembers it.
func (n *Node) start(name, bin string, args ...string) (*Process, error) {
	p, err := StartProcess(name, filepath.Join(n.LogDir, name+".log"), nil, bin, args...)
	if err != nil {
		return nil, err
	}
	n.procs = append(n.procs, p)
	record := fmt.Sprintf("%d\n%s\n", p.Pid(), bin)
	return p, os.WriteFile(n.path("pids", fmt.Sprintf("%02d-%s", len(n.procs), name)), []byte(record), 0o644)
}

// poll runs check every half second until it succeeds, the process dies, or timeout.
func poll(ctx context.Context, timeout time.Duration, p *Process, what string, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if p != nil && p.Exited() {
			return fmt.Errorf("%s exited (code %d); its log ends with:\n%s", p.Name, p.ExitCode(), p.Tail(20))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Ctr runs containerd's ctr against the node's containerd, in the kubelet's namespace.
func (n *Node) Ctr(args ...string) (string, error) {
	cmd := exec.Command("ctr", append([]string{"--address", n.ContainerdSocket(), "--namespace", "k8s.io"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// ContainerPID returns the host PID of a running container's first process, from the
// containerID of a Pod's status ("containerd://<id>").
func (n *Node) ContainerPID(containerID string) (int, error) {
	id := strings.TrimPrefix(containerID, "containerd://")
	out, err := n.Ctr("tasks", "list")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == id {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("container %s is not running:\n%s", id, out)
}

func (n *Node) startContainerd(ctx context.Context) error {
	p, err := n.start("containerd", "containerd", "--config", n.path("containerd", "config.toml"))
	if err != nil {
		return err
	}
	return poll(ctx, time.Minute, p, "containerd's socket", func() error { _, err := n.Ctr("version"); return err })
}

// ImportImage imports a docker-archive tarball into containerd's k8s.io namespace, where
// the kubelet finds it.
func (n *Node) ImportImage(tarball string) error {
	_, err := n.Ctr("images", "import", tarball)
	return err
}

func (n *Node) importImages(context.Context) error {
	for _, image := range n.Images {
		if err := n.ImportImage(image); err != nil {
			return err
		}
	}
	out, err := n.Ctr("images", "list", "--quiet")
	if err != nil {
		return err
	}
	if !strings.Contains(out, PauseImage) {
		return fmt.Errorf("no image provides the sandbox image %s", PauseImage)
	}
	return nil
}

func (n *Node) startAPIServer(ctx context.Context) error {
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", n.ports.etcd)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", n.ports.etcdPeer)
	etcd, err := n.start("etcd", filepath.Join(n.Assets, "etcd"), "--data-dir", n.path("etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--listen-metrics-urls", fmt.Sprintf("http://127.0.0.1:%d", n.ports.etcdMetrics),
		"--unsafe-no-fsync")
	if err != nil {
		return err
	}
	if err := poll(ctx, time.Minute, etcd, "etcd", func() error { return dial(n.ports.etcd) }); err != nil {
		return err
	}
	apiserver, err := n.start("kube-apiserver", filepath.Join(n.Assets, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(n.ports.apiserver),
		// The default reconciler refuses 127.0.0.1 as the kubernetes Service's endpoint.
		"--endpoint-reconciler-type=none",
		"--tls-cert-file="+n.pki.path("apiserver.crt"), "--tls-private-key-file="+n.pki.path("apiserver.key"),
		"--client-ca-file="+n.pki.path("ca.crt"), "--token-auth-file="+n.pki.path("tokens.csv"),
		"--authorization-mode=Node,RBAC", "--service-cluster-ip-range=10.250.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+n.pki.path("sa.pub"),
		"--service-account-signing-key-file="+n.pki.path("sa.key"),
		"--audit-policy-file="+n.path("audit-policy.yaml"), "--audit-log-path="+n.AuditLog(),
		"--profiling=false")
	if err != nil {
		return err
	}
	return poll(ctx, 3*time.Minute, apiserver, "kube-apiserver /readyz", func() error {
		_, err := n.Kubectl.Run("get", "--raw", "/readyz")
		return err
	})
}

// installLocalImagesPolicy installs LocalImagesPolicy before anything could create a Pod
// (kube-controller-manager is not running yet).
func (n *Node) installLocalImagesPolicy(context.Context) error {
	_, err := n.Kubectl.Apply("", LocalImagesPolicy)
	return err
}

// verifyLocalImagesPolicy waits until the API server enforces LocalImagesPolicy: a
// dry-run Pod that could pull is refused. It runs before the kubelet starts, once
// kube-controller-manager made the ServiceAccount the dry run needs.
func (n *Node) verifyLocalImagesPolicy(ctx context.Context) error {
	pod := `apiVersion: v1
kind: Pod
metadata: {name: would-pull, namespace: default}
spec:
  containers: [{name: c, image: docker.io/library/busybox:1, imagePullPolicy: IfNotPresent}]
`
	return poll(ctx, 2*time.Minute, nil, "the admission policy to refuse a Pod that could pull", func() error {
		out, err := n.Kubectl.RunWithInput(pod, "create", "--dry-run=server", "-f", "-")
		if err != nil && strings.Contains(err.Error(), "local-images-only") {
			return nil
		}
		return fmt.Errorf("a Pod with imagePullPolicy IfNotPresent was not refused: %s %v", out, err)
	})
}

func (n *Node) startControllers(context.Context) error {
	common := []string{"--kubeconfig=" + n.Kubeconfig, "--authentication-kubeconfig=" + n.Kubeconfig,
		"--authorization-kubeconfig=" + n.Kubeconfig, "--bind-address=127.0.0.1", "--leader-elect=false"}
	if _, err := n.start("kube-controller-manager", filepath.Join(n.NodeAssets, "kube-controller-manager"),
		append(common, "--secure-port="+strconv.Itoa(n.ports.controllerManager),
			"--service-account-private-key-file="+n.pki.path("sa.key"), "--root-ca-file="+n.pki.path("ca.crt"),
			"--use-service-account-credentials=true", "--service-cluster-ip-range=10.250.0.0/24")...); err != nil {
		return err
	}
	_, err := n.start("kube-scheduler", filepath.Join(n.NodeAssets, "kube-scheduler"),
		append(common, "--secure-port="+strconv.Itoa(n.ports.scheduler))...)
	return err
}

// startKubelet runs the kubelet in its own mount namespace (see kubeletSysctls). Its
// root directory is made a shared mount first, so the volumes it mounts there propagate
// to the machine's namespace, where containerd and runc look for them.
func (n *Node) startKubelet(context.Context) error {
	root := n.path("kubelet")
	if err := syscall.Mount(root, root, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mount the kubelet's root: %w", err)
	}
	if err := syscall.Mount("", root, "", syscall.MS_SHARED, ""); err != nil {
		return fmt.Errorf("make the kubelet's root shared: %w", err)
	}
	var script strings.Builder
	script.WriteString("set -e; mount --make-rprivate /proc; ")
	for name := range kubeletSysctls {
		fake := n.path("sysctl", strings.ReplaceAll(name, "/", "."))
		fmt.Fprintf(&script, "mount --bind %q /proc/sys/%s; ", fake, name)
	}
	script.WriteString(`exec "$0" "$@"`)
	_, err := n.start("kubelet", "unshare", "--mount", "--propagation", "unchanged", "--",
		"sh", "-c", script.String(), filepath.Join(n.NodeAssets, "kubelet"),
		"--config="+n.path("kubelet-config.yaml"), "--kubeconfig="+n.Kubeconfig,
		"--root-dir="+root, "--cert-dir="+n.path("kubelet-pki"), "--hostname-override="+NodeName)
	return err
}

func (n *Node) waitNodeReady(ctx context.Context) error {
	var kubelet *Process
	for _, p := range n.procs {
		if p.Name == "kubelet" {
			kubelet = p
		}
	}
	if err := poll(ctx, 3*time.Minute, kubelet, "node "+NodeName+" Ready", func() error {
		_, err := n.Kubectl.Run("wait", "--for=condition=Ready", "node/"+NodeName, "--timeout=5s")
		return err
	}); err != nil {
		return err
	}
	// Pods need the namespace's default ServiceAccount and the CA bundle ConfigMap, both
	// made by kube-controller-manager.
	return poll(ctx, 2*time.Minute, nil, "the default ServiceAccount and kube-root-ca.crt", func() error {
		_, err := n.Kubectl.Run("get", "-n", "default", "serviceaccount/default", "configmap/kube-root-ca.crt")
		return err
	})
}

func dial(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err == nil {
		_ = c.Close()
	}
	return err
}

// LockTestNodes takes the machine-wide lock of test nodes, waiting while another holds
// it: nodes share containerd's cgroups, the bridge name and the port block, and a
// snapshot of the machine (SnapshotHost) is only meaningful while no other node comes or
// goes. The returned function releases it.
func LockTestNodes(ctx context.Context, progress func(string, ...any)) (func(), error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "nairi-test-node.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for waited := 0; ; waited++ {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return func() { _ = f.Close() }, nil
		}
		if waited%30 == 0 && progress != nil {
			progress("another test node runs on this machine; waiting for it to stop")
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// Stop tears the node down: Pods first (while the kubelet still runs, so it unmounts their
// volumes), then every component by PID, then whatever is left (see TeardownNodeDir).
func (n *Node) Stop() error {
	return teardownNode(n.Dir, n.Kubectl, n.progress, n.procs)
}
