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

package soak

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// TestSoak runs one soak per seed of SOAK_SEED (comma-separated; "date" is today's UTC date
// as YYYYMMDD, so CI explores a new history every day), each for SOAK_DURATION (default
// 10m). SOAK_PUBLISH=1 stores the figures in test/soak/runs/ and rewrites
// docs/reliability.md. Logs go to bin/soak/, kept when a run fails (SOAK_KEEP=1: always).
func TestSoak(t *testing.T) {
	if os.Getenv("SOAK_REPORT_ONLY") != "" { // re-render docs/reliability.md from test/soak/runs
		runs := filepath.Join(utils.ProjectDir(), "test", "soak", "runs")
		if err := WriteReport(runs, filepath.Join(utils.ProjectDir(), "docs", "reliability.md")); err != nil {
			t.Fatal(err)
		}
		return
	}
	seeds, err := parseSeeds(envOr("SOAK_SEED", "1"), time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	duration, err := time.ParseDuration(envOr("SOAK_DURATION", "10m"))
	if err != nil {
		t.Fatalf("SOAK_DURATION: %v", err)
	}
	quiet, err := time.ParseDuration(envOr("SOAK_QUIET", "5m"))
	if err != nil {
		t.Fatalf("SOAK_QUIET: %v", err)
	}
	assets, err := utils.EnvtestAssets()
	if err != nil {
		t.Fatal(err)
	}
	// The driver's own client logs nothing; the managers log to their files.
	ctrllog.SetLogger(logr.Discard())
	root := filepath.Join(utils.ProjectDir(), "bin", "soak",
		fmt.Sprintf("%s-%d", time.Now().UTC().Format("20060102-150405"), os.Getpid()))
	bin := filepath.Join(root, "manager")
	if err := utils.GoBuild(bin, "./cmd/main.go"); err != nil {
		t.Fatal(err)
	}
	commit := gitCommit()
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			dir := filepath.Join(root, fmt.Sprintf("seed-%d", seed))
			t.Logf("soak seed %d for %s (SOAK_SEED=%d reproduces it); logs in %s", seed, duration, seed, dir)
			res, err := Run(context.Background(), Options{Seed: seed, Duration: duration, Quiet: quiet, Dir: dir,
				ManagerBin: bin, Assets: assets, Logf: t.Logf})
			if err != nil {
				t.Fatalf("seed %d: the soak could not run: %v (logs in %s)", seed, err, dir)
			}
			res.Commit = commit
			_ = os.WriteFile(filepath.Join(dir, "history.txt"), []byte(res.History), 0o644)
			t.Logf("seed %d: %d actions, %d faults, %d manager kills, %d restarts, %d exits, %d API calls; "+
				"%d keys checked (%d exact); end state matched after %s", seed, res.ActionsTotal, res.FaultsTotal,
				res.ManagerKills, res.ManagerRestarts, res.ManagerCrashes, res.APICallsTotal, res.Check.Keys,
				res.Check.ExactKeys, res.Converged)
			if err := res.WriteJSON(dir); err != nil {
				t.Error(err)
			}
			if os.Getenv("SOAK_PUBLISH") != "" {
				runs := filepath.Join(utils.ProjectDir(), "test", "soak", "runs")
				if err := res.WriteJSON(runs); err != nil {
					t.Fatal(err)
				}
				if err := WriteReport(runs, filepath.Join(utils.ProjectDir(), "docs", "reliability.md")); err != nil {
					t.Fatal(err)
				}
			}
			if !res.Passed {
				t.Fatal(res.Explanation)
			}
			if os.Getenv("SOAK_KEEP") == "" {
				_ = os.RemoveAll(dir)
			}
		})
	}
}

// parseSeeds reads SOAK_SEED: numbers, or "date" for today's date as YYYYMMDD.
func parseSeeds(list string, now time.Time) ([]uint64, error) {
	var out []uint64
	for field := range strings.SplitSeq(list, ",") {
		field = strings.TrimSpace(field)
		if field == "date" {
			field = now.Format("20060102")
		}
		seed, err := strconv.ParseUint(field, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOAK_SEED: %q is neither a number nor \"date\"", field)
		}
		out = append(out, seed)
	}
	return out, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func gitCommit() string {
	out, err := exec.Command("git", "-C", utils.ProjectDir(), "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
