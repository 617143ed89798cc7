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

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// envtest starts kube-apiserver and etcd in their own process groups, so they outlive a
// demo that was killed with SIGKILL (the manager does not: the kernel kills it with its
// parent). The demo records their pids and the next run stops what is left.

const childrenFile = "controlplane.pids"

// recordChildren writes "pid name" for each kube-apiserver and etcd this process started.
// It reads /proc, so elsewhere than on Linux it records nothing.
func recordChildren(dir string) {
	entries, _ := os.ReadDir("/proc")
	var b strings.Builder
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		name, rest, ok := strings.Cut(string(stat), ") ")
		if !ok {
			continue
		}
		comm := name[strings.IndexByte(name, '(')+1:]
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) && (comm == "etcd" || comm == "kube-apiserver") {
			_, _ = fmt.Fprintf(&b, "%d %s\n", pid, comm)
		}
	}
	_ = os.WriteFile(filepath.Join(dir, childrenFile), []byte(b.String()), 0o644)
}

// killLeftovers stops the control plane of an earlier demo that died without cleaning up,
// checking each pid still runs the same program before killing it.
func killLeftovers(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, childrenFile))
	if err != nil {
		return
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		pidText, name, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", pidText, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue
		}
		detail("stopping %s (pid %d) left by an earlier demo", name, pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
