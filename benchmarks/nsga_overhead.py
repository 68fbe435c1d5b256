"""NSGA-II's own time per trial up to 1,000 trials: podbor against Optuna 5 (issue 19's target).

The objective is ZDT1 on 10 floats (2 objectives, microseconds), the storage in memory, so a
trial's time is the library's: ``ask``, 10 ``suggest_float``, ``tell`` and the sampler's
selection at each generation. ``RandomSampler`` runs the same loop as the floor (the study and
the storage without a model). Every (library, sampler, repeat) runs in a fresh process, one
after the other; printed: the median seconds per trial over all trials and over trials
901-1,000 (median over ``--repeats`` runs), and podbor's time as a fraction of Optuna's (the
target is at most 1/3 for NSGA-II). Optuna is optional (without it podbor is timed alone)::

    benchmarks/.venv/bin/python benchmarks/nsga_overhead.py
    benchmarks/.venv/bin/python benchmarks/nsga_overhead.py --trials 300 --repeats 1
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import multiprocessing
import statistics
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

N_PARAMS = 10
LIBRARIES = ("podbor", "optuna")
SAMPLERS = ("NSGAIISampler", "RandomSampler")


def zdt1(trial: Any) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(N_PARAMS)])
    g = 1.0 + 9.0 * float(x[1:].mean())
    return float(x[0]), g * (1.0 - float(np.sqrt(x[0] / g)))


def time_run(args: tuple[str, str, int, int]) -> list[float]:
    """Seconds of each trial (one end to the next) of one study, in this (fresh) process."""
    library, sampler_name, trials, seed = args
    lib = importlib.import_module(library)
    warnings.filterwarnings("ignore")
    lib.logging.set_verbosity(lib.logging.WARNING)
    sampler = getattr(lib.samplers, sampler_name)(seed=seed)
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
    ends = [time.perf_counter()]
    study.optimize(zdt1, n_trials=trials, callbacks=[lambda s, t: ends.append(time.perf_counter())])
    return list(np.diff(ends))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.trials < 100 or args.repeats < 1:
        parser.error(
            f"--trials must be >= 100 and --repeats >= 1, not {args.trials}, {args.repeats}"
        )
    libraries = [lib for lib in LIBRARIES if importlib.util.find_spec(lib) is not None]
    context = multiprocessing.get_context("spawn")
    rows: dict[tuple[str, str], tuple[float, float]] = {}
    for library in libraries:
        for sampler in SAMPLERS:
            whole, late = [], []
            for seed in range(args.repeats):
                with context.Pool(1) as pool:
                    seconds = pool.map(time_run, [(library, sampler, args.trials, seed)])[0]
                whole.append(statistics.median(seconds))
                late.append(statistics.median(seconds[-100:]))
            rows[(library, sampler)] = (statistics.median(whole), statistics.median(late))
    last = f"{args.trials - 99}-{args.trials}"
    print(f"\n### ms per trial, ZDT1 ({N_PARAMS} floats, 2 objectives), median of {args.repeats}")
    print(f"\n| library | sampler | all {args.trials} trials | trials {last} |")
    print("|---|---|---:|---:|")
    for (library, sampler), (whole_s, late_s) in rows.items():
        print(f"| {library} | {sampler} | {whole_s * 1e3:.3f} | {late_s * 1e3:.3f} |")
    for sampler in SAMPLERS:
        ours, theirs = rows.get(("podbor", sampler)), rows.get(("optuna", sampler))
        if ours and theirs:
            print(
                f"\npodbor / Optuna, {sampler}: {ours[0] / theirs[0]:.2f} over all trials, "
                f"{ours[1] / theirs[1]:.2f} over trials {last}"
            )


if __name__ == "__main__":
    main()
