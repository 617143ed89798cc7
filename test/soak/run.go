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

// Package soak is a randomized fault soak of the operator (issue 14): the real manager
// binary, twice with leader election, against a real kube-apiserver and etcd and the
// Nairi simulator, under a seeded random history of user actions, remote changes and
// faults; then, after a quiet period, an exact check of the vault against a model of
// DESIGN.md. `make soak` runs it for the published figures (docs/reliability.md) and
// `make test-soak` briefly for CI.
package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// Reasons DESIGN.md v2 fixes by name; spelled here so the model compiles before and after
// they land in api/v1alpha1.
const (
	reasonVaultNotAllowed = "VaultNotAllowed"
	reasonAlreadyExists   = "AlreadyExists"
)

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := secretsv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// Options describe one run.
type Options struct {
	Seed     uint64
	Duration time.Duration
	// Quiet bounds the wait, after the faults stop, for the end state to match the model.
	Quiet time.Duration
	// Dir receives the logs of the run.
	Dir        string
	ManagerBin string
	Assets     string
	// Logf reports progress.
	Logf func(format string, args ...any)
}

// soak is one run.
type soak struct {
	o          Options
	dir        string
	apiKey     string
	cp         *utils.ControlPlane
	c          client.Client
	sim        *nairisim.Server
	simURL     string
	vaults     []string
	labels     map[string]string
	seeds      map[string]bool
	namespaces []string
	model      *model
	hist       *history
	mgrs       *managers
	faults     *faults
	canaries   canaries
	eventCount int
	simLog     *os.File
	simLogMu   sync.Mutex
}

func (s *soak) label(vault string) string {
	if l := s.labels[vault]; l != "" {
		return l
	}
	return vault
}

func (s *soak) vkTag(k vk) string { return "vk:" + s.label(k.Vault) + "/" + k.EnvKey }

func (s *soak) isSeed(id string) bool { return s.seeds[id] }

// granted says whether o may use its vault (DESIGN.md §2.2): its own key, or the vault's
// NairiVault listing its namespace. Without NairiVault (v1) every namespace may.
func (s *soak) granted(o *secretsv1alpha1.NairiSecret, w *world) bool {
	if !s.model.v2 || o.Spec.APIKeySecretRef != nil {
		return true
	}
	g, ok := w.grants[o.Spec.VaultID]
	return ok && slices.Contains(g.namespaces, o.Namespace)
}

// hasNairiVault says whether the tree has DESIGN.md v2's NairiVault CRD.
func hasNairiVault() bool {
	_, err := os.Stat(filepath.Join(utils.CRDDir(), "secrets.nairi.ai_nairivaults.yaml"))
	return err == nil
}

