"""XGBoostPruningCallback with xgboost.train, xgboost.cv and the scikit-learn API, and its example.

Skipped without XGBoost, except under CI. Trainings are real but tiny: breast_cancer, one
thread, a few dozen rounds.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.pruners import BasePruner, MedianPruner
from podbor.trial import FixedTrial, FrozenTrial, TrialState

if importlib.util.find_spec("xgboost") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("XGBoost must be installed under CI=true (make test installs it)")
    pytest.skip("XGBoost is not installed", allow_module_level=True)

import xgboost as xgb
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer

from podbor.integration.xgboost import XGBoostPruningCallback

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xgboost_pruning.py"
PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": ["logloss", "auc"],
    "nthread": 1,
    "seed": 0,
}


class FixedAnswerPruner(BasePruner):
    """Prunes every trial at its first report, or never: the callback's plumbing in isolation."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        return self.answer


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return X, y


def train(
    trial: podbor.trial.BaseTrial,
    data: tuple[np.ndarray, np.ndarray],
    key: str = "validation-logloss",
    *,
    rounds: int = 5,
    cv: bool = False,
    params: dict[str, Any] | None = None,
) -> int:
    """Train with the callback on breast_cancer; return the number of rounds that ran."""
    X, y = data
    callback = XGBoostPruningCallback(trial, key)
    params = {**PARAMS, **(params or {})}
    if cv:
        history = xgb.cv(params, xgb.DMatrix(X, y), rounds, nfold=3, callbacks=[callback])
        return len(history)
    train_set = xgb.DMatrix(X[:400], y[:400])
    valid_set = xgb.DMatrix(X[400:], y[400:])
    booster = xgb.train(
        params,
        train_set,
        rounds,
        evals=[(train_set, "train"), (valid_set, "validation")],
        verbose_eval=False,
        callbacks=[callback],
    )
    return int(booster.num_boosted_rounds())


# -- the callback on XGBoost's evaluation log -----------------------------------------------------
@pytest.mark.parametrize(
    "log",
    [
        {"validation": {"logloss": [0.9, 0.5]}},
        {"validation": {"logloss": [(0.9, 0.1), (0.5, 0.1)]}},
    ],
)
def test_reports_the_last_score_and_prunes_when_told(log: dict[str, Any]) -> None:
    study = podbor.create_study(pruner=FixedAnswerPruner(False))
    callback = XGBoostPruningCallback(study.ask(), "validation-logloss")
    assert callback.after_iteration(None, 1, log) is False  # False: training goes on
    assert study.trials[0].intermediate_values == {1: 0.5}

    study = podbor.create_study(pruner=FixedAnswerPruner(True))
    callback = XGBoostPruningCallback(study.ask(), "validation-logloss")
    with pytest.raises(podbor.TrialPruned, match="iteration 1"):
        callback.after_iteration(None, 1, log)


def test_a_metric_name_with_a_dash_is_kept_whole() -> None:
    study = podbor.create_study(direction="maximize")
    callback = XGBoostPruningCallback(study.ask(), "eval-ndcg@3-")
    callback.after_iteration(None, 0, {"eval": {"ndcg@3-": [0.7]}})
    assert study.trials[0].intermediate_values == {0: 0.7}


# -- real trainings -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cv", "key"), [(False, "validation-logloss"), (True, "test-logloss")], ids=["train", "cv"]
)
def test_pruned_at_the_first_round_or_completes(
    data: tuple[np.ndarray, np.ndarray], cv: bool, key: str
) -> None:
    study = podbor.create_study(pruner=FixedAnswerPruner(True))
    study.optimize(lambda t: float(train(t, data, key, cv=cv)), n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]

    study = podbor.create_study(pruner=FixedAnswerPruner(False))
    study.optimize(lambda t: float(train(t, data, key, cv=cv)), n_trials=1)
    assert study.trials[0].state == TrialState.COMPLETE
    assert study.trials[0].value == 5.0
    assert list(study.trials[0].intermediate_values) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("cv", "key"), [(False, "validation-logloss"), (True, "test-logloss")], ids=["train", "cv"]
)
def test_a_median_pruner_stops_a_bad_trial_early(
    data: tuple[np.ndarray, np.ndarray], cv: bool, key: str
) -> None:
    budget = 30

    def objective(trial: podbor.trial.BaseTrial) -> float:
        eta = trial.suggest_float("eta", 1e-4, 0.5, log=True)
        return float(train(trial, data, key, rounds=budget, cv=cv, params={"eta": eta}))

    study = podbor.create_study(pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=3))
    for eta in (0.3, 0.2, 0.0005):  # two good trials, then a learning rate far too small
        study.enqueue_trial({"eta": eta})
    study.optimize(objective, n_trials=3)
    good, _, bad = study.trials
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == budget
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) == 3 < budget - 1  # the first step after the warm-up


