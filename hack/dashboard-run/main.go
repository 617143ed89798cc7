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

// Command dashboard-run records what the dashboard shows during a real run, for
// `make dashboard-png`: it starts kube-apiserver and etcd (envtest), the Nairi simulator
// and the manager binary with plain-HTTP metrics, all on 127.0.0.1, plays a script of
// healthy syncs, failures and recoveries, and scrapes /metrics every few seconds into
// <out>/<unix milliseconds>.prom. hack/tools/dashboard-png turns those scrapes into
// docs/dashboard.png with the dashboard's own queries.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

const apiKey = "nr_dashboard_run_key"

func main() {
	manager := flag.String("manager", "bin/manager", "manager binary")
	out := flag.String("out", "bin/dashboard-run", "directory for the scrapes (emptied first)")
	every := flag.Duration("scrape-interval", 5*time.Second, "time between two scrapes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *manager, *out, *every); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard-run:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, managerBin, out string, every time.Duration) error {
	assets, err := utils.EnvtestAssets()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	state := filepath.Join(out, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}

	step("starting kube-apiserver and etcd")
	cp, err := utils.StartControlPlane(assets, state)
	if err != nil {
		return err
	}
	defer func() { _ = cp.Stop() }()

	sim := nairisim.New(nairisim.WithAPIKeys(apiKey), nairisim.WithLatency(30*time.Millisecond))
	simulator, err := utils.StartSimulator(sim, apiKey, filepath.Join(state, "simulator.log"))
	if err != nil {
		return err
	}
	defer simulator.Close()

	metricsAddr, err := utils.FreeAddr()
	if err != nil {
		return err
	}
	step("starting the manager, metrics on http://%s/metrics", metricsAddr)
	m, err := utils.StartManager(utils.ManagerOptions{
		Name: "manager", Binary: managerBin, Kubeconfig: cp.Kubeconfig, APIURL: simulator.URL, APIKey: apiKey,
		LogPath: filepath.Join(state, "manager.log"),
		Args: []string{"--metrics-bind-address=" + metricsAddr, "--metrics-secure=false",
			"--nairi-qps=20", "--nairi-burst=20", "--max-concurrent-reconciles=4"},
	})
	if err != nil {
		return err
	}
	defer m.Stop(10 * time.Second)
	if err := m.WaitReady(ctx); err != nil {
		return err
	}

	s, err := newScript(cp, sim)
	if err != nil {
		return err
	}
	scrapeCtx, stopScraping := context.WithCancel(ctx)
	scrapes := scrapeEvery(scrapeCtx, "http://"+metricsAddr+"/metrics", out, every)
	err = s.play(ctx)
	stopScraping()
	n := <-scrapes
	step("recorded %d scrapes into %s", n, out)
	return err
}

// scrapeEvery scrapes url into dir until ctx ends; the returned channel then reports
// how many scrapes were written.
func scrapeEvery(ctx context.Context, url, dir string, every time.Duration) chan int {
	done := make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if err := scrape(ctx, url, dir); err == nil {
				n++
			} else if ctx.Err() == nil {
				fmt.Fprintln(os.Stderr, "scrape:", err)
			}
			select {
			case <-ctx.Done():
				done <- n
				return
			case <-tick.C:
			}
		}
	}()
	return done
}

func scrape(ctx context.Context, url, dir string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	at := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, strconv.FormatInt(at.UnixMilli(), 10)+".prom"), body, 0o644)
}

func step(format string, args ...any) {
	fmt.Printf("%s ==> %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
