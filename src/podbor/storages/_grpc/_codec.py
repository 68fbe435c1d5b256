"""What travels between a storage proxy and its server: storage calls and their results as JSON.

Nothing is pickled: a proxy server listens on the network, and unpickling what a client sends
would run the client's code. Every value a storage method takes or returns is encoded as JSON
instead, exactly (a tuple stays a tuple, a NaN a NaN, an ``int`` an ``int``):

* ``None``, bools, ints, strings and finite floats are themselves; a list is a JSON array;
* anything else is an object with one key naming its kind: ``{"f": "nan"}`` (a float that is
  not finite), ``{"t": [...]}`` (a tuple), ``{"s": [...]}`` (a set), ``{"d": [[k, v], ...]}``
  (a dict, keys of any type), ``{"ts": "COMPLETE"}`` (a ``TrialState``), ``{"sd": "MINIMIZE"}``
  (a ``StudyDirection``), ``{"dt": "..."}`` (a datetime), ``{"dist": "..."}`` (a
  distribution, as :func:`~podbor.distributions.distribution_to_json` writes it),
  ``{"trial": {...}}`` and ``{"study": {...}}`` (a ``FrozenTrial``, a ``FrozenStudy``).

An exception raised by the storage travels as its class and message, and is raised again by
the proxy as the same class when it is a built-in or a podbor exception
(:func:`error_to_json`, :func:`error_from_json`).
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from podbor import exceptions
from podbor._frozen_study import FrozenStudy
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from podbor.storages._input_rules import MAX_JSON_DEPTH

__all__ = [
    "Unsendable",
    "decode",
    "dumps",
    "encode",
    "error_from_json",
    "error_to_json",
    "loads",
]

_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_BUILTIN_ERRORS: dict[str, type[Exception]] = {
    e.__name__: e
    for e in (
        KeyError,
        ValueError,
        TypeError,
        RuntimeError,
        IndexError,
        NotImplementedError,
        AttributeError,
    )
}


class Unsendable:
    """What the server gets for a value JSON cannot carry (an object, bytes, an int of more
    than 64 bits, a structure nested too deeply): the storage then refuses it with its own
    error, as it refuses the value itself, and the message shows the value as the caller wrote
    it."""

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def __repr__(self) -> str:
        return self.shown


_DEEPEST = MAX_JSON_DEPTH + 2
"""Nesting beyond what any storage keeps travels as a stand-in: the storage still sees it too
deep and refuses it with its own message."""
_MAX_INT_BITS = 13_000  # ~3,900 decimal digits: Python writes at most 4,300 by default


def encode(value: Any) -> Any:
    """``value`` as JSON-able data (see the module's docstring); a value JSON cannot carry
    becomes :class:`Unsendable` on the other side.

    Example:
        >>> encode((1, float("nan"), {"a": [True]}))
        {'t': [1, {'f': 'nan'}, {'d': [['a', [True]]]}]}
    """
    return _encode(value, 0)


def _encode(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)  # a subclass (numpy.str_, a str enum): the text JSON holds
    if depth > _DEEPEST:  # the storage refuses it as too deep: a stand-in leaf here keeps the
        return {"x": "<nested deeper>"}  # depth it sees, and the encoder off Python's limit

    def encode(inner: Any) -> Any:
        return _encode(inner, depth + 1)

    if isinstance(value, TrialState):  # before int: both enums are ints
        return {"ts": value.name}
    if isinstance(value, StudyDirection):
        return {"sd": value.name}
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:  # more digits than JSON text may hold
            return {"x": f"<an int of {value.bit_length()} bits>"}
        return int(value)
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else {"f": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"s": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, BaseDistribution):
        return {"dist": distribution_to_json(value)}
    if isinstance(value, FrozenTrial):
        return {"trial": _trial_fields(value)}
    if isinstance(value, FrozenStudy):
        return {
            "study": [
                value.study_name,
                [d.name for d in value.directions],
                encode(value.user_attrs),
                encode(value.system_attrs),
                value._study_id,
            ]
        }
    return _other(value)


def _other(value: Any) -> dict[str, str]:
    """A value JSON cannot carry: the tag of :class:`Unsendable`, with how it is shown."""
    try:
        shown = repr(value)
    except Exception:
        shown = f"<a {type(value).__name__}>"
    return {"x": shown[:200]}


def _trial_fields(trial: FrozenTrial) -> list[Any]:
    return [
        trial.number,
        trial.state.name,
        None if trial.values is None else [encode(v) for v in trial.values],
        encode(trial.datetime_start),
        encode(trial.datetime_complete),
        encode(trial.params),
        [[name, distribution_to_json(d)] for name, d in trial.distributions.items()],
        encode(trial.user_attrs),
        encode(trial.system_attrs),
        [[step, encode(v)] for step, v in trial.intermediate_values.items()],
        trial._trial_id,
    ]


def decode(data: Any) -> Any:
    """The value :func:`encode` turned into ``data``.

    Example:
        >>> decode(encode({"x": (1.5, None)})) == {"x": (1.5, None)}
        True
    """
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    ((kind, body),) = data.items()
    if kind == "f":
        return _FLOATS[body]
    if kind == "t":
        return tuple(decode(v) for v in body)
    if kind == "s":
        return {decode(v) for v in body}
    if kind == "d":
        return {decode(k): decode(v) for k, v in body}
    if kind == "ts":
        return TrialState[body]
    if kind == "sd":
        return StudyDirection[body]
    if kind == "dt":
        return datetime.datetime.fromisoformat(body)
    if kind == "dist":
        return json_to_distribution(body)
    if kind == "x":
        return Unsendable(str(body))
    if kind == "trial":
        return _trial(body)
    if kind == "study":
        name, directions, user_attrs, system_attrs, study_id = body
        return FrozenStudy(
            name,
            None,
            decode(user_attrs),
            decode(system_attrs),
            study_id,
            directions=[StudyDirection[d] for d in directions],
        )
    raise ValueError(f"Not a value a storage proxy sends: {data!r}")


def _trial(body: list[Any]) -> FrozenTrial:
    (number, state, values, start, complete, params, dists, user, system, reports, trial_id) = body
    return FrozenTrial(
        number=number,
        state=TrialState[state],
        value=None,
        values=None if values is None else [decode(v) for v in values],
        datetime_start=decode(start),
        datetime_complete=decode(complete),
        params=decode(params),
        distributions={name: json_to_distribution(text) for name, text in dists},
        user_attrs=decode(user),
        system_attrs=decode(system),
        intermediate_values={step: decode(v) for step, v in reports},
        trial_id=trial_id,
    )


def dumps(value: Any) -> bytes:
    """``value`` encoded and written as JSON bytes (strict JSON: no NaN literals)."""
    return json.dumps(encode(value), allow_nan=False, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    """The value :func:`dumps` wrote."""
    return decode(json.loads(data))


def error_to_json(error: BaseException) -> dict[str, Any]:
    """An exception as its class name, module and message (what :func:`error_from_json` reads)."""
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return {"type": type(error).__name__, "module": type(error).__module__, "message": message}


def error_from_json(data: dict[str, Any], where: str) -> Exception:
    """The exception to raise again: the same class for built-in and podbor exceptions, else a
    :class:`~podbor.exceptions.StorageInternalError` that names it."""
    name, module, message = data["type"], data["module"], str(data["message"])
    if module == "builtins" and name in _BUILTIN_ERRORS:
        return _BUILTIN_ERRORS[name](message)
    found = getattr(exceptions, name, None)
    if module.startswith("podbor") and isinstance(found, type) and issubclass(found, Exception):
        return found(message)
    return exceptions.StorageInternalError(f"{where}: the storage raised {name}: {message}")
