"""What every integration shares: importing its library lazily, checking the trial, pruning.

Each integration module imports its framework only when a class is built (``import
podbor.integration.lightgbm`` works without LightGBM), and a missing one raises an
``ImportError`` that names the ``pip install`` to run. The checks here give the one error shape
of :func:`podbor.exceptions.invalid_argument` for the bad inputs all callbacks share: a trial of
a study with several objectives, a metric or data-set name the model does not report.

Example:
    >>> from podbor.trial import FixedTrial
    >>> check_single_objective(FixedTrial({}), owner="LightGBMPruningCallback")
    >>> str(unknown_name("metric", "auc", ["binary_logloss"], owner="LightGBMPruningCallback"))
    "The 'metric' parameter of LightGBMPruningCallback must be one the model reports: 'binary_logloss'. Got 'auc' instead."
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from podbor.exceptions import InvalidArgumentError, TrialPruned, invalid_argument

__all__ = [
    "check_name",
    "check_single_objective",
    "n_objectives",
    "report_and_prune",
    "require",
    "unknown_name",
]


def require(module: str, *, package: str, extra: str, owner: str) -> ModuleType:
    """Import ``module`` or raise an ``ImportError`` naming the ``pip install`` to run.

    Args:
        module: The import name, e.g. ``"lightgbm"``.
        package: The distribution users know it by, e.g. ``"LightGBM"``.
        extra: podbor's extra that installs it, e.g. ``"lightgbm"`` (``pip install podbor[lightgbm]``).
        owner: The podbor name that needs it, for the message.

    Example:
        >>> require("math", package="math", extra="none", owner="doc").sqrt(4.0)
        2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{owner} needs {package}, which is not installed: pip install podbor[{extra}]"
        ) from err


def n_objectives(trial: Any) -> int:
    """The number of objectives of ``trial``'s study; 1 for a trial without one (FixedTrial)."""
    study = getattr(trial, "study", None)
    if study is None:
        return 1
    return len(study.directions)


def check_single_objective(trial: Any, *, owner: str) -> None:
    """Raise if ``trial`` belongs to a study with several objectives (pruning needs one value).

    Raises:
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) naming ``trial``, the
            number of objectives and what is allowed.
    """
    n = n_objectives(trial)
    if n > 1:
        raise invalid_argument(
            "trial",
            f"<trial of a study with {n} objectives>",
            "a trial of a single-objective study: pruning compares one value per step",
            owner=owner,
        )


def check_name(value: Any, name: str, what: str, *, owner: str) -> str:
    """Return ``value`` if it is a non-empty ``str`` (a metric, monitor or project name).

    Args:
        value: What was passed.
        name: The argument's name, e.g. ``"monitor"``.
        what: What the name stands for, for the message, e.g. ``"a key of net.history such as
            'valid_loss'"``; `` (a non-empty str)`` is added.
        owner: The class the argument belongs to.

    Raises:
        podbor.exceptions.InvalidArgumentError: an empty str, or (also a ``TypeError``) a
            value that is not a str.

    Example:
        >>> check_name("val_loss", "monitor", "a logged value", owner="KerasPruningCallback")
        'val_loss'
    """
    if not isinstance(value, str) or not value:
        raise invalid_argument(
            name,
            value,
            f"{what} (a non-empty str)",
            owner=owner,
            wrong_type=not isinstance(value, str),
        )
    return value


def unknown_name(
    name: str,
    value: Any,
    available: Iterable[Any],
    *,
    owner: str,
    what: str = "one the model reports",
) -> InvalidArgumentError:
    """The error for a metric / data-set / key name that is not among ``available``.

    Returns it (ready to raise) so the caller's ``raise`` shows where it happened.
    """
    names = sorted({str(a) for a in available})
    listed = ", ".join(repr(n) for n in names) if names else "(none reported)"
    return invalid_argument(name, value, f"{what}: {listed}", owner=owner)


def report_and_prune(trial: Any, value: float, step: int, *, what: str = "step") -> None:
    """Report ``value`` at ``step`` and raise :class:`~podbor.TrialPruned` if the pruner says so.

    Example:
        >>> from podbor.trial import FixedTrial
        >>> report_and_prune(FixedTrial({}), 0.5, 3)  # a FixedTrial never prunes
    """
    value = float(value)
    trial.report(value, step)
    if trial.should_prune():
        raise TrialPruned(f"Trial was pruned at {what} {step} (value {value:.6g}).")
