#!/usr/bin/env bash
# Creates the project venv (.venv at the repo root, Python 3.11) and installs requirements.txt into it.
# Idempotent: re-installs only when requirements.txt changed (a sha256 stamp inside the venv).
# Prints the venv path on the last line; source "$VENV/bin/activate" to use it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3.11}
STAMP="$VENV/.requirements.sha256"

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "venv.sh: $PY not found (Ansible's side needs Python 3.11: ansible-core 2.19)" >&2
  exit 2
fi

want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "venv.sh: $VENV is up to date" >&2
  echo "$VENV"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "venv.sh: creating $VENV with $PY" >&2
  "$PY" -m venv "$VENV"
fi
echo "venv.sh: installing requirements.txt" >&2
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt >&2
echo "$want" > "$STAMP"
echo "$VENV"
