"""The tqdm progress bar of ``optimize(show_progress_bar=True)``."""

from __future__ import annotations

import logging
import threading
from typing import Any

from podbor.logging import get_logger

__all__ = ["ProgressBar"]

_logger = get_logger(__name__)


class ProgressBar:
    """A bar over ``n_trials`` (or over seconds when only ``timeout`` is given) showing the best value.

    While the bar is shown, podbor's per-trial INFO lines are held back so they do not break it.
    """

    def __init__(self, enabled: bool, n_trials: int | None, timeout: float | None) -> None:
        self._enabled = enabled
        self._lock = threading.Lock()
        self._bar: Any = None
        self._by_time = n_trials is None and timeout is not None
        self._previous_level: int | None = None
        if not enabled:
            return
        from tqdm.auto import tqdm

        total = n_trials if n_trials is not None else timeout
        unit = "trial" if not self._by_time else "s"
        self._bar = tqdm(total=total, unit=unit, dynamic_ncols=True)
        root = logging.getLogger("podbor")
        self._previous_level = root.level
        if root.getEffectiveLevel() < logging.WARNING:
            root.setLevel(logging.WARNING)

    def update(self, elapsed: float, best: str | None) -> None:
        """Advance by one trial (or to ``elapsed`` seconds) and show ``best``."""
        if self._bar is None:
            return
        with self._lock:
            if self._by_time:
                self._bar.update(min(elapsed, self._bar.total) - self._bar.n)
            else:
                self._bar.update(1)
            if best is not None:
                self._bar.set_postfix_str(best, refresh=False)

    def close(self) -> None:
        """Close the bar and restore the log level."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._previous_level is not None:
            logging.getLogger("podbor").setLevel(self._previous_level)
            self._previous_level = None
