"""Load benchmarks: `python -m bench.load` (see README, "Load benchmark")."""
