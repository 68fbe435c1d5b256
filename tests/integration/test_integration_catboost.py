"""CatBoostPruningCallback with CatBoost's scikit-learn style fit, and its example.

Skipped without CatBoost, except under CI. Trainings are real but tiny: breast_cancer, one
thread, shallow trees, a few dozen rounds.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.pruners import BasePruner, MedianPruner
from podbor.trial import FixedTrial, FrozenTrial, TrialState

if importlib.util.find_spec("catboost") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("CatBoost must be installed under CI=true (make test installs it)")
    pytest.skip("CatBoost is not installed", allow_module_level=True)

import catboost as cb
from sklearn.datasets import load_breast_cancer

from podbor.integration.catboost import CatBoostPruningCallback

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catboost_pruning.py"


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


def fit(
    callback: CatBoostPruningCallback,
    data: tuple[np.ndarray, np.ndarray],
    *,
    rounds: int = 5,
    n_eval_sets: int = 1,
    **params: Any,
) -> int:
    """Fit a classifier with the callback on breast_cancer; return the number of trees built."""
    X, y = data
    model = cb.CatBoostClassifier(
        iterations=rounds,
        depth=3,
        eval_metric="AUC",
        custom_metric=["Accuracy"],
        thread_count=1,
        random_seed=0,
        verbose=0,
        allow_writing_files=False,
        use_best_model=False,  # keep every tree built, to count the rounds that ran
        **params,
    )
    model.fit(
        X[:400],
        y[:400],
        eval_set=[(X[400:], y[400:])] * n_eval_sets if n_eval_sets else None,
        callbacks=[callback],
    )
    return int(model.tree_count_)


def info(iteration: int, **metrics: dict[str, list[float]]) -> types.SimpleNamespace:
    """What CatBoost hands to ``after_iteration``: the 1-based round and the metric histories."""
    return types.SimpleNamespace(
        iteration=iteration, metrics={"learn": {"Logloss": [1.0]}, **metrics}
    )


# -- the callback on CatBoost's evaluation log ----------------------------------------------------
def test_reports_the_last_score_stops_and_check_pruned_raises() -> None:
    study = podbor.create_study(pruner=FixedAnswerPruner(False))
    callback = CatBoostPruningCallback(study.ask(), "Logloss")
    assert callback.after_iteration(info(2, validation={"Logloss": [0.9, 0.6]})) is True
    callback.check_pruned()
    assert study.trials[0].intermediate_values == {1: 0.6}  # CatBoost counts rounds from 1

    study = podbor.create_study(pruner=FixedAnswerPruner(True))
    callback = CatBoostPruningCallback(study.ask(), "Logloss")
    assert callback.after_iteration(info(2, validation={"Logloss": [0.9, 0.6]})) is False
    with pytest.raises(podbor.TrialPruned, match="iteration 1"):
        callback.check_pruned()


@pytest.mark.parametrize(
    ("index", "metrics"),
    [
        (None, {"validation": {"AUC": [0.8]}}),
        (0, {"validation": {"AUC": [0.8]}}),  # one eval_set: index 0 reads it as well
        (0, {"validation_0": {"AUC": [0.8]}, "validation_1": {"AUC": [0.1]}}),
        (1, {"validation_0": {"AUC": [0.1]}, "validation_1": {"AUC": [0.8]}}),
    ],
)
def test_eval_set_index_picks_the_data_set(index: int | None, metrics: dict[str, Any]) -> None:
    study = podbor.create_study(direction="maximize")
    callback = CatBoostPruningCallback(study.ask(), "AUC", eval_set_index=index)
    assert callback.after_iteration(info(1, **metrics))
    assert study.trials[0].intermediate_values == {0: 0.8}


# -- real trainings -------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["AUC", "Accuracy"])
@pytest.mark.parametrize("index", [None, 0, 1])
def test_pruned_at_the_first_round_or_completes(
    data: tuple[np.ndarray, np.ndarray], metric: str, index: int | None
) -> None:
    n_eval_sets = 1 if index is None else 2

    def objective(trial: podbor.trial.BaseTrial) -> float:
        callback = CatBoostPruningCallback(trial, metric, index)
        trees = fit(callback, data, n_eval_sets=n_eval_sets)
        callback.check_pruned()
        return float(trees)

    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(True))
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]

    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(False))
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.COMPLETE
    assert study.trials[0].value == 5.0
    assert list(study.trials[0].intermediate_values) == [0, 1, 2, 3, 4]


def test_a_median_pruner_stops_a_bad_trial_early(data: tuple[np.ndarray, np.ndarray]) -> None:
    budget = 30
    trees: list[int] = []

    def objective(trial: podbor.trial.BaseTrial) -> float:
        lr = trial.suggest_float("learning_rate", 1e-4, 0.5, log=True)
        callback = CatBoostPruningCallback(trial, "Logloss")
        trees.append(fit(callback, data, rounds=budget, learning_rate=lr))
        callback.check_pruned()
        return float(trees[-1])

    study = podbor.create_study(pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=3))
    for lr in (0.3, 0.2, 0.0005):  # two good trials, then a learning rate far too small
        study.enqueue_trial({"learning_rate": lr})
    study.optimize(objective, n_trials=3)
    good, _, bad = study.trials
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == budget
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) == 3 < budget - 1  # the first step after the warm-up
    assert trees == [budget, budget, 4]  # CatBoost stopped boosting when the pruner said so


def test_a_fixed_trial_trains_to_the_end(data: tuple[np.ndarray, np.ndarray]) -> None:
    callback = CatBoostPruningCallback(FixedTrial({}), "AUC")
    assert fit(callback, data, rounds=6) == 6
    callback.check_pruned()


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "n_eval_sets", "name", "listed"),
    [
        ({"metric": "F1"}, 1, "metric", "'AUC', 'Accuracy', 'Logloss'"),
        ({"metric": "AUC"}, 2, "eval_set_index", "'0', '1'. Got None"),
        ({"metric": "AUC", "eval_set_index": 2}, 2, "eval_set_index", "'0', '1'. Got 2"),
        ({"metric": "AUC", "eval_set_index": 1}, 1, "eval_set_index", "'0', 'None'. Got 1"),
        ({"metric": "AUC"}, 0, "eval_set_index", "evaluates none: pass eval_set= to fit"),
    ],
)
def test_unknown_names_stop_the_fit_with_the_argument_and_the_choices(
    data: tuple[np.ndarray, np.ndarray],
    args: dict[str, Any],
    n_eval_sets: int,
    name: str,
    listed: str,
) -> None:
    # CatBoost re-raises what a callback raises as its CatBoostError, with the message inside
    callback = CatBoostPruningCallback(podbor.create_study().ask(), **args)
    with pytest.raises(
        cb.CatBoostError, match=f"'{name}' parameter of CatBoostPruningCallback"
    ) as err:
        fit(callback, data, n_eval_sets=n_eval_sets)
    assert listed in str(err.value)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"metric": ""}, ValueError),
        ({"metric": None}, TypeError),
        ({"metric": "AUC", "eval_set_index": -1}, ValueError),
        ({"metric": "AUC", "eval_set_index": "0"}, TypeError),
        ({"metric": "AUC", "eval_set_index": True}, TypeError),
    ],
)
def test_bad_arguments_fail_at_construction(args: dict[str, Any], error: type[Exception]) -> None:
    name = "eval_set_index" if "eval_set_index" in args else "metric"
    with pytest.raises(error, match=f"'{name}'"):
        CatBoostPruningCallback(FixedTrial({}), **args)


def test_a_multi_objective_trial_is_refused() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'trial'.*2 objectives"):
        CatBoostPruningCallback(study.ask(), "Logloss")


def test_without_catboost_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "catboost", None)  # makes `import catboost` fail
    with pytest.raises(ImportError, match=re.escape("pip install podbor[catboost]")):
        CatBoostPruningCallback(FixedTrial({}), "Logloss")


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
