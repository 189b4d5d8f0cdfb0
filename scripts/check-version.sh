#!/usr/bin/env bash
# The project's one version is set once, in the root pom.xml. This checks that every other place that
# states it agrees, and exits 1 naming each one that does not:
#   java-agent/pom.xml    <parent><version>
#   collection/galaxy.yml version:
#   CHANGELOG.md          the first "## <version>" heading (the newest release comes first)
#   --jar FILE            the jar's `--version` (built from the POM: Implementation-Version)
#   --deb FILE            the .deb's Version (the POM's with "-" as "~": 1.2.0-SNAPSHOT -> 1.2.0~SNAPSHOT,
#                         which sorts before 1.2.0), unless --deb-version names the expected one
# Usage: scripts/check-version.sh [--root DIR] [--jar FILE] [--deb FILE [--deb-version V]]
# Prints the version on success.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
jar="" deb="" deb_version=""
while (($#)); do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --deb) deb="$2"; shift 2 ;;
    --deb-version) deb_version="$2"; shift 2 ;;
    *) echo "check-version.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

# The first <version> of a POM: the project's own in the root POM (it has no parent), the parent's
# in a module POM (<parent> comes first).
first_pom_version() { sed -n 's:.*<version>\([^<]*\)</version>.*:\1:p' "$1" | head -n 1; }

version="$(first_pom_version "$root/pom.xml")"
[[ -n "$version" ]] || { echo "check-version.sh: $root/pom.xml: no <version>" >&2; exit 1; }

failures=0
expect() { # WHERE FOUND [EXPECTED]
  local where="$1" found="$2" expected="${3:-$version}"
  if [[ "$found" != "$expected" ]]; then
    echo "check-version.sh: $where says '${found}', expected '$expected' (the version is set once, in pom.xml)" >&2
    failures=$((failures + 1))
  fi
}

expect "java-agent/pom.xml <parent><version>" "$(first_pom_version "$root/java-agent/pom.xml")"
expect "collection/galaxy.yml version" \
  "$(sed -n 's/^version:[[:space:]]*//p' "$root/collection/galaxy.yml" | tr -d "\"' ")"
expect "CHANGELOG.md (first '## ' heading)" \
  "$(sed -n 's/^## \([^[:space:]]*\).*/\1/p' "$root/CHANGELOG.md" | head -n 1)"
if [[ -n "$jar" ]]; then
  expect "$jar --version" "$(java -jar "$jar" --version 2>&1 | tail -n 1)" "tower-relay $version"
fi
if [[ -n "$deb" ]]; then
  expect "$deb Version" "$(dpkg-deb -f "$deb" Version)" "${deb_version:-${version//-/\~}}"
fi

((failures == 0)) || exit 1
echo "$version"
