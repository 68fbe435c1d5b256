"""Many workers: regret at the same number of evaluations with 1, 4 and 8 trials at once.

With several workers a sampler proposes a trial while others still run; a sampler that ignores
them proposes the same point again and wastes the evaluations. Each run here is one study of
``--trials`` trials with ``study.optimize(..., n_jobs=k)`` (threads on one in-memory storage) for
each ``k`` of ``--workers``; every evaluation also sleeps a random 20–100 ms (``--sleep``), drawn
from the run's own generator, so that ``k`` trials really overlap and finish out of order, as
on a cluster. The objective's value does not depend on the sleep.

Per method and ``k``: the median over seeds of the normalized regret at the full budget (as in
``sample_efficiency.py``: 0 = optimum, 1 = sequential random search's median best), the mean
over problems, and the ratio of that mean to the same method's sequential (``k = 1``) mean —
the target is at most 1.2; means under ``RATIO_FLOOR`` (0.02) count as 0.02, as both found the
optimum — plus the average rank per ``k``. Peers: Optuna's multivariate TPE
with ``constant_liar=True`` (``optuna-tpe-mv-liar``) and its GPSampler run the same way::

    benchmarks/.venv/bin/python benchmarks/parallel.py --seeds 5
    benchmarks/.venv/bin/python benchmarks/parallel.py --quick
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import methods as methods_mod
import numpy as np
import problems as problems_mod
from scipy.stats import rankdata

REFERENCE = "podbor-random"
RATIO_FLOOR = 0.02
"""Mean regrets below this count as this in the ratios: both runs found the optimum."""
DEFAULT_PROBLEMS = ("branin", "hartmann6", "levy6", "log_scale", "mixed")
DEFAULT_METHODS = ("podbor-random", "podbor-auto", "optuna-tpe-mv-liar", "optuna-gp")


@dataclass(frozen=True)
class Task:
    method: str
    problem: str
    workers: int
    seed: int
    n_trials: int
    sleep: tuple[float, float]
    mode: str = "threads"


@dataclass
class Run:
    method: str
    problem: str
    workers: int
    seed: int
    values: list[float]  # by trial number
    seconds: float
    mode: str = "threads"


def _sleepy(problem: problems_mod.Problem, task: Task, rng: np.random.Generator) -> Any:
    """The problem's objective, plus a random pause drawn from ``rng`` (under a lock)."""
    lock = threading.Lock()

    def objective(trial: Any) -> float:
        with lock:
            pause = float(rng.uniform(*task.sleep))
        value = float(problem.objective(trial))
        time.sleep(pause)
        return value

    return objective


def _journal_storage(library: str, path: str) -> Any:
    lib = __import__(library)
    return lib.storages.JournalStorage(lib.storages.journal.JournalFileBackend(path))


