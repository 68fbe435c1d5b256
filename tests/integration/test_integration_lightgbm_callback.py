"""LightGBMPruningCallback with lightgbm.train, lightgbm.cv and the scikit-learn API, and its example.

Skipped without LightGBM, except under CI. Trainings are real but tiny: breast_cancer, one
thread, a few dozen rounds.
"""

from __future__ import annotations

import importlib.util
import inspect
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

if importlib.util.find_spec("lightgbm") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("LightGBM must be installed under CI=true (make test installs it)")
    pytest.skip("LightGBM is not installed", allow_module_level=True)

import lightgbm as lgb
from sklearn.datasets import load_breast_cancer

from podbor.integration.lightgbm import LightGBMPruningCallback

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lightgbm_pruning.py"
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": ["binary_logloss", "auc"],
    "verbosity": -1,
    "num_threads": 1,
    "deterministic": True,
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
    *,
    rounds: int = 5,
    cv: bool = False,
    params: dict[str, Any] | None = None,
    valid_names: list[str] | None = None,
    **callback_args: Any,
) -> int:
    """Train with the callback on breast_cancer; return the number of rounds that ran."""
    X, y = data
    callback_args.setdefault("metric", "binary_logloss")
    callback = LightGBMPruningCallback(trial, **callback_args)
    params = {**PARAMS, **(params or {})}
    if cv:
        result = lgb.cv(params, lgb.Dataset(X, y), rounds, nfold=3, callbacks=[callback])
        return len(next(iter(result.values())))
    train_set = lgb.Dataset(X[:400], y[:400])
    valid_set = lgb.Dataset(X[400:], y[400:], reference=train_set)
    booster = lgb.train(
        params,
        train_set,
        rounds,
        valid_sets=[valid_set],
        valid_names=valid_names,
        callbacks=[callback],
    )
    return int(booster.current_iteration())


def env(results: list[tuple[Any, ...]], iteration: int = 0) -> Any:
    return lgb.callback.CallbackEnv(
        model=None,
        params={},
        iteration=iteration,
        begin_iteration=0,
        end_iteration=10,
        evaluation_result_list=results,
    )


# -- the callback on LightGBM's evaluation lists, all versions -------------------------------------
EVALUATION_LISTS = {
    "train": ([("valid_0", "binary_error", 0.25, False)], "valid_0"),
    "cv (LightGBM >= 4.7)": ([("valid", "binary_error", 0.25, False, 0.1)], "ignored"),
    "cv (LightGBM 4.0-4.6)": (
        [
            ("cv_agg", "train binary_error", 0.1, False, 0.0),
            ("cv_agg", "valid binary_error", 0.25, False, 0.1),
        ],
        "ignored",
    ),
    "cv (LightGBM 3)": ([("cv_agg", "binary_error", 0.25, False, 0.1)], "ignored"),
}


@pytest.mark.parametrize("case", EVALUATION_LISTS)
def test_reads_each_evaluation_list_shape_and_prunes_when_told(case: str) -> None:
    results, valid_name = EVALUATION_LISTS[case]
    study = podbor.create_study(pruner=FixedAnswerPruner(False))
    trial = study.ask()
    LightGBMPruningCallback(trial, "binary_error", valid_name=valid_name)(env(results, 3))
    assert study.trials[0].intermediate_values == {3: 0.25}

    study = podbor.create_study(pruner=FixedAnswerPruner(True))
    callback = LightGBMPruningCallback(study.ask(), "binary_error", valid_name=valid_name)
    with pytest.raises(podbor.TrialPruned, match="iteration 3"):
        callback(env(results, 3))


# -- real trainings -------------------------------------------------------------------------------
@pytest.mark.parametrize("cv", [False, True], ids=["train", "cv"])
@pytest.mark.parametrize(
    ("direction", "metric"), [("minimize", "binary_logloss"), ("maximize", "auc")]
)
def test_pruned_at_the_first_round_or_completes(
    data: tuple[np.ndarray, np.ndarray], cv: bool, direction: str, metric: str
) -> None:
    study = podbor.create_study(direction=direction, pruner=FixedAnswerPruner(True))
    study.optimize(lambda t: float(train(t, data, cv=cv, metric=metric)), n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]

    study = podbor.create_study(direction=direction, pruner=FixedAnswerPruner(False))
    study.optimize(lambda t: float(train(t, data, cv=cv, metric=metric)), n_trials=1)
    assert study.trials[0].state == TrialState.COMPLETE
    assert study.trials[0].value == 5.0
    assert list(study.trials[0].intermediate_values) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("cv", [False, True], ids=["train", "cv"])
def test_a_median_pruner_stops_a_bad_trial_early(
    data: tuple[np.ndarray, np.ndarray], cv: bool
) -> None:
    budget = 30

    def objective(trial: podbor.trial.BaseTrial) -> float:
        lr = trial.suggest_float("learning_rate", 1e-4, 0.5, log=True)
        return float(train(trial, data, rounds=budget, cv=cv, params={"learning_rate": lr}))

    study = podbor.create_study(pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=3))
    for lr in (0.2, 0.1, 0.0005):  # two good trials, then a learning rate far too small
        study.enqueue_trial({"learning_rate": lr})
    study.optimize(objective, n_trials=3)
    good, _, bad = study.trials
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == budget
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) < budget - 1
    assert max(bad.intermediate_values) == 3  # the first step after the warm-up


