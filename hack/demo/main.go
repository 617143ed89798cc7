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

// Command demo is `make demo`: the operator running against a local control plane
// (kube-apiserver and etcd from the envtest store) and the Nairi simulator, all on
// 127.0.0.1. It applies the sample from config/samples, waits until it is Ready, shows
// what the operator did on both sides, rotates the source Secret and shows the PATCH,
// then applies the second sample (a NairiSecretSet and a templated NairiSecret) and shows
// the set's children.
// Then it keeps everything running for kubectl until Ctrl-C, and stops every process
// it started and removes its state on the way out.
//
// Environment:
//
//	DEMO_ONESHOT=1       run the script and exit (0 on success), for CI and the e2e suite
//	DEMO_DIR             state directory (kubeconfig, logs); default ./bin/demo
//	DEMO_MANAGER_BIN     manager binary; default: built into DEMO_DIR
//	KUBEBUILDER_ASSETS   directory with kube-apiserver, etcd and kubectl; default: asks
//	                     hack/envtest-assets.sh (ENVTEST_K8S_VERSION, ENVTEST), which builds
//	                     them on the first run
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

const (
	// demoVault and demoKey are what the simulator serves; the manager gets the key through
	// NAIRI_API_KEY, as when it runs out of cluster.
	demoVault = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	demoKey   = "nr_demo_key_for_the_local_simulator"
	// demoNamespace receives the sample; the operator's own namespace is utils.OperatorNamespace.
	demoNamespace = "demo"
	// sampleName and sampleSecret are the objects of config/samples.
	sampleName   = "database-url"
	sampleSecret = "db-credentials"
	sampleKey    = "url"
	// setSampleName and templateSampleName are the objects of the second sample.
	setSampleName      = "app-env"
	templateSampleName = "shop-database-url"
	// oneshotTimeout bounds a DEMO_ONESHOT run once the binaries exist.
	oneshotTimeout = 5 * time.Minute
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	d := &demo{oneshot: os.Getenv("DEMO_ONESHOT") != "" && os.Getenv("DEMO_ONESHOT") != "0"}
	err := d.run(ctx)
	if err != nil && ctx.Err() != nil {
		fmt.Println("==> interrupted")
		err = nil // Ctrl-C while the script ran: not a failure of the demo
	}
	d.shutdown(err == nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

// demo holds what the run started, so shutdown can stop it in reverse order.
type demo struct {
	oneshot bool
	dir     string
	cp      *utils.ControlPlane
	sim     *utils.Simulator
	manager *utils.Manager
	kubectl utils.Kubectl
}

func (d *demo) run(ctx context.Context) error {
	if err := d.prepareDir(); err != nil {
		return err
	}
	assets, err := envtestAssets(ctx)
	if err != nil {
		return err
	}
	managerBin, err := d.managerBinary(ctx)
	if err != nil {
		return err
	}
	if d.oneshot {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, oneshotTimeout)
		defer cancel()
	}

	step("starting kube-apiserver and etcd (%s), installing the CRDs from config/crd/bases", assets)
	if d.cp, err = utils.StartControlPlane(assets, d.dir); err != nil {
		return err
	}
	recordChildren(d.dir)
	d.kubectl = d.cp.Kubectl
	for _, ns := range []string{utils.OperatorNamespace, demoNamespace} {
		if _, err := d.kubectl.Run("create", "namespace", ns); err != nil {
			return err
		}
	}

	step("starting the Nairi simulator with vault %s", demoVault)
	sim := nairisim.New(nairisim.WithAPIKeys(demoKey), nairisim.WithVaults(demoVault))
	if d.sim, err = utils.StartSimulator(sim, demoKey, filepath.Join(d.dir, "simulator.log")); err != nil {
		return err
	}
	detail("listening on %s (requests logged to %s)", d.sim.URL, d.sim.LogPath)

	step("starting the manager (log: %s)", filepath.Join(d.dir, "manager.log"))
	d.manager, err = utils.StartManager(utils.ManagerOptions{
		Name: "manager", Binary: managerBin, Kubeconfig: d.cp.Kubeconfig,
		APIURL: d.sim.URL, APIKey: demoKey, LogPath: filepath.Join(d.dir, "manager.log"),
	})
	if err != nil {
		return err
	}
	if err := d.manager.WaitReady(ctx); err != nil {
		return err
	}
	detail("ready (probes on %s)", d.manager.ProbeAddr)

	if err := d.showGrant(); err != nil {
		return err
	}
	if err := d.showSync(ctx); err != nil {
		return err
	}
	if err := d.showRotation(ctx); err != nil {
		return err
	}
	if err := d.showSet(ctx); err != nil {
		return err
	}
	if d.oneshot {
		step("demo complete (DEMO_ONESHOT): stopping")
		return nil
	}
	d.waitForInterrupt(ctx, assets)
	return nil
}

// prepareDir creates the state directory, refusing to take over one a running demo owns.
func (d *demo) prepareDir() error {
	d.dir = os.Getenv("DEMO_DIR")
	if d.dir == "" {
		d.dir = filepath.Join(utils.ProjectDir(), "bin", "demo")
	}
	d.dir, _ = filepath.Abs(d.dir)
	pidFile := filepath.Join(d.dir, "demo.pid")
	if data, err := os.ReadFile(pidFile); err == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(data))); pid > 0 && syscall.Kill(pid, 0) == nil {
			return fmt.Errorf("another demo (pid %d) is using %s; stop it or set DEMO_DIR", pid, d.dir)
		}
		killLeftovers(d.dir)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// managerBinary returns DEMO_MANAGER_BIN, or builds the manager into the state directory.
