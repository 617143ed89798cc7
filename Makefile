# Image URL to use all building/pushing image targets
IMG ?= controller:latest
# YEAR defines the year value used for substituting the YEAR placeholder in the boilerplate header.
YEAR ?= $(shell date +%Y)

# Get the currently used golang install path (in GOPATH/bin, unless GOBIN is set)
ifeq (,$(shell go env GOBIN))
GOBIN=$(shell go env GOPATH)/bin
else
GOBIN=$(shell go env GOBIN)
endif

# CONTAINER_TOOL defines the container tool to be used for building images.
# Be aware that the target commands are only tested with Docker which is
# scaffolded by default. However, you might want to replace it to use other
# tools. (i.e. podman)
CONTAINER_TOOL ?= docker

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'. The awk command is responsible for reading the
# entire set of makefiles included in this invocation, looking for lines of the
# file as xyz: ## something, and then pretty-format the target and help. Then,
# if there's a line with ##@ something, that gets pretty-printed as a category.
# More info on the usage of ANSI control characters for terminal formatting:
# https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_parameters
# More info on the awk command:
# http://linuxcommand.org/lc3_adv_awk.php

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate WebhookConfiguration, ClusterRole and CustomResourceDefinition objects.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate code containing DeepCopy, DeepCopyInto, and DeepCopyObject method implementations.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt",year=$(YEAR) paths="./..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

# The Kubernetes version envtest runs: the k8s.io/api release in go.mod (v0.37.2 -> 1.37.2).
ENVTEST_K8S_VERSION ?= $(shell go list -m -f '{{.Version}}' k8s.io/api | sed -E 's/^v0\.([0-9]+)\.([0-9]+).*/1.\1.\2/')
# Directory with kube-apiserver, etcd and kubectl; filled once per machine (see hack/envtest-assets.sh).
ENVTEST_ASSETS = $(shell hack/envtest-assets.sh $(ENVTEST_K8S_VERSION) "$(ENVTEST)")
FUZZTIME ?= 3s
# envtest gives kube-apiserver 20 s to start by default; on a loaded 2-core machine with
# several suites starting control planes at once that is too little. Suites that build
# their own envtest.Environment inherit this through envtest's own variables.
export KUBEBUILDER_CONTROLPLANE_START_TIMEOUT ?= 2m
export KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT ?= 1m

.PHONY: test
test: verify-generated fmt vet envtest-assets kustomize helm promtool ## Run every test: unit, fuzz seeds, envtest suites, alert rules, e2e, soak and the real node.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test $$(go list ./... | grep -v -e /test/e2e -e /test/soak -e /test/node) -coverprofile cover.out
	$(MAKE) --no-print-directory test-fuzz test-e2e test-soak test-node

.PHONY: test-fuzz
test-fuzz: ## Run each fuzz target briefly (FUZZTIME=1m for a longer run by hand).
	@for pkg in $$(go list ./...); do \
	  for f in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

.PHONY: envtest-assets
envtest-assets: setup-envtest ## Provide kube-apiserver, etcd and kubectl (download, else build once per machine).
	@echo "envtest binaries: $(ENVTEST_ASSETS)"

