#!/usr/bin/env bash
# Builds the local test image: Debian bookworm (debootstrap minbase) with systemd as PID 1 and the
# packages in packages.txt, imported with `docker import`. There is no registry on these machines, so
# the image is built here and cached by a hash of its recipe (every file in this directory): the tag
# is tower-relay-test:<hash>, and an existing image with that tag is never rebuilt.
#
#   build.sh              build the image unless it exists; write the tag files; print the tag
#   build.sh --print-tag  print the tag this recipe builds, build nothing
#
# Tag files (read by the Java suite and Molecule), at the repository root:
#   build/test-image.tag  the tag alone
#   build/test-image.env  TOWER_RELAY_TEST_IMAGE=<tag> and DOCKER_API_VERSION=<the engine's API version>
#                         (sourceable by shells; docker --env-file). Testcontainers 2.0.x asks for API
#                         1.44 unless told otherwise, which Debian bookworm's engine (20.10, API 1.41)
#                         refuses; the Java suite passes this version on as docker-java's api.version.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

recipe_hash() {
  # Hash names and contents of every recipe file, in a stable order.
  (cd "$here" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-12
}
tag="tower-relay-test:$(recipe_hash)"

if [[ "${1:-}" == "--print-tag" ]]; then
  echo "$tag"
  exit 0
fi

log() { printf 'test-image: %s\n' "$*" >&2; }

write_tag_files() {
  mkdir -p "$repo/build"
  echo "$tag" >"$repo/build/test-image.tag"
  {
    echo "TOWER_RELAY_TEST_IMAGE=$tag"
    echo "DOCKER_API_VERSION=$(docker version -f '{{.Server.APIVersion}}')"
  } >"$repo/build/test-image.env"
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

work="$(mktemp -d /var/tmp/tower-relay-image.XXXXXX)"
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
log "building $tag from $mirror (debootstrap bookworm minbase; takes a few minutes)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  log "debootstrap failed (full log above)"
  exit 1
}

# apt inside the image uses the same mirror as this machine.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
EOF

# Never start services while installing: the chroot shares this machine's network, and a package's
# postinst starting nginx or apache2 would take this machine's port 80.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"   # openjdk's and ca-certificates-java's postinst need /proc

mapfile -t packages < <(grep -Ev '^[[:space:]]*(#|$)' "$here/packages.txt" | awk '{print $1}')
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
    -m "tower-relay test image, recipe $(recipe_hash)" \
    - "$tag" >/dev/null

log "built $tag in $(($(date +%s) - start)) s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1000000}'))"
write_tag_files
echo "$tag"
