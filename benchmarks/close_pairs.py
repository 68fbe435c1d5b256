"""Do close pairs of trials tell a noisy objective from a rugged deterministic one?

Issue 24, point 3: the default sampler's trust region and output warping win on deterministic
objectives and lose under noise, and the GP's learned noise cannot tell the two apart (a rugged
objective that 60 trials cannot resolve also looks noisy to it). Late in a study the default
proposes points close to its best ones; two close points of a deterministic objective differ by
about ``gradient x distance``, of a noisy one by about ``sqrt(2) x noise`` whatever the distance.

For every run of the default sampler (``AutoSampler(seed=seed)``, as ``create_study()`` builds
it, seeded) on the problems of ``noisy.py`` with no noise and with its noise levels, this script
takes the pairs of COMPLETE trials whose encoded parameters (podbor's unit-cube encoding; a
pair must agree on every categorical) lie within an RMS distance ``--delta`` of each other and
prints (with the test the default sampler itself runs, ``samplers/_gp/noise_evidence.py``) the
median of their ``|y_i - y_j|`` over the standard deviation of all the run's values,
after ``--at`` trials: its median over seeds, its range, and the seeds with at least 3 such
pairs (fewer are not counted)::

    benchmarks/.venv/bin/python benchmarks/close_pairs.py --seeds 5 --jobs 2
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import noisy
import numpy as np
import problems as problems_mod

import podbor
from podbor._search_space import SearchSpaceEncoder
from podbor.samplers._gp import noise_evidence

PROBLEMS = ("branin", "hartmann6", "levy6", "log_scale", "mixed", "styblinski_tang8")
NOISE = (0.0, 0.01, 0.05, 0.2)


def run(task: tuple[str, float, int, int]) -> tuple[str, float, int, list[Any]]:
    """One seeded study of the default sampler: its COMPLETE trials in order."""
    name, noise, seed, n_trials = task
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    problem = problems_mod.PROBLEMS[name]
    objective = problem.objective
    if noise > 0:
        objective = noisy._Noisy(objective, noise * noisy.noise_scale(name), seed)
    study = podbor.create_study(
        direction=problem.direction, sampler=podbor.samplers.AutoSampler(seed=seed)
    )
    study.optimize(objective, n_trials=n_trials)
    return name, noise, seed, [t for t in study.trials if t.value is not None]


def close_pair_ratio(trials: Sequence[Any], delta: float) -> tuple[float, int]:
    """The default's own test statistic on ``trials`` (``noise_evidence.close_pair_ratio``):
    median ``|dy|`` of the pairs within ``delta`` over ``std(y)``, and how many pairs. The trials
    are encoded as the GP encodes them; only those holding every parameter count."""
    distributions = {n: d for t in trials for n, d in t.distributions.items()}
    trials = [t for t in trials if set(t.params) == set(distributions)]
    if not trials:
        return float("nan"), 0
    encoder = SearchSpaceEncoder(distributions)
    x = encoder.encode(
        [{n: d.to_internal_repr(t.params[n]) for n, d in distributions.items()} for t in trials]
    )
    y = np.array([t.value for t in trials])
    return noise_evidence.close_pair_ratio(x, y, encoder.is_categorical, close=delta)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--at", type=int, nargs="+", default=[40, 60])
    parser.add_argument("--delta", type=float, default=0.03)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.trials < 4 or not 0 < args.delta < 1:
        parser.error("--seeds must be >= 1, --trials >= 4 and --delta in (0, 1)")
    tasks = [
        (p, n, s, args.trials) for p in args.problems for n in NOISE for s in range(args.seeds)
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(run, tasks))
    for at in args.at:
        print(
            f"\nafter {at} trials, pairs within RMS distance {args.delta}: median |dy| / std(y) "
            f"over seeds [min-max], seeds with >= 3 pairs"
        )
        print("| problem | " + " | ".join(f"noise {n:g}" for n in NOISE) + " |")
        print("|---|" + "---|" * len(NOISE))
        for p in args.problems:
            cells = []
            for n in NOISE:
                found = [close_pair_ratio(r[3][:at], args.delta) for r in runs if r[:2] == (p, n)]
                kept = [v for v, k in found if k >= 3 and np.isfinite(v)]
                cells.append(
                    "–"
                    if not kept
                    else f"{np.median(kept):.3f} [{min(kept):.3f}–{max(kept):.3f}] "
                    f"{len(kept)}/{len(found)}"
                )
            print(f"| `{p}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