func (d *demo) managerBinary(ctx context.Context) (string, error) {
	if bin := os.Getenv("DEMO_MANAGER_BIN"); bin != "" {
		return bin, nil
	}
	bin := filepath.Join(d.dir, "manager")
	step("building the manager (go build ./cmd/main.go)")
	err := withHeartbeat(ctx, "building the manager", func() error { return utils.GoBuild(bin, "./cmd/main.go") })
	return bin, err
}

// showGrant applies the sample NairiVault, letting the demo namespace use the demo vault
// with the operator's key (without it the NairiSecret would be VaultNotAllowed), and
// shows it verified.
func (d *demo) showGrant() error {
	grant, err := utils.VaultSample(demoVault, demoNamespace)
	if err != nil {
		return err
	}
	step("kubectl apply -f %s   (a cluster admin grants vault %s to namespace %s)",
		utils.VaultSampleFile, demoVault, demoNamespace)
	out, err := d.kubectl.Apply("", grant)
	if err != nil {
		return err
	}
	indent(out)
	if _, err := d.kubectl.Run("wait", "--for=condition=Ready", "nvault/shop-prod", "--timeout=2m"); err != nil {
		return fmt.Errorf("%w\nmanager log %s ends with:\n%s", err, d.manager.LogPath, d.manager.Tail(20))
	}
	step("kubectl get nvault")
	if out, err = d.kubectl.Run("get", "nvault"); err != nil {
		return err
	}
	indent(out)
	return nil
}

