#!/usr/bin/env bash
# Builds the towerrelay.proxy collection tarball from collection/ plus the single-source roles/.
# `ansible-galaxy collection build` drops directory symlinks that point outside the collection,
# so the roles are copied into a staging copy of collection/ under build/ (never symlinked).
# Usage: scripts/build-collection.sh [OUTPUT_DIR]   (default build/); prints the tarball path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${1:-$ROOT/build}
STAGE="$ROOT/build/collection-staging"
GALAXY=${ANSIBLE_GALAXY:-$ROOT/.venv/bin/ansible-galaxy}
if [[ ! -x "$GALAXY" ]]; then
  GALAXY=$(command -v ansible-galaxy || true)
fi
if [[ -z "$GALAXY" ]]; then
  echo "build-collection.sh: ansible-galaxy not found; run scripts/venv.sh first" >&2
  exit 2
fi

rm -rf "$STAGE"
mkdir -p "$STAGE" "$OUT"
# Copy, dereferencing symlinks: collection/LICENSE and collection/CHANGELOG.md link to the files at the
# repository root (one source), and the staged tree is plain files only.
cp -RL collection/. "$STAGE/"
rm -rf "$STAGE/roles"
cp -R roles "$STAGE/roles"
find "$STAGE" \( -name __pycache__ -o -name '*.pyc' -o -name '.pytest_cache' \) -prune -exec rm -rf {} +
if find "$STAGE" -type l | grep -q .; then
  echo "build-collection.sh: symlinks in the staged collection (they would be dropped):" >&2
  find "$STAGE" -type l >&2
  exit 1
fi

"$GALAXY" collection build --force --output-path "$OUT" "$STAGE" >&2
version=$(sed -n 's/^version: *//p' collection/galaxy.yml | tr -d '"'"'")
tarball="$OUT/towerrelay-proxy-$version.tar.gz"
test -f "$tarball"
echo "$tarball"
