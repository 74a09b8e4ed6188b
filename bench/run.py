"""Run the benchmark suite: `make bench`, or `.venv/bin/python bench/run.py` from the repository
root. Settings are environment variables (BENCH_SIZES, BENCH_DATABASES, ...): see
helpline/bench/runner.py and docs/benchmarks.md."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpline.bench.runner import main

if __name__ == "__main__":
    main()
