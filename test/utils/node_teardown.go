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
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// containerLogLinks is where the kubelet links every container's log, whatever its
// podLogsDir says.
const containerLogLinks = "/var/log/containers"

// createdDirs are directories outside the node's own that the node's programs create
// whatever their configuration says, by the name of the marker that records that the
// node created them: the kubelet's log links, and containerd's shim sockets and FIFOs.
var createdDirs = map[string]string{
	"created-var-log-containers": containerLogLinks,
	"created-run-containerd":     "/run/containerd",
	// The kubelet's device-plugin socket lives here whatever its --root-dir.
	"created-var-lib-kubelet": "/var/lib/kubelet",
}

// TeardownNodeDir tears down a test node from what it left in dir, for a shell trap after
// the test process itself died (a timeout, a crash): the components are found through
// the PID files StartNode wrote, and stopped only if the PID still runs a command that
// names dir. Without dir it does nothing.
func TeardownNodeDir(dir, kubectlBin string, progress func(string, ...any)) error {
	k := Kubectl{Bin: kubectlBin, Kubeconfig: filepath.Join(dir, "kubeconfig")}
	return teardownNode(dir, k, progress, nil)
}

// pidRecord is one component as StartNode recorded it.
type pidRecord struct {
	file, name string
	pid        int
}

func readPidRecords(dir string) []pidRecord {
	entries, _ := os.ReadDir(filepath.Join(dir, "pids"))
	var out []pidRecord
	for _, e := range entries { // sorted by name: start order
		data, err := os.ReadFile(filepath.Join(dir, "pids", e.Name()))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(string(data), "\n", 2)[0])
		_, name, _ := strings.Cut(e.Name(), "-")
		if err == nil && pid > 0 {
			out = append(out, pidRecord{file: filepath.Join(dir, "pids", e.Name()), name: name, pid: pid})
		}
	}
	return out
}

func teardownNode(dir string, k Kubectl, progress func(string, ...any), procs []*Process) error {
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	say := func(format string, args ...any) {
		if progress != nil {
			progress(format, args...)
		}
	}
	start := time.Now()
	var errs []error
	records := readPidRecords(dir)
	running := func(name string) bool {
		for _, r := range records {
			if r.name == name && ownedBy(r.pid, dir) {
				return true
			}
		}
		return false
	}
	stop := func(name string, grace time.Duration) {
		for _, r := range records {
			if r.name != name {
				continue
			}
			stopped := false
			for _, p := range procs {
				if p.Pid() == r.pid {
					p.Stop(grace)
					stopped = true
				}
			}
			if !stopped && ownedBy(r.pid, dir) {
				killGroup(r.pid, dir, grace)
			}
			_ = os.Remove(r.file)
		}
	}

	stop("kube-controller-manager", 10*time.Second)
	stop("kube-scheduler", 10*time.Second)
	if running("kubelet") && running("kube-apiserver") {
		// Let the kubelet stop the Pods while it still runs: it unmounts their volumes.
		if out, err := k.Run("delete", "pods", "--all", "--all-namespaces", "--grace-period=1",
			"--timeout=90s"); err != nil {
			say("teardown: deleting Pods: %v %s", err, out)
		}
	}
	stop("kubelet", 15*time.Second)
	if running("containerd") {
		removeContainers(dir)
	}
	for _, r := range slices.Backward(records) {
		stop(r.name, 15*time.Second)
	}
	if n := killLeftovers(dir); n > 0 {
		say("teardown: killed %d leftover processes (shims, containers)", n)
	}
	removeCreatedPaths(dir)
	errs = append(errs, unmountUnder(dir), removeNetNamespaces(), removeBridge(), removeCgroups())
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	say("node: torn down in %s", time.Since(start).Round(100*time.Millisecond))
	return errors.Join(errs...)
}

// ownedBy reports whether pid runs a command line that names dir (so a PID reused by
// another program is never signalled).
func ownedBy(pid int, dir string) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || isZombie(pid) {
		return false
	}
	return strings.Contains(string(data), dir)
}

func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil && !isZombie(pid) }

