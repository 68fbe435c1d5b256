"""How values travel through a journal line: strict JSON only, nothing pickled.

* Floats (objective values, reports, internal parameter values) are JSON numbers when finite and
  the strings ``"inf"``, ``"-inf"`` and ``"nan"`` otherwise; ``float()`` reads both back.
* Attribute values are stored as they are when they are strict JSON. A value holding ±inf or
  NaN (which strict JSON cannot spell) is stored as ``{"$json": "<json text>"}`` instead, and so
  is a value that itself looks like that wrapper, so decoding is never ambiguous.
* Distributions are the JSON text of :func:`~podbor.distributions.distribution_to_json`.
* Datetimes are ISO 8601 strings; states and directions are their names.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from podbor.storages._input_rules import attr_to_json

__all__ = [
    "StringCache",
    "add_param",
    "decode_attr",
    "decode_attrs",
    "decode_datetime",
    "decode_float",
    "decode_template",
    "decode_trial",
    "encode_attr",
    "encode_attrs",
    "encode_datetime",
    "encode_float",
    "encode_stored_attr",
    "encode_template",
]

_WRAPPER = "$json"


def encode_float(value: float) -> float | str:
    """A float as strict JSON: itself when finite, else ``"inf"``, ``"-inf"`` or ``"nan"``."""
    value = float(value)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def decode_float(encoded: float | int | str) -> float:
    """Inverse of :func:`encode_float`."""
    return float(encoded)


def encode_attr(value: Any, kind: str, key: str) -> Any:
    """An attribute value as strict JSON (see the module docstring).

    Raises:
        ValueError: If the key is not a name, or the value is not JSON-serializable or nests too
            deeply (the error of :func:`~podbor.storages._input_rules.attr_to_json`, which every
            storage raises).
    """
    text = attr_to_json(value, kind, key)  # the contract's checks: key, JSON, depth
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:  # ±inf or NaN somewhere inside: kept, as JSON text
        return {_WRAPPER: text}
    if isinstance(value, dict) and list(value) == [_WRAPPER]:
        return {_WRAPPER: text}
    return value


_PLAIN = frozenset({str, int, bool, type(None)})


def encode_stored_attr(value: Any, kind: str, key: str) -> Any:
    """:func:`encode_attr` of a value already stored (its key and value were checked when it was
    set): a string, number, bool or None, as most attributes are, is returned without checking
    it again, which a snapshot of 10⁵ trials would otherwise pay for every one of them."""
    kind_of = type(value)
    if kind_of in _PLAIN or (kind_of is float and math.isfinite(value)):
        return value
    return encode_attr(value, kind, key)


def decode_attr(encoded: Any) -> Any:
    """Inverse of :func:`encode_attr`."""
    if isinstance(encoded, dict) and list(encoded) == [_WRAPPER]:
        return json.loads(encoded[_WRAPPER])
    return encoded


def encode_attrs(attrs: dict[str, Any], kind: str, *, stored: bool = False) -> dict[str, Any]:
    """Every attribute of ``attrs`` through :func:`encode_attr` (``stored``: through
    :func:`encode_stored_attr`, for attributes that were checked when they were set)."""
    if not attrs:
        return {}
    encode = encode_stored_attr if stored else encode_attr
    return {key: encode(value, kind, key) for key, value in attrs.items()}


def decode_attrs(encoded: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`encode_attrs`."""
    return {key: decode_attr(value) for key, value in encoded.items()} if encoded else {}


def encode_datetime(value: datetime.datetime | None) -> str | None:
    """A datetime as ISO 8601 text (``None`` stays ``None``)."""
    return None if value is None else value.isoformat()


def decode_datetime(encoded: str | None) -> datetime.datetime | None:
    """Inverse of :func:`encode_datetime`."""
    return None if encoded is None else datetime.datetime.fromisoformat(encoded)


