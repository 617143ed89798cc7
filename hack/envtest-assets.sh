#!/usr/bin/env bash
# Prints the directory holding kube-apiserver, etcd and kubectl for envtest
# (the value for KUBEBUILDER_ASSETS), making sure the binaries are there first.
#
#   hack/envtest-assets.sh <k8s-version> [setup-envtest binary]
#
# Order of preference:
#   1. The binaries are already in setup-envtest's store: nothing to do.
#   2. setup-envtest can download them: let it (the fast path on a normal machine).
#   3. Build them from Go modules into the same store, so the next run takes path 1.
#      kube-apiserver and kubectl come from k8s.io/kubernetes at the matching release,
#      with every staging module replaced by its published v0.X.Y; etcd from
#      go.etcd.io/etcd/server/v3 through a tiny main that calls etcdmain.Main.
#      On 2 cores this takes about 5-10 minutes, once per machine.
#
# Progress goes to stderr; stdout carries only the directory.
set -euo pipefail

version=${1:?usage: $0 <k8s-version, e.g. 1.37.2> [setup-envtest]}
setup_envtest=${2:-}
version=${version#v}

goos=$(go env GOOS)
goarch=$(go env GOARCH)
store=${ENVTEST_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest}
dir="$store/k8s/${version}-${goos}-${goarch}"

log() { echo "envtest: $*" >&2; }

complete() {
  [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ] && [ -x "$1/kubectl" ]
}

if complete "$dir"; then
  echo "$dir"
  exit 0
fi

# One build per machine at a time: a second caller (another make, a parallel test run)
# waits for the first and then finds the binaries, instead of compiling them again.
mkdir -p "$store"
exec 9>"$store/.envtest-assets.lock"
if ! flock -n 9; then
  log "another build of the envtest binaries is running; waiting for it"
  flock 9
fi
if complete "$dir"; then
  echo "$dir"
  exit 0
fi

if [ -n "$setup_envtest" ] && [ -x "$setup_envtest" ]; then
  log "asking setup-envtest for Kubernetes $version"
  if path=$(timeout 120 "$setup_envtest" use "$version" --bin-dir "$store" -p path 2>/dev/null) \
      && complete "$path"; then
    echo "$path"
    exit 0
  fi
  log "setup-envtest could not download; building from Go modules instead"
fi

minor=${version#*.}
staging_version="v0.${minor}"   # 1.37.2 -> v0.37.2
etcd_version=${ETCD_VERSION:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tmpbin="$work/out"
mkdir -p "$tmpbin"

log "fetching k8s.io/kubernetes v${version} module metadata"
modfile=$(go mod download -json "k8s.io/kubernetes@v${version}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$modfile" ] || { log "cannot download k8s.io/kubernetes@v${version}"; exit 1; }

# --- kube-apiserver and kubectl -------------------------------------------------------
mkdir -p "$work/k8s"
{
  echo "module envtestbuild"
  echo
  echo "go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')"
  echo
  echo "require k8s.io/kubernetes v${version}"
  echo
  echo "replace ("
  # Every staging module that k8s.io/kubernetes replaces with a local path is replaced
  # here by its published release of the same minor.
  sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$modfile" |
    while read -r m; do echo "	$m => $m ${staging_version}"; done
  echo ")"
} > "$work/k8s/go.mod"
cat > "$work/k8s/tools.go" <<'GO'
//go:build tools

package envtestbuild

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
(
  cd "$work/k8s"
  log "resolving kube-apiserver dependencies"
  go mod tidy -e >&2 2>&1 || true
  go get "k8s.io/kubernetes/cmd/kube-apiserver@v${version}" >&2
  log "building kube-apiserver v${version} (several minutes on a small machine)"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmpbin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  log "building kubectl v${version}"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmpbin/kubectl" k8s.io/kubernetes/cmd/kubectl
)

# --- etcd ------------------------------------------------------------------------------
if [ -z "$etcd_version" ]; then
  etcd_version=$(sed -n 's#^[[:space:]]*go\.etcd\.io/etcd/server/v3 \(v[^ ]*\).*#\1#p' "$modfile" | head -1)
fi
mkdir -p "$work/etcd"
cat > "$work/etcd/go.mod" <<GOMOD
module envtestetcd

go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')
GOMOD
cat > "$work/etcd/main.go" <<'GO'
// Command etcd is etcd's own server entry point, built from the published module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
(
  cd "$work/etcd"
  log "building etcd ${etcd_version}"
  go get "go.etcd.io/etcd/server/v3@${etcd_version}" >&2
  go mod tidy >&2
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmpbin/etcd" .
)

# Publish atomically so an interrupted build never leaves a half-filled store entry.
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.tmp"
mv "$tmpbin" "$dir.tmp"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
log "installed into $dir"
echo "$dir"
