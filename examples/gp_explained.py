"""Bayesian optimization, one step at a time: the seminar's pictures of a Gaussian process.

A 1-D "metric" with two bumps is maximized by ``GPSampler``. Before each of four successive
trials, the script saves the picture the sampler decides from: the observations, the GP's
posterior mean with a ±2σ band and a few sample paths, and under it the acquisition function
(expected improvement) whose maximum becomes the next trial. From one picture to the next the
band collapses where points were taken, and the acquisition moves on to where the metric may
still be better: exploitation (good μ) against exploration (large σ).

Run::

    python examples/gp_explained.py --out gp_explained/

and open ``gp_explained/iteration_1.png`` … ``iteration_4.png``. Needs matplotlib
(``pip install podbor[plot]``).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import podbor
from podbor.samplers import GPSampler


def metric(x: float) -> float:
    """A smooth "validation metric" with a broad local maximum and a sharper global one."""
    return -math.sin(3.0 * x) - x * x + 0.7 * x


def objective(trial: podbor.trial.BaseTrial) -> float:
    return metric(trial.suggest_float("x", -1.0, 2.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="gp_explained", help="folder for the PNG files")
    parser.add_argument("--iterations", type=int, default=4, help="number of pictures")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    from podbor.visualization.matplotlib import plot_gp

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sampler = GPSampler(seed=3, n_startup_trials=3, acquisition="ei", deterministic_objective=True)
    study = podbor.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=3)  # random startup points

    for i in range(1, args.iterations + 1):
        top, _ = plot_gp(study, "x", n_samples=3)
        top.set_title(f"Iteration {i}: GP after {len(study.trials)} trials; ▼ marks the next trial")
        path = out / f"iteration_{i}.png"
        top.figure.tight_layout()
        top.figure.savefig(path, dpi=110)
        plt.close(top.figure)
        study.optimize(objective, n_trials=1)
        x = study.trials[-1].params["x"]
        print(f"Saved {path}; the next trial took x = {x:.4f}, metric = {metric(x):.4f}")

    print(f"Best value: {study.best_value:.4f}")
    print(f"Best parameter: {study.best_params}")


if __name__ == "__main__":
    main()
