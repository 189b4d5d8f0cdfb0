#!/usr/bin/env bash
# CI stage "Molecule scenarios" (called by scripts/test-all.sh after scripts/test-env.sh, the Java
# and the Ansible stages): `molecule test` for every scenario in molecule/, one after another, from
# the repository root with the project venv. Each scenario proves live events end to end through
# the proxy a role deployed; nginx-without-websocket proves the verifier fails when they are broken.
#
#   bash scripts/test-molecule.sh                every scenario
#   bash scripts/test-molecule.sh nginx default  only these
#
# Scenario `default` is role relay (tower-relay as a systemd service): what a plain `molecule test`
# runs. Scenario `cluster` (two relays behind HAProxy with the PROXY protocol, two Tower nodes, a drain
# by reload over open sockets) is found like the others. The loop below (rather than one `molecule test
# --all`) keeps a summary with each scenario's time and goes on after a failure; both run the same
# scenarios.
#
# Needs what scripts/test-env.sh sets up: a running Docker engine, the local test images (tags in
# build/test-image*.tag) and the venv (.venv). Nothing else: each scenario's dependency step builds
# the relay jar when it is missing or stale, and its create step finds the image (or says in one
# line to run scripts/test-env.sh), exactly as for a plain `molecule test`.
# Exit code: 0 when every scenario passed; 1 when any failed (all of them run, then a summary).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test-molecule: %s\n' "$*"; }

venv=$(bash scripts/venv.sh | tail -n 1)
# shellcheck disable=SC1091
source "$venv/bin/activate"

if (($#)); then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | LC_ALL=C sort)
fi

# ansible-lint needs towerrelay.proxy resolvable, as the scenarios' dependency step installs it.
lint_collections=$(mktemp -d /tmp/tower-relay-molecule-lint.XXXXXX)
trap 'rm -rf "$lint_collections"' EXIT
bash molecule/shared/install-collection.sh "$lint_collections/collections" 2>/dev/null
log "ansible-lint (production profile) of molecule/"
ANSIBLE_COLLECTIONS_PATH="$lint_collections/collections" ansible-lint --nocolor -q -c molecule/ansible-lint.yml molecule

# Instances have fixed container names and use the host network: one Molecule run per machine at a time.
exec 9>/tmp/tower-relay-molecule.lock
if ! flock -n 9; then
  log "another Molecule run holds /tmp/tower-relay-molecule.lock; waiting for it"
  flock 9
fi

export PY_COLORS=0 ANSIBLE_FORCE_COLOR=0
failed=()
summary=()
all_start=$(date +%s)
for scenario in "${scenarios[@]}"; do
  log "scenario $scenario"
  start=$(date +%s)
  if molecule test -s "$scenario"; then
    result=passed
  else
    result=FAILED
    failed+=("$scenario")
  fi
  summary+=("$(printf '%-26s %-7s %4d s' "$scenario" "$result" $(($(date +%s) - start)))")
done

log "summary (images: $(cat build/test-image*.tag 2>/dev/null | xargs)):"
printf '  %s\n' "${summary[@]}"
log "total $(($(date +%s) - all_start)) s"
if ((${#failed[@]})); then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all ${#scenarios[@]} scenarios passed"
