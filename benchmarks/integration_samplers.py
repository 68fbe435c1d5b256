"""podbor's ``PyCmaSampler`` and ``BoTorchSampler`` against optuna-integration's.

Both libraries' sampler runs with its defaults and the same seed on a few problems (sphere,
Rosenbrock and Rastrigin in ``--dim`` dimensions on [-5, 5], and a mixed one: log-scaled floats
and integers), ``--trials`` trials each. With ``--sampler pycma`` podbor's own ``CmaEsSampler``
(the ``cmaes`` package) is a reference column; with ``--sampler botorch`` podbor's
``GPSampler`` is. Printed per problem, median over seeds: the best value found and the wall time
per trial (the objective costs nothing, so this is the sampler's time).

Usage::

    benchmarks/.venv/bin/python benchmarks/integration_samplers.py  # pycma: 5 seeds, 200 trials
    benchmarks/.venv/bin/python benchmarks/integration_samplers.py --sampler botorch \
        --trials 40 --seeds 3 --problems sphere mixed
    benchmarks/.venv/bin/python benchmarks/integration_samplers.py --quick   # a smoke run

optuna-integration (with Optuna) is the peer when importable.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import podbor


def _sphere(x: np.ndarray) -> float:
    return float(np.sum(x**2))


def _rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def _rastrigin(x: np.ndarray) -> float:
    return float(10.0 * x.size + np.sum(x**2 - 10.0 * np.cos(2.0 * math.pi * x)))


def _continuous(f: Callable[[np.ndarray], float], dim: int) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        x = np.array([trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(dim)])
        return f(x)

    return objective


def _mixed(dim: int) -> Callable[[Any], float]:
    """Half log-scaled floats around 1e-2, half integers around 7."""

    def objective(trial: Any) -> float:
        total = 0.0
        for i in range(dim):
            if i % 2 == 0:
                v = trial.suggest_float(f"lr{i}", 1e-5, 1.0, log=True)
                total += (math.log10(v) + 2.0) ** 2
            else:
                k = trial.suggest_int(f"n{i}", 1, 20)
                total += (k - 7) ** 2 / 10.0
        return total

    return objective


PROBLEMS: dict[str, Callable[[int], Callable[[Any], float]]] = {
    "sphere": lambda d: _continuous(_sphere, d),
    "rosenbrock": lambda d: _continuous(_rosenbrock, d),
    "rastrigin": lambda d: _continuous(_rastrigin, d),
    "mixed": _mixed,
}


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


SAMPLERS = {"pycma": "PyCmaSampler", "botorch": "BoTorchSampler"}
REFERENCE = {"pycma": "podbor CmaEsSampler", "botorch": "podbor GPSampler"}


def run(
    method: str, problem: str, dim: int, seed: int, trials: int, sampler_name: str = "pycma"
) -> tuple[float, float]:
    objective = PROBLEMS[problem](dim)
    cls = SAMPLERS[sampler_name]
    if method == "optuna-integration":
        import optuna
        import optuna_integration

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study: Any = optuna.create_study(sampler=getattr(optuna_integration, cls)(seed=seed))
    else:
        if method == "podbor":
            from podbor import integration

            sampler: Any = getattr(integration, cls)(seed=seed)
        elif sampler_name == "botorch":
            sampler = podbor.samplers.GPSampler(seed=seed)
        else:
            sampler = podbor.samplers.CmaEsSampler(seed=seed)
        study = podbor.create_study(sampler=sampler)
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return float(study.best_value), (time.perf_counter() - start) / trials


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sampler", choices=list(SAMPLERS), default="pycma")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--dim", type=int, default=5)
    parser.add_argument("--problems", nargs="+", choices=list(PROBLEMS), default=list(PROBLEMS))
    parser.add_argument("--peers", choices=["auto", "none"], default="auto")
    parser.add_argument("--quick", action="store_true", help="1 seed, 20 trials")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials = 1, 20
    podbor.logging.set_verbosity(podbor.logging.ERROR)
    warnings.simplefilter("ignore")
    methods = ["podbor"]
    if args.peers == "auto" and _has("optuna_integration") and _has("optuna"):
        methods.append("optuna-integration")
    if args.sampler == "botorch" or _has("cmaes"):
        methods.append(REFERENCE[args.sampler])
    print(f"{args.sampler}: {methods}; {args.trials} trials, {args.dim} dimensions\n")
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for problem in args.problems:
        for seed in range(args.seeds):
            for method in methods if seed % 2 == 0 else methods[::-1]:
                results.setdefault((problem, method), []).append(
                    run(method, problem, args.dim, seed, args.trials, args.sampler)
                )
    print("| problem | method | best value (median) | ms per trial (median) |")
    print("|---|---|---:|---:|")
    for problem in args.problems:
        for method in methods:
            rows = results[(problem, method)]
            best = statistics.median(r[0] for r in rows)
            ms = 1e3 * statistics.median(r[1] for r in rows)
            print(f"| {problem} | {method} | {best:.4g} | {ms:.2f} |")
    print()
    return {f"{p}/{m}": v for (p, m), v in results.items()}


if __name__ == "__main__":
    main()
