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
echo "== leakspy inspect --stats $capture"
"$leakspy" inspect --stats "$capture"
echo
echo "Capture kept at $capture"
