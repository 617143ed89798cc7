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
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// HostState is what a test node could leave behind on the machine, or change on it:
// taken before the node starts and after it stops, the two must be equal.
type HostState struct {
	// Processes of any test node: command line under the node directory prefix, or in
	// the kubelet's cgroups.
	Processes []string
	// Mounts of this mount namespace.
	Mounts []string
	// NetNamespaces are /run/netns entries and the network namespaces processes are in.
	NetNamespaces []string
	// Links are the network interfaces.
	Links []string
	// Cgroups are the kubelet's cgroup directories.
	Cgroups []string
	// Sysctls the kubelet or a CNI plugin would touch, as name=value.
	Sysctls []string
	// Iptables is iptables-save and ip6tables-save without counters.
	Iptables []string
	// Paths are the entries of the machine-wide directories a kubelet, containerd or a
	// CNI plugin writes to by default.
	Paths []string
}

// watchedPaths are directories the node's programs use by default; the node points them
// elsewhere, and removes what they make regardless (see createdDirs).
var watchedPaths = []string{"/run/containerd", "/var/log/containers", "/var/log/pods", "/var/lib/kubelet",
	"/var/lib/cni", "/var/lib/containerd", "/etc/cni", "/opt/cni", "/opt/containerd", "/run/netns"}

// watchedSysctls are checked for changes, besides the kubelet's own.
var watchedSysctls = []string{"net/ipv4/ip_forward", "net/ipv4/conf/all/route_localnet",
	"net/bridge/bridge-nf-call-iptables", "net/ipv4/conf/all/forwarding"}

var iptablesCounters = regexp.MustCompile(`\[\d+:\d+\]`)

// SnapshotHost records the machine's state; dirPrefix is the prefix of every test node's
// directory (e.g. /tmp/nairi-node-).
func SnapshotHost(dirPrefix string) HostState {
	var h HostState
	h.Processes = NodeProcesses(dirPrefix)
	h.Mounts = MountPoints()
	netns, _ := filepath.Glob("/run/netns/*")
	h.NetNamespaces = append(h.NetNamespaces, netns...)
	seen := map[string]bool{}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if link, err := os.Readlink(filepath.Join("/proc", p.Name(), "ns", "net")); err == nil && !seen[link] {
			seen[link] = true
			h.NetNamespaces = append(h.NetNamespaces, link)
		}
	}
	ifaces, _ := net.Interfaces()
	for _, i := range ifaces {
		h.Links = append(h.Links, i.Name)
	}
	h.Cgroups = NodeCgroups()
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range kubeletSysctls {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range append(names, watchedSysctls...) {
		if v, err := os.ReadFile(filepath.Join("/proc/sys", name)); err == nil {
			h.Sysctls = append(h.Sysctls, name+"="+strings.TrimSpace(string(v)))
		}
	}
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		if _, err := exec.LookPath(tool); err != nil {
			continue
		}
		out, _ := exec.Command(tool).Output()
		for line := range strings.SplitSeq(string(out), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				h.Iptables = append(h.Iptables, tool+": "+iptablesCounters.ReplaceAllString(line, ""))
			}
		}
	}
	for _, p := range watchedPaths {
		_ = filepath.WalkDir(p, func(path string, _ os.DirEntry, err error) error {
			if err == nil {
				h.Paths = append(h.Paths, path)
			}
			return nil
		})
	}
	return h
}

// Diff lists how after differs from h, one line per item that appeared or went away.
func (h HostState) Diff(after HostState) []string {
	var out []string
	compare := func(what string, a, b []string) {
		slices.Sort(a)
		slices.Sort(b)
		for _, x := range b {
			if !slices.Contains(a, x) {
				out = append(out, fmt.Sprintf("%s appeared: %s", what, x))
			}
		}
		for _, x := range a {
			if !slices.Contains(b, x) {
				out = append(out, fmt.Sprintf("%s went away: %s", what, x))
			}
		}
	}
	compare("process", slices.Clone(h.Processes), slices.Clone(after.Processes))
	compare("mount", slices.Clone(h.Mounts), slices.Clone(after.Mounts))
	compare("network namespace", slices.Clone(h.NetNamespaces), slices.Clone(after.NetNamespaces))
	compare("network interface", slices.Clone(h.Links), slices.Clone(after.Links))
	compare("cgroup", slices.Clone(h.Cgroups), slices.Clone(after.Cgroups))
	compare("sysctl", slices.Clone(h.Sysctls), slices.Clone(after.Sysctls))
	compare("iptables rule", slices.Clone(h.Iptables), slices.Clone(after.Iptables))
	compare("path", slices.Clone(h.Paths), slices.Clone(after.Paths))
	return out
}
