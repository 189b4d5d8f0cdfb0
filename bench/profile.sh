#!/usr/bin/env bash
# Profiles the relay with JDK Flight Recorder under the benchmark's WebSocket and HTTP loads and prints its hot
# spots: CPU by thread and frame, allocation by class and call site, blocking on the reactor threads.
#
#   bench/profile.sh [ws|http ...]      default: ws http; recordings in bench/out/profile-*/relay.jfr
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
phases=("$@")
[ ${#phases[@]} -gt 0 ] || phases=(ws http)
ulimit -n "$(ulimit -Hn)"
for phase in "${phases[@]}"; do
    out="$here/out/profile-$phase"
    rm -rf "$out"
    mkdir -p "$out"
    "$here/run.sh" --out "$out" --phases "$phase" --targets relay --rounds 1 \
        --relay-jvm-options "-XX:StartFlightRecording=filename=$out/relay.jfr,settings=profile,dumponexit=true" \
        > "$out/run.log"
    echo "=== relay under the $phase load: $out/relay.jfr ==="
    python3 "$here/jfr_hotspots.py" "$out/relay.jfr" 12
done
