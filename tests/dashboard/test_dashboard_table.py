"""The trials table against a plain-Python reference: sort, filter and paging on random studies."""

from __future__ import annotations

import datetime
import json
import math
import random
from typing import Any

import pytest

import podbor
from podbor.dashboard._json import jsonable
from podbor.dashboard._monitor import Monitors, StudyMonitor
from podbor.dashboard._table import TableQueryError, query_trials
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.trial import FrozenTrial, TrialState, create_trial

CHOICES = ("a", "B", "<c>", 1, 2.5, None, True, "ä")
DISTS = {
    "f": FloatDistribution(-1.0, 1.0),
    "i": IntDistribution(0, 10),
    "c": CategoricalDistribution(CHOICES),
}
T0 = datetime.datetime(2024, 1, 1, 12, 0, 0)
_NONE = object()


def _random_trial(rng: random.Random) -> FrozenTrial:
    state = rng.choice(
        [TrialState.COMPLETE] * 5 + [TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING]
    )
    params = {"f": round(rng.uniform(-1, 1), 2), "i": rng.randint(0, 10), "c": rng.choice(CHOICES)}
    params = {k: v for k, v in params.items() if rng.random() < 0.85}
    values = None
    if state == TrialState.COMPLETE:
        values = [rng.choice([round(rng.uniform(0, 5), 1), float("inf")]), rng.uniform(-1, 1)]
    attr = rng.choice([1, 2.5, "x", "<X>", "xy", [1, 2], True, float("nan"), _NONE, _NONE])
    trial = create_trial(
        state=state,
        values=values,
        params=params,
        distributions={k: DISTS[k] for k in params},
        user_attrs={} if attr is _NONE else {"u": attr},
    )
    trial.datetime_start = T0 + datetime.timedelta(seconds=rng.randint(0, 50))
    if state != TrialState.RUNNING:
        trial.datetime_complete = trial.datetime_start + datetime.timedelta(
            seconds=rng.randint(0, 9)
        )
    return trial


def _study(seed: int, n: int) -> tuple[podbor.Study, StudyMonitor]:
    rng = random.Random(seed)
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.add_trials([_random_trial(rng) for _ in range(n)])
    return study, Monitors(study._storage, min_interval=0.0).get(study._study_id)


# -- the reference ----------------------------------------------------------------------------------
def _cell(trial: FrozenTrial, column: str) -> Any:
    if column == "number":
        return trial.number
    if column == "state":
        return trial.state.name
    if column == "duration":
        return _NONE if trial.duration is None else trial.duration.total_seconds()
    if column in ("datetime_start", "datetime_complete"):
        value = getattr(trial, column)
        return _NONE if value is None else value
    group, _, key = column.partition(".")
    if group == "values":
        return _NONE if trial.values is None else trial.values[int(key)]
    return (trial.params if group == "params" else trial.user_attrs).get(key, _NONE)


def _num(value: Any) -> float | None:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value):
        return float(value)
    return None


def _missing(value: Any) -> bool:
    return value is _NONE or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return json.dumps(jsonable(value), ensure_ascii=False)


def _sorted(trials: list[FrozenTrial], column: str, descending: bool) -> list[int]:
    def key(trial: FrozenTrial) -> tuple[Any, ...]:
        value = _cell(trial, column)
        if _missing(value):
            return (2, 0, "", trial.number)
        number = _num(value)
        if number is not None:
            return (1 if descending else 0, -number if descending else number, "", trial.number)
        return (0 if descending else 1, 0, _text(value), trial.number)

    if not descending:
        return [t.number for t in sorted(trials, key=key)]
    # strings descending, ties by number ascending: sort by number, then stable by text reversed
    by_number = sorted(trials, key=lambda t: t.number)
    by_text = sorted(by_number, key=lambda t: key(t)[2], reverse=True)
    return [t.number for t in sorted(by_text, key=lambda t: key(t)[:2])]


_OPS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _matches(trial: FrozenTrial, column: str, op: str, raw: str) -> bool:
    value = _cell(trial, column)
    if column == "state" and op in ("=", "!="):
        inside = value in [s.strip().upper() for s in raw.split(",")]
        return inside if op == "=" else not inside
    if _missing(value):
        return False
    if op == "~":
        return raw.casefold() in _text(value).casefold()
    if column in ("datetime_start", "datetime_complete"):
        try:
            wanted: float | None = datetime.datetime.fromisoformat(raw).timestamp()
        except ValueError:
            wanted = None
    else:
        try:
            wanted = float(raw)
        except ValueError:
            wanted = None
    number = _num(value)
    if wanted is not None and number is not None:
        return bool(_OPS[op](number, wanted))
    return bool(_OPS[op](_text(value), raw))  # strings, lists, bools, None: as text


