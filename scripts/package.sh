#!/usr/bin/env bash
# Builds the release artifacts into dist/ (or --out DIR):
#   tower-relay-<version>.jar            the relay (mvn package; the same jar the .deb installs)
#   tower-relay_<debversion>_all.deb     the Debian package, built with Debian's own tools
#                                        (dpkg-buildpackage -b, debhelper) and checked with lintian
#   towerrelay-proxy-<version>.tar.gz    the Ansible collection (scripts/build-collection.sh)
#   SHA256SUMS                           of the three (sha256sum -c SHA256SUMS)
#
# The version is the root pom.xml's, set once; scripts/check-version.sh checks that galaxy.yml,
# CHANGELOG.md, the jar's --version and the package agree. The package's version is the POM's with
# "-" as "~" (1.2.0-SNAPSHOT -> 1.2.0~SNAPSHOT, which sorts before 1.2.0).
#
# Usage: scripts/package.sh [--version DEBVERSION] [--jar FILE] [--out DIR]
#   --version V  give the package this version instead (test builds, e.g. 0.1.0~prev to test an
#                upgrade to this tree's package); the jar and the collection keep the POM's version
#   --jar FILE   package this jar instead of building one (it must report the POM's version)
#   --out DIR    write the artifacts there (default: dist/)
# Needs: Maven and a JDK 17, dpkg-dev, debhelper, help2man, lintian (scripts/test-env.sh installs them),
# and ansible-galaxy (scripts/venv.sh) for the collection.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

log() { printf 'package: %s\n' "$*" >&2; }
die() { printf 'package: ERROR: %s\n' "$*" >&2; exit 1; }

deb_version="" jar="" out="$root/dist"
while (($#)); do
  case "$1" in
    --version) deb_version="${2:?--version needs a value}"; shift 2 ;;
    --jar) jar="${2:?--jar needs a file}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

for tool in mvn dpkg-buildpackage dh help2man lintian; do
  command -v "$tool" >/dev/null || die "$tool is missing: run bash scripts/test-env.sh (it installs the build tools)"
done

[[ -x .venv/bin/ansible-galaxy || -n "${ANSIBLE_GALAXY:-}" ]] || command -v ansible-galaxy >/dev/null ||
  die "ansible-galaxy is missing (for the collection tarball): run bash scripts/venv.sh"

start=$(date +%s)
version="$(bash scripts/check-version.sh)"
deb_version="${deb_version:-${version//-/\~}}"
# A Debian version of a native package: digits first, then letters, digits, . + ~ only.
[[ "$deb_version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "--version $deb_version: not a Debian native package version (e.g. 1.2.0, 1.2.0~rc1)"
log "version $version (package $deb_version)"

# --- the jar ---------------------------------------------------------------------------------------
if [[ -z "$jar" ]]; then
  log "building the jar: mvn -B -ntp -q -pl java-agent -am package -DskipTests"
  mvn -B -ntp -q -pl java-agent -am package -DskipTests -DskipFuzz=true >&2
  jar="$root/java-agent/target/tower-relay.jar"
fi
[[ -f "$jar" ]] || die "no jar at $jar"
bash scripts/check-version.sh --jar "$jar" >/dev/null

# --- the Debian package ----------------------------------------------------------------------------
# A staging tree (the Debian "source"): packaging/debian/, the launcher, the default config, the jar
# and the docs. dpkg-buildpackage writes its results next to it, so nothing lands outside build/.
stage_parent="$root/build/deb"
stage="$stage_parent/tower-relay-$deb_version"
rm -rf "$stage_parent"
mkdir -p "$stage"
cp -R packaging/debian "$stage/debian"
cp packaging/tower-relay packaging/relay.yml "$stage/"
cp "$jar" "$stage/tower-relay.jar"
# Not at the top: dh_installchangelogs would take a top-level CHANGELOG.md for the package's changelog.
mkdir -p "$stage/doc"
cp CHANGELOG.md "$stage/doc/"

# Reproducible: dates come from the last commit, not from the clock.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
maintainer="$(sed -n 's/^Maintainer:[[:space:]]*//p' packaging/debian/control)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ "$deb_version" == "${version//-/\~}" ]]; then
  entry="Release $version: what changed is in CHANGELOG.md, in /usr/share/doc/tower-relay/."
else
  entry="Test build of the $version tree (commit $commit) as version $deb_version."
fi
{
  echo "tower-relay ($deb_version) unstable; urgency=medium"
  echo
  fold -s -w 74 <<<"$entry" | sed '1s/^/  * /; 2,$s/^/    /; s/[[:space:]]*$//'
  echo
  echo " -- $maintainer  $(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} >"$stage/debian/changelog"

log "dpkg-buildpackage -b -uc -us (in build/deb/)"
(cd "$stage" && dpkg-buildpackage -b -uc -us >"$stage_parent/build.log" 2>&1) || {
  tail -n 40 "$stage_parent/build.log" >&2
  die "dpkg-buildpackage failed (log: build/deb/build.log)"
}
deb="$stage_parent/tower-relay_${deb_version}_all.deb"
[[ -f "$deb" ]] || die "dpkg-buildpackage made no $deb"
bash scripts/check-version.sh --deb "$deb" --deb-version "$deb_version" >/dev/null

# lintian: no errors, no warnings. Overrides (packaging/debian/tower-relay.lintian-overrides) say why.
log "lintian $(lintian --version | awk '{print $2}')"
if ! lintian --fail-on error,warning --display-info "$stage_parent"/tower-relay_"${deb_version}"_*.changes >&2; then
  die "lintian reports errors or warnings (above)"
fi

# --- dist/ -----------------------------------------------------------------------------------------
log "collection tarball: scripts/build-collection.sh"
collection="$(bash scripts/build-collection.sh "$stage_parent" | tail -n 1)"

mkdir -p "$out"
# Replace earlier artifacts, and only those: dist/ may hold other files.
rm -f "$out"/tower-relay_*_all.deb "$out"/tower-relay-*.jar "$out"/towerrelay-proxy-*.tar.gz "$out/SHA256SUMS"
cp "$deb" "$out/"
cp "$jar" "$out/tower-relay-$version.jar"
cp "$collection" "$out/"
(cd "$out" && sha256sum "tower-relay-$version.jar" "$(basename "$deb")" "$(basename "$collection")" >SHA256SUMS)

log "done in $(($(date +%s) - start)) s: $out"
(cd "$out" && ls -l "tower-relay-$version.jar" "$(basename "$deb")" "$(basename "$collection")" SHA256SUMS) >&2
echo "$out/$(basename "$deb")"
