"""JSON for the dashboard's API: trials, distributions and any value a study may hold.

JSON has no infinity, no NaN, no datetime and no numpy; the API writes non-finite floats as the
strings ``"inf"``, ``"-inf"`` and ``"nan"`` (the page shows them as text), datetimes in ISO 8601
(with the time zone as stored), numpy scalars and arrays as numbers and lists, and anything else
it cannot hold as its ``str``. :func:`dumps` encodes whole response bodies, figures of 10^5 points
included, mostly in ``json``'s C encoder: numpy arrays are converted at once, and the slow
walk over every value runs only when a Python float is not finite.

This module imports neither Starlette nor plotly.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from podbor._records.base_trial import constraints_from_system_attrs
from podbor._study_core import FIXED_PARAMS_KEY
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.samplers import AutoSampler
from podbor.trial import FrozenTrial

__all__ = [
    "Encoded",
    "distribution_json",
    "dumps",
    "iso",
    "jsonable",
    "trial_detail",
    "trial_row",
]

_SCALARS = (str, int, bool, type(None))


def _float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def iso(value: datetime.datetime | None) -> str | None:
    """A datetime in ISO 8601 (its time zone, if it has one, kept), or None."""
    return None if value is None else value.isoformat()


def jsonable(value: Any) -> Any:
    """``value`` made of what JSON holds: dicts with string keys, lists, strings, finite numbers.

    Example:
        >>> import numpy as np, datetime
        >>> jsonable({"a": (np.float32(0.5), float("inf")), 1: datetime.date(2024, 1, 2)})
        {'a': [0.5, 'inf'], '1': '2024-01-02'}
    """
    if isinstance(value, enum.Enum):  # before int: TrialState is an IntEnum
        return value.name
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    converted = jsonable(key)
    return converted if isinstance(converted, str) else json.dumps(converted)


def _array(array: np.ndarray[Any, Any]) -> Any:
    """A numpy array as (nested) lists; non-finite floats as strings, converted at once."""
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if finite.all():
            return array.tolist()
        cells = array.astype(object)
        cells[np.isnan(array)] = "nan"
        cells[np.isposinf(array)] = "inf"
        cells[np.isneginf(array)] = "-inf"
        return cells.tolist()
    if array.dtype.kind in "iub":
        return array.tolist()
    if array.dtype.kind == "M":
        return [None if np.isnat(v) else str(v) for v in array.ravel()]
    return jsonable(array.tolist())


def _default(value: Any) -> Any:
    """``json``'s hook for what it cannot write: the fast path of :func:`dumps`."""
    if isinstance(value, np.ndarray):
        return _array(value)
    converted = jsonable(value)
    if converted is value:  # pragma: no cover - jsonable always converts what json refuses
        return str(value)
    return converted


