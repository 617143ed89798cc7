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
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"time"
)

// OperatorNamespace is where the manager keeps its leader-election lease and HMAC key
// when it runs out of cluster in the demo and the e2e suite.
const OperatorNamespace = "nairi-system"

// ManagerOptions describe one run of the manager binary out of cluster.
type ManagerOptions struct {
	// Name labels the process in messages, e.g. "manager-1".
	Name string
	// Binary is the built manager (bin/manager).
	Binary string
	// Kubeconfig is the admin kubeconfig of the control plane.
	Kubeconfig string
	// APIURL is the Nairi API base URL (the simulator's).
	APIURL string
	// APIKey is the operator's API key, passed through NAIRI_API_KEY as for a manager run
	// out of cluster.
	APIKey string
	// LogPath receives the manager's output.
	LogPath string
	// LeaderElect turns on leader election (the lease lives in OperatorNamespace).
	LeaderElect bool
	// Args are appended to the flags StartManager sets, e.g. "--max-concurrent-reconciles=4".
	Args []string
	// Env is appended to the environment StartManager sets, e.g. "KUBE_FEATURE_X=false".
	Env []string
}

// Manager is a running manager binary.
type Manager struct {
	*Process
	// ProbeAddr is the host:port of its /healthz and /readyz.
	ProbeAddr string
}

// StartManager starts the manager binary: metrics off, probes on a free 127.0.0.1 port.
func StartManager(o ManagerOptions) (*Manager, error) {
	probe, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{
		"--nairi-api-url=" + o.APIURL,
		"--operator-namespace=" + OperatorNamespace,
		"--metrics-bind-address=0",
		"--health-probe-bind-address=" + probe,
		fmt.Sprintf("--leader-elect=%t", o.LeaderElect),
	}, o.Args...)
	env := append([]string{"KUBECONFIG=" + o.Kubeconfig, "NAIRI_API_KEY=" + o.APIKey}, o.Env...)
	p, err := StartProcess(o.Name, o.LogPath, env, o.Binary, args...)
	if err != nil {
		return nil, err
	}
	return &Manager{Process: p, ProbeAddr: probe}, nil
}

// WaitReady waits until the manager answers /readyz with 200, or fails early with the end
// of its log if it exits.
func (m *Manager) WaitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + m.ProbeAddr + "/readyz"
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.Done():
			return fmt.Errorf("%s exited (code %d) before it was ready; log %s ends with:\n%s",
				m.Name, m.ExitCode(), m.LogPath, m.Tail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w; log %s ends with:\n%s", m.Name, ctx.Err(), m.LogPath, m.Tail(20))
		case <-tick.C:
		}
	}
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// GoBuild builds pkg (relative to the project, e.g. "./cmd/main.go") into out.
func GoBuild(out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = ProjectDir()
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -o %s %s: %w\n%s", filepath.Base(out), pkg, err, output)
	}
	return nil
}
