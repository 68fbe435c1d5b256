"""Two objectives under two constraints, optimized with BoTorchSampler (BoTorch's qEHVI).

Binh and Korn's test problem (BNH): minimize ``f1 = 4x² + 4y²`` and ``f2 = (x - 5)² + (y - 5)²``
over ``0 <= x <= 5``, ``0 <= y <= 3``, subject to ``(x - 5)² + y² <= 25`` and
``(x - 8)² + (y + 3)² >= 7.7``. The constraints are recorded with ``Trial.set_constraint``
(feasible where the value is <= 0). After a few random trials, BoTorchSampler fits one GP output
per objective and per constraint and proposes the point of largest expected hypervolume
improvement of the feasible Pareto front; the script prints that front.

    python examples/botorch_sampler.py [--n-trials 16] [--n-startup-trials 8] [--seed 0]
"""

from __future__ import annotations

import argparse

import podbor
from podbor.integration.botorch import BoTorchSampler


def objective(trial: podbor.trial.BaseTrial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 5.0)
    y = trial.suggest_float("y", 0.0, 3.0)
    trial.set_constraint("inside_circle", (x - 5) ** 2 + y**2 - 25)
    trial.set_constraint("outside_circle", 7.7 - (x - 8) ** 2 - (y + 3) ** 2)
    return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=16)
    parser.add_argument("--n-startup-trials", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    sampler = BoTorchSampler(n_startup_trials=args.n_startup_trials, seed=args.seed)
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=args.n_trials)

    feasible = sum(all(v <= 0 for v in t.constraints.values()) for t in study.trials)
    print(f"Trials: {len(study.trials)}, feasible: {feasible}")
    print(f"Pareto front ({len(study.best_trials)} trials):")
    for trial in sorted(study.best_trials, key=lambda t: t.values[0]):
        f1, f2 = trial.values
        x, y = trial.params["x"], trial.params["y"]
        print(f"  trial {trial.number}: f1={f1:.3f} f2={f2:.3f} (x={x:.3f}, y={y:.3f})")
    return study


if __name__ == "__main__":
    main()
