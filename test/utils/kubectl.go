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
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// Kubectl runs a kubectl binary against one kubeconfig, as a user would type it.
type Kubectl struct {
	// Bin is the kubectl binary (the envtest store's, never the system's).
	Bin string
	// Kubeconfig is passed as --kubeconfig.
	Kubeconfig string
}

// Run runs kubectl with args and returns its stdout. On failure the error carries the
// command line and stderr, which is where kubectl puts the API server's message.
func (k Kubectl) Run(args ...string) (string, error) {
	return k.RunWithInput("", args...)
}

// RunWithInput runs kubectl with stdin set to input (for `apply -f -`).
func (k Kubectl) RunWithInput(input string, args ...string) (string, error) {
	cmd := exec.Command(k.Bin, append([]string{"--kubeconfig", k.Kubeconfig}, args...)...)
	if input != "" {
		cmd.Stdin = strings.NewReader(input)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Apply applies a manifest given as text, in namespace ns if not empty.
func (k Kubectl) Apply(ns, manifest string) (string, error) {
	args := []string{"apply", "-f", "-"}
	if ns != "" {
		args = append(args, "-n", ns)
	}
	return k.RunWithInput(manifest, args...)
}
