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

package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zapcore"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/controller"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/logging"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// The suite runs the real controller wiring (controller.Setup, as cmd/main.go does)
// in a manager against a real kube-apiserver (envtest) and the Nairi simulator on
// 127.0.0.1, and asserts on what a user sees: the status, the Events and the requests
// that reached the API.

const (
	operatorNamespace = "nairi-system"
	// operatorKey is the operator's own API key; the simulator accepts it.
	operatorKey = "nr_operator_key_for_tests"
)

var (
	ctx       context.Context
	cancel    context.CancelFunc
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	scheme    = runtime.NewScheme()

	sim    *nairisim.Server
	simURL string

	// logs captures everything the manager logs, at the most verbose level, for the
	// canary test.
	logs = &syncBuffer{}
	// registry holds the API and object metrics of the running manager.
	registry *prometheus.Registry
	mgr      *runningManager
	// preexisting is the value of a Secret created before the manager started.
	preexisting string
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "NairiSecret controller suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(logging.WithoutBodies(zap.New(zap.WriteTo(logs), zap.Level(zapcore.Level(-10)))))
	// Informers LIST (instead of streaming the initial state over a watch), as they do
	// against API servers without WatchList: that LIST's response body is what client-go
	// logs at -v>=8, and the canary test must see that path.
	Expect(os.Setenv("KUBE_FEATURE_WatchListClient", "false")).To(Succeed())
	ctx, cancel = context.WithCancel(context.Background())
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(secretsv1alpha1.AddToScheme(scheme)).To(Succeed())

	assets, err := utils.EnvtestAssets()
	Expect(err).NotTo(HaveOccurred())
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{utils.CRDDir()},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}})).To(Succeed())

	sim = nairisim.New(nairisim.WithAPIKeys(operatorKey))
	simURL, err = sim.Start("127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())

	// A Secret that exists before the manager starts reaches it in the first LIST of the
	// Secret watch, whose response body client-go logs at -v>=8; the canary test looks
	// for its value in the logs.
	preexisting = canary("preexisting-")
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: "applied-before-start",
			Annotations: map[string]string{corev1.LastAppliedConfigAnnotation: `{"apiVersion":"v1","kind":"Secret",` +
				`"stringData":{"password":"` + preexisting + `"}}`}},
		StringData: map[string]string{"password": preexisting},
	})).To(Succeed())

	mgr = startManager()
})

var _ = AfterSuite(func() {
	if mgr != nil {
		mgr.stop()
	}
	if sim != nil {
		sim.Close()
	}
	cancel()
	Expect(testEnv.Stop()).To(Succeed())
})

// runningManager is a manager started by the suite, as the binary would start it.
type runningManager struct {
	cancel context.CancelFunc
	done   chan struct{}
	// cache is what the manager holds in memory.
	cache cache.Cache
}

// managerConfig is what a spec may change in the manager it restarts: the flags
// --require-vault-grant and --watch-namespaces.
type managerConfig struct {
	requireVaultGrant bool
	watchNamespaces   []string
}

// defaultManager is the manager as installed: grants required, every namespace watched.
var defaultManager = managerConfig{requireVaultGrant: true}

// currentManager is the configuration startManager uses.
var currentManager = defaultManager

// mainShard is the suite manager's --watch-label-selector: as the main deployment of the
// Flux sharding convention, it handles every NairiSecret without a shard key.
const mainShard = "!" + controller.ShardLabel

// startManager starts a manager with the production wiring, pointing at the simulator.
func startManager() *runningManager {
	registry = prometheus.NewRegistry()
	return startManagerWith(mainShard, registry)
}

// startManagerWith starts a manager that handles the NairiSecrets matching selector and
// registers its metrics in reg.
func startManagerWith(selector string, reg *prometheus.Registry) *runningManager {
	// Every Kubernetes request of the manager goes through kubeRequests, so specs can
	// count the reads and writes it makes.
	sel, err := labels.Parse(selector)
	Expect(err).NotTo(HaveOccurred())
	mc := currentManager
	var namespaces map[string]cache.Config
	for _, ns := range mc.watchNamespaces {
		if namespaces == nil {
			namespaces = map[string]cache.Config{}
		}
		namespaces[ns] = cache.Config{}
	}
	mcfg := rest.CopyConfig(cfg)
	mcfg.Wrap(kubeRequests.wrap)
	m, err := ctrl.NewManager(mcfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Each restart registers the controller again in this process.
		Controller: config.Controller{SkipNameValidation: new(true)},
		Client:     controller.ClientOptions(),
		Cache:      controller.WithWatchLabelSelector(controller.CacheOptions(namespaces), sel),
	})
	Expect(err).NotTo(HaveOccurred())
	apiMetrics, objectMetrics := nairi.NewMetrics(), controller.NewObjectMetrics()
	reg.MustRegister(append(apiMetrics.Collectors(), objectMetrics)...)
	_, err = controller.Setup(m, controller.Options{
		APIURL:                  simURL,
		OperatorKey:             func() (string, error) { return operatorKey, nil },
		QPS:                     100,
		Burst:                   100,
		Timeout:                 5 * time.Second,
		Version:                 "test",
		MaxConcurrentReconciles: 4,
		OperatorNamespace:       operatorNamespace,
		ListCacheTTL:            5 * time.Second,
		APIMetrics:              apiMetrics,
		ObjectMetrics:           objectMetrics,
		RequireVaultGrant:       mc.requireVaultGrant,
	})
	Expect(err).NotTo(HaveOccurred())

	mctx, mcancel := context.WithCancel(ctx)
	rm := &runningManager{cancel: mcancel, done: make(chan struct{}), cache: m.GetCache()}
	go func() {
		defer GinkgoRecover()
		defer close(rm.done)
		Expect(m.Start(mctx)).To(Succeed())
	}()
	return rm
}

func (m *runningManager) stop() {
	m.cancel()
	Eventually(m.done, 30*time.Second).Should(BeClosed())
}

// restartManager stops the manager and starts a fresh one, as a pod restart would.
func restartManager() {
	restartManagerWith(defaultManager)
}

// restartManagerWith restarts the manager with other flags; the spec restores the
// default with DeferCleanup(restartManager).
func restartManagerWith(mc managerConfig) {
	mgr.stop()
	currentManager = mc
	mgr = startManager()
}

// syncBuffer is a bytes.Buffer safe for the manager's concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	GinkgoWriter.Write(p) //nolint:errcheck // best effort copy for failure output
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var nsCount int

// newNamespace creates a namespace for one spec, so specs never see each other's objects.
func newNamespace() string {
	return newLabelledNamespace(nil)
}

// newLabelledNamespace creates a namespace with labels, for grants by namespaceSelector.
func newLabelledNamespace(nsLabels map[string]string) string {
	nsCount++
	name := fmt.Sprintf("spec-%d-%d", GinkgoParallelProcess(), nsCount)
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: nsLabels}})).To(Succeed())
	return name
}
