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
	"strings"
	"testing"
)

func TestRunRefusesBadFlags(t *testing.T) {
	t.Setenv("NAIRI_API_KEY", "")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no key", nil, "an API key is required"},
		{"malformed vault", []string{"--api-key", "nr_k", "--vault", "vault-1"}, "want \"vlt_\""},
		{"bad address", []string{"--api-key", "nr_k", "--listen", "127.0.0.1:-1"}, "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := run(tt.args); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
