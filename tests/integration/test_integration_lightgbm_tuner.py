"""LightGBMTuner, LightGBMTunerCV and train: real stepwise tuning on small sklearn data sets.

Ported behaviours of optuna-integration's tests/lightgbm/test_optimize.py and test_alias.py
(stage sizes, resuming, best booster, aliases, directions), with real training instead of mocks.
Skipped without LightGBM, except under CI.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import podbor

if importlib.util.find_spec("lightgbm") is None or importlib.util.find_spec("sklearn") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("LightGBM must be installed under CI=true (make test installs it)")
    pytest.skip("LightGBM is not installed", allow_module_level=True)

import lightgbm as lgb
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from podbor.integration._lightgbm_tuner import LightGBMTuner, LightGBMTunerCV, train
from podbor.integration._lightgbm_tuner._alias import canonicalize_params
from podbor.integration._lightgbm_tuner._objective import LGBM_PARAMS_KEY
from podbor.integration._lightgbm_tuner._scoring import _BaseTuner
from podbor.integration._lightgbm_tuner._stage import STEP_NAME_KEY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STAGES = {
    "feature_fraction": 7,
    "num_leaves": 20,
    "bagging": 10,
    "feature_fraction_stage2": 6,
    "regularization_factors": 20,
    "min_child_samples": 5,
}
QUIET = {
    "verbosity": -1,
    "seed": 0,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
}


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)


def _cancer() -> tuple[Any, Any, Any, Any]:
    X, y = load_breast_cancer(return_X_y=True)
    return tuple(train_test_split(X, y, random_state=0))  # type: ignore[return-value]


def _diabetes() -> tuple[Any, Any, Any, Any]:
    X, y = load_diabetes(return_X_y=True)
    return tuple(train_test_split(X, y, random_state=0))  # type: ignore[return-value]


def _tuner(params: dict[str, Any] | None = None, **kwargs: Any) -> LightGBMTuner:
    X_tr, X_va, y_tr, y_va = _cancer()
    options: dict[str, Any] = dict(
        num_boost_round=10,
        show_progress_bar=False,
        optuna_seed=0,
        valid_sets=lgb.Dataset(X_va, y_va),
    )
    options.update(kwargs)
    return LightGBMTuner(
        {"objective": "binary", **QUIET, **(params or {})}, lgb.Dataset(X_tr, y_tr), **options
    )


def _stages(study: podbor.Study) -> Counter[str]:
    return Counter(t.system_attrs[STEP_NAME_KEY] for t in study.trials)


# -- the whole run -------------------------------------------------------------------------------
def test_run_tunes_six_stages_and_returns_the_best_booster() -> None:
    X_tr, X_va, y_tr, y_va = _cancer()
    tuner = LightGBMTuner(
        {"objective": "binary", "metric": "binary_logloss", "max_depth": 4, **QUIET},
        lgb.Dataset(X_tr, y_tr),
        valid_sets=[lgb.Dataset(X_tr, y_tr), lgb.Dataset(X_va, y_va)],
        valid_names=["train", "valid"],
        num_boost_round=20,
        callbacks=[lgb.early_stopping(5, verbose=False)],
        show_progress_bar=False,
        optuna_seed=0,
    )
    assert tuner.best_score == np.inf  # minimized, nothing run yet
    tuner.run()
    assert _stages(tuner.study) == STAGES
    assert tuner.study.direction == podbor.study.StudyDirection.MINIMIZE
    assert tuner.best_score == tuner.study.best_value == min(t.value for t in tuner.study.trials)
    best = tuner.best_params
    assert best["max_depth"] == 4 and best["objective"] == "binary"  # the user's, kept
    assert best["feature_pre_filter"] is False
    assert 2 <= best["num_leaves"] <= 2**4  # bounded by max_depth
    assert best["min_child_samples"] in (5, 10, 25, 50, 100)
    booster = tuner.get_best_booster()
    assert booster.params["num_leaves"] == best["num_leaves"]
    proba = booster.predict(X_va, num_iteration=booster.best_iteration)
    assert log_loss(y_va, proba) == pytest.approx(tuner.best_score, rel=1e-5)
    # each stage starts from the best values of the stages before it
    stage5 = [
        t for t in tuner.study.trials if t.system_attrs[STEP_NAME_KEY] == "regularization_factors"
    ]
    for t in stage5:
        assert set(t.params) == {"lambda_l1", "lambda_l2"}


def test_regression_with_metric_and_round_aliases() -> None:
    X_tr, X_va, y_tr, y_va = _diabetes()
    params = {
        "objective": "regression",
        "metric": "mse",
        "n_estimators": 7,
        "subsample": 0.9,
        **QUIET,
    }
    tuner = LightGBMTuner(
        params,
        lgb.Dataset(X_tr, y_tr),
        valid_sets=lgb.Dataset(X_va, y_va),
        show_progress_bar=False,
        optuna_seed=1,
    )
    assert tuner.lgbm_params["metric"] == "l2"
    assert "n_estimators" not in tuner.lgbm_params and tuner.lgbm_kwargs["num_boost_round"] == 7
    assert "subsample" not in tuner.lgbm_params and tuner.lgbm_params["bagging_fraction"] == 0.9
    tuner.tune_feature_fraction()
    tuner.tune_min_data_in_leaf()
    assert not tuner.higher_is_better()
    assert tuner.get_best_booster().current_iteration() == 7
    assert tuner.best_score == min(t.value for t in tuner.study.trials)


def test_higher_is_better_metric_maximizes() -> None:
    tuner = _tuner({"metric": "auc"})
    assert tuner.study.direction == podbor.study.StudyDirection.MAXIMIZE
    assert tuner.best_score == -np.inf
    tuner.tune_feature_fraction()
    assert tuner.best_score == max(t.value for t in tuner.study.trials)
    assert 0.9 < tuner.best_score <= 1.0


def test_metric_list_scores_the_last_metric() -> None:
    tuner = _tuner({"metric": ["auc", "binary_logloss"]})
    assert not tuner.higher_is_better()
    tuner.tune_min_data_in_leaf()
    assert tuner.best_score == min(t.value for t in tuner.study.trials)


def test_each_stage_runs_its_trials_and_moves_the_parameter() -> None:
    tuner = _tuner(
        {"feature_fraction": 0.5, "num_leaves": 3, "bagging_fraction": 0.5, "lambda_l1": 20.0},
        num_boost_round=3,
    )
    assert tuner.best_params["lambda_l1"] == 20.0  # before any trial: the user's values
    tuner.tune_feature_fraction()
    tuner.tune_num_leaves()
    tuner.tune_bagging()
    tuner.tune_feature_fraction_stage2()
    tuner.tune_regularization_factors()
    tuner.tune_min_data_in_leaf()
    assert _stages(tuner.study) == STAGES
    trials = tuner.study.trials
    ff1 = sorted(
        t.params["feature_fraction"]
        for t in trials
        if t.system_attrs[STEP_NAME_KEY] == "feature_fraction"
    )
    assert ff1 == pytest.approx(list(np.linspace(0.4, 1.0, 7)))
    best_ff = max(  # the best of stage 1 centres the grid of stage 4
        (t for t in trials if t.system_attrs[STEP_NAME_KEY] == "feature_fraction"),
        key=lambda t: -t.value,
    ).params["feature_fraction"]
    ff2 = [
        t.params["feature_fraction"]
        for t in trials
        if t.system_attrs[STEP_NAME_KEY] == "feature_fraction_stage2"
    ]
    assert all(abs(v - best_ff) <= 0.08 + 1e-9 for v in ff2)
    # the last stage ran with the best values of stages 1-5, fixed
    recorded = [json.loads(t.system_attrs[LGBM_PARAMS_KEY]) for t in trials]
    best_before = min(trials[:63], key=lambda t: t.value)
    for t, params in zip(trials[63:], recorded[63:]):
        assert t.system_attrs[STEP_NAME_KEY] == "min_child_samples"
        for name in (
            "lambda_l1",
            "lambda_l2",
            "num_leaves",
            "bagging_fraction",
            "feature_fraction",
        ):
            assert params[name] == recorded[best_before.number][name]
    assert all(p["lambda_l1"] == 20.0 for p in recorded[:43])  # the user's value until stage 5
    assert all(1e-8 <= p["lambda_l1"] <= 10.0 for p in recorded[43:63])


def test_tune_num_leaves_with_negative_max_depth() -> None:
    tuner = _tuner({"max_depth": -1}, num_boost_round=2)
    tuner.tune_num_leaves()
    leaves = [t.params["num_leaves"] for t in tuner.study.trials]
    assert len(leaves) == 20 and all(2 <= n <= 256 for n in leaves)


# -- resuming, model_dir, budget, callbacks ------------------------------------------------------
def test_resume_skips_finished_stages_and_loads_the_booster_from_model_dir(tmp_path: Path) -> None:
    study = podbor.create_study()
    first = _tuner(study=study, model_dir=str(tmp_path / "boosters"), num_boost_round=3)
    first.tune_feature_fraction()
    first.tune_num_leaves()
    assert len(study.trials) == 27
    assert len(list((tmp_path / "boosters").glob("*.pkl"))) == 27
    best_first = first.get_best_booster()

    second = _tuner(study=study, model_dir=str(tmp_path / "boosters"), num_boost_round=3)
    assert second.best_params == first.best_params
    assert second.get_best_booster().params == best_first.params  # loaded from model_dir
    second.tune_num_leaves()  # done already: no new trial
    assert len(study.trials) == 27
    second.run()
    assert _stages(study) == STAGES
    assert second.get_best_booster().params["num_leaves"] == second.best_params["num_leaves"]


def test_get_best_booster_errors_say_why() -> None:
    study = podbor.create_study()
    tuner = _tuner(study=study, num_boost_round=2)
    with pytest.raises(ValueError, match="no trial has completed"):
        tuner.get_best_booster()
    tuner.tune_min_data_in_leaf()
    assert tuner.get_best_booster().current_iteration() == 2
    resumed = _tuner(study=study, num_boost_round=2)  # the booster is in the first tuner only
    with pytest.raises(ValueError, match="model_dir"):
        resumed.get_best_booster()


def test_time_budget_stops_starting_trials() -> None:
    tuner = _tuner(num_boost_round=400, time_budget=0.3)
    tuner.run()
    assert 0 < len(tuner.study.trials) < sum(STAGES.values())


def test_optuna_callbacks_and_progress_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    import tqdm

    bars: list[int] = []

    class Bar:
        def __init__(self, total: int, ascii: bool) -> None:
            bars.append(total)

        def set_description(self, text: str) -> None:
            assert "val_score" in text

        def update(self, n: int) -> None: ...

        def close(self) -> None: ...

    monkeypatch.setattr(tqdm, "tqdm", Bar)
    seen: list[int] = []
    tuner = _tuner(num_boost_round=2, optuna_callbacks=[lambda s, t: seen.append(t.number)])
    tuner.auto_options["show_progress_bar"] = True
    tuner.run()
    assert seen == list(range(68))
    assert bars == [7, 20, 10, 6, 20, 5]
    quiet = _tuner(num_boost_round=2)
    quiet.tune_min_data_in_leaf()
    assert bars == [7, 20, 10, 6, 20, 5]


def test_optuna_seed_reproduces_the_search() -> None:
    a = _tuner(num_boost_round=5)
    b = _tuner(num_boost_round=5)
    for tuner in (a, b):
        tuner.tune_feature_fraction()
        tuner.tune_num_leaves()
    assert [t.params for t in a.study.trials] == [t.params for t in b.study.trials]
    assert [t.value for t in a.study.trials] == [t.value for t in b.study.trials]


def test_sample_size_trains_on_the_last_rows() -> None:
    tuner = _tuner(sample_size=50, num_boost_round=2)
    tuner.sample_train_set()
    assert tuner.train_subset is not None
    tuner.train_subset.construct()
    assert tuner.train_subset.num_data() == 50
    assert tuner.auto_options["sample_size"] == 50 and "sample_size" not in tuner.lgbm_kwargs


def test_custom_objective_and_feval() -> None:
    def squared_loss(preds: np.ndarray, data: lgb.Dataset) -> tuple[np.ndarray, np.ndarray]:
        return preds - data.get_label(), np.ones_like(preds)

    def my_l2(preds: np.ndarray, data: lgb.Dataset) -> tuple[str, float, bool]:
        return "my_l2", float(np.mean((preds - data.get_label()) ** 2)), False

    X_tr, X_va, y_tr, y_va = _diabetes()
    tuner = LightGBMTuner(
        {"objective": squared_loss, "metric": "None", **QUIET},
        lgb.Dataset(X_tr, y_tr),
        valid_sets=lgb.Dataset(X_va, y_va),
        num_boost_round=5,
        feval=my_l2,
        show_progress_bar=False,
        optuna_seed=0,
    )
    tuner.tune_min_data_in_leaf()
    assert tuner.best_params["objective"] is squared_loss
    assert (
        '"objective": "squared_loss"'
        in tuner.study.best_trial.system_attrs["lightgbm_tuner:lgbm_params"]
    )
    assert 1000 < tuner.best_score < 30000  # the feval's mean squared error on diabetes


def test_feature_pre_filter_is_turned_off_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="feature_pre_filter"):
        tuner = _tuner({"feature_pre_filter": True})
    assert tuner.lgbm_params["feature_pre_filter"] is False


# -- LightGBMTunerCV and train ----------------------------------------------------------------------
def test_tuner_cv_runs_and_returns_the_cvbooster(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    study = podbor.create_study()
    kwargs: dict[str, Any] = dict(
        num_boost_round=5, nfold=3, return_cvbooster=True, show_progress_bar=False, optuna_seed=0
    )
    tuner = LightGBMTunerCV(
        {"objective": "binary", **QUIET},
        lgb.Dataset(X, y),
        study=study,
        model_dir=str(tmp_path),
        **kwargs,
    )
    assert tuner.lgbm_kwargs["nfold"] == 3 and tuner.lgbm_kwargs["num_boost_round"] == 5
    tuner.tune_feature_fraction()
    tuner.tune_min_data_in_leaf()
    cvbooster = tuner.get_best_booster()
    assert len(cvbooster.boosters) == 3
    cv = lgb.cv(tuner.best_params, lgb.Dataset(X, y), num_boost_round=5, nfold=3, seed=0)
    assert cv["valid binary_logloss-mean"][-1] == pytest.approx(tuner.best_score, rel=1e-6)
    resumed = LightGBMTunerCV(
        {"objective": "binary", **QUIET},
        lgb.Dataset(X, y),
        study=study,
        model_dir=str(tmp_path),
        **kwargs,
    )
    assert len(resumed.get_best_booster().boosters) == 3  # loaded from model_dir


def test_tuner_cv_regression_and_get_best_booster_needs_return_cvbooster() -> None:
    X, y = load_diabetes(return_X_y=True)
    tuner = LightGBMTunerCV(
        {"objective": "regression", "metric": "rmse", **QUIET},
        lgb.Dataset(X, y),
        num_boost_round=4,
        nfold=3,
        stratified=False,
        show_progress_bar=False,
    )
    tuner.tune_min_data_in_leaf()
    assert 40 < tuner.best_score < 80
    with pytest.raises(ValueError, match="'return_cvbooster'"):
        tuner.get_best_booster()


def test_train_returns_a_tuned_booster() -> None:
    X_tr, X_va, y_tr, y_va = _cancer()
    booster = train(
        {"objective": "binary", **QUIET},
        lgb.Dataset(X_tr, y_tr),
        num_boost_round=5,
        valid_sets=lgb.Dataset(X_va, y_va),
        show_progress_bar=False,
        optuna_seed=0,
    )
    assert isinstance(booster, lgb.Booster)
    assert booster.current_iteration() == 5
    assert "min_child_samples" in booster.params


def test_public_module_exports_the_same_objects() -> None:
    from podbor.integration import lightgbm as public

    assert public.LightGBMTuner is LightGBMTuner
    assert public.LightGBMTunerCV is LightGBMTunerCV
    assert public.train is train
    assert "LightGBMPruningCallback" in public.__all__
    # as with optuna.integration.lightgbm, LightGBM's other names are reachable: drop-in scripts
    # do `import ... lightgbm as lgb` and call lgb.Dataset, lgb.early_stopping, lgb.train
    assert public.Dataset is lgb.Dataset
    assert public.early_stopping is lgb.early_stopping
    assert public.train is not lgb.train
    with pytest.raises(AttributeError, match="no_such_name"):
        public.no_such_name  # noqa: B018


# -- bad input -------------------------------------------------------------------------------------
def test_unknown_metric_names_the_argument_and_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"'params\['metric'\]'.*'accuracy'") as err:
        _tuner({"metric": "accuracy"})
    assert "binary_logloss" in str(err.value) and "auc" in str(err.value)


def test_metric_the_run_does_not_report_lists_the_reported_ones() -> None:
    class Booster:
        def __init__(self) -> None:
            self.best_score = {"valid_0": {"binary_logloss": 0.3, "auc": 0.9}}

    scorer = _BaseTuner({"metric": "l1"}, {"valid_sets": lgb.Dataset(None)})
    with pytest.raises(ValueError, match=r"'params\['metric'\]'.*'auc', 'binary_logloss'"):
        scorer._get_booster_best_score(Booster())
    scorer = _BaseTuner({}, {"valid_sets": lgb.Dataset(None), "valid_names": "dev"})
    with pytest.raises(ValueError, match=r"'valid_names'.*'valid_0'"):
        scorer._get_booster_best_score(Booster())


def test_valid_sets_and_valid_names_must_match() -> None:
    X_tr, X_va, y_tr, y_va = _cancer()
    with pytest.raises(ValueError, match=r"'valid_sets'.*lightgbm.Dataset"):
        LightGBMTuner({}, lgb.Dataset(X_tr, y_tr))
    with pytest.raises(ValueError, match=r"'valid_names'.*2 set\(s\), 1 name\(s\)"):
        _tuner(valid_sets=[lgb.Dataset(X_tr, y_tr), lgb.Dataset(X_va, y_va)], valid_names=["a"])


def test_time_budget_must_be_positive() -> None:
    for bad in (0, -1.5, "10"):
        with pytest.raises(ValueError, match=r"'time_budget'.*> 0"):
            _tuner(time_budget=bad)


def test_study_must_have_one_objective_in_the_metric_direction() -> None:
    with pytest.raises(ValueError, match=r"'study'.*2 objectives"):
        _tuner(study=podbor.create_study(directions=["minimize", "minimize"]))
    for metric, direction in (("auc", "minimize"), ("mse", "maximize"), (None, "maximize")):
        params = {} if metric is None else {"metric": metric}
        with pytest.raises(ValueError, match=r"^Study direction is inconsistent with the metric"):
            _tuner(params, study=podbor.create_study(direction=direction))


# -- aliases and metric names (test_alias.py, test_optimize.py's TestBaseTuner) -----------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"subsample": 0.5}, {"bagging_fraction": 0.5}),
        ({"colsample_bytree": 0.5}, {"feature_fraction": 0.5}),
        ({"reg_alpha": 0.1, "lambda": 0.2}, {"lambda_l1": 0.1, "lambda_l2": 0.2}),
        ({"min_data_in_leaf": 7, "max_leaves": 9}, {"min_child_samples": 7, "num_leaves": 9}),
        ({"subsample_freq": 3, "eta": 0.1}, {"bagging_freq": 3, "learning_rate": 0.1}),
    ],
)
def test_parameter_aliases_are_renamed(given: dict[str, Any], expected: dict[str, Any]) -> None:
    params = dict(given)
    canonicalize_params(params)
    assert params == expected


def test_an_alias_beside_its_parameter_wins_with_a_warning() -> None:
    params: dict[str, Any] = {"bagging_fraction": 0.9, "subsample": 0.5}
    with pytest.warns(UserWarning, match="subsample"):
        canonicalize_params(params)
    assert params == {"bagging_fraction": 0.5}


@pytest.mark.parametrize(
    ("metric", "canonical", "higher"),
    [
        ("auc", "auc", True),
        ("lambdarank", "ndcg@1", True),
        ("xendcg_mart", "ndcg@1", True),
        ("mean_average_precision", "map@1", True),
        ("average_precision", "average_precision", True),
        ("auc_mu", "auc_mu", True),
        ("mae", "l1", False),
        ("regression", "l2", False),
        ("l2_root", "rmse", False),
        ("binary", "binary_logloss", False),
        ("softmax", "multi_logloss", False),
        ("xentropy", "cross_entropy", False),
        ("quantile", "quantile", False),
    ],
)
def test_metric_aliases_and_directions(metric: str, canonical: str, higher: bool) -> None:
    scorer = _BaseTuner({"metric": metric})
    assert scorer._get_metric_for_objective() == canonical
    assert scorer.higher_is_better() is higher
    assert scorer.compare_validation_metrics(0.5, 0.1) is higher
    assert not scorer.compare_validation_metrics(0.5, 0.5)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"eval_at": 5}, "ndcg@5"),
        ({"ndcg_at": [20]}, "ndcg@20"),
        ({"ndcg_eval_at": [10, 20]}, "ndcg@10"),
        ({}, "ndcg@1"),
    ],
)
def test_ranking_metric_takes_the_first_cut_off(extra: dict[str, Any], expected: str) -> None:
    assert _BaseTuner({"metric": "ndcg", **extra})._get_metric_for_objective() == expected


def test_objective_gives_the_metric_when_none_is_set() -> None:
    assert _BaseTuner({})._get_metric_for_objective() == "binary_logloss"
    assert _BaseTuner({"objective": "regression"})._get_metric_for_objective() == "l2"
    assert _BaseTuner({"objective": "lambdarank"}).higher_is_better()
    with pytest.raises(ValueError, match=r"'params\['eval_at'\]'"):
        _BaseTuner({"metric": "ndcg", "eval_at": "1"})._get_metric_for_objective()


# -- the example ---------------------------------------------------------------------------------------
def test_example_runs() -> None:
    with warnings.catch_warnings():
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "lightgbm_tuner.py"), "--num-boost-round", "3"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert "Best value: " in result.stdout
    assert float(result.stdout.split("Best value: ")[1].split()[0]) > 0
    assert "Best parameters: {" in result.stdout and "Pruned trials: 0 of 68" in result.stdout