@pytest.mark.parametrize("cv", [False, True], ids=["train", "cv"])
@pytest.mark.parametrize(("interval", "rounds"), [(1, 1), (2, 1), (2, 2), (3, 10)])
def test_reports_every_report_interval_rounds(
    data: tuple[np.ndarray, np.ndarray], cv: bool, interval: int, rounds: int
) -> None:
    study = podbor.create_study(pruner=FixedAnswerPruner(False))
    trial = study.ask()
    assert train(trial, data, rounds=rounds, cv=cv, report_interval=interval) == rounds
    expected = [step for step in range(rounds) if (step + 1) % interval == 0]
    assert list(study.trials[0].intermediate_values) == expected

    study = podbor.create_study(pruner=FixedAnswerPruner(True))
    study.optimize(
        lambda t: float(train(t, data, rounds=rounds, cv=cv, report_interval=interval)), n_trials=1
    )
    pruned = interval <= rounds
    assert study.trials[0].state == (TrialState.PRUNED if pruned else TrialState.COMPLETE)


def test_cv_reports_the_mean_over_the_folds(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    study = podbor.create_study()
    callback = LightGBMPruningCallback(study.ask(), "binary_logloss")
    result = lgb.cv(PARAMS, lgb.Dataset(X, y), 4, nfold=3, seed=1, callbacks=[callback])
    reported = [study.trials[0].intermediate_values[step] for step in range(4)]
    assert reported == pytest.approx(result["valid binary_logloss-mean"])


def test_named_validation_sets_and_the_sklearn_api(data: tuple[np.ndarray, np.ndarray]) -> None:
    study = podbor.create_study()
    train(study.ask(), data, valid_names=["holdout"], valid_name="holdout")
    assert len(study.trials[0].intermediate_values) == 5

    X, y = data
    model = lgb.LGBMClassifier(n_estimators=4, num_threads=1, verbosity=-1)
    callback = LightGBMPruningCallback(study.ask(), "binary_logloss")
    # LightGBM 4.7 renamed eval_set to eval_X / eval_y; earlier versions know only eval_set
    if "eval_X" in inspect.signature(model.fit).parameters:
        held_out: dict[str, Any] = {"eval_X": X[400:], "eval_y": y[400:]}
    else:
        held_out = {"eval_set": [(X[400:], y[400:])]}
    model.fit(X[:400], y[:400], callbacks=[callback], **held_out)
    assert list(study.trials[1].intermediate_values) == [0, 1, 2, 3]


def test_a_fixed_trial_trains_to_the_end(data: tuple[np.ndarray, np.ndarray]) -> None:
    assert train(FixedTrial({}), data, rounds=6, metric="auc") == 6  # no study: no direction check


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cv", [False, True], ids=["train", "cv"])
def test_an_unknown_metric_names_the_argument_and_the_metrics(
    data: tuple[np.ndarray, np.ndarray], cv: bool
) -> None:
    study = podbor.create_study()
    with pytest.raises(ValueError, match="'metric'") as info:
        train(study.ask(), data, cv=cv, metric="binary_eror")
    assert "'auc', 'binary_logloss'" in str(info.value)
    assert "'binary_eror'" in str(info.value)


def test_an_unknown_validation_name_lists_the_validation_sets(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    study = podbor.create_study()
    with pytest.raises(ValueError, match="'valid_name'") as info:
        train(study.ask(), data, valid_name="valid_1")
    assert "'valid_0'" in str(info.value) and "'valid_1'" in str(info.value)
    # lightgbm.cv has one held-out score per round: valid_name is ignored there, as in Optuna
    assert train(study.ask(), data, cv=True, valid_name="valid_1") == 5


@pytest.mark.parametrize("cv", [False, True], ids=["train", "cv"])
@pytest.mark.parametrize(
    ("direction", "metric"), [("minimize", "auc"), ("maximize", "binary_logloss")]
)
def test_a_metric_against_the_study_direction_is_an_error(
    data: tuple[np.ndarray, np.ndarray], cv: bool, direction: str, metric: str
) -> None:
    study = podbor.create_study(direction=direction)
    with pytest.raises(ValueError, match=rf"'metric'.*direction is {direction}"):
        study.optimize(lambda t: float(train(t, data, cv=cv, metric=metric)), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"metric": ""}, ValueError),
        ({"metric": 3}, TypeError),
        ({"valid_name": None}, TypeError),
        ({"report_interval": 0}, ValueError),
        ({"report_interval": 1.5}, TypeError),
        ({"report_interval": True}, TypeError),
    ],
)
def test_bad_arguments_fail_at_construction(args: dict[str, Any], error: type[Exception]) -> None:
    (name,) = args
    with pytest.raises(error, match=f"'{name}' parameter of LightGBMPruningCallback"):
        LightGBMPruningCallback(FixedTrial({}), **{"metric": "auc", **args})


def test_a_multi_objective_trial_is_refused() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'trial'.*2 objectives"):
        LightGBMPruningCallback(study.ask(), "binary_logloss")


def test_without_lightgbm_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # makes `import lightgbm` fail
    with pytest.raises(ImportError, match=re.escape("pip install podbor[lightgbm]")):
        LightGBMPruningCallback(FixedTrial({}), "auc")


def test_the_public_module_re_exports_the_callback() -> None:
    from podbor.integration import _lightgbm_callback

    assert _lightgbm_callback.LightGBMPruningCallback is LightGBMPruningCallback


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
