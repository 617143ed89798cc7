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
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// classification is what a caller can learn from an error through the
// exported helpers.
type classification struct {
	notFound, vaultNotFound, envKeyExists, emptyValue, unauthorized, rateLimited, retryable bool
}

func classify(err error) classification {
	_, limited := nairi.IsRateLimited(err)
	return classification{
		notFound:      nairi.IsNotFound(err),
		vaultNotFound: nairi.IsVaultNotFound(err),
		envKeyExists:  nairi.IsEnvKeyExists(err),
		emptyValue:    nairi.IsEmptyValue(err),
		unauthorized:  nairi.IsUnauthorized(err),
		rateLimited:   limited,
		retryable:     nairi.IsRetryable(err),
	}
}

func TestErrorResponsesAreClassifiedWithCleanMessages(t *testing.T) {
	retryAt := time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantStatus  int
		wantMessage string
		want        classification
		retryAfter  func(time.Duration) bool
	}{
		{"400 env_key exists", respond(400, `{"error":"env_key already exists in this vault"}`),
			400, "env_key already exists in this vault", classification{envKeyExists: true}, nil},
		{"400 empty value", respond(400, `{"error":"value cannot be empty"}`),
			400, "value cannot be empty", classification{emptyValue: true}, nil},
		{"400 anything else is terminal", respond(400, `{"error":"invalid vault id"}`),
			400, "invalid vault id", classification{}, nil},
		{"401", respond(401, `{"error":"unauthorized"}`),
			401, "unauthorized", classification{unauthorized: true}, nil},
		{"404 vault", respond(404, `{"error":"vault not found"}`),
			404, "vault not found", classification{notFound: true, vaultNotFound: true}, nil},
		{"404 secret", respond(404, `{"error":"secret not found"}`),
			404, "secret not found", classification{notFound: true}, nil},
		{"404 HTML page is not the API's: retryable, not found", respond(404, `<html>Not Found</html>`, "Content-Type", "text/html"),
			404, "unexpected response (HTTP 404, text/html): the answer did not come from the Nairi API (check --nairi-api-url)",
			classification{retryable: true}, nil},
		{"404 empty body is not the API's", respond(404, ``),
			404, "unexpected response (HTTP 404): the answer did not come from the Nairi API (check --nairi-api-url)",
			classification{retryable: true}, nil},
		{"404 JSON of another shape is not the API's", respond(404, `{"message":"no route"}`, "Content-Type", "application/json"),
			404, "unexpected response (HTTP 404, application/json): the answer did not come from the Nairi API (check --nairi-api-url)",
			classification{retryable: true}, nil},
		{"429 Retry-After seconds", respond(429, `{"error":"slow down"}`, "Retry-After", "7"),
			429, "slow down", classification{rateLimited: true, retryable: true},
			func(d time.Duration) bool { return d == 7*time.Second }},
		{"429 Retry-After HTTP-date", respond(429, `{"error":"slow down"}`, "Retry-After", retryAt),
			429, "slow down", classification{rateLimited: true, retryable: true},
			func(d time.Duration) bool { return d > time.Minute && d <= 2*time.Minute }},
		{"429 without Retry-After", respond(429, ``),
			429, "unexpected response (HTTP 429)", classification{rateLimited: true, retryable: true},
			func(d time.Duration) bool { return d == 0 }},
		{"500 JSON", respond(500, `{"error":"internal server error"}`, "Content-Type", "application/json"),
			500, "internal server error", classification{retryable: true}, nil},
		{"502 HTML page", respond(502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, "Content-Type", "text/html; charset=utf-8"),
			502, "unexpected response (HTTP 502, text/html)", classification{retryable: true}, nil},
		{"503 Retry-After", respond(503, `{"error":"maintenance"}`, "Retry-After", "3"),
			503, "maintenance", classification{retryable: true},
			func(d time.Duration) bool { return d == 3*time.Second }},
		{"error field not a string", respond(400, `{"error":{"code":1}}`, "Content-Type", "application/json"),
			400, "unexpected response (HTTP 400, application/json)", classification{}, nil},
		{"control characters in message", respond(400, "{\"error\":\"bad\\n\\u202einput\\u0000\"}"),
			400, "bad input", classification{}, nil},
		{"redirect is not followed", respond(301, ``, "Location", "https://elsewhere.example/"),
			301, "unexpected response (HTTP 301)", classification{}, nil},
		{"malformed success body", respond(200, `{"id":`, "Content-Type", "application/json"),
			200, "malformed response body (HTTP 200, application/json)", classification{retryable: true}, nil},
		{"HTML success page", respond(200, `<html>captive portal</html>`, "Content-Type", "text/html"),
			200, "malformed response body (HTTP 200, text/html)", classification{retryable: true}, nil},
		{"success without id", respond(200, `{"env_key":"A"}`),
			200, "incomplete secret in response body (HTTP 200, text/plain)", classification{retryable: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testServer(t, tt.handler)
			_, err := newClient(t, srv.URL).UpdateSecret(context.Background(), testVault, testSecret,
				nairi.UpdateSecretRequest{Value: new("a-longer-value")})
			var apiErr *nairi.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.StatusCode != tt.wantStatus || apiErr.Message != tt.wantMessage {
				t.Errorf("got %d %q, want %d %q", apiErr.StatusCode, apiErr.Message, tt.wantStatus, tt.wantMessage)
			}
			if got := classify(err); got != tt.want {
				t.Errorf("classification = %+v, want %+v", got, tt.want)
			}
			if tt.retryAfter != nil && !tt.retryAfter(apiErr.RetryAfter) {
				t.Errorf("RetryAfter = %v", apiErr.RetryAfter)
			}
			wantText := fmt.Sprintf("nairi: PATCH /vaults/{id}/secrets/{id}: %d %s", tt.wantStatus, tt.wantMessage)
			if err.Error() != wantText {
				t.Errorf("Error() = %q, want %q", err.Error(), wantText)
			}
		})
	}
}