def _reference(trials: list[FrozenTrial], sort: str, order: str, filters: list[str]) -> list[int]:
    column = "values.0" if sort == "value" else sort
    numbers = _sorted(trials, column, order == "desc")
    for expression in filters:
        for op in ("!=", "<=", ">=", "=", "<", ">", "~"):
            if op in expression:
                name, raw = (s.strip() for s in expression.split(op, 1))
                break
        name = "values.0" if name == "value" else name
        numbers = [n for n in numbers if _matches(trials[n], name, op, raw)]
    return numbers


# -- the tests --------------------------------------------------------------------------------------
COLUMNS = [
    "number",
    "state",
    "value",
    "values.1",
    "duration",
    "datetime_start",
    "datetime_complete",
    "params.f",
    "params.i",
    "params.c",
    "user_attrs.u",
]
FILTERS = [
    [],
    ["state=COMPLETE,pruned"],
    ["state!=COMPLETE"],
    ["value<2.5"],
    ["value>=inf"],
    ["values.1 > 0", "params.i <= 5"],
    ["params.c=<c>"],
    ["params.c=1"],
    ["params.c!=a"],
    ["params.c ~ b"],
    ["params.c>B"],
    ["user_attrs.u ~ x"],
    ["user_attrs.u >= 1"],
    ["user_attrs.u = true"],
    ["params.f ~ 0.", "duration < 5"],
    [f"datetime_start >= {(T0 + datetime.timedelta(seconds=25)).isoformat()}"],
    ["number < 30", "number >= 10"],
    ["params.f < abc"],
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sort_filter_and_paging_match_the_reference(seed: int) -> None:
    study, monitor = _study(seed, 120)
    rng = random.Random(seed)
    for sort in COLUMNS:
        for order in ("asc", "desc"):
            filters = rng.choice(FILTERS)
            expected = _reference(study.trials, sort, order, filters)
            offset, limit = rng.choice([(0, 50), (0, 1000), (7, 13), (110, 50)])
            page = query_trials(
                monitor, sort=sort, order=order, filters=filters, offset=offset, limit=limit
            )
            label = (sort, order, filters)
            assert page["matched"] == len(expected), label
            assert [r["number"] for r in page["rows"]] == expected[offset : offset + limit], label
            assert (page["total"], page["offset"], page["limit"]) == (120, offset, limit)
    for filters in FILTERS:
        expected = _reference(study.trials, "number", "asc", filters)
        page = query_trials(monitor, filters=filters, limit=1000)
        assert [r["number"] for r in page["rows"]] == expected, filters


def test_columns_follow_new_and_finished_trials() -> None:
    study, monitor = _study(5, 60)
    queries = [("params.c", "desc", ["state=COMPLETE,RUNNING"]), ("value", "asc", ["value<3"])]
    for sort, order, filters in queries:
        query_trials(monitor, sort=sort, order=order, filters=filters)  # columns cached
    rng = random.Random(9)
    running = [t for t in study.trials if t.state == TrialState.RUNNING]
    for trial in running[:3]:
        study.tell(trial.number, [rng.uniform(0, 5), 0.0])
    study.add_trials([_random_trial(rng) for _ in range(25)])
    for sort, order, filters in queries:
        page = query_trials(monitor, sort=sort, order=order, filters=filters, limit=1000)
        assert [r["number"] for r in page["rows"]] == _reference(study.trials, sort, order, filters)
        assert page["total"] == 85 and page["cursor"] == monitor.cursor


@pytest.mark.parametrize(
    ("kwargs", "argument", "value"),
    [
        ({"sort": "colour"}, "sort", "colour"),
        ({"sort": "params.nope"}, "sort", "params.nope"),
        ({"sort": "values.2"}, "sort", "values.2"),
        ({"order": "up"}, "order", "up"),
        ({"limit": 1001}, "limit", "1001"),
        ({"limit": -1}, "limit", "-1"),
        ({"limit": "ten"}, "limit", "ten"),
        ({"offset": -3}, "offset", "-3"),
        ({"filters": ["value ?? 3"]}, "filter", "value ?? 3"),
        ({"filters": ["nope=3"]}, "filter", "nope"),
        ({"filters": ["state=DONE"]}, "filter", "DONE"),
    ],
)
def test_wrong_arguments_name_argument_value_and_allowed(
    kwargs: dict[str, Any], argument: str, value: str
) -> None:
    _, monitor = _study(0, 5)
    with pytest.raises(TableQueryError) as info:
        query_trials(monitor, **kwargs)
    message = str(info.value)
    assert f"'{argument}'" in message and value in message and "must be" in message


def test_limit_bounds_and_string_arguments() -> None:
    _, monitor = _study(0, 30)
    assert len(query_trials(monitor, limit=0)["rows"]) == 0
    assert len(query_trials(monitor, limit="1000", offset="25")["rows"]) == 5  # type: ignore[arg-type]
    assert query_trials(monitor, filters="state=COMPLETE")["matched"] > 0
