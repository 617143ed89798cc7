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

package nairi_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// These tests run the client against the simulator over real HTTP.

func TestRoundTripAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	sim, c, vault := simulator(t)

	created, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{
		EnvKey: "DATABASE_URL", Value: "postgresql://one", AllowedDomains: []string{"*.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if created.EnvKey != "DATABASE_URL" || !slices.Equal(created.AllowedDomains, []string{"*.example.com"}) ||
		!created.CreatedAt.Equal(created.UpdatedAt) || len(created.ID) != 30 {
		t.Fatalf("created = %+v", created)
	}
	if v, _ := sim.Value(vault, created.ID); v != "postgresql://one" {
		t.Fatalf("stored value = %q", v)
	}
	if _, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: "OTHER", Value: "x"}); err != nil {
		t.Fatal(err)
	}

	list, err := c.ListSecrets(ctx, vault)
	if err != nil || len(list) != 2 || list[0].ID != created.ID || list[1].EnvKey != "OTHER" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if list[1].AllowedDomains == nil || len(list[1].AllowedDomains) != 0 {
		t.Errorf("unset domains = %#v, want []", list[1].AllowedDomains)
	}

	updated, err := c.UpdateSecret(ctx, vault, created.ID, nairi.UpdateSecretRequest{Value: new("postgresql://two")})
	if err != nil || !updated.UpdatedAt.After(created.UpdatedAt) || !updated.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("updated = %+v, %v; want updated_at after %v", updated, err, created.UpdatedAt)
	}
	if v, _ := sim.Value(vault, created.ID); v != "postgresql://two" {
		t.Fatalf("stored value = %q", v)
	}

	cleared, err := c.UpdateSecret(ctx, vault, created.ID, nairi.UpdateSecretRequest{SetAllowedDomains: true})
	if err != nil || len(cleared.AllowedDomains) != 0 || !cleared.UpdatedAt.After(updated.UpdatedAt) {
		t.Fatalf("cleared = %+v, %v", cleared, err)
	}

	if err := c.DeleteSecret(ctx, vault, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSecret(ctx, vault, created.ID); !nairi.IsNotFound(err) || nairi.IsVaultNotFound(err) {
		t.Fatalf("second delete: %v, want 404 secret not found", err)
	}
	if list, _ := c.ListSecrets(ctx, vault); len(list) != 1 {
		t.Fatalf("after delete: %+v", list)
	}
}

func TestUpdatedAtMovesOnlyOnRealChanges(t *testing.T) {
	ctx := context.Background()
	_, c, vault := simulator(t)
	s, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: "K", Value: "same", AllowedDomains: []string{"a.com"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		req     nairi.UpdateSecretRequest
		changes bool
	}{
		{"empty PATCH", nairi.UpdateSecretRequest{}, false},
		{"identical value", nairi.UpdateSecretRequest{Value: new("same")}, false},
		{"identical domains", nairi.UpdateSecretRequest{AllowedDomains: []string{"a.com"}, SetAllowedDomains: true}, false},
		{"new value", nairi.UpdateSecretRequest{Value: new("other")}, true},
		{"new domains", nairi.UpdateSecretRequest{AllowedDomains: []string{"b.com"}, SetAllowedDomains: true}, true},
		{"same again", nairi.UpdateSecretRequest{Value: new("other"), AllowedDomains: []string{"b.com"}, SetAllowedDomains: true}, false},
	}
	last := s.UpdatedAt
	for _, tt := range tests { // in order: each step starts from the previous state
		got, err := c.UpdateSecret(ctx, vault, s.ID, tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if moved := !got.UpdatedAt.Equal(last); moved != tt.changes || got.UpdatedAt.Before(last) {
			t.Errorf("%s: updated_at %v -> %v, want change=%v", tt.name, last, got.UpdatedAt, tt.changes)
		}
		last = got.UpdatedAt
	}
}

func TestDocumentedErrorsFromSimulator(t *testing.T) {
	ctx := context.Background()
	sim, c, vault := simulator(t)
	existing, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: "TAKEN", Value: "v"})
	if err != nil {
		t.Fatal(err)
	}
	const unknownVault = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	const unknownSecret = "sec_01KQ27AQH800XQTQPJZ0DH14SJ"
	tests := []struct {
		name        string
		call        func() error
		wantStatus  int
		wantMessage string
		is          func(error) bool
	}{
		{"create duplicate env_key", func() error {
			_, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: "TAKEN", Value: "v"})
			return err
		}, 400, "env_key already exists in this vault", nairi.IsEnvKeyExists},
		{"create empty value", func() error {
			_, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: "NEW"})
			return err
		}, 400, "value cannot be empty", nairi.IsEmptyValue},
		{"update empty value", func() error {
			_, err := c.UpdateSecret(ctx, vault, existing.ID, nairi.UpdateSecretRequest{Value: new("")})
			return err
		}, 400, "value cannot be empty", nairi.IsEmptyValue},
		{"create in unknown vault", func() error {
			_, err := c.CreateSecret(ctx, unknownVault, nairi.CreateSecretRequest{EnvKey: "A", Value: "v"})
			return err
		}, 404, "vault not found", nairi.IsVaultNotFound},
		{"list unknown vault", func() error {
			_, err := c.ListSecrets(ctx, unknownVault)
			return err
		}, 404, "vault not found", nairi.IsVaultNotFound},
		{"update in unknown vault", func() error {
			_, err := c.UpdateSecret(ctx, unknownVault, existing.ID, nairi.UpdateSecretRequest{})
			return err
		}, 404, "vault not found", nairi.IsVaultNotFound},
		{"delete in unknown vault", func() error {
			return c.DeleteSecret(ctx, unknownVault, existing.ID)
		}, 404, "vault not found", nairi.IsVaultNotFound},
		{"update unknown secret", func() error {
			_, err := c.UpdateSecret(ctx, vault, unknownSecret, nairi.UpdateSecretRequest{})
			return err
		}, 404, "secret not found", func(err error) bool { return nairi.IsNotFound(err) && !nairi.IsVaultNotFound(err) }},
		{"malformed vault id", func() error {
			_, err := c.ListSecrets(ctx, "vault-1")
			return err
		}, 400, "invalid vault id", func(err error) bool { return !nairi.IsRetryable(err) }},
		{"malformed secret id", func() error {
			return c.DeleteSecret(ctx, vault, "sec_nope")
		}, 400, "invalid secret id", func(err error) bool { return !nairi.IsRetryable(err) }},
		{"revoked key", func() error {
			sim.RevokeAPIKey(testKey)
			defer sim.AddAPIKey(testKey)
			_, err := c.ListSecrets(ctx, vault)
			return err
		}, 401, "unauthorized", nairi.IsUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr *nairi.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantStatus || apiErr.Message != tt.wantMessage {
				t.Fatalf("err = %v, want %d %q", err, tt.wantStatus, tt.wantMessage)
			}
			if !tt.is(err) {
				t.Errorf("classification helper says no for %v", err)
			}
		})
	}
	if n := sim.Count(http.MethodPost, nairi.RouteSecrets); n != 4 {
		t.Errorf("POST count = %d, want 4 (every create reached the simulator)", n)
	}
}
