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
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

const (
	testKey     = "nr_test_0123456789abcdef"
	testVault   = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	testSecret  = "sec_01KQ27AQH800XQTQPJZ0DH14SJ"
	secretJSON  = `{"id":"sec_01KQ27AQH800XQTQPJZ0DH14SJ","env_key":"DATABASE_URL","allowed_domains":[],"created_at":"2026-04-25T11:45:19.000Z","updated_at":"2026-04-25T11:45:19.000Z"}`
	noRateLimit = 0
)

// newClient returns a client for baseURL with the test key and no
// client-side rate limit, unless opts say otherwise.
func newClient(t *testing.T, baseURL string, opts ...nairi.Option) *nairi.Client {
	t.Helper()
	c, err := nairi.New(baseURL, testKey, append([]nairi.Option{nairi.WithRateLimit(noRateLimit, 1)}, opts...)...)
	if err != nil {
		t.Fatalf("nairi.New: %v", err)
	}
	return c
}

// testServer serves h until the test ends.
func testServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// respond returns a handler answering status, headers and body.
func respond(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// simulator starts a simulator accepting testKey with one vault.
func simulator(t *testing.T, opts ...nairisim.Option) (*nairisim.Server, *nairi.Client, string) {
	t.Helper()
	sim := nairisim.New(append([]nairisim.Option{nairisim.WithAPIKeys(testKey)}, opts...)...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, newClient(t, srv.URL), sim.NewVault()
}
