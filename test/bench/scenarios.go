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
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"os"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

const mib = 1 << 20

// The two manager builds of the memory scenario, as named in the results.
const (
	buildMetadataOnly = "metadata-only (release)"
	buildFull         = "fullsecretcache"
)

// syncSpec is one initial-sync run.
type syncSpec struct {
	name        string
	n           int
	vaults      int
	latency     time.Duration
	concurrency int
	qps         float64
	burst       int
	refresh     time.Duration // spec.refreshInterval; 0 = default (1h)
	simLimit    float64       // simulator rate limit (req/s), 0 = none
	simBurst    int
	timeout     time.Duration
}

// SyncResult is one initial-sync run.
type SyncResult struct {
	Name             string   `json:"name"`
	Objects          int      `json:"objects"`
	Vaults           int      `json:"vaults"`
	LatencyMs        int64    `json:"simulatorLatencyMs"`
	Concurrency      int      `json:"maxConcurrentReconciles"`
	QPS              float64  `json:"nairiQPS"`
	Burst            int      `json:"nairiBurst"`
	SimRateLimit     float64  `json:"simulatorRateLimit,omitempty"`
	CreateSeconds    float64  `json:"createSeconds"`
	SecondsToReady   float64  `json:"secondsToAllReady"`
	ObjectsPerSecond float64  `json:"objectsPerSecond"`
	Ready            int      `json:"ready"`
	Calls            apiCalls `json:"apiCalls"`
	OnlyNPosts       bool     `json:"callsEqualNPosts"`
	PeakRSSMiB       float64  `json:"peakRSSMiB"`
	HeapInuseMiB     float64  `json:"goHeapInuseMiB"`
	CPU              CPUUse   `json:"cpuCoresUsed"`
	Error            string   `json:"error,omitempty"`
}

// syncRun is a finished sync whose manager, simulator and objects stay up for the
// scenarios that follow it.
type syncRun struct {
	spec    syncSpec
	ns      string
	sim     *sim
	mgr     *manager
	tracker *readyTracker
	secrets []client.Object
}

func (r *syncRun) close() {
	if r.tracker != nil {
		r.tracker.stop()
	}
	if r.mgr != nil {
		r.mgr.stop()
	}
	if r.sim != nil {
		r.sim.close()
	}
}

