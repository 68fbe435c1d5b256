"""Tests of ``Study.trials_dataframe``: Optuna's column names, order and types."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pandas as pd
import pytest

import podbor
from podbor.trial import Trial, TrialState


def _study(**kwargs: Any) -> podbor.Study:
    return podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0), **kwargs)


def _objective(trial: Trial) -> float:
    b = trial.suggest_int("b", 0, 10)  # suggested first, but sorted after "a"
    a = trial.suggest_float("a", 0.0, 1.0)
    trial.set_user_attr("note", f"trial {trial.number}")
    return a + b


def test_default_columns_and_order() -> None:
    study = _study()
    study.optimize(_objective, n_trials=3)
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_a",
        "params_b",
        "user_attrs_note",
        "state",
    ]
    assert df["number"].tolist() == [0, 1, 2]
    assert df["value"].tolist() == [t.value for t in study.trials]
    assert df["params_a"].tolist() == [t.params["a"] for t in study.trials]
    assert df["params_b"].tolist() == [t.params["b"] for t in study.trials]
    assert df["user_attrs_note"].tolist() == ["trial 0", "trial 1", "trial 2"]


def test_the_seminars_columns_with_the_default_sampler() -> None:
    """The seminar's first study, with create_study()'s defaults, gives exactly its columns."""
    study = podbor.create_study(direction="minimize")
    study.optimize(lambda t: (t.suggest_float("alpha", 0.0, 10.0) - 2) ** 2, n_trials=12)
    assert list(study.trials_dataframe().columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_alpha",
        "state",
    ]
    assert all("auto_sampler" in t.system_attrs for t in study.trials)  # still on the trials


def test_types_of_the_columns() -> None:
    study = _study()
    study.optimize(_objective, n_trials=2)
    df = study.trials_dataframe()
    assert df["value"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(df["datetime_start"])
    assert pd.api.types.is_datetime64_any_dtype(df["datetime_complete"])
    assert pd.api.types.is_timedelta64_dtype(df["duration"])
    for row, trial in zip(df.itertuples(), study.trials):
        assert isinstance(row.duration, datetime.timedelta)
        assert row.duration == trial.duration
        assert row.datetime_start == trial.datetime_start


def test_state_column_holds_names() -> None:
    def objective(trial: Trial) -> float:
        if trial.number == 1:
            raise podbor.TrialPruned()
        if trial.number == 2:
            raise ValueError("boom")
        return 1.0

    study = _study()
    study.optimize(objective, n_trials=3, catch=ValueError)
    study.ask()
    study.enqueue_trial({})
    df = study.trials_dataframe(attrs=("number", "value", "duration", "state"))
    assert df["state"].tolist() == ["COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"]
    assert df["value"].iloc[0] == 1.0
    assert df["value"].iloc[1:].isna().all()
    assert df["duration"].iloc[3:].isna().all()  # not finished: no duration


def test_ridge_lasso_conditional_parameters_on_diabetes() -> None:
    """The seminar's conditional example (examples/seminar_conditional.py), written as it was."""
    import sklearn.datasets
    import sklearn.linear_model
    import sklearn.metrics
    import sklearn.model_selection

    x, y = sklearn.datasets.load_diabetes(return_X_y=True)
    x_train, x_val, y_train, y_val = sklearn.model_selection.train_test_split(x, y, random_state=0)

    def objective(trial: Trial) -> float:
        regression_method = trial.suggest_categorical("regression_method", ("ridge", "lasso"))
        model: Any
        if regression_method == "ridge":
            ridge_alpha = trial.suggest_uniform("ridge_alpha", 0.0, 2.0)
            model = sklearn.linear_model.Ridge(alpha=ridge_alpha)
        else:
            lasso_alpha = trial.suggest_uniform("lasso_alpha", 0.0, 2.0)
            model = sklearn.linear_model.Lasso(alpha=lasso_alpha)
        model.fit(x_train, y_train)
        return float(sklearn.metrics.mean_squared_error(y_val, model.predict(x_val)))

    study = _study(direction="minimize")
    with pytest.warns(FutureWarning, match="suggest_float"):
        study.optimize(objective, n_trials=20)
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_lasso_alpha",
        "params_regression_method",
        "params_ridge_alpha",
        "state",
    ]
    assert len(df) == 20
    ridge = df["params_regression_method"] == "ridge"
    assert ridge.any() and (~ridge).any()
    assert df.loc[ridge, "params_lasso_alpha"].isna().all()
    assert df.loc[ridge, "params_ridge_alpha"].notna().all()
    assert df.loc[~ridge, "params_ridge_alpha"].isna().all()
    assert df.loc[~ridge, "params_lasso_alpha"].notna().all()
    assert df["params_ridge_alpha"].dtype == "float64"
    assert df["value"].min() == study.best_value
    assert (df["state"] == "COMPLETE").all()


