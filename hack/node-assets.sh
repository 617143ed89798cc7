#!/usr/bin/env bash
# Prints the directory holding kubelet, kube-controller-manager and kube-scheduler for the
# real-node suite (test/node), making sure everything the node needs is there first:
#
#   hack/node-assets.sh <k8s-version>
#
# 1. Debian packages: containerd, runc and containernetworking-plugins are installed with
#    apt-get when missing (`apt-get update` first). Needs root, like the node itself.
# 2. kubelet, kube-controller-manager and kube-scheduler, built once per machine from Go
#    modules exactly like kube-apiserver in hack/envtest-assets.sh (k8s.io/kubernetes at the
#    release, every staging module replaced by its published v0.X.Y), version stamped, into
#    a store beside envtest's: <store>/node/<version>-<os>-<arch>. A separate directory on
#    purpose: envtest-assets.sh replaces its own directory wholesale when it publishes.
#    On 2 cores: kubelet 3-8 minutes, kube-controller-manager 1-4, kube-scheduler under 1
#    (much longer when the machine is busy).
#
# A lock makes concurrent callers wait for one build instead of starting their own.
# Progress goes to stderr; stdout carries only the directory.
set -euo pipefail

version=${1:?usage: $0 <k8s-version, e.g. 1.37.2>}
version=${version#v}

goos=$(go env GOOS)
goarch=$(go env GOARCH)
store=${ENVTEST_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest}
dir="$store/node/${version}-${goos}-${goarch}"
binaries=(kube-scheduler kube-controller-manager kubelet)

log() { echo "node-assets: $*" >&2; }

# --- 1. packages -------------------------------------------------------------------------
packages_present() {
  command -v containerd >/dev/null && command -v ctr >/dev/null && command -v runc >/dev/null &&
    [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ]
}
if ! packages_present; then
  [ "$(id -u)" = 0 ] || { log "containerd, runc and containernetworking-plugins are missing; run as root to install them"; exit 1; }
  log "installing containerd, runc and containernetworking-plugins (apt-get)"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    containerd runc containernetworking-plugins >&2
  packages_present || { log "packages installed but binaries not found"; exit 1; }
fi

# --- 2. node binaries --------------------------------------------------------------------
complete() {
  local b
  for b in "${binaries[@]}"; do [ -x "$1/$b" ] || return 1; done
}
if complete "$dir"; then
  echo "$dir"
  exit 0
fi

mkdir -p "$store/node"
exec 9>"$store/node/.lock-${version}"
if ! flock -n 9; then
  log "another process is building the node binaries; waiting for it"
  flock 9
fi
if complete "$dir"; then
  echo "$dir"
  exit 0
fi

minor=${version#*.}
staging_version="v0.${minor}" # 1.37.2 -> v0.37.2
major=${version%%.*}

work=$(mktemp -d)
ticker=
cleanup() {
  [ -z "$ticker" ] || kill "$ticker" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
tmpbin="$work/out"
mkdir -p "$tmpbin" "$work/k8s"

log "fetching k8s.io/kubernetes v${version} module metadata"
modfile=$(go mod download -json "k8s.io/kubernetes@v${version}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$modfile" ] || { log "cannot download k8s.io/kubernetes@v${version}"; exit 1; }

{
  echo "module nodebuild"
  echo
  echo "go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')"
  echo
  echo "require k8s.io/kubernetes v${version}"
  echo
  echo "replace ("
  sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$modfile" |
    while read -r m; do echo "	$m => $m ${staging_version}"; done
  echo ")"
} > "$work/k8s/go.mod"
{
  printf '//go:build tools\n\npackage nodebuild\n\nimport (\n'
  for b in "${binaries[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
  printf ')\n'
} > "$work/k8s/tools.go"

# `kubectl version` and the Node's status report the stamped version, not v0.0.0.
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v${version}"
ldflags+=" -X k8s.io/component-base/version.gitMajor=${major} -X k8s.io/component-base/version.gitMinor=${minor%%.*}"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"

# A progress line every 30 s while a long step runs.
progress() { # what
  local what=$1 start=$SECONDS
  while sleep 30; do log "still ${what} ($((SECONDS - start)) s)"; done
}
step() { # what, command...
  local what=$1 start=$SECONDS
  shift
  log "${what}"
  progress "${what}" &
  ticker=$!
  "$@" >&2
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  ticker=
  log "done ${what} in $((SECONDS - start)) s"
}

cd "$work/k8s"
step "resolving dependencies" sh -c "go mod tidy -e >/dev/null 2>&1 || true; go get k8s.io/kubernetes/cmd/kubelet@v${version}"
for b in "${binaries[@]}"; do
  step "building ${b} v${version}" env CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmpbin/$b" "k8s.io/kubernetes/cmd/$b"
done
cd /

# Publish atomically so an interrupted build never leaves a half-filled store entry.
rm -rf "$dir.tmp"
mv "$tmpbin" "$dir.tmp"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
log "installed into $dir"
echo "$dir"
