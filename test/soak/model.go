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
	"maps"
	"slices"
	"sync"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// vk is a vault secret's identity as the operator sees it: vault and env key.
type vk struct{ Vault, EnvKey string }

// ref is one key of one Secret: where a NairiSecret reads its value.
type ref struct{ NS, Secret, Key string }

// keyHistory is what the history did to one vault+env key. The end state of the cluster
// (which objects live, their specs, the Secrets' data) is read from the API server at the
// end; what only the history knows is kept here.
type keyHistory struct {
	// claimants are the NairiSecrets ("ns/name") that ever claimed this key.
	claimants map[string]bool
	// refs are the Secret keys any claimant ever read its value from.
	refs map[ref]bool
	// remote are the values set behind the operator's back.
	remote map[string]bool
	// loose says why, with no live object to own it, the vault may still hold a secret
	// under this key (empty: it must hold none). DESIGN.md allows a kept secret after a
	// Retain deletion, and after the deletion of an object while another claimed the same
	// key (a Conflict loser never sends a DELETE, §4 step 4).
	loose []string
	// seed is the human-made secret the run began with, if any.
	seed      *nairi.Secret
	seedValue string
	// adoptable says the operator may take the seed over (DESIGN.md §4 step 6).
	adoptable bool
}

// model is the history's account of the world, for the check at the end.
type model struct {
	// v2 is true once the tree has NairiVault (DESIGN.md v2: adoption rules, grants).
	v2 bool

	mu   sync.Mutex
	keys map[vk]*keyHistory
	// values are every value ever written to a Secret key.
	values map[ref]map[string]bool
	// deleted are the objects the driver deleted ("ns/name" → UID) and must be gone.
	deleted map[string]string
	// adoption are the vaults whose NairiVault said adoption: Allow at some point.
	adoption map[string]bool
}

func newModel(v2 bool) *model {
	return &model{v2: v2, keys: map[vk]*keyHistory{}, values: map[ref]map[string]bool{}, deleted: map[string]string{},
		adoption: map[string]bool{}}
}

func (m *model) keyLocked(k vk) *keyHistory {
	kh := m.keys[k]
	if kh == nil {
		kh = &keyHistory{claimants: map[string]bool{}, refs: map[ref]bool{}, remote: map[string]bool{}}
		m.keys[k] = kh
	}
	return kh
}

// seeded records a human-made vault secret.
func (m *model) seeded(k vk, s nairi.Secret, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kh := m.keyLocked(k)
	kh.seed, kh.seedValue = &s, value
}

// claimed records an object claiming k with its value from r. In v1 any claim may adopt
// a seed; in v2 only while the vault's NairiVault allows adoption (allowAdoption).
func (m *model) claimed(k vk, obj string, r ref) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kh := m.keyLocked(k)
	kh.claimants[obj] = true
	kh.refs[r] = true
	if !m.v2 || m.adoption[k.Vault] {
		kh.adoptable = true
	}
}

// allowAdoption records that vault's NairiVault allows adoption (from now on, or again):
// every key of the vault with a claimant may take its secret over.
func (m *model) allowAdoption(vault string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.adoption[vault] = true
	for k, kh := range m.keys {
		if k.Vault == vault && len(kh.claimants) > 0 {
			kh.adoptable = true
		}
	}
}

// released records the deletion of a claimant of k; others are the claimants left.
func (m *model) released(k vk, obj, uid string, everRetain bool, others int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kh := m.keyLocked(k)
	if everRetain {
		kh.loose = append(kh.loose, obj+" was deleted with deletionPolicy Retain")
	}
	if others > 0 {
		kh.loose = append(kh.loose, obj+" was deleted while another object claimed the key")
	}
	m.deleted[obj] = uid
}

// recreated forgets an earlier deletion of a name the driver uses again.
func (m *model) recreated(obj string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.deleted, obj)
}

// wrote records a value written (or maybe written) to a Secret key.
func (m *model) wrote(r ref, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values[r] == nil {
		m.values[r] = map[string]bool{}
	}
	m.values[r][value] = true
}

// remoteChange records a value set behind the operator's back.
func (m *model) remoteChange(k vk, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keyLocked(k).remote[value] = true
}

// everValue says whether value was ever meant for k: written to a Secret key a claimant
// read, set remotely, or the seed's.
func (m *model) everValue(k vk, value string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	kh := m.keys[k]
	if kh == nil {
		return false
	}
	if kh.remote[value] || (kh.seed != nil && kh.seedValue == value) {
		return true
	}
	for r := range kh.refs {
		if m.values[r][value] {
			return true
		}
	}
	return false
}

func (m *model) snapshot() (map[vk]keyHistory, map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[vk]keyHistory, len(m.keys))
	for k, kh := range m.keys {
		out[k] = keyHistory{claimants: maps.Clone(kh.claimants), refs: maps.Clone(kh.refs), remote: maps.Clone(kh.remote),
			loose: slices.Clone(kh.loose), seed: kh.seed, seedValue: kh.seedValue, adoptable: kh.adoptable}
	}
	return out, maps.Clone(m.deleted)
}
