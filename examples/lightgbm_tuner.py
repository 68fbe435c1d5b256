"""Tune LightGBM stepwise with podbor's LightGBMTuner (optuna-integration's API, unchanged).

The breast-cancer data are split into train, validation and test parts. ``LightGBMTuner`` tunes
``feature_fraction``, ``num_leaves``, the bagging parameters, ``feature_fraction`` again, the L1
and L2 penalties and ``min_child_samples`` one stage after the other, scoring each training by
its validation log loss (with early stopping). The best booster is then scored on the test part,
which the search never saw. ``--cv`` tunes with 5-fold cross-validation (``LightGBMTunerCV``)
on the diabetes regression data instead.

    python examples/lightgbm_tuner.py [--num-boost-round 50] [--time-budget SECONDS] [--cv]
"""

from __future__ import annotations

import argparse
from collections import Counter

import lightgbm as lgb
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.model_selection import train_test_split

import podbor
from podbor.integration.lightgbm import LightGBMTuner, LightGBMTunerCV


def tune_holdout(num_boost_round: int, time_budget: float | None, seed: int) -> LightGBMTuner:
    X, y = load_breast_cancer(return_X_y=True)
    X_dev, X_test, y_dev, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    X_train, X_val, y_train, y_val = train_test_split(X_dev, y_dev, random_state=seed)
    params = {
        "objective": "binary",
        "metric": "binary_logloss",
        "verbosity": -1,
        "seed": seed,
        "num_threads": 1,  # a few hundred rows: one thread is fastest
    }
    tuner = LightGBMTuner(
        params,
        lgb.Dataset(X_train, y_train),
        valid_sets=lgb.Dataset(X_val, y_val),
        num_boost_round=num_boost_round,
        callbacks=[lgb.early_stopping(10, verbose=False)],
        time_budget=time_budget,
        show_progress_bar=False,
        optuna_seed=seed,
    )
    tuner.run()
    booster = tuner.get_best_booster()
    proba = booster.predict(X_test, num_iteration=booster.best_iteration)
    test_accuracy = accuracy_score(y_test, np.asarray(proba) > 0.5)
    print(f"Trials per stage: {dict(Counter(_stage(t) for t in tuner.study.trials))}")
    print(f"Test accuracy of the best booster: {test_accuracy:.4f}")
    return tuner


def tune_cv(num_boost_round: int, time_budget: float | None, seed: int) -> LightGBMTunerCV:
    X, y = load_diabetes(return_X_y=True)
    X_dev, X_test, y_dev, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    params = {
        "objective": "regression",
        "metric": "l2",
        "verbosity": -1,
        "seed": seed,
        "num_threads": 1,
    }
    tuner = LightGBMTunerCV(
        params,
        lgb.Dataset(X_dev, y_dev),
        num_boost_round=num_boost_round,
        nfold=5,
        stratified=False,
        callbacks=[lgb.early_stopping(10, verbose=False)],
        time_budget=time_budget,
        show_progress_bar=False,
        return_cvbooster=True,
        optuna_seed=seed,
    )
    tuner.run()
    cvbooster = tuner.get_best_booster()
    best = cvbooster.best_iteration
    pred = np.mean([b.predict(X_test, num_iteration=best) for b in cvbooster.boosters], axis=0)
    print(f"Trials per stage: {dict(Counter(_stage(t) for t in tuner.study.trials))}")
    rmse = mean_squared_error(y_test, pred) ** 0.5
    print(f"Test RMSE of the fold boosters' mean: {rmse:.2f}")
    return tuner


def _stage(trial: podbor.trial.FrozenTrial) -> str:
    return str(trial.system_attrs.get("lightgbm_tuner:step_name"))


def main(argv: list[str] | None = None) -> LightGBMTuner | LightGBMTunerCV:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-boost-round", type=int, default=50)
    parser.add_argument("--time-budget", type=float, default=None, help="seconds for the run")
    parser.add_argument("--cv", action="store_true", help="LightGBMTunerCV on diabetes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    tune = tune_cv if args.cv else tune_holdout
    tuner = tune(args.num_boost_round, args.time_budget, args.seed)
    study = tuner.study
    pruned = study.get_trials(deepcopy=False, states=(podbor.trial.TrialState.PRUNED,))
    print(f"Best value: {tuner.best_score:.6f}")
    print(f"Best parameters: {tuner.best_params}")
    print(f"Pruned trials: {len(pruned)} of {len(study.trials)}")
    return tuner


if __name__ == "__main__":
    main()
