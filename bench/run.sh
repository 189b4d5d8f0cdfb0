#!/usr/bin/env bash
# The benchmark in one command: the relay, NGINX, Apache, HAProxy and the direct connection against one backend,
# on loopback, in the same run (see docs/benchmarks.md).
#
#   bench/run.sh                 full run (~23 min on 2 cores); updates docs/benchmarks.md, .png and .json
#   bench/run.sh --smoke         seconds, tiny counts; results in bench/out/ only
#   bench/run.sh --help          the harness's options (--rounds, --targets, --phases, --idle-sockets, ...)
#
# Needs JDK 17, Maven, Python 3 and Debian's nginx, apache2, haproxy, wrk and nghttp2-client (h2load, for the
# HTTP/2 phase) (installed here when missing, as root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

publish=yes
out="$here/out"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) publish=no; args+=("$1") ;;
        --out) publish=no; out="$2"; shift ;;
        --help|-h) args+=("$1") ;;
        *) publish=no; args+=("$1") ;;  # a partial run never overwrites the published numbers
    esac
    shift
done

missing=()
for tool in nginx:/usr/sbin/nginx apache2:/usr/sbin/apache2 haproxy:/usr/sbin/haproxy wrk:/usr/bin/wrk \
            nghttp2-client:/usr/bin/h2load; do
    [ -x "${tool#*:}" ] || missing+=("${tool%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]} (Debian packages; the system services are never used)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # Debian starts the services on install: they are not ours to run, and would hold port 80.
    for s in nginx apache2 haproxy; do
        (command -v systemctl >/dev/null && systemctl stop "$s" 2>/dev/null) || service "$s" stop >/dev/null 2>&1 || true
    done
fi

jar="$repo/java-agent/target/tower-relay.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$repo/pom.xml" "$repo/java-agent/src/main" -newer "$jar" -print 2>/dev/null | head -n 1)" ]; then
    echo "bench: building $jar" >&2
    mvn -B -ntp -q -DskipTests package >&2
fi
benchjar="$here/target/tower-relay-bench.jar"
if [ ! -f "$benchjar" ] || [ -n "$(find "$here/pom.xml" "$here/src/main" -newer "$benchjar" -print 2>/dev/null | head -n 1)" ]; then
    echo "bench: building $benchjar" >&2
    mvn -B -ntp -q -f "$here/pom.xml" -DskipTests package >&2
fi

# 10,000 idle WebSockets need two descriptors each in the proxy: take the whole hard limit.
ulimit -n "$(ulimit -Hn)"

mkdir -p "$out"
java -Xms512m -Xmx512m -jar "$benchjar" --out "$out" "${args[@]}"

if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
fi
if ! "$here/.venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
    "$here/.venv/bin/pip" install -q -r "$here/requirements.txt" >&2
fi
"$here/.venv/bin/python" "$here/chart.py" "$out/results.json" "$out/chart.png"
echo "bench: $out/results.md, $out/results.json, $out/chart.png" >&2

if [ "$publish" = yes ]; then
    mkdir -p "$repo/docs"
    cp "$out/chart.png" "$repo/docs/benchmarks.png"
    cp "$out/results.json" "$repo/docs/benchmarks.json"
    python3 - "$repo/docs/benchmarks.md" "$out/results.md" <<'PY'
import sys
doc, results = sys.argv[1], open(sys.argv[2]).read()
begin, end = "<!-- results:begin (written by bench/run.sh) -->", "<!-- results:end -->"
text = open(doc).read()
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n" + results + "\n" + end + tail)
PY
    echo "bench: docs/benchmarks.md, docs/benchmarks.png and docs/benchmarks.json updated" >&2
fi