// Run performs one soak and returns its figures; Passed says whether the check held.
func Run(ctx context.Context, o Options) (*Result, error) {
	s := &soak{o: o, dir: o.Dir, labels: map[string]string{}, seeds: map[string]bool{},
		namespaces: []string{"soak-a", "soak-b", "soak-c"}, model: newModel(hasNairiVault()),
		hist: &history{start: time.Now()}}
	rng := rand.New(rand.NewPCG(o.Seed, 0x50a4))
	s.apiKey = fmt.Sprintf("nr_soak_%016x", rng.Uint64())
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	res := &Result{Seed: o.Seed, Duration: o.Duration.String(), Started: time.Now().UTC(), V2: s.model.v2}
	defer s.close()
	if err := s.setUp(ctx, rng); err != nil {
		return nil, err
	}
	actor := &actor{s: s, rng: rand.New(rand.NewPCG(o.Seed, 1)), objects: map[string]*liveObject{},
		sources: map[string]bool{}, counts: map[string]int{}}
	if err := actor.seedSources(ctx); err != nil {
		return nil, err
	}
	if s.model.v2 {
		if err := actor.createGrants(ctx); err != nil {
			return nil, err
		}
	}
	// Objects that exist before the manager starts (their Secrets' values are canaries too).
	for range 8 {
		actor.step(ctx)
	}
	s.mgrs = &managers{s: s, bin: o.ManagerBin, args: []string{
		"--nairi-timeout=" + requestTimeout.String(), "--nairi-qps=50", "--nairi-burst=20",
		"--max-concurrent-reconciles=4", "--zap-log-level=5", "--nairi-list-cache-ttl=2s",
	}}
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	err := s.mgrs.startAll(startCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	s.hist.add(kindManager, "manager-a and manager-b started (leader election)")

	superCtx, stopSupervisor := context.WithCancel(ctx)
	defer stopSupervisor()
	restartRng := rand.New(rand.NewPCG(o.Seed, 3))
	var restartMu sync.Mutex
	go s.mgrs.supervise(superCtx, func() time.Duration {
		restartMu.Lock()
		defer restartMu.Unlock()
		return time.Duration(500+restartRng.IntN(3500)) * time.Millisecond
	})

	s.play(ctx, actor, res)

	s.faults.disarm()
	s.hist.add(kindFault, "faults stop; quiet period begins")
	o.Logf("seed %d: faults stopped after %s; waiting for the end state", o.Seed, o.Duration)
	upCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	err = s.mgrs.ensureRunning(upCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	quietStart := time.Now()
	problems, counts, err := s.settle(ctx)
	if err != nil {
		return nil, err
	}
	res.Converged = time.Since(quietStart).Round(time.Second).String()
	leaks, err := s.leaks(ctx)
	if err != nil {
		return nil, err
	}
	problems = append(problems, leaks...)
	s.fill(res, actor, counts, problems)
	return res, nil
}

func (s *soak) setUp(ctx context.Context, rng *rand.Rand) error {
	cp, err := utils.StartRestartableControlPlane(s.o.Assets, s.dir)
	if err != nil {
		return err
	}
	s.cp = cp
	cfg := rest.CopyConfig(cp.Config)
	cfg.QPS, cfg.Burst = 200, 400
	cfg.Timeout = 10 * time.Second
	if s.c, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	for _, ns := range append([]string{utils.OperatorNamespace}, s.namespaces...) {
		err := s.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	s.sim = nairisim.New(nairisim.WithAPIKeys(s.apiKey))
	for i := range 3 {
		id := s.sim.NewVault()
		s.vaults = append(s.vaults, id)
		s.labels[id] = string(rune('A' + i))
	}
	// Human-made secrets, created long before the operator: never to be taken over unless
	// adoption is allowed.
	for _, v := range s.vaults {
		for i := range seedsPerVault {
			value := fmt.Sprintf("%016x%08x", rng.Uint64(), rng.Uint32())
			s.canaries.add(value)
			k := vk{v, fmt.Sprintf("SEEDED_%d", i)}
			sec := s.sim.SeedAt(v, k.EnvKey, value, []string{"human.example.com"}, time.Now().Add(-10*time.Minute))
			s.seeds[sec.ID] = true
			s.model.seeded(k, sec, value)
		}
	}
	if s.simLog, err = os.Create(filepath.Join(s.dir, "simulator.log")); err != nil {
		return err
	}
	s.faults = &faults{s: s, rng: rand.New(rand.NewPCG(s.o.Seed, 2)), served: map[string]int{}}
	s.sim.Observe(func(r nairisim.Request) {
		s.simLogMu.Lock()
		_, _ = fmt.Fprintf(s.simLog, "%s %-6s %s vault=%s secret=%s %d %s %s\n", r.Time.UTC().Format("15:04:05.000"),
			r.Method, r.Route, s.label(r.VaultID), r.SecretID, r.Status, r.Duration.Round(10*time.Microsecond), r.Fault)
		s.simLogMu.Unlock()
		s.faults.observe(r)
	})
	s.simURL, err = s.sim.Start("")
	return err
}

// play runs the random history for the run's duration: actions in this goroutine,
// API faults and manager kills in two others, and one kube-apiserver restart.
func (s *soak) play(ctx context.Context, a *actor, res *Result) {
	runCtx, stop := context.WithTimeout(ctx, s.o.Duration)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { s.faults.runAPI(runCtx) })
	wg.Go(func() { s.faults.runChaos(runCtx) })
	restartAt := time.Duration(float64(s.o.Duration) * (0.35 + 0.3*a.rng.Float64()))
	wg.Go(func() {
		if !sleepCtx(runCtx, restartAt) {
			return
		}
		s.hist.add(kindAPIServer, "kube-apiserver stops (etcd keeps running)")
		if err := s.cp.RestartAPIServer(2 * time.Second); err != nil {
			s.hist.add(kindAPIServer, "kube-apiserver restart failed: "+err.Error())
			s.o.Logf("seed %d: kube-apiserver restart failed: %v", s.o.Seed, err)
			return
		}
		s.faults.count(faultAPIServerRestart)
		res.APIServerRestarts++
		s.hist.add(kindAPIServer, "kube-apiserver serves again")
	})
	for runCtx.Err() == nil {
		a.step(runCtx)
		sleepCtx(runCtx, time.Duration(150+a.rng.IntN(450))*time.Millisecond)
	}
	wg.Wait()
}

// settle waits until the end state matches the model, for at most the quiet period, and
// confirms it a few seconds later; it returns the differences left.
func (s *soak) settle(ctx context.Context) ([]problem, checkCounts, error) {
	deadline := time.Now().Add(s.o.Quiet)
	for {
		problems, counts, err := s.check(ctx)
		if err != nil {
			return nil, counts, err
		}
		if len(problems) == 0 {
			sleepCtx(ctx, 5*time.Second)
			return s.check(ctx)
		}
		if time.Now().After(deadline) {
			return problems, counts, nil
		}
		sleepCtx(ctx, 3*time.Second)
	}
}

func (s *soak) close() {
	if s.mgrs != nil {
		s.mgrs.stopAll()
	}
	if s.sim != nil {
		s.sim.Close()
	}
	if s.cp != nil {
		_ = s.cp.Stop()
	}
	if s.simLog != nil {
		_ = s.simLog.Close()
	}
}

// fill writes the figures and, on failure, the explanation into res.
func (s *soak) fill(res *Result, a *actor, counts checkCounts, problems []problem) {
	res.Actions = a.counts
	for _, n := range a.counts {
		res.ActionsTotal += n
	}
	res.ActionFailures = a.failed
	res.Faults = s.faults.snapshot()
	for _, n := range res.Faults {
		res.FaultsTotal += n
	}
	res.ManagerKills, res.ManagerRestarts, res.ManagerCrashes = s.mgrs.kills, s.mgrs.restarts, s.mgrs.crashes
	res.APICalls = map[string]int{}
	for _, m := range []string{http.MethodPost, http.MethodGet, http.MethodPatch, http.MethodDelete} {
		res.APICalls[m] = s.sim.Count(m, "")
		res.APICallsTotal += res.APICalls[m]
	}
	res.Check = counts
	res.Events = s.eventCount
	res.Canaries = s.canaries.count
	res.Invariants = invariants
	res.Passed = len(problems) == 0
	res.History = formatEntries(s.hist.entries())
	for _, p := range problems {
		res.Problems = append(res.Problems, p.Msg)
	}
	if !res.Passed {
		res.Explanation = s.explain(problems)
	}
}

// explain prints the seed and, for each broken key, the last actions that touched it.
func (s *soak) explain(problems []problem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak seed %d FAILED (%d problems); reproduce with SOAK_SEED=%d SOAK_DURATION=%s; logs in %s\n",
		s.o.Seed, len(problems), s.o.Seed, s.o.Duration, s.dir)
	seen := map[string]bool{}
	for _, p := range problems {
		fmt.Fprintf(&b, "\n- %s\n", p.Msg)
		key := strings.Join(p.Tags, ",")
		if len(p.Tags) == 0 || seen[key] {
			continue
		}
		seen[key] = true
		tags := slices.Clone(p.Tags)
		slices.Sort(tags)
		if tail := s.hist.tail(tags, 16); len(tail) > 0 {
			b.WriteString("  the history that touched it, last steps:\n")
			b.WriteString(formatEntries(tail))
		}
	}
	return b.String()
}
