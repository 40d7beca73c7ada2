#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts the bundled demo service
# (a request loop with a response cache that is never trimmed), records it,
# and shows what leakspy found.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" > /dev/null
build="${LEAKSPY_BUILD_DIR:-$root/build}"
leakspy="$build/bin/leakspy"
service="$build/tests/targets/demo_service"
out="$(mktemp -d)"
capture="$out/demo.lspy"

echo "== leakspy run -o $capture -- demo_service 3"
"$leakspy" run -o "$capture" -- "$service" 3
echo
echo "== leakspy top $capture -n 5"
"$leakspy" top "$capture" -n 5
echo
echo "== leakspy flamegraph $capture -o $out/demo.svg"
"$leakspy" flamegraph "$capture" -o "$out/demo.svg"
echo
echo "Capture kept at $capture; open $out/demo.svg in a browser for the flame graph."
