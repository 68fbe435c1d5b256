"""Tune CatBoost on scikit-learn's breast_cancer, pruning trials whose validation AUC lags behind.

Each trial fits a ``CatBoostClassifier``; ``CatBoostPruningCallback`` reports the validation AUC
after every boosting round and a MedianPruner judges it against the earlier trials at the same
round. CatBoost does not let a callback raise, so the callback stops the fit and
``check_pruned()``, called right after ``fit``, marks the trial as pruned. The objective is the
final validation AUC.

    python examples/catboost_pruning.py [--n-trials 30] [--rounds 100] [--seed 0]
"""

from __future__ import annotations

import argparse

import catboost as cb
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import podbor
from podbor.integration.catboost import CatBoostPruningCallback


def make_objective(rounds: int, seed: int):  # type: ignore[no-untyped-def]
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )

    def objective(trial: podbor.trial.BaseTrial) -> float:
        model = cb.CatBoostClassifier(
            iterations=rounds,
            learning_rate=trial.suggest_float("learning_rate", 1e-3, 0.5, log=True),
            depth=trial.suggest_int("depth", 2, 6),
            l2_leaf_reg=trial.suggest_float("l2_leaf_reg", 0.1, 30.0, log=True),
            bootstrap_type=trial.suggest_categorical("bootstrap_type", ["Bayesian", "Bernoulli"]),
            eval_metric="AUC",
            thread_count=1,
            random_seed=seed,
            verbose=0,
            allow_writing_files=False,
        )
        callback = CatBoostPruningCallback(trial, "AUC")
        model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], callbacks=[callback])
        callback.check_pruned()  # raises TrialPruned if the pruner stopped the fit
        return float(roc_auc_score(y_valid, model.predict_proba(X_valid)[:, 1]))

    return objective


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=100, help="boosting rounds per trial")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study = podbor.create_study(
        direction="maximize",
        sampler=podbor.samplers.TPESampler(seed=args.seed),
        pruner=podbor.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10),
    )
    study.optimize(make_objective(args.rounds, args.seed), n_trials=args.n_trials)

    pruned = [t for t in study.trials if t.state == podbor.trial.TrialState.PRUNED]
    print(f"Best value: {study.best_value:.6f}")
    print(f"Best parameters: {study.best_params}")
    print(f"Pruned trials: {len(pruned)} of {len(study.trials)}")
    return study


if __name__ == "__main__":
    main()