// showSync applies the sample and shows the result on the Kubernetes side and in the vault.
func (d *demo) showSync(ctx context.Context) error {
	sample, err := utils.Sample(demoVault)
	if err != nil {
		return err
	}
	step("kubectl apply -n %s -f %s   (vaultID set to the demo vault)", demoNamespace, utils.SampleFile)
	out, err := d.kubectl.Apply(demoNamespace, sample)
	if err != nil {
		return err
	}
	indent(out)

	step("kubectl wait --for=condition=Ready nsec/%s", sampleName)
	if _, err := d.kubectl.Run("wait", "-n", demoNamespace, "--for=condition=Ready",
		"nsec/"+sampleName, "--timeout=2m"); err != nil {
		return fmt.Errorf("%w\nmanager log %s ends with:\n%s", err, d.manager.LogPath, d.manager.Tail(20))
	}
	step("kubectl get nsec -n %s", demoNamespace)
	if out, err = d.kubectl.Run("get", "nsec", "-n", demoNamespace); err != nil {
		return err
	}
	indent(out)

	const ready = `.status.conditions[?(@.type=="Ready")]`
	cond, err := d.kubectl.Run("get", "nsec", sampleName, "-n", demoNamespace, "-o", "jsonpath="+
		"Ready={"+ready+".status} reason={"+ready+".reason} message={"+ready+".message}{\"\\n\"}"+
		"status.secretID={.status.secretID}{\"\\n\"}status.observedGeneration={.status.observedGeneration}")
	if err != nil {
		return err
	}
	step("the Ready condition and the vault secret id")
	indent(cond)

	step("the simulator's view of vault %s (the API never returns values):", demoVault)
	detail("curl -H 'Authorization: Bearer %s' %s", demoKey, d.sim.ListURL(demoVault))
	secrets, err := d.sim.List(ctx, demoVault)
	if err != nil {
		return err
	}
	indent(formatSecrets(secrets))
	return nil
}

// showRotation changes the source Secret and shows the single PATCH it causes.
func (d *demo) showRotation(ctx context.Context) error {
	before, err := d.sim.List(ctx, demoVault)
	if err != nil {
		return err
	}
	if len(before) != 1 {
		return fmt.Errorf("want one secret in the demo vault, found %d", len(before))
	}
	patches := d.sim.Count(http.MethodPatch, "")

	step("rotating: kubectl patch secret %s (new %q value)", sampleSecret, sampleKey)
	patch := fmt.Sprintf(`{"stringData":{%q:"postgresql://shop:rotated-%d@db.example.com:5432/shop"}}`,
		sampleKey, time.Now().UnixNano())
	if _, err := d.kubectl.Run("patch", "secret", sampleSecret, "-n", demoNamespace,
		"--type=merge", "-p", patch); err != nil {
		return err
	}

	var after []utils.VaultSecret
	err = poll(ctx, 2*time.Minute, func() (bool, error) {
		var err error
		after, err = d.sim.List(ctx, demoVault)
		return err == nil && len(after) == 1 && after[0].UpdatedAt != before[0].UpdatedAt, err
	})
	if err != nil {
		return fmt.Errorf("the rotation did not reach the vault: %w\nmanager log %s ends with:\n%s",
			err, d.manager.LogPath, d.manager.Tail(20))
	}
	if _, err := d.kubectl.Run("wait", "-n", demoNamespace, "--for=condition=Ready",
		"nsec/"+sampleName, "--timeout=1m"); err != nil {
		return err
	}
	step("the vault after the rotation")
	indent(formatSecrets(after))
	detail("id         %s -> %s", before[0].ID, after[0].ID)
	detail("updated_at %s -> %s", before[0].UpdatedAt, after[0].UpdatedAt)
	detail("PATCH requests for the rotation: %d (POST so far: %d, DELETE: %d)",
		d.sim.Count(http.MethodPatch, "")-patches, d.sim.Count(http.MethodPost, ""), d.sim.Count(http.MethodDelete, ""))
	if after[0].ID != before[0].ID {
		return errors.New("the rotation replaced the vault secret instead of patching it")
	}

	step("kubectl get events -n %s", demoNamespace)
	if out, err := d.kubectl.Run("get", "events", "-n", demoNamespace,
		"--field-selector=involvedObject.kind=NairiSecret", "--sort-by=.lastTimestamp"); err == nil {
		indent(out)
	}
	return nil
}

