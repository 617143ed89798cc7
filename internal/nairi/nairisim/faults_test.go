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
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

func TestInjectedStatusAnswersTheNextMatchingRequests(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	list := "/vaults/" + vault + "/secrets"
	sim.Inject(nairisim.Fault{Method: "GET", Route: nairi.RouteSecrets, Times: 2, Status: 429, Headers: map[string]string{"Retry-After": "7"}})
	sim.Inject(nairisim.Fault{Route: nairi.RouteSecret, Status: 502, Body: "<html>Bad Gateway</html>"})

	if status, _, _ := a.do("POST", list, `{"env_key":"A","value":"v"}`); status != 201 {
		t.Errorf("POST matched a GET-only fault: %d", status)
	}
	for i := range 2 {
		status, h, body := a.do("GET", list, "")
		if status != 429 || h.Get("Retry-After") != "7" || strings.TrimSpace(body) != `{"error":"too many requests"}` {
			t.Errorf("GET %d: %d %v %s", i, status, h, body)
		}
	}
	if status, _, _ := a.do("GET", list, ""); status != 200 {
		t.Errorf("fault outlived Times: %d", status)
	}
	status, h, body := a.do("DELETE", list+"/sec_01KQ27AQH800XQTQPJZ0DH14SJ", "")
	if status != 502 || h.Get("Content-Type") != "text/html; charset=utf-8" || body != "<html>Bad Gateway</html>" {
		t.Errorf("DELETE: %d %v %q", status, h, body)
	}
}

func TestFaultsComeBeforeAuthenticationAndPersistWithNegativeTimes(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	sim.Inject(nairisim.Fault{Times: -1, Status: 503})
	anonymous := &api{t: t, base: a.base}
	for range 3 {
		if status, _, _ := anonymous.do("GET", "/vaults/"+vault+"/secrets", ""); status != 503 {
			t.Fatalf("status = %d, want the fault's 503 before any 401", status)
		}
	}
	sim.ClearFaults()
	if status, _, _ := anonymous.do("GET", "/vaults/"+vault+"/secrets", ""); status != 401 {
		t.Errorf("after ClearFaults: %d, want 401", status)
	}
}

// The client's timeout proves the latency without measuring it.
func TestInjectedLatency(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	c, err := nairi.New(strings.TrimSuffix(a.base, nairi.APIPrefix), key, nairi.WithTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	sim.Inject(nairisim.Fault{Latency: time.Hour})
	if _, err := c.ListSecrets(context.Background(), vault); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if _, err := c.ListSecrets(context.Background(), vault); err != nil {
		t.Fatalf("latency outlived its one request: %v", err)
	}
	sim.SetLatency(time.Hour)
	if _, err := c.ListSecrets(context.Background(), vault); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout from SetLatency", err)
	}
}

func TestDropClosesTheConnectionWithoutAnswer(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	c, err := nairi.New(strings.TrimSuffix(a.base, nairi.APIPrefix), key)
	if err != nil {
		t.Fatal(err)
	}
	sim.Inject(nairisim.Fault{Method: "POST", Drop: true})
	_, err = c.CreateSecret(context.Background(), vault, nairi.CreateSecretRequest{EnvKey: "A", Value: "v"})
	if _, ok := errors.AsType[*nairi.TransportError](err); !ok {
		t.Fatalf("err = %v, want a TransportError", err)
	}
	if got := sim.Secrets(vault); len(got) != 0 {
		t.Errorf("a dropped request made a change: %+v", got)
	}
	if reqs := sim.Requests(); len(reqs) != 1 || reqs[0].Status != 0 {
		t.Errorf("log = %+v, want one request with status 0", reqs)
	}
}

// Commit makes the change and loses the answer: a retried create then meets
// "env_key already exists in this vault".
func TestCommitFaultMakesTheChangeButLosesTheAnswer(t *testing.T) {
	for _, f := range []nairisim.Fault{{Method: "POST", Commit: true, Drop: true}, {Method: "POST", Commit: true, Status: 500}} {
		sim, a := start(t)
		vault := sim.NewVault()
		sim.Inject(f)
		status, err := a.try("POST", "/vaults/"+vault+"/secrets", `{"env_key":"A","value":"v"}`)
		if f.Drop && err == nil {
			t.Errorf("dropped request answered %d", status)
		}
		if f.Status != 0 && status != f.Status {
			t.Errorf("status = %d, want %d", status, f.Status)
		}
		if got := sim.Secrets(vault); len(got) != 1 {
			t.Fatalf("secrets = %+v, want the change made", got)
		}
		if status, _, body := a.do("POST", "/vaults/"+vault+"/secrets", `{"env_key":"A","value":"v"}`); status != 400 ||
			!strings.Contains(body, "env_key already exists in this vault") {
			t.Errorf("retry: %d %s", status, body)
		}
	}
}