def encode_template(trial: FrozenTrial) -> dict[str, Any]:
    """Everything of a template trial except its number and id, as strict JSON."""
    return {
        "state": trial.state.name,
        "values": None if trial.values is None else [encode_float(v) for v in trial.values],
        "datetime_start": encode_datetime(trial.datetime_start),
        "datetime_complete": encode_datetime(trial.datetime_complete),
        "params": {
            name: [
                encode_float(dist.to_internal_repr(trial.params[name])),
                distribution_to_json(dist),
            ]
            for name, dist in trial.distributions.items()
        },
        "user_attrs": encode_attrs(trial.user_attrs, "user"),
        "system_attrs": encode_attrs(trial.system_attrs, "system"),
        "intermediate_values": [
            [int(step), encode_float(v)] for step, v in trial.intermediate_values.items()
        ],
    }


def decode_template(encoded: dict[str, Any], dists: DistributionCache) -> FrozenTrial:
    """Inverse of :func:`encode_template` (number and id -1 until the trial joins its study)."""
    trial = decode_trial(
        -1,
        -1,
        encoded["state"],
        encoded["datetime_start"],
        encoded["datetime_complete"],
        encoded["user_attrs"],
        encoded["system_attrs"],
        encoded["intermediate_values"],
        encoded["values"],
    )
    for name, (internal, dist_json) in encoded["params"].items():
        add_param(trial, name, dists.get(dist_json), internal)
    return trial


def decode_trial(
    number: int,
    trial_id: int,
    state: str,
    start: str | None,
    complete: str | None,
    user: dict[str, Any],
    system: dict[str, Any],
    reports: Iterable[Sequence[Any]],
    values: list[float | int | str] | None,
    keep_system: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> FrozenTrial:
    """A trial from its encoded fields, parameters left to :func:`add_param`.

    One decoding for a template trial's line and the snapshot's trial rows; ``keep_system``
    may swap the system attributes for shared copies (the snapshot interns repeated strings).
    """
    system_attrs = decode_attrs(system)
    return FrozenTrial(
        number,
        TrialState[state],
        None,
        decode_datetime(start),
        decode_datetime(complete),
        {},
        {},
        decode_attrs(user),
        system_attrs if keep_system is None else keep_system(system_attrs),
        {int(step): decode_float(v) for step, v in reports},
        trial_id,
        values=None if values is None else [decode_float(v) for v in values],
    )


def add_param(
    trial: FrozenTrial, name: str, dist: BaseDistribution, internal: float | int | str
) -> None:
    """Give a freshly decoded trial the parameter ``name`` from its encoded internal value."""
    trial.params[name] = dist.to_external_repr(decode_float(internal))
    trial.distributions[name] = dist


class DistributionCache:
    """Distribution JSON text → distribution, parsed once (distributions are immutable)."""

    def __init__(self) -> None:
        self._by_text: dict[str, BaseDistribution] = {}

    def get(self, text: str) -> BaseDistribution:
        """Return the distribution the JSON text describes."""
        dist = self._by_text.get(text)
        if dist is None:
            dist = json_to_distribution(text)
            self._by_text[text] = dist
        return dist

    def known(self, text: str) -> BaseDistribution | None:
        """The distribution of a text seen before; None for a new one (not parsed here)."""
        return self._by_text.get(text)


class StringCache:
    """Short strings that repeat from trial to trial (the ``worker`` system attribute, a
    categorical label) kept once, so that 10⁵ trials do not hold 10⁵ copies of one text.

    At most ``limit`` distinct strings are kept; past that, new ones are used as they come.
    """

    def __init__(self, limit: int = 10_000, longest: int = 64) -> None:
        self._seen: dict[str, str] = {}
        self._limit, self._longest = limit, longest

    def attrs(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``attrs`` with its short string values replaced by the kept equal ones (in place)."""
        seen = self._seen
        for key, value in attrs.items():
            if type(value) is str and len(value) <= self._longest:
                kept = seen.get(value)
                if kept is None and len(seen) < self._limit:
                    kept = seen[value] = value
                if kept is not None:
                    attrs[key] = kept
        return attrs