class Encoded(Mapping[str, Any]):
    """A mapping kept as its JSON: :func:`dumps` writes ``encoded`` for it, at no cost, when it
    is the body or a value of the body (a cached figure of 20 MB is encoded once, and only its
    bytes are kept; reading a key decodes it, which only tests do).

    Example:
        >>> figure = Encoded({"data": [1.0, float("inf")]})
        >>> dumps({"figure": figure, "cursor": 3}).decode()
        '{"figure":{"data":[1.0,"inf"]},"cursor":3}'
        >>> figure["data"]
        [1.0, 'inf']
    """

    def __init__(self, value: Mapping[str, Any]) -> None:
        self.encoded = _encode(value)
        self._decoded: dict[str, Any] | None = None

    def _value(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = json.loads(self.encoded)
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._value()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value())

    def __len__(self) -> int:
        return len(self._value())


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of :func:`jsonable` ``(value)``.

    The C encoder writes the body at once; only when it meets a non-finite Python float or a
    key JSON refuses is the body converted by :func:`jsonable` first. An :class:`Encoded` body,
    or value of the body, is written as it was encoded. (An ``IntEnum`` is written as its
    number, as ``json`` does: convert it with :func:`jsonable` to have its name.)

    Example:
        >>> dumps({"x": [1.5, float("nan")], "name": "<é>"}).decode()
        '{"x":[1.5,"nan"],"name":"<é>"}'
    """
    if isinstance(value, Encoded):
        return value.encoded
    if isinstance(value, dict) and any(isinstance(v, Encoded) for v in value.values()):
        token = secrets.token_hex(8)  # a mark no user string holds
        marks = {
            f"\x00{token}:{i}\x00": v
            for i, v in enumerate(value.values())
            if isinstance(v, Encoded)
        }
        names = {id(v): mark for mark, v in marks.items()}
        text = _encode({k: names.get(id(v), v) for k, v in value.items()})
        for mark, encoded in marks.items():
            text = text.replace(_encode(mark), encoded.encoded, 1)
        return text
    return _encode(value)


def _encode(value: Any) -> bytes:
    try:
        text = json.dumps(
            value, default=_default, allow_nan=False, ensure_ascii=False, separators=(",", ":")
        )
    except (ValueError, TypeError):
        text = json.dumps(
            jsonable(value), allow_nan=False, ensure_ascii=False, separators=(",", ":")
        )
    return text.encode("utf-8")


def distribution_json(d: BaseDistribution) -> dict[str, Any]:
    """A distribution as ``{"type", "low", "high", "log", "step", "choices"}``.

    Example:
        >>> distribution_json(IntDistribution(1, 9, step=2))
        {'type': 'int', 'low': 1, 'high': 9, 'log': False, 'step': 2, 'choices': None}
    """
    if isinstance(d, CategoricalDistribution):
        return {
            "type": "categorical",
            "low": None,
            "high": None,
            "log": False,
            "step": None,
            "choices": jsonable(list(d.choices)),
        }
    if isinstance(d, (FloatDistribution, IntDistribution)):
        kind = "int" if isinstance(d, IntDistribution) else "float"
        return {
            "type": kind,
            "low": jsonable(d.low),
            "high": jsonable(d.high),
            "log": bool(d.log),
            "step": jsonable(d.step),
            "choices": None,
        }
    return {"type": type(d).__name__, "low": None, "high": None, "log": False, "step": None,
            "choices": None}  # fmt: skip


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    """One row of the trials table: number, state, values, params, user attributes, times.

    ``duration`` is in seconds; ``constraints`` are the recorded constraint values (None when
    none are) and ``feasible`` whether all of them are <= 0.

    Example:
        >>> from podbor.trial import create_trial
        >>> row = trial_row(create_trial(value=float("inf")))
        >>> row["state"], row["values"], row["constraints"]
        ('COMPLETE', ['inf'], None)
    """
    duration = trial.duration
    constraints = list(constraints_from_system_attrs(trial.system_attrs).values())
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": None if trial.values is None else [_num(v) for v in trial.values],
        "params": jsonable(trial.params),
        "user_attrs": jsonable(trial.user_attrs),
        "datetime_start": iso(trial.datetime_start),
        "datetime_complete": iso(trial.datetime_complete),
        "duration": None if duration is None else duration.total_seconds(),
        "constraints": jsonable(constraints) if constraints else None,
        "feasible": all(float(c) <= 0.0 for c in constraints) if constraints else None,
    }


def _num(value: Any) -> Any:
    return _float(float(value)) if isinstance(value, (float, np.floating)) else jsonable(value)


def trial_detail(trial: FrozenTrial, heartbeat: datetime.datetime | None) -> dict[str, Any]:
    """A trial's row plus its distributions, intermediate values, system attributes, heartbeat,
    the default sampler's decision (``"<strategy>: <reason>"``) and the enqueued params.

    Example:
        >>> from podbor.trial import create_trial
        >>> detail = trial_detail(create_trial(value=1.0, intermediate_values={2: 0.5, 1: 0.7}), None)
        >>> detail["intermediate_values"], detail["heartbeat"], detail["sampler_decision"]
        ([[1, 0.7], [2, 0.5]], None, None)
    """
    system = trial.system_attrs
    decision = system.get(AutoSampler.SYSTEM_ATTR)
    fixed = system.get(FIXED_PARAMS_KEY)
    return {
        **trial_row(trial),
        "distributions": {k: distribution_json(d) for k, d in trial.distributions.items()},
        "intermediate_values": [
            [step, _num(v)] for step, v in sorted(trial.intermediate_values.items())
        ],
        "system_attrs": jsonable(system),
        "heartbeat": iso(heartbeat),
        "sampler_decision": None if decision is None else str(decision),
        "fixed_params": jsonable(fixed) if isinstance(fixed, Mapping) else None,
    }
