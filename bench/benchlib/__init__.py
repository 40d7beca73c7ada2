"""The benchmark harness's pieces; bench/harness.py is the entry point."""
