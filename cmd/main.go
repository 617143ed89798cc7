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

// Command manager runs the nairi-secrets-operator: it keeps keys of Kubernetes Secrets
// in Nairi vaults, as NairiSecret objects say.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	// Import all Kubernetes client auth plugins (e.g. Azure, GCP, OIDC, etc.)
	// to ensure that exec-entrypoint and run can make use of them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/controller"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/logging"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	// +kubebuilder:scaffold:imports
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(secretsv1alpha1.AddToScheme(scheme))
	// +kubebuilder:scaffold:scheme
}

// options are the manager's flags.
type options struct {
	metricsAddr, probeAddr                           string
	metricsCertPath, metricsCertName, metricsCertKey string
	secureMetrics, enableHTTP2, leaderElect          bool

	apiURL, apiKeyFile string
	qps                float64
	burst              int
	timeout            time.Duration
	concurrency        int
	watchNamespaces    string
	operatorNamespace  string
	listCacheTTL       time.Duration
	watchLabelSelector string
	requireVaultGrant  bool
	zap                zap.Options

	allowInsecureHTTP bool
}

func parseFlags() *options {
	o := &options{}
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "0", "The address the metrics endpoint binds to. "+
		"Use :8443 for HTTPS or :8080 for HTTP, or leave as 0 to disable the metrics service.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "The address the probe endpoint binds to.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false,
		"Enable leader election, so that only one replica makes calls to the Nairi API.")
	flag.BoolVar(&o.secureMetrics, "metrics-secure", true,
		"Serve the metrics endpoint over HTTPS with authentication and authorization. "+
			"Use --metrics-secure=false for plain HTTP.")
	flag.StringVar(&o.metricsCertPath, "metrics-cert-path", "",
		"The directory that contains the metrics server certificate (self-signed when empty).")
	flag.StringVar(&o.metricsCertName, "metrics-cert-name", "tls.crt", "The name of the metrics server certificate file.")
	flag.StringVar(&o.metricsCertKey, "metrics-cert-key", "tls.key", "The name of the metrics server key file.")
	flag.BoolVar(&o.enableHTTP2, "enable-http2", false, "Enable HTTP/2 for the metrics server.")

	flag.StringVar(&o.apiURL, "nairi-api-url", "https://api.nairi.ai", "Base URL of the Nairi API.")
	flag.StringVar(&o.apiKeyFile, "nairi-api-key-file", "",
		"File holding the operator's Nairi API key (re-read on use); overrides the NAIRI_API_KEY environment variable.")
	flag.Float64Var(&o.qps, "nairi-qps", nairi.DefaultQPS, "Ceiling of the requests per second to the Nairi API, "+
		"per API key: the rate starts lower, grows while requests succeed and halves on a 429.")
	flag.IntVar(&o.burst, "nairi-burst", nairi.DefaultBurst, "Burst of requests to the Nairi API, per API key.")
	flag.DurationVar(&o.timeout, "nairi-timeout", 30*time.Second, "Timeout of one request to the Nairi API.")
	flag.IntVar(&o.concurrency, "max-concurrent-reconciles", 16, "How many NairiSecrets are reconciled at once.")
	flag.StringVar(&o.watchNamespaces, "watch-namespaces", "",
		"Comma-separated namespaces to watch for NairiSecrets and Secrets; empty watches all.")
	flag.StringVar(&o.operatorNamespace, "operator-namespace", defaultOperatorNamespace(),
		"Namespace of the operator's own state (the HMAC key Secret, the leader election lease).")
	flag.DurationVar(&o.listCacheTTL, "nairi-list-cache-ttl", 5*time.Second,
		"How long one List of a vault serves the drift checks of all its NairiSecrets.")
	flag.BoolVar(&o.allowInsecureHTTP, "nairi-allow-insecure-http", false,
		"Allow a plain http:// --nairi-api-url to a host that is not a loopback address. "+
			"Every request carries an API key, which plain HTTP shows to the network.")
	flag.StringVar(&o.watchLabelSelector, "watch-label-selector", "",
		"Label selector of the NairiSecrets this deployment handles, to split a cluster between several "+
			"deployments (Flux convention: 'sharding.fluxcd.io/key=shard1' on a shard, "+
			"'!sharding.fluxcd.io/key' on the main one); empty handles all.")
	flag.BoolVar(&o.requireVaultGrant, "require-vault-grant", true,
		"A NairiSecret without its own spec.apiKeySecretRef may use the operator's API key only when a NairiVault "+
			"allows its namespace. false restores the single-tenant behaviour: the operator's key serves every namespace.")
	o.zap.BindFlags(flag.CommandLine)
	flag.Parse()
	return o
}

// defaultOperatorNamespace is POD_NAMESPACE (set through the downward API), else nairi-system.
func defaultOperatorNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	return "nairi-system"
}