def test_multi_objective_values_columns() -> None:
    study = _study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0), n_trials=2)
    df = study.trials_dataframe()
    assert "value" not in df.columns
    assert list(df.columns[:3]) == ["number", "values_0", "values_1"]
    assert df["values_0"].tolist() == [t.values[0] for t in study.trials]  # type: ignore[index]
    assert df["values_1"].tolist() == [2.0, 2.0]


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
@pytest.mark.parametrize(
    ("directions", "names"),
    [
        pytest.param(["minimize", "maximize"], ["mse", "r2"], id="two-objectives"),
        pytest.param(["minimize"], ["mse"], id="one-objective"),
    ],
)
def test_metric_names_name_the_values_columns(directions: list[str], names: list[str]) -> None:
    study = _study(directions=directions)
    study.set_metric_names(names)
    study.optimize(lambda t: tuple(float(i) for i in range(len(names))), n_trials=1)
    df = study.trials_dataframe()
    assert [c for c in df.columns if c.startswith("value")] == [f"values_{n}" for n in names]
    assert df[f"values_{names[0]}"].tolist() == [0.0]


def test_multi_index() -> None:
    study = _study()
    study.optimize(_objective, n_trials=2)
    df = study.trials_dataframe(multi_index=True)
    assert isinstance(df.columns, pd.MultiIndex)
    assert list(df.columns) == [
        ("number", ""),
        ("value", ""),
        ("datetime_start", ""),
        ("datetime_complete", ""),
        ("duration", ""),
        ("params", "a"),
        ("params", "b"),
        ("user_attrs", "note"),
        ("state", ""),
    ]
    assert df["params"]["a"].tolist() == [t.params["a"] for t in study.trials]
    assert df[("state", "")].tolist() == ["COMPLETE", "COMPLETE"]


def test_attrs_choose_and_order_columns() -> None:
    study = _study()
    trial = study.ask()
    trial.suggest_float("a", 0, 1)
    trial.report(0.5, 0)
    trial.report(0.25, 3)
    study.tell(trial, 0.25)
    df = study.trials_dataframe(attrs=("state", "number", "intermediate_values", "params"))
    assert list(df.columns) == [
        "state",
        "number",
        "intermediate_values_0",
        "intermediate_values_3",
        "params_a",
    ]
    assert df["intermediate_values_3"].tolist() == [0.25]


@pytest.mark.parametrize(
    "attrs",
    [
        pytest.param(("number", "bogus"), id="unknown-name"),
        pytest.param(("params_x",), id="a-column-name"),
    ],
)
def test_unknown_attrs_raise(attrs: tuple[str, ...]) -> None:
    study = _study()
    with pytest.raises(
        ValueError, match=r"The 'attrs' parameter of Study.trials_dataframe"
    ) as info:
        study.trials_dataframe(attrs=attrs)
    assert repr(attrs) in str(info.value)


def test_missing_user_attrs_are_missing_values() -> None:
    study = _study()
    study.optimize(lambda t: t.set_user_attr("odd", 1) or 0.0 if t.number % 2 else 0.0, n_trials=3)
    df = study.trials_dataframe(attrs=("number", "user_attrs"))
    assert df["user_attrs_odd"].isna().tolist() == [True, False, True]


def test_empty_study() -> None:
    df = _study().trials_dataframe()
    assert len(df) == 0


def test_nan_free_values_for_pruned_trials_with_reports() -> None:
    def objective(trial: Trial) -> float:
        trial.report(0.75, 0)
        raise podbor.TrialPruned()

    study = _study()
    study.optimize(objective, n_trials=1)
    df = study.trials_dataframe(attrs=("value", "state"))
    assert df["value"].tolist() == [0.75]
    assert not math.isnan(df["value"].iloc[0])
    assert study.trials[0].state == TrialState.PRUNED


# -- Optuna parity ---------------------------------------------------------------------------
def _failing(trial: Trial) -> float:
    trial.suggest_int("x", 1, 1)
    raise ValueError("no")


def test_failed_trials_have_optunas_columns_and_none_values() -> None:
    study = _study()
    study.optimize(_failing, n_trials=2, catch=(ValueError,))
    df = study.trials_dataframe()
    assert not any(c.startswith("system_attrs") for c in df.columns)  # fail_reason is no column
    assert study.trials[0].system_attrs["fail_reason"].startswith("ValueError")  # but kept
    assert df["value"].tolist() == [None, None]


@pytest.mark.parametrize("multi_index", [False, True], ids=["flat", "multi-index"])
@pytest.mark.parametrize("spelling", ["trial_id", "_trial_id"])
def test_the_trial_id_column_takes_both_spellings(multi_index: bool, spelling: str) -> None:
    study = _study()
    study.optimize(_objective, n_trials=2)
    df = study.trials_dataframe(attrs=("number", spelling), multi_index=multi_index)
    column = ("trial_id", "") if multi_index else "trial_id"
    assert df[column].tolist() == [t._trial_id for t in study.trials]


@pytest.mark.parametrize("attrs", [("value",), ("values",)])
def test_multi_index_objective_columns_are_numbered_by_int(attrs: tuple[str, ...]) -> None:
    study = _study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (1.0, 2.0), n_trials=1)
    df = study.trials_dataframe(attrs=attrs, multi_index=True)
    assert list(df.columns) == [("values", 0), ("values", 1)]
    assert df.get("values")[1][0] == 2.0
