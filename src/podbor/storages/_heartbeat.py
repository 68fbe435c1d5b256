"""Heartbeat settings and their properties, shared by every storage that supports heartbeats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._validation import check_optional_real
from podbor.exceptions import invalid_argument
from podbor.storages._base import BaseStorage

__all__ = ["HeartbeatSettings", "HeartbeatStorage", "check_seconds"]


def check_seconds(value: Any, name: str, *, owner: str) -> float | None:
    """Return a duration argument as a float if it is a number of seconds > 0, or None.

    Example:
        >>> check_seconds(2, "grace_period", owner="JournalFileOpenLock")
        2.0
    """
    return check_optional_real(
        value,
        name,
        owner=owner,
        minimum=0.0,
        include_minimum=False,
        allowed="a number of seconds > 0 or None",
    )


class HeartbeatSettings:
    """``heartbeat_interval``, ``grace_period`` (default: twice the interval) and the callback.

    Raises:
        ValueError: If the interval or grace period is not a positive number, or a grace
            period or callback is given without an interval.

    Example:
        >>> HeartbeatSettings("InMemoryStorage", 5, None, None).grace_period
        10.0
    """

    def __init__(
        self,
        owner: str,
        heartbeat_interval: float | None,
        grace_period: float | None,
        failed_trial_callback: Callable[[Any, FrozenTrial], None] | None,
    ) -> None:
        interval = check_seconds(heartbeat_interval, "heartbeat_interval", owner=owner)
        grace = check_seconds(grace_period, "grace_period", owner=owner)
        if interval is None:
            for name, value in (
                ("grace_period", grace_period),
                ("failed_trial_callback", failed_trial_callback),
            ):
                if value is not None:
                    raise invalid_argument(
                        name, value, "None unless heartbeat_interval is set", owner=owner
                    )
        if interval is not None and grace is None:
            grace = 2.0 * interval
        self.interval = interval
        self.grace_period = grace
        self.callback = failed_trial_callback

    def as_kwargs(self) -> dict[str, Any]:
        """The storage constructor's keyword arguments that rebuild these settings (pickling)."""
        return {
            "heartbeat_interval": self.interval,
            "grace_period": self.grace_period,
            "failed_trial_callback": self.callback,
        }


class HeartbeatStorage(BaseStorage):
    """A storage whose heartbeat settings are a :class:`HeartbeatSettings` in ``_heartbeat``.

    It answers :attr:`heartbeat_interval` and :attr:`failed_trial_callback` from the settings;
    subclasses implement ``record_heartbeat`` and ``fail_stale_trials``.
    """

    _heartbeat: HeartbeatSettings

    @property
    def heartbeat_interval(self) -> float | None:
        return self._heartbeat.interval

    @property
    def failed_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        return self._heartbeat.callback
