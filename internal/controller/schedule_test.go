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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

func TestFirstChecksAfterARestartAreSpreadPerVaultAndShareItsList(t *testing.T) {
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	s := newCheckSchedule(start)
	obj := func(name, vault string) *secretsv1alpha1.NairiSecret {
		o := testObj.DeepCopy()
		o.Name, o.Spec.VaultID = name, vault
		return o
	}
	const interval = time.Hour
	firsts := map[time.Time]bool{}
	for v := range 20 {
		vault := "vlt_" + string(rune('A'+v))
		a, b := s.due(obj("a", vault), interval), s.due(obj("b", vault), interval)
		if !a.Equal(b) {
			t.Fatalf("two objects of vault %s are first checked at %v and %v: they would not share a List", vault, a, b)
		}
		if a.Before(start) || !a.Before(start.Add(interval)) {
			t.Fatalf("first check %v is outside the first period after the start %v", a, start)
		}
		firsts[a] = true
	}
	if len(firsts) < 15 {
		t.Fatalf("20 vaults got only %d distinct first-check times: the restart is not spread", len(firsts))
	}

	// After a check, the next one is a period after the List that served it, for every
	// object that List served.
	listed := start.Add(10 * time.Minute)
	s.checked(obj("a", "vlt_A"), listed, interval)
	s.checked(obj("b", "vlt_A"), listed, interval)
	if a, b := s.due(obj("a", "vlt_A"), interval), s.due(obj("b", "vlt_A"), interval); !a.Equal(listed.Add(interval)) || !a.Equal(b) {
		t.Fatalf("next checks %v and %v, want both %v", a, b, listed.Add(interval))
	}
}

func TestUnchangedNeedsSyncedAtTheGenerationWithTheSameVersions(t *testing.T) {
	synced := testObj.DeepCopy()
	synced.Generation = 3
	synced.Status = secretsv1alpha1.NairiSecretStatus{SecretID: "sec_1", SyncedDigest: DigestPrefix + "x",
		ObservedGeneration: 3,
		SyncedFrom:         &secretsv1alpha1.SyncedFrom{SecretResourceVersion: "10", Generation: 3},
		Conditions: []metav1.Condition{{Type: secretsv1alpha1.ConditionReady, Status: metav1.ConditionTrue,
			Reason: secretsv1alpha1.ReasonSynced, ObservedGeneration: 3}}}
	now := secretsv1alpha1.SyncedFrom{SecretResourceVersion: "10", Generation: 3}
	if !unchanged(synced, now) {
		t.Fatal("a synced object with the same versions must be unchanged")
	}
	for name, mutate := range map[string]func(o *secretsv1alpha1.NairiSecret, v *secretsv1alpha1.SyncedFrom){
		"the Secret changed": func(_ *secretsv1alpha1.NairiSecret, v *secretsv1alpha1.SyncedFrom) { v.SecretResourceVersion = "11" },
		"the key Secret changed": func(_ *secretsv1alpha1.NairiSecret, v *secretsv1alpha1.SyncedFrom) {
			v.APIKeySecretResourceVersion = "5"
		},
		"the cache lacks the Secret": func(o *secretsv1alpha1.NairiSecret, v *secretsv1alpha1.SyncedFrom) {
			v.SecretResourceVersion = ""
			o.Status.SyncedFrom.SecretResourceVersion = ""
		},
		"the spec changed": func(o *secretsv1alpha1.NairiSecret, v *secretsv1alpha1.SyncedFrom) { o.Generation, v.Generation = 4, 4 },
		"it is not Ready": func(o *secretsv1alpha1.NairiSecret, _ *secretsv1alpha1.SyncedFrom) {
			o.Status.Conditions[0].Status = metav1.ConditionFalse
		},
		"nothing was recorded":        func(o *secretsv1alpha1.NairiSecret, _ *secretsv1alpha1.SyncedFrom) { o.Status.SyncedFrom = nil },
		"it lost its vault secret id": func(o *secretsv1alpha1.NairiSecret, _ *secretsv1alpha1.SyncedFrom) { o.Status.SecretID = "" },
		"its digest is of an older format": func(o *secretsv1alpha1.NairiSecret, _ *secretsv1alpha1.SyncedFrom) {
			o.Status.SyncedDigest = "hmac-sha256:x"
		},
	} {
		o, v := synced.DeepCopy(), now
		mutate(o, &v)
		if unchanged(o, v) {
			t.Errorf("%s: unchanged, want a full sync", name)
		}
	}
}