func TestSuccessResponses(t *testing.T) {
	ctx := context.Background()
	t.Run("201 create returns the secret", func(t *testing.T) {
		srv := testServer(t, respond(201, secretJSON))
		s, err := newClient(t, srv.URL).CreateSecret(ctx, testVault, nairi.CreateSecretRequest{EnvKey: "DATABASE_URL", Value: "v"})
		want := time.Date(2026, 4, 25, 11, 45, 19, 0, time.UTC)
		if err != nil || s.ID != testSecret || s.EnvKey != "DATABASE_URL" || !s.UpdatedAt.Equal(want) || s.AllowedDomains == nil {
			t.Fatalf("got %+v, %v", s, err)
		}
	})
	t.Run("any 2xx create is accepted", func(t *testing.T) {
		srv := testServer(t, respond(200, secretJSON))
		if _, err := newClient(t, srv.URL).CreateSecret(ctx, testVault, nairi.CreateSecretRequest{EnvKey: "A", Value: "v"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("200 update returns the secret", func(t *testing.T) {
		srv := testServer(t, respond(200, secretJSON))
		if s, err := newClient(t, srv.URL).UpdateSecret(ctx, testVault, testSecret, nairi.UpdateSecretRequest{}); err != nil || s.ID != testSecret {
			t.Fatalf("got %+v, %v", s, err)
		}
	})
	t.Run("204 and 200 delete succeed", func(t *testing.T) {
		for _, status := range []int{204, 200} {
			srv := testServer(t, respond(status, ``))
			if err := newClient(t, srv.URL).DeleteSecret(ctx, testVault, testSecret); err != nil {
				t.Errorf("%d: %v", status, err)
			}
		}
	})
}

func TestListResponses(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
		wantLen             int
	}{
		{"bare array", "[" + secretJSON + "," + strings.Replace(secretJSON, "DATABASE_URL", "B", 1) + "]", "", 2},
		{"empty array", "[]", "", 0},
		{"null is an empty vault", "null", "", 0},
		{"object with cursor", `{"secrets":[` + secretJSON + `],"cursor":"abc"}`, "paginated list response", 0},
		{"object with has_more", `{"data":[],"has_more":false}`, "paginated list response", 0},
		{"other object", `{"secrets":[]}`, "malformed response body", 0},
		{"malformed JSON", `[{"id":`, "malformed response body", 0},
		{"incomplete item", `[{"id":"sec_x"}]`, "incomplete secret", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testServer(t, respond(200, tt.body, "Content-Type", "application/json"))
			list, err := newClient(t, srv.URL).ListSecrets(context.Background(), testVault)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || list == nil || len(list) != tt.wantLen {
				t.Fatalf("got %v (%d), %v; want %d secrets", list, len(list), err, tt.wantLen)
			}
		})
	}
}
