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
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

func TestOutOfBandChanges(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	seeded := sim.Seed(vault, "SEEDED", "v1", nil)
	if seeded.AllowedDomains == nil || !seeded.CreatedAt.Equal(seeded.UpdatedAt) {
		t.Fatalf("seeded = %+v", seeded)
	}
	sim.ChangeOutOfBand(vault, seeded.ID, nil, nil) // rewriting nothing still bumps updated_at
	after := sim.Secrets(vault)[0]
	if !after.UpdatedAt.After(seeded.UpdatedAt) {
		t.Errorf("updated_at %v -> %v, want a bump", seeded.UpdatedAt, after.UpdatedAt)
	}
	v2 := "v2"
	sim.ChangeOutOfBand(vault, seeded.ID, &v2, []string{"x.com"})
	if v, _ := sim.Value(vault, seeded.ID); v != "v2" || sim.Secrets(vault)[0].AllowedDomains[0] != "x.com" {
		t.Errorf("after change: %q %+v", v, sim.Secrets(vault))
	}
	sim.DeleteOutOfBand(vault, seeded.ID)
	sim.DeleteOutOfBand(vault, seeded.ID) // already gone: ignored
	if len(sim.Secrets(vault)) != 0 {
		t.Error("still there after DeleteOutOfBand")
	}
	if sim.Count("", "") != 0 {
		t.Error("out-of-band changes appear in the request log")
	}
	if sim.Secrets("vlt_01KQ27AQH800XQTQPJZ0DH14SJ") != nil {
		t.Error("Secrets of an unknown vault is not nil")
	}
	_ = a
}

func TestMisuseOfTheGoAPIPanics(t *testing.T) {
	sim := nairisim.New()
	vault := sim.NewVault()
	sim.Seed(vault, "TAKEN", "v", nil)
	for name, f := range map[string]func(){
		"AddVault malformed":    func() { sim.AddVault("vault-1") },
		"Seed unknown vault":    func() { sim.Seed("vlt_01KQ27AQH800XQTQPJZ0DH14SJ", "A", "v", nil) },
		"Seed taken env_key":    func() { sim.Seed(vault, "TAKEN", "v", nil) },
		"Change unknown secret": func() { sim.ChangeOutOfBand(vault, "sec_01KQ27AQH800XQTQPJZ0DH14SJ", nil, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			f()
		})
	}
}

// TestConcurrentUse is meant for -race: many clients create, list, update and
// delete in one vault while tests inspect and change it out of band.
func TestConcurrentUse(t *testing.T) {
	sim, a := start(t)
	vault := sim.NewVault()
	c, err := nairi.New(strings.TrimSuffix(a.base, nairi.APIPrefix), key, nairi.WithRateLimit(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				s, err := c.CreateSecret(ctx, vault, nairi.CreateSecretRequest{EnvKey: fmt.Sprintf("K_%d_%d", w, i), Value: "v"})
				if err != nil {
					errs <- err
					continue
				}
				if _, err := c.ListSecrets(ctx, vault); err != nil {
					errs <- err
				}
				if _, err := c.UpdateSecret(ctx, vault, s.ID, nairi.UpdateSecretRequest{Value: new("w")}); err != nil {
					errs <- err
				}
				sim.Value(vault, s.ID)
				sim.Requests()
				if i%2 == 0 {
					if err := c.DeleteSecret(ctx, vault, s.ID); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range rounds {
			sim.Inject(nairisim.Fault{Method: "GET", Status: 500})
			sim.Secrets(vault)
			sim.Count("", "")
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if !nairi.IsRetryable(err) { // only the injected 500s may fail
			t.Errorf("unexpected error: %v", err)
		}
	}
	if got, want := len(sim.Secrets(vault)), workers*(rounds/2); got != want {
		t.Errorf("%d secrets left, want %d", got, want)
	}
	if got := sim.Count("POST", nairi.RouteSecrets); got != workers*rounds {
		t.Errorf("POST count = %d, want %d", got, workers*rounds)
	}
}

// A secret seeded in the past looks made long ago, and later stamps still move forward.
func TestSeedAtBackdatesForTheSoak(t *testing.T) {
	sim := nairisim.New()
	vault := sim.NewVault()
	before := time.Now()
	old := sim.SeedAt(vault, "HUMAN", "v", []string{"a.example.com"}, before.Add(-10*time.Minute))
	if !old.CreatedAt.Before(before.Add(-9*time.Minute)) || !old.UpdatedAt.Equal(old.CreatedAt) {
		t.Errorf("seeded at %s/%s, want about 10 minutes ago", old.CreatedAt, old.UpdatedAt)
	}
	fresh := sim.Seed(vault, "NEW", "v", nil)
	if !fresh.CreatedAt.After(before.Add(-time.Second)) {
		t.Errorf("a later secret is stamped %s with id %s (old %s)", fresh.CreatedAt, fresh.ID, old.ID)
	}
	if v, ok := sim.Value(vault, old.ID); !ok || v != "v" {
		t.Errorf("Value = %q, %t", v, ok)
	}
}

func TestRequestsByCountsAuthenticatedRequestsPerKey(t *testing.T) {
	sim, a := start(t)
	const other = "nr_other_key"
	sim.AddAPIKey(other)
	vault := sim.NewVault()
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	a.key = other
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	a.key = "nr_unknown"
	a.do("GET", "/vaults/"+vault+"/secrets", "")
	if sim.RequestsBy(key) != 2 || sim.RequestsBy(other) != 1 || sim.RequestsBy("nr_unknown") != 0 {
		t.Fatalf("RequestsBy = %d, %d, %d; want 2, 1, 0", sim.RequestsBy(key), sim.RequestsBy(other), sim.RequestsBy("nr_unknown"))
	}
	sim.ResetRequests()
	if sim.RequestsBy(key) != 0 {
		t.Fatal("ResetRequests kept the per-key counts")
	}
}
