"""Optuna's distribution JSON, read and written.

Optuna stores a distribution as ``{"name": <class name>, "attributes": {...}}``. The current
names (``FloatDistribution``, ``IntDistribution``, ``CategoricalDistribution``) carry the same
attributes as podbor's classes. Files written before Optuna 3.0 (and databases migrated from
them) may still hold the deprecated names, which are mapped to the current classes:

* ``UniformDistribution(low, high)`` → ``FloatDistribution(low, high)``
* ``LogUniformDistribution(low, high)`` → ``FloatDistribution(low, high, log=True)``
* ``DiscreteUniformDistribution(low, high, q)`` → ``FloatDistribution(low, high, step=q)``
* ``IntUniformDistribution(low, high, step)`` → ``IntDistribution(low, high, step=step)``
* ``IntLogUniformDistribution(low, high, step)`` → ``IntDistribution(low, high, log=True)``
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["from_optuna_json", "to_optuna_json"]


def _float(a: Mapping[str, Any]) -> BaseDistribution:
    return FloatDistribution(a["low"], a["high"], log=bool(a.get("log", False)), step=a.get("step"))


def _int(a: Mapping[str, Any]) -> BaseDistribution:
    return IntDistribution(
        a["low"], a["high"], log=bool(a.get("log", False)), step=a.get("step", 1)
    )


_READERS: dict[str, Callable[[Mapping[str, Any]], BaseDistribution]] = {
    "FloatDistribution": _float,
    "IntDistribution": _int,
    "CategoricalDistribution": lambda a: CategoricalDistribution(tuple(a["choices"])),
    "UniformDistribution": lambda a: FloatDistribution(a["low"], a["high"]),
    "LogUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], log=True),
    "DiscreteUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], step=a["q"]),
    "IntUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], step=a.get("step", 1)),
    "IntLogUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], log=True),
}


def from_optuna_json(text: Any) -> BaseDistribution:
    """The distribution of Optuna's JSON text, deprecated names included.

    Args:
        text: The JSON text, as Optuna stores it.

    Raises:
        ValueError: If the text is not JSON, names no known distribution, or its attributes
            do not make one (the message says which).

    Example:
        >>> from_optuna_json('{"name": "LogUniformDistribution", "attributes": {"low": 1e-3, "high": 1.0}}')
        FloatDistribution(low=0.001, high=1.0, log=True, step=None)
    """
    if not isinstance(text, str):
        raise ValueError(f"a distribution must be JSON text, not {type(text).__name__}")
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> BaseDistribution:
    """:func:`from_optuna_json` for a string (cached: a file repeats each distribution often,
    and distributions are immutable, so one object may serve every trial)."""
    try:
        payload = json.loads(text)
        reader = _READERS[payload["name"]]
        attributes = payload["attributes"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"{text[:120]!r} is not one of Optuna's distributions {sorted(_READERS)}"
        ) from None
    try:
        with warnings.catch_warnings():  # a stored range is taken as it is, never "adjusted"
            warnings.simplefilter("ignore")
            return reader(attributes)
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{text[:120]!r} is not a valid distribution ({err})") from None


def to_optuna_json(distribution: BaseDistribution) -> str:
    """The JSON text Optuna 5 writes for ``distribution`` (always under a current class name).

    Example:
        >>> to_optuna_json(IntDistribution(1, 8, step=1))
        '{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 8}}'
    """
    d = distribution
    attributes: dict[str, Any]
    if isinstance(d, FloatDistribution):
        name = "FloatDistribution"
        attributes = {"step": d.step, "low": d.low, "high": d.high, "log": d.log}
    elif isinstance(d, IntDistribution):
        name = "IntDistribution"
        attributes = {"log": d.log, "step": d.step, "low": d.low, "high": d.high}
    elif isinstance(d, CategoricalDistribution):
        name = "CategoricalDistribution"
        attributes = {"choices": list(d.choices)}
    else:
        raise ValueError(f"Optuna has no distribution like {d!r}")
    return json.dumps({"name": name, "attributes": attributes})
