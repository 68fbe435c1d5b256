"""Validation of heartbeat settings, shared by the storages that support heartbeats."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from podbor.exceptions import invalid_argument
from podbor.trial._frozen import FrozenTrial

__all__ = ["HeartbeatSettings"]


class HeartbeatSettings:
    """``heartbeat_interval``, ``grace_period`` (default: twice the interval) and the callback.

    Raises:
        ValueError: If the interval or grace period is not a positive number, or a grace
            period or callback is given without an interval.
    """

    def __init__(
        self,
        owner: str,
        heartbeat_interval: float | None,
        grace_period: float | None,
        failed_trial_callback: Callable[[Any, FrozenTrial], None] | None,
    ) -> None:
        for name, value in (
            ("heartbeat_interval", heartbeat_interval),
            ("grace_period", grace_period),
        ):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0
            ):
                raise invalid_argument(name, value, "a number of seconds > 0 or None", owner=owner)
        if heartbeat_interval is None and grace_period is not None:
            raise invalid_argument(
                "grace_period", grace_period, "None unless heartbeat_interval is set", owner=owner
            )
        if heartbeat_interval is None and failed_trial_callback is not None:
            raise invalid_argument(
                "failed_trial_callback",
                failed_trial_callback,
                "None unless heartbeat_interval is set",
                owner=owner,
            )
        self.interval = None if heartbeat_interval is None else float(heartbeat_interval)
        self.grace_period = (
            None
            if self.interval is None
            else float(grace_period)
            if grace_period is not None
            else 2.0 * self.interval
        )
        self.callback = failed_trial_callback

    def as_kwargs(self) -> dict[str, Any]:
        """The storage constructor's keyword arguments that rebuild these settings (pickling)."""
        return {
            "heartbeat_interval": self.interval,
            "grace_period": self.grace_period,
            "failed_trial_callback": self.callback,
        }
