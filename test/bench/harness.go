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
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
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

// cluster is the envtest control plane plus a fast client for the driver.
type cluster struct {
	cp  *utils.ControlPlane
	cfg *rest.Config
	c   client.Client
	dir string
}

func startCluster(assets, dir string) (*cluster, error) {
	cp, err := utils.StartControlPlane(assets, dir)
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(cp.Config)
	// The driver creates thousands of objects: no client-side throttling.
	cfg.QPS, cfg.Burst = 2000, 4000
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = cp.Stop()
		return nil, err
	}
	cl := &cluster{cp: cp, cfg: cfg, c: c, dir: dir}
	if err := cl.namespace(context.Background(), utils.OperatorNamespace); err != nil {
		_ = cp.Stop()
		return nil, err
	}
	return cl, nil
}

func (cl *cluster) stop() { _ = cl.cp.Stop() }

func (cl *cluster) namespace(ctx context.Context, name string) error {
	err := cl.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// createAll creates objects with `workers` goroutines, retrying transient errors.
func (cl *cluster) createAll(ctx context.Context, objs []client.Object, workers int) error {
	work := make(chan client.Object)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range workers {
		wg.Go(func() {
			for obj := range work {
				var err error
				for range 5 {
					err = cl.c.Create(ctx, obj)
					if err == nil || apierrors.IsAlreadyExists(err) {
						err = nil
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("create objects: %w", err)
	}
	return nil
}

// objects builds n Secrets and the n NairiSecrets that sync them, spread round-robin
// over the vaults.
func objects(ns string, n int, vaults []string, refresh time.Duration) ([]client.Object, []client.Object) {
	secrets := make([]client.Object, 0, n)
	nsecs := make([]client.Object, 0, n)
	for i := range n {
		name := fmt.Sprintf("s-%05d", i)
		secrets = append(secrets, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Data:       map[string][]byte{"value": fmt.Appendf(nil, "value-%d-%s", i, randHex(8))},
		})
		spec := secretsv1alpha1.NairiSecretSpec{
			VaultID:   vaults[i%len(vaults)],
			EnvKey:    fmt.Sprintf("BENCH_%05d", i),
			SecretRef: secretsv1alpha1.SourceSecretRef{Name: name, Key: "value"},
		}
		if refresh > 0 {
			spec.RefreshInterval = &metav1.Duration{Duration: refresh}
		}
		nsecs = append(nsecs, &secretsv1alpha1.NairiSecret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       spec,
		})
	}
	return secrets, nsecs
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// readyTracker watches the NairiSecrets of one namespace and notes when each first
// became Ready=True/Synced, and their secret IDs.
type readyTracker struct {
	cancel context.CancelFunc

	mu     sync.Mutex
	ready  map[string]time.Time
	ids    map[string]string
	last   time.Time
	notify chan struct{}
}

func (cl *cluster) trackReady(ctx context.Context, ns string) (*readyTracker, error) {
	ctx, cancel := context.WithCancel(ctx)
	c, err := cache.New(cl.cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		cancel()
		return nil, err
	}
	t := &readyTracker{cancel: cancel, ready: map[string]time.Time{}, ids: map[string]string{},
		notify: make(chan struct{}, 1)}
	inf, err := c.GetInformer(ctx, &secretsv1alpha1.NairiSecret{})
	if err != nil {
		cancel()
		return nil, err
	}
	seen := func(obj any) {
		ns, ok := obj.(*secretsv1alpha1.NairiSecret)
		if !ok {
			return
		}
		cond := meta.FindStatusCondition(ns.Status.Conditions, secretsv1alpha1.ConditionReady)
		if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != secretsv1alpha1.ReasonSynced {
			return
		}
		now := time.Now()
		t.mu.Lock()
		if _, ok := t.ready[ns.Name]; !ok {
			t.ready[ns.Name] = now
			t.last = now
		}
		t.ids[ns.Name] = ns.Status.SecretID
		t.mu.Unlock()
		select {
		case t.notify <- struct{}{}:
		default:
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    seen,
		UpdateFunc: func(_, obj any) { seen(obj) },
	}); err != nil {
		cancel()
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		cancel()
		return nil, fmt.Errorf("ready tracker cache did not sync")
	}
	return t, nil
}

func (t *readyTracker) stop() { t.cancel() }

func (t *readyTracker) count() (int, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ready), t.last
}

func (t *readyTracker) secretID(name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ids[name]
}

// waitFor waits until n objects are Ready; it returns the time the last one was seen.
func (t *readyTracker) waitFor(ctx context.Context, n int, timeout time.Duration) (time.Time, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		got, last := t.count()
		if got >= n {
			return last, nil
		}
		select {
		case <-t.notify:
		case <-tick.C:
		case <-deadline.C:
			return last, fmt.Errorf("only %d of %d Ready after %s", got, n, timeout)
		case <-ctx.Done():
			return last, ctx.Err()
		}
	}
}

// manager is a running manager binary with its metrics endpoint on plain HTTP.
type manager struct {
	*utils.Manager
	metricsAddr string
}

type managerOptions struct {
	binary      string
	name        string
	simURL      string
	namespace   string // --watch-namespaces; "" = all
	concurrency int
	qps         float64
	burst       int
	extra       []string
}

func (cl *cluster) startManager(ctx context.Context, o managerOptions) (*manager, error) {
	metricsAddr, err := utils.FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--metrics-bind-address=" + metricsAddr,
		"--metrics-secure=false",
	}
	// Zero means the binary's own default: the point of the default-flags rows.
	if o.concurrency > 0 {
		args = append(args, fmt.Sprintf("--max-concurrent-reconciles=%d", o.concurrency))
	}
	if o.qps > 0 {
		args = append(args, fmt.Sprintf("--nairi-qps=%g", o.qps))
	}
	if o.burst > 0 {
		args = append(args, fmt.Sprintf("--nairi-burst=%d", o.burst))
	}
	// Single-tenant mode for the current build (the baseline predates NairiVault and the
	// flag): a NairiVault would add its one verification List per vault to the call counts.
	if !strings.Contains(filepath.Base(o.binary), "baseline") {
		args = append(args, "--require-vault-grant=false")
	}
	if o.namespace != "" {
		args = append(args, "--watch-namespaces="+o.namespace)
	}
	args = append(args, o.extra...)
	m, err := utils.StartManager(utils.ManagerOptions{
		Name:       o.name,
		Binary:     o.binary,
		Kubeconfig: cl.cp.Kubeconfig,
		APIURL:     o.simURL,
		APIKey:     benchKey,
		LogPath:    filepath.Join(cl.dir, "logs", o.name+".log"),
		Args:       args,
	})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := m.WaitReady(wctx); err != nil {
		m.Stop(10 * time.Second)
		return nil, err
	}
	return &manager{Manager: m, metricsAddr: metricsAddr}, nil
}

func (m *manager) stop() { m.Stop(15 * time.Second) }

// metrics scrapes the manager's metrics and returns the unlabelled series asked for.
func (m *manager) metrics(names ...string) (map[string]float64, error) {
	fams, err := m.scrape()
	if err != nil {
		return nil, err
	}
	values := map[string]float64{}
	for _, name := range names {
		if v, ok := sumSeries(fams[name], nil); ok {
			values[name] = v
		}
	}
	return values, nil
}

// scrape reads the manager's metrics endpoint, parsed by the Prometheus text parser.
func (m *manager) scrape() (map[string]*dto.MetricFamily, error) {
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + m.metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// sumSeries adds up the counter, gauge or untyped values of every series of a family whose
// labels include all of match (nil: every series). ok is false when no series matched.
func sumSeries(fam *dto.MetricFamily, match map[string]string) (sum float64, ok bool) {
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		if !hasLabels(m, match) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		default:
			continue
		}
		ok = true
	}
	return sum, ok
}

func hasLabels(m *dto.Metric, match map[string]string) bool {
	for name, want := range match {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == name && lp.GetValue() == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// peakRSS returns VmHWM (bytes) of a process.
func peakRSS(pid int) int64 {
	return procStatusAll(pid)["VmHWM"]
}

// procStatusAll returns the memory lines (bytes) of /proc/<pid>/status.
func procStatusAll(pid int) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[2] != "kB" {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		out[strings.TrimSuffix(fields[0], ":")] = kb << 10
	}
	return out
}

// fileRSS returns the resident bytes of a process's mappings of the file at path
// (from /proc/<pid>/smaps), to tell the binary's own pages from other file-backed RSS.
func fileRSS(pid int, path string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	var total int64
	inFile := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") { // a mapping header: addresses perms offset dev inode [path]
			inFile = len(fields) >= 6 && fields[5] == path
			continue
		}
		if inFile && fields[0] == "Rss:" && len(fields) >= 3 {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			total += kb << 10
		}
	}
	return total
}

