"""What the experiment-tracking callbacks (MLflow, W&B, TensorBoard) share: metric names.

A study callback receives each finished trial and logs its objective value(s) under a name.
Optuna's trackers agree on one rule, kept here so the three behave the same: ``metric_name`` is
a single name, used as is for one objective and numbered (``value_0``, ``value_1``) for
several, or one name per objective. The length can only be compared with the study's
objectives when the first trial arrives, so the check is split in two: the type at
construction, the count at each call.

Example:
    >>> names = check_metric_name(["loss", "latency"], owner="MLflowCallback")
    >>> metric_names(names, 2, owner="MLflowCallback")
    ['loss', 'latency']
    >>> metric_names("value", 2, owner="MLflowCallback")
    ['value_0', 'value_1']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from podbor.exceptions import invalid_argument

__all__ = ["check_bool", "check_kwargs", "check_metric_name", "metric_names", "truncate"]

MetricName = str | tuple[str, ...]


def check_metric_name(metric_name: Any, *, owner: str) -> MetricName:
    """Return ``metric_name`` as a ``str`` or a tuple of distinct names, or raise naming it.

    Raises:
        podbor.exceptions.InvalidArgumentTypeError: (a ``TypeError``, as in Optuna) when it is
            neither a ``str`` nor a sequence of ``str``.
        podbor.exceptions.InvalidArgumentError: for an empty sequence, an empty name or a
            repeated name.
    """
    allowed = "a str, or a sequence of str with one distinct name per objective"
    if isinstance(metric_name, str):
        if not metric_name:
            raise invalid_argument("metric_name", metric_name, "a non-empty str", owner=owner)
        return metric_name
    if not isinstance(metric_name, Sequence) or not all(isinstance(n, str) for n in metric_name):
        raise invalid_argument("metric_name", metric_name, allowed, owner=owner, wrong_type=True)
    names = tuple(metric_name)
    if not names or not all(names) or len(set(names)) != len(names):
        raise invalid_argument("metric_name", metric_name, allowed, owner=owner)
    return names


def metric_names(metric_name: MetricName, n_objectives: int, *, owner: str) -> list[str]:
    """The name to log each of ``n_objectives`` values under.

    Raises:
        podbor.exceptions.InvalidArgumentError: a sequence whose length is not
            ``n_objectives``; the message gives both counts.
    """
    if isinstance(metric_name, str):
        if n_objectives == 1:
            return [metric_name]
        return [f"{metric_name}_{i}" for i in range(n_objectives)]
    if len(metric_name) != n_objectives:
        raise invalid_argument(
            "metric_name",
            list(metric_name),
            f"one name per objective: the study has {n_objectives} objective(s) but "
            f"{len(metric_name)} name(s) were given (or pass one str to number them)",
            owner=owner,
        )
    return list(metric_name)


def check_kwargs(
    name: str, value: Any, allowed: Iterable[str] | None, *, owner: str, what: str
) -> dict[str, Any]:
    """Return ``value`` (a mapping with str keys, or None) as a new ``dict``, or raise naming it.

    Args:
        name: The argument's name, e.g. ``"mlflow_kwargs"``.
        value: What was passed.
        allowed: The keys accepted; ``None`` accepts any.
        owner: The class the argument belongs to.
        what: What the keys are, for the message, e.g. ``"keyword arguments of wandb.init"``.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise invalid_argument(
            name, value, f"None or a dict of {what}", owner=owner, wrong_type=True
        )
    if allowed is not None:
        known = set(allowed)
        unknown = sorted(k for k in value if k not in known)
        if unknown:
            listed = ", ".join(sorted(known))
            raise invalid_argument(
                name,
                value,
                f"a dict of {what}: {listed} (unknown: {', '.join(unknown)})",
                owner=owner,
            )
    return dict(value)


def check_bool(name: str, value: Any, *, owner: str) -> bool:
    """Return ``value`` if it is a ``bool``, else raise naming ``name``."""
    if not isinstance(value, bool):
        raise invalid_argument(name, value, "a bool", owner=owner, wrong_type=True)
    return value


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``...`` when it was cut.

    Example:
        >>> truncate("abcdefgh", 6)
        'abc...'
    """
    return text if len(text) <= limit else f"{text[: max(limit - 3, 0)]}..."
