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
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// problem is one way the end state differs from the model; tags select the history that
// explains it.
type problem struct {
	Msg  string
	Tags []string
}

// checkCounts says how much the check covered.
type checkCounts struct {
	Objects, Keys, ExactKeys, LooseKeys, EmptyKeys, SeedKeys int
	// Reasons counts the live objects by Ready reason at the end.
	Reasons map[string]int `json:",omitempty"`
}

// world is the end state as read from the API server and the simulator.
type world struct {
	objects []secretsv1alpha1.NairiSecret
	secrets map[string]*corev1.Secret // "ns/name"
	vault   map[vk]nairi.Secret
	values  map[string]string // secret id → stored value
	// grants are the NairiVaults by vault id (v2).
	grants map[string]grantState
}

func (s *soak) readWorld(ctx context.Context) (*world, error) {
	w := &world{secrets: map[string]*corev1.Secret{}, vault: map[vk]nairi.Secret{}, values: map[string]string{}}
	var list secretsv1alpha1.NairiSecretList
	if err := s.c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("list NairiSecrets: %w", err)
	}
	w.objects = list.Items
	for _, ns := range s.namespaces {
		var sl corev1.SecretList
		if err := s.c.List(ctx, &sl, client.InNamespace(ns)); err != nil {
			return nil, fmt.Errorf("list Secrets: %w", err)
		}
		for i := range sl.Items {
			w.secrets[ns+"/"+sl.Items[i].Name] = &sl.Items[i]
		}
	}
	if s.model.v2 {
		grants, err := s.readGrants(ctx)
		if err != nil {
			return nil, err
		}
		w.grants = grants
	}
	for _, v := range s.vaults {
		for _, sec := range s.sim.Secrets(v) {
			w.vault[vk{v, sec.EnvKey}] = sec
			w.values[sec.ID], _ = s.sim.Value(v, sec.ID)
		}
	}
	return w, nil
}

// objKey names an object in the history.
func objKey(o *secretsv1alpha1.NairiSecret) string { return o.Namespace + "/" + o.Name }

// olderThan is the operator's conflict order (DESIGN.md §4 step 4).
func olderThan(a, b *secretsv1alpha1.NairiSecret) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// check compares the end state with the model and returns every difference.
func (s *soak) check(ctx context.Context) ([]problem, checkCounts, error) {
	w, err := s.readWorld(ctx)
	if err != nil {
		return nil, checkCounts{}, err
	}
	keys, deleted := s.model.snapshot()
	var problems []problem
	counts := checkCounts{Reasons: map[string]int{}}
	add := func(tags []string, format string, args ...any) {
		problems = append(problems, problem{Msg: fmt.Sprintf(format, args...), Tags: tags})
	}

	// Nothing deleted is left behind: no object hangs on its finalizer.
	live := map[vk][]*secretsv1alpha1.NairiSecret{}
	for i := range w.objects {
		o := &w.objects[i]
		if !o.DeletionTimestamp.IsZero() {
			add([]string{"obj:" + objKey(o), s.vkTag(vk{o.Spec.VaultID, o.Spec.EnvKey})},
				"%s is still being deleted (finalizers %v, Ready %s): its deletion hangs", objKey(o), o.Finalizers, readyOf(o))
			continue
		}
		if uid, ok := deleted[objKey(o)]; ok && uid == string(o.UID) {
			add([]string{"obj:" + objKey(o)}, "%s was deleted but still exists", objKey(o))
		}
		k := vk{o.Spec.VaultID, o.Spec.EnvKey}
		live[k] = append(live[k], o)
		counts.Objects++
		counts.Reasons[readyOf(o)]++
	}

	for vault, g := range w.grants {
		if g.ready != "True/Verified" {
			add([]string{"vault:" + s.label(vault)}, "NairiVault %s is Ready %s, not True/Verified", g.name, g.ready)
		}
	}

	all := map[vk]bool{}
	for k := range keys {
		all[k] = true
	}
	for k := range w.vault {
		all[k] = true
	}
	for k := range live {
		all[k] = true
	}
	ordered := make([]vk, 0, len(all))
	for k := range all {
		ordered = append(ordered, k)
	}
	slices.SortFunc(ordered, func(a, b vk) int { return strings.Compare(s.vkTag(a), s.vkTag(b)) })
	for _, k := range ordered {
		kh, known := keys[k]
		if !known {
			kh = keyHistory{}
		}
		counts.Keys++
		problems = append(problems, s.checkKey(k, kh, known, live[k], w, &counts)...)
	}
	return problems, counts, nil
}

// expectation is what one live object should say.
type expectation struct {
	reason string
	// alt is a second acceptable reason, when DESIGN.md allows either (AlreadyExists).
	alt    string
	active bool // it should hold the vault secret
}

// expect predicts an object's Ready reason. Order as in DESIGN.md §4: suspend, grant,
// conflict, then the source.
func (s *soak) expect(o *secretsv1alpha1.NairiSecret, owner bool, w *world) expectation {
	switch {
	case o.Spec.Suspend:
		return expectation{reason: secretsv1alpha1.ReasonSuspended}
	case !s.granted(o, w):
		return expectation{reason: reasonVaultNotAllowed}
	case !owner:
		return expectation{reason: secretsv1alpha1.ReasonConflict}
	}
	sec := w.secrets[o.Namespace+"/"+o.Spec.SecretRef.Name]
	switch {
	case sec == nil:
		return expectation{reason: secretsv1alpha1.ReasonSecretNotFound}
	case sec.Data[o.Spec.SecretRef.Key] == nil:
		if _, ok := sec.Data[o.Spec.SecretRef.Key]; !ok {
			return expectation{reason: secretsv1alpha1.ReasonSecretKeyNotFound}
		}
		return expectation{reason: secretsv1alpha1.ReasonEmptyValue}
	case len(sec.Data[o.Spec.SecretRef.Key]) == 0:
		return expectation{reason: secretsv1alpha1.ReasonEmptyValue}
	}
	return expectation{reason: secretsv1alpha1.ReasonSynced, active: true}
}

