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
	"strings"
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
	// build is buildCurrent or buildBaseline; concurrency, qps and burst of 0 leave the
	// binary's own default.
	build string
}

// The two builds every headline row runs, side by side in the same run.
const (
	buildCurrent  = "current"
	buildBaseline = "baseline"
)

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
	// Build is "current" or "baseline"; Flags the manager flags that differ from its defaults.
	Build string `json:"build"`
	Flags string `json:"flags"`
	// KubeRequests is every Kubernetes request the manager made from its start to the last
	// Ready (its own rest_client_requests_total), and per object.
	KubeRequests     float64 `json:"kubeRequests"`
	KubePerObject    float64 `json:"kubeRequestsPerObject"`
	Got429           int     `json:"responses429"`
	Share429         float64 `json:"share429"`
	SuccessPerSecond float64 `json:"successfulNairiRequestsPerSecond"`
	RSSPer1000MiB    float64 `json:"peakRSSPer1000ObjectsMiB"`
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
		Concurrency: s.concurrency, QPS: s.qps, Burst: s.burst, SimRateLimit: s.simLimit, Build: s.build,
		Flags: s.flags()}
	run := &syncRun{spec: s, ns: s.name + "-" + s.build}
	fail := func(err error) (SyncResult, *syncRun) {
		res.Error = err.Error()
		log.Printf("  %s: %v", s.name, err)
		return res, run
	}
	log.Printf("sync %s (%s): %d objects, %d vaults, %s latency, flags %q, simulator limit %g/s",
		s.name, s.build, s.n, s.vaults, s.latency, s.flags(), s.simLimit)
	if err := cl.namespace(ctx, run.ns); err != nil {
		return fail(err)
	}
	var err error
	run.sim, err = startSim(simOptions{vaults: s.vaults, latency: s.latency, rateLimit: s.simLimit, rateBurst: s.simBurst})
	if err != nil {
		return fail(err)
	}
	run.mgr, err = cl.startManager(ctx, b.managerOptions(s, "manager-"+run.ns, run.sim.URL, run.ns))
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
	res.KubeRequests = run.mgr.managerRequests()
	res.KubePerObject = round(res.KubeRequests/float64(s.n), 2)
	res.Got429, res.Share429, res.SuccessPerSecond = rateOf(run.sim.hits())
	hwm := peakRSS(run.mgr.Pid())
	res.PeakRSSMiB = round(float64(hwm)/mib, 1)
	res.RSSPer1000MiB = round(res.PeakRSSMiB/float64(s.n)*1000, 2)
	if g, err := run.mgr.metrics("go_memstats_heap_inuse_bytes"); err == nil {
		res.HeapInuseMiB = round(g["go_memstats_heap_inuse_bytes"]/mib, 1)
	}
	if werr != nil {
		return fail(werr)
	}
	log.Printf("  %d Ready in %.2fs (%.1f objects/s); calls %d (POST %d, 429 %d); kube requests %.0f (%.2f/object); "+
		"peak RSS %.1f MiB; cpu mgr %.2f apiserver %.2f etcd %.2f others %.2f",
		res.Ready, res.SecondsToReady, res.ObjectsPerSecond, res.Calls.Total, res.Calls.POST, res.Got429,
		res.KubeRequests, res.KubePerObject, res.PeakRSSMiB,
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
	Build     string  `json:"build"`
}

// runRotation updates `count` Secrets one by one and times Secret update → PATCH arrival.
func (b *bench) runRotation(ctx context.Context, cl *cluster, run *syncRun, count int) RotationResult {
	res := RotationResult{Rotations: count, Objects: run.spec.n, Build: run.spec.build}
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
	Build                  string   `json:"build"`
	Flags                  string   `json:"flags"`
	// KubeWrites are the writes the API server served in the window (the driver makes
	// none), StatusWrites those of NairiSecret status.
	KubeWrites          float64 `json:"kubeWrites"`
	KubeWritesPerSecond float64 `json:"kubeWritesPerSecond"`
	StatusWrites        float64 `json:"statusWrites"`
}

