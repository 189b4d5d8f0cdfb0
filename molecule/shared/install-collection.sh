#!/usr/bin/env bash
# Molecule's dependency step for every scenario (see .config/molecule/config.yml): builds the
# towerrelay.proxy collection from this checkout with scripts/build-collection.sh and installs the
# tarball into DEST, where the scenario's ANSIBLE_COLLECTIONS_PATH points. What the scenarios run
# is then exactly what `ansible-galaxy collection install towerrelay-proxy-*.tar.gz` gives a user,
# roles and module by their fully qualified names. No Ansible Galaxy is contacted.
#
# Usage: install-collection.sh DEST
set -euo pipefail
dest=${1:?usage: install-collection.sh DEST (a collections path, e.g. the scenario ephemeral dir/collections)}
root=$(cd "$(dirname "$0")/../.." && pwd)

galaxy=${ANSIBLE_GALAXY:-}
if [[ -z "$galaxy" ]]; then
  if [[ -x "$root/.venv/bin/ansible-galaxy" ]]; then
    galaxy="$root/.venv/bin/ansible-galaxy"
  else
    galaxy=$(command -v ansible-galaxy || true)
  fi
fi
if [[ -z "$galaxy" ]]; then
  echo "install-collection.sh: ansible-galaxy not found; create the project venv with scripts/venv.sh" >&2
  exit 2
fi

build_dir=$(dirname "$dest")/collection-build
tarball=$(ANSIBLE_GALAXY="$galaxy" bash "$root/scripts/build-collection.sh" "$build_dir")
mkdir -p "$dest"
"$galaxy" collection install --offline --force --no-deps -p "$dest" "$tarball" >&2
echo "install-collection.sh: installed $(basename "$tarball") into $dest" >&2
