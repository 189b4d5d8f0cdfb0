#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (run as root). Idempotent.
set -euo pipefail
echo "test-env: nothing extra needed yet"
