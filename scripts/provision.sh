#!/usr/bin/env bash
# Installs everything the tests and the local demo need, idempotently.
#  - Debian packages: nats-server, docker-registry, skopeo, umoci, runc, htpasswd, lua, openssl,
#    iproute2 (the test environment's veth link).
#  - Kubernetes control-plane binaries (kube-apiserver, kube-controller-manager,
#    kube-scheduler, kubectl) built from the k8s.io/kubernetes Go module; etcd 3.5 (Debian's
#    3.4 lacks the watch progress requests kube-apiserver 1.34's watch-list relies on), kwok, helm,
#    all into $CONTINUUM_CACHE/bin (default ~/.cache/continuum), outside the repo.
#  - what the real nodes need (scripts/provision-real-node.sh): CRIU 4.1 from Debian 13's packages,
#    kubelet (with the control plane), containerd 2.3, and the pause and busybox images.
#  - npm dependencies of the repo (npm ci) when node_modules is missing or stale.
# A second run with everything cached only checks and prints what it found.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.5.21}
KWOK_VERSION=${KWOK_VERSION:-v0.7.0}
HELM_VERSION=${HELM_VERSION:-v3.19.0}
CACHE=${CONTINUUM_CACHE:-$HOME/.cache/continuum}
BIN=$CACHE/bin
repo=$(cd "$(dirname "$0")/.." && pwd)

say() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] error: %s\n' "$*" >&2; exit 1; }

all_executable() { local t; for t in "$@"; do [ -x "$BIN/$t" ] || return 1; done; }
need_go() { need_cmd go "install Go >= 1.24 (apt-get install golang, or https://go.dev/doc/install)"; }

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing: $2"; }

apt_packages() {
  local missing=() pkg cmd
  # command:package pairs
  for pair in nats-server:nats-server docker-registry:docker-registry \
    skopeo:skopeo umoci:umoci runc:runc htpasswd:apache2-utils lua5.4:lua5.4 openssl:openssl \
    setpriv:util-linux ip:iproute2 /bin/busybox:busybox-static \
    /usr/lib/cni/bridge:containernetworking-plugins unshare:util-linux gcc:gcc; do
    cmd=${pair%%:*} pkg=${pair##*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "debian packages: present"; return; fi
  say "debian packages: installing ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root: sudo apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from the
# k8s.io/kubernetes module. Its go.mod replaces the staging modules with ./staging/...,
# which a consumer cannot see, so the build module pins each to its published v0 twin.
build_kubernetes() {
  local want=$K8S_VERSION tools=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet)
  if [ -f "$BIN/.kubernetes-$want" ] && all_executable "${tools[@]}"; then
    say "kubernetes $want: cached"; return
  fi
  need_go
  say "kubernetes $want: building ${tools[*]} from the Go module (first time: several minutes)"
  local dir=$CACHE/build/kubernetes-$want staging=v0.${want#v1.}
  mkdir -p "$dir"
  go mod download -json "k8s.io/kubernetes@$want" >"$dir/download.json" \
    || die "cannot download k8s.io/kubernetes@$want from the Go module proxy"
  local src
  src=$(sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p' "$dir/download.json")
  {
    echo "module continuum.dev/k8s-build"
    echo "go 1.24.0"
    echo "require k8s.io/kubernetes $want"
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 '"$staging"'#p' "$src/go.mod"
  } >"$dir/go.mod"
  local ldflags="-s -w" stamp
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for stamp in "gitVersion=$want" "gitMajor=1" "gitMinor=$(echo "$want" | cut -d. -f2)" \
      "gitTreeState=clean" "buildDate=$date"; do
      ldflags+=" -X $pkg.$stamp"
    done
  done
  mkdir -p "$BIN"
  (cd "$dir" && GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$want" >/dev/null 2>&1 || true
   cd "$dir" && for t in "${tools[@]}"; do
     say "  go build $t"
     GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$BIN/$t" "k8s.io/kubernetes/cmd/$t"
   done) || die "building kubernetes $want failed (see the go output above)"
  touch "$BIN/.kubernetes-$want"
}

# etcd's server module replaces its sibling modules with ../ paths, which `go install m@v`
# refuses; a build module requiring it takes their published versions instead.
build_etcd() {
  if [ -f "$BIN/.etcd-$ETCD_VERSION" ] && all_executable etcd; then say "etcd $ETCD_VERSION: cached"; return; fi
  need_go
  say "etcd $ETCD_VERSION: building go.etcd.io/etcd/server/v3 from the Go module"
  local dir=$CACHE/build/etcd-$ETCD_VERSION
  mkdir -p "$dir" "$BIN"
  printf 'module continuum.dev/etcd-build\ngo 1.23.0\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$dir/go.mod"
  (cd "$dir" && GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1 || true
   cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3) \
    || die "building etcd $ETCD_VERSION failed (see the go output above)"
  touch "$BIN/.etcd-$ETCD_VERSION"
}

go_install() { # name module version
  local name=$1 module=$2 version=$3
  if [ -f "$BIN/.$name-$version" ] && [ -x "$BIN/$name" ]; then say "$name $version: cached"; return; fi
  need_go
  say "$name $version: go install $module@$version"
  GOBIN=$BIN go install -trimpath -ldflags "-s -w $4" "$module@$version" || die "go install $module@$version failed"
  touch "$BIN/.$name-$version"
}

# npm ci on a fresh clone; afterwards only `npm install` when the lockfile changed, which
# (unlike npm ci) never removes node_modules under other processes using it. Serialised by a lock.
npm_deps() {
  (
    cd "$repo"
    flock 9
    if [ ! -d node_modules ]; then
      say "npm dependencies: npm ci"
      npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
    elif [ package-lock.json -nt node_modules/.package-lock.json ]; then
      say "npm dependencies: lockfile changed, npm install"
      npm install --no-audit --no-fund --loglevel=error || die "npm install failed"
    else
      say "npm dependencies: present"
    fi
  ) 9>/tmp/continuum-npm.lock
}

. "$repo/scripts/provision-real-node.sh"

need_cmd node "install Node.js 20"
need_cmd npm "install npm (comes with Node.js)"
apt_packages
build_kubernetes
build_etcd
go_install kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
provision_real_node
npm_deps
say "ready: binaries in $BIN"
