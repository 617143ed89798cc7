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

package nairi

import (
	"context"
	"net/http"
	"time"
)

// Secret is a vault secret as the API returns it. The API never returns the
// value (nairi-api.md §1.7), so neither does this type.
type Secret struct {
	ID             string    `json:"id"`
	EnvKey         string    `json:"env_key"`
	AllowedDomains []string  `json:"allowed_domains"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// CreateSecretRequest is the body of a create. An empty AllowedDomains means
// "no domain restriction" and is sent as [], never null.
type CreateSecretRequest struct {
	EnvKey         string
	Value          string
	AllowedDomains []string
}

// UpdateSecretRequest is a partial update: only the fields that are set are
// sent, so an empty request is the API's documented no-op `{}`.
type UpdateSecretRequest struct {
	// Value, when non-nil, replaces the secret's value.
	Value *string
	// AllowedDomains replaces the domain list when SetAllowedDomains is true;
	// nil is then sent as [] (no restriction), never as null.
	AllowedDomains    []string
	SetAllowedDomains bool
}

// createBody and updateBody are the JSON shapes sent to the API; keeping them
// apart from the request types keeps the encoding rules (never null, omit
// what is unset) in one place.
type createBody struct {
	EnvKey         string   `json:"env_key"`
	Value          string   `json:"value"`
	AllowedDomains []string `json:"allowed_domains"`
}

type updateBody struct {
	Value          *string   `json:"value,omitempty"`
	AllowedDomains *[]string `json:"allowed_domains,omitempty"`
}

// CreateSecret creates a secret in a vault (POST /vaults/{vault_id}/secrets).
// A duplicate env_key fails with an error for which IsEnvKeyExists is true.
func (c *Client) CreateSecret(ctx context.Context, vaultID string, req CreateSecretRequest) (*Secret, error) {
	const method, route = http.MethodPost, RouteSecrets
	if err := checkIDs(method, route, vaultID); err != nil {
		return nil, err
	}
	body := createBody{EnvKey: req.EnvKey, Value: req.Value, AllowedDomains: nonNil(req.AllowedDomains)}
	rep, err := c.do(ctx, method, route, vaultPath(vaultID), body, req.Value)
	if err != nil {
		return nil, err
	}
	return decodeReply(method, route, rep)
}

// ListSecrets returns every secret of a vault (GET /vaults/{vault_id}/secrets)
// in the API's order. The API documents a bare array; a paginated response
// is an error rather than a silently truncated list.
func (c *Client) ListSecrets(ctx context.Context, vaultID string) ([]Secret, error) {
	const method, route = http.MethodGet, RouteSecrets
	if err := checkIDs(method, route, vaultID); err != nil {
		return nil, err
	}
	rep, err := c.do(ctx, method, route, vaultPath(vaultID), nil)
	if err != nil {
		return nil, err
	}
	list, err := decodeSecretList(rep.body)
	if err != nil {
		return nil, malformed(method, route, rep, err.Error())
	}
	return list, nil
}

// UpdateSecret changes a secret's value and/or allowed domains
// (PATCH /vaults/{vault_id}/secrets/{secret_id}) and returns the secret as
// the API returns it afterwards.
func (c *Client) UpdateSecret(ctx context.Context, vaultID, secretID string, req UpdateSecretRequest) (*Secret, error) {
	const method, route = http.MethodPatch, RouteSecret
	if err := checkIDs(method, route, vaultID, secretID); err != nil {
		return nil, err
	}
	body := updateBody{Value: req.Value}
	var sensitive []string
	if req.Value != nil {
		sensitive = append(sensitive, *req.Value)
	}
	if req.SetAllowedDomains {
		domains := nonNil(req.AllowedDomains)
		body.AllowedDomains = &domains
	}
	rep, err := c.do(ctx, method, route, secretPath(vaultID, secretID), body, sensitive...)
	if err != nil {
		return nil, err
	}
	return decodeReply(method, route, rep)
}

// DeleteSecret deletes a secret (DELETE /vaults/{vault_id}/secrets/{secret_id}).
// Any 2xx is success. A secret that is already gone fails with an error for
// which IsNotFound is true; a finalizer may count that as done.
func (c *Client) DeleteSecret(ctx context.Context, vaultID, secretID string) error {
	const method, route = http.MethodDelete, RouteSecret
	if err := checkIDs(method, route, vaultID, secretID); err != nil {
		return err
	}
	_, err := c.do(ctx, method, route, secretPath(vaultID, secretID), nil)
	return err
}

// decodeReply decodes the single secret a create or update returns.
func decodeReply(method, route string, rep reply) (*Secret, error) {
	s, err := decodeSecret(rep.body)
	if err != nil {
		return nil, malformed(method, route, rep, err.Error())
	}
	return s, nil
}

// nonNil turns nil into an empty list, because the API reads [] as "no
// restriction" while null is undocumented.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