func (b *bench) runSync(ctx context.Context, cl *cluster, s syncSpec) (SyncResult, *syncRun) {
	res := SyncResult{Name: s.name, Objects: s.n, Vaults: s.vaults, LatencyMs: s.latency.Milliseconds(),
		Concurrency: s.concurrency, QPS: s.qps, Burst: s.burst, SimRateLimit: s.simLimit}
	run := &syncRun{spec: s, ns: s.name}
	fail := func(err error) (SyncResult, *syncRun) {
		res.Error = err.Error()
		log.Printf("  %s: %v", s.name, err)
		return res, run
	}
	log.Printf("sync %s: %d objects, %d vaults, %s latency, concurrency %d, qps %g/%d",
		s.name, s.n, s.vaults, s.latency, s.concurrency, s.qps, s.burst)
	if err := cl.namespace(ctx, run.ns); err != nil {
		return fail(err)
	}
	var err error
	run.sim, err = startSim(simOptions{vaults: s.vaults, latency: s.latency, rateLimit: s.simLimit, rateBurst: s.simBurst})
	if err != nil {
		return fail(err)
	}
	run.mgr, err = cl.startManager(ctx, managerOptions{binary: b.managerBin, name: "manager-" + s.name,
		simURL: run.sim.URL, namespace: run.ns, concurrency: s.concurrency, qps: s.qps, burst: s.burst})
	if err != nil {
		return fail(err)
	}
	secrets, nsecs := objects(run.ns, s.n, run.sim.Vaults, s.refresh)
	run.secrets = secrets
	if err := cl.createAll(ctx, secrets, 8); err != nil {
		return fail(err)
	}
	run.tracker, err = cl.trackReady(ctx, run.ns)
	if err != nil {
		return fail(err)
	}
	run.sim.reset()
	before := cl.snapshot(run.mgr.Pid())
	start := time.Now()
	if err := cl.createAll(ctx, nsecs, 8); err != nil {
		return fail(err)
	}
	res.CreateSeconds = round(time.Since(start).Seconds(), 2)
	last, werr := run.tracker.waitFor(ctx, s.n, s.timeout)
	after := cl.snapshot(run.mgr.Pid())
	res.Ready, _ = run.tracker.count()
	res.SecondsToReady = round(last.Sub(start).Seconds(), 2)
	if res.SecondsToReady > 0 {
		res.ObjectsPerSecond = round(float64(res.Ready)/res.SecondsToReady, 1)
	}
	res.CPU = cpuUse(before, after, b.cores)
	res.Calls = run.sim.calls()
	// After the window, so that any stray call made right after the last Ready counts.
	time.Sleep(500 * time.Millisecond)
	res.Calls = run.sim.calls()
	res.OnlyNPosts = res.Calls.POST == s.n && res.Calls.Total == s.n
	hwm, _ := procStatus(run.mgr.Pid())
	res.PeakRSSMiB = round(float64(hwm)/mib, 1)
	if g, err := run.mgr.metrics("go_memstats_heap_inuse_bytes"); err == nil {
		res.HeapInuseMiB = round(g["go_memstats_heap_inuse_bytes"]/mib, 1)
	}
	if werr != nil {
		return fail(werr)
	}
	log.Printf("  %d Ready in %.2fs (%.1f objects/s); calls %d (POST %d); peak RSS %.1f MiB; "+
		"cpu mgr %.2f apiserver %.2f etcd %.2f others %.2f",
		res.Ready, res.SecondsToReady, res.ObjectsPerSecond, res.Calls.Total, res.Calls.POST, res.PeakRSSMiB,
		res.CPU.Manager, res.CPU.APIServer, res.CPU.Etcd, res.CPU.Others)
	return res, run
}

// RotationResult is scenario 2.
type RotationResult struct {
	Rotations int     `json:"rotations"`
	Observed  int     `json:"observed"`
	P50Ms     float64 `json:"p50Ms"`
	P95Ms     float64 `json:"p95Ms"`
	P99Ms     float64 `json:"p99Ms"`
	MaxMs     float64 `json:"maxMs"`
	MeanMs    float64 `json:"meanMs"`
	PATCHes   int     `json:"patches"`
	Objects   int     `json:"objectsInNamespace"`
	Error     string  `json:"error,omitempty"`
}

// runRotation updates `count` Secrets one by one and times Secret update → PATCH arrival.
func (b *bench) runRotation(ctx context.Context, cl *cluster, run *syncRun, count int) RotationResult {
	res := RotationResult{Rotations: count, Objects: run.spec.n}
	log.Printf("rotation: %d Secrets one by one (namespace %s, %d objects)", count, run.ns, run.spec.n)
	run.sim.reset()
	var lat []float64
	for i := range min(count, len(run.secrets)) {
		name := run.secrets[i].GetName()
		id := run.tracker.secretID(name)
		if id == "" {
			res.Error = "no secretID for " + name
			break
		}
		arrived, cancel := run.sim.expectPatch(id)
		patch := fmt.Appendf(nil, `{"data":{"value":"%s"}}`, base64.StdEncoding.EncodeToString([]byte("rotated-"+randHex(8))))
		t0 := time.Now()
		err := cl.c.Patch(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: run.ns, Name: name}},
			client.RawPatch(types.MergePatchType, patch))
		if err != nil {
			cancel()
			res.Error = err.Error()
			break
		}
		select {
		case at := <-arrived:
			lat = append(lat, float64(at.Sub(t0).Microseconds())/1000)
		case <-time.After(15 * time.Second):
			res.Error = fmt.Sprintf("no PATCH for %s within 15s", name)
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	res.PATCHes = run.sim.calls().PATCH
	res.Observed = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50Ms = round(percentile(lat, 50), 1)
		res.P95Ms = round(percentile(lat, 95), 1)
		res.P99Ms = round(percentile(lat, 99), 1)
		res.MaxMs = round(lat[len(lat)-1], 1)
		var sum float64
		for _, l := range lat {
			sum += l
		}
		res.MeanMs = round(sum/float64(len(lat)), 1)
	}
	log.Printf("  p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (%d PATCHes for %d rotations)",
		res.P50Ms, res.P95Ms, res.P99Ms, res.MaxMs, res.PATCHes, res.Observed)
	return res
}

