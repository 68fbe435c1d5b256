"""A snapshot block's trials as columns (``storages/_journal/_columns.py``): every field of every
kind of trial comes back as it was, through strict JSON, and a chunk whose columns disagree is
refused rather than read wrongly."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.storages._journal._columns import decode_chunk, encode_chunk
from podbor.trial import FrozenTrial, TrialState

_DISTS: list[BaseDistribution] = [
    FloatDistribution(-1e300, 1e300),
    FloatDistribution(1e-8, 1.0, log=True),
    IntDistribution(-(2**53), 2**53),
    IntDistribution(0, 90, step=3),
    CategoricalDistribution(["a", 1, 2.5, None, True, "é \u2028 <script>"]),
]


def _no_new(dist: BaseDistribution) -> int:
    raise AssertionError(f"{dist} is in the table")


def _fields(trial: FrozenTrial) -> str:
    """Every field, as text (NaN equals NaN, 1 differs from 1.0 and from True)."""
    return repr(
        (
            trial._trial_id,
            trial.number,
            trial.state,
            trial.values,
            trial.datetime_start,
            trial.datetime_complete,
            [(k, type(v), v) for k, v in trial.params.items()],
            trial.distributions,
            trial.user_attrs,
            trial.system_attrs,
            [(k, type(k), v) for k, v in trial.intermediate_values.items()],
        )
    )


def _round_trip(trials: list[tuple[int, FrozenTrial]]) -> list[tuple[int, FrozenTrial]]:
    dists = {id(d): i for i, d in enumerate(_DISTS)}
    text = json.dumps(encode_chunk(trials, dists, _no_new), allow_nan=False)  # strict JSON
    back = decode_chunk(json.loads(text), _DISTS, {}, lambda attrs: attrs)
    assert [trial_id for trial_id, _ in back] == [t._trial_id for _, t in trials]
    return [pair for _, pair in back]


_floats = st.floats(allow_nan=True, allow_infinity=True)
_keys = st.sampled_from(["a", "key", "ключ", "$json"])
_times = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime.datetime(1, 1, 1), max_value=datetime.datetime(9999, 1, 1)).map(
        lambda t: t.replace(fold=0)
    ),  # fold: kept by neither ISO text nor the journal
)


@st.composite
def _trial(draw: Any, trial_id: int) -> tuple[int, FrozenTrial]:
    params: dict[str, Any] = {}
    distributions: dict[str, BaseDistribution] = {}
    for position in draw(st.lists(st.integers(0, len(_DISTS) - 1), max_size=4)):
        dist = _DISTS[position]
        name = draw(st.sampled_from(["x", "y", "名前", "a\nb", ""]))
        if isinstance(dist, CategoricalDistribution):
            value: Any = draw(st.sampled_from(list(dist.choices)))
        elif isinstance(dist, IntDistribution):
            value = draw(st.integers(int(dist.low), int(dist.high)).map(lambda v: v - v % 3))
            value = max(int(dist.low), value)
        elif dist.log:
            value = draw(st.floats(dist.low, dist.high))
        else:
            value = draw(st.floats(dist.low, dist.high))
        if dist.contains_external(value):
            params[name], distributions[name] = value, dist
    state = draw(st.sampled_from(list(TrialState)))
    trial = FrozenTrial(
        draw(st.integers(0, 10**6)),
        state,
        None,
        draw(_times),
        draw(_times),
        params,
        distributions,
        draw(st.dictionaries(_keys, st.one_of(st.none(), st.integers(), _floats))),
        draw(st.dictionaries(_keys, st.one_of(st.text(max_size=5), st.booleans()))),
        draw(st.dictionaries(st.integers(0, 2**40), _floats, max_size=3)),
        trial_id,
        values=draw(st.one_of(st.none(), st.lists(_floats, min_size=1, max_size=3))),
    )
    return draw(st.integers(0, 3)), trial


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 6).flatmap(lambda n: st.tuples(*[_trial(i) for i in range(n)])))
def test_every_field_comes_back(trials: tuple[tuple[int, FrozenTrial], ...]) -> None:
    back = _round_trip(list(trials))
    assert [(s, _fields(t)) for s, t in back] == [(s, _fields(t)) for s, t in trials]


def test_times_with_a_zone_come_back_as_text_and_naive_ones_as_microseconds() -> None:
    naive = datetime.datetime(2026, 12, 7, 15, 30, 1, 999999)
    aware = naive.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=3)))
    trials = [
        (0, FrozenTrial(0, TrialState.COMPLETE, 1.0, naive, aware, {}, {}, {}, {}, {}, 5)),
        (0, FrozenTrial(1, TrialState.WAITING, None, None, None, {}, {}, {}, {}, {}, 6)),
    ]
    chunk = encode_chunk(trials, {}, _no_new)
    assert set(chunk["start"]) == {"us"} and set(chunk["complete"]) == {"iso"}
    back = _round_trip(trials)
    assert back[0][1].datetime_start == naive and back[0][1].datetime_complete == aware
    assert back[0][1].datetime_complete.utcoffset() == datetime.timedelta(hours=3)
    assert back[1][1].datetime_start is None and back[1][1].datetime_complete is None


def test_floats_keep_every_bit() -> None:
    values = [math.inf, -math.inf, math.nan, -0.0, 5e-324, 0.1 + 0.2]
    trial = FrozenTrial(
        0, TrialState.COMPLETE, None, None, None, {}, {}, {}, {}, dict(enumerate(values)), 0,
        values=values,
    )  # fmt: skip
    ((_, back),) = _round_trip([(0, trial)])
    assert repr(back.values) == repr(values)
    assert repr(list(back.intermediate_values.values())) == repr(values)


@pytest.mark.parametrize(
    "damage",
    [
        lambda c: c.update(trials=c["trials"] + 1),
        lambda c: c["number"].pop(),
        lambda c: c.update(n_params=[n + 1 for n in c["n_params"]]),
        lambda c: c.update(values=c["values"][:-12]),
        lambda c: c.update(report_step=c["report_step"][1:]),
        lambda c: c.update(param_value="not base64!"),
    ],
)
def test_a_chunk_whose_columns_disagree_is_refused(damage: Any) -> None:
    x = {"x": _DISTS[0]}
    trials = [
        (0, FrozenTrial(i, TrialState.COMPLETE, i, None, None, {"x": 0.5}, x, {}, {}, {0: 1.0}, i))
        for i in range(3)
    ]
    chunk = json.loads(json.dumps(encode_chunk(trials, {id(_DISTS[0]): 0}, _no_new)))
    damage(chunk)
    with pytest.raises(ValueError):
        decode_chunk(chunk, _DISTS, {}, lambda attrs: attrs)
