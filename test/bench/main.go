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

// Command bench is the driver of `make bench`: it starts an envtest control plane, the
// Nairi simulator (in this process) and the real manager binary, runs the scenarios of
// issue 7 and writes test/bench/results.json and docs/benchmarks.md.
//
//	go run -tags bench ./test/bench [-quick] [-latency 20ms]
//
// It only ever talks to 127.0.0.1.
package main

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

type bench struct {
	managerBin, fullCacheBin, baselineBin string
	latency                               time.Duration
	cores                                 int
	quick                                 bool
	micro                                 bool
	memoryMax                             int
	// currentExtra are flags only the current build knows and the bench needs (the
	// baseline, an older commit, would refuse them).
	currentExtra []string
	// onlySet runs the NairiSecretSet scenario alone, for a quick figure while working on it.
	onlySet bool
}

// Results is test/bench/results.json.
type Results struct {
	Quick    bool              `json:"quick"`
	Command  string            `json:"command"`
	Machine  Machine           `json:"machine"`
	Binaries []Binary          `json:"binaries"`
	Started  time.Time         `json:"started"`
	Seconds  float64           `json:"durationSeconds"`
	Sync     []SyncResult      `json:"initialSync"`
	Rotation []RotationResult  `json:"rotation"`
	Steady   []SteadyResult    `json:"steadyState"`
	Restart  []RestartResult   `json:"restart"`
	SetScale SetScaleResult    `json:"setScale"`
	Memory   []MemoryResult    `json:"memory"`
	Micro    []MicroResult     `json:"microBenchmarks"`
	Targets  []TargetVerdict   `json:"targets"`
	Errors   []string          `json:"errors,omitempty"`
	Notes    map[string]string `json:"notes,omitempty"`
}

