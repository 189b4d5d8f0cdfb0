#!/usr/bin/env bash
# The benchmark harness's smoke run (seconds, tiny counts): keeps bench/ working. Not the benchmark itself:
# the full run is `bench/run.sh` and its numbers live in docs/benchmarks.md, never in a test.
# Needs the relay jar (`mvn verify` at the root builds it; built here when missing) and Debian's nginx, apache2,
# haproxy and wrk (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in nginx:/usr/sbin/nginx apache2:/usr/sbin/apache2 haproxy:/usr/sbin/haproxy wrk:/usr/bin/wrk; do
    [ -x "${tool#*:}" ] || missing+=("${tool%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    for s in nginx apache2 haproxy; do
        (command -v systemctl >/dev/null && systemctl stop "$s" 2>/dev/null) || service "$s" stop >/dev/null 2>&1 || true
    done
fi
if [ ! -f java-agent/target/tower-relay.jar ]; then
    mvn -B -ntp -q -DskipTests package
fi
# Unit tests of the harness (surefire), then BenchSmokeIT (failsafe): every proxy started, measured, reported.
mvn -B -ntp -f bench/pom.xml verify
