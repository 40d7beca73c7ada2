"""The driver of scripts/attach-stress.sh: targets, stop-watch, leakspy cycles, report."""
