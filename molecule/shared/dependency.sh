#!/usr/bin/env bash
# Molecule's dependency step for every scenario (.config/molecule/config.yml): what a scenario needs
# from this checkout before its instances exist, so a plain `molecule test` needs no build by hand.
#
#   1. the relay jar, built with Maven when it is missing or older than the sources: the `./tower-relay`
#      wrapper at the repository root knows when (`--version` builds if needed, then prints the version);
#   2. the collection towerrelay.proxy built from this checkout and installed into DEST
#      (install-collection.sh), where the scenario's ANSIBLE_COLLECTIONS_PATH points.
#
# Usage: dependency.sh DEST   (the scenario's ephemeral dir/collections)
set -euo pipefail
dest=${1:?usage: dependency.sh DEST (a collections path, e.g. the scenario ephemeral dir/collections)}
root=$(cd "$(dirname "$0")/../.." && pwd)

version=$("$root/tower-relay" --version)
echo "dependency.sh: relay jar java-agent/target/tower-relay.jar ($version)" >&2

bash "$root/molecule/shared/install-collection.sh" "$dest"