// percentile of sorted values, nearest-rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// SteadyResult is scenario 3.
type SteadyResult struct {
	Objects                int      `json:"objects"`
	Vaults                 int      `json:"vaults"`
	RefreshSeconds         float64  `json:"refreshIntervalSeconds"`
	ListCacheTTLSeconds    float64  `json:"listCacheTTLSeconds"`
	WindowSeconds          float64  `json:"windowSeconds"`
	Calls                  apiCalls `json:"apiCalls"`
	ListsPerVaultPerPeriod float64  `json:"listsPerVaultPerPeriod"`
	WritesInWindow         int      `json:"writesInWindow"`
	CPU                    CPUUse   `json:"cpuCoresUsed"`
	Error                  string   `json:"error,omitempty"`
}

func (b *bench) runSteady(ctx context.Context, cl *cluster, run *syncRun, window time.Duration) SteadyResult {
	res := SteadyResult{Objects: run.spec.n, Vaults: run.spec.vaults, RefreshSeconds: run.spec.refresh.Seconds(),
		ListCacheTTLSeconds: 5, WindowSeconds: window.Seconds()}
	// Let every object pass its first drift check before counting.
	settle := run.spec.refresh + 2*time.Second
	log.Printf("steady state: %d objects, refreshInterval %s; settling %s, then counting for %s",
		run.spec.n, run.spec.refresh, settle, window)
	time.Sleep(settle)
	run.sim.reset()
	before := cl.snapshot(run.mgr.Pid())
	select {
	case <-time.After(window):
	case <-ctx.Done():
		res.Error = ctx.Err().Error()
	}
	after := cl.snapshot(run.mgr.Pid())
	res.CPU = cpuUse(before, after, b.cores)
	res.Calls = run.sim.calls()
	res.WritesInWindow = res.Calls.POST + res.Calls.PATCH + res.Calls.DELETE
	periods := window.Seconds() / run.spec.refresh.Seconds()
	res.ListsPerVaultPerPeriod = round(float64(res.Calls.List)/(float64(run.spec.vaults)*periods), 2)
	log.Printf("  %d calls in %s: %d Lists (%.2f per vault per period), %d writes; cpu mgr %.2f apiserver %.2f etcd %.2f",
		res.Calls.Total, window, res.Calls.List, res.ListsPerVaultPerPeriod, res.WritesInWindow,
		res.CPU.Manager, res.CPU.APIServer, res.CPU.Etcd)
	return res
}

// RateLimitResult is scenario 5.
type RateLimitResult struct {
	Sync             SyncResult `json:"sync"`
	SimLimit         float64    `json:"simulatorLimitPerSecond"`
	SimBurst         int        `json:"simulatorBurst"`
	Got429           int        `json:"responses429"`
	Successful       int        `json:"successfulRequests"`
	AchievedRate     float64    `json:"achievedSuccessfulPerSecond"`
	SentRate         float64    `json:"sentPerSecond"`
	Share429         float64    `json:"share429"`
	PausesObservedMs float64    `json:"longestGapAfter429Ms"`
}

