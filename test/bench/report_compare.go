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
	"fmt"
	"strings"
)

// compareSections renders the scenarios that run the current build beside the baseline.
func compareSections(res *Results) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	baseline := res.Notes["baseline"]
	if baseline == "" {
		baseline = "the baseline commit"
	}
	p("Every headline row below ran twice in this run, on the same workload and control plane: with the\n")
	p("current build (`bin/manager`, its default flags unless the row says otherwise%s) and with the\n",
		extraNote(res.Notes["currentOnlyFlags"]))
	p("**baseline** built from `%s` (`bin/manager-baseline`, the commit before the adaptive rate, the\n", baseline)
	p("in-process drift schedule and the zero-cost restart), with `--nairi-qps` raised as its users had to (its\n")
	p("default of 5 req/s makes 1,000 objects take 200 s). *ratio* is current / baseline. Each run has its own\n")
	p("namespace, simulator (latency %d ms per request, 10 vaults) and manager (`--watch-namespaces`).\n",
		res.Sync0Latency())
	p("*Kubernetes requests* are the manager's own (`rest_client_requests_total`: reads, writes, LIST and\n")
	p("WATCH); *writes* and *Secret GETs* are counted by kube-apiserver (`apiserver_request_total`).\n")
	p("*CPU* is cores used by kube-apiserver / etcd / manager / driver+simulator / other processes (of %d).\n\n",
		res.Machine.CPUs)

	p("## 1. First sync with default flags\n\n")
	syncTable(&b, res, "default-1000")

	p("## 2. Secret change → PATCH\n\n")
	p("Secrets of the synced namespace of section 1 are updated one after the other (a merge patch of\n")
	p("`data.value`); the latency is from just before the update is sent to the PATCH arriving at the simulator\n")
	p("(before its simulated latency).\n\n")
	b.WriteString(row("build", "rotations", "PATCHes seen", "p50 (ms)", "p95 (ms)", "p99 (ms)", "max (ms)"))
	p("|---|---:|---:|---:|---:|---:|---:|\n")
	var p99 [2]float64
	for _, r := range res.Rotation {
		p("| %s | %d | %d | %.1f | %.1f | %.1f | %.1f |\n", r.Build, r.Observed, r.PATCHes, r.P50Ms, r.P95Ms,
			r.P99Ms, r.MaxMs)
		p99[map[bool]int{true: 0, false: 1}[r.Build == buildCurrent]] = r.P99Ms
	}
	p("\np99 ratio: %s.\n\n", orDash(ratio(p99[0], p99[1])))

	p("## 3. Against a key limited to 20 requests/s\n\n")
	p("The simulator allows 20 requests/s per key (burst 20) and answers 429 with `Retry-After` (whole seconds)\n")
	p("beyond. The current build runs with its defaults (it finds the limit); the baseline with\n")
	p("`--nairi-qps=20`, the limit set by hand as its README advised.\n\n")
	b.WriteString(row("build", "flags", "objects", "all Ready (s)", "Nairi requests", "429s", "share 429",
		"successful req/s", "of the limit"))
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	cur, base := pair(res, "limited20-1000")
	for _, s := range []*SyncResult{cur, base} {
		if s == nil {
			continue
		}
		p("| %s | `%s` | %d | %s | %d | %d | %.1f %% | %.2f | %.0f %% |\n", s.Build, s.Flags, s.Objects, readyCell(s),
			s.Calls.Total, s.Got429, 100*s.Share429, s.SuccessPerSecond, 100*s.SuccessPerSecond/20)
	}
	if cur != nil && base != nil {
		p("\nTime ratio %s; 429s %d vs %d.\n", orDash(ratio(cur.SecondsToReady, base.SecondsToReady)),
			cur.Got429, base.Got429)
	}
	p("\n")

	p("## 4. `--max-concurrent-reconciles`\n\n")
	p("The current build, default flags but for the concurrency, on 1,000 objects (an unlimited API).\n\n")
	b.WriteString(row("concurrency", "all Ready (s)", "objects/s", "Kubernetes requests / object", "peak RSS (MiB)",
		"CPU apiserver/etcd/manager/driver/others"))
	p("|---:|---:|---:|---:|---:|---|\n")
	for _, s := range res.Sync {
		if !strings.HasPrefix(s.Name, "concurrency-") {
			continue
		}
		p("| %d | %s | %.1f | %.2f | %.1f | %s |\n", s.Concurrency, readyCell(&s), s.ObjectsPerSecond, s.KubePerObject,
			s.PeakRSSMiB, cpuCell(s.CPU))
	}
	p("\n")

	p("## 5. Steady state at `refreshInterval: 5s`\n\n")
	p("1,000 synced objects over 10 vaults check for drift every 5 s; after one full period, nothing changes\n")
	p("for the window. Kubernetes writes are all the writes kube-apiserver served in the window (the driver\n")
	p("makes none) but the renewals of its own identity Lease.\n\n")
	b.WriteString(row("build", "window (s)", "Kubernetes writes", "writes/s", "status writes", "Nairi calls",
		"Nairi writes", "Lists per vault per period", "CPU apiserver/etcd/manager"))
	p("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, st := range res.Steady {
		p("| %s | %.0f | %.0f | %.2f | %.0f | %d | %d | %.2f | %.2f / %.2f / %.2f |\n", st.Build, st.WindowSeconds,
			st.KubeWrites, st.KubeWritesPerSecond, st.StatusWrites, st.Calls.Total, st.WritesInWindow,
			st.ListsPerVaultPerPeriod, st.CPU.APIServer, st.CPU.Etcd, st.CPU.Manager)
	}
	p("\n")

	p("## 6. 10,000 objects, and a restart over them\n\n")
	syncTable(&b, res, "sync-10000")
	p("Then the manager is stopped and started again on the same, synced objects: the clock runs from the\n")
	p("start of the new process until it has reconciled every object and its workqueue is idle\n")
	p("(`controller_runtime_reconcile_total` ≥ N, `workqueue_depth` 0, no active worker).\n\n")
	p("The current build's one Secret GET is its digest key (`nairi-secrets-operator-hmac-key` in its own\n")
	p("namespace), read once per process whatever the number of objects.\n\n")
	b.WriteString(row("build", "objects", "to idle (s)", "Kubernetes requests", "Secret GETs", "status writes",
		"all writes", "Nairi calls", "peak RSS (MiB)"))
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range res.Restart {
		idle := fmt.Sprintf("%.1f", r.SecondsToIdle)
		if r.Error != "" {
			idle += " (" + r.Error + ")"
		}
		p("| %s | %d | %s | %.0f | %.0f | %.0f | %.0f | %d (List %d) | %.1f |\n", r.Build, r.Objects, idle,
			r.KubeRequests, r.SecretGETs, r.StatusWrites, r.KubeWrites, r.Calls.Total, r.Calls.List, r.PeakRSSMiB)
	}
	if len(res.Restart) == 2 {
		p("\nTime-to-idle ratio %s; Kubernetes requests ratio %s.\n",
			orDash(ratio(res.Restart[0].SecondsToIdle, res.Restart[1].SecondsToIdle)),
			orDash(ratio(res.Restart[0].KubeRequests, res.Restart[1].KubeRequests)))
	}
	p("\n")
	return strings.TrimRight(b.String(), "\n")
}

