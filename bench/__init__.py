"""Load benchmarks: `python -m bench.load` (method and results: bench/README.md)."""
