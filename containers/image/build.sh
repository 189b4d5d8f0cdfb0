#!/usr/bin/env bash
# Builds a local test image: Debian (debootstrap minbase) with systemd as PID 1 and the packages in
# packages.txt plus packages-<suite>.txt, imported with `docker import`. There is no registry on these
# machines, so the image is built here and cached by a hash of its recipe (this script, packages.txt,
# the suite's own package list and the suite's name): an existing image with that tag is never rebuilt.
#
#   build.sh [--suite SUITE]              build the image unless it exists; write the tag files; print the tag
#   build.sh [--suite SUITE] --print-tag  print the tag this recipe builds, build nothing
#
# Suites (a packages-<suite>.txt each): bookworm (Debian 12, the default; OpenJDK 17) and trixie
# (Debian 13; it has no OpenJDK 17, so OpenJDK 21, which also provides java17-runtime-headless).
#
# Tags and tag files (read by the Java suite, Molecule and the package test), at the repository root:
#   bookworm  tower-relay-test:<hash>         build/test-image.tag         build/test-image.env
#   trixie    tower-relay-test:trixie-<hash>  build/test-image-trixie.tag  build/test-image-trixie.env
#   *.tag  the tag alone
#   *.env  TOWER_RELAY_TEST_IMAGE=<tag> (bookworm) or TOWER_RELAY_TEST_IMAGE_TRIXIE=<tag> (trixie), and
#          DOCKER_API_VERSION=<the engine's API version> (sourceable by shells; docker --env-file).
#          Testcontainers 2.0.x asks for API 1.44 unless told otherwise, which Debian bookworm's engine
#          (20.10, API 1.41) refuses; the Java suite passes this version on as docker-java's api.version.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

suite=bookworm
print_tag=false
while (($#)); do
  case "$1" in
    --suite) suite="${2:-}"; shift 2 || { echo "build.sh: --suite needs a value" >&2; exit 2; } ;;
    --suite=*) suite="${1#--suite=}"; shift ;;
    --print-tag) print_tag=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument: $1 (usage: build.sh [--suite bookworm|trixie] [--print-tag])" >&2; exit 2 ;;
  esac
done
suite_packages="$here/packages-$suite.txt"
if [[ ! -f "$suite_packages" ]]; then
  echo "build.sh: unknown suite '$suite' (known: $(cd "$here" && ls packages-*.txt | sed 's/^packages-//; s/\.txt$//' | xargs))" >&2
  exit 2
fi

recipe_hash() {
  # Hash the suite's name and the names and contents of its recipe files, in a stable order: another
  # suite's package list does not change this suite's tag.
  { echo "suite $suite"
    (cd "$here" && sha256sum build.sh packages.txt "packages-$suite.txt")
  } | sha256sum | cut -c1-12
}
if [[ "$suite" == bookworm ]]; then
  tag="tower-relay-test:$(recipe_hash)"
  tag_base="$repo/build/test-image"
  tag_var=TOWER_RELAY_TEST_IMAGE
else
  tag="tower-relay-test:$suite-$(recipe_hash)"
  tag_base="$repo/build/test-image-$suite"
  tag_var="TOWER_RELAY_TEST_IMAGE_${suite^^}"
fi

if $print_tag; then
  echo "$tag"
  exit 0
fi

log() { printf 'test-image(%s): %s\n' "$suite" "$*" >&2; }

write_tag_files() {
  mkdir -p "$repo/build"
  echo "$tag" >"$tag_base.tag"
  {
    echo "$tag_var=$tag"
    echo "DOCKER_API_VERSION=$(docker version -f '{{.Server.APIVersion}}')"
  } >"$tag_base.env"
}

# The Debian mirror apt on this machine is configured with (deb822 .sources or one-line .list).
# debootstrap and the image's own apt use only that mirror.
configured_mirror() {
  local uri
  uri="$(
    {
      awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' /etc/apt/sources.list.d/*.sources 2>/dev/null
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }'
    } | grep -E '^https?://' | grep -v -- '-security' | grep -E '/debian/?$' | head -n1
  )"
  echo "${uri:-http://deb.debian.org/debian}"
}

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag is up to date (recipe unchanged)"
  write_tag_files
  echo "$tag"
  exit 0
fi

mirror="$(configured_mirror)"
mirror="${mirror%/}"
security_mirror="${mirror%/debian}/debian-security"

work="$(mktemp -d "/var/tmp/tower-relay-image-$suite.XXXXXX")"
root="$work/rootfs"
cleanup() {
  # Unmount whatever is still mounted inside the rootfs before deleting it.
  for m in "$root/proc" "$root/sys" "$root/dev/pts"; do
    mountpoint -q "$m" 2>/dev/null && umount -l "$m" || true
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

start=$(date +%s)
log "building $tag from $mirror (debootstrap $suite minbase; takes a few minutes)"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  log "debootstrap failed (full log above)"
  exit 1
}

# apt inside the image uses the same mirror as this machine.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF

# Never start services while installing: the chroot shares this machine's network, and a package's
# postinst starting nginx or apache2 would take this machine's port 80.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"   # openjdk's and ca-certificates-java's postinst need /proc

mapfile -t packages < <(cat "$here/packages.txt" "$suite_packages" | grep -Ev '^[[:space:]]*(#|$)' | awk '{print $1}')
log "installing ${#packages[@]} packages: ${packages[*]}"
chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get update -qq >"$work/apt.log" 2>&1 &&
  chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >>"$work/apt.log" 2>&1 || {
  tail -n 30 "$work/apt.log" >&2
  log "apt-get install in the image failed (full log above)"
  exit 1
}

# (docker import takes no STOPSIGNAL on every engine: stop containers with `docker rm -f`, or give
# SIGRTMIN+3, systemd's halt signal, as the stop signal.)
# Boot-time behaviour for containers on the host network: nothing binds a port until a test or a
# role starts it (nginx and apache2 default sites would take port 80 of the machine), and no apt
# timers run inside test containers.
chroot "$root" systemctl disable nginx.service apache2.service >/dev/null 2>&1
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer systemd-logind.service \
  getty.target console-getty.service >/dev/null 2>&1

umount "$root/proc"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/usr/sbin/policy-rc.d" "$root"/var/log/*.log \
  "$root"/var/cache/debconf/*-old "$root/etc/resolv.conf"
# An empty machine-id makes systemd generate a fresh one in every container.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

log "importing into docker as $tag"
tar --numeric-owner -C "$root" -c . |
  docker import \
    -c 'CMD ["/lib/systemd/systemd"]' \
    -c 'ENV container=docker' \
    -m "tower-relay test image, Debian $suite, recipe $(recipe_hash)" \
    - "$tag" >/dev/null

log "built $tag in $(($(date +%s) - start)) s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1000000}'))"
write_tag_files
echo "$tag"
