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
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// TestCanaryValueAndKeyNeverLeak sends a random value with a random key
// through successes and every kind of failure, including a server that echoes
// the request back, and checks that no error string and no metric label
// carries either.
func TestCanaryValueAndKeyNeverLeak(t *testing.T) {
	value := "canary-value-" + rand.Text()
	key := "nr_canary_" + rand.Text()
	metrics := nairi.NewMetrics()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.Collectors()...)
	ctx := context.Background()
	var errs []error
	client := func(url string, opts ...nairi.Option) *nairi.Client {
		c, err := nairi.New(url, key, append([]nairi.Option{nairi.WithMetrics(metrics), nairi.WithRateLimit(0, 1)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	exercise := func(c *nairi.Client, vault, secret string) {
		_, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: "CANARY", Value: value})
		errs = append(errs, err)
		_, err = c.UpdateSecret(ctx, vault, secret, nairi.UpdateSecretRequest{Value: &value})
		errs = append(errs, err)
	}

	// The simulator: successes, then the documented failures.
	sim := nairisim.New(nairisim.WithAPIKeys(key))
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	vault := sim.NewVault()
	c := client(simSrv.URL)
	created, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: "CANARY", Value: value})
	if err != nil {
		t.Fatal(err)
	}
	exercise(c, vault, created.ID)                            // 400 exists, 200
	exercise(c, "vlt_01KQ27AQH800XQTQPJZ0DH14SJ", created.ID) // 404 vault
	sim.RevokeAPIKey(key)
	exercise(c, vault, created.ID) // 401

	// Hand-made servers that misbehave, some echoing the request back.
	echo := func(status int, contentType string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			if contentType == "application/json" {
				_, _ = fmt.Fprintf(w, `{"error":%q}`, string(body)+" "+r.Header.Get("Authorization"))
				return
			}
			_, _ = fmt.Fprintf(w, "<html>%s %s</html>", body, r.Header.Get("Authorization"))
		}
	}
	release := make(chan struct{})
	servers := make([]*httptest.Server, 0, 8)
	defer func() {
		close(release) // first: httptest.Server.Close waits for blocked handlers
		for _, srv := range servers {
			srv.Close()
		}
	}()
	for _, h := range []http.HandlerFunc{
		echo(http.StatusBadRequest, "application/json"),
		echo(http.StatusInternalServerError, "application/json"),
		echo(http.StatusBadGateway, "text/html"),
		echo(http.StatusOK, "text/html"),
		echo(http.StatusTooManyRequests, "application/json"),
		func(http.ResponseWriter, *http.Request) { <-release },
		func(w http.ResponseWriter, _ *http.Request) {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
		},
	} {
		srv := httptest.NewServer(h)
		servers = append(servers, srv)
		exercise(client(srv.URL, nairi.WithTimeout(300*time.Millisecond)), vault, created.ID)
	}

	failures := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		failures++
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(text, value) || strings.Contains(text, key) || strings.Contains(text, "canary") {
				t.Errorf("error leaks the canary: %s", text)
			}
		}
	}
	if failures < 15 {
		t.Fatalf("only %d calls failed; the scenarios did not run", failures)
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), value) || strings.Contains(l.GetValue(), key) ||
					strings.Contains(l.GetValue(), "canary") || strings.Contains(l.GetValue(), "sec_") || strings.Contains(l.GetValue(), "vlt_") {
					t.Errorf("metric %s label %s=%q leaks a value, key or id", mf.GetName(), l.GetName(), l.GetValue())
				}
				if l.GetName() == "code" {
					codes[l.GetValue()] = true
				}
			}
		}
	}
	for _, want := range []string{"201", "200", "400", "401", "404", "429", "500", "502", "error"} {
		if !codes[want] {
			t.Errorf("no requests_total sample with code=%q; got %v", want, codes)
		}
	}
}
