#!/usr/bin/env bash
# The Debian package test. Builds the release artifacts (scripts/package.sh -> dist/), checks them
# (lintian, SHA256SUMS, one version everywhere), then, in fresh Debian 12 (bookworm) and Debian 13
# (trixie) containers from the local test images, does what an operator does:
#   install an older build of this tree (package.sh --version <version>~prev) with
#   `apt-get install ./tower-relay_*.deb` (Java and adduser come from Debian's mirror), point its
#   config at a mock Tower (on this machine's loopback), `systemctl start tower-relay`, probe live events
#   through the service and read its journal (-t tower-relay); a broken config stops the start with
#   FILE:LINE; `systemctl reload` keeps the process; upgrade to this version (the edited config stays,
#   the service restarts, live events flow); remove (config and user stay); purge (both go).
# Containers use the host network and loopback only; the relay listens on port 0 (a free port, read
# from its journal line), the mock Tower likewise. Suites run side by side.
#
# Usage: scripts/test-package.sh [--suite bookworm|trixie]...   (default: both)
# Needs: scripts/test-env.sh run once (Docker, the test images, the packaging tools, the venv).
# Prints one line per check and a closing "N passed, N failed"; exit 1 when a check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

suites=()
while (($#)); do
  case "$1" in
    --suite) suites+=("${2:?--suite needs bookworm or trixie}"); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-package.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
((${#suites[@]})) || suites=(bookworm trixie)

log() { printf 'test-package: %s\n' "$*"; }
die() { printf 'test-package: ERROR: %s\n' "$*" >&2; exit 2; }
start_time=$(date +%s)

image_of() { # SUITE -> the image tag from build/test-image[-SUITE].env
  local env_file=build/test-image.env var=TOWER_RELAY_TEST_IMAGE
  if [[ "$1" != bookworm ]]; then env_file="build/test-image-$1.env"; var="TOWER_RELAY_TEST_IMAGE_${1^^}"; fi
  [[ -s "$env_file" ]] || die "no $env_file: run bash scripts/test-env.sh (it builds the $1 test image)"
  local tag; tag="$(sed -n "s/^$var=//p" "$env_file")"
  docker image inspect "$tag" >/dev/null 2>&1 || die "image $tag ($1) is not in Docker: run bash scripts/test-env.sh"
  echo "$tag"
}
docker info >/dev/null 2>&1 || die "Docker is not running: run bash scripts/test-env.sh"
declare -A images
for suite in "${suites[@]}"; do images[$suite]="$(image_of "$suite")"; done

work="$(mktemp -d /tmp/tower-relay-package-test.XXXXXX)"
mock_pid=""
containers=()
cleanup() {
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- artifacts -------------------------------------------------------------------------------------
results="$work/results"
: >"$results"
check() { # DESCRIPTION COMMAND...: one line, ok or FAIL (with the command's output)
  local what="$1" out; shift
  if out="$("$@" 2>&1)"; then
    echo "ok   $what"; echo ok >>"$results"
  else
    echo "FAIL $what"; echo fail >>"$results"
    [[ -n "$out" ]] && sed 's/^/       | /' <<<"$out" | tail -n 25
  fi
  return 0
}

log "building the release artifacts: scripts/package.sh"
package_start=$(date +%s)
bash scripts/package.sh >"$work/package.log" 2>&1 || { cat "$work/package.log" >&2; die "scripts/package.sh failed"; }
log "scripts/package.sh took $(($(date +%s) - package_start)) s"
version="$(bash scripts/check-version.sh)"
deb_version="${version//-/\~}"
prev_version="$deb_version~prev"
jar="dist/tower-relay-$version.jar"
deb="dist/tower-relay_${deb_version}_all.deb"
collection="dist/towerrelay-proxy-$version.tar.gz"

log "building an older package of the same tree for the upgrade: package.sh --version $prev_version"
bash scripts/package.sh --version "$prev_version" --jar "$jar" --out "$work/prev" >"$work/package-prev.log" 2>&1 ||
  { cat "$work/package-prev.log" >&2; die "scripts/package.sh --version $prev_version failed"; }
mkdir -p "$work/debs"
cp "$deb" "$work/prev/tower-relay_${prev_version}_all.deb" "$work/debs/"

echo
check "dist/ holds the jar, the .deb, the collection tarball and SHA256SUMS, and the sums match" \
  bash -c "cd dist && test -f '$(basename "$jar")' -a -f '$(basename "$deb")' -a -f '$(basename "$collection")' && sha256sum -c SHA256SUMS"
check "one version ($version): pom.xml, galaxy.yml, CHANGELOG.md, the jar's --version, the .deb" \
  bash scripts/check-version.sh --jar "$jar" --deb "$deb"
check "lintian: no errors, no warnings ($(basename "$deb"))" lintian --fail-on error,warning "$deb"
check "the package: jar, launcher, unit, conffile relay.yml, man page, copyright; Architecture all" bash -c "
  contents=\$(dpkg-deb -c '$deb' | awk '{print \$6}')
  for f in ./usr/share/tower-relay/tower-relay.jar ./usr/bin/tower-relay ./lib/systemd/system/tower-relay.service \
           ./etc/tower-relay/relay.yml ./usr/share/man/man1/tower-relay.1.gz ./usr/share/doc/tower-relay/copyright; do
    grep -qxF \"\$f\" <<<\"\$contents\" || { echo \"missing \$f\"; exit 1; }
  done
  dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/tower-relay/relay.yml
  [[ \$(dpkg-deb -f '$deb' Architecture) == all ]]
  dpkg-deb -f '$deb' Depends | grep -q java17-runtime-headless"
check "the jar keeps its libraries' NOTICE and licence files (merged NOTICE, Apache and MIT licences)" bash -c "
  entries=\$(unzip -Z1 '$jar')
  for f in META-INF/NOTICE META-INF/LICENSE META-INF/LICENSE.txt META-INF/Java-WebSocket-LICENSE.txt; do
    grep -qxF \"\$f\" <<<\"\$entries\" || { echo \"missing \$f\"; exit 1; }
  done
  notice=\$(unzip -p '$jar' META-INF/NOTICE)
  grep -q 'Apache HttpComponents' <<<\"\$notice\" && grep -q 'Jackson' <<<\"\$notice\"
  unzip -p '$jar' META-INF/LICENSE | cmp - LICENSE
  unzip -p '$jar' META-INF/LICENSE.txt | grep -q 'Permission is hereby granted'"

# --- the mock Tower, on this machine's loopback ----------------------------------------------------
java -jar "$jar" mock-tower --listen 127.0.0.1:0 --event-interval-ms 200 >"$work/mock.log" 2>&1 &
mock_pid=$!
mock_url=""
for _ in $(seq 1 60); do
  mock_url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/mock.log" | head -n 1 || true)"
  [[ -n "$mock_url" ]] && break
  sleep 0.5
done
[[ -n "$mock_url" ]] || { cat "$work/mock.log" >&2; die "the mock Tower did not start"; }
log "mock Tower at $mock_url"

# --- one Debian release ----------------------------------------------------------------------------
run_suite() { # SUITE: every check inside a fresh container of that release
  local suite="$1" image="${images[$1]}" c="tower-relay-pkgtest-$1-$$"
  local S="$suite:"
  in_c() { docker exec -i "$c" "$@"; }
  in_sh() { docker exec -i "$c" bash -c "$1"; }

  docker run -d --name "$c" --network host \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -v "$work/debs:/debs:ro" "$image" >/dev/null
  local state=""
  for _ in $(seq 1 60); do
    state="$(in_c systemctl is-system-running 2>/dev/null || true)"
    [[ "$state" == running || "$state" == degraded ]] && break
    sleep 1
  done
  echo "$S container $c from $image: systemd $state; $(in_sh '. /etc/os-release; echo "$PRETTY_NAME"'), $(in_sh 'java -version 2>&1 | head -n 1')"

  # The first install must not start the service: its default config listens on 0.0.0.0:8080 of
  # this (host-network) machine. policy-rc.d 101 is how Debian says "do not start services now".
  in_sh 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  check "$S apt-get install ./tower-relay_${prev_version}_all.deb (dependencies from Debian's mirror)" in_sh "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -q --no-install-recommends /debs/tower-relay_${prev_version}_all.deb"
  check "$S system user and group tower-relay: no login shell, no home" in_sh '
    getent group tower-relay >/dev/null
    IFS=: read -r name _ uid gid _ home shell < <(getent passwd tower-relay)
    echo "$name uid $uid home $home shell $shell"
    [[ $uid -lt 1000 && $home == /nonexistent && $shell == /usr/sbin/nologin && ! -e /nonexistent ]]'
  check "$S /etc/tower-relay root:tower-relay 0750, relay.yml root:tower-relay 0640, a conffile" in_sh '
    stat -c "%n %U:%G %a" /etc/tower-relay /etc/tower-relay/relay.yml
    [[ $(stat -c "%U:%G %a" /etc/tower-relay) == "root:tower-relay 750" ]]
    [[ $(stat -c "%U:%G %a" /etc/tower-relay/relay.yml) == "root:tower-relay 640" ]]
    dpkg-query -W -f="\${Conffiles}\n" tower-relay | grep -q "/etc/tower-relay/relay.yml"'
  check "$S the unit is enabled (its start at install held back by policy-rc.d)" in_sh '
    [[ $(systemctl is-enabled tower-relay) == enabled ]]; ! systemctl is-active -q tower-relay'
  check "$S tower-relay --version: tower-relay $version" in_sh "[[ \$(tower-relay --version) == 'tower-relay $version' ]]"
  check "$S the packaged default relay.yml passes check-config as the service user" \
    in_c runuser -u tower-relay -- tower-relay check-config /etc/tower-relay/relay.yml
  in_c rm -f /usr/sbin/policy-rc.d

  # The operator's config: loopback, free ports (0: the start-up line names them), the mock Tower.
  local config
  config="$(cat <<EOF
# edited by the package test: must survive upgrades
listen:
  address: 127.0.0.1:0
admin:
  address: 127.0.0.1:0
upstream:
  url: $mock_url
websocket:
  idle-timeout: 1h
access-log: combined
EOF
)"
  in_sh "cat >/etc/tower-relay/relay.yml" <<<"$config"

  # The relay's public URL, from the newest start-up line in the journal (waits for line N+1).
  listening_lines() { in_sh 'journalctl -q -t tower-relay --no-pager | grep -c "listening on http://" || true'; }
  relay_url() { # LINES_BEFORE
    local line=""
    for _ in $(seq 1 60); do
      if (($(listening_lines) > $1)); then
        line="$(in_sh 'journalctl -q -t tower-relay --no-pager | grep "listening on http://" | tail -n 1')"
        break
      fi
      sleep 0.5
    done
    grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' <<<"$line" | sed 's/^listening on //'
  }
  main_pid() { in_c systemctl show -p MainPID --value tower-relay; }

  local before url pid
  before="$(listening_lines)"
  check "$S systemctl start tower-relay: active, the JVM runs as tower-relay" in_sh '
    systemctl start tower-relay
    # Type=simple: start returns once systemd forked; the child becomes java at exec.
    for _ in $(seq 1 40); do
      pid=$(systemctl show -p MainPID --value tower-relay)
      [[ $(ps -o comm= -p "$pid") == java ]] && break
      sleep 0.25
    done
    ps -o user=,comm= -p "$pid"
    [[ $(ps -o user= -p "$pid") == tower-relay && $(ps -o comm= -p "$pid") == java ]]'
  url="$(relay_url "$before")"
  check "$S the relay names its listener and upstream in the journal (journalctl -t tower-relay)" \
    in_sh "journalctl -q -t tower-relay --no-pager | grep -E 'listening on http://127\\.0\\.0\\.1:[0-9]+, relaying to $mock_url'"
  check "$S tower-relay probe ${url:-<no url>}/ through the service: live events flow (exit 0)" \
    in_c tower-relay probe "$url/"
  check "$S the probe's requests are in the journal under tower-relay (access log)" in_sh "
    journalctl -q -t tower-relay --no-pager | grep -E '\"GET / HTTP/1\\.1\" 200 ' | tail -n 1
    journalctl -q -t tower-relay --no-pager | grep -E '\"GET /(api/)?websocket/ HTTP/1\\.1\" 101 ' | tail -n 1 | grep -q ."
  check "$S sandbox: NoNewPrivs, seccomp filter, only CAP_NET_BIND_SERVICE, read-only /" in_sh '
    pid=$(systemctl show -p MainPID --value tower-relay)
    grep -E "^(NoNewPrivs|Seccomp|CapBnd|CapEff):" /proc/$pid/status
    [[ $(awk "/^NoNewPrivs:/ {print \$2}" /proc/$pid/status) == 1 ]]
    [[ $(awk "/^Seccomp:/ {print \$2}" /proc/$pid/status) == 2 ]]
    [[ $(awk "/^CapBnd:/ {print \$2}" /proc/$pid/status) == 0000000000000400 ]]
    awk "\$5 == \"/\" {print \$6}" /proc/$pid/mountinfo | grep -qE "(^|,)ro(,|$)"'

  pid="$(main_pid)"
  check "$S systemctl reload (SIGHUP): the same process keeps running and logs the reload" in_sh "
    systemctl reload tower-relay
    for _ in \$(seq 20); do
      journalctl -q -t tower-relay --no-pager | grep -q 'config reloaded from /etc/tower-relay/relay.yml' && break
      sleep 0.5
    done
    systemctl is-active -q tower-relay
    [[ \$(systemctl show -p MainPID --value tower-relay) == $pid ]]
    journalctl -q -t tower-relay --no-pager | grep -q 'config reloaded from /etc/tower-relay/relay.yml: no changes'"

  check "$S a broken relay.yml stops the start with FILE:LINE: key (check-config before start)" in_sh "
    cp /etc/tower-relay/relay.yml /root/relay.yml.good
    printf 'listen:\n  adress: 127.0.0.1:0\nupstream:\n  url: $mock_url\n' >/etc/tower-relay/relay.yml
    ! systemctl restart tower-relay 2>/dev/null
    sleep 1
    journalctl -q -t tower-relay --no-pager | grep -E '/etc/tower-relay/relay\\.yml:2: listen\\.adress' | tail -n 1 | grep -q .
    cp /root/relay.yml.good /etc/tower-relay/relay.yml
    systemctl reset-failed tower-relay; systemctl stop tower-relay"
  before="$(listening_lines)"
  in_c systemctl start tower-relay || true
  url="$(relay_url "$before")"
  pid="$(main_pid)"

  # --- upgrade ---
  before="$(listening_lines)"
  check "$S upgrade: apt-get install ./tower-relay_${deb_version}_all.deb" in_sh "
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q /debs/tower-relay_${deb_version}_all.deb
    [[ \$(dpkg-query -W -f='\${Version}' tower-relay) == '$deb_version' ]]"
  check "$S upgrade kept the edited relay.yml (no .dpkg-dist, owner and mode kept)" in_sh '
    grep -q "edited by the package test" /etc/tower-relay/relay.yml
    ! ls /etc/tower-relay/*.dpkg-* 2>/dev/null
    [[ $(stat -c "%U:%G %a" /etc/tower-relay/relay.yml) == "root:tower-relay 640" ]]'
  url="$(relay_url "$before")"
  check "$S upgrade restarted the service (new process, active)" in_sh "
    systemctl is-active -q tower-relay
    new=\$(systemctl show -p MainPID --value tower-relay)
    echo \"before $pid, after \$new\"
    [[ \$new != 0 && \$new != $pid ]]"
  check "$S after the upgrade: tower-relay probe ${url:-<no url>}/: live events flow" in_c tower-relay probe "$url/"

  # --- remove, purge ---
  check "$S apt-get remove: service stopped, jar and launcher gone, relay.yml and the user kept" in_sh '
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q tower-relay
    ! systemctl is-active -q tower-relay
    ! pgrep -u tower-relay java
    [[ ! -e /usr/share/tower-relay/tower-relay.jar && ! -e /usr/bin/tower-relay ]]
    grep -q "edited by the package test" /etc/tower-relay/relay.yml
    getent passwd tower-relay >/dev/null
    [[ $(dpkg-query -W -f="\${db:Status-Abbrev}" tower-relay) == "rc " ]]'
  check "$S apt-get purge: /etc/tower-relay, the user and group, the unit's enablement gone" in_sh '
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q tower-relay
    [[ ! -e /etc/tower-relay ]]
    ! getent passwd tower-relay; ! getent group tower-relay
    ! ls /etc/systemd/system/multi-user.target.wants/tower-relay.service 2>/dev/null
    ! dpkg-query -W -f="\${db:Status-Abbrev}\n" tower-relay 2>/dev/null | grep -q "^[ir]"'

  docker rm -f "$c" >/dev/null 2>&1 || true
}

declare -A suite_pid
for suite in "${suites[@]}"; do
  containers+=("tower-relay-pkgtest-$suite-$$")
  run_suite "$suite" >"$work/suite-$suite.log" 2>&1 &
  suite_pid[$suite]=$!
done
for suite in "${suites[@]}"; do
  wait "${suite_pid[$suite]}" || echo "FAIL $suite: the suite's script stopped early (exit $?)" >>"$work/suite-$suite.log"
  echo
  cat "$work/suite-$suite.log"
  grep -q '^FAIL .*stopped early' "$work/suite-$suite.log" && echo fail >>"$results"
done

passed=$(grep -c '^ok$' "$results" || true)
failed=$(grep -c '^fail$' "$results" || true)
echo
log "took $(($(date +%s) - start_time)) s"
echo "$passed passed, $failed failed"
((failed == 0))