func main() {
	quick := flag.Bool("quick", os.Getenv("BENCH_QUICK") == "1", "run a much smaller version (smoke check, < 2 min)")
	micro := flag.Bool("micro", true, "run the micro-benchmarks (go test -bench)")
	memoryMax := flag.Int("memory-max", 10000, "the most unrelated Secrets of the memory scenario (0, 1000, 10000)")
	latency := flag.Duration("latency", 20*time.Millisecond, "simulated latency of every Nairi API request")
	managerBin := flag.String("manager", "bin/manager", "the manager binary (release build)")
	fullBin := flag.String("manager-fullsecretcache", "bin/manager-fullsecretcache",
		"the manager built with -tags fullsecretcache")
	baselineBin := flag.String("manager-baseline", "bin/manager-baseline",
		"the manager built from the baseline commit (make bench-baseline), run beside the current one")
	baselineRef := flag.String("baseline", "", "the commit the baseline manager was built from, for the report")
	jsonOut := flag.String("json", "", "where to write the results (default test/bench/results.json; "+
		"bin/bench-quick/results.json with -quick, so a smoke run never replaces the published figures)")
	mdOut := flag.String("doc", "", "where to write the report (default docs/benchmarks.md; "+
		"bin/bench-quick/benchmarks.md with -quick)")
	workDir := flag.String("work", "", "directory for kubeconfigs and logs (default: a temp dir, kept on failure)")
	render := flag.Bool("render", false, "only rewrite the report from the existing results file")
	ldflags := flag.String("ldflags", "", "the -ldflags both managers were built with, for the report "+
		"(a -trimpath build does not record them)")
	onlySet := flag.Bool("only-set", false,
		"run only the NairiSecretSet scenario (write the results elsewhere with -json and -doc)")
	flag.Parse()
	if *jsonOut == "" {
		*jsonOut = map[bool]string{false: "test/bench/results.json", true: "bin/bench-quick/results.json"}[*quick]
	}
	if *mdOut == "" {
		*mdOut = map[bool]string{false: "docs/benchmarks.md", true: "bin/bench-quick/benchmarks.md"}[*quick]
	}
	log.SetFlags(log.Ltime)
	ctrllog.SetLogger(logr.Discard())

	root := utils.ProjectDir()
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	if *render {
		data, err := os.ReadFile(abs(*jsonOut))
		if err != nil {
			log.Fatal(err)
		}
		res := &Results{}
		if err := json.Unmarshal(data, res); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(abs(*mdOut), []byte(report(res)), 0o644); err != nil {
			log.Fatal(err)
		}
		return
	}
	b := &bench{managerBin: abs(*managerBin), fullCacheBin: abs(*fullBin), baselineBin: abs(*baselineBin),
		latency: *latency, cores: runtime.NumCPU(), quick: *quick, micro: *micro, memoryMax: *memoryMax,
		onlySet: *onlySet}
	b.currentExtra = currentOnlyFlags(b.managerBin)
	var binaries []Binary
	for _, bin := range []string{b.managerBin, b.fullCacheBin, b.baselineBin} {
		bi, err := binaryInfo(bin, root, *ldflags)
		if err != nil {
			log.Fatalf("%s: %v: run `make bench` (it builds both manager binaries)", bin, err)
		}
		if !bi.Release {
			log.Printf("warning: %s is not a release build (%s): its memory is not what ships", bin, bi.Flags())
		}
		binaries = append(binaries, bi)
	}
	dir := *workDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "nairi-bench-"); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("work dir (kubeconfigs, manager logs): %s", dir)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	res := &Results{Quick: b.quick, Command: command(b.quick), Started: time.Now().UTC(), Machine: machineFacts(),
		Binaries: binaries, Notes: map[string]string{"baseline": *baselineRef,
			"currentOnlyFlags": strings.Join(b.currentExtra, " ")}}
	if err := b.run(ctx, res, dir); err != nil {
		res.Errors = append(res.Errors, err.Error())
		log.Printf("error: %v", err)
	}
	res.Seconds = round(time.Since(res.Started).Seconds(), 1)
	res.Machine.LoadAvgEnd = loadAvg()
	res.Targets = verdicts(res)

	data, _ := json.MarshalIndent(res, "", "  ")
	for _, out := range []string{*jsonOut, *mdOut} {
		if err := os.MkdirAll(filepath.Dir(abs(out)), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.WriteFile(abs(*jsonOut), append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(abs(*mdOut), []byte(report(res)), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s and %s in %.0fs", *jsonOut, *mdOut, res.Seconds)
	for _, t := range res.Targets {
		log.Printf("target %-55s %-10s %s", t.Target, t.Verdict, t.Measured)
	}
	if len(res.Errors) > 0 {
		log.Printf("%d scenario error(s); logs in %s", len(res.Errors), dir)
		os.Exit(1)
	}
	_ = os.RemoveAll(dir)
}

func command(quick bool) string {
	if quick {
		return "make bench BENCH_QUICK=1"
	}
	return "make bench"
}

// run executes the scenarios in an order that keeps each one's measurement clean: every
// sync run has its own namespace, simulator and manager (watching only that namespace);
// the memory runs get a fresh control plane watched whole.
func (b *bench) run(ctx context.Context, res *Results, dir string) error {
	assets, err := utils.EnvtestAssets()
	if err != nil {
		return err
	}
	res.Machine.Kubernetes = filepath.Base(assets)

	if b.onlySet {
		cl, err := startCluster(assets, filepath.Join(dir, "cp1"))
		if err != nil {
			return err
		}
		defer cl.stop()
		res.SetScale = b.runSetScale(ctx, cl, map[bool]int{false: 200, true: 20}[b.quick])
		return nil
	}

	if b.micro {
		log.Printf("micro-benchmarks (go test -bench)")
		res.Micro, err = b.runMicro(ctx)
		if err != nil {
			res.Errors = append(res.Errors, "micro-benchmarks: "+err.Error())
		}
	} else {
		res.Notes["micro"] = "not run in this run (-micro=false)"
	}

	// Every headline row runs twice, with the current build and with the baseline, on the
	// same workload in the same run, so its figure is also a ratio that machine noise
	// cannot fake. The current build runs with its defaults; the baseline with
	// --nairi-qps raised as its users had to (its default of 5/s takes 200 s for 1,000).
	n1k, n10k, limitedN, window, rotations := 1000, 10000, 1000, 30*time.Second, 100
	if b.quick {
		n1k, n10k, limitedN, window, rotations = 50, 200, 40, 10*time.Second, 10
	}
	spec := func(name, build string, n int) syncSpec {
		s := syncSpec{name: name, n: n, vaults: 10, latency: b.latency, timeout: 15 * time.Minute, build: build}
		if build == buildBaseline {
			s.qps = 1000
		}
		return s
	}
	both := func(name string, n int) []syncSpec {
		return []syncSpec{spec(name, buildCurrent, n), spec(name, buildBaseline, n)}
	}

	cl, err := startCluster(assets, filepath.Join(dir, "cp1"))
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			cl.stop()
		}
	}()
	// 1. First sync with default flags, and the rotation latency on the synced objects.
	for _, s := range both("default-1000", n1k) {
		if err := b.syncThen(ctx, cl, res, s, func(run *syncRun) {
			r := b.runRotation(ctx, cl, run, rotations)
			res.Rotation = append(res.Rotation, r)
			if r.Error != "" {
				res.Errors = append(res.Errors, "rotation "+s.build+": "+r.Error)
			}
		}); err != nil {
			return err
		}
	}
	// 2. Against a key limited to 20 requests/s; the baseline set to that limit by hand.
	for _, s := range both("limited20-1000", limitedN) {
		s.simLimit, s.simBurst = 20, 20
		if s.build == buildBaseline {
			s.qps = 20
		}
		if err := b.syncThen(ctx, cl, res, s, nil); err != nil {
			return err
		}
	}
	// 3. --max-concurrent-reconciles, to choose its default.
	for _, c := range []int{4, 8, 16} {
		s := spec(fmt.Sprintf("concurrency-%d", c), buildCurrent, n1k)
		s.concurrency = c
		if err := b.syncThen(ctx, cl, res, s, nil); err != nil {
			return err
		}
	}
	// 4. Steady state at refreshInterval 5s.
	for _, s := range both("steady-1000", n1k) {
		s.refresh = 5 * time.Second
		if err := b.syncThen(ctx, cl, res, s, func(run *syncRun) {
			res.Steady = append(res.Steady, b.runSteady(ctx, cl, run, window))
		}); err != nil {
			return err
		}
	}
	// 5. 10,000 objects, then a restart of the manager over them.
	for _, s := range both("sync-10000", n10k) {
		if err := b.syncThen(ctx, cl, res, s, func(run *syncRun) {
			r := b.runRestart(ctx, cl, run)
			res.Restart = append(res.Restart, r)
			if r.Error != "" {
				res.Errors = append(res.Errors, "restart "+s.build+": "+r.Error)
			}
		}); err != nil {
			return err
		}
	}
	// 6. One NairiSecretSet over a Secret of 200 keys, then one key changed (current
	// build only: the baseline has no NairiSecretSet).
	setKeys := 200
	if b.quick {
		setKeys = 20
	}
	res.SetScale = b.runSetScale(ctx, cl, setKeys)
	if res.SetScale.Error != "" {
		res.Errors = append(res.Errors, "set scale: "+res.SetScale.Error)
	}
	memCounts, memSettle := []int{0, 1000, 10000}, 5*time.Second
	for len(memCounts) > 1 && memCounts[len(memCounts)-1] > b.memoryMax {
		memCounts = memCounts[:len(memCounts)-1]
	}
	if b.memoryMax < 10000 {
		res.Notes["memory"] = fmt.Sprintf("this run stopped at %d unrelated Secrets (-memory-max)",
			memCounts[len(memCounts)-1])
	}
	if b.quick {
		memCounts, memSettle = []int{0, 300}, 2*time.Second
	}

	if ctx.Err() != nil {
		return ctx.Err()
	}
	memCluster := cl
	if !b.quick {
		// A fresh control plane, so "0 unrelated Secrets" means none: the earlier runs
		// left thousands of objects behind (envtest has no garbage collector).
		cl.stop()
		stopped = true
		memCluster, err = startCluster(assets, filepath.Join(dir, "cp2"))
		if err != nil {
			return err
		}
		defer memCluster.stop()
	} else {
		res.Notes["memory"] = "quick mode reuses the first control plane, so the 0-unrelated baseline " +
			"includes the small Secrets of the earlier runs"
	}
	res.Memory = b.runMemory(ctx, memCluster, memCounts, 10, memSettle)
	for _, m := range res.Memory {
		if m.Error != "" {
			res.Errors = append(res.Errors, fmt.Sprintf("memory %s %d: %s", m.Build, m.UnrelatedCount, m.Error))
		}
	}
	return nil
}

// syncThen runs one sync, records it, and runs then (if any) on the synced objects
// before closing the run. Only a cancelled context stops the whole run.
func (b *bench) syncThen(ctx context.Context, cl *cluster, res *Results, s syncSpec, then func(*syncRun)) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r, run := b.runSync(ctx, cl, s)
	res.Sync = append(res.Sync, r)
	if r.Error != "" {
		res.Errors = append(res.Errors, s.name+" "+s.build+": "+r.Error)
	} else if then != nil {
		then(run)
	}
	run.close()
	return nil
}