// checkKey checks one vault+env key: the objects claiming it and what the vault holds.
// It is the model's table of cases, read top to bottom, hence its length.
//
//nolint:gocyclo // one case per line of the table in the invariants
func (s *soak) checkKey(k vk, kh keyHistory, known bool, claims []*secretsv1alpha1.NairiSecret, w *world,
	counts *checkCounts) []problem {
	var problems []problem
	tags := make([]string, 0, 1+len(kh.claimants)+len(kh.refs))
	tags = append(tags, s.vkTag(k))
	for obj := range kh.claimants {
		tags = append(tags, "obj:"+obj)
	}
	for r := range kh.refs {
		tags = append(tags, "sec:"+r.NS+"/"+r.Secret)
	}
	add := func(format string, args ...any) {
		problems = append(problems, problem{Msg: s.vkTag(k) + ": " + fmt.Sprintf(format, args...), Tags: tags})
	}
	remote, has := w.vault[k]

	slices.SortFunc(claims, func(a, b *secretsv1alpha1.NairiSecret) int {
		if olderThan(a, b) {
			return -1
		}
		return 1
	})
	var active *secretsv1alpha1.NairiSecret
	alreadyExists := false
	for i, o := range claims {
		e := s.expect(o, i == 0, w)
		if e.active && kh.seed != nil && !kh.adoptable || e.active && s.model.v2 && len(kh.loose) > 0 {
			// A secret the object may not have created is there: v2 refuses to take it over
			// unless adoption is allowed or the create-intent window says it may be its own.
			e.alt = reasonAlreadyExists
		}
		got := readyOf(o)
		if got != e.reason && (e.alt == "" || got != e.alt) {
			want := e.reason
			if e.alt != "" {
				want += " or " + e.alt
			}
			add("%s is Ready=%s, the model says %s", objKey(o), got, want)
			continue
		}
		if e.reason == secretsv1alpha1.ReasonSynced && o.Status.ObservedGeneration != o.Generation {
			add("%s is Synced for generation %d but is at %d", objKey(o), o.Status.ObservedGeneration, o.Generation)
		}
		if e.active && got == secretsv1alpha1.ReasonSynced {
			active = o
		}
		if e.active && got == reasonAlreadyExists {
			alreadyExists = true
		}
	}

	seedIntact := func() {
		switch {
		case !has:
			add("the human-made vault secret %s is gone", kh.seed.ID)
		case remote.ID != kh.seed.ID || !remote.UpdatedAt.Equal(kh.seed.UpdatedAt) || w.values[remote.ID] != kh.seedValue:
			add("the human-made vault secret %s was modified (now %s, updated %s) although adoption was never allowed",
				kh.seed.ID, remote.ID, remote.UpdatedAt.Format("15:04:05.000"))
		}
	}
	switch {
	case active != nil:
		counts.ExactKeys++
		current := string(w.secrets[active.Namespace+"/"+active.Spec.SecretRef.Name].Data[active.Spec.SecretRef.Key])
		switch {
		case !has:
			add("%s is Synced but the vault has no secret under the key", objKey(active))
		case remote.ID != active.Status.SecretID:
			add("%s records %s but the vault holds %s", objKey(active), active.Status.SecretID, remote.ID)
		case w.values[remote.ID] != current:
			add("%s is Synced but the vault holds another value (%s)", objKey(active), s.describeValue(k, w.values[remote.ID]))
		case !sameSet(remote.AllowedDomains, domainStrings(active.Spec.AllowedDomains)):
			add("%s is Synced but the vault's domains are %v, the spec's %v", objKey(active), remote.AllowedDomains,
				active.Spec.AllowedDomains)
		}
	case kh.seed != nil && !kh.adoptable:
		counts.SeedKeys++
		seedIntact()
	case alreadyExists:
		counts.LooseKeys++
		if !has {
			add("the owner says AlreadyExists but the vault has no secret under the key")
		}
	case !known || len(kh.claimants) == 0:
		counts.EmptyKeys++
		if has {
			add("the vault holds %s, which no object ever claimed", remote.ID)
		}
	case len(kh.loose) > 0 || len(claims) > 0 || kh.seed != nil:
		counts.LooseKeys++
		if has && !s.model.everValue(k, w.values[remote.ID]) {
			add("the vault holds %s with a value nobody ever wrote for the key (%s)", remote.ID,
				s.describeValue(k, w.values[remote.ID]))
		}
	default:
		counts.EmptyKeys++
		if has {
			add("the vault still holds %s although every object claiming the key was deleted with deletionPolicy "+
				"Delete (%s)", remote.ID, s.describeValue(k, w.values[remote.ID]))
		}
	}
	return problems
}

// describeValue says where a value came from without printing it (values are canaries).
func (s *soak) describeValue(k vk, value string) string {
	if s.model.everValue(k, value) {
		return "an older value of the key"
	}
	return "a value never written for the key"
}

func readyOf(o *secretsv1alpha1.NairiSecret) string {
	c := meta.FindStatusCondition(o.Status.Conditions, secretsv1alpha1.ConditionReady)
	switch {
	case c == nil:
		return "<none>"
	case c.Status == metav1.ConditionTrue:
		return c.Reason
	}
	return c.Reason
}

func domainStrings(ds []secretsv1alpha1.DomainPattern) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
