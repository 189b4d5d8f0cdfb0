#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian bookworm machine (run as root) and leaves the machine
# ready for them: Debian packages, a running Docker engine, the project's Python venv and the local
# test image. Idempotent: a second run installs and builds nothing and takes seconds.
#
# Leaves behind:
#   dockerd running in the background (log: /var/log/tower-relay-dockerd.log), kept after this script
#   build/test-image.tag, build/test-image.env   the local test images (see containers/image/build.sh):
#   build/test-image-trixie.tag, .env            Debian 12 (bookworm) and Debian 13 (trixie)
#   .venv/                                       via scripts/venv.sh, when that script exists
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

log() { printf 'test-env: %s\n' "$*"; }
die() { printf 'test-env: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (it installs Debian packages and starts dockerd)"

# Several developers share a machine: one run at a time (the others then find everything done).
exec 9>/var/lock/tower-relay-test-env.lock
flock 9

# --- Debian packages -------------------------------------------------------------------------------
# docker.io: the engine (containers for the suite and Molecule); debootstrap: builds the test image;
# nginx, apache2, haproxy: real proxies for integration tests and benchmarks; chromium(-driver): the
# browser check; wrk: benchmarks; curl, openssl: clients and certificates in tests; testssl.sh: the
# TLS listener check (TestsslIT), strace: which proves testssl.sh only talked to loopback;
# dpkg-dev, debhelper, help2man, lintian: scripts/package.sh builds and checks the Debian package;
# nghttp2-client: h2load, the HTTP/2 benchmark client (bench/run.sh).
packages=(docker.io debootstrap nginx apache2 haproxy chromium chromium-driver wrk curl openssl
          ca-certificates iproute2 procps util-linux testssl.sh strace
          dpkg-dev debhelper help2man lintian nghttp2-client)

# Python for Ansible: the machine's python3 (3.11) needs a working venv module (Debian's python3
# needs python3-venv for that; a pyenv build has it built in).
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)

installed() { [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == "installed" ]]; }
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done

if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  # Debian starts a package's service on install; tests start their own nginx/apache2/haproxy on
  # free ports, so nothing may start here (policy-rc.d 101 = "action forbidden").
  own_policy=false
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# tower-relay test-env: no service starts during package installation\nexit 101\n' \
      >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=true
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)
  apt-get "${apt_opts[@]}" update -qq
  apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
    >/var/log/tower-relay-apt.log 2>&1 || { tail -n 40 /var/log/tower-relay-apt.log >&2; die "apt-get install failed"; }
  $own_policy && rm -f /usr/sbin/policy-rc.d
else
  log "Debian packages present"
fi

# The system nginx/apache2/haproxy services must not hold ports 80/443: tests run their own instances.
for svc in nginx apache2 haproxy; do
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/$svc ]]; then
    if service "$svc" status >/dev/null 2>&1; then
      log "stopping the system $svc service"
      service "$svc" stop >/dev/null 2>&1 || true
    fi
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done

# --- h2spec (HTTP/2 conformance, H2specIT) ---------------------------------------------------------
# Not packaged by Debian: built from its Go module (pinned) with the Go toolchain, through the Go module
# proxy, into a cache keyed by the version. "+incompatible": the module has no go.mod at v2.2.1, and the
# plain "@v2.2.1" form is refused.
h2spec_version="v2.2.1+incompatible"
h2spec_dir="/var/cache/tower-relay/h2spec-${h2spec_version}"
if [[ ! -x "$h2spec_dir/bin/h2spec" ]]; then
  go_bin="$(command -v go || echo /usr/local/go/bin/go)"
  [[ -x "$go_bin" ]] || die "h2spec needs the Go toolchain (go not on PATH, nor /usr/local/go/bin/go)"
  log "building h2spec $h2spec_version into $h2spec_dir"
  mkdir -p "$h2spec_dir"
  GOPATH="$h2spec_dir/gopath" GOBIN="$h2spec_dir/bin" GOFLAGS=-modcacherw \
    "$go_bin" install "github.com/summerwind/h2spec/cmd/h2spec@${h2spec_version}" \
    >"$h2spec_dir/build.log" 2>&1 || { tail -n 20 "$h2spec_dir/build.log" >&2; die "building h2spec failed"; }
  rm -rf "$h2spec_dir/gopath"
