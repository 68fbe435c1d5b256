"""Stop a study by itself once more trials cannot beat the noise of cross-validation.

A support-vector classifier is tuned on scikit-learn's wine dataset. Each trial scores its
configuration by 5-fold cross-validation, reports the five fold scores with
``report_cross_validation_scores`` and returns their mean. ``TerminatorCallback`` (with the
default ``Terminator``: a Gaussian-process bound of the regret against the cross-validation error
of the best trial, judged from the 20th trial on) stops the study once the room left for
improvement is smaller than that error, usually well before the trial budget runs out.

    python examples/terminator.py [--n-trials 100] [--seed 0]
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_wine
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import podbor
from podbor.terminator import TerminatorCallback, report_cross_validation_scores


def make_objective(seed: int):  # type: ignore[no-untyped-def]
    X, y = load_wine(return_X_y=True)
    folds = KFold(n_splits=5, shuffle=True, random_state=seed)

    def objective(trial: podbor.trial.BaseTrial) -> float:
        model = make_pipeline(
            StandardScaler(),
            SVC(
                C=trial.suggest_float("C", 1e-3, 1e3, log=True),
                gamma=trial.suggest_float("gamma", 1e-4, 1e1, log=True),
            ),
        )
        scores = cross_val_score(model, X, y, cv=folds)
        report_cross_validation_scores(trial, scores)
        return float(scores.mean())

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=100, help="the trial budget")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study = podbor.create_study(
        direction="maximize", sampler=podbor.samplers.TPESampler(seed=args.seed)
    )
    study.optimize(
        make_objective(args.seed), n_trials=args.n_trials, callbacks=[TerminatorCallback()]
    )
    n_run = len(study.trials)
    if n_run < args.n_trials:
        print(f"The terminator stopped the study after {n_run} of {args.n_trials} trials.")
    else:
        print(f"The study ran all {n_run} trials; the terminator did not stop it.")
    print(f"Best value: {study.best_value:.4f}")
    print(f"Best parameters: {study.best_params}")


if __name__ == "__main__":
    main()
