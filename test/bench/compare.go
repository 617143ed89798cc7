//go:build bench

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

package main

import (
	"context"
	"fmt"
	"log"
	"os/exec"
	"strings"
	"time"
)

// RestartResult is a restart of a manager over objects it had synced: what the fresh
// process costs before its workqueue is idle.
type RestartResult struct {
	Build         string   `json:"build"`
	Objects       int      `json:"objects"`
	SecondsToIdle float64  `json:"secondsToIdleWorkqueue"`
	KubeRequests  float64  `json:"kubeRequests"` // the new manager's own count, LIST/WATCH included
	SecretGETs    float64  `json:"secretGETs"`
	StatusWrites  float64  `json:"statusWrites"`
	KubeWrites    float64  `json:"kubeWrites"`
	Calls         apiCalls `json:"nairiCalls"`
	PeakRSSMiB    float64  `json:"peakRSSMiB"`
	Error         string   `json:"error,omitempty"`
}

// runRestart stops the run's manager and starts the same build again on the same objects,
// then waits until it has reconciled every object and its workqueue is idle. The API
// server's own request counters give the Secret reads and the writes.
func (b *bench) runRestart(ctx context.Context, cl *cluster, run *syncRun) RestartResult {
	res := RestartResult{Build: run.spec.build, Objects: run.spec.n}
	log.Printf("restart of %d synced objects (%s)", run.spec.n, run.spec.build)
	run.mgr.stop()
	run.mgr = nil
	// Let the watch events of the last writes settle before counting.
	time.Sleep(2 * time.Second)
	before, err := cl.apiserverRequests(ctx)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	run.sim.reset()
	start := time.Now()
	m, err := cl.startManager(ctx, b.managerOptions(run.spec, "manager-"+run.ns+"-restart", run.sim.URL, run.ns))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	run.mgr = m
	idle, err := m.waitIdle(ctx, run.spec.n, start, 10*time.Minute)
	res.SecondsToIdle = round(idle.Seconds(), 2)
	if err != nil {
		res.Error = err.Error()
	}
	after, aerr := cl.apiserverRequests(ctx)
	if aerr != nil {
		res.Error = aerr.Error()
		return res
	}
	d := after.minus(before)
	res.SecretGETs = d["GET secrets"]
	res.StatusWrites = d["PATCH nairisecrets/status"] + d["PUT nairisecrets/status"]
	res.KubeWrites = d.writes()
	res.KubeRequests = m.managerRequests()
	res.Calls = run.sim.calls()
	hwm := peakRSS(m.Pid())
	res.PeakRSSMiB = round(float64(hwm)/mib, 1)
	log.Printf("  idle after %.1fs: %.0f Kubernetes requests (%.0f Secret GETs, %.0f status writes, %.0f writes), "+
		"%d Nairi calls", res.SecondsToIdle, res.KubeRequests, res.SecretGETs, res.StatusWrites, res.KubeWrites,
		res.Calls.Total)
	return res
}

// baselineFlags says which flags of the current build the bench must pass that the
// baseline does not know: --require-vault-grant=false once grants exist (the bench's
// objects have no NairiVault, like the baseline's users).
func currentOnlyFlags(bin string) []string {
	out, _ := exec.Command(bin, "--help").CombinedOutput()
	var extra []string
	if strings.Contains(string(out), "-require-vault-grant") {
		extra = append(extra, "--require-vault-grant=false")
	}
	return extra
}

// pair finds the current and baseline rows of a sync.
func pair(res *Results, name string) (cur, base *SyncResult) {
	for i := range res.Sync {
		s := &res.Sync[i]
		if s.Name != name {
			continue
		}
		if s.Build == buildBaseline {
			base = s
		} else {
			cur = s
		}
	}
	return cur, base
}

// ratio formats a/b as "0.42×", or "" when either is missing.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}