def _process_worker(task: Task, path: str, index: int) -> None:
    """One worker process: load the shared study and run trials until it has ``n_trials``."""
    import warnings

    methods_mod.quiet()
    method = methods_mod.registry()[task.method]
    lib = __import__(method.library)
    assert method.make_sampler is not None
    study = lib.load_study(
        study_name="parallel",
        storage=_journal_storage(method.library, path),
        sampler=method.make_sampler(task.seed + 1000 * index),  # workers must not repeat
    )
    problem = problems_mod.PROBLEMS[task.problem]
    rng = np.random.default_rng([task.seed, 4, index])
    stop = lib.study.MaxTrialsCallback(task.n_trials, states=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(_sleepy(problem, task, rng), callbacks=[stop])


def _run_processes(task: Task) -> Any:
    """``task.workers`` spawned processes on one journal file; returns the trials."""
    import multiprocessing
    import tempfile

    method = methods_mod.registry()[task.method]
    lib = __import__(method.library)
    problem = problems_mod.PROBLEMS[task.problem]
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/journal.log"
        storage = _journal_storage(method.library, path)
        lib.create_study(study_name="parallel", storage=storage, direction=problem.direction)
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(target=_process_worker, args=(task, path, i))
            for i in range(task.workers)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return lib.load_study(study_name="parallel", storage=storage).trials


def _run_threads(task: Task) -> Any:
    """``study.optimize(n_jobs=task.workers)`` on an in-memory study; returns the trials."""
    import warnings

    method = methods_mod.registry()[task.method]
    problem = problems_mod.PROBLEMS[task.problem]
    lib = __import__(method.library)
    assert method.make_sampler is not None
    study = lib.create_study(sampler=method.make_sampler(task.seed), direction=problem.direction)
    objective = _sleepy(problem, task, np.random.default_rng([task.seed, 4]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=task.n_trials, n_jobs=task.workers)
    return study.trials


def run_task(task: Task) -> Run:
    methods_mod.quiet()
    start = time.perf_counter()
    found = _run_processes(task) if task.mode == "processes" else _run_threads(task)
    trials = sorted(found, key=lambda t: t.number)
    values = [float("nan") if t.value is None else float(t.value) for t in trials]
    return Run(
        task.method,
        task.problem,
        task.workers,
        task.seed,
        values[: task.n_trials],
        time.perf_counter() - start,
        task.mode,
    )


def summarize(runs: Sequence[Run], method_names: list[str], workers: list[int]) -> dict[str, Any]:
    from sample_efficiency import best_so_far

    problems = sorted({r.problem for r in runs}, key=list(problems_mod.PROBLEMS).index)
    regret: dict[str, dict[int, dict[str, float]]] = {
        m: {k: {} for k in workers} for m in method_names
    }
    ranks: dict[str, dict[int, list[float]]] = {m: {k: [] for k in workers} for m in method_names}
    for name in problems:
        problem = problems_mod.PROBLEMS[name]
        sign = 1.0 if problem.direction == "minimize" else -1.0
        mine = [r for r in runs if r.problem == name]
        best = {id(r): float(best_so_far(r.values, sign)[-1]) for r in mine}
        f_star = sign * problem.optimum if problem.optimum is not None else min(best.values())
        reference = [best[id(r)] for r in mine if r.method == REFERENCE and r.workers == 1]
        if not reference:
            reference = [best[id(r)] for r in mine if r.method == REFERENCE]
        denominator = max(float(np.median(reference)) - f_star, 1e-12)
        for k in workers:
            present = []
            for m in method_names:
                scores = [
                    (best[id(r)] - f_star) / denominator
                    for r in mine
                    if r.method == m and r.workers == k
                ]
                if scores:
                    regret[m][k][name] = float(np.median(scores))
                    present.append(m)
            for m, rank in zip(present, rankdata([regret[m][k][name] for m in present])):
                ranks[m][k].append(float(rank))
    ran = [m for m in method_names if any(regret[m][k] for k in workers)]
    mean = {
        m: {k: float(np.mean(list(regret[m][k].values()))) for k in workers if regret[m][k]}
        for m in ran
    }
    return {
        "median_regret": {m: {str(k): v for k, v in regret[m].items()} for m in ran},
        "mean_regret": {m: {str(k): v for k, v in mean[m].items()} for m in ran},
        "ratio_to_sequential": {
            m: {
                str(k): max(mean[m][k], RATIO_FLOOR) / max(mean[m][1], RATIO_FLOOR) for k in mean[m]
            }
            for m in ran
            if 1 in mean[m]
        },
        "average_rank": {
            m: {str(k): float(np.mean(ranks[m][k])) for k in workers if ranks[m][k]} for m in ran
        },
    }


def print_tables(summary: dict[str, Any], method_names: list[str], workers: list[int]) -> None:
    from sample_efficiency import short

    ran = [m for m in method_names if m in summary["mean_regret"]]
    width = max(len("method"), *(len(m) for m in ran))
    print("\nmedian normalized regret per problem (rows: method x workers)")
    problems = sorted({p for m in ran for k in summary["median_regret"][m].values() for p in k})
    problems.sort(key=list(problems_mod.PROBLEMS).index)
    pw = max(8, *(len(p) for p in problems))
    print(f"{'method':{width}} {'k':>2} " + " ".join(f"{p[:pw]:>{pw}}" for p in problems))
    for m in ran:
        for k in workers:
            row = summary["median_regret"][m].get(str(k), {})
            cells = " ".join(f"{row[p]:{pw}.2f}" if p in row else f"{'—':>{pw}}" for p in problems)
            print(f"{m:{width}} {k:2d} {cells}")
    print("\nmean regret over problems, ratio to the same method's sequential run, average rank")
    header = f"{'method':{width}} " + " ".join(f"{'k=' + str(k):>20}" for k in workers)
    print(header)
    print("-" * len(header))
    for m in ran:
        cells = []
        for k in workers:
            mean = summary["mean_regret"][m].get(str(k))
            ratio = summary["ratio_to_sequential"].get(m, {}).get(str(k))
            rank = summary["average_rank"][m].get(str(k))
            cells.append("—" if mean is None else f"{mean:.2f} ({ratio:.2f}x) r{rank:.2f}")
        print(f"{m:{width}} " + " ".join(f"{c:>20}" for c in cells))
    del short


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--sleep", type=float, nargs=2, default=[0.02, 0.1], metavar=("MIN", "MAX"))
    parser.add_argument("--problems", nargs="+", default=list(DEFAULT_PROBLEMS))
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--mode",
        choices=["threads", "processes"],
        default="threads",
        help="n_jobs threads on one in-memory storage, or worker processes on one journal "
        "file (runs one at a time, each with its own processes)",
    )
    parser.add_argument("--quick", action="store_true", help="2 seeds x 16 trials, branin, 1 and 4")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.problems, args.workers = 2, 16, ["branin"], [1, 4]
    if (
        args.seeds < 1
        or args.trials < 4
        or min(args.workers) < 1
        or not 0 <= args.sleep[0] <= args.sleep[1]
    ):
        parser.error("--seeds >= 1, --trials >= 4, --workers >= 1 and 0 <= --sleep MIN <= MAX")
    workers = sorted(set(args.workers) | {1})
    methods_mod.one_thread_per_process()
    problems = problems_mod.select(args.problems)
    names = [m.name for m in methods_mod.select(args.methods) if m.library != "hyperopt"]
    if REFERENCE not in names:
        names.insert(0, REFERENCE)
    tasks = [
        Task(m, p.name, k, seed, args.trials, tuple(args.sleep), args.mode)
        for p in problems
        for m in names
        for k in workers
        for seed in range(args.seeds)
    ]
    jobs = 1 if args.mode == "processes" else args.jobs  # pool workers cannot start processes
    print(f"{len(tasks)} runs on {jobs} processes", file=sys.stderr, flush=True)
    start = time.perf_counter()
    runs = sorted(
        methods_mod.run_all(run_task, tasks, jobs),
        key=lambda r: (r.problem, r.method, r.workers, r.seed),
    )
    summary = summarize(runs, names, workers)
    print_tables(summary, names, workers)
    print(f"\n{len(runs)} runs in {time.perf_counter() - start:.0f} s")
    config = {k: v for k, v in vars(args).items() if k != "out"}
    return methods_mod.save_report(args.out, config, summary, runs)


if __name__ == "__main__":
    main()
