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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The permission audit must be able to fail: requests outside the rendered RBAC, in the
// wrong namespace or with the wrong verb, are denied; the chart's own rules allow theirs.
func TestGrantsFollowTheRenderedRBACInBothModes(t *testing.T) {
	namespaced, err := RenderChartIdentity("audit", "nairi-system", []string{"shop"})
	if err != nil {
		t.Fatalf("render the chart (`make helm` provides bin/helm): %v", err)
	}
	cluster, err := RenderChartIdentity("audit", "nairi-system", nil)
	if err != nil {
		t.Fatal(err)
	}
	watchSecrets := func(ns string) Permission {
		return Permission{Verb: "watch", Resource: "secrets", Namespace: ns}
	}
	tests := []struct {
		name       string
		id         *ChartIdentity
		p          Permission
		wantDenied bool
	}{
		{"namespaced: Secrets in a watched namespace", namespaced, watchSecrets("shop"), false},
		{"namespaced: Secrets in the operator's namespace", namespaced, watchSecrets("nairi-system"), false},
		{"namespaced: Secrets elsewhere", namespaced, watchSecrets("billing"), true},
		{"namespaced: Secrets across namespaces", namespaced, watchSecrets(""), true},
		{"cluster: Secrets anywhere", cluster, watchSecrets("billing"), false},
		{"NairiSecret status patch", namespaced, Permission{Verb: "patch", APIGroup: "secrets.nairi.ai",
			Resource: "nairisecrets/status", Namespace: "shop"}, false},
		{"a verb the chart does not grant", cluster,
			Permission{Verb: "delete", Resource: "secrets", Namespace: "shop"}, true},
		{"a resource the chart does not grant", cluster,
			Permission{Verb: "get", Resource: "configmaps", Namespace: "shop"}, true},
		{"the lease outside the operator's namespace", cluster, Permission{Verb: "get",
			APIGroup: "coordination.k8s.io", Resource: "leases", Namespace: "shop"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.id.NewGrants()
			if err != nil {
				t.Fatal(err)
			}
			if denied := g.Denied([]Permission{tt.p}); (len(denied) > 0) != tt.wantDenied {
				t.Errorf("Denied(%s) = %v, want denied=%v", tt.p, denied, tt.wantDenied)
			}
		})
	}
	g, _ := namespaced.NewGrants()
	if unused := g.Unused([]Permission{watchSecrets("shop")}); slices.ContainsFunc(unused, func(s string) bool {
		return strings.HasPrefix(s, "watch core/secrets in shop ")
	}) {
		t.Errorf("a used permission is reported unused: %v", unused)
	}
}

func TestReadAuditKeepsOneEventPerRequestAndTheRefusals(t *testing.T) {
	log := filepath.Join(t.TempDir(), "audit.log")
	lines := []string{ //nolint:lll // audit events exactly as kube-apiserver writes them, one per line
		`{"auditID":"a","stage":"ResponseStarted","verb":"watch","requestURI":"/api/v1/namespaces/shop/secrets?watch=true","user":{"username":"sa"},"objectRef":{"resource":"secrets","namespace":"shop","apiVersion":"v1"},"responseStatus":{"code":200}}`,
		`{"auditID":"a","stage":"ResponseComplete","verb":"watch","requestURI":"/api/v1/namespaces/shop/secrets?watch=true","user":{"username":"sa"},"objectRef":{"resource":"secrets","namespace":"shop","apiVersion":"v1"},"responseStatus":{"code":200}}`,
		`{"auditID":"b","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/namespaces/billing/secrets/x","user":{"username":"sa"},"objectRef":{"resource":"secrets","namespace":"billing","name":"x","apiVersion":"v1"},"responseStatus":{"code":403}}`,
		`{"auditID":"c","stage":"ResponseComplete","verb":"get","requestURI":"/apis","user":{"username":"sa"},"responseStatus":{"code":200}}`,
	}
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	used, forbidden, err := ReadAudit(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(used["sa"]) != 2 || len(forbidden["sa"]) != 1 || !strings.Contains(forbidden["sa"][0], "billing") {
		t.Fatalf("used = %v, forbidden = %v", used, forbidden)
	}
}
