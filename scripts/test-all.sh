#!/usr/bin/env bash
# The one command that installs what the tests need (fresh Debian, as root) and runs every test.
# Stages run in order; the first failure stops the run with its exit code.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n=== %s ===\n' "$*"; }

stage "test environment (packages, Docker, Python venv, test image)"
bash scripts/test-env.sh

stage "Java: unit, integration, browser and container tests (mvn -B verify)"
mvn -B -ntp verify

stage "Benchmark harness smoke run (bench/: every target measured once, tiny counts)"
bash scripts/test-bench-smoke.sh

stage "Ansible collection: lint, build, module tests"
bash scripts/test-ansible.sh

stage "Molecule scenarios"
bash scripts/test-molecule.sh

stage "Debian package: release artifacts in dist/ (scripts/package.sh), the .deb on Debian 12 and 13"
bash scripts/test-package.sh

stage "all tests passed"
