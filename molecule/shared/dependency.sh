#!/usr/bin/env bash
# Molecule's dependency step for every scenario (.config/molecule/config.yml): what a scenario needs
# from this checkout before its instances exist, so a plain `molecule test` needs no build by hand.
#
#   1. the relay jar, built with Maven when it is missing or older than the sources: the `./tower-relay`
#      wrapper at the repository root knows when (`--version` builds if needed, then prints the version);
#   2. with --packages (a scenario's own dependency command): the Debian package of that
#      jar (dist/tower-relay_<version>_all.deb, scripts/package.sh) and an older build of the same tree
#      (<version>~prev, under build/molecule/) to upgrade from, each built again only when older than
#      the jar; their paths go to DEST/../packages.yml for the scenario's playbooks;
#   3. the collection towerrelay.proxy built from this checkout and installed into DEST
#      (install-collection.sh), where the scenario's ANSIBLE_COLLECTIONS_PATH points.
#
# Usage: dependency.sh [--packages] DEST   (DEST: the scenario's ephemeral dir/collections)
set -euo pipefail
packages=false
if [[ "${1:-}" == --packages ]]; then
  packages=true
  shift
fi
dest=${1:?usage: dependency.sh [--packages] DEST (a collections path, e.g. the scenario ephemeral dir/collections)}
root=$(cd "$(dirname "$0")/../.." && pwd)
log() { printf 'dependency.sh: %s\n' "$*" >&2; }

version=$("$root/tower-relay" --version)
jar="$root/java-agent/target/tower-relay.jar"
log "relay jar $jar ($version)"

if $packages; then
  # The newest file matching a glob, or nothing.
  newest() { ls -t $1 2>/dev/null | head -n 1 || true; }
  deb=$(newest "$root/dist/tower-relay_*_all.deb")
  if [[ -z "$deb" || "$jar" -nt "$deb" ]]; then
    log "building the Debian package of that jar: scripts/package.sh --jar java-agent/target/tower-relay.jar"
    deb=$(bash "$root/scripts/package.sh" --jar "$jar" | tail -n 1)
  fi
  deb_version=$(dpkg-deb --field "$deb" Version)
  prev_dir="$root/build/molecule/prev"
  prev="$prev_dir/tower-relay_${deb_version}~prev_all.deb"
  if [[ ! -f "$prev" || "$deb" -nt "$prev" ]]; then
    log "building an older package of the same tree to upgrade from: scripts/package.sh --version ${deb_version}~prev"
    rm -rf "$prev_dir"
    bash "$root/scripts/package.sh" --version "${deb_version}~prev" --jar "$jar" --out "$prev_dir" >/dev/null
  fi
  log "packages: $deb, upgrading from $prev"
  printf '# Written by molecule/shared/dependency.sh.\ntower_relay_deb: %s\ntower_relay_deb_version: "%s"\ntower_relay_prev_deb: %s\n' \
    "$deb" "$deb_version" "$prev" >"$(dirname "$dest")/packages.yml"
fi

bash "$root/molecule/shared/install-collection.sh" "$dest"
