#!/usr/bin/env bash
# CI stage for the Ansible collection towerrelay.proxy:
#   venv (pinned requirements.txt) -> yamllint -> build the collection tarball and install it into a
#   temporary collections path -> ansible-lint --offline (production profile) -> ansible-doc of the
#   module and roles -> --syntax-check of playbooks that use the roles and the module by FQCN ->
#   pytest: role argument validation (negative tests), tower_settings against the mock Tower,
#   live_events_probe against the mock Tower and real NGINX / Apache, templates through
#   `nginx -t` / `apachectl configtest` / `tower-relay check-config`.
# Needs: python3.11, nginx, apache2, openssl, Java 17 + Maven (for the relay jar). Never uses Ansible Galaxy.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

step() { printf '\n--- test-ansible: %s\n' "$*"; }

step "system packages (nginx, apache2, openssl)"
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v apache2ctl >/dev/null 2>&1 || missing+=(apache2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test-ansible: missing ${missing[*]}; install them (apt-get install -y ${missing[*]})" >&2
    exit 2
  fi
  echo "installing ${missing[*]} (services not started: the tests run their own on private prefixes)"
  # policy-rc.d 101 keeps Debian from starting the packages' services on ports 80/443.
  policy=/usr/sbin/policy-rc.d
  had_policy=false; [[ -e $policy ]] && had_policy=true
  $had_policy || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  $had_policy || rm -f "$policy"
fi
echo "nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(apache2ctl -v 2>/dev/null | sed -n 's|Server version: *||p')"

step "relay jar (for the mock Tower and check-config)"
export TOWERRELAY_JAR=${TOWERRELAY_JAR:-$ROOT/java-agent/target/tower-relay.jar}
if [[ ! -f "$TOWERRELAY_JAR" ]]; then
  echo "building it: mvn -B -ntp -q package -DskipTests"
  mvn -B -ntp -q package -DskipTests
fi
ls -l "$TOWERRELAY_JAR"

step "Python venv (requirements.txt)"
VENV=$(bash scripts/venv.sh | tail -n 1)
# shellcheck disable=SC1091
source "$VENV/bin/activate"
ansible --version | sed -n 1p
export ANSIBLE_NOCOLOR=1

step "yamllint (the collection's YAML: roles, collection, tests)"
yamllint -s .yamllint .ansible-lint roles collection tests

WORK=$(mktemp -d /tmp/towerrelay-ansible.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

step "build the collection tarball and install it into a temporary collections path"
tarball=$(bash scripts/build-collection.sh "$WORK/dist" | tail -n 1)
ansible-galaxy collection install --offline -p "$WORK/collections" "$tarball"
export TOWERRELAY_COLLECTIONS_PATH="$WORK/collections"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
listed=$(ansible-galaxy collection list -p "$WORK/collections" towerrelay.proxy 2>/dev/null)
grep -q 'towerrelay.proxy' <<<"$listed"

step "ansible-lint --offline, production profile"
ansible-lint --offline --profile production roles collection

step "ansible-doc reads the module and role docs from the installed collection"
doc=$(ansible-doc towerrelay.proxy.live_events_probe)
grep -q "Does what Tower's web UI does" <<<"$doc"
for role in relay nginx apache tower_settings; do
  doc=$(ansible-doc -t role "towerrelay.proxy.$role")
  grep -Eq "ENTRY POINT: \*?main\*? - " <<<"$doc"
  echo "towerrelay.proxy.$role: argument spec documented"
done

step "syntax-check playbooks that use the roles and the module by FQCN"
ansible-playbook -i collection/inventory.example.yml --syntax-check tests/playbooks/fqcn.yml
for playbook in collection/playbooks/*.yml; do
  ansible-playbook -i collection/inventory.example.yml --syntax-check "$playbook"
done

step "pytest: argument validation, tower_settings, live_events_probe, templates"
python -m pytest -p no:cacheprovider -rs tests
