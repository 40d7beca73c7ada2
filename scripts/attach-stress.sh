#!/usr/bin/env bash
# Attach/record/detach stress for leakspy against real targets (tests/stress/).
# usage: scripts/attach-stress.sh [--cycles N] [--targets LIST] [--leakspy PATH]; --help for more.
exec /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/attach_stress.py" "$@"
