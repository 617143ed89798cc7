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
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// bodyRecorder answers with answer and keeps the JSON bodies it received,
// exactly as sent.
func bodyRecorder(t *testing.T, answer http.HandlerFunc) (string, *[]string) {
	t.Helper()
	var bodies []string
	srv := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		answer(w, r)
	})
	return srv.URL, &bodies
}

func TestUpdateSendsOnlyTheGivenFields(t *testing.T) {
	tests := []struct {
		name string
		req  nairi.UpdateSecretRequest
		want string
	}{
		{"nothing is the documented no-op", nairi.UpdateSecretRequest{}, `{}`},
		{"value only", nairi.UpdateSecretRequest{Value: new("new")}, `{"value":"new"}`},
		{"empty value is sent, for the API to refuse", nairi.UpdateSecretRequest{Value: new("")}, `{"value":""}`},
		{"domains only", nairi.UpdateSecretRequest{AllowedDomains: []string{"*.example.com"}, SetAllowedDomains: true},
			`{"allowed_domains":["*.example.com"]}`},
		{"nil domains clear as [] never null", nairi.UpdateSecretRequest{SetAllowedDomains: true}, `{"allowed_domains":[]}`},
		{"domains without SetAllowedDomains are not sent", nairi.UpdateSecretRequest{AllowedDomains: []string{"x.com"}}, `{}`},
		{"both", nairi.UpdateSecretRequest{Value: new("new"), AllowedDomains: []string{"a.com", "b.com"}, SetAllowedDomains: true},
			`{"value":"new","allowed_domains":["a.com","b.com"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, bodies := bodyRecorder(t, respond(200, secretJSON))
			if _, err := newClient(t, url).UpdateSecret(context.Background(), testVault, testSecret, tt.req); err != nil {
				t.Fatal(err)
			}
			assertJSON(t, (*bodies)[0], tt.want)
		})
	}
}

func TestCreateSendsAllFieldsWithDomainsNeverNull(t *testing.T) {
	tests := []struct {
		name string
		req  nairi.CreateSecretRequest
		want string
	}{
		{"no domains", nairi.CreateSecretRequest{EnvKey: "DATABASE_URL", Value: "postgresql://..."},
			`{"env_key":"DATABASE_URL","value":"postgresql://...","allowed_domains":[]}`},
		{"domains", nairi.CreateSecretRequest{EnvKey: "DATABASE_URL", Value: "postgresql://...", AllowedDomains: []string{"*.example.com"}},
			`{"env_key":"DATABASE_URL","value":"postgresql://...","allowed_domains":["*.example.com"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, bodies := bodyRecorder(t, respond(201, secretJSON))
			if _, err := newClient(t, url).CreateSecret(context.Background(), testVault, tt.req); err != nil {
				t.Fatal(err)
			}
			assertJSON(t, (*bodies)[0], tt.want)
		})
	}
}

func TestListAndDeleteSendNoBody(t *testing.T) {
	url, bodies := bodyRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "" {
			t.Errorf("%s sent Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		respond(200, `[]`)(w, r)
	})
	c := newClient(t, url)
	if _, err := c.ListSecrets(context.Background(), testVault); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSecret(context.Background(), testVault, testSecret); err != nil {
		t.Fatal(err)
	}
	for _, b := range *bodies {
		if b != "" {
			t.Errorf("body = %q, want none", b)
		}
	}
}

// assertJSON compares JSON texts field by field, and checks no field is null.
func assertJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", got, err)
	}
	_ = json.Unmarshal([]byte(want), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("body = %s, want %s", got, want)
	}
	for k, v := range g {
		if v == nil {
			t.Errorf("field %q is null", k)
		}
	}
}
