# What a real node of the test environment needs (sourced by scripts/provision.sh, which defines
# say, die, need_go, go_install, $CACHE and $BIN):
#  - CRIU 4.1.1 from Debian 13 (trixie): Debian 12's CRIU 3.17 fails `criu check` on this kernel,
#    and trixie's needs trixie's libc, so its packages are downloaded with a private apt
#    configuration (own sources list, state and cache under $CACHE; the machine's apt sources
#    never change), unpacked into $CACHE/criu and run through their own dynamic loader by the
#    wrapper $BIN/criu.
#  - containerd 2.3 (real-edge, in $BIN) and 2.4 (real-cloud, in $CACHE/containerd-<version>)
#    with their runc shims from the Go module proxy: 2.4 no longer restores checkpoint images,
#    so real-cloud restores through continuum's runc wrapper (Debian's runc and CNI plugins come
#    from provision.sh's package list).
#  - the images the nodes run, built here as OCI layouts in $CACHE/images: the pause image from
#    the Kubernetes module's pause.c, and busybox (Debian's busybox-static) for workloads.

CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.3.7}
# real-cloud's: 2.4 no longer restores checkpoint images (continuum's runc wrapper does)
CONTAINERD_24_VERSION=${CONTAINERD_24_VERSION:-v2.4.2}
CRIU_SUITE=trixie

# The first non-security Debian mirror the machine's own apt sources name.
debian_mirror() {
  {
    sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) print $i }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
  } | tr ' ' '\n' | grep -v -e security -e '^$' | head -n 1 || true
}

provision_criu() {
  local dir=$CACHE/criu stamp=$CACHE/criu/.criu-$CRIU_SUITE
  if [ -f "$stamp" ] && [ -x "$BIN/criu" ]; then say "criu ($CRIU_SUITE): cached"; return; fi
  local mirror apt_dir=$CACHE/build/apt-$CRIU_SUITE
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "cannot find a Debian mirror in the machine's apt sources"
  say "criu: downloading $CRIU_SUITE's criu and the libraries it links (private apt configuration)"
  rm -rf "$apt_dir" "$dir"
  mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,state,debs,preferences.d} "$dir/root"
  touch "$apt_dir/state/status"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-$CRIU_SUITE-stable.gpg] $mirror $CRIU_SUITE main" \
    >"$apt_dir/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d"
    -o "Dir::State=$apt_dir/state" -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::status=$apt_dir/state/status" -o "Dir::Cache=$apt_dir/cache"
    -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false)
  apt-get "${opts[@]}" -qq update || die "apt-get update of $CRIU_SUITE (private configuration) failed"
  local pkgs
  pkgs=$(apt-cache "${opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances criu | grep -v '^ ' | sort -u)
  (cd "$apt_dir/debs" && apt-get "${opts[@]}" -qq download $pkgs) \
    || die "downloading $CRIU_SUITE's criu packages failed"
  local deb
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  mkdir -p "$BIN"
  cat >"$BIN/criu" <<EOF
#!/bin/sh
# CRIU from Debian $CRIU_SUITE, run through its own dynamic loader and libraries (provision.sh).
d=$dir/root
exec "\$d/usr/lib64/ld-linux-x86-64.so.2" --library-path "\$d/usr/lib/x86_64-linux-gnu:\$d/lib/x86_64-linux-gnu" "\$d/usr/sbin/criu" "\$@"
EOF
  chmod 0755 "$BIN/criu"
  rm -rf "$apt_dir"
  local check
  check=$("$BIN/criu" check 2>&1) || true
  case "$check" in
    *"Looks good."*) ;;
    *) die "criu check does not say \"Looks good.\" on this kernel: $(printf '%s' "$check" | tail -n 3)" ;;
  esac
  touch "$stamp"
  say "criu: $("$BIN/criu" --version | head -n 1), criu check: Looks good."
}

# containerd <version> and its runc shim into <dir> (built once, then cached).
provision_containerd() {
  local version=$1 dir=$2 tools=(containerd containerd-shim-runc-v2 ctr) t
  local missing=
  for t in "${tools[@]}"; do [ -x "$dir/$t" ] || missing=1; done
  if [ -f "$dir/.containerd-$version" ] && [ -z "$missing" ]; then
    say "containerd $version: cached"; return
  fi
  need_go
  say "containerd $version: building ${tools[*]} from the Go module"
  local pkgs=()
  for t in "${tools[@]}"; do pkgs+=("github.com/containerd/containerd/v2/cmd/$t@$version"); done
  mkdir -p "$dir"
  GOBIN=$dir go install -trimpath -tags "no_btrfs urfave_cli_no_docs" \
    -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$version" \
    "${pkgs[@]}" || die "building containerd $version failed (see the go output above)"
  touch "$dir/.containerd-$version"
}

# An OCI layout $CACHE/images/<name> with tag <tag> whose root filesystem is filled by the
# function <fill> (called with the rootfs path) and whose entrypoint is the rest.
build_layout() {
  local name=$1 tag=$2 fill=$3; shift 3
  local layout=$CACHE/images/$name
  if [ -f "$layout/.built-$tag" ]; then say "image $name:$tag: cached"; return; fi
  say "image $name:$tag: building with umoci"
  local work; work=$(mktemp -d)
  rm -rf "$layout"; mkdir -p "$CACHE/images"
  umoci init --layout "$layout" && umoci new --image "$layout:$tag" \
    && umoci unpack --image "$layout:$tag" "$work/bundle" >/dev/null \
    && "$fill" "$work/bundle/rootfs" \
    && umoci repack --image "$layout:$tag" "$work/bundle" \
    && umoci config --image "$layout:$tag" "${@/#/--config.entrypoint=}" \
    && umoci gc --layout "$layout" || { rm -rf "$work"; die "building image $name failed"; }
  rm -rf "$work"
  touch "$layout/.built-$tag"
}

fill_pause() {
  local src
  src=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  install -d "$1"
  gcc -Os -static -o "$1/pause" "$src/build/pause/linux/pause.c"
}

fill_busybox() {
  install -D -m 0755 /bin/busybox "$1/bin/busybox"
  local tool
  for tool in $(/bin/busybox --list); do [ -e "$1/bin/$tool" ] || ln -s busybox "$1/bin/$tool"; done
  mkdir -p "$1/tmp" "$1/etc"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$1/etc/passwd"
}

provision_real_node() {
  provision_criu
  provision_containerd "$CONTAINERD_VERSION" "$BIN"
  provision_containerd "$CONTAINERD_24_VERSION" "$CACHE/containerd-$CONTAINERD_24_VERSION"
  build_layout pause 3.10 fill_pause /pause
  build_layout busybox 1.35 fill_busybox /bin/sh
}