// Machine is what the figures were measured on.
type Machine struct {
	CPUs         int     `json:"nproc"`
	CPUModel     string  `json:"cpuModel"`
	MemoryGiB    float64 `json:"memoryGiB"`
	GoVersion    string  `json:"goVersion"`
	Kernel       string  `json:"kernel"`
	Kubernetes   string  `json:"envtestBinaries"`
	Date         string  `json:"date"`
	LoadAvgStart string  `json:"loadAvgStart"`
	LoadAvgEnd   string  `json:"loadAvgEnd"`
}

func machineFacts() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339),
		LoadAvgStart: loadAvg()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(data), "MemTotal: %f kB", &kb); err == nil {
			m.MemoryGiB = round(kb/(1<<20), 1)
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

// Binary is how a manager binary under test was built, read from its embedded build info.
type Binary struct {
	Path      string  `json:"path"`
	SizeMiB   float64 `json:"sizeMiB"`
	GoVersion string  `json:"goVersion"`
	CGO       string  `json:"cgoEnabled"`
	Trimpath  bool    `json:"trimpath"`
	LDFlags   string  `json:"ldflags"` // as given by the Makefile: a -trimpath build does not record them
	Tags      string  `json:"tags,omitempty"`
	// Stripped is read from the ELF file: no symbol table and no DWARF (-ldflags -s -w).
	Stripped bool `json:"stripped"`
	// Release is true for a build as `make build-release` and the Dockerfile make it:
	// CGO_ENABLED=0, -trimpath, stripped.
	Release bool `json:"releaseBuild"`
}

func binaryInfo(path, root, ldflags string) (Binary, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Binary{}, err
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return Binary{}, err
	}
	b := Binary{Path: path, SizeMiB: round(float64(st.Size())/(1<<20), 1), GoVersion: info.GoVersion}
	if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
		b.Path = rel
	}
	for _, kv := range info.Settings {
		switch kv.Key {
		case "CGO_ENABLED":
			b.CGO = kv.Value
		case "-trimpath":
			b.Trimpath = kv.Value == "true"
		case "-ldflags":
			b.LDFlags = kv.Value
		case "-tags":
			b.Tags = kv.Value
		}
	}
	if b.LDFlags == "" {
		b.LDFlags = ldflags
	}
	f, err := elf.Open(path)
	if err != nil {
		return Binary{}, err
	}
	defer func() { _ = f.Close() }()
	b.Stripped = f.Section(".symtab") == nil && f.Section(".debug_info") == nil && f.Section(".zdebug_info") == nil
	b.Release = b.CGO == "0" && b.Trimpath && b.Stripped
	return b, nil
}

// Flags is the build's go build flags as they would be typed.
func (b Binary) Flags() string {
	f := "CGO_ENABLED=" + b.CGO + " go build"
	if b.Trimpath {
		f += " -trimpath"
	}
	if b.LDFlags != "" {
		f += fmt.Sprintf(" -ldflags %q", b.LDFlags)
	}
	if b.Tags != "" {
		f += " -tags " + b.Tags
	}
	return f
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
