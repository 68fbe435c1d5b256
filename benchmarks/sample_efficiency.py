"""Sample efficiency: how close each method gets to the optimum within a budget of trials.

For every method, problem and seed it runs one study of ``--trials`` trials and keeps the
best-so-far curve. It reports, per problem and method, the median over seeds of the normalized
regret

    r = (best so far - f*) / (random's best at the full budget - f*)        (direction-aware)

at 25 %, 50 % and 100 % of the budget, where the denominator is the median over seeds of
random search's (``podbor-random``'s) best at the full budget: ``r = 0`` is the optimum and
``r = 1`` is as good as random search with the whole budget. ``f*`` is the known optimum, else
(scikit-learn tasks) the best value any run of this invocation found. Denominators are clamped to
0.1 % of the problem's scale (random search's median first value - f*), so that a problem random
search solves does not blow up the ratios. Then, per method: the mean of r over problems, and the
average rank over problems (methods ranked per problem by median r at the full budget; ties share
their mean rank).

``--wall-clock`` adds the view that charges each method its own time per trial (see
``_wall_clock.py``): regret within ``trials x (cost + allowance)`` seconds, for the synthetic
problems at simulated costs per evaluation (``--costs``, default 0, 10 ms, 100 ms, 1 s) and for the
scikit-learn ones at their measured cost. Runs then go on past ``--trials`` until their time
covers every budget (at most ``--max-trials``).

Runs are independent processes (``--jobs``, default: one per CPU) and deterministic given the
seed. Peers run when installed (see ``benchmarks/README.md``)::

    benchmarks/.venv/bin/python benchmarks/sample_efficiency.py --seeds 10 --trials 60
    benchmarks/.venv/bin/python benchmarks/sample_efficiency.py --problems synthetic --methods podbor-random podbor-qmc optuna-tpe
    benchmarks/.venv/bin/python benchmarks/sample_efficiency.py --quick
    benchmarks/.venv/bin/python benchmarks/sample_efficiency.py --seeds 5 --wall-clock
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import _wall_clock
import methods as methods_mod
import numpy as np
import problems as problems_mod
from scipy.stats import rankdata

REFERENCE = "podbor-random"
FRACTIONS = (0.25, 0.5, 1.0)
QUICK_PROBLEMS = ("branin", "hartmann6", "log_scale", "mixed", "conditional")


@dataclass(frozen=True)
class Task:
    method: str
    problem: str
    seed: int
    n_trials: int
    max_trials: int = 0  # > n_trials: the wall-clock view's extension
    allowance: float = 0.0


@dataclass
class Run:
    method: str
    problem: str
    seed: int
    values: list[float]
    seconds: float
    trial_seconds: list[float] | None = None  # per trial, objective included
    objective_seconds: list[float] | None = None


def run_task(task: Task) -> Run:
    """Run one study (in a worker process, or inline with ``--jobs 1``)."""
    methods_mod.quiet()
    method = methods_mod.registry()[task.method]
    problem = problems_mod.PROBLEMS[task.problem]
    start = time.perf_counter()

    def extend(r: methods_mod.RunResult) -> bool:
        return _wall_clock.needs_more(r.seconds, r.objective_seconds, task.n_trials, task.allowance)

    result = methods_mod.run(
        method,
        problem.objective,
        problem.space,
        direction=problem.direction,
        seed=task.seed,
        n_trials=task.n_trials,
        extend=extend if task.max_trials > task.n_trials else None,
        max_trials=task.max_trials,
    )
    return Run(
        task.method,
        task.problem,
        task.seed,
        result.values,
        time.perf_counter() - start,
        result.seconds,
        result.objective_seconds,
    )


def _execute(tasks: list[Task], jobs: int, journal: Path | None = None) -> list[Run]:
    """Run the tasks; with ``journal``, append each finished run to it as one JSON line."""
    done: list[Run] = []
    step = max(1, len(tasks) // 20)
    if jobs <= 1:
        iterator: Any = map(run_task, tasks)
        pool = None
    else:
        pool = multiprocessing.get_context("spawn").Pool(jobs)
        iterator = pool.imap_unordered(run_task, tasks, chunksize=1)
    try:
        for run in iterator:
            done.append(run)
            if journal is not None:
                with journal.open("a") as f:
                    f.write(json.dumps({"trials": tasks[0].n_trials, **asdict(run)}) + "\n")
            if len(done) % step == 0 or len(done) == len(tasks):
                print(f"  {len(done)}/{len(tasks)} runs done", file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return sorted(done, key=lambda r: (r.problem, r.method, r.seed))


def load_runs(
    paths: Sequence[Path], n_trials: int, wall_clock: bool = False
) -> dict[tuple[str, str, int], Run]:
    """Runs of earlier invocations (their ``--out`` JSON) with the same budget, by task (with
    ``wall_clock``, only those that kept their trials' times)."""
    found = _load_runs(paths, n_trials)
    if wall_clock:
        found = {k: r for k, r in found.items() if r.trial_seconds is not None}
    return found


def _load_runs(paths: Sequence[Path], n_trials: int) -> dict[tuple[str, str, int], Run]:
    found: dict[tuple[str, str, int], Run] = {}
    for path in paths:
        if path.suffix == ".jsonl":  # a --journal: one run per line (none yet if it is missing)
            lines = path.read_text().splitlines() if path.exists() else []
            for line in lines:
                r = json.loads(line)
                if r.pop("trials") == n_trials:
                    found[(r["method"], r["problem"], r["seed"])] = Run(**r)
            continue
        report = json.loads(Path(path).read_text())
        if report["config"]["trials"] != n_trials:
            continue
        for r in report["runs"]:
            found[(r["method"], r["problem"], r["seed"])] = Run(**r)
    return found


# -- regret ---------------------------------------------------------------------------------------
def best_so_far(values: Sequence[float], sign: float) -> np.ndarray:
    """Best value so far in minimization terms (``sign * value``), failed trials (NaN) skipped."""
    signed = sign * np.asarray(values, dtype=float)
    signed[np.isnan(signed)] = np.inf
    return np.minimum.accumulate(signed)


def _problem_regret(
    name: str, runs: list[Run], method_names: list[str], budgets: dict[str, int]
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """``f*``, the reference and the denominator of one problem; median regret per method."""
    problem = problems_mod.PROBLEMS[name]
    sign = 1.0 if problem.direction == "minimize" else -1.0
    best = {id(r): best_so_far(r.values[: max(budgets.values())], sign) for r in runs}
    found = min(float(c[-1]) for c in best.values())
    f_star = sign * problem.optimum if problem.optimum is not None else found
    reference = [best[id(r)] for r in runs if r.method == REFERENCE]
    ref_best = float(np.median([c[-1] for c in reference]))
    first = float(np.median([c[0] for c in reference]))
    floor = 1e-3 * max(first - f_star, 0.0) + 1e-12 * max(1.0, abs(f_star))
    denominator = max(ref_best - f_star, floor)
    info = {
        "direction": problem.direction,
        "f_star": sign * f_star,
        "f_star_known": problem.optimum is not None,
        "random_best_median": sign * ref_best,
        "denominator": denominator,
    }
    regret: dict[str, dict[str, float]] = {}
    for method in method_names:
        curves = np.array([best[id(r)] for r in runs if r.method == method])
        if curves.size:
            regret[method] = {
                label: float(np.median((curves[:, b - 1] - f_star) / denominator))
                for label, b in budgets.items()
            }
    return info, regret


def summarize(runs: list[Run], n_trials: int, method_names: list[str]) -> dict[str, Any]:
    """Normalized regrets, means and ranks, as plain data (what the tables and the JSON show)."""
    problems = sorted({r.problem for r in runs}, key=list(problems_mod.PROBLEMS).index)
    budgets = {f"{int(f * 100)}%": max(1, round(f * n_trials)) for f in FRACTIONS}
    full = list(budgets)[-1]
    per_problem: dict[str, Any] = {}
    regret: dict[str, dict[str, dict[str, float]]] = {m: {} for m in method_names}
    ranks: dict[str, list[float]] = {m: [] for m in method_names}
    for name in problems:
        info, by_method = _problem_regret(
            name, [r for r in runs if r.problem == name], method_names, budgets
        )
        per_problem[name] = info
        for m, r in by_method.items():
            regret[m][name] = r
        present = list(by_method)
        for m, rank in zip(present, rankdata([by_method[m][full] for m in present])):
            ranks[m].append(float(rank))
    ran = [m for m in method_names if regret[m]]
    return {
        "budgets": budgets,
        "problems": per_problem,
        "median_regret": regret,
        "mean_regret": {
            m: {lb: float(np.mean([regret[m][p][lb] for p in regret[m]])) for lb in budgets}
            for m in ran
        },
        "average_rank": {m: float(np.mean(ranks[m])) for m in ran},
        "median_seconds_per_run": {
            m: float(np.median([r.seconds for r in runs if r.method == m])) for m in ran
        },
    }


# -- printing ---------------------------------------------------------------------------------------
def _fmt(x: float | None, width: int) -> str:
    if x is None or not np.isfinite(x):
        return f"{'—':>{width}}"
    return f"{x:{width}.2f}" if abs(x) < 1000 else f"{x:{width}.2e}"


def short(method: str) -> str:
    """A column header: ``podbor-tpe-mv-group`` → ``p:tpe-mvg``."""
    for library, prefix in (("podbor-", "p:"), ("optuna-", "o:"), ("hyperopt-", "h:")):
        if method.startswith(library):
            method = prefix + method[len(library) :]
    return method.replace("-mv-group", "-mvg")


def print_tables(summary: dict[str, Any], method_names: list[str]) -> None:
    regret = summary["median_regret"]
    problems = list(summary["problems"])
    width = max(6, *(len(short(m)) for m in method_names))
    pwidth = max(len("average rank"), *(len(p) for p in problems))
    print("\ncolumns: p: = podbor, o: = Optuna, h: = Hyperopt; mv = multivariate, mvg = mv + group")
    for label in summary["budgets"]:
        print(
            f"\nmedian normalized regret at {label} of the budget (0 = optimum, 1 = random search's final)"
        )
        header = f"{'problem':{pwidth}} " + " ".join(f"{short(m):>{width}}" for m in method_names)
        print(header)
        print("-" * len(header))
        for p in problems:
            cells = [_fmt(regret[m].get(p, {}).get(label), width) for m in method_names]
            print(f"{p:{pwidth}} " + " ".join(cells))
        print("-" * len(header))
        means = [_fmt(summary["mean_regret"].get(m, {}).get(label), width) for m in method_names]
        print(f"{'mean':{pwidth}} " + " ".join(means))
        if label == list(summary["budgets"])[-1]:
            ranks = [_fmt(summary["average_rank"].get(m), width) for m in method_names]
            print(f"{'average rank':{pwidth}} " + " ".join(ranks))
    print("\nsummary (mean over problems of the median normalized regret; rank at the full budget)")
    labels = list(summary["budgets"])
    width = max(len("method"), *(len(m) for m in method_names))
    header = f"{'method':{width}} " + " ".join(f"{'r@' + lb:>8}" for lb in labels)
    header += f" {'avg rank':>8} {'s/run':>8}"
    print(header)
    print("-" * len(header))
    order = sorted(method_names, key=lambda m: summary["average_rank"].get(m, np.inf))
    for m in order:
        cells = [_fmt(summary["mean_regret"].get(m, {}).get(lb), 8) for lb in labels]
        rank = _fmt(summary["average_rank"].get(m), 8)
        secs = _fmt(summary["median_seconds_per_run"].get(m), 8)
        print(f"{m:{width}} " + " ".join(cells) + f" {rank} {secs}")


def print_problems(summary: dict[str, Any]) -> None:
    print(
        "\nproblems: f* (known optimum, or the best found by any run) and random search's median best"
    )
    for name, info in summary["problems"].items():
        known = "known" if info["f_star_known"] else "best found"
        print(
            f"  {name:22} {info['direction']:8} f*={info['f_star']:.6g} ({known}); "
            f"random median best={info['random_best_median']:.6g}"
        )


# -- command line -----------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per method and problem")
    parser.add_argument("--trials", type=int, default=60, help="the budget of each study")
    parser.add_argument(
        "--problems", nargs="+", default=None, help="names or groups: synthetic, sklearn, all"
    )
    parser.add_argument("--methods", nargs="+", default=None, help="default: every available one")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None, help="write the runs and summary as JSON")
    parser.add_argument(
        "--journal",
        type=Path,
        default=None,
        help="append every finished run to this .jsonl file as it ends (pass it to --reuse to "
        "resume an interrupted invocation)",
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        nargs="+",
        default=[],
        help="JSON files of earlier runs (--out, or a --journal .jsonl): runs of the same method, problem, seed and "
        "budget are taken from them instead of being run again (runs are deterministic)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 seeds x 20 trials on 5 synthetic problems"
    )
    parser.add_argument(
        "--wall-clock",
        action="store_true",
        help="add the view of regret within a budget of time (runs go on past --trials)",
    )
    parser.add_argument(
        "--costs",
        type=float,
        nargs="+",
        default=[0.0, 0.01, 0.1, 1.0],
        help="simulated seconds per evaluation of the synthetic problems (wall-clock view)",
    )
    parser.add_argument(
        "--allowance",
        type=float,
        default=0.05,
        help="sampler seconds per trial in the wall-clock budget (default 0.05)",
    )
    parser.add_argument(
        "--max-trials", type=int, default=300, help="longest run in the wall-clock view"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials = 3, 20
        args.problems = args.problems or list(QUICK_PROBLEMS)
    if args.seeds < 1 or args.trials < 4:
        parser.error("--seeds must be >= 1 and --trials >= 4")
    if args.allowance < 0 or any(c < 0 for c in args.costs) or args.max_trials < args.trials:
        parser.error("--allowance and --costs must be >= 0 and --max-trials >= --trials")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    methods_mod.one_thread_per_process()
    problems = problems_mod.select(args.problems)
    methods = methods_mod.select(args.methods)
    names = [m.name for m in methods]
    if REFERENCE not in names:
        print(f"(adding {REFERENCE}: it is the reference of the normalized regret)")
        names.insert(0, REFERENCE)
    extension = (args.max_trials, args.allowance) if args.wall_clock else (0, 0.0)
    tasks = [
        Task(m, p.name, seed, args.trials, *extension)
        for p in problems
        for m in names
        for seed in range(args.seeds)
    ]
    print(
        f"{len(problems)} problems x {len(names)} methods x {args.seeds} seeds x {args.trials} "
        f"trials = {len(tasks)} runs on {args.jobs} processes",
        file=sys.stderr,
        flush=True,
    )
    reused = load_runs(args.reuse, args.trials, args.wall_clock)
    cached = [
        reused[(t.method, t.problem, t.seed)]
        for t in tasks
        if (t.method, t.problem, t.seed) in reused
    ]
    tasks = [t for t in tasks if (t.method, t.problem, t.seed) not in reused]
    if cached:
        print(f"reusing {len(cached)} runs from {', '.join(map(str, args.reuse))}", file=sys.stderr)
    start = time.perf_counter()
    runs = sorted(
        cached + _execute(tasks, args.jobs, args.journal) if tasks else cached,
        key=lambda r: (r.problem, r.method, r.seed),
    )
    elapsed = time.perf_counter() - start
    summary = summarize(runs, args.trials, names)
    print_problems(summary)
    print_tables(summary, names)
    if args.wall_clock:
        summary["wall_clock"] = _wall_clock.summarize(
            runs, args.trials, names, summary["problems"], args.costs, args.allowance
        )
        _wall_clock.print_tables(summary["wall_clock"], names, short)
    print(f"\n{len(runs)} runs in {elapsed:.0f} s")
    config = {
        "seeds": args.seeds,
        "trials": args.trials,
        "wall_clock": args.wall_clock,
        "costs": args.costs,
        "allowance": args.allowance,
        "max_trials": args.max_trials,
        "problems": [p.name for p in problems],
        "methods": names,
        "jobs": args.jobs,
        "seconds": elapsed,
    }
    return methods_mod.save_report(args.out, config, summary, runs)


if __name__ == "__main__":
    main()