def test_cv_reports_the_mean_over_the_folds(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    study = podbor.create_study(direction="maximize")
    callback = XGBoostPruningCallback(study.ask(), "test-auc")
    history = xgb.cv(PARAMS, xgb.DMatrix(X, y), 4, nfold=3, seed=1, callbacks=[callback])
    reported = [study.trials[0].intermediate_values[step] for step in range(4)]
    assert reported == pytest.approx(list(history["test-auc-mean"]))


def test_the_sklearn_api_and_clone_report_to_the_same_trial(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = data
    study = podbor.create_study()
    trial = study.ask()
    callback = XGBoostPruningCallback(trial, "validation_0-logloss")
    model = xgb.XGBClassifier(n_estimators=4, n_jobs=1, eval_metric="logloss", callbacks=[callback])
    clone(model).fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)
    assert list(study.trials[0].intermediate_values) == [0, 1, 2, 3]
    assert copy.deepcopy(callback)._trial is trial


def test_a_fixed_trial_trains_to_the_end(data: tuple[np.ndarray, np.ndarray]) -> None:
    assert train(FixedTrial({}), data, "validation-auc", rounds=6) == 6


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cv", "key", "listed"),
    [
        (
            False,
            "valid-logloss",
            "'train-auc', 'train-logloss', 'validation-auc', 'validation-logloss'",
        ),
        (False, "validation-error", "'validation-auc', 'validation-logloss'"),
        (True, "validation-logloss", "'test-auc', 'test-logloss', 'train-auc', 'train-logloss'"),
    ],
)
def test_an_unknown_key_names_the_argument_and_the_keys(
    data: tuple[np.ndarray, np.ndarray], cv: bool, key: str, listed: str
) -> None:
    study = podbor.create_study()
    with pytest.raises(ValueError, match="'observation_key'") as info:
        train(study.ask(), data, key, cv=cv)
    assert listed in str(info.value)
    assert repr(key) in str(info.value)


def test_no_evaluation_data_says_where_to_give_it(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    callback = XGBoostPruningCallback(podbor.create_study().ask(), "validation-logloss")
    with pytest.raises(ValueError, match=r"'observation_key'.*evals=.*\(none reported\)"):
        xgb.train(PARAMS, xgb.DMatrix(X, y), 2, callbacks=[callback])


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("logloss", ValueError),
        ("-logloss", ValueError),
        ("validation-", ValueError),
        (3, TypeError),
    ],
)
def test_a_key_without_data_and_metric_fails_at_construction(
    key: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"'observation_key'.*'<data>-<metric>'"):
        XGBoostPruningCallback(FixedTrial({}), key)


def test_a_multi_objective_trial_is_refused() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'trial'.*2 objectives"):
        XGBoostPruningCallback(study.ask(), "validation-logloss")


def test_without_xgboost_the_import_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xgboost", None)  # makes `import xgboost` fail
    monkeypatch.delitem(sys.modules, "podbor.integration.xgboost")
    with pytest.raises(ImportError, match=re.escape("pip install podbor[xgboost]")):
        importlib.import_module("podbor.integration.xgboost")


# -- the example ----------------------------------------------------------------------------------
def test_the_example_tunes_and_prunes() -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--n-trials", "6", "--rounds", "40"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    best = re.search(r"^Best value: (\S+)$", run.stdout, re.MULTILINE)
    assert best is not None, run.stdout
    assert 0.9 < float(best.group(1)) <= 1.0  # validation AUC on breast_cancer
    assert re.search(r"^Best parameters: \{.+\}$", run.stdout, re.MULTILINE)
    assert re.search(r"^Pruned trials: \d+ of 6$", run.stdout, re.MULTILINE)
