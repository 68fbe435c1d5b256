"""The dashboard's JSON: every value a study can hold becomes strict JSON, rows and details."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.dashboard._json import (
    Encoded,
    distribution_json,
    dumps,
    jsonable,
    trial_detail,
    trial_row,
)
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.samplers import AutoSampler
from podbor.trial import TrialState, create_trial


def _strict(body: bytes) -> Any:
    """Parse as strict JSON: NaN / Infinity tokens are refused."""

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(body.decode("utf-8"), parse_constant=refuse)


@dataclasses.dataclass
class _Point:
    x: float
    tags: tuple[str, ...]


class _Color(enum.Enum):
    RED = 1


class _Opaque:
    def __str__(self) -> str:
        return "<opaque & odd>"


UTC = datetime.timezone.utc
CASES = [
    pytest.param(float("inf"), "inf", id="inf"),
    pytest.param(float("-inf"), "-inf", id="-inf"),
    pytest.param(float("nan"), "nan", id="nan"),
    pytest.param(np.float32(0.5), 0.5, id="numpy-float32"),
    pytest.param(np.float64("nan"), "nan", id="numpy-float64-nan"),
    pytest.param(np.int64(7), 7, id="numpy-int64"),
    pytest.param(np.bool_(True), True, id="numpy-bool"),
    pytest.param(np.array([1.0, np.nan, -np.inf]), [1.0, "nan", "-inf"], id="array-nonfinite"),
    pytest.param(np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]], id="array-2d-int"),
    pytest.param(np.array(["a", "<b>"]), ["a", "<b>"], id="array-str"),
    pytest.param(
        datetime.datetime(2024, 5, 6, 7, 8, 9, 123456),
        "2024-05-06T07:08:09.123456",
        id="naive-datetime",
    ),
    pytest.param(
        datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        "2024-05-06T07:08:09+00:00",
        id="aware-datetime",
    ),
    pytest.param(datetime.date(2024, 5, 6), "2024-05-06", id="date"),
    pytest.param(datetime.timedelta(seconds=90), 90.0, id="timedelta"),
    pytest.param((1, "a"), [1, "a"], id="tuple"),
    pytest.param({1: "x", None: 2, 2.5: 3}, {"1": "x", "null": 2, "2.5": 3}, id="non-str-keys"),
    pytest.param(
        {"a": {"b": [1, {"c": float("inf")}]}}, {"a": {"b": [1, {"c": "inf"}]}}, id="nested"
    ),
    pytest.param(_Point(1.0, ("t",)), {"x": 1.0, "tags": ["t"]}, id="dataclass"),
    pytest.param(_Color.RED, "RED", id="enum"),
    pytest.param(_Opaque(), "<opaque & odd>", id="any-object-as-str"),
    pytest.param(
        "こんにちは <script>alert(1)</script>", "こんにちは <script>alert(1)</script>", id="text"
    ),
    pytest.param(None, None, id="none"),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_jsonable_and_dumps(value: Any, expected: Any) -> None:
    assert jsonable(value) == expected
    assert _strict(dumps(value)) == expected
    assert _strict(dumps({"v": [value]})) == {"v": [expected]}


def test_enums_by_name() -> None:
    assert jsonable({"state": TrialState.PRUNED}) == {"state": "PRUNED"}


def test_dumps_is_compact_utf8_and_keeps_markup_literal() -> None:
    body = dumps({"name": "é <script>", "x": [1, 2]})
    assert body == '{"name":"é <script>","x":[1,2]}'.encode()


def test_dumps_fast_path_equals_walk_on_big_arrays() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=50_000)
    values[::1000] = np.nan
    body = {"data": [{"x": values, "y": values.tolist(), "text": ["<a>"] * 3}]}
    parsed = _strict(dumps(body))
    assert parsed == json.loads(json.dumps(jsonable(body)))
    assert parsed["data"][0]["x"][0] == "nan"


def test_encoded_values_are_written_as_encoded() -> None:
    figure = Encoded({"data": [{"x": np.array([1.0, np.inf])}], "layout": {"title": "<t>"}})
    assert figure["layout"] == {"title": "<t>"}
    body = {"figure": figure, "cursor": 5, "note": ""}
    assert _strict(dumps(body)) == {
        "figure": {"data": [{"x": [1.0, "inf"]}], "layout": {"title": "<t>"}},
        "cursor": 5,
        "note": "",
    }
    assert dumps(figure) == figure.encoded


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        (
            FloatDistribution(1e-5, 1.0, log=True),
            {"type": "float", "low": 1e-5, "high": 1.0, "log": True, "step": None, "choices": None},
        ),
        (
            FloatDistribution(0.0, 1.0, step=0.25),
            {"type": "float", "low": 0.0, "high": 1.0, "log": False, "step": 0.25, "choices": None},
        ),
        (
            IntDistribution(1, 9, step=2),
            {"type": "int", "low": 1, "high": 9, "log": False, "step": 2, "choices": None},
        ),
        (
            CategoricalDistribution([None, True, 1.5, "<b>"]),
            {
                "type": "categorical",
                "low": None,
                "high": None,
                "log": False,
                "step": None,
                "choices": [None, True, 1.5, "<b>"],
            },
        ),
    ],
    ids=["float-log", "float-step", "int-step", "categorical"],
)
def test_distribution_json(dist: Any, expected: dict[str, Any]) -> None:
    assert distribution_json(dist) == expected


def test_trial_row_of_a_complete_trial() -> None:
    start = datetime.datetime(2024, 1, 1, 12, 0, 0)
    trial = create_trial(
        values=[float("inf"), 0.5],
        params={"x": 0.25, "kind": "<svm>"},
        distributions={"x": FloatDistribution(0, 1), "kind": CategoricalDistribution(["<svm>"])},
        user_attrs={"nested": {"a": [1, float("nan")]}, "名前": "値"},
        system_attrs={"constraints": [0.0, -1.0]},
    )
    trial.datetime_start = start
    trial.datetime_complete = start + datetime.timedelta(seconds=2.5)
    row = trial_row(trial)
    assert row == {
        "number": trial.number,
        "state": "COMPLETE",
        "values": ["inf", 0.5],
        "params": {"x": 0.25, "kind": "<svm>"},
        "user_attrs": {"nested": {"a": [1, "nan"]}, "名前": "値"},
        "datetime_start": "2024-01-01T12:00:00",
        "datetime_complete": "2024-01-01T12:00:02.500000",
        "duration": 2.5,
        "constraints": [0.0, -1.0],
        "feasible": True,
    }
    _strict(dumps(row))


def test_trial_row_of_running_and_infeasible_trials() -> None:
    running = create_trial(state=TrialState.RUNNING)
    row = trial_row(running)
    assert (row["state"], row["values"], row["duration"], row["datetime_complete"]) == (
        "RUNNING",
        None,
        None,
        None,
    )
    assert row["constraints"] is None and row["feasible"] is None
    infeasible = create_trial(value=1.0, system_attrs={"constraints:cost": 2.0})
    assert (trial_row(infeasible)["constraints"], trial_row(infeasible)["feasible"]) == (
        [2.0],
        False,
    )


def test_trial_detail_adds_distributions_reports_attrs_heartbeat_decision() -> None:
    study = podbor.create_study()
    study.enqueue_trial({"x": 0.5})
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(0.3, step=2)
    trial.report(0.7, step=1)
    study._storage.set_trial_system_attr(trial._trial_id, AutoSampler.SYSTEM_ATTR, "tpe: <why>")
    frozen = study.trials[0]
    beat = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    detail = trial_detail(frozen, beat)
    assert detail["state"] == "RUNNING"
    assert detail["distributions"] == {"x": distribution_json(FloatDistribution(0, 1))}
    assert detail["intermediate_values"] == [[1, 0.7], [2, 0.3]]
    assert detail["heartbeat"] == "2024-01-01T00:00:00+00:00"
    assert detail["sampler_decision"] == "tpe: <why>"
    assert detail["fixed_params"] == {"x": 0.5}
    assert detail["system_attrs"][AutoSampler.SYSTEM_ATTR] == "tpe: <why>"
    assert set(trial_row(frozen)) < set(detail)
    _strict(dumps(detail))
    assert trial_detail(create_trial(value=1.0), None)["heartbeat"] is None