func (b *bench) runRateLimit(ctx context.Context, cl *cluster, s syncSpec) RateLimitResult {
	sr, run := b.runSync(ctx, cl, s)
	defer run.close()
	res := RateLimitResult{Sync: sr, SimLimit: s.simLimit, SimBurst: s.simBurst}
	if run.sim == nil {
		return res
	}
	hits := run.sim.hits()
	if len(hits) == 0 {
		return res
	}
	var firstAt, lastOK time.Time
	for i, h := range hits {
		if i == 0 || h.at.Before(firstAt) {
			firstAt = h.at
		}
		switch {
		case h.status == http.StatusTooManyRequests:
			res.Got429++
		case h.status >= 200 && h.status < 300:
			res.Successful++
			if h.done.After(lastOK) {
				lastOK = h.done
			}
		}
	}
	span := lastOK.Sub(firstAt).Seconds()
	if span > 0 {
		res.AchievedRate = round(float64(res.Successful)/span, 2)
		res.SentRate = round(float64(len(hits))/span, 2)
	}
	res.Share429 = round(float64(res.Got429)/float64(len(hits)), 3)
	// The longest silence after a 429: the shared pause at work.
	slices.SortFunc(hits, func(a, b hit) int { return a.at.Compare(b.at) })
	for i := 1; i < len(hits); i++ {
		if hits[i-1].status == http.StatusTooManyRequests {
			gap := float64(hits[i].at.Sub(hits[i-1].done).Microseconds()) / 1000
			res.PausesObservedMs = max(res.PausesObservedMs, round(gap, 0))
		}
	}
	log.Printf("  rate limit: %d 429s (%.1f%% of %d requests), %.2f successful req/s (limit %g/s), sent %.2f req/s",
		res.Got429, res.Share429*100, len(hits), res.AchievedRate, s.simLimit, res.SentRate)
	return res
}

// MemoryResult is one manager run of scenario 4.
type MemoryResult struct {
	Build           string  `json:"build"`
	UnrelatedCount  int     `json:"unrelatedSecrets"`
	UnrelatedKiB    int     `json:"unrelatedSecretSizeKiB"`
	RSSMiB          float64 `json:"rssMiB"`
	PeakRSSMiB      float64 `json:"peakRSSMiB"`
	HeapInuseMiB    float64 `json:"goHeapInuseMiB"`
	HeapAllocMiB    float64 `json:"goHeapAllocMiB"`
	ProcessRSSMiB   float64 `json:"processResidentMemoryMiB"`
	RSSAnonMiB      float64 `json:"rssAnonMiB"`
	RSSFileMiB      float64 `json:"rssFileMiB"`
	RSSBinaryMiB    float64 `json:"rssOfBinaryMappingsMiB"`
	HeapSysMiB      float64 `json:"goHeapSysMiB"`
	HeapReleasedMiB float64 `json:"goHeapReleasedMiB"`
	GoSysMiB        float64 `json:"goSysMiB"`
	StackInuseMiB   float64 `json:"goStackInuseMiB"`
	NairiSecrets    int     `json:"nairiSecrets"`
	SecondsToSettle float64 `json:"secondsToProbeReady"`
	Error           string  `json:"error,omitempty"`
}

// runMemory measures the manager with growing numbers of unrelated Secrets, for the
// normal and the fullsecretcache build. It owns a fresh control plane, watched whole.
func (b *bench) runMemory(ctx context.Context, cl *cluster, counts []int, sizeKiB int,
	settle time.Duration) []MemoryResult {
	var out []MemoryResult
	s, err := startSim(simOptions{vaults: 1, latency: b.latency})
	if err != nil {
		return []MemoryResult{{Error: err.Error()}}
	}
	defer s.close()
	const apps, unrelated = "apps", "unrelated"
	for _, ns := range []string{apps, unrelated} {
		if err := cl.namespace(ctx, ns); err != nil {
			return []MemoryResult{{Error: err.Error()}}
		}
	}
	// A few real NairiSecrets, so the manager is doing its job while measured.
	const managed = 20
	secrets, nsecs := objects(apps, managed, s.Vaults, 0)
	if err := cl.createAll(ctx, append(secrets, nsecs...), 4); err != nil {
		return []MemoryResult{{Error: err.Error()}}
	}
	existing := 0
	probe := 0
	for _, count := range counts {
		if count > existing {
			log.Printf("memory: creating unrelated %d KiB Secrets %d..%d", sizeKiB, existing, count)
			start := time.Now()
			var objs []client.Object
			for i := existing; i < count; i++ {
				blob := make([]byte, sizeKiB<<10)
				_, _ = rand.Read(blob)
				objs = append(objs, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Namespace: unrelated, Name: fmt.Sprintf("blob-%05d", i)},
					Data:       map[string][]byte{"blob": blob},
				})
			}
			if err := cl.createAll(ctx, objs, 8); err != nil {
				return append(out, MemoryResult{UnrelatedCount: count, Error: err.Error()})
			}
			existing = count
			log.Printf("  created in %.1fs", time.Since(start).Seconds())
		}
		for _, build := range []struct{ name, bin string }{{buildMetadataOnly, b.managerBin},
			{buildFull, b.fullCacheBin}} {
			probe++
			r := b.measureManager(ctx, cl, s, build.bin, fmt.Sprintf("mem-%d-%d", count, probe), apps, probe, settle)
			r.Build, r.UnrelatedCount, r.UnrelatedKiB, r.NairiSecrets = build.name, count, sizeKiB, managed+1
			log.Printf("  %-24s %6d unrelated: RSS %.1f MiB (peak %.1f; anon %.1f, file %.1f), "+
				"heap in use %.1f MiB, heap sys %.1f, Go sys %.1f",
				build.name, count, r.RSSMiB, r.PeakRSSMiB, r.RSSAnonMiB, r.RSSFileMiB, r.HeapInuseMiB, r.HeapSysMiB, r.GoSysMiB)
			out = append(out, r)
		}
	}
	return out
}

