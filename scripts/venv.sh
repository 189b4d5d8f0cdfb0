#!/usr/bin/env bash
# Makes the project venv (Python 3.11) with requirements.txt installed, and points .venv at it.
#
# The venv itself lives in a cache directory named after a hash of requirements.txt and the Python
# version (TOWER_RELAY_CACHE, default /var/cache/tower-relay, or ~/.cache/tower-relay when that is
# not writable); .venv at the repo root is a symlink to it. A fresh clone on a machine that has
# built the same requirements before (CI runs in a fresh clone every time) is ready in a second
# instead of minutes; a changed requirements.txt gets a new venv, never a half-upgraded one.
# Prints the venv path on the last line; source "$VENV/bin/activate" to use it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3.11}

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "venv.sh: $PY not found (Ansible's side needs Python 3.11: ansible-core 2.19)" >&2
  exit 2
fi

CACHE=${TOWER_RELAY_CACHE:-/var/cache/tower-relay}
if ! mkdir -p "$CACHE" 2>/dev/null || [[ ! -w "$CACHE" ]]; then
  CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/tower-relay"
  mkdir -p "$CACHE"
fi

key=$( { cat requirements.txt; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
TARGET="$CACHE/venv-$key"

# One builder at a time; the others then find it complete.
exec 8>"$CACHE/venv.lock"
flock 8
if [[ ! -f "$TARGET/.complete" ]]; then
  rm -rf "$TARGET"
  echo "venv.sh: creating $TARGET with $PY and installing requirements.txt" >&2
  "$PY" -m venv "$TARGET"
  "$TARGET/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
  "$TARGET/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt >&2
  touch "$TARGET/.complete"
else
  echo "venv.sh: $TARGET is up to date" >&2
fi

# .venv from an older layout may be a real directory: replace it with the link.
if [[ -d .venv && ! -L .venv ]]; then
  rm -rf .venv
fi
ln -sfn "$TARGET" .venv
echo "$ROOT/.venv"
