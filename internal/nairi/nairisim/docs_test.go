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

package nairisim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

const key = "nr_test_key"

// api is a raw HTTP client for the simulator: the tests in this package
// speak the wire protocol as the docs show it, not through package nairi.
type api struct {
	t    *testing.T
	base string
	key  string
}

func start(t *testing.T, opts ...nairisim.Option) (*nairisim.Server, *api) {
	t.Helper()
	sim := nairisim.New(append([]nairisim.Option{nairisim.WithAPIKeys(key)}, opts...)...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, &api{t: t, base: srv.URL + "/api/public/v1", key: key}
}

// do sends method path body and returns the status, the headers and the body.
func (a *api) do(method, path, body string) (int, http.Header, string) {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// create POSTs a secret and returns its decoded object.
func (a *api) create(vault, body string) map[string]any {
	a.t.Helper()
	status, _, resp := a.do(http.MethodPost, "/vaults/"+vault+"/secrets", body)
	if status != http.StatusCreated {
		a.t.Fatalf("create: %d %s", status, resp)
	}
	return decode(a.t, resp)
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not a JSON object: %q", body)
	}
	return m
}

var (
	secretIDPattern = regexp.MustCompile(`^sec_[0-9A-HJKMNP-TV-Z]{26}$`)
	timePattern     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// TestDocumentedCalls drives every call the way nairi-api.md §2 shows it.
//
//nolint:gocyclo // one linear walk through the documented calls, in the document's order
func TestDocumentedCalls(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	const value = "postgresql://user:pw@db/app"

	// §2.1 create: 201 and the secret object, without the value.
	status, _, body := a.do(http.MethodPost, "/vaults/"+vault+"/secrets",
		`{ "env_key": "DATABASE_URL", "value": "`+value+`", "allowed_domains": ["*.example.com"] }`)
	if status != http.StatusCreated || strings.Contains(body, value) || strings.Contains(body, `"value"`) {
		t.Fatalf("create: %d %s", status, body)
	}
	s := decode(t, body)
	if len(s) != 5 || s["env_key"] != "DATABASE_URL" || !secretIDPattern.MatchString(s["id"].(string)) ||
		!timePattern.MatchString(s["created_at"].(string)) || s["created_at"] != s["updated_at"] {
		t.Fatalf("created object = %s", body)
	}
	id := s["id"].(string)
	if v, ok := sim.Value(vault, id); !ok || v != value {
		t.Fatalf("stored value = %q, %v", v, ok)
	}

	// allowed_domains defaults to [].
	other := a.create(vault, `{"env_key":"API_TOKEN","value":"t"}`)
	if d, ok := other["allowed_domains"].([]any); !ok || len(d) != 0 {
		t.Errorf("default allowed_domains = %#v, want []", other["allowed_domains"])
	}

	// §2.2 list: 200, a bare array in creation order, no values.
	status, _, body = a.do(http.MethodGet, "/vaults/"+vault+"/secrets", "")
	var list []map[string]any
	if status != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list) != 2 ||
		list[0]["id"] != id || list[1]["env_key"] != "API_TOKEN" || strings.Contains(body, value) {
		t.Fatalf("list: %d %s", status, body)
	}

	// §2.4 update: partial; {} changes nothing, not even updated_at.
	status, _, body = a.do(http.MethodPatch, "/vaults/"+vault+"/secrets/"+id, `{}`)
	if status != http.StatusOK || decode(t, body)["updated_at"] != s["updated_at"] {
		t.Fatalf("PATCH {}: %d %s", status, body)
	}
	status, _, body = a.do(http.MethodPatch, "/vaults/"+vault+"/secrets/"+id,
		`{ "value": "postgresql://new-connection...", "allowed_domains": ["*.newdomain.com"] }`)
	u := decode(t, body)
	if status != http.StatusOK || u["updated_at"].(string) <= s["updated_at"].(string) ||
		u["allowed_domains"].([]any)[0] != "*.newdomain.com" || u["created_at"] != s["created_at"] {
		t.Fatalf("PATCH: %d %s", status, body)
	}
	if v, _ := sim.Value(vault, id); v != "postgresql://new-connection..." {
		t.Errorf("value after PATCH = %q", v)
	}

	// §2.5 delete: 204 without body, then 404.
	status, _, body = a.do(http.MethodDelete, "/vaults/"+vault+"/secrets/"+id, "")
	if status != http.StatusNoContent || body != "" {
		t.Fatalf("DELETE: %d %q", status, body)
	}
	if _, ok := sim.Value(vault, id); ok {
		t.Error("deleted secret still stored")
	}
	status, _, body = a.do(http.MethodDelete, "/vaults/"+vault+"/secrets/"+id, "")
	if status != http.StatusNotFound || body != `{"error":"secret not found"}`+"\n" {
		t.Fatalf("second DELETE: %d %q", status, body)
	}
}

// TestErrors checks each error's status and exact body.
func TestErrors(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	taken := a.create(vault, `{"env_key":"TAKEN","value":"v"}`)["id"].(string)
	const unknownVault = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	const unknownSecret = "sec_01KQ27AQH800XQTQPJZ0DH14SJ"
	secrets := "/vaults/" + vault + "/secrets"
	tests := []struct {
		name, key, method, path, body string
		status                        int
		error                         string
	}{
		// Documented verbatim (nairi-api.md §2.1).
		{"duplicate env_key", key, "POST", secrets, `{"env_key":"TAKEN","value":"v"}`, 400, "env_key already exists in this vault"},
		{"value missing", key, "POST", secrets, `{"env_key":"NEW"}`, 400, "value cannot be empty"},
		{"value empty", key, "POST", secrets, `{"env_key":"NEW","value":""}`, 400, "value cannot be empty"},
		{"create in unknown vault", key, "POST", "/vaults/" + unknownVault + "/secrets", `{"env_key":"A","value":"v"}`, 404, "vault not found"},
		// Inferred from the docs, exact message guessed (README.md).
		{"list unknown vault", key, "GET", "/vaults/" + unknownVault + "/secrets", "", 404, "vault not found"},
		{"patch in unknown vault", key, "PATCH", "/vaults/" + unknownVault + "/secrets/" + taken, `{}`, 404, "vault not found"},
		{"delete in unknown vault", key, "DELETE", "/vaults/" + unknownVault + "/secrets/" + taken, "", 404, "vault not found"},
		{"patch unknown secret", key, "PATCH", secrets + "/" + unknownSecret, `{}`, 404, "secret not found"},
		{"delete unknown secret", key, "DELETE", secrets + "/" + unknownSecret, "", 404, "secret not found"},
		{"malformed vault id", key, "GET", "/vaults/vlt_123/secrets", "", 400, "invalid vault id"},
		{"lower-case vault id", key, "GET", "/vaults/" + strings.ToLower(vault) + "/secrets", "", 400, "invalid vault id"},
		{"secret id as vault id", key, "GET", "/vaults/" + taken + "/secrets", "", 400, "invalid vault id"},
		{"malformed secret id", key, "PATCH", secrets + "/sec_1", `{}`, 400, "invalid secret id"},
		{"no key", "", "GET", secrets, "", 401, "unauthorized"},
		{"wrong key", "nr_wrong", "GET", secrets, "", 401, "unauthorized"},
		{"daemon key", "ccagent_x", "GET", secrets, "", 401, "unauthorized"},
		{"wrong method on collection", key, "PUT", secrets, `{}`, 405, "method not allowed"},
		{"wrong method on secret", key, "GET", secrets + "/" + taken, "", 405, "method not allowed"},
		{"unknown path", key, "GET", "/vaults", "", 404, "not found"},
		{"malformed JSON", key, "POST", secrets, `{"env_key":`, 400, "invalid JSON body"},
		{"JSON null body", key, "PATCH", secrets + "/" + taken, `null`, 400, "invalid JSON body"},
		{"empty PATCH body", key, "PATCH", secrets + "/" + taken, ``, 400, "invalid JSON body"},
		{"env_key missing", key, "POST", secrets, `{"value":"v"}`, 400, "env_key is required"},
		{"env_key format", key, "POST", secrets, `{"env_key":"1BAD-KEY","value":"v"}`, 400, "env_key must match ^[A-Za-z_][A-Za-z0-9_]*$"},
		{"value not a string", key, "POST", secrets, `{"env_key":"N","value":42}`, 400, "value must be a string"},
		{"domains null on create", key, "POST", secrets, `{"env_key":"N","value":"v","allowed_domains":null}`, 400, "allowed_domains must be an array of strings"},
		{"patch value empty", key, "PATCH", secrets + "/" + taken, `{"value":""}`, 400, "value cannot be empty"},
		{"patch value null", key, "PATCH", secrets + "/" + taken, `{"value":null}`, 400, "value cannot be empty"},
		{"patch domains null", key, "PATCH", secrets + "/" + taken, `{"allowed_domains":null}`, 400, "allowed_domains must be an array of strings"},
		{"patch domains not strings", key, "PATCH", secrets + "/" + taken, `{"allowed_domains":[1]}`, 400, "allowed_domains must be an array of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &api{t: t, base: a.base, key: tt.key}
			status, header, body := a.do(tt.method, tt.path, tt.body)
			want, _ := json.Marshal(map[string]string{"error": tt.error})
			if status != tt.status || strings.TrimSpace(body) != string(want) {
				t.Errorf("got %d %s, want %d %s", status, body, tt.status, want)
			}
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
	// A refused PATCH changes nothing.
	if v, _ := sim.Value(vault, taken); v != "v" {
		t.Errorf("value after refused PATCHes = %q", v)
	}
	if got := sim.Secrets(vault); len(got) != 1 || !got[0].UpdatedAt.Equal(got[0].CreatedAt) {
		t.Errorf("secrets after refused calls = %+v", got)
	}
}

func TestPatchBumpsUpdatedAtOnlyOnRealChange(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	s := a.create(vault, `{"env_key":"K","value":"v","allowed_domains":["a.com","b.com"]}`)
	path := "/vaults/" + vault + "/secrets/" + s["id"].(string)
	last := s["updated_at"].(string)
	for _, step := range []struct {
		body    string
		changes bool
	}{
		{`{}`, false},
		{`{"value":"v"}`, false}, // identical value: guess, see README
		{`{"allowed_domains":["a.com","b.com"]}`, false}, // identical list
		{`{"allowed_domains":["b.com","a.com"]}`, true},  // order counts: guess, see README
		{`{"value":"w"}`, true},
		{`{"value":"w","env_key":"RENAMED"}`, false}, // env_key is not patchable: ignored
		{`{"allowed_domains":[]}`, true},             // [] clears
		{`{"value":"x","allowed_domains":[]}`, true},
		{`{"value":"x","allowed_domains":[],"extra":1}`, false}, // unknown fields ignored
	} {
		status, _, body := a.do(http.MethodPatch, path, step.body)
		got := decode(t, body)
		now := got["updated_at"].(string)
		if status != http.StatusOK || (now != last) != step.changes || now < last || got["env_key"] != "K" {
			t.Errorf("PATCH %s: %d, updated_at %s -> %s, want change=%v", step.body, status, last, now, step.changes)
		}
		last = now
	}
}