func main() {
	o := parseFlags()
	// client-go logs Kubernetes API bodies (Secrets' included) at -v>=8 through this
	// logger: the filter drops them at every level; see internal/logging.
	ctrl.SetLogger(logging.WithoutBodies(zap.New(zap.UseFlagOptions(&o.zap))))
	if err := run(o); err != nil {
		setupLog.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(o *options) error {
	if o.qps <= 0 || o.burst < 1 || o.concurrency < 1 || o.timeout <= 0 {
		return errors.New("--nairi-qps, --nairi-burst, --nairi-timeout and --max-concurrent-reconciles must be positive")
	}
	operatorKey := operatorKeySource(o.apiKeyFile, os.Getenv("NAIRI_API_KEY"))
	if err := nairi.CheckBaseURL(o.apiURL, nairi.WithInsecureHTTP(o.allowInsecureHTTP)); err != nil {
		if errors.Is(err, nairi.ErrInsecureHTTP) {
			return fmt.Errorf("--nairi-api-url: %w, or pass --nairi-allow-insecure-http to allow plain HTTP "+
				"to this host deliberately", err)
		}
		return fmt.Errorf("--nairi-api-url: %w", err)
	}
	selector, err := labels.Parse(o.watchLabelSelector)
	if err != nil {
		return fmt.Errorf("--watch-label-selector: %w", err)
	}

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOptions(o),
		HealthProbeBindAddress:        o.probeAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              leaderElectionID(o.watchLabelSelector),
		LeaderElectionNamespace:       o.operatorNamespace,
		LeaderElectionReleaseOnCancel: true, // the process ends as soon as the manager stops
		Cache: controller.WithWatchLabelSelector(
			controller.CacheOptions(namespaces(o.watchNamespaces)), selector),
		Client: controller.ClientOptions(),
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}

	apiMetrics := nairi.NewMetrics()
	objectMetrics := controller.NewObjectMetrics()
	metrics.Registry.MustRegister(append(apiMetrics.Collectors(), objectMetrics)...)

	if _, err := controller.Setup(mgr, controller.Options{
		APIURL:                  o.apiURL,
		OperatorKey:             operatorKey,
		QPS:                     o.qps,
		Burst:                   o.burst,
		Timeout:                 o.timeout,
		Version:                 version,
		MaxConcurrentReconciles: o.concurrency,
		OperatorNamespace:       o.operatorNamespace,
		ListCacheTTL:            o.listCacheTTL,
		AllowInsecureHTTP:       o.allowInsecureHTTP,
		APIMetrics:              apiMetrics,
		ObjectMetrics:           objectMetrics,
		RequireVaultGrant:       o.requireVaultGrant,
	}); err != nil {
		return fmt.Errorf("set up the NairiSecret controller: %w", err)
	}
	// +kubebuilder:scaffold:builder

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("set up health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("set up ready check: %w", err)
	}
	setupLog.Info("starting manager", "version", version, "apiURL", o.apiURL,
		"operatorNamespace", o.operatorNamespace, "watchNamespaces", o.watchNamespaces,
		"watchLabelSelector", o.watchLabelSelector,
		"requireVaultGrant", o.requireVaultGrant)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// operatorKeySource returns the operator's key: the file's content when a file is given
// (read on every use, so a rotated mounted Secret is picked up), else the environment's.
func operatorKeySource(file, env string) func() (string, error) {
	if file == "" {
		key := strings.TrimSpace(env)
		return func() (string, error) { return key, nil }
	}
	return func() (string, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read --nairi-api-key-file: %w", err)
		}
		return strings.TrimSpace(string(data)), nil
	}
}

// leaderElectionID is the lease of this deployment: one per shard, so the replicas of a
// shard elect a leader among themselves while every shard runs at once.
func leaderElectionID(selector string) string {
	const id = "nairi-secrets-operator.secrets.nairi.ai"
	if strings.TrimSpace(selector) == "" {
		return id
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(selector)))
	return "shard-" + hex.EncodeToString(sum[:4]) + "." + id
}

// namespaces turns --watch-namespaces into the cache's namespace set (nil = all).
func namespaces(list string) map[string]cache.Config {
	var out map[string]cache.Config
	for ns := range strings.SplitSeq(list, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			if out == nil {
				out = map[string]cache.Config{}
			}
			out[ns] = cache.Config{}
		}
	}
	return out
}

// metricsOptions keeps kubebuilder's default: HTTPS with authentication and
// authorization, HTTP/2 off (CVE-2023-44487), self-signed unless a certificate is given.
func metricsOptions(o *options) metricsserver.Options {
	opts := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.secureMetrics}
	if !o.enableHTTP2 {
		opts.TLSOpts = append(opts.TLSOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	if o.secureMetrics {
		opts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	if o.metricsCertPath != "" {
		opts.CertDir, opts.CertName, opts.KeyName = o.metricsCertPath, o.metricsCertName, o.metricsCertKey
	}
	return opts
}
