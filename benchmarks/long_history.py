"""Long history: the sampler's time per trial on a study of 10^3, 10^4 and 10^5 trials.

TPE's cost grows with the history (each candidate is scored against every bad trial, and the
history is ranked and encoded), so the default sampler caps TPE's kernels of bad trials
(``AutoSampler(max_tpe_kernels=1000)``, see ``TPESampler(max_kernels=...)``) and keeps its
ranking and encodings up to date trial by trial. For each method and history size, a fresh
process fills an in-memory study with ``n`` finished trials (random points of 8 floats, the sum
of squares as value, added with ``add_trials``), then times ``--asks`` trials of ask + 8
``suggest_float`` + tell and reports the median milliseconds per trial and the process's peak
resident memory.

Methods: ``podbor-default`` (``create_study()`` as users get it: ``AutoSampler``, which uses
TPE past 300 trials), ``podbor-default-uncapped`` (``AutoSampler(max_tpe_kernels=None)``),
``podbor-tpe`` (``TPESampler()``, uncapped as Optuna's) and ``optuna-default`` (Optuna 5's
``create_study()``: its TPESampler), when Optuna is installed::

    benchmarks/.venv/bin/python benchmarks/long_history.py
    benchmarks/.venv/bin/python benchmarks/long_history.py --sizes 1000 10000 100000
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

N_PARAMS = 8
METHODS = ("podbor-default", "podbor-default-uncapped", "podbor-tpe", "optuna-default")


@dataclass
class HistoryRow:
    method: str
    n_history: int
    ms_per_trial: float
    first_ms: float  # the first ask after the fill: the sampler reads the whole history once
    fill_s: float
    peak_mib: float


def _study(method: str) -> Any:
    if method.startswith("optuna"):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    import podbor

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    if method == "podbor-default":
        return podbor.create_study()
    if method == "podbor-default-uncapped":
        return podbor.create_study(sampler=podbor.samplers.AutoSampler(max_tpe_kernels=None))
    return podbor.create_study(sampler=podbor.samplers.TPESampler(seed=0))


def measure(method: str, n_history: int, asks: int) -> HistoryRow:
    """Fill a study with ``n_history`` trials, then time ``asks`` trials (run in a fresh process)."""
    library = __import__("optuna" if method.startswith("optuna") else "podbor")
    study = _study(method)
    dist = library.distributions.FloatDistribution(-5.0, 5.0)
    dists = {f"x{i}": dist for i in range(N_PARAMS)}
    points = np.random.default_rng(0).uniform(-5.0, 5.0, (n_history, N_PARAMS))
    start = time.perf_counter()
    study.add_trials(
        [
            library.trial.create_trial(
                params={f"x{i}": float(x[i]) for i in range(N_PARAMS)},
                distributions=dists,
                value=float((x**2).sum()),
            )
            for x in points
        ]
    )
    fill = time.perf_counter() - start
    seconds = []
    for _ in range(asks + 1):
        start = time.perf_counter()
        trial = study.ask()
        value = sum(trial.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(N_PARAMS))
        study.tell(trial, value)
        seconds.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return HistoryRow(
        method, n_history, 1e3 * float(np.median(seconds[1:])), 1e3 * seconds[0], fill, peak
    )


def _in_fresh_process(args: tuple[str, int, int]) -> HistoryRow:
    return measure(*args)


def available(names: list[str] | None) -> list[str]:
    """The methods to run: those asked for, or every one whose library is installed."""
    try:
        import optuna  # noqa: F401

        installed = list(METHODS)
    except ImportError:
        installed = [m for m in METHODS if not m.startswith("optuna")]
    return names or installed


def run(methods: list[str], sizes: list[int], asks: int) -> list[HistoryRow]:
    """Each (method, size) in its own spawned process, one after the other."""
    rows = []
    context = multiprocessing.get_context("spawn")
    for n in sizes:
        for method in methods:
            with context.Pool(1) as pool:
                rows.append(pool.apply(_in_fresh_process, ((method, n, asks),)))
            print(f"  done: {method} at {n} trials", flush=True)
    return rows


def print_table(rows: list[HistoryRow]) -> None:
    """One row per method and size, with the ratio to the same method at the smallest size."""
    smallest = {}
    for r in rows:
        smallest.setdefault(r.method, r)
    width = max(len("method"), *(len(r.method) for r in rows))
    header = (
        f"{'method':{width}} {'history':>8} {'ms/trial':>9} {'x @' + str(rows[0].n_history):>8}"
        f" {'first ms':>9} {'fill s':>7} {'peak MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        growth = r.ms_per_trial / smallest[r.method].ms_per_trial
        print(
            f"{r.method:{width}} {r.n_history:>8} {r.ms_per_trial:>9.2f} {growth:>8.1f}"
            f" {r.first_ms:>9.0f} {r.fill_s:>7.1f} {r.peak_mib:>9.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=None)
    parser.add_argument("--asks", type=int, default=20, help="timed trials per run")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    rows = run(available(args.methods), args.sizes, args.asks)
    print(f"\nms per trial (ask + {N_PARAMS} suggest_float + tell, median of {args.asks})")
    print_table(rows)
    if args.json:
        import methods as methods_mod

        methods_mod.save_report(args.json, vars(args) | {"json": str(args.json)}, {}, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
