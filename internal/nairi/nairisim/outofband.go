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

package nairisim

import (
	"fmt"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// Out-of-band changes stand for someone using the dashboard or another
// integration: they change the vault without going through the HTTP API, so
// they are not in the request log and ignore faults, keys and rate limits.
// They panic on an unknown vault: that is a bug in the test, not a state
// the API can be in.

// Seed creates a secret directly and returns it as the API would show it. It
// panics on an unknown vault or a taken env_key.
func (s *Server) Seed(vaultID, envKey, value string, domains []string) nairi.Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.mustVaultLocked(vaultID)
	if v.findEnvKey(envKey) != nil {
		panic(fmt.Sprintf("nairisim: Seed: env_key %q already exists in vault %s", envKey, vaultID))
	}
	return s.insertLocked(v, envKey, value, domains).public()
}

// SeedAt is Seed with created_at and updated_at set to at (truncated to
// milliseconds): a secret made long ago, e.g. in the dashboard before an
// operator's create-intent mark. It panics like Seed.
func (s *Server) SeedAt(vaultID, envKey, value string, domains []string, at time.Time) nairi.Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.mustVaultLocked(vaultID)
	if v.findEnvKey(envKey) != nil {
		panic(fmt.Sprintf("nairisim: SeedAt: env_key %q already exists in vault %s", envKey, vaultID))
	}
	rec := s.insertLocked(v, envKey, value, domains)
	rec.created = at.UTC().Truncate(time.Millisecond)
	rec.updated = rec.created
	return rec.public()
}

// DeleteOutOfBand deletes a secret directly; an unknown secret is ignored.
func (s *Server) DeleteOutOfBand(vaultID, secretID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.mustVaultLocked(vaultID)
	if i, rec := v.find(secretID); rec != nil {
		v.secrets = append(v.secrets[:i], v.secrets[i+1:]...)
	}
}

// ChangeOutOfBand sets a secret's value (when value is non-nil) and domains
// (when domains is non-nil) directly, and always bumps updated_at, so a test
// gets a drift signal even when it rewrites the same data. It panics on an
// unknown secret.
func (s *Server) ChangeOutOfBand(vaultID, secretID string, value *string, domains []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rec := s.mustVaultLocked(vaultID).find(secretID)
	if rec == nil {
		panic(fmt.Sprintf("nairisim: ChangeOutOfBand: no secret %s in vault %s", secretID, vaultID))
	}
	if value != nil {
		rec.value = *value
	}
	if domains != nil {
		rec.domains = append([]string{}, domains...)
	}
	rec.updated = s.stampLocked()
}

// Value returns the stored value of a secret — what the API never returns —
// and whether the secret exists.
func (s *Server) Value(vaultID, secretID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vaults[vaultID]
	if v == nil {
		return "", false
	}
	_, rec := v.find(secretID)
	if rec == nil {
		return "", false
	}
	return rec.value, true
}

// Secrets returns a vault's secrets as List would, in creation order; nil for
// an unknown vault.
func (s *Server) Secrets(vaultID string) []nairi.Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vaults[vaultID]
	if v == nil {
		return nil
	}
	out := make([]nairi.Secret, 0, len(v.secrets))
	for _, rec := range v.secrets {
		out = append(out, rec.public())
	}
	return out
}

func (s *Server) mustVaultLocked(vaultID string) *vault {
	v := s.vaults[vaultID]
	if v == nil {
		panic(fmt.Sprintf("nairisim: unknown vault %s", vaultID))
	}
	return v
}
