#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts the bundled demo service
# (a request loop with a response cache that is never trimmed) without
# leakspy, attaches to it, records, detaches, and shows what leakspy found.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" > /dev/null
build="${LEAKSPY_BUILD_DIR:-$root/build}"
leakspy="$build/bin/leakspy"
service="$build/tests/targets/demo_service"
out="$(mktemp -d)"
capture="$out/demo.lspy"

# The main job: the service was started without leakspy and has been running
# for a while; attach to it, record 3 seconds, detach. It keeps running.
"$service" 30 > "$out/service.log" &
service_pid=$!
trap 'kill "$service_pid" 2> /dev/null || true' EXIT
sleep 1
echo "== leakspy record --pid $service_pid -o $capture --duration 3    (demo_service, started without leakspy)"
"$leakspy" record --pid "$service_pid" -o "$capture" --duration 3
kill -0 "$service_pid" && echo "demo_service (pid $service_pid) is still running, unharmed"
echo
echo "== leakspy top $capture -n 5"
"$leakspy" top "$capture" -n 5
echo
echo "== leakspy flamegraph $capture -o $out/demo.svg"
"$leakspy" flamegraph "$capture" -o "$out/demo.svg"
echo
echo "Capture kept at $capture; open $out/demo.svg in a browser for the flame graph."