// syncTable renders the current and baseline rows of a sync with their ratios.
func syncTable(b *strings.Builder, res *Results, name string) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	cur, base := pair(res, name)
	b.WriteString(row("build", "flags", "objects", "all Ready (s)", "objects/s", "Nairi calls", "Kubernetes requests",
		"per object", "peak RSS (MiB)", "per 1,000 (MiB)", "CPU apiserver/etcd/manager/driver/others"))
	p("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|\n")
	for _, s := range []*SyncResult{cur, base} {
		if s == nil {
			continue
		}
		p("| %s | `%s` | %d | %s | %.1f | %d (POST %d) | %.0f | %.2f | %.1f | %.2f | %s |\n", s.Build, s.Flags,
			s.Objects, readyCell(s), s.ObjectsPerSecond, s.Calls.Total, s.Calls.POST, s.KubeRequests, s.KubePerObject,
			s.PeakRSSMiB, s.RSSPer1000MiB, cpuCell(s.CPU))
	}
	if cur != nil && base != nil {
		p("| **ratio** | | | %s | | | %s | | %s | | |\n", orDash(ratio(cur.SecondsToReady, base.SecondsToReady)),
			orDash(ratio(cur.KubeRequests, base.KubeRequests)), orDash(ratio(cur.PeakRSSMiB, base.PeakRSSMiB)))
	}
	p("\n")
}

func readyCell(s *SyncResult) string {
	c := fmt.Sprintf("%.2f", s.SecondsToReady)
	if s.Error != "" {
		c = fmt.Sprintf("%s (%d Ready; %s)", c, s.Ready, s.Error)
	}
	return c
}

func cpuCell(c CPUUse) string {
	return fmt.Sprintf("%.2f / %.2f / %.2f / %.2f / %.2f", c.APIServer, c.Etcd, c.Manager, c.Driver, c.Others)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func extraNote(flags string) string {
	if flags == "" {
		return ""
	}
	return fmt.Sprintf("; plus `%s`, which the bench's objects need and the baseline does not know", flags)
}
