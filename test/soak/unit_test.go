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

package soak

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

func TestParseSeeds(t *testing.T) {
	got, err := parseSeeds("7, date", time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC))
	if err != nil || len(got) != 2 || got[0] != 7 || got[1] != 20261204 {
		t.Errorf("parseSeeds = %v, %v; want [7 20261204]", got, err)
	}
	if _, err := parseSeeds("yesterday", time.Now()); err == nil {
		t.Error("a seed that is neither a number nor date was accepted")
	}
}

// The leak detector finds a value inside longer hex text and in part, and never reports
// hex that is not a value (digests, UIDs).
func TestCanariesFindValuesAndOnlyValues(t *testing.T) {
	var c canaries
	c.add("0123456789abcdef01234567")
	for _, leak := range []string{
		`msg="wrote 0123456789abcdef01234567"`,
		`"value":"ff0123456789abcdef0"`, // a 12-digit run inside other hex
		`error: 89abcdef01234567 rejected`,
	} {
		if c.find(leak) == "" {
			t.Errorf("no leak found in %q", leak)
		}
	}
	notValues := `digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ` +
		`uid 1b4e28ba-2fa1-11d2-883f-0016d3cca427`
	if got := c.find(notValues); got != "" {
		t.Errorf("false leak: %q", got)
	}
	if got := c.find("0123456789abcdef01234567"); got == "" || got != "<value>" {
		t.Errorf("the report must hide the value, got %q", got)
	}
}

// The check must be able to fail: each broken end state below is caught, and the healthy
// one passes.
func TestCheckKeyCatchesBrokenEndStates(t *testing.T) {
	const vault = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	k := vk{vault, "SOAK_K01"}
	r := ref{"soak-a", "src-0", "k0"}
	owner := func(reason string) *secretsv1alpha1.NairiSecret {
		o := &secretsv1alpha1.NairiSecret{
			ObjectMeta: metav1.ObjectMeta{Namespace: "soak-a", Name: "obj-01", Generation: 1},
			Spec: secretsv1alpha1.NairiSecretSpec{VaultID: vault, EnvKey: k.EnvKey,
				SecretRef: secretsv1alpha1.SourceSecretRef{Name: r.Secret, Key: r.Key}},
			Status: secretsv1alpha1.NairiSecretStatus{SecretID: "sec_1", ObservedGeneration: 1},
		}
		meta.SetStatusCondition(&o.Status.Conditions, metav1.Condition{Type: secretsv1alpha1.ConditionReady,
			Status: metav1.ConditionTrue, Reason: reason})
		return o
	}
	world := func(vaultValue string) *world {
		w := &world{secrets: map[string]*corev1.Secret{"soak-a/src-0": {Data: map[string][]byte{"k0": []byte("current")}}},
			vault: map[vk]nairi.Secret{}, values: map[string]string{}}
		if vaultValue != "" {
			w.vault[k] = nairi.Secret{ID: "sec_1", EnvKey: k.EnvKey, AllowedDomains: []string{}}
			w.values["sec_1"] = vaultValue
		}
		return w
	}
	newSoak := func() *soak {
		s := &soak{labels: map[string]string{vault: "A"}, model: newModel(false)}
		s.model.claimed(k, "soak-a/obj-01", r)
		s.model.wrote(r, "older")
		s.model.wrote(r, "current")
		return s
	}
	cases := []struct {
		name     string
		claims   []*secretsv1alpha1.NairiSecret
		vault    string
		released bool
		problems int
	}{
		{"a Synced owner and the current value", []*secretsv1alpha1.NairiSecret{owner("Synced")}, "current", false, 0},
		{"a Synced owner but an old value in the vault", []*secretsv1alpha1.NairiSecret{owner("Synced")}, "older", false, 1},
		{"a Synced owner but nothing in the vault", []*secretsv1alpha1.NairiSecret{owner("Synced")}, "", false, 1},
		{"an owner stuck in APIUnavailable", []*secretsv1alpha1.NairiSecret{owner("APIUnavailable")}, "current", false, 1},
		{"every claimant deleted, nothing left", nil, "", true, 0},
		{"every claimant deleted, an orphan left", nil, "current", true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSoak()
			if tc.released {
				s.model.released(k, "soak-a/obj-01", "uid", false, 0)
			}
			keys, _ := s.model.snapshot()
			var counts checkCounts
			got := s.checkKey(k, keys[k], true, tc.claims, world(tc.vault), &counts)
			if len(got) != tc.problems {
				t.Errorf("problems = %v, want %d", got, tc.problems)
			}
		})
	}
}
