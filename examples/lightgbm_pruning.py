"""Tune LightGBM on scikit-learn's breast_cancer, pruning trials whose validation AUC lags behind.

Each trial trains a booster with ``lightgbm.train``; ``LightGBMPruningCallback`` reports the
validation AUC after every boosting round and a MedianPruner stops the trials that fall below the
median of the earlier ones at the same round. The objective is the final validation AUC.

    python examples/lightgbm_pruning.py [--n-trials 40] [--rounds 100] [--seed 0]
"""

from __future__ import annotations

import argparse

import lightgbm as lgb
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import podbor
from podbor.integration.lightgbm import LightGBMPruningCallback


def make_objective(rounds: int, seed: int):  # type: ignore[no-untyped-def]
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )

    def objective(trial: podbor.trial.BaseTrial) -> float:
        params = {
            "objective": "binary",
            "metric": "auc",
            "verbosity": -1,
            "num_threads": 1,
            "seed": seed,
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 64, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 5, 50),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True),
        }
        train_set = lgb.Dataset(X_train, y_train)
        valid_set = lgb.Dataset(X_valid, y_valid, reference=train_set)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=rounds,
            valid_sets=[valid_set],  # named "valid_0", the callback's default
            callbacks=[LightGBMPruningCallback(trial, "auc")],
        )
        return float(roc_auc_score(y_valid, booster.predict(X_valid)))

    return objective


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=40)
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
