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

package controller

import (
	"strings"
	"testing"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

func TestWildcardsOverAPublicSuffixAreRefusedAndNamed(t *testing.T) {
	tests := []struct {
		domain  string
		refused bool
	}{
		{"*.com", true},
		{"*.co.uk", true},
		{"*.github.io", true}, // private section of the list: every GitHub Pages site
		{"*.example.com", false},
		{"*.shop.example.co.uk", false},
		{"example.com", false},
		{"com", false}, // a plain hostname allows one name, not a suffix
		{"co.uk", false},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			obj := &secretsv1alpha1.NairiSecret{Spec: secretsv1alpha1.NairiSecretSpec{
				AllowedDomains: []secretsv1alpha1.DomainPattern{"api.example.org", secretsv1alpha1.DomainPattern(tt.domain)}}}
			f := checkDomains(obj)
			if (f != nil) != tt.refused {
				t.Fatalf("checkDomains(%q) = %+v, want refused=%v", tt.domain, f, tt.refused)
			}
			if f == nil {
				return
			}
			if f.reason != secretsv1alpha1.ReasonRejected || !f.stalled || f.err != nil {
				t.Errorf("failure = %+v, want terminal Rejected", f)
			}
			if !strings.Contains(f.message, `"`+tt.domain+`"`) {
				t.Errorf("message %q does not name the entry %q", f.message, tt.domain)
			}
		})
	}
}
