"""Tune an ``SGDClassifier`` on scikit-learn's digits with ``OptunaSearchCV``, pruning by ``partial_fit``.

``OptunaSearchCV`` has optuna-integration's interface (``from optuna.integration import
OptunaSearchCV`` becomes ``from podbor.integration import OptunaSearchCV``). With
``enable_pruning=True`` each trial trains one model per fold by ``partial_fit``, one pass per
step, and reports the mean validation accuracy after every pass; the study's MedianPruner stops
configurations (a too-strong regularisation ``alpha``, a poor loss) that fall behind the earlier
trials. The search runs on the training split; the refitted best model is scored on a held-out
test split.

    python examples/sklearn_search_cv.py [--n-trials 30] [--max-iter 20]
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.integration import OptunaSearchCV


def main(argv: list[str] | None = None) -> OptunaSearchCV:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--max-iter", type=int, default=20, help="partial_fit passes per trial")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    study = podbor.create_study(
        direction="maximize",
        sampler=podbor.samplers.TPESampler(seed=0),
        pruner=podbor.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
    )
    search = OptunaSearchCV(
        SGDClassifier(random_state=0),
        {
            "alpha": FloatDistribution(1e-6, 1e1, log=True),
            "loss": CategoricalDistribution(["hinge", "log_loss", "modified_huber"]),
            "penalty": CategoricalDistribution(["l2", "l1", "elasticnet"]),
        },
        cv=3,
        enable_pruning=True,
        max_iter=args.max_iter,
        n_trials=args.n_trials,
        study=study,
    )
    search.fit(X_train, y_train)

    states = [t.state for t in search.trials_]
    n_pruned = states.count(podbor.trial.TrialState.PRUNED)
    n_complete = states.count(podbor.trial.TrialState.COMPLETE)
    print(f"Trials: {len(states)} ({n_complete} complete, {n_pruned} pruned)")
    print(f"Best value: {search.best_score_:.4f}")
    print(f"Best parameters: {search.best_params_}")
    print(f"Test accuracy of the refitted best model: {search.score(X_test, y_test):.4f}")
    return search


if __name__ == "__main__":
    main()
