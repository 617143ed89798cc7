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
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// checkDomains refuses, before any API call, a wildcard over a public suffix ("*.com",
// "*.co.uk", "*.github.io"): it would allow every site under that suffix, so it
// restricts nothing while looking like it does. Sets the terminal Rejected, re-evaluated
// when the spec changes. Plain hostnames are left alone: "co.uk" allows one name only.
func checkDomains(obj *secretsv1alpha1.NairiSecret) *failure {
	for _, d := range obj.Spec.AllowedDomains {
		if suffix, ok := wildcardOverPublicSuffix(string(d)); ok {
			return &failure{reason: secretsv1alpha1.ReasonRejected, stalled: true,
				message: fmt.Sprintf("spec.allowedDomains entry %q is a wildcard over the public suffix %q: it would "+
					"allow every site under it and restrict nothing. Name a domain you control (e.g. \"*.example.%s\"); "+
					"nothing is sent to Nairi until the spec changes.", string(d), suffix, suffix)}
		}
	}
	return nil
}

// wildcardOverPublicSuffix reports whether pattern is "*." followed by a public suffix,
// per the public suffix list (both its ICANN and its private sections: "*.github.io"
// is as open as "*.com"), and returns the suffix.
func wildcardOverPublicSuffix(pattern string) (string, bool) {
	rest, ok := strings.CutPrefix(pattern, "*.")
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(strings.ToLower(rest), ".")
	suffix, _ := publicsuffix.PublicSuffix(rest)
	return rest, suffix == rest
}