func (b *bench) runSteady(ctx context.Context, cl *cluster, run *syncRun, window time.Duration) SteadyResult {
	res := SteadyResult{Objects: run.spec.n, Vaults: run.spec.vaults, RefreshSeconds: run.spec.refresh.Seconds(),
		ListCacheTTLSeconds: 5, WindowSeconds: window.Seconds(), Build: run.spec.build, Flags: run.spec.flags()}
	// Let every object pass its first drift check before counting.
	settle := run.spec.refresh + 2*time.Second
	log.Printf("steady state: %d objects, refreshInterval %s; settling %s, then counting for %s",
		run.spec.n, run.spec.refresh, settle, window)
	time.Sleep(settle)
	run.sim.reset()
	before := cl.snapshot(run.mgr.Pid())
	kubeBefore, kerr := cl.apiserverRequests(ctx)
	select {
	case <-time.After(window):
	case <-ctx.Done():
		res.Error = ctx.Err().Error()
	}
	after := cl.snapshot(run.mgr.Pid())
	if kubeAfter, err := cl.apiserverRequests(ctx); err == nil && kerr == nil {
		d := kubeAfter.minus(kubeBefore)
		res.KubeWrites = d.writes()
		res.KubeWritesPerSecond = round(res.KubeWrites/window.Seconds(), 2)
		res.StatusWrites = d["PATCH nairisecrets/status"] + d["PUT nairisecrets/status"]
	}
	res.CPU = cpuUse(before, after, b.cores)
	res.Calls = run.sim.calls()
	res.WritesInWindow = res.Calls.POST + res.Calls.PATCH + res.Calls.DELETE
	periods := window.Seconds() / run.spec.refresh.Seconds()
	res.ListsPerVaultPerPeriod = round(float64(res.Calls.List)/(float64(run.spec.vaults)*periods), 2)
	log.Printf("  %d calls in %s: %d Lists (%.2f per vault per period), %d writes; Kubernetes writes %.2f/s; "+
		"cpu mgr %.2f apiserver %.2f etcd %.2f", res.Calls.Total, window, res.Calls.List, res.ListsPerVaultPerPeriod,
		res.WritesInWindow, res.KubeWritesPerSecond, res.CPU.Manager, res.CPU.APIServer, res.CPU.Etcd)
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

// flags are the manager flags a run sets; "defaults" when it sets none.
func (s syncSpec) flags() string {
	var f []string
	if s.concurrency > 0 {
		f = append(f, fmt.Sprintf("--max-concurrent-reconciles=%d", s.concurrency))
	}
	if s.qps > 0 {
		f = append(f, fmt.Sprintf("--nairi-qps=%g", s.qps))
	}
	if s.burst > 0 {
		f = append(f, fmt.Sprintf("--nairi-burst=%d", s.burst))
	}
	if len(f) == 0 {
		return "defaults"
	}
	return strings.Join(f, " ")
}

// managerOptions starts the build a run asks for.
func (b *bench) managerOptions(s syncSpec, name, simURL, ns string) managerOptions {
	o := managerOptions{binary: b.managerBin, name: name, simURL: simURL, namespace: ns,
		concurrency: s.concurrency, qps: s.qps, burst: s.burst, extra: b.currentExtra}
	if s.build == buildBaseline {
		o.binary, o.extra = b.baselineBin, nil
	}
	return o
}

// rateOf counts the 429s among the requests the simulator saw, their share, and the rate
// of successful requests from the first request to the last success.
func rateOf(hits []hit) (got429 int, share, okPerSecond float64) {
	if len(hits) == 0 {
		return 0, 0, 0
	}
	var first, lastOK time.Time
	ok := 0
	for i, h := range hits {
		if i == 0 || h.at.Before(first) {
			first = h.at
		}
		switch {
		case h.status == http.StatusTooManyRequests:
			got429++
		case h.status >= 200 && h.status < 300:
			ok++
			if h.done.After(lastOK) {
				lastOK = h.done
			}
		}
	}
	if span := lastOK.Sub(first).Seconds(); span > 0 {
		okPerSecond = round(float64(ok)/span, 2)
	}
	return got429, round(float64(got429)/float64(len(hits)), 4), okPerSecond
}
