"""Hypervolume time: ``podbor._hypervolume.compute_hypervolume`` against Optuna's, 2 to 4 objectives.

Point sets: ``uniform`` (random points in the unit cube: a small front among many dominated
points) and ``front`` (random points pushed onto the unit sphere: every point non-dominated,
the hard case), reference point 1.1 in every objective. Both libraries get the same arrays; the
time is the median over ``--repeats`` calls, and both results must agree. Optuna 5.0 is an
optional peer (without it podbor is timed alone)::

    benchmarks/.venv/bin/python benchmarks/hypervolume.py
    benchmarks/.venv/bin/python benchmarks/hypervolume.py --quick
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from podbor._hypervolume import compute_hypervolume

CASES = [
    (2, 1000, "uniform"),
    (2, 10000, "uniform"),
    (2, 10000, "front"),
    (3, 1000, "uniform"),
    (3, 10000, "uniform"),
    (3, 1000, "front"),
    (3, 3000, "front"),
    (4, 1000, "uniform"),
    (4, 10000, "uniform"),
    (4, 200, "front"),
    (4, 500, "front"),
]


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def points(d: int, n: int, kind: str, seed: int) -> np.ndarray:
    sample = np.random.default_rng(seed).random((n, d))
    if kind == "front":
        sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the small cases, 3 repeats")
    args = parser.parse_args()
    optuna_hv: Any = None
    try:
        optuna_hv = importlib.import_module("optuna._hypervolume").compute_hypervolume
    except ImportError:
        print("Optuna is not installed: podbor alone.")
    cases = [c for c in CASES if c[1] <= 1000] if args.quick else CASES
    repeats = 3 if args.quick else args.repeats
    print(f"{'d':>2} {'n':>6} {'points':8} {'podbor':>11} {'Optuna':>11} {'ratio':>7}")
    for d, n, kind in cases:
        sample, ref = points(d, n, kind, seed=d * n), np.full(d, 1.1)
        ours = median_seconds(partial(compute_hypervolume, sample, ref), repeats)
        line = f"{d:>2} {n:>6} {kind:8} {ours * 1e3:8.2f} ms"
        if optuna_hv is not None:
            assert np.isclose(compute_hypervolume(sample, ref), optuna_hv(sample, ref))
            theirs = median_seconds(partial(optuna_hv, sample, ref), repeats)
            line += f" {theirs * 1e3:8.2f} ms {ours / theirs:7.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
