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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// TestResolveGrant reads like DESIGN.md §2.2: which key a NairiSecret in namespace "shop"
// may write to its vault with, and whether it may take over secrets it did not create.
func TestResolveGrant(t *testing.T) {
	const vault = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	own := &secretsv1alpha1.SecretKeySelector{Name: "nairi-key", Key: "apiKey"}
	vaultKey := &secretsv1alpha1.SecretKeySelector{Name: "nairi-shop-key", Key: "apiKey"}
	nv := func(name string, age int64, mutate func(*secretsv1alpha1.NairiVault)) secretsv1alpha1.NairiVault {
		v := secretsv1alpha1.NairiVault{
			ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.Unix(1000-age, 0)},
			Spec:       secretsv1alpha1.NairiVaultSpec{VaultID: vault, Adoption: secretsv1alpha1.AdoptionDeny},
		}
		mutate(&v)
		return v
	}
	listing := func(ns ...string) func(*secretsv1alpha1.NairiVault) {
		return func(v *secretsv1alpha1.NairiVault) { v.Spec.Namespaces = ns }
	}
	selecting := func(sel *secretsv1alpha1.NamespaceSelector) func(*secretsv1alpha1.NairiVault) {
		return func(v *secretsv1alpha1.NairiVault) { v.Spec.NamespaceSelector = sel }
	}
	team := map[string]string{"team": "shop"}

	cases := []struct {
		name         string
		ownKey       bool
		nsLabels     map[string]string
		vaults       []secretsv1alpha1.NairiVault
		requireGrant bool
		// want: "" for VaultNotAllowed, else the key: "own", "operator", or "vault".
		want      string
		wantVault string
		mayAdopt  bool
	}{
		{name: "own apiKeySecretRef needs no NairiVault; the key is its authority (c)",
			ownKey: true, requireGrant: true, want: "own", mayAdopt: true},
		{name: "own apiKeySecretRef wins over a NairiVault that allows the namespace",
			ownKey: true, vaults: []secretsv1alpha1.NairiVault{nv("shop", 10, listing("shop"))}, requireGrant: true,
			want: "own", mayAdopt: true},
		{name: "namespace listed: the operator's key",
			vaults: []secretsv1alpha1.NairiVault{nv("shop", 10, listing("other", "shop"))}, requireGrant: true,
			want: "operator", wantVault: "shop"},
		{name: "namespace matched by the selector",
			nsLabels: team, vaults: []secretsv1alpha1.NairiVault{nv("shop", 10, selecting(&secretsv1alpha1.NamespaceSelector{MatchLabels: map[string]secretsv1alpha1.LabelValue{"team": "shop"}}))},
			requireGrant: true, want: "operator", wantVault: "shop"},
		{name: "selector {} matches every namespace",
			vaults:       []secretsv1alpha1.NairiVault{nv("all", 10, selecting(&secretsv1alpha1.NamespaceSelector{}))},
			requireGrant: true, want: "operator", wantVault: "all"},
		{name: "selector that does not match and namespace not listed: not allowed",
			nsLabels:     map[string]string{"team": "ads"},
			vaults:       []secretsv1alpha1.NairiVault{nv("shop", 10, selecting(&secretsv1alpha1.NamespaceSelector{MatchLabels: map[string]secretsv1alpha1.LabelValue{"team": "shop"}}))},
			requireGrant: true},
		{name: "neither namespaces nor selector: no namespace is allowed",
			nsLabels: team, vaults: []secretsv1alpha1.NairiVault{nv("none", 10, func(*secretsv1alpha1.NairiVault) {})},
			requireGrant: true},
		{name: "no NairiVault: VaultNotAllowed", requireGrant: true},
		{name: "no NairiVault, --require-vault-grant=false: the operator's key, no adoption",
			requireGrant: false, want: "operator"},
		{name: "NairiVault with its own key Secret: that key, from the operator's namespace",
			vaults: []secretsv1alpha1.NairiVault{nv("shop", 10, func(v *secretsv1alpha1.NairiVault) {
				v.Spec.Namespaces = []string{"shop"}
				v.Spec.APIKeySecretRef = vaultKey
			})}, requireGrant: true, want: "vault", wantVault: "shop"},
		{name: "adoption: Allow lets the object adopt (b)",
			vaults: []secretsv1alpha1.NairiVault{nv("shop", 10, func(v *secretsv1alpha1.NairiVault) {
				v.Spec.Namespaces = []string{"shop"}
				v.Spec.Adoption = secretsv1alpha1.AdoptionAllow
			})}, requireGrant: true, want: "operator", wantVault: "shop", mayAdopt: true},
		{name: "two NairiVaults of one vault: the oldest decides, the younger grants nothing",
			vaults: []secretsv1alpha1.NairiVault{
				nv("younger-allows", 5, listing("shop")),
				nv("older-denies", 10, listing("other")),
			}, requireGrant: true},
		{name: "two NairiVaults created in the same second: ordered by name",
			vaults: []secretsv1alpha1.NairiVault{
				nv("b-allows", 10, listing("shop")),
				nv("a-denies", 10, listing("other")),
			}, requireGrant: true},
		{name: "a NairiVault being deleted grants nothing",
			vaults: []secretsv1alpha1.NairiVault{nv("gone", 10, func(v *secretsv1alpha1.NairiVault) {
				v.Spec.Namespaces = []string{"shop"}
				v.DeletionTimestamp = &metav1.Time{Time: time.Unix(2000, 0)}
			})}, requireGrant: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := testObj.DeepCopy()
			if tc.ownKey {
				obj.Spec.APIKeySecretRef = own
			}
			g, f := resolveGrant(obj, tc.nsLabels, tc.vaults, tc.requireGrant, "nairi-system")
			if tc.want == "" {
				if f == nil || f.reason != secretsv1alpha1.ReasonVaultNotAllowed || !f.stalled {
					t.Fatalf("want VaultNotAllowed, Stalled; got %+v %+v", g, f)
				}
				for _, words := range []string{"namespace shop", vault, "spec.namespaces", "spec.namespaceSelector"} {
					if !strings.Contains(f.message, words) {
						t.Errorf("message does not say %q: %s", words, f.message)
					}
				}
				return
			}
			if f != nil {
				t.Fatalf("want a grant, got %s: %s", f.reason, f.message)
			}
			var key string
			switch {
			case g.key.ref == nil:
				key = "operator"
			case g.key.ref == own && g.key.namespace == "shop":
				key = "own"
			case g.key.ref == vaultKey && g.key.namespace == "nairi-system":
				key = "vault"
			}
			if key != tc.want || g.vault != tc.wantVault || (g.ownKey || g.adoptionAllowed) != tc.mayAdopt {
				t.Fatalf("got key %q vault %q ownKey %v adoptionAllowed %v; want key %q vault %q mayAdopt %v",
					key, g.vault, g.ownKey, g.adoptionAllowed, tc.want, tc.wantVault, tc.mayAdopt)
			}
		})
	}
}
