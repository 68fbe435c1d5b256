"""An immutable record of one trial, as storages keep it and samplers read it."""

from __future__ import annotations

import datetime
import math
import warnings
from collections.abc import Sequence
from typing import Any

from podbor._records.base_trial import BaseTrial
from podbor._records.trial_state import TrialState
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    _convert_old_distribution_to_new_distribution,
)
from podbor.exceptions import InvalidArgumentError, invalid_argument

__all__ = ["FrozenTrial", "create_trial"]


class FrozenTrial(BaseTrial):
    """Everything known about one trial: state, values, parameters and reports.

    A ``FrozenTrial`` handed out by a study is a snapshot. It also answers ``suggest_*`` calls
    with its stored parameters, so that an objective can be re-run on a finished trial
    (``objective(study.best_trial)``).

    Args:
        number: Position of the trial in its study, from 0, unique and gap-free.
        state: The trial's :class:`TrialState`.
        value: The single objective value; give ``values`` instead for several objectives.
        datetime_start: When it started running (``None`` while WAITING).
        datetime_complete: When it finished (``None`` until then).
        params: Parameter name → the value the objective saw.
        distributions: Parameter name → its distribution.
        user_attrs: JSON-serializable attributes set by the user.
        system_attrs: JSON-serializable attributes set by podbor and its samplers.
        intermediate_values: Step → reported value.
        trial_id: The storage's id of the trial.
        values: The objective values, one per direction.

    Example:
        >>> from podbor.distributions import FloatDistribution
        >>> t = create_trial(params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}, value=1.0)
        >>> t.suggest_float("x", 0, 1)
        0.5
    """

    __slots__ = (
        "_datetime_start",
        "_distributions",
        "_number",
        "_params",
        "_system_attrs",
        "_trial_id",
        "_user_attrs",
        "_values",
        "datetime_complete",
        "intermediate_values",
        "state",
    )  # no __dict__: a study of 10⁵ trials holds 10⁵ of them, and every read copies them

    def __init__(
        self,
        number: int,
        state: TrialState,
        value: float | None,
        datetime_start: datetime.datetime | None,
        datetime_complete: datetime.datetime | None,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        intermediate_values: dict[int, float],
        trial_id: int,
        *,
        values: Sequence[float] | None = None,
    ) -> None:
        if value is not None and values is not None:
            raise invalid_argument(
                "value",
                value,
                "None when 'values' is given (pass one of them)",
                owner="FrozenTrial",
            )
        if value is not None:
            values = [value]
        self._number = number
        self.state = state
        self._values: list[float] | None = None if values is None else [float(v) for v in values]
        self._datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self._params = params
        self._distributions = distributions
        self._user_attrs = user_attrs
        self._system_attrs = system_attrs
        self.intermediate_values = intermediate_values
        self._trial_id = trial_id

    @property
    def number(self) -> int:
        """Position of the trial in its study, from 0."""
        return self._number

    @number.setter
    def number(self, value: int) -> None:
        self._number = value

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started running (``None`` while WAITING)."""
        return self._datetime_start

    @datetime_start.setter
    def datetime_start(self, value: datetime.datetime | None) -> None:
        self._datetime_start = value

    # -- values -------------------------------------------------------------------------
    @property
    def value(self) -> float | None:
        """The objective value; raises for a multi-objective trial (use ``values``)."""
        if self._values is None:
            return None
        if len(self._values) > 1:
            raise RuntimeError(
                "This trial has several objective values; use FrozenTrial.values instead of .value."
            )
        return self._values[0]

    @value.setter
    def value(self, v: float | None) -> None:
        if self._values is not None and len(self._values) > 1:
            raise RuntimeError(
                "This trial has several objective values; set FrozenTrial.values instead of .value."
            )
        self._values = None if v is None else [float(v)]

    @property
    def values(self) -> list[float] | None:
        """The objective values, one per study direction (``None`` until finished)."""
        return self._values

    @values.setter
    def values(self, v: Sequence[float] | None) -> None:
        self._values = None if v is None else [float(x) for x in v]

    # -- mappings -----------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """Parameter name → value as the objective saw it."""
        return self._params

    @params.setter
    def params(self, params: dict[str, Any]) -> None:
        self._params = params

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """Parameter name → distribution it was drawn from."""
        return self._distributions

    @distributions.setter
    def distributions(self, value: dict[str, BaseDistribution]) -> None:
        self._distributions = value

    @property
    def user_attrs(self) -> dict[str, Any]:
        """Attributes the user set with ``set_user_attr``."""
        return self._user_attrs

    @user_attrs.setter
    def user_attrs(self, value: dict[str, Any]) -> None:
        self._user_attrs = value

    @property
    def system_attrs(self) -> dict[str, Any]:
        """Attributes podbor and its samplers set (e.g. ``fixed_params`` of an enqueued trial)."""
        return self._system_attrs

    @system_attrs.setter
    def system_attrs(self, value: dict[str, Any]) -> None:
        self._system_attrs = value

    @property
    def duration(self) -> datetime.timedelta | None:
        """Time from start to completion, or ``None`` while not finished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        """The largest step reported so far, or ``None``."""
        return max(self.intermediate_values) if self.intermediate_values else None

    # -- trial-like API (replays stored parameters) -------------------------------------
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise InvalidArgumentError(
                f"The parameter {name!r} is not among this trial's parameters "
                f"{sorted(self._params)}."
            )
        value = self._params[name]
        if isinstance(distribution, CategoricalDistribution) and not distribution.contains_external(
            value
        ):  # no nearby value to fall back on: the choices changed
            raise InvalidArgumentError(
                f"The stored value {value!r} of {name!r} is not among the choices "
                f"{distribution.choices!r}."
            )
        if not distribution.contains_external(value):  # replaying with a changed range
            warnings.warn(
                f"The stored value {value!r} of {name!r} lies outside {distribution!r}; "
                "it is returned as stored.",
                UserWarning,
                stacklevel=3,
            )
        return value

    def report(self, value: float, step: int) -> None:
        """Do nothing: a finished trial takes no reports (kept so objectives can be replayed)."""

    def should_prune(self) -> bool:
        """Return False: a replayed trial is never pruned."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        """Set a user attribute on this snapshot (not on any storage)."""
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Set a system attribute on this snapshot (not on any storage)."""
        self._system_attrs[key] = value

    # -- validation ---------------------------------------------------------------------
    def _validate(self) -> None:
        """Check the record is consistent; raise ``ValueError`` naming what is not."""
        if self.state != TrialState.WAITING and self.datetime_start is None:
            raise InvalidArgumentError(f"A {self.state.name} trial needs 'datetime_start'.")
        if self.state.is_finished():
            if self.datetime_complete is None:
                raise InvalidArgumentError(f"A {self.state.name} trial needs 'datetime_complete'.")
        elif self.datetime_complete is not None:
            raise InvalidArgumentError(
                f"A {self.state.name} trial must not have 'datetime_complete'."
            )
        if self.state == TrialState.FAIL and self._values is not None:
            raise InvalidArgumentError(
                f"A FAIL trial must not have 'value' or 'values'. Got {self._values}."
            )
        if self.state == TrialState.COMPLETE:
            if self._values is None:
                raise InvalidArgumentError("A COMPLETE trial needs 'value' or 'values'.")
            if any(math.isnan(v) for v in self._values):
                raise InvalidArgumentError(
                    f"A COMPLETE trial's values must not be NaN: {self._values}."
                )
        if set(self._params) != set(self._distributions):
            raise InvalidArgumentError(
                f"'params' keys {sorted(self._params)} and 'distributions' keys "
                f"{sorted(self._distributions)} differ."
            )
        for name, value in self._params.items():
            dist = self._distributions[name]
            if not dist.contains_external(value):
                raise InvalidArgumentError(
                    f"The value {value!r} of parameter {name!r} lies outside {dist!r}."
                )

    # -- value semantics ----------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number < other.number

    def __le__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number <= other.number

    def __hash__(self) -> int:
        return hash((self.number, self._trial_id, self.state))

    def _key(self) -> tuple[Any, ...]:
        return (
            self.number,
            self.state,
            self._values,
            self.datetime_start,
            self.datetime_complete,
            self._params,
            self._distributions,
            self._user_attrs,
            self._system_attrs,
            self.intermediate_values,
            self._trial_id,
        )

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, values={self._values}, "
            f"datetime_start={self.datetime_start!r}, datetime_complete={self.datetime_complete!r}, "
            f"params={self._params}, user_attrs={self._user_attrs}, "
            f"system_attrs={self._system_attrs}, intermediate_values={self.intermediate_values}, "
            f"distributions={self._distributions}, trial_id={self._trial_id})"
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenTrial:
        """``copy.deepcopy(trial)``: what every public read with ``deepcopy=True`` returns.

        The mappings are new and the attributes deep-copied (plainly when they hold only
        immutable scalars); the distribution objects, values that no podbor code changes, are
        shared, as every podbor read has shared them."""
        copied = memo[id(self)] = self._copy()
        return copied

    def _copy(self) -> FrozenTrial:
        """A copy whose mutable mappings are independent of this one (values themselves shared).

        Attributes are copied as ``copy.deepcopy`` would (what a public read with
        ``deepcopy=True`` promises): a mapping whose values are all plain immutable scalars (the
        common case) is copied plainly, which gives the same result 10x cheaper (reading 10⁵
        trials back: 2.3 s → 1.0 s); any other mapping goes through ``copy.deepcopy``."""
        copied = object.__new__(FrozenTrial)  # the fields set directly: checked already
        copied._number = self._number
        copied.state = self.state
        copied._values = None if self._values is None else list(self._values)
        copied._datetime_start = self._datetime_start
        copied.datetime_complete = self.datetime_complete
        copied._params = dict(self._params)
        copied._distributions = dict(self._distributions)
        copied._user_attrs = _fast_deep(self._user_attrs)
        copied._system_attrs = _fast_deep(self._system_attrs)
        copied.intermediate_values = dict(self.intermediate_values)
        copied._trial_id = self._trial_id
        return copied


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def _deep(attrs: dict[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(attrs)


def _fast_deep(attrs: dict[str, Any]) -> dict[str, Any]:
    """Like :func:`_deep`: a plain copy when every value is an immutable scalar."""
    if not attrs:
        return {}
    if all(type(value) in _IMMUTABLE for value in attrs.values()):
        return dict(attrs)
    return _deep(attrs)


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
    constraints: dict[str, float] | None = None,
) -> FrozenTrial:
    """Build a finished (or waiting) trial to add to a study with ``Study.add_trial``.

    Use it to seed a study with results obtained elsewhere.

    Args:
        distributions: Parameter name → distribution; Optuna's deprecated distribution classes
            (``UniformDistribution``, …) are replaced by the current ones they stand for.
        constraints: Constraint name → value (feasible when every value is <= 0), recorded
            as :meth:`~podbor.Trial.set_constraint` records them (the system attributes
            ``"constraints:<name>"``). The other arguments are :class:`FrozenTrial`'s.

    Example:
        >>> from podbor.distributions import FloatDistribution
        >>> t = create_trial(params={"x": 2.0}, distributions={"x": FloatDistribution(0, 5)}, value=4.0)
        >>> t.state.name, t.value
        ('COMPLETE', 4.0)
        >>> create_trial(value=1.0, constraints={"memory_gb": -0.5}).constraints
        {'memory_gb': -0.5}

    Raises:
        ValueError: If the record is inconsistent (e.g. COMPLETE without a value, a parameter
            outside its distribution), or a constraint value is NaN.
        TypeError: If a constraint value is not a number (see ``Trial.set_constraint``).
    """
    now = datetime.datetime.now()
    if state == TrialState.WAITING:
        start, complete = None, None
    elif state == TrialState.RUNNING:
        start, complete = now, None
    else:
        start, complete = now, now
    trial = FrozenTrial(
        number=-1,
        state=state,
        value=value,
        values=values,
        datetime_start=start,
        datetime_complete=complete,
        params=dict(params or {}),
        distributions={
            name: _convert_old_distribution_to_new_distribution(dist)
            for name, dist in (distributions or {}).items()
        },
        user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}),
        intermediate_values=dict(intermediate_values or {}),
        trial_id=-1,
    )
    for key, constraint in (constraints or {}).items():
        trial.set_constraint(key, constraint)
    trial._validate()
    return trial
