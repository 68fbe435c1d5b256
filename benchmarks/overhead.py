"""Overhead: seconds per trial that the sampler and the study cost, as the study grows.

The objective is trivial (a sum of squares of 8 floats; or, with ``--problem``, any problem of
``problems.py``, e.g. ``conditional``), so a trial's time is the library's own:
``ask`` + the 8 ``suggest_float`` calls + ``tell`` for podbor and Optuna (in-memory storage), and
for Hyperopt the time from one objective call to the next inside ``fmin``. For each method it
reports the median seconds per trial over a window of ``--window`` trials centred on each mark
(default: trials 100, 1,000 and 5,000), and for each podbor method the ratio podbor / peer against
every peer of the same algorithm (below 1: podbor is faster).

Each method runs in a fresh process, one after the other (so that timings do not compete for the
CPUs). A run stops after ``--time-limit`` seconds; marks it did not reach show as ``—``::

    benchmarks/.venv/bin/python benchmarks/overhead.py
    benchmarks/.venv/bin/python benchmarks/overhead.py --methods podbor-tpe optuna-tpe --marks 100 1000
    benchmarks/.venv/bin/python benchmarks/overhead.py --quick
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import methods as methods_mod
import numpy as np
import problems as problems_mod
from problems import Float, Space

N_PARAMS = 8
SPACE: Space = tuple(Float(f"x{i}", -5.0, 5.0) for i in range(N_PARAMS))


def trivial(trial: Any) -> float:
    return float(sum(trial.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(N_PARAMS)))


@dataclass
class Timing:
    method: str
    library: str
    kind: str
    n_trials: int
    seconds: float
    per_trial: dict[int, float | None]  # mark → median seconds per trial in the window


def measure(
    method_name: str, marks: list[int], window: int, time_limit: float, problem: str = "trivial"
) -> Timing:
    """Run one method up to the last mark (in its own process) and time the windows."""
    methods_mod.quiet()
    method = methods_mod.registry()[method_name]
    half = window // 2
    if problem == "trivial":
        objective, space, direction = trivial, SPACE, "minimize"
    else:
        chosen = problems_mod.PROBLEMS[problem]
        objective, space, direction = chosen.objective, chosen.space, chosen.direction
    result = methods_mod.run(
        method,
        objective,
        space,
        direction=direction,
        seed=0,
        n_trials=max(marks) + half,
        time_limit=time_limit,
    )
    seconds = result.seconds
    per_trial: dict[int, float | None] = {}
    for mark in marks:
        lo, hi = max(0, mark - half), mark + half
        per_trial[mark] = float(np.median(seconds[lo:hi])) if len(seconds) >= hi else None
    return Timing(
        method.name, method.library, method.kind, len(seconds), float(sum(seconds)), per_trial
    )


def _in_fresh_process(args: tuple[str, list[int], int, float, str]) -> Timing:
    return measure(*args)


def _fmt_ms(x: float | None) -> str:
    return f"{'—':>10}" if x is None else f"{1e3 * x:10.3f}"


def print_tables(rows: list[Timing], marks: list[int], problem: str = "trivial") -> None:
    width = max(len("method"), *(len(r.method) for r in rows))
    what = f"{N_PARAMS} floats" if problem == "trivial" else f"problem {problem!r}"
    print(f"\nmilliseconds per trial (median over a window around each mark), {what}")
    header = f"{'method':{width}} " + " ".join(f"{'@' + str(m):>10}" for m in marks)
    header += f" {'trials':>7} {'total s':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        cells = " ".join(_fmt_ms(r.per_trial[m]) for m in marks)
        print(f"{r.method:{width}} {cells} {r.n_trials:7d} {r.seconds:8.1f}")
    pairs = [
        (p, q)
        for p in rows
        if p.library == "podbor"
        for q in rows
        if q.library != "podbor" and q.kind == p.kind
    ]
    if not pairs:
        return
    print("\nratio podbor / peer (time per trial; below 1: podbor is faster)")
    pwidth = max(len(f"{p.method} / {q.method}") for p, q in pairs)
    print(f"{'pair':{pwidth}} " + " ".join(f"{'@' + str(m):>10}" for m in marks))
    print("-" * (pwidth + 11 * len(marks)))
    for p, q in pairs:
        ratios = []
        for m in marks:
            a, b = p.per_trial[m], q.per_trial[m]
            ratios.append(f"{'—':>10}" if a is None or b is None else f"{a / b:10.2f}")
        print(f"{p.method + ' / ' + q.method:{pwidth}} " + " ".join(ratios))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--marks", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--window", type=int, default=20, help="trials around each mark")
    parser.add_argument("--methods", nargs="+", default=None, help="default: every available one")
    parser.add_argument(
        "--time-limit", type=float, default=600.0, help="seconds per run before it stops"
    )
    parser.add_argument(
        "--problem",
        default="trivial",
        choices=["trivial", *problems_mod.PROBLEMS],
        help="the objective: 8 floats summed (default) or a problem of problems.py",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the timings as JSON")
    parser.add_argument("--quick", action="store_true", help="marks 50 and 200, window 10")
    args = parser.parse_args(argv)
    if args.quick:
        args.marks, args.window = [50, 200], 10
    if args.window < 2 or min(args.marks) < args.window // 2:
        parser.error("--window must be >= 2 and every mark >= window / 2")
    args.marks = sorted(set(args.marks))
    return args


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    methods_mod.one_thread_per_process()
    methods = methods_mod.select(args.methods)
    rows: list[Timing] = []
    ctx = multiprocessing.get_context("spawn")
    for method in methods:  # one fresh process per run, one run at a time
        with ctx.Pool(1) as pool:
            task = (method.name, args.marks, args.window, args.time_limit, args.problem)
            rows.append(pool.apply(_in_fresh_process, (task,)))
        print(f"  done: {method.name} ({rows[-1].n_trials} trials)", file=sys.stderr, flush=True)
    print_tables(rows, args.marks, args.problem)
    report = [asdict(r) for r in rows]
    if args.out:
        args.out.write_text(json.dumps({"marks": args.marks, "rows": report}, indent=1))
    return report


if __name__ == "__main__":
    main()
