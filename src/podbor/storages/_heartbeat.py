"""Heartbeat settings and their properties, shared by every storage that supports heartbeats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podbor._deprecated import warn_deprecated
from podbor._records.frozen_trial import FrozenTrial
from podbor._validation import check_optional_real
from podbor.exceptions import invalid_argument
from podbor.storages._base import BaseStorage

__all__ = [
    "MAX_SECONDS",
    "BaseHeartbeat",
    "HeartbeatSettings",
    "HeartbeatStorage",
    "StaleTrialCallback",
    "check_seconds",
    "is_heartbeat_enabled",
]


MAX_SECONDS = 30 * 24 * 3600.0
"""The longest heartbeat interval or grace period: 30 days.

Longer ones (and ``inf``) cannot be waited for on every platform (``threading.TIMEOUT_MAX`` is
about 49 days on Windows) nor subtracted from the current time in every database.
"""


def check_seconds(value: Any, name: str, *, owner: str) -> float | None:
    """Return a duration argument as a float if it is a number of seconds in ``(0, 30 days]``,
    or None. ``inf`` and NaN are refused, on every storage alike.

    Example:
        >>> check_seconds(2, "grace_period", owner="JournalFileOpenLock")
        2.0
        >>> check_seconds(float("inf"), "heartbeat_interval", owner="InMemoryStorage")
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'heartbeat_interval' parameter of InMemoryStorage must be a number of seconds in (0, 2592000] (30 days) or None. Got inf instead.
    """
    return check_optional_real(
        value,
        name,
        owner=owner,
        minimum=0.0,
        maximum=MAX_SECONDS,
        include_minimum=False,
        finite=True,
        allowed=f"a number of seconds in (0, {MAX_SECONDS:.0f}] (30 days) or None",
    )


StaleTrialCallback = Callable[[Any, FrozenTrial], None]
"""``callback(study, trial)``, run on each trial failed because its worker stopped beating."""


class HeartbeatSettings:
    """``heartbeat_interval``, ``grace_period`` (default: twice the interval) and the callback.

    The storages expose them as settable properties (Optuna's attributes); each assignment is
    checked like the constructor argument.

    Raises:
        ValueError: If the interval or grace period is not a positive number, both
            ``heartbeat_stale_trial_callback`` and its deprecated name ``failed_trial_callback``
            are given, or a grace period or callback is given to the constructor without an
            interval.

    Example:
        >>> HeartbeatSettings("InMemoryStorage", 5, None, None).grace_period
        10.0
    """

    def __init__(
        self,
        owner: str,
        heartbeat_interval: float | None,
        grace_period: float | None,
        heartbeat_stale_trial_callback: StaleTrialCallback | None,
        failed_trial_callback: StaleTrialCallback | None = None,
    ) -> None:
        self.owner = owner
        if failed_trial_callback is not None:
            if heartbeat_stale_trial_callback is not None:
                raise invalid_argument(
                    "failed_trial_callback",
                    failed_trial_callback,
                    "None when heartbeat_stale_trial_callback is given (it is its old name)",
                    owner=owner,
                )
            warn_deprecated(
                f"The 'failed_trial_callback' argument of {owner}",
                since="0.1.0",
                removed_in="1.0.0",
                replacement="heartbeat_stale_trial_callback",
                stacklevel=3,
            )
            heartbeat_stale_trial_callback = failed_trial_callback
        self.interval = heartbeat_interval
        self.grace = grace_period
        self.callback = heartbeat_stale_trial_callback
        if self.interval is None:
            for name, value in (
                ("grace_period", grace_period),
                ("heartbeat_stale_trial_callback", heartbeat_stale_trial_callback),
            ):
                if value is not None:
                    raise invalid_argument(
                        name, value, "None unless heartbeat_interval is set", owner=owner
                    )

    @property
    def interval(self) -> float | None:
        """Seconds between heartbeats; None when heartbeats are off."""
        return self._interval

    @interval.setter
    def interval(self, value: float | None) -> None:
        self._interval = check_seconds(value, "heartbeat_interval", owner=self.owner)

    @property
    def grace(self) -> float | None:
        """The grace period as set (None: the default)."""
        return self._grace

    @grace.setter
    def grace(self, value: float | None) -> None:
        self._grace = check_seconds(value, "grace_period", owner=self.owner)

    @property
    def grace_period(self) -> float | None:
        """Seconds without a heartbeat after which a running trial counts as dead: the one
        set, else twice the interval; None when heartbeats are off."""
        if self._interval is None:
            return None
        return 2.0 * self._interval if self._grace is None else self._grace

    def as_kwargs(self) -> dict[str, Any]:
        """The storage constructor's keyword arguments that rebuild these settings (pickling)."""
        return {
            "heartbeat_interval": self.interval,
            "grace_period": self.grace if self.interval is not None else None,
            "heartbeat_stale_trial_callback": self.callback if self.interval is not None else None,
        }


class HeartbeatStorage(BaseStorage):
    """A storage whose heartbeat settings are a :class:`HeartbeatSettings` in ``_heartbeat``.

    It answers and sets :attr:`heartbeat_interval`, :attr:`grace_period` and
    :attr:`heartbeat_stale_trial_callback` through the settings; subclasses implement
    ``record_heartbeat`` and ``fail_stale_trials``.
    """

    _heartbeat: HeartbeatSettings

    @property
    def heartbeat_interval(self) -> float | None:
        return self._heartbeat.interval

    @heartbeat_interval.setter
    def heartbeat_interval(self, value: float | None) -> None:
        self._heartbeat.interval = value

    @property
    def grace_period(self) -> float | None:
        """Seconds without a heartbeat after which a running trial counts as dead, as set
        (None: twice the heartbeat interval)."""
        return self._heartbeat.grace

    @grace_period.setter
    def grace_period(self, value: float | None) -> None:
        self._heartbeat.grace = value

    @property
    def heartbeat_stale_trial_callback(self) -> StaleTrialCallback | None:
        return self._heartbeat.callback

    @heartbeat_stale_trial_callback.setter
    def heartbeat_stale_trial_callback(self, value: StaleTrialCallback | None) -> None:
        self._heartbeat.callback = value


BaseHeartbeat = HeartbeatStorage
"""Optuna's name for the base of the storages that support heartbeats."""


def is_heartbeat_enabled(storage: BaseStorage) -> bool:
    """Whether ``storage`` records heartbeats (its ``heartbeat_interval`` is set).

    Example:
        >>> from podbor.storages import InMemoryStorage
        >>> is_heartbeat_enabled(InMemoryStorage()), is_heartbeat_enabled(
        ...     InMemoryStorage(heartbeat_interval=60)
        ... )
        (False, True)
    """
    return storage.heartbeat_interval is not None