.PHONY: verify-generated
verify-generated: controller-gen ## Regenerate code and manifests; fail if anything was stale.
	@before=$$(cat $(GENERATED_FILES) 2>/dev/null | sha256sum); \
	$(MAKE) --no-print-directory manifests generate >/dev/null; \
	after=$$(cat $(GENERATED_FILES) 2>/dev/null | sha256sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "Generated files were stale and have been regenerated; review and commit them:"; \
	  git status --short -- $(GENERATED_FILES); exit 1; \
	fi

GENERATED_FILES = api/v1alpha1/zz_generated.deepcopy.go $(wildcard config/crd/bases/*.yaml) config/rbac/role.yaml

.PHONY: test-e2e
test-e2e: envtest-assets helm ## Run the end-to-end suite: real manager binary (as the chart's ServiceAccount), envtest control plane, kubectl.
	@if [ -d test/e2e ]; then \
	  KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/e2e/ -v -ginkgo.v -timeout 20m; \
	fi

.PHONY: lint
lint: golangci-lint ## Run golangci-lint linter (the bench driver too: it is behind the bench build tag)
	"$(GOLANGCI_LINT)" run --build-tags bench

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint linter and perform fixes
	"$(GOLANGCI_LINT)" run --build-tags bench --fix

.PHONY: lint-config
lint-config: golangci-lint ## Verify golangci-lint linter configuration
	"$(GOLANGCI_LINT)" config verify

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build manager binary.
	go build -o bin/manager cmd/main.go

.PHONY: run
run: manifests generate fmt vet ## Run a controller from your host.
	go run ./cmd/main.go

# If you wish to build the manager image targeting other platforms you can use the --platform flag.
# (i.e. docker build --platform linux/arm64). However, you must enable docker buildKit for it.
# More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# Override BASE_IMAGE to build from another registry, e.g.
# make docker-build IMG=<img> BASE_IMAGE=docker.io/library/golang:1.26
.PHONY: docker-build
docker-build: ## Build docker image with the manager.
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push docker image with the manager.
	$(CONTAINER_TOOL) push ${IMG}

# PLATFORMS defines the target platforms for the manager image be built to provide support to multiple
# architectures. (i.e. make docker-buildx IMG=myregistry/mypoperator:0.0.1). To use this option you need to:
# - be able to use docker buildx. More info: https://docs.docker.com/build/buildx/
# - have enabled BuildKit. More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# - be able to push the image to your registry (i.e. if you do not set a valid value via IMG=<myregistry/image:<tag>> then the export will fail)
# To adequately provide solutions that are compatible with multiple platforms, you should consider using this option.
PLATFORMS ?= linux/arm64,linux/amd64,linux/s390x,linux/ppc64le
.PHONY: docker-buildx
docker-buildx: ## Build and push docker image for the manager for cross-platform support
	# copy existing Dockerfile and insert --platform=${BUILDPLATFORM} into Dockerfile.cross, and preserve the original Dockerfile
	sed -e '1 s/\(^FROM\)/FROM --platform=\$$\{BUILDPLATFORM\}/; t' -e ' 1,// s//FROM --platform=\$$\{BUILDPLATFORM\}/' Dockerfile > Dockerfile.cross
	- $(CONTAINER_TOOL) buildx create --name nairi-secrets-operator-builder
	$(CONTAINER_TOOL) buildx use nairi-secrets-operator-builder
	- $(CONTAINER_TOOL) buildx build --push --platform=$(PLATFORMS) --build-arg VERSION=$(VERSION) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) --tag ${IMG} -f Dockerfile.cross .
	- $(CONTAINER_TOOL) buildx rm nairi-secrets-operator-builder
	rm Dockerfile.cross

.PHONY: build-installer
build-installer: manifests generate kustomize ## Generate a consolidated YAML with CRDs and deployment.
	mkdir -p dist
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default > dist/install.yaml

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install CRDs into the K8s cluster specified in ~/.kube/config.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" apply -f -; else echo "No CRDs to install; skipping."; fi

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall CRDs from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -; else echo "No CRDs to delete; skipping."; fi

.PHONY: deploy
deploy: manifests kustomize ## Deploy controller to the K8s cluster specified in ~/.kube/config.
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" apply -f -

.PHONY: undeploy
undeploy: kustomize ## Undeploy controller from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

## Tool Binaries
KUBECTL ?= kubectl
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
ENVTEST ?= $(LOCALBIN)/setup-envtest
GOLANGCI_LINT = $(LOCALBIN)/golangci-lint

## Tool Versions
KUSTOMIZE_VERSION ?= v5.7.1
CONTROLLER_TOOLS_VERSION ?= v0.23.0

# setup-envtest: the newest tag the Go module proxy serves (release-0.25 branch queries are refused).
ENVTEST_VERSION ?= v0.25.1

GOLANGCI_LINT_VERSION ?= v2.15.0
.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Download kustomize locally if necessary.
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Download controller-gen locally if necessary.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: setup-envtest
setup-envtest: $(ENVTEST) ## Download setup-envtest locally if necessary.
$(ENVTEST): $(LOCALBIN)
	$(call go-install-tool,$(ENVTEST),sigs.k8s.io/controller-runtime/tools/setup-envtest,$(ENVTEST_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Download golangci-lint locally if necessary.
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)")" "$(1)"
endef


##@ Install paths

# Release version: stamped into the binary (main.version), the image tag that
# dist/install.yaml and the chart's appVersion point to. Bump it when releasing.
VERSION ?= 0.1.0
IMAGE_REPO ?= ghcr.io/nairi-secrets-operator/nairi-secrets-operator
# Unless IMG is given on the command line or in the environment, build-installer, deploy
# and docker-build use the release image instead of the scaffold's controller:latest.
ifeq ($(origin IMG),file)
IMG = $(IMAGE_REPO):$(VERSION)
endif
# Flags shared by the Dockerfile and `make build-release`: reproducible, static, stamped.
# test/install checks that the Dockerfile uses the same ones.
RELEASE_LDFLAGS = -s -w -buildid= -X main.version=$(VERSION)
RELEASE_OUT ?= bin/manager-release

HELM ?= $(LOCALBIN)/helm
HELM_VERSION ?= v3.22.0
CHART_DIR = dist/chart

.PHONY: helm
helm: $(HELM) ## Download helm locally if necessary.
$(HELM): $(LOCALBIN)
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

.PHONY: build-release
build-release: ## Build the manager exactly as the Dockerfile does (static, -trimpath, version stamped).
	CGO_ENABLED=0 go build -trimpath -ldflags "$(RELEASE_LDFLAGS)" -o "$(RELEASE_OUT)" ./cmd

.PHONY: dist
dist: build-installer ## Regenerate dist/: install.yaml, and the chart's copies of the CRDs and the generated RBAC.
	rm -f $(CHART_DIR)/files/crds/*.yaml
	mkdir -p $(CHART_DIR)/files/crds $(CHART_DIR)/files/rbac
	cp config/crd/bases/*.yaml $(CHART_DIR)/files/crds/
	cp config/rbac/role.yaml $(CHART_DIR)/files/rbac/role.yaml
	mkdir -p $(CHART_DIR)/files/prometheus $(CHART_DIR)/files/grafana
	hack/prometheus-rule.sh > $(PROMETHEUS_RULE)
	cp config/prometheus/alerts.rules.yaml $(CHART_DIR)/files/prometheus/alerts.rules.yaml
	cp config/grafana/nairi-secrets-operator.json $(CHART_DIR)/files/grafana/nairi-secrets-operator.json


# The alert rules live in one file, config/prometheus/alerts.rules.yaml (Prometheus' rule-file
# format, what promtool tests). The PrometheusRule for kustomize wraps it; the chart copies it.
PROMETHEUS_RULE = config/prometheus/prometheusrule.yaml

.PHONY: verify-dist
verify-dist: kustomize ## Fail if dist/ is stale against config/ (run `make dist` to fix).
	@"$(KUSTOMIZE)" build config/default | diff -q - dist/install.yaml >/dev/null \
	  || { echo "dist/install.yaml is stale: run make dist"; exit 1; }
	@diff -r -q config/crd/bases $(CHART_DIR)/files/crds >/dev/null \
	  && cmp -s config/rbac/role.yaml $(CHART_DIR)/files/rbac/role.yaml \
	  || { echo "$(CHART_DIR)/files is stale: run make dist"; exit 1; }
	@hack/prometheus-rule.sh | cmp -s - $(PROMETHEUS_RULE) \
	  && cmp -s config/prometheus/alerts.rules.yaml $(CHART_DIR)/files/prometheus/alerts.rules.yaml \
	  && cmp -s config/grafana/nairi-secrets-operator.json $(CHART_DIR)/files/grafana/nairi-secrets-operator.json \
	  || { echo "the PrometheusRule or the chart's rules/dashboard are stale: run make dist"; exit 1; }

.PHONY: helm-lint
helm-lint: helm ## Lint the Helm chart.
	"$(HELM)" lint --strict $(CHART_DIR)

.PHONY: test-install
test-install: kustomize helm envtest-assets ## Run the install-path tests (kustomize, install.yaml, Helm, GitOps health).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/install/... -v -ginkgo.v -timeout 15m

##@ Demo and end-to-end

.PHONY: demo
demo: setup-envtest ## Run the operator against a local control plane and the Nairi simulator (DEMO_ONESHOT=1: run once and exit).
	@echo "==> building the demo (hack/demo); the first build compiles client-go and takes a minute or two"
	@go build -o "$(LOCALBIN)/nairi-demo" ./hack/demo
	@ENVTEST_K8S_VERSION="$(ENVTEST_K8S_VERSION)" ENVTEST="$(ENVTEST)" "$(LOCALBIN)/nairi-demo"

##@ Benchmarks

# BENCH_QUICK=1 runs a much smaller version (a smoke check, under 2 minutes) and writes
# bin/bench-quick/ instead of the published docs/benchmarks.md and test/bench/results.json.
BENCH_QUICK ?=
# Simulated latency of every Nairi API request.
BENCH_LATENCY ?= 20ms
# The commit the baseline manager is built from, run beside the current one so that every
# headline figure is also a ratio: the commit before the adaptive rate and zero-cost restart.
BENCH_BASELINE ?= bb895e1

.PHONY: bench
bench: envtest-assets bench-baseline ## Measure speed, API economy and memory beside a baseline build; writes docs/benchmarks.md and test/bench/results.json.
	@# Measure what ships: the managers are built with the release flags (as build-release and the Dockerfile).
	CGO_ENABLED=0 go build -trimpath -ldflags "$(RELEASE_LDFLAGS)" -o bin/manager ./cmd
	CGO_ENABLED=0 go build -trimpath -ldflags "$(RELEASE_LDFLAGS)" -tags fullsecretcache \
	  -o bin/manager-fullsecretcache ./cmd
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run -tags bench ./test/bench -ldflags="$(RELEASE_LDFLAGS)" \
	  -baseline $(BENCH_BASELINE) -latency $(BENCH_LATENCY) $(if $(filter 1 true yes,$(BENCH_QUICK)),-quick)

.PHONY: bench-baseline
bench-baseline: ## Build bin/manager-baseline from BENCH_BASELINE (a git commit) with the release flags.
	@rm -rf "$(LOCALBIN)/baseline-src" && mkdir -p "$(LOCALBIN)/baseline-src"
	git archive --format=tar $(BENCH_BASELINE) | tar -x -C "$(LOCALBIN)/baseline-src"
	cd "$(LOCALBIN)/baseline-src" && CGO_ENABLED=0 go build -trimpath \
	  -ldflags "-s -w -buildid= -X main.version=baseline-$(BENCH_BASELINE)" -o "$(LOCALBIN)/manager-baseline" ./cmd
	@rm -rf "$(LOCALBIN)/baseline-src"

##@ Monitoring

PROMTOOL ?= $(LOCALBIN)/promtool
# Prometheus v3.x is tagged v0.3xx.y as a Go module. Built as a tool binary only: it is not
# in go.mod, whose k8s.io versions its dependency graph would move.
PROMETHEUS_VERSION ?= v0.316.0

.PHONY: promtool
promtool: $(PROMTOOL) ## Download promtool (Prometheus' rule checker and unit tester) locally if necessary.
# remove_all_sd leaves out the service-discovery plugins (AWS, Azure, GCE, Kubernetes...):
# rule checks and tests do not use them, and they are most of the build time.
$(PROMTOOL): export GOFLAGS += -tags=remove_all_sd
$(PROMTOOL): $(LOCALBIN)
	$(call go-install-tool,$(PROMTOOL),github.com/prometheus/prometheus/cmd/promtool,$(PROMETHEUS_VERSION))

.PHONY: test-alerts
test-alerts: promtool ## Check and unit-test the alert rules with Prometheus' rule engine (make test runs them too).
	"$(PROMTOOL)" check rules config/prometheus/alerts.rules.yaml
	"$(PROMTOOL)" test rules config/prometheus/alerts.test.yaml

.PHONY: dashboard
dashboard: ## Regenerate the Grafana dashboard (config/grafana) from its Go source, and the chart's copy.
	go run ./hack/dashboard -o config/grafana/nairi-secrets-operator.json
	mkdir -p $(CHART_DIR)/files/grafana
	cp config/grafana/nairi-secrets-operator.json $(CHART_DIR)/files/grafana/nairi-secrets-operator.json

.PHONY: dashboard-png
dashboard-png: envtest-assets ## Redraw docs/dashboard.png: a real run of the manager (envtest + simulator), scraped and plotted (~8 min).
	go build -o bin/manager ./cmd
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/dashboard-run -manager bin/manager -out bin/dashboard-run
	cd hack/tools && go run ./dashboard-png -samples ../../bin/dashboard-run \
	  -dashboard ../../config/grafana/nairi-secrets-operator.json -out ../../docs/dashboard.png

##@ Soak

# The randomized fault soak (test/soak): SOAK_SEED is a comma-separated list of seeds
# ("date" = today's UTC date as YYYYMMDD), SOAK_DURATION the length of each history.
SOAK_SEED ?= 1
SOAK_DURATION ?= 10m
# SOAK_QUIET bounds the wait for the end state once the faults stop.
SOAK_QUIET ?= 5m

.PHONY: soak
soak: envtest-assets ## Randomized fault soak with an exact end-state check; publishes docs/reliability.md.
	SOAK_PUBLISH=1 SOAK_SEED="$(SOAK_SEED)" SOAK_DURATION="$(SOAK_DURATION)" SOAK_QUIET="$(SOAK_QUIET)" \
	  KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/soak/ -run '^TestSoak$$' -v -count=1 -timeout 4h

.PHONY: test-soak
test-soak: envtest-assets ## Two 60-second soaks for CI: seed 1 and a seed from today's date (printed).
	SOAK_SEED=1,date SOAK_DURATION=60s SOAK_QUIET=5m \
	  KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/soak/ -v -count=1 -timeout 40m

##@ Real node

# kubelet, kube-controller-manager and kube-scheduler, built once per machine beside the
# envtest store; containerd, runc and the CNI plugins installed with apt-get if missing
# (see hack/node-assets.sh).
NODE_ASSETS = $(shell hack/node-assets.sh $(ENVTEST_K8S_VERSION))

.PHONY: node-assets
node-assets: ## Provide containerd, runc, CNI plugins (apt-get) and kubelet, kube-controller-manager, kube-scheduler (built once).
	@echo "node binaries: $(NODE_ASSETS)"

# The suite tears its node down itself (AfterSuite); the trap runs hack/node-down for the
# case where the test process dies first (a timeout, a kill).
.PHONY: test-node
test-node: envtest-assets helm ## Run the real-node suite (needs root): the chart's Pod on kubelet + containerd, from an image built here.
	@go build -o "$(LOCALBIN)/node-down" ./hack/node-down
	@dir=$$(mktemp -d /tmp/nairi-node-XXXXXX); \
	trap '"$(LOCALBIN)/node-down" -kubectl "$(ENVTEST_ASSETS)/kubectl" "'"$$dir"'"' EXIT INT TERM; \
	NODE_DIR=$$dir NODE_ASSETS="$(NODE_ASSETS)" KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" \
	  go test ./test/node/ -v -ginkgo.v -timeout 45m
