"""Noisy objectives: how good is the trial a study *reports* as best, when scores are noisy?

Cross-validated scores are noisy: the trial with the best score is often a lucky one. This
benchmark adds Gaussian noise to the synthetic problems of ``problems.py`` — its standard
deviation is ``--noise`` (1 %, 5 %, 20 %) of the problem's range (the 5th to 95th percentile of
the objective over 2,000 random points) — and measures the *true* (noise-free) value of the trial
the study reports as best, ``best_trial`` in Optuna's meaning (the best noisy score):

    reported = (true value of the best-scored trial - f*) / (random's best true value - f*)

where the denominator is the median over seeds of ``podbor-random``'s best true value within the
budget (its noise-free best found), as in ``sample_efficiency.py``. ``found`` is the same for the
best true value among all the trials (what a study could report if it knew the truth): the gap
between the two is what the noise cost at the end. Per method: the median over seeds per problem
and noise level, their mean, and the average rank (by ``reported``) per noise level and overall.

The noise of a run is drawn from its own generator seeded by the run's seed, one draw per
evaluation in order, so runs are deterministic::

    benchmarks/.venv/bin/python benchmarks/noisy.py --seeds 5
    benchmarks/.venv/bin/python benchmarks/noisy.py --quick
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import methods as methods_mod
import numpy as np
import problems as problems_mod
from scipy.stats import rankdata

REFERENCE = "podbor-random"
DEFAULT_PROBLEMS = ("branin", "hartmann6", "levy6", "log_scale", "mixed")
DEFAULT_METHODS = (
    "podbor-random",
    "podbor-auto",
    "optuna-gp",
    "optuna-tpe-mv",
    "optuna-cmaes",
    "hyperopt-tpe",
)


@dataclass(frozen=True)
class Task:
    method: str
    problem: str
    noise: float
    seed: int
    n_trials: int


@dataclass
class Run:
    method: str
    problem: str
    noise: float
    seed: int
    values: list[float]  # what the study saw
    true_values: list[float]  # without the noise
    seconds: float
    posterior_index: int | None = None  # podbor: the trial posterior_best_trial picks


@functools.cache
def noise_scale(problem_name: str) -> float:
    """The problem's range: 95th minus 5th percentile of the objective at 2,000 random points."""
    problem = problems_mod.PROBLEMS[problem_name]
    rng = np.random.default_rng(0)
    values = []
    for _ in range(2000):
        params = problems_mod.sample_declared(problem.space, rng)
        values.append(problem.objective(problems_mod.ValuesTrial(params, problem.space)))
    low, high = np.percentile(values, [5, 95])
    return float(high - low)


class _Noisy:
    """The objective plus Gaussian noise of standard deviation ``sd``; keeps the true values."""

    def __init__(self, objective: Callable[[Any], float], sd: float, seed: int) -> None:
        self.objective = objective
        self.sd = sd
        self.rng = np.random.default_rng([seed, 20261204])
        self.true_values: list[float] = []

    def __call__(self, trial: Any) -> float:
        value = float(self.objective(trial))
        self.true_values.append(value)
        return value + self.sd * float(self.rng.standard_normal())


def run_task(task: Task) -> Run:
    methods_mod.quiet()
    method = methods_mod.registry()[task.method]
    problem = problems_mod.PROBLEMS[task.problem]
    noisy = _Noisy(problem.objective, task.noise * noise_scale(task.problem), task.seed)
    start = time.perf_counter()
    result = methods_mod.run(
        method,
        noisy,
        problem.space,
        direction=problem.direction,
        seed=task.seed,
        n_trials=task.n_trials,
    )
    seconds = time.perf_counter() - start
    true = noisy.true_values[: len(result.values)]
    true += [float("nan")] * (len(result.values) - len(true))  # a trial that failed early
    posterior = None
    if method.library == "podbor":
        from podbor.study import posterior_best_trial

        posterior = posterior_best_trial(result.study).number  # trials run one by one, in order
    return Run(
        task.method, task.problem, task.noise, task.seed, result.values, true, seconds, posterior
    )


POSTERIOR = "+posterior"
"""Suffix of the rows that report ``podbor.study.posterior_best_trial`` instead of the best score."""


def reported_and_found(run: Run, sign: float, posterior: bool = False) -> tuple[float, float]:
    """(true value of the reported trial, best true value), in minimization terms; the reported
    trial is the best-scored one, or with ``posterior`` the one ``posterior_best_trial`` picked."""
    seen = sign * np.asarray(run.values, dtype=float)
    seen[np.isnan(seen)] = np.inf
    true = sign * np.asarray(run.true_values, dtype=float)
    true[np.isnan(true)] = np.inf
    index = run.posterior_index if posterior else None
    return float(true[int(np.argmin(seen)) if index is None else index]), float(np.min(true))


def _with_posterior_rows(method_names: list[str], runs: Sequence[Run]) -> list[str]:
    """The method names, each podbor one followed by its ``+posterior`` row."""
    names = []
    for m in method_names:
        names.append(m)
        if any(r.method == m and r.posterior_index is not None for r in runs):
            names.append(m + POSTERIOR)
    return names


