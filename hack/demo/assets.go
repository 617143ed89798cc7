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
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// heartbeat is how often a long step says it is still working.
const heartbeat = 20 * time.Second

// envtestAssets returns KUBEBUILDER_ASSETS, or asks hack/envtest-assets.sh, which builds
// kube-apiserver, etcd and kubectl on a machine that has none (several minutes, once).
// The script's own progress goes to the terminal, with a heartbeat in between.
func envtestAssets(ctx context.Context) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	version := os.Getenv("ENVTEST_K8S_VERSION")
	if version == "" {
		return "", fmt.Errorf("set KUBEBUILDER_ASSETS or ENVTEST_K8S_VERSION (make demo sets it)")
	}
	step("locating kube-apiserver, etcd and kubectl %s "+
		"(hack/envtest-assets.sh builds them once if missing: 5-10 minutes)", version)
	var dir bytes.Buffer
	err := withHeartbeat(ctx, "preparing the control-plane binaries", func() error {
		cmd := exec.CommandContext(ctx, filepath.Join(utils.ProjectDir(), "hack", "envtest-assets.sh"),
			version, os.Getenv("ENVTEST"))
		cmd.Dir = utils.ProjectDir()
		cmd.Stdout = &dir
		cmd.Stderr = prefixWriter{}
		return cmd.Run()
	})
	if err != nil {
		return "", fmt.Errorf("hack/envtest-assets.sh: %w", err)
	}
	return strings.TrimSpace(dir.String()), nil
}

// withHeartbeat runs fn, printing a line every heartbeat until it returns, so a long
// build never looks hung.
func withHeartbeat(ctx context.Context, what string, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	start := time.Now()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			detail("... still %s (%s)", what, time.Since(start).Round(time.Second))
		}
	}
}

// prefixWriter indents a child's progress lines under the current step.
type prefixWriter struct{}

func (prefixWriter) Write(p []byte) (int, error) {
	for line := range strings.SplitSeq(strings.TrimRight(string(p), "\n"), "\n") {
		fmt.Println("    " + line)
	}
	return len(p), nil
}