fi
ln -sfn "$h2spec_dir/bin/h2spec" /usr/local/bin/h2spec
# (The binary prints "Version: 2.0.0": go install does not set the release's version string.)
log "h2spec $h2spec_version ready at /usr/local/bin/h2spec"

# --- Docker engine ---------------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  if [[ -d /run/systemd/system ]] && systemctl start docker >/dev/null 2>&1; then
    log "started docker.service"
  else
    log "starting dockerd in the background (log: /var/log/tower-relay-dockerd.log)"
    # setsid + nohup: dockerd outlives this script; the tests run after it.
    # 9>&-: the daemon must not inherit (and so hold forever) the lock of this script.
    setsid nohup dockerd >>/var/log/tower-relay-dockerd.log 2>&1 </dev/null 9>&- &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 30 /var/log/tower-relay-dockerd.log >&2; die "dockerd did not come up"; }
fi
log "docker engine $(docker version -f '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# --- Python venv (Ansible, Molecule) ---------------------------------------------------------------
if [[ -x scripts/venv.sh || -f scripts/venv.sh ]]; then
  log "python venv: scripts/venv.sh"
  bash scripts/venv.sh
fi

# --- Local test images ----------------------------------------------------------------------------
# Debian 12 (bookworm: the Java suite, Molecule) and Debian 13 (trixie), built side by side: most of a
# build is waiting on the mirror and on dpkg, so two at once take little longer than one.
image_start=$(date +%s)
suites=(bookworm trixie)
mkdir -p build
declare -A build_pid
for suite in "${suites[@]}"; do
  bash containers/image/build.sh --suite "$suite" >"build/test-image-$suite.log" 2>&1 9>&- &
  build_pid[$suite]=$!
done
declare -A tags
for suite in "${suites[@]}"; do
  if ! wait "${build_pid[$suite]}"; then
    cat "build/test-image-$suite.log" >&2
    die "building the $suite test image failed (log above: build/test-image-$suite.log)"
  fi
  tags[$suite]="$(tail -n 1 "build/test-image-$suite.log")"
  sed '$d' "build/test-image-$suite.log"
done
log "test images ${tags[*]} ready in $(($(date +%s) - image_start)) s (tags in build/test-image.tag, build/test-image-trixie.tag)"

# Prove each image boots systemd the way the suite and Molecule run it (host network, no --privileged).
check_boot() {
  local tag="$1" name="tower-relay-env-check-$$" state="" pid1=""
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --network host \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    "$tag" >/dev/null
  for _ in $(seq 1 60); do
    state="$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)"
    [[ "$state" == "running" || "$state" == "degraded" ]] && break
    sleep 1
  done
  pid1="$(docker exec "$name" cat /proc/1/comm 2>/dev/null || true)"
  if [[ "$pid1" != "systemd" || ! ("$state" == "running" || "$state" == "degraded") ]]; then
    docker logs "$name" 2>&1 | tail -n 30 >&2
    docker exec "$name" systemctl --failed --no-pager 2>&1 | tail -n 20 >&2 || true
    docker rm -f "$name" >/dev/null 2>&1 || true
    die "the test image $tag did not boot systemd (PID 1: '${pid1:-none}', state: '${state:-unknown}')"
  fi
  if [[ "$state" == "degraded" ]]; then
    log "note: systemd in $tag is degraded: $(docker exec "$name" systemctl --failed --plain --no-legend 2>/dev/null | awk '{print $1}' | xargs)"
  fi
  docker rm -f "$name" >/dev/null
  log "$tag boots systemd (PID 1 systemd, state $state)"
}
for suite in "${suites[@]}"; do check_boot "${tags[$suite]}"; done
log "ready in ${SECONDS} s"
