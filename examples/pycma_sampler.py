"""Tune an RBF support vector machine on breast_cancer with pycma's CMA-ES (PyCmaSampler).

``PyCmaSampler`` runs the ``cma`` package's CMA-ES (pip install 'podbor[cma]') over the two
log-scaled hyper-parameters, C and gamma, starting from scikit-learn's defaults (``x0``) with a
standard deviation of one unit of natural log (``sigma0``): CMA-ES moves its Gaussian towards
the better trials, generation by generation. The objective is the 3-fold cross-validated
accuracy; the same budget of random search is printed for comparison.

    python examples/pycma_sampler.py [--n-trials 60] [--seed 0]
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import podbor
from podbor.integration import PyCmaSampler


def make_objective():  # type: ignore[no-untyped-def]
    X, y = load_breast_cancer(return_X_y=True)

    def objective(trial: podbor.trial.BaseTrial) -> float:
        C = trial.suggest_float("C", 1e-3, 1e3, log=True)
        gamma = trial.suggest_float("gamma", 1e-5, 1.0, log=True)
        model = make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))
        return float(cross_val_score(model, X, y, cv=3).mean())

    return objective


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    objective = make_objective()
    # scikit-learn's defaults: C=1 and gamma='scale' (1 / (30 features x unit variance))
    sampler = PyCmaSampler(x0={"C": 1.0, "gamma": 1.0 / 30.0}, sigma0=1.0, seed=args.seed)
    study = podbor.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=args.n_trials)

    random = podbor.create_study(
        direction="maximize", sampler=podbor.samplers.RandomSampler(seed=args.seed)
    )
    random.optimize(objective, n_trials=args.n_trials)

    print(f"Best value: {study.best_value:.6f}")
    print(f"Best parameters: {study.best_params}")
    print(f"Random search, the same {args.n_trials} trials: {random.best_value:.6f}")
    return study


if __name__ == "__main__":
    main()
