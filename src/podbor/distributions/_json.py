"""Distributions to and from JSON (no pickle), and the check that a parameter keeps its kind."""

from __future__ import annotations

import json
from typing import Any

from podbor.distributions._legacy import _current
from podbor.distributions._types import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import InvalidArgumentError, invalid_argument

_RANGES = (FloatDistribution, IntDistribution)

_CLASSES: dict[str, type[BaseDistribution]] = {
    "FloatDistribution": FloatDistribution,
    "IntDistribution": IntDistribution,
    "CategoricalDistribution": CategoricalDistribution,
}

# Optuna's deprecated names, read from JSON as the current distribution they stand for.
_OLD_NAMES: dict[str, Any] = {
    "UniformDistribution": lambda a: FloatDistribution(a["low"], a["high"]),
    "LogUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], log=True),
    "DiscreteUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], step=a["q"]),
    "IntUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], step=a.get("step", 1)),
    "IntLogUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], log=True),
}

# The abbreviated form, ``{"type": "int", "low": 1, "high": 9}``, accepted by Optuna's CLI.
_ABBREVIATED: dict[str, type[BaseDistribution]] = {
    "float": FloatDistribution,
    "int": IntDistribution,
    "categorical": CategoricalDistribution,
}


def distribution_to_json(distribution: BaseDistribution) -> str:
    """Serialize a distribution to a JSON string (no pickle).

    A deprecated distribution (``UniformDistribution``, …) is written as the current one it
    stands for.

    Example:
        >>> distribution_to_json(IntDistribution(1, 3))
        '{"name": "IntDistribution", "attributes": {"low": 1, "high": 3, "log": false, "step": 1}}'
    """
    distribution = _current(distribution)
    attrs = distribution._asdict()
    if isinstance(distribution, CategoricalDistribution):
        attrs = {"choices": list(distribution.choices)}
    return json.dumps({"name": type(distribution).__name__, "attributes": attrs})


def json_to_distribution(json_str: str) -> BaseDistribution:
    """Rebuild a distribution from JSON.

    Three forms are read: :func:`distribution_to_json`'s output (``{"name": …, "attributes":
    …}``, ``log`` and ``step`` optional for an ``IntDistribution``), the same with one of
    Optuna's deprecated names (read as the current distribution), and the abbreviated form
    ``{"type": "float" | "int" | "categorical", …attributes}``.

    Raises:
        ValueError: If the JSON does not describe a known, valid distribution.

    Example:
        >>> json_to_distribution('{"type": "int", "low": 1, "high": 9}')
        IntDistribution(low=1, high=9, log=False, step=1)
    """
    cls: type[BaseDistribution] | None = None
    try:
        payload = json.loads(json_str)
        if "type" in payload and "name" not in payload:
            attributes = {k: v for k, v in payload.items() if k != "type"}
            cls = _ABBREVIATED[payload["type"]]
        else:
            attributes = payload["attributes"]
            if payload["name"] in _OLD_NAMES:
                return _OLD_NAMES[payload["name"]](attributes)  # type: ignore[no-any-return]
            cls = _CLASSES[payload["name"]]
        if cls is CategoricalDistribution:
            return CategoricalDistribution(tuple(attributes["choices"]))
        return cls(**attributes)
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        allowed = f"describe one of {sorted(_CLASSES)}"
        if cls is not None and isinstance(err, KeyError):
            allowed = f"describe a {cls.__name__} with its {err.args[0]!r} attribute"
        raise invalid_argument("json_str", json_str, allowed, owner="json_to_distribution") from err


def check_distribution_compatibility(old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise when one parameter name is used with two incompatible distributions in one study.

    A float or int range may change from trial to trial (dynamic search spaces), but the kind of
    distribution, its log flag and a categorical's choices may not. A deprecated distribution
    counts as the current one it stands for.

    Raises:
        ValueError: If the two distributions are incompatible; the message names both.
    """
    if type(old) is type(new) and type(old) in _RANGES and old.log == new.log:  # type: ignore[attr-defined]
        return  # the common case, first: the same current range type and scale
    old, new = _current(old), _current(new)
    if type(old) is not type(new):
        raise InvalidArgumentError(
            f"Cannot use {type(new).__name__} for a parameter that was {type(old).__name__} "
            f"in this study ({old!r} vs {new!r}). Use a different parameter name."
        )
    if isinstance(old, (FloatDistribution, IntDistribution)):
        assert isinstance(new, (FloatDistribution, IntDistribution))
        if old.log != new.log:
            raise InvalidArgumentError(
                f"Cannot change log={old.log} to log={new.log} for the same parameter "
                f"({old!r} vs {new!r}). Use a different parameter name."
            )
    if isinstance(old, CategoricalDistribution) and old != new:
        assert isinstance(new, CategoricalDistribution)
        raise InvalidArgumentError(
            f"Cannot change the choices of a categorical parameter from {old.choices!r} to "
            f"{new.choices!r} within one study. Use a different parameter name."
        )