// try is do for requests that may get no answer at all.
func (a *api) try(method, path, body string) (int, error) {
	req, _ := http.NewRequest(method, a.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func TestRateLimitPerKey(t *testing.T) {
	const other = "nr_other_key"
	sim, a := start(t, nairisim.WithRateLimit(0.001, 2), nairisim.WithAPIKeys(other))
	vault := sim.NewVault()
	path := "/vaults/" + vault + "/secrets"
	for i := range 2 {
		if status, _, _ := a.do("GET", path, ""); status != 200 {
			t.Fatalf("request %d within the burst: %d", i, status)
		}
	}
	status, h, body := a.do("GET", path, "")
	retry, err := strconv.Atoi(h.Get("Retry-After"))
	if status != 429 || err != nil || retry < 1 || strings.TrimSpace(body) != `{"error":"rate limit exceeded"}` {
		t.Fatalf("beyond the burst: %d Retry-After=%q %s", status, h.Get("Retry-After"), body)
	}
	if status, _, _ := (&api{t: t, base: a.base, key: other}).do("GET", path, ""); status != 200 {
		t.Errorf("another key shares the bucket: %d", status)
	}
}

func TestRequestLog(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	id := a.create(vault, `{"env_key":"A","value":"s3cr3t"}`)["id"].(string)
	a.do("PATCH", "/vaults/"+vault+"/secrets/"+id, `{"value":"other-s3cr3t"}`)
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	a.do("DELETE", "/vaults/"+vault+"/secrets/"+id, "")
	a.do("GET", "/nowhere", "")

	for _, tt := range []struct {
		method, route string
		want          int
	}{
		{"GET", nairi.RouteSecrets, 2}, {"get", nairi.RouteSecrets, 2}, {"POST", nairi.RouteSecrets, 1},
		{"PATCH", nairi.RouteSecret, 1}, {"DELETE", "", 1}, {"", nairi.RouteSecret, 2}, {"", "", 6},
	} {
		if got := sim.Count(tt.method, tt.route); got != tt.want {
			t.Errorf("Count(%q, %q) = %d, want %d", tt.method, tt.route, got, tt.want)
		}
	}
	reqs := sim.Requests()
	want := nairisim.Request{Method: "PATCH", Route: nairi.RouteSecret, VaultID: vault, SecretID: id, Status: 200}
	got := reqs[1]
	got.Time, got.Duration = time.Time{}, 0
	if len(reqs) != 6 || got != want || reqs[1].Time.IsZero() || reqs[5].Route != "" || reqs[5].Status != 404 {
		t.Errorf("log = %+v", reqs)
	}
	sim.ResetRequests()
	if sim.Count("", "") != 0 || len(sim.Requests()) != 0 {
		t.Error("ResetRequests left entries")
	}
}

func TestStartServesOnLoopbackUntilClose(t *testing.T) {
	sim := nairisim.New(nairisim.WithAPIKeys(key))
	vault := sim.NewVault()
	url, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("url = %q, want loopback", url)
	}
	if _, err := sim.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	a := &api{t: t, base: url + nairi.APIPrefix, key: key}
	if status, err := a.try("GET", "/vaults/"+vault+"/secrets", ""); err != nil || status != 200 {
		t.Fatalf("GET: %d %v", status, err)
	}
	sim.Close()
	if _, err := a.try("GET", "/vaults/"+vault+"/secrets", ""); err == nil {
		t.Error("still serving after Close")
	}
	sim.Close() // idempotent
}

func TestObserverSeesEachRequestWithItsOutcome(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	var mu sync.Mutex
	var seen []nairisim.Request
	sim.Observe(func(r nairisim.Request) { mu.Lock(); seen = append(seen, r); mu.Unlock() })
	c, err := nairi.New(strings.TrimSuffix(a.base, nairi.APIPrefix), key)
	if err != nil {
		t.Fatal(err)
	}
	sim.Inject(nairisim.Fault{Method: "GET", Status: 503, Latency: 20 * time.Millisecond})
	_, _ = c.ListSecrets(context.Background(), vault)
	if _, err := c.CreateSecret(context.Background(), vault, nairi.CreateSecretRequest{EnvKey: "K", Value: "value"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Status != 503 || seen[0].Duration < 20*time.Millisecond ||
		seen[1].Method != "POST" || seen[1].Route != nairi.RouteSecrets || seen[1].Status != 201 || seen[1].VaultID != vault {
		t.Fatalf("observed %+v", seen)
	}
}

// A harness counts the faults really served, not the ones it queued: the request log names
// the fault that hit each request.
func TestRequestLogNamesTheFaultThatHitIt(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	sim.Inject(nairisim.Fault{Method: "GET", Route: nairi.RouteSecrets, Status: 503, Name: "flaky"})
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	reqs := sim.Requests()
	if len(reqs) != 2 || reqs[0].Fault != "flaky" || reqs[0].Status != 503 || reqs[1].Fault != "" || reqs[1].Status != 200 {
		t.Errorf("requests = %+v, want the first named flaky (503) and the second clean (200)", reqs)
	}
}
