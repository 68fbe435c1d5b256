"""The exception family of podbor.

Every error podbor raises on purpose derives from :class:`PodborError`. Errors about bad
input also derive from the matching builtin (``ValueError``, ``KeyError``, ``TypeError``,
``RuntimeError``) so that ``except ValueError`` in user code keeps working.

Example:
    >>> import podbor
    >>> try:
    ...     podbor.distributions.FloatDistribution(2.0, 1.0)
    ... except ValueError as err:
    ...     print(type(err).__name__)
    InvalidArgumentError
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CLIUsageError",
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "OptunaError",
    "PodborError",
    "StorageInternalError",
    "StudyNotFoundError",
    "TrialPruned",
    "UpdateFinishedTrialError",
    "invalid_argument",
    "podbor_equivalent",
    "safe_repr",
]


class PodborError(Exception):
    """Root of every exception raised by podbor on purpose."""


OptunaError = PodborError
"""Alias kept so that code written for Optuna (``except optuna.exceptions.OptunaError``) runs."""


class TrialPruned(PodborError):
    """Raised from an objective to tell the study that this trial was pruned.

    Example:
        >>> def objective(trial):
        ...     trial.report(1.0, step=0)
        ...     if trial.should_prune():
        ...         raise TrialPruned()
        ...     return 1.0
    """


class InvalidArgumentError(PodborError, ValueError):
    """A public function was given an argument outside of what it allows."""


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of the wrong type, where Optuna raises ``TypeError``; still a ``ValueError``."""


class StudyNotFoundError(PodborError, KeyError):
    """No study of that name (or id) exists in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicatedStudyError(PodborError, ValueError):
    """A study of that name already exists in the storage."""


class UpdateFinishedTrialError(PodborError, RuntimeError):
    """A finished trial (COMPLETE, PRUNED or FAIL) was asked to change."""


class StorageInternalError(PodborError, RuntimeError):
    """The storage backend failed in a way podbor could not recover from."""


class CLIUsageError(PodborError, ValueError):
    """The command line was used wrongly."""


class ExperimentalWarning(Warning):
    """Warns that an API is experimental: its interface may change without a deprecation period.

    Optuna's name for the same warning; filter it as in Optuna, e.g.
    ``warnings.simplefilter("ignore", podbor.exceptions.ExperimentalWarning)``.
    """


def invalid_argument(
    name: str, value: Any, allowed: str, *, owner: str | None = None, wrong_type: bool = False
) -> InvalidArgumentError:
    """Build the one message shape podbor uses for bad input.

    Args:
        name: The argument's name, e.g. ``"low"``.
        value: The value that was passed.
        allowed: What would have been accepted, e.g. ``"a float <= high (1.0)"``.
        owner: The function or class the argument belongs to.
        wrong_type: Build an :class:`InvalidArgumentTypeError` (also a ``TypeError``), for the
            places where Optuna raises ``TypeError``.

    Returns:
        An :class:`InvalidArgumentError` ready to raise.

    Example:
        >>> str(invalid_argument("n_trials", -1, "an int >= 0 or None", owner="Study.optimize"))
        "The 'n_trials' parameter of Study.optimize must be an int >= 0 or None. Got -1 instead."
    """
    where = f" of {owner}" if owner else ""
    cls = InvalidArgumentTypeError if wrong_type else InvalidArgumentError
    return cls(f"The '{name}' parameter{where} must be {allowed}. Got {safe_repr(value)} instead.")


def safe_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)`` for a message: never raises, and long texts are shortened.

    A user object whose ``__repr__`` fails, or an int too long for ``repr`` (over 4300 digits),
    must not turn a clear error into a traceback about printing.

    Example:
        >>> safe_repr(0.5)
        '0.5'
        >>> safe_repr(10**5000)
        '<int of 16610 bits>'
        >>> len(safe_repr("x" * 1000, limit=40))
        40
    """
    try:
        text = repr(value)
    except Exception:
        size = f" of {value.bit_length()} bits" if isinstance(value, int) else " object"
        return f"<{type(value).__name__}{size}>"
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


# Optuna's exception classes by name → the podbor class each stands for. Code written for Optuna
# (an objective, a third-party callback) may raise Optuna's own classes inside a podbor study.
_OPTUNA_EQUIVALENTS: dict[str, type[PodborError]] = {
    "OptunaError": PodborError,
    "TrialPruned": TrialPruned,
    "DuplicatedStudyError": DuplicatedStudyError,
    "UpdateFinishedTrialError": UpdateFinishedTrialError,
    "StorageInternalError": StorageInternalError,
    "CLIUsageError": CLIUsageError,
}


def podbor_equivalent(error: BaseException) -> type[BaseException]:
    """The class podbor treats ``error`` as: its own, or podbor's for one of Optuna's.

    An exception from Optuna's ``OptunaError`` family (``optuna.TrialPruned`` raised by an
    objective written for Optuna, say) is recognised by its class's name and module, without
    importing optuna, and mapped to podbor's class of the same meaning; anything else is its
    own class.

    Example:
        >>> podbor_equivalent(TrialPruned()) is TrialPruned
        True
        >>> podbor_equivalent(KeyError("x")) is KeyError
        True
    """
    for cls in type(error).__mro__:
        if cls.__module__.split(".")[0] == "optuna" and cls.__name__ in _OPTUNA_EQUIVALENTS:
            return _OPTUNA_EQUIVALENTS[cls.__name__]
    return type(error)
