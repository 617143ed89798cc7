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
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

func TestChildNamesAreValidDeterministicAndDistinct(t *testing.T) {
	set := strings.Repeat("s", 63)
	envKeys := []string{"FOO", "foo", "Foo", "FOO_", "_FOO", "__FOO", "A_B", "A__B", "X1", strings.Repeat("K", 255),
		strings.Repeat("K", 254) + "L", strings.Repeat("k", 255)}
	seen := map[string]string{}
	for _, envKey := range envKeys {
		for _, s := range []string{"app", set} {
			name := childName(s, envKey)
			if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
				t.Errorf("childName(%s, %s) = %q is not a valid name: %v", s, envKey, name, errs)
			}
			if name != childName(s, envKey) {
				t.Errorf("childName(%s, %s) is not deterministic", s, envKey)
			}
			if other, ok := seen[name]; ok {
				t.Errorf("%s and %s share the child name %s", other, envKey, name)
			}
			seen[name] = envKey
		}
	}
	if got := childName("app-env", "DB_PASSWORD"); got != "app-env-db-password" {
		t.Errorf("childName(app-env, DB_PASSWORD) = %s", got)
	}
	if got := childName("app-env", "tls_crt"); !regexp.MustCompile(`^app-env-tls-crt-[0-9a-f]{8}$`).MatchString(got) {
		t.Errorf("childName(app-env, tls_crt) = %s, want a hash suffix", got)
	}
}

func TestPlanChildren(t *testing.T) {
	set := &secretsv1alpha1.NairiSecretSet{ObjectMeta: metav1.ObjectMeta{Name: "s"}}
	p := planChildren(set, []string{"tls.crt", "a-b", "a.b", "1x", "NAIRI_K", "ok"})
	envKeys := make([]string, 0, len(p.children))
	for _, c := range p.children {
		envKeys = append(envKeys, c.envKey+"="+c.key)
	}
	if got := strings.Join(envKeys, ","); got != "ok=ok,tls_crt=tls.crt" {
		t.Errorf("children = %s", got)
	}
	invalid := strings.Join(p.invalid, "\n")
	for _, want := range []string{`keys "a-b" and "a.b" all map to env key a_b`, `key "1x" would be env key 1x, which starts with a digit`,
		`key "NAIRI_K" would be env key NAIRI_K, which starts with NAIRI_`} {
		if !strings.Contains(invalid, want) {
			t.Errorf("invalid = %q, want %q", invalid, want)
		}
	}
	if !p.keep[childName("s", "a_b")] {
		t.Errorf("the child of a colliding env key must be kept, not deleted")
	}

	set.Spec.EnvKeyPrefix = "P_"
	set.Spec.Keys = []secretsv1alpha1.SetKey{{Key: "url", EnvKey: "DATABASE_URL"}, {Key: "1x"}}
	p = planChildren(set, []string{"url", "1x", "unlisted"})
	if len(p.invalid) != 0 || len(p.children) != 2 || p.children[0].envKey != "P_1x" || p.children[1].envKey != "P_DATABASE_URL" {
		t.Errorf("with prefix and keys: %+v", p)
	}
}