// showSet applies the NairiSecretSet sample: an env-file Secret kept whole (one child
// NairiSecret per key) and a NairiSecret composing a URL with spec.template.
func (d *demo) showSet(ctx context.Context) error {
	sample, err := utils.SampleOf(utils.SetSampleFile, demoVault)
	if err != nil {
		return err
	}
	posts := d.sim.Count(http.MethodPost, "")
	step("kubectl apply -n %s -f %s   (vaultID set to the demo vault)", demoNamespace, utils.SetSampleFile)
	out, err := d.kubectl.Apply(demoNamespace, sample)
	if err != nil {
		return err
	}
	indent(out)

	step("kubectl wait --for=condition=Ready nsecset/%s nsec/%s", setSampleName, templateSampleName)
	if _, err := d.kubectl.Run("wait", "-n", demoNamespace, "--for=condition=Ready",
		"nsecset/"+setSampleName, "nsec/"+templateSampleName, "--timeout=2m"); err != nil {
		return fmt.Errorf("%w\nmanager log %s ends with:\n%s", err, d.manager.LogPath, d.manager.Tail(20))
	}
	step("kubectl get nsecset -n %s", demoNamespace)
	if out, err = d.kubectl.Run("get", "nsecset", "-n", demoNamespace); err != nil {
		return err
	}
	indent(out)
	step("its children: kubectl get nsec -n %s -l secrets.nairi.ai/set=%s", demoNamespace, setSampleName)
	out, err = d.kubectl.Run("get", "nsec", "-n", demoNamespace, "-l", "secrets.nairi.ai/set="+setSampleName)
	if err != nil {
		return err
	}
	indent(out)

	step("the vault now (POST requests for the set and the template: %d)", d.sim.Count(http.MethodPost, "")-posts)
	secrets, err := d.sim.List(ctx, demoVault)
	if err != nil {
		return err
	}
	indent(formatSecrets(secrets))
	return nil
}

// waitForInterrupt tells the user how to reach the demo and waits for Ctrl-C or a dying
// manager.
func (d *demo) waitForInterrupt(ctx context.Context, assets string) {
	fmt.Printf(`
==> the demo is running; in another terminal:

    export KUBECONFIG=%s
    export PATH=%s:$PATH      # kubectl %s, matching the control plane
    kubectl get nsec -A
    kubectl get nsecset -A
    kubectl -n %s edit secret %s          # rotate again, then watch the vault:
    curl -s -H 'Authorization: Bearer %s' %s

    logs: %s (manager.log, simulator.log)

    Press Ctrl-C to stop everything and remove %s
`, d.cp.Kubeconfig, assets, filepath.Base(assets), demoNamespace, sampleSecret,
		demoKey, d.sim.ListURL(demoVault), d.dir, d.dir)
	select {
	case <-ctx.Done():
		fmt.Println()
	case <-d.manager.Done():
		fmt.Printf("\nthe manager exited (code %d); its log ends with:\n%s\n", d.manager.ExitCode(), d.manager.Tail(20))
	}
}

// shutdown stops what run started, newest first, and removes the state directory when the
// run succeeded (a failed run keeps its logs for reading).
func (d *demo) shutdown(ok bool) {
	step("stopping the manager, the simulator and the control plane")
	if d.manager != nil {
		d.manager.Stop(15 * time.Second)
	}
	if d.sim != nil {
		d.sim.Close()
	}
	if d.cp != nil {
		if err := d.cp.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the control plane: %v\n", err)
		}
	}
	if d.dir == "" {
		return
	}
	if ok {
		_ = os.RemoveAll(d.dir)
		detail("removed %s", d.dir)
		return
	}
	_ = os.Remove(filepath.Join(d.dir, "demo.pid"))
	detail("logs kept in %s", d.dir)
}

// step prints a progress line; detail and indent print what belongs to it.
func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func detail(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }

func indent(text string) {
	for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		fmt.Println("    " + line)
	}
}

// poll calls cond every 250ms until it reports true or timeout passes; its last error is
// returned on timeout.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		done, err := cond()
		if done {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
