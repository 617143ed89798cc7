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

// TargetVerdict is one target of issue 7 and how the run did against it.
type TargetVerdict struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Verdict  string `json:"verdict"` // met, MISSED, not run
}

const notRun = "not run"

func findSync(res *Results, name string) *SyncResult {
	for i := range res.Sync {
		if res.Sync[i].Name == name {
			return &res.Sync[i]
		}
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func verdicts(res *Results) []TargetVerdict {
	out := make([]TargetVerdict, 0, 4)
	t := TargetVerdict{Target: "1,000 objects all Ready in < 30 s at 20 ms API latency", Verdict: notRun}
	if s := findSync(res, "sync-1000"); s != nil {
		t.Measured = fmt.Sprintf("%.1f s (%d Ready, --max-concurrent-reconciles=%d, --nairi-qps=%g)",
			s.SecondsToReady, s.Ready, s.Concurrency, s.QPS)
		t.Verdict = verdict(s.Error == "" && s.SecondsToReady < 30)
	} else if res.Quick {
		t.Measured = "quick mode: 1,000-object run skipped"
	}
	out = append(out, t)

	t = TargetVerdict{Target: "rotation latency p99 < 1 s", Verdict: notRun}
	if r := res.Rotation; r.Observed > 0 {
		t.Measured = fmt.Sprintf("p99 %.0f ms over %d rotations", r.P99Ms, r.Observed)
		t.Verdict = verdict(r.Error == "" && r.P99Ms < 1000)
	}
	out = append(out, t)

	t = TargetVerdict{Target: "zero API calls in steady state besides drift Lists (one per vault per period)",
		Verdict: notRun}
	if s := res.Steady; s.WindowSeconds > 0 && s.Error == "" {
		t.Measured = fmt.Sprintf("%d calls in %.0f s: %d Lists (%.2f per vault per period), %d writes",
			s.Calls.Total, s.WindowSeconds, s.Calls.List, s.ListsPerVaultPerPeriod, s.WritesInWindow)
		t.Verdict = verdict(s.Calls.Total == s.Calls.List && s.ListsPerVaultPerPeriod <= 1.5)
	}
	out = append(out, t)

	t = TargetVerdict{Target: "RSS < 64 MiB with 10,000 unrelated 10 KiB Secrets", Verdict: notRun}
	for _, m := range res.Memory {
		if m.Build != buildFull && m.UnrelatedCount == 10000 && m.Error == "" {
			t.Measured = fmt.Sprintf("RSS %.1f MiB (%.1f anonymous + %.1f file-backed binary pages; peak %.1f MiB), "+
				"Go heap in use %.1f MiB", m.RSSMiB, m.RSSAnonMiB, m.RSSFileMiB, m.PeakRSSMiB, m.HeapInuseMiB)
			t.Verdict = verdict(m.RSSMiB < 64)
		}
	}
	if t.Verdict == notRun && res.Quick {
		t.Measured = "quick mode: 10,000-Secret run skipped"
	}
	out = append(out, t)
	return out
}

// floorSeconds is the least time the Nairi side allows: each reconcile waits for one
// POST (latency) with `concurrency` in flight, and the token bucket lets through
// burst + qps·t requests by time t.
func floorSeconds(s SyncResult) float64 {
	lat := float64(s.Objects) * float64(s.LatencyMs) / 1000 / float64(max(s.Concurrency, 1))
	bucket := 0.0
	if s.QPS > 0 {
		bucket = max(float64(s.Objects-s.Burst), 0) / s.QPS
	}
	if s.SimRateLimit > 0 {
		bucket = max(bucket, float64(s.Objects)/s.SimRateLimit)
	}
	return round(max(lat, bucket), 1)
}

func report(res *Results) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := res.Machine

	p("# Benchmarks\n\n")
	p("Speed, API economy and memory of the operator, measured by `%s` against a real kube-apiserver and\n",
		res.Command)
	p("etcd (envtest), the Nairi simulator (`internal/nairi/nairisim`, run inside the driver so it can time every\n")
	p("request as it arrives) and the real manager binary (`bin/manager`, a release build) as a subprocess. This\n")
	p("file and [`test/bench/results.json`](../test/bench/results.json) are written by the driver (`test/bench/`); do not edit\n")
	p("them by hand.\n\n")
	if res.Quick {
		p("> **This is a quick smoke run (`BENCH_QUICK=1`)**: far fewer objects and shorter windows than the issue\n")
		p("> asks for. Run `make bench` for the real figures.\n\n")
	}

	p("## How it was run\n\n")
	p("```sh\n%s\n```\n\n", res.Command)
	p("which runs:\n\n```sh\n")
	for _, bin := range res.Binaries {
		p("%s -o %s ./cmd\n", bin.Flags(), bin.Path)
	}
	quickFlag := ""
	if res.Quick {
		quickFlag = " -quick"
	}
	ldflags := ""
	if len(res.Binaries) > 0 && res.Binaries[0].LDFlags != "" {
		ldflags = fmt.Sprintf(" -ldflags=%q", res.Binaries[0].LDFlags)
	}
	p("go run -tags bench ./test/bench%s -latency %dms%s   # KUBEBUILDER_ASSETS from `make envtest-assets`\n",
		ldflags, res.Sync0Latency(), quickFlag)
	p("%s   # run by the driver, part 6\n```\n\n", strings.Join(microCommand(res.Quick), " "))
	p("%s\n\n", binariesNote(res.Binaries))
	p("Total duration: %.0f s.\n\n", res.Seconds)

	p("| machine | |\n|---|---|\n")
	p("| date (UTC) | %s |\n", m.Date)
	p("| nproc | %d |\n", m.CPUs)
	p("| CPU model | %s |\n", m.CPUModel)
	p("| memory | %.1f GiB |\n", m.MemoryGiB)
	p("| Go | %s |\n", m.GoVersion)
	p("| kernel | %s |\n", m.Kernel)
	p("| envtest (kube-apiserver, etcd) | %s |\n", m.Kubernetes)
	p("| load average at start / end | %s / %s |\n\n", m.LoadAvgStart, m.LoadAvgEnd)
	p("%s\n\n", machineNote(res))

	p("## Targets\n\n| target | measured | verdict |\n|---|---|---|\n")
	for _, t := range res.Targets {
		p("| %s | %s | %s |\n", t.Target, t.Measured, t.Verdict)
	}
	p("\n")
	if len(res.Errors) > 0 {
		p("Errors during this run:\n\n")
		for _, e := range res.Errors {
			p("- `%s`\n", strings.ReplaceAll(e, "\n", " "))
		}
		p("\n")
	}

	p("## 1. Initial sync\n\n")
	p("N NairiSecrets (each with its own Secret, created beforehand) are created at once by 8 goroutines, spread\n")
	p("round-robin over 10 vaults; the clock runs from the first NairiSecret create to the last one seen\n")
	p("`Ready=True/Synced` by a watch. Each run has its own namespace, simulator and manager\n")
	p("(`--watch-namespaces` set to that namespace). Simulator latency: %d ms per request.\n", res.Sync0Latency())
	p("Unless the row says otherwise the manager runs with `--nairi-qps=200 --nairi-burst=200`, so that the\n")
	p("client-side token bucket (default 5/s, burst 10: an API-friendly default) is not what is measured;\n")
	p("the `default-qps` row shows the default.\n\n")
	p("*Floor* is the least time the Nairi side allows: max(N × latency / concurrency, (N − burst) / qps).\n")
	p("*CPU* is cores used during the window by kube-apiserver / etcd / manager / driver+simulator /\n")
	p("other processes on the machine (of %d).\n\n", m.CPUs)
	b.WriteString(row("run", "N", "concurrency", "qps/burst", "create (s)", "all Ready (s)", "objects/s", "floor (s)",
		"API calls", "= N POSTs", "peak RSS (MiB)", "CPU apiserver/etcd/manager/driver/others"))
	p("|---|---:|---:|---|---:|---:|---:|---:|---|---|---:|---|\n")
	for _, s := range res.Sync {
		calls := fmt.Sprintf("%d (POST %d, PATCH %d, List %d)", s.Calls.Total, s.Calls.POST, s.Calls.PATCH, s.Calls.List)
		status := fmt.Sprintf("%.2f", s.SecondsToReady)
		if s.Error != "" {
			status = fmt.Sprintf("%s (%d Ready; %s)", status, s.Ready, s.Error)
		}
		p("| %s | %d | %d | %g/%d | %.2f | %s | %.1f | %.1f | %s | %s | %.1f | %.2f / %.2f / %.2f / %.2f / %.2f |\n",
			s.Name, s.Objects, s.Concurrency, s.QPS, s.Burst, s.CreateSeconds, status, s.ObjectsPerSecond,
			floorSeconds(s), calls, yes(s.OnlyNPosts), s.PeakRSSMiB,
			s.CPU.APIServer, s.CPU.Etcd, s.CPU.Manager, s.CPU.Driver, s.CPU.Others)
	}
	p("\n")
	p("%s\n\n", boundExplanation(res))

	p("## 2. Change propagation (rotation)\n\n")
	r := res.Rotation
	if r.Observed > 0 {
		p("%d Secrets of a synced namespace of %d objects are updated one after the other (a merge patch of\n",
			r.Rotations, r.Objects)
		p("`data.value`); the latency is from just before the update is sent to the PATCH arriving at the simulator\n")
		p("(before its %d ms latency). It spans the API server write, the metadata watch event, the index lookup,\n",
			res.Sync0Latency())
		p("the work queue, the uncached Secret read, the digest and the client's token bucket.\n\n")
		b.WriteString(row("rotations", "PATCHes seen", "p50 (ms)", "p95 (ms)", "p99 (ms)", "max (ms)", "mean (ms)"))
		p("|---:|---:|---:|---:|---:|---:|---:|\n")
		p("| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f |\n\n",
			r.Observed, r.PATCHes, r.P50Ms, r.P95Ms, r.P99Ms, r.MaxMs, r.MeanMs)
		p("Exactly one PATCH per rotation is expected (%d PATCHes for %d rotations).\n\n", r.PATCHes, r.Observed)
	} else {
		p("Not run (%s).\n\n", r.Error)
	}

	p("## 3. Steady state\n\n")
	s := res.Steady
	if s.WindowSeconds > 0 {
		p("%d objects over %d vaults with `refreshInterval: %gs`, manager default `--nairi-list-cache-ttl=%gs`;\n",
			s.Objects, s.Vaults, s.RefreshSeconds, s.ListCacheTTLSeconds)
		p("after sync and one full refresh period, nothing changes for %.0f s (a compressed stand-in for 10 minutes\n",
			s.WindowSeconds)
		p("at a longer interval: the cost scales with window / refreshInterval). %s.\n\n", res.Notes["steadySync"])
		b.WriteString(row("window (s)", "API calls", "Lists", "POST/PATCH/DELETE", "Lists per vault per period",
			"one-per-object would be", "CPU apiserver/etcd/manager"))
		p("|---:|---:|---:|---:|---:|---:|---|\n")
		perObject := float64(s.Objects) * s.WindowSeconds / s.RefreshSeconds
		p("| %.0f | %d | %d | %d | %.2f | %.0f Lists | %.2f / %.2f / %.2f |\n\n", s.WindowSeconds, s.Calls.Total,
			s.Calls.List, s.WritesInWindow, s.ListsPerVaultPerPeriod, perObject, s.CPU.APIServer, s.CPU.Etcd, s.CPU.Manager)
		p("Every object's drift check is due every %gs, at a time set by its own last check, so the checks of a\n",
			s.RefreshSeconds)
		p("vault are spread over the period; one List serves all of them for the list-cache TTL. Each drift check\n")
		p("still writes `status.lastCheckedTime` to the Kubernetes API (%d objects / %gs = %.0f status patches/s), which\n",
			s.Objects, s.RefreshSeconds, float64(s.Objects)/s.RefreshSeconds)
		p("is the CPU the API server spends above.\n\n")
	} else {
		p("Not run.\n\n")
	}

	p("## 4. Memory vs. unrelated Secrets\n\n")
	p("A fresh control plane; the manager watches all namespaces and syncs %d NairiSecrets while N unrelated\n",
		firstManaged(res))
	p("Secrets of 10 KiB (random data) exist in another namespace. Each measurement is a fresh manager process,\n")
	p("read once a new probe NairiSecret is Ready (caches synced) plus a short settle: RSS and peak RSS\n")
	p("(`VmRSS`/`VmHWM` of `/proc/<pid>/status`), split into anonymous and file-backed pages (`RssAnon`/`RssFile`),\n")
	p("the resident pages of the manager binary's own mappings (`/proc/<pid>/smaps`), and Go heap in use\n")
	p("(`go_memstats_heap_inuse_bytes`).\n")
	p("`fullsecretcache` is `-tags fullsecretcache`: Secrets watched and cached whole, as a naive operator would.\n\n")
	if res.Notes["memory"] != "" {
		p("Note: %s.\n\n", res.Notes["memory"])
	}
	b.WriteString(row("unrelated Secrets", "build", "RSS (MiB)", "RSS anon / file-backed (MiB)",
		"of which binary pages (MiB)", "peak RSS (MiB)", "Go heap in use (MiB)", "Go runtime sys (MiB)",
		"full / metadata-only (RSS, heap)"))
	p("|---:|---|---:|---:|---:|---:|---:|---:|---|\n")
	for i, mr := range res.Memory {
		ratio := ""
		if mr.Build == buildFull && i > 0 && res.Memory[i-1].UnrelatedCount == mr.UnrelatedCount {
			base := res.Memory[i-1]
			if base.RSSMiB > 0 && base.HeapInuseMiB > 0 {
				ratio = fmt.Sprintf("%.1f×, %.1f×", mr.RSSMiB/base.RSSMiB, mr.HeapInuseMiB/base.HeapInuseMiB)
			}
		}
		errNote := ""
		if mr.Error != "" {
			errNote = " (" + mr.Error + ")"
		}
		p("| %d | %s%s | %.1f | %.1f / %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n", mr.UnrelatedCount, mr.Build, errNote,
			mr.RSSMiB, mr.RSSAnonMiB, mr.RSSFileMiB, mr.RSSBinaryMiB, mr.PeakRSSMiB, mr.HeapInuseMiB, mr.GoSysMiB, ratio)
	}
	p("\n%s\n\n", memoryExplanation(res))

	p("## 5. Rate limiting\n\n")
	if len(res.RateLimit) > 0 {
		rl := res.RateLimit[0]
		p("The simulator allows %g requests/s per key (burst %d) and answers 429 with `Retry-After` (whole seconds)\n",
			rl.SimLimit, rl.SimBurst)
		p("beyond. First the manager runs with its client-side bucket *above* the limit, so only the pause after a 429\n")
		p("(shared by every request made with the key) keeps it in check; then with the bucket just under the limit,\n")
		p("as `--nairi-qps` is meant to be set (the default 5/s suits a 10/s key).\n\n")
		b.WriteString(row("run", "objects", "--nairi-qps/burst", "all Ready (s)", "Ready", "API calls", "429s",
			"share of requests", "successful req/s", "sent req/s", "limit", "longest pause after a 429 (ms)"))
		p("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, rl := range res.RateLimit {
			p("| %s | %d | %g/%d | %.1f | %d | %d | %d | %.1f%% | %.2f | %.2f | %g/s | %.0f |\n",
				rl.Sync.Name, rl.Sync.Objects, rl.Sync.QPS, rl.Sync.Burst, rl.Sync.SecondsToReady, rl.Sync.Ready,
				rl.Sync.Calls.Total, rl.Got429, rl.Share429*100, rl.AchievedRate, rl.SentRate, rl.SimLimit, rl.PausesObservedMs)
		}
		p("\n%s\n\n", rateComment(res.RateLimit))
	} else {
		p("Not run.\n\n")
	}

	p("## 6. Micro-benchmarks\n\n")
	p("`%s` (hot in-process paths; `-benchmem`).\n\n", strings.Join(microCommand(res.Quick), " "))
	p("| package | benchmark | ns/op | B/op | allocs/op |\n|---|---|---:|---:|---:|\n")
	for _, mr := range res.Micro {
		p("| %s | %s | %.0f | %d | %d |\n", mr.Package, mr.Name, mr.NsPerOp, mr.BytesPerOp, mr.AllocsPerOp)
	}
	p("\n")
	return b.String()
}

// binariesNote says how the managers under test were built, as read back from the binaries.
func binariesNote(bins []Binary) string {
	if len(bins) == 0 {
		return ""
	}
	var parts []string
	release := true
	for _, bin := range bins {
		parts = append(parts, fmt.Sprintf("`%s` %.1f MiB", bin.Path, bin.SizeMiB))
		release = release && bin.Release
	}
	if !release {
		return "**The managers measured are not release builds** (" + strings.Join(parts, ", ") + "): their memory " +
			"figures are not those of what ships."
	}
	return "Both managers are **release builds**, with the flags of `make build-release` and the Dockerfile " +
		"(`CGO_ENABLED=0 -trimpath -ldflags \"$(RELEASE_LDFLAGS)\"`: static, symbol table and DWARF stripped), as " +
		"read back from each binary (`CGO_ENABLED` and `-trimpath` from its Go build info, no `.symtab` or DWARF " +
		"sections in its ELF file): " + strings.Join(parts, ", ") + "."
}

// machineNote says how busy the machine was with work other than the benchmark's, from the
// CPU the other processes used during the measured windows.
func machineNote(res *Results) string {
	type window struct {
		name   string
		others float64
	}
	var ws []window
	for _, s := range res.Sync {
		ws = append(ws, window{s.Name, s.CPU.Others})
	}
	if res.Steady.WindowSeconds > 0 {
		ws = append(ws, window{"steady state", res.Steady.CPU.Others})
	}
	for _, rl := range res.RateLimit {
		ws = append(ws, window{rl.Sync.Name, rl.Sync.CPU.Others})
	}
	if len(ws) == 0 {
		return ""
	}
	var sum float64
	top := ws[0]
	for _, w := range ws {
		sum += w.others
		if w.others > top.others {
			top = w
		}
	}
	mean := sum / float64(len(ws))
	state := "The machine was **not reserved** for this run but was **quiet**: apart from the benchmark only " +
		"light work by others ran on it."
	if mean >= 0.15 {
		state = "The machine was **shared with other work** while this ran."
	}
	return fmt.Sprintf("%s Processes outside the benchmark used %.2f cores on average during the measured windows "+
		"(at most %.2f, during `%s`) of %d. kube-apiserver and etcd run on the same %d cores as the manager, so "+
		"absolute times depend on the machine. Each sync table row shows how much CPU every party used, including "+
		"other processes, so a slow row can be told from a slow operator.",
		state, mean, top.others, top.name, res.Machine.CPUs, res.Machine.CPUs)
}

func (res *Results) Sync0Latency() int64 {
	if len(res.Sync) > 0 {
		return res.Sync[0].LatencyMs
	}
	return 20
}

func firstManaged(res *Results) int {
	if len(res.Memory) > 0 {
		return res.Memory[0].NairiSecrets
	}
	return 0
}

// row is one Markdown table row.
func row(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |\n" }

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func rateComment(runs []RateLimitResult) string {
	var parts []string
	for _, rl := range runs {
		if rl.Sync.Error != "" {
			parts = append(parts, fmt.Sprintf("`%s` did not finish: %s.", rl.Sync.Name, rl.Sync.Error))
			continue
		}
		where := "sits just under the limit"
		if rl.AchievedRate > rl.SimLimit*1.05 || rl.AchievedRate < rl.SimLimit*0.8 {
			where = fmt.Sprintf("is %.0f%% of the limit", 100*rl.AchievedRate/rl.SimLimit)
		}
		parts = append(parts, fmt.Sprintf("`%s`: all %d objects Ready; %d 429s; the achieved rate (%.2f/s) %s.",
			rl.Sync.Name, rl.Sync.Ready, rl.Got429, rl.AchievedRate, where))
	}
	parts = append(parts, "With the bucket above the limit each 429 makes the client stop every request of the key "+
		"for the whole `Retry-After` (1 s, rounded up by the API, while the server's bucket refills in 0.1 s), and the "+
		"requests already in flight from the other workers (up to --max-concurrent-reconciles) are refused too, so the "+
		"429s come in small clusters, one cluster per pause. With the bucket under the limit there is nothing to "+
		"refuse.")
	return strings.Join(parts, " ")
}

// busyShare is the share of the machine's cores in use during a sync window.
func busyShare(s *SyncResult) float64 {
	busy := s.CPU.APIServer + s.CPU.Etcd + s.CPU.Manager + s.CPU.Driver + s.CPU.Others
	return busy / float64(max(s.CPU.Cores, 1))
}

// cpuPerObject is the CPU (ms) each party spent per Ready object during a sync window.
func cpuPerObject(s *SyncResult, cores float64) float64 {
	if s.Ready == 0 {
		return 0
	}
	return 1000 * cores * s.SecondsToReady / float64(s.Ready)
}

// boundExplanation says, from the measured CPU shares, what limited the sync rate.
func boundExplanation(res *Results) string {
	s := findSync(res, "sync-1000")
	if s == nil && len(res.Sync) > 0 {
		s = &res.Sync[0]
	}
	if s == nil || s.SecondsToReady <= 0 || s.Ready == 0 {
		return ""
	}
	ours := func(r *SyncResult) float64 {
		return cpuPerObject(r, r.CPU.APIServer+r.CPU.Etcd+r.CPU.Manager+r.CPU.Driver)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**What bounds it.** The Nairi side is not the limit at qps %g (`%s`: %.1f s against a floor of "+
		"%.1f s). The Kubernetes side is: each object costs the Kubernetes API the driver's create of the "+
		"NairiSecret plus the operator's finalizer patch, uncached Secret read, status patch and Event, and the watch "+
		"events those fan out, all served by kube-apiserver and etcd on the same %d cores as the manager and the "+
		"driver. ", s.QPS, s.Name, s.SecondsToReady, floorSeconds(*s), s.CPU.Cores)
	fmt.Fprintf(&b, "During `%s` (%d workers) the cores were %.0f%% busy: kube-apiserver %.2f cores, etcd %.2f, the "+
		"manager %.2f, the driver (creates, Ready watch, simulator) %.2f, other processes %.2f; per object that is "+
		"%.1f ms of kube-apiserver CPU, %.1f ms of etcd, %.1f ms of the manager, %.1f ms in all. Each worker spends "+
		"%.0f ms per object (%d workers / %.1f objects/s), %d ms of it waiting for the POST and the rest on its "+
		"Kubernetes round trips. ",
		s.Name, s.Concurrency, 100*busyShare(s), s.CPU.APIServer, s.CPU.Etcd, s.CPU.Manager, s.CPU.Driver,
		s.CPU.Others, cpuPerObject(s, s.CPU.APIServer), cpuPerObject(s, s.CPU.Etcd), cpuPerObject(s, s.CPU.Manager),
		ours(s), 1000*float64(s.Concurrency)/max(s.ObjectsPerSecond, 0.001), s.Concurrency, s.ObjectsPerSecond,
		s.LatencyMs)
	c1, c16 := findSync(res, "sync-1000-c1"), findSync(res, "sync-1000-c16")
	if c1 != nil && c16 != nil && c1.Error == "" && c16.Error == "" {
		fmt.Fprintf(&b, "Concurrency helps until the CPU runs out (%.1f, %.1f and %.1f objects/s at 1, %d and 16 "+
			"workers): at 1 worker each object waits for its POST and its Kubernetes round trips in series (the "+
			"machine %.0f%% busy); at 16 the cores were %.0f%% busy (kube-apiserver alone %.2f cores) and each object "+
			"took %.1f ms of CPU of the benchmark's parties (%.1f ms of it kube-apiserver): %d cores / %.1f ms ≈ %.0f "+
			"objects/s is the ceiling on this machine, so that row is bound by CPU on the Kubernetes side. ",
			c1.ObjectsPerSecond, s.ObjectsPerSecond, c16.ObjectsPerSecond, s.Concurrency, 100*busyShare(c1),
			100*busyShare(c16), c16.CPU.APIServer, ours(c16), cpuPerObject(c16, c16.CPU.APIServer), c16.CPU.Cores,
			ours(c16), float64(c16.CPU.Cores)*1000/max(ours(c16), 0.001))
	}
	for i := range res.Sync {
		d := &res.Sync[i]
		if !strings.HasSuffix(d.Name, "-default-qps") || d.Error != "" {
			continue
		}
		need := float64(1000-d.Burst) / 30
		fmt.Fprintf(&b, "The default `--nairi-qps=%g` row (`%s`, %.1f s) is bounded by the token bucket by design "+
			"((N − %d)/%g = %.1f s): it protects the key's quota, so a large first sync needs `--nairi-qps` raised if "+
			"the key allows it: (1,000 − %d)/30 s = %.0f/s at the least for 1,000 objects in 30 s, about 40/s to "+
			"leave room for the Kubernetes side.", d.QPS, d.Name, d.SecondsToReady, d.Burst, d.QPS, floorSeconds(*d),
			d.Burst, need)
	}
	return b.String()
}

// memoryExplanation interprets the memory table against the 64 MiB target: where the
// RSS goes (the binary's file-backed pages vs anonymous memory) and what each Secret adds.
func memoryExplanation(res *Results) string {
	var base, big, full *MemoryResult
	for i := range res.Memory {
		m := &res.Memory[i]
		switch {
		case m.Build != buildFull && m.UnrelatedCount == 0:
			base = m
		case m.Build != buildFull && m.UnrelatedCount == 10000:
			big = m
		case m.Build == buildFull && m.UnrelatedCount == 10000:
			full = m
		}
	}
	if base == nil || big == nil || full == nil || base.Error != "" || big.Error != "" || full.Error != "" {
		return ""
	}
	growth := big.RSSAnonMiB - base.RSSAnonMiB
	var b strings.Builder
	fmt.Fprintf(&b, "With 10,000 unrelated 10 KiB Secrets (≈ %.0f MiB of Secret data) the metadata-only manager grows "+
		"by %.1f MiB of anonymous memory over its empty-cluster figure (%.1f → %.1f MiB; Go heap in use %.1f → %.1f "+
		"MiB): about %.1f KiB per Secret of metadata (managedFields and kubectl's last-applied-configuration are "+
		"dropped from the cache), whatever the size of the data. The build that caches Secrets whole holds %.1f MiB "+
		"of Go heap (%.1f× as much) and %.1f MiB RSS (%.1f×).\n\n",
		10000.0*10/1024, growth, base.RSSAnonMiB, big.RSSAnonMiB, base.HeapInuseMiB, big.HeapInuseMiB,
		growth*1024/10000, full.HeapInuseMiB, full.HeapInuseMiB/max(big.HeapInuseMiB, 0.1), full.RSSMiB,
		full.RSSMiB/max(big.RSSMiB, 0.1))
	if big.RSSMiB >= 64 {
		fmt.Fprintf(&b, "**The 64 MiB RSS target is missed** (%.1f MiB, peak %.1f MiB). Where it goes:", big.RSSMiB,
			big.PeakRSSMiB)
	} else {
		fmt.Fprintf(&b, "**The 64 MiB RSS target is met** (%.1f MiB, peak %.1f MiB: %.1f and %.1f MiB under it, a "+
			"margin of the order of the run-to-run variation of the heap, see below). Where it goes:", big.RSSMiB,
			big.PeakRSSMiB, 64-big.RSSMiB, 64-big.PeakRSSMiB)
	}
	binary := fmt.Sprintf("%.1f MiB of them", big.RSSBinaryMiB)
	if big.RSSBinaryMiB >= big.RSSFileMiB-0.5 {
		binary = fmt.Sprintf("all of them (%.1f MiB by `/proc/<pid>/smaps`, read a moment later)", big.RSSBinaryMiB)
	}
	heldHeap := big.HeapSysMiB - big.HeapReleasedMiB
	fmt.Fprintf(&b, " %.1f MiB are file-backed pages, %s the pages of the manager binary's own mappings (text and "+
		"read-only data of client-go, controller-runtime and the generated API types; %.1f MiB file-backed on an "+
		"empty cluster, where RSS is %.1f MiB). They do not grow with the cluster; they are clean, shared page cache "+
		"that the kernel can drop and re-read, not heap, but they count in RSS. The other %.1f MiB are anonymous: the "+
		"Go heap the runtime holds from the OS (%.1f MiB, of which %.1f MiB in use, the rest free spans not yet "+
		"returned), goroutine stacks (%.1f MiB) and the runtime's own metadata. Only the anonymous part grows with "+
		"the cluster's Secrets (%.1f MiB of it is there with none). Each figure is one snapshot: Go heap in use "+
		"includes garbage not yet collected (the initial metadata List of all Secrets is decoded at once), so it "+
		"varies by a few MiB between runs.",
		big.RSSFileMiB, binary, base.RSSFileMiB, base.RSSMiB, big.RSSAnonMiB, heldHeap,
		big.HeapInuseMiB, big.StackInuseMiB, base.RSSAnonMiB)
	return b.String()
}