const clockTicks = 100 // USER_HZ on Linux

// cpuSeconds returns the user+system CPU time of a process.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / clockTicks
}

// machineBusy returns the machine-wide busy CPU seconds (all processes, all users).
func machineBusy() float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)[1:]
	var busy float64
	for i, f := range fields {
		v, _ := strconv.ParseFloat(f, 64)
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		busy += v
	}
	return busy / clockTicks
}

// childPIDs finds this process's children named kube-apiserver and etcd.
func childPIDs() map[string]int {
	out := map[string]int{}
	entries, _ := os.ReadDir("/proc")
	me := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(data)
		open, closeIdx := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closeIdx < 0 {
			continue
		}
		comm := s[open+1 : closeIdx]
		fields := strings.Fields(s[closeIdx+2:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		if ppid == me && (comm == "kube-apiserver" || comm == "etcd") {
			out[comm] = pid
		}
	}
	return out
}

// cpuSnapshot is CPU seconds used so far by each party.
type cpuSnapshot struct {
	at                                    time.Time
	manager, apiserver, etcd, driver, all float64
}

func (cl *cluster) snapshot(managerPID int) cpuSnapshot {
	kids := childPIDs()
	return cpuSnapshot{
		at:        time.Now(),
		manager:   cpuSeconds(managerPID),
		apiserver: cpuSeconds(kids["kube-apiserver"]),
		etcd:      cpuSeconds(kids["etcd"]),
		driver:    cpuSeconds(os.Getpid()),
		all:       machineBusy(),
	}
}

// CPUUse is the share of the machine's cores each party used during a window
// (1.0 = one full core).
type CPUUse struct {
	Manager   float64 `json:"manager"`
	APIServer float64 `json:"kubeApiserver"`
	Etcd      float64 `json:"etcd"`
	Driver    float64 `json:"driverAndSimulator"`
	Others    float64 `json:"otherProcesses"`
	Cores     int     `json:"cores"`
}

func cpuUse(a, b cpuSnapshot, cores int) CPUUse {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return CPUUse{}
	}
	u := CPUUse{
		Manager:   (b.manager - a.manager) / wall,
		APIServer: (b.apiserver - a.apiserver) / wall,
		Etcd:      (b.etcd - a.etcd) / wall,
		Driver:    (b.driver - a.driver) / wall,
		Cores:     cores,
	}
	u.Others = max((b.all-a.all)/wall-u.Manager-u.APIServer-u.Etcd-u.Driver, 0)
	return u
}