// killGroup sends SIGTERM to pid's process group, then SIGKILL after grace.
func killGroup(pid int, dir string, grace time.Duration) {
	if !ownedBy(pid, dir) {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for i := 0; i < 50 && alive(pid); i++ {
		time.Sleep(100 * time.Millisecond)
	}
}

// removeContainers kills and deletes what containerd still runs in the k8s.io namespace.
func removeContainers(dir string) {
	ctr := func(args ...string) string {
		out, _ := exec.Command("ctr", append([]string{"--address", filepath.Join(dir, "run", "containerd.sock"),
			"--namespace", "k8s.io", "--timeout", "20s"}, args...)...).Output()
		return string(out)
	}
	tasks := strings.Fields(ctr("tasks", "list", "--quiet"))
	for _, t := range tasks {
		ctr("tasks", "kill", "--signal", "SIGKILL", t)
	}
	for _, t := range tasks {
		ctr("tasks", "delete", "--force", t)
	}
	for c := range strings.FieldsSeq(ctr("containers", "list", "--quiet")) {
		ctr("containers", "delete", c)
	}
}

// NodeProcesses returns the processes that belong to a test node: those whose command line
// names dir (every component and containerd's shims) and those in the kubelet's cgroups
// (the containers), as "pid command".
func NodeProcesses(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || isZombie(pid) {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		cgroups, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if (dir != "" && strings.Contains(string(cmdline), dir)) || strings.Contains(string(cgroups), "/kubepods") {
			args := strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")
			out = append(out, fmt.Sprintf("%d %s", pid, args))
		}
	}
	return out
}

func killLeftovers(dir string) int {
	procs := NodeProcesses(dir)
	pids := make([]int, 0, len(procs))
	for _, p := range procs {
		pid, _ := strconv.Atoi(strings.Fields(p)[0])
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		for i := 0; i < 50 && alive(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return len(pids)
}

// MountPoints returns the mount points of this mount namespace, from /proc/self/mountinfo.
func MountPoints() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 {
			out = append(out, strings.ReplaceAll(fields[4], `\040`, " "))
		}
	}
	return out
}

// unmountUnder unmounts every mount point at or below dir, deepest first.
func unmountUnder(dir string) error {
	var errs []error
	for range 3 { // stacked mounts show up again once the top one is gone
		var targets []string
		for _, m := range MountPoints() {
			if m == dir || strings.HasPrefix(m, dir+"/") {
				targets = append(targets, m)
			}
		}
		if len(targets) == 0 {
			return nil
		}
		sortDeepestFirst(targets)
		errs = errs[:0]
		for _, m := range targets {
			if err := syscall.Unmount(m, 0); err != nil {
				if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
					errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// removeNetNamespaces removes the network namespaces containerd's CNI made (cni-*). The
// suite's Pods use the host network, so normally there are none.
func removeNetNamespaces() error {
	matches, _ := filepath.Glob("/run/netns/cni-*")
	var errs []error
	for _, ns := range matches {
		_ = syscall.Unmount(ns, syscall.MNT_DETACH)
		if err := os.Remove(ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func removeBridge() error {
	if _, err := net.InterfaceByName(NodeBridge); err != nil {
		return nil
	}
	if out, err := exec.Command("ip", "link", "delete", NodeBridge).CombinedOutput(); err != nil {
		return fmt.Errorf("ip link delete %s: %w: %s", NodeBridge, err, out)
	}
	return nil
}

// NodeCgroups returns the kubelet's cgroup directories (kubepods in every hierarchy).
func NodeCgroups() []string {
	var out []string
	for _, pattern := range []string{"/sys/fs/cgroup/kubepods", "/sys/fs/cgroup/*/kubepods"} {
		matches, _ := filepath.Glob(pattern)
		out = append(out, matches...)
	}
	return out
}

func removeCgroups() error {
	var errs []error
	for _, root := range NodeCgroups() {
		var dirs []string
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		sortDeepestFirst(dirs)
		for _, d := range dirs {
			var err error
			for range 20 { // a cgroup whose last task just died can be busy briefly
				if err = syscall.Rmdir(d); err == nil || errors.Is(err, syscall.ENOENT) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// removeCreatedPaths removes the kubelet's links to this node's container logs, and the
// directories of createdDirs that the node created.
func removeCreatedPaths(dir string) {
	entries, _ := os.ReadDir(containerLogLinks)
	for _, e := range entries {
		link := filepath.Join(containerLogLinks, e.Name())
		if target, err := os.Readlink(link); err == nil && strings.HasPrefix(target, dir+"/") {
			_ = os.Remove(link)
		}
	}
	for marker, created := range createdDirs {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			_ = os.Remove(filepath.Join(created, "device-plugins", "kubelet.sock"))
			removeEmptyDirs(created)
		}
	}
}

// removeEmptyDirs removes root and the directories below it, deepest first, as long as
// they are empty: anything still holding a file stays.
func removeEmptyDirs(root string) {
	var dirs []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	sortDeepestFirst(dirs)
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}

// sortDeepestFirst orders paths so that each comes before its parents.
func sortDeepestFirst(paths []string) {
	slices.SortFunc(paths, func(a, b string) int { return len(b) - len(a) })
}