func (b *bench) measureManager(ctx context.Context, cl *cluster, s *sim, bin, name, ns string, probe int,
	settle time.Duration) MemoryResult {
	var r MemoryResult
	m, err := cl.startManager(ctx, managerOptions{binary: bin, name: name, simURL: s.URL,
		concurrency: 4, qps: 5, burst: 10})
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer m.stop()
	start := time.Now()
	// A fresh object reaching Ready proves the caches synced and the controller runs.
	pname := fmt.Sprintf("probe-%d", probe)
	sec, nsec := objects(ns, 1, s.Vaults, 0)
	sec[0].SetName(pname)
	nsec[0].SetName(pname)
	nsec[0].(*secretsv1alpha1.NairiSecret).Spec.SecretRef.Name = pname
	nsec[0].(*secretsv1alpha1.NairiSecret).Spec.EnvKey = fmt.Sprintf("PROBE_%d", probe)
	if err := cl.createAll(ctx, []client.Object{sec[0], nsec[0]}, 1); err != nil {
		r.Error = err.Error()
		return r
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		obj := &secretsv1alpha1.NairiSecret{}
		if err := cl.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: pname}, obj); err == nil &&
			obj.Status.SecretID != "" {
			break
		}
		if time.Now().After(deadline) {
			r.Error = "probe object not Ready within 3m"
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.SecondsToSettle = round(time.Since(start).Seconds(), 2)
	time.Sleep(settle)
	st := procStatusAll(m.Pid())
	r.PeakRSSMiB, r.RSSMiB = round(float64(st["VmHWM"])/mib, 1), round(float64(st["VmRSS"])/mib, 1)
	r.RSSAnonMiB, r.RSSFileMiB = round(float64(st["RssAnon"])/mib, 1), round(float64(st["RssFile"])/mib, 1)
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", m.Pid())); err == nil {
		r.RSSBinaryMiB = round(float64(fileRSS(m.Pid(), exe))/mib, 1)
	}
	g, err := m.metrics("go_memstats_heap_inuse_bytes", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes",
		"go_memstats_heap_sys_bytes", "go_memstats_heap_released_bytes", "go_memstats_sys_bytes",
		"go_memstats_stack_inuse_bytes")
	if err == nil {
		r.HeapInuseMiB = round(g["go_memstats_heap_inuse_bytes"]/mib, 1)
		r.HeapAllocMiB = round(g["go_memstats_heap_alloc_bytes"]/mib, 1)
		r.ProcessRSSMiB = round(g["process_resident_memory_bytes"]/mib, 1)
		r.HeapSysMiB = round(g["go_memstats_heap_sys_bytes"]/mib, 1)
		r.HeapReleasedMiB = round(g["go_memstats_heap_released_bytes"]/mib, 1)
		r.GoSysMiB = round(g["go_memstats_sys_bytes"]/mib, 1)
		r.StackInuseMiB = round(g["go_memstats_stack_inuse_bytes"]/mib, 1)
	}
	return r
}