func round(f float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if f < 0 {
		return float64(int64(f*p-0.5)) / p
	}
	return float64(int64(f*p+0.5)) / p
}

// kubeAPI is what the API server counted, from its own apiserver_request_total, so the
// figures include every client (the manager's reads through any path).
type kubeAPI map[string]float64 // "VERB resource[/subresource]" → requests

func (cl *cluster) apiserverRequests(ctx context.Context) (kubeAPI, error) {
	hc, err := rest.HTTPClientFor(cl.cfg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cl.cfg.Host, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, err
	}
	out := kubeAPI{}
	for _, m := range fams["apiserver_request_total"].GetMetric() {
		l := map[string]string{}
		for _, lp := range m.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		out[key] += m.GetCounter().GetValue()
	}
	return out, nil
}

// minus returns a − b per key.
func (a kubeAPI) minus(b kubeAPI) kubeAPI {
	out := kubeAPI{}
	for k, v := range a {
		if d := v - b[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// writes is the number of POST, PUT, PATCH and DELETE requests, but those to Leases:
// kube-apiserver renews its own identity Lease every 10 s whatever the operator does (the
// bench runs the manager without leader election).
func (a kubeAPI) writes() float64 {
	n := 0.0
	for k, v := range a {
		verb, resource, _ := strings.Cut(k, " ")
		switch verb {
		case "POST", "PUT", "PATCH", "DELETE":
			if resource != "leases" {
				n += v
			}
		}
	}
	return n
}

// managerRequests is the manager's own count of its Kubernetes requests (client-go's
// rest_client_requests_total, all verbs, all codes).
func (m *manager) managerRequests() float64 {
	fams, err := m.scrape()
	if err != nil {
		return -1
	}
	v, _ := sumSeries(fams["rest_client_requests_total"], nil)
	return v
}

// waitIdle waits until the manager has reconciled at least n objects and its workqueue is
// empty with no worker busy; it returns how long that took from since.
func (m *manager) waitIdle(ctx context.Context, n int, since time.Time, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	for {
		if fams, err := m.scrape(); err == nil {
			ctrl := map[string]string{"controller": "nairisecret"}
			reconciled, _ := sumSeries(fams["controller_runtime_reconcile_total"], ctrl)
			depth, _ := sumSeries(fams["workqueue_depth"], map[string]string{"name": "nairisecret"})
			busy, _ := sumSeries(fams["controller_runtime_active_workers"], ctrl)
			if reconciled >= float64(n) && depth == 0 && busy == 0 {
				return time.Since(since), nil
			}
		}
		if time.Now().After(deadline) {
			return time.Since(since), fmt.Errorf("workqueue not idle after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return time.Since(since), ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
