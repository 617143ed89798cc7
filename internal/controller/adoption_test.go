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

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// TestDecideAdoption reads like DESIGN.md §4 step 6: a NairiSecret takes over a vault
// secret that already has its env key only in cases (a) to (d).
func TestDecideAdoption(t *testing.T) {
	mark := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	secret := func(id string, created time.Time) nairi.Secret { return nairi.Secret{ID: id, CreatedAt: created} }
	cases := []struct {
		name string
		in   adoption
		want string
	}{
		{"(a) mark from an earlier attempt, secret created after it: our lost POST",
			adoption{markedBefore: true, mark: mark, existing: secret("sec_1", mark.Add(time.Second))}, adoptLostAnswer},
		{"(a) within the clock allowance: created up to 2 minutes before the mark",
			adoption{markedBefore: true, mark: mark, existing: secret("sec_1", mark.Add(-2*time.Minute))}, adoptLostAnswer},
		{"(a) refused: the secret is older than the mark minus 2 minutes",
			adoption{markedBefore: true, mark: mark, existing: secret("sec_1", mark.Add(-2*time.Minute-time.Millisecond))}, ""},
		{"(a) refused: the previous attempt found this secret foreign (AlreadyExists)",
			adoption{markedBefore: true, judgedForeign: true, mark: mark, existing: secret("sec_1", mark.Add(-time.Second))}, ""},
		{"(a) refused: the mark was written by this very reconcile",
			adoption{markedBefore: false, mark: mark, existing: secret("sec_1", mark.Add(time.Second))}, ""},
		{"(b) the NairiVault says adoption: Allow",
			adoption{adoptionAllowed: true, existing: secret("sec_1", mark.Add(-time.Hour))}, adoptAllowed},
		{"(c) the object uses its own API key",
			adoption{ownKey: true, existing: secret("sec_1", mark.Add(-time.Hour))}, adoptOwnKey},
		{"(d) a conflict peer recorded this secret's id",
			adoption{peerIDs: []string{"sec_9", "sec_1"}, existing: secret("sec_1", mark.Add(-time.Hour))}, adoptPeer},
		{"refused: peers recorded other secrets",
			adoption{peerIDs: []string{"sec_9"}, existing: secret("sec_1", mark.Add(-time.Hour))}, ""},
		{"refused: made in the dashboard, by another cluster, or left by a Retain object",
			adoption{existing: secret("sec_1", mark.Add(-time.Hour))}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := decideAdoption(tc.in); got != tc.want {
				t.Fatalf("decideAdoption = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAlreadyExistsNamesTheWaysOutAndNoOtherNamespace(t *testing.T) {
	for _, g := range []grant{{vault: "shop-prod"}, {}} {
		f := alreadyExists(testObj, g)
		if f.reason != secretsv1alpha1.ReasonAlreadyExists || !f.stalled {
			t.Fatalf("got %+v", f)
		}
		for _, words := range []string{"delete it in Nairi", "adoption: Allow", "another spec.envKey", testObj.Spec.VaultID} {
			if !strings.Contains(f.message, words) {
				t.Errorf("message does not say %q: %s", words, f.message)
			}
		}
	}
}