def summarize(runs: Sequence[Run], method_names: list[str]) -> dict[str, Any]:
    method_names = _with_posterior_rows(method_names, runs)
    scenarios = sorted({(r.problem, r.noise) for r in runs}, key=lambda k: (k[1], k[0]))
    regret: dict[str, dict[str, dict[str, float]]] = {m: {} for m in method_names}
    ranks: dict[str, dict[str, float]] = {m: {} for m in method_names}
    for name, noise in scenarios:
        problem = problems_mod.PROBLEMS[name]
        sign = 1.0 if problem.direction == "minimize" else -1.0
        mine = [r for r in runs if r.problem == name and r.noise == noise]
        f_star = (
            sign * problem.optimum
            if problem.optimum is not None
            else min(reported_and_found(r, sign)[1] for r in mine)
        )
        reference = [reported_and_found(r, sign)[1] for r in mine if r.method == REFERENCE]
        denominator = max(float(np.median(reference)) - f_star, 1e-12)
        key = f"{name}@{noise:g}"
        for m in method_names:
            base, posterior = m.removesuffix(POSTERIOR), m.endswith(POSTERIOR)
            pairs = [reported_and_found(r, sign, posterior) for r in mine if r.method == base]
            if pairs:
                rep, found = np.array(pairs).T
                regret[m][key] = {
                    "reported": float(np.median((rep - f_star) / denominator)),
                    "found": float(np.median((found - f_star) / denominator)),
                }
        present = [m for m in method_names if key in regret[m]]
        for m, rank in zip(present, rankdata([regret[m][key]["reported"] for m in present])):
            ranks[m][key] = float(rank)
    ran = [m for m in method_names if regret[m]]
    groups: dict[str, list[str]] = {"all": [f"{p}@{n:g}" for p, n in scenarios]}
    for noise in sorted({n for _, n in scenarios}):
        groups[f"noise {noise:g}"] = [f"{p}@{n:g}" for p, n in scenarios if n == noise]
    return {
        "methods": ran,
        "median_regret": regret,
        "average_rank": {
            g: {m: float(np.mean([ranks[m][k] for k in keys])) for m in ran}
            for g, keys in groups.items()
        },
        "mean_regret": {
            g: {
                m: {
                    kind: float(np.mean([regret[m][k][kind] for k in keys]))
                    for kind in ("reported", "found")
                }
                for m in ran
            }
            for g, keys in groups.items()
        },
    }


def print_tables(summary: dict[str, Any], method_names: list[str]) -> None:
    from sample_efficiency import short

    regret = summary["median_regret"]
    ran = summary["methods"]
    del method_names
    keys = sorted({k for m in ran for k in regret[m]}, key=lambda k: (float(k.split("@")[1]), k))
    width = max(11, *(len(short(m)) for m in ran))
    kwidth = max(len("problem@noise"), *(len(k) for k in keys))
    print("\nmedian normalized regret of the reported best trial (found: of the best true value)")
    header = f"{'problem@noise':{kwidth}} " + " ".join(f"{short(m):>{width}}" for m in ran)
    print(header)
    print("-" * len(header))
    for k in keys:
        cells = []
        for m in ran:
            r = regret[m].get(k)
            cell = "—" if r is None else f"{r['reported']:.2f} ({r['found']:.2f})"
            cells.append(f"{cell:>{width}}")
        print(f"{k:{kwidth}} " + " ".join(cells))
    print("\naverage rank by the reported best (mean reported regret)")
    gwidth = max(len("group"), *(len(g) for g in summary["average_rank"]))
    print(f"{'group':{gwidth}} " + " ".join(f"{short(m):>{width}}" for m in ran))
    for group, by_method in summary["average_rank"].items():
        cells = [
            f"{by_method[m]:.2f} ({summary['mean_regret'][group][m]['reported']:.2f})" for m in ran
        ]
        print(f"{group:{gwidth}} " + " ".join(f"{c:>{width}}" for c in cells))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.01, 0.05, 0.2])
    parser.add_argument("--problems", nargs="+", default=list(DEFAULT_PROBLEMS))
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="2 seeds x 20 trials, 2 problems")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.problems = 2, 20, ["branin", "hartmann6"]
    if args.seeds < 1 or args.trials < 4 or any(not 0 < n < 10 for n in args.noise):
        parser.error("--seeds must be >= 1, --trials >= 4 and every --noise in (0, 10)")
    methods_mod.one_thread_per_process()
    problems = problems_mod.select(args.problems)
    if any(p.optimum is None for p in problems):
        parser.error("noisy problems need a known optimum: pick synthetic problems")
    names = [m.name for m in methods_mod.select(args.methods)]
    if REFERENCE not in names:
        names.insert(0, REFERENCE)
    tasks = [
        Task(m, p.name, noise, seed, args.trials)
        for noise in args.noise
        for p in problems
        for m in names
        for seed in range(args.seeds)
    ]
    print(f"{len(tasks)} runs on {args.jobs} processes", file=sys.stderr, flush=True)
    start = time.perf_counter()
    runs = sorted(
        methods_mod.run_all(run_task, tasks, args.jobs),
        key=lambda r: (r.noise, r.problem, r.method, r.seed),
    )
    summary = summarize(runs, names)
    print_tables(summary, names)
    print(f"\n{len(runs)} runs in {time.perf_counter() - start:.0f} s")
    return methods_mod.save_report(
        args.out,
        {k: v for k, v in vars(args).items() if k != "out"},
        summary,
        runs,
        noise_scale={p.name: noise_scale(p.name) for p in problems},
    )


if __name__ == "__main__":
    main()
