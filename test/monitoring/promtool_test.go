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

package monitoring

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// promtool returns the Makefile's pinned promtool, failing (not skipping) when it is
// missing: these tests are the only check of the alert rules.
func promtool(t *testing.T) string {
	t.Helper()
	path := filepath.Join(utils.ProjectDir(), "bin", "promtool")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("missing %s: run `make promtool` (make test does): %v", path, err)
	}
	return path
}

// runPromtool runs promtool in the project directory and returns its combined output.
func runPromtool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), promtool(t), args...)
	cmd.Dir = utils.ProjectDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// readFile reads a file of the project.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(utils.ProjectDir(), path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeTemp writes content to a file in a test's temporary directory.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// indent prefixes every non-empty line with prefix.
func indent(text, prefix string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if line != "" {
			lines[i] = prefix + line
		}
	}
	return strings.Join(lines, "\n")
}
