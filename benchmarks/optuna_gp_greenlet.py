"""Optuna's GPSampler with and without greenlet: how much the peer's time depends on it.

Optuna 5's ``GPSampler`` refines its acquisition's starts as one batch of L-BFGS-B runs when the
``greenlet`` package can be imported, and one after another (with a warning) when it cannot.
Optuna does not require greenlet, so whether a user has it depends on what else is installed
(SQLAlchemy 2.0 brought it along on common platforms, 2.1 does not). This script times the same
seeded studies both ways, each in a fresh process (PyTorch imported before the clock starts); "without" hides an installed greenlet from
that process (``sys.modules["greenlet"] = None`` before Optuna is imported), so one environment
with greenlet measures both. It prints milliseconds per trial (``study.optimize`` wall time over
the trials), the ratio, and each run's best value (the two paths differ in rounding only)::

    benchmarks/.venv/bin/python benchmarks/optuna_gp_greenlet.py
    benchmarks/.venv/bin/python benchmarks/optuna_gp_greenlet.py --problems branin --trials 30
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_PROBLEMS = ("branin:60", "hartmann6:60", "hartmann6_in20:150")

_CHILD = """
import json, sys, time, warnings
if {hide}:
    sys.modules["greenlet"] = None  # the import fails as if greenlet were not installed
sys.path.insert(0, {here!r})
import optuna
import torch  # imported before the clock starts (Optuna's GP would import it on its first trial)
from optuna._gp import batched_lbfgsb
import problems
optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")
problem = problems.PROBLEMS[{name!r}]
study = optuna.create_study(
    sampler=optuna.samplers.GPSampler(seed={seed}), direction=problem.direction
)
start = time.perf_counter()
study.optimize(problem.objective, n_trials={trials})
seconds = time.perf_counter() - start
print(json.dumps({{"greenlet": batched_lbfgsb._greenlet_imports.is_successful(),
                   "seconds": seconds, "best": study.best_value}}))
"""


def run_child(name: str, trials: int, seed: int, hide: bool) -> dict[str, Any]:
    """One seeded study of Optuna's GPSampler in a fresh interpreter."""
    code = _CHILD.format(hide=hide, here=str(HERE), name=name, seed=seed, trials=trials)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(
            f"the study of {name!r} (seed {seed}, greenlet {'hidden' if hide else 'on'}) failed:\n"
            + done.stderr.strip()[-2000:]
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--problems",
        nargs="+",
        default=list(DEFAULT_PROBLEMS),
        help="NAME or NAME:TRIALS (problems of problems.py); TRIALS defaults to --trials",
    )
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args(argv)
    if args.trials < 1 or args.seeds < 1:
        parser.error(f"--trials and --seeds must be at least 1, got {args.trials}, {args.seeds}")
    return args


def missing_packages() -> list[str]:
    """The packages this script needs that the environment lacks (Optuna's GP needs PyTorch)."""
    return [m for m in ("optuna", "torch", "greenlet") if importlib.util.find_spec(m) is None]


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    missing = missing_packages()
    if missing:
        raise SystemExit(
            f"optuna_gp_greenlet.py times Optuna's GPSampler with and without greenlet; "
            f"missing here: {', '.join(missing)} (pip install {' '.join(missing)})"
        )
    sys.path.insert(0, str(HERE))
    import problems as problems_mod

    rows = []
    for spec in args.problems:
        name, _, count = spec.partition(":")
        if name not in problems_mod.PROBLEMS:
            raise SystemExit(f"unknown problem {name!r}; known: {', '.join(problems_mod.PROBLEMS)}")
        trials = int(count) if count else args.trials
        runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for seed in range(args.seeds):
            for hide in (False, True):
                runs[hide].append(run_child(name, trials, seed, hide))
        with_ms = statistics.median(1000 * r["seconds"] / trials for r in runs[False])
        without_ms = statistics.median(1000 * r["seconds"] / trials for r in runs[True])
        rows.append(
            {
                "problem": name,
                "trials": trials,
                "with_ms": with_ms,
                "without_ms": without_ms,
                "best_with": [r["best"] for r in runs[False]],
                "best_without": [r["best"] for r in runs[True]],
            }
        )
    print(f"Optuna GPSampler, {args.seeds} seed(s): median ms per trial")
    print("| problem, trials | with greenlet | without | factor | best values with / without |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        bests = ", ".join(
            f"{a:.4g} / {b:.4g}" for a, b in zip(r["best_with"], r["best_without"], strict=True)
        )
        print(
            f"| `{r['problem']}`, {r['trials']} | {r['with_ms']:.0f} | {r['without_ms']:.0f} "
            f"| {r['without_ms'] / r['with_ms']:.2f} | {bests} |"
        )
    return rows


if __name__ == "__main__":
    main()
