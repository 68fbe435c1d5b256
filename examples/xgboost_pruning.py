"""Tune XGBoost on scikit-learn's breast_cancer, pruning trials whose validation AUC lags behind.

Each trial trains a booster with ``xgboost.train``; ``XGBoostPruningCallback`` reports the
validation AUC (the key ``"validation-auc"``: data name, dash, metric) after every boosting round
and a MedianPruner stops the trials that fall below the median of the earlier ones at the same
round. The objective is the final validation AUC.

    python examples/xgboost_pruning.py [--n-trials 40] [--rounds 100] [--seed 0]
"""

from __future__ import annotations

import argparse

import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import podbor
from podbor.integration.xgboost import XGBoostPruningCallback


def make_objective(rounds: int, seed: int):  # type: ignore[no-untyped-def]
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    train_set = xgb.DMatrix(X_train, label=y_train)
    valid_set = xgb.DMatrix(X_valid, label=y_valid)

    def objective(trial: podbor.trial.BaseTrial) -> float:
        params = {
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "nthread": 1,
            "seed": seed,
            "eta": trial.suggest_float("eta", 1e-3, 0.5, log=True),
            "max_depth": trial.suggest_int("max_depth", 1, 8),
            "min_child_weight": trial.suggest_float("min_child_weight", 0.1, 10.0, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "lambda": trial.suggest_float("lambda", 1e-8, 10.0, log=True),
        }
        booster = xgb.train(
            params,
            train_set,
            num_boost_round=rounds,
            evals=[(valid_set, "validation")],
            verbose_eval=False,
            callbacks=[XGBoostPruningCallback(trial, "validation-auc")],
        )
        return float(roc_auc_score(y_valid, booster.predict(valid_set)))

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
