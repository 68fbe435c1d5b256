"""The tqdm progress bar of ``optimize(show_progress_bar=True)``."""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from podbor.logging import get_logger

if TYPE_CHECKING:
    from podbor._records.frozen_trial import FrozenTrial

__all__ = ["ProgressBar", "best_text"]

_logger = get_logger(__name__)


def best_text(best: FrozenTrial | None) -> str | None:
    """The bar's description for the best trial so far, e.g. ``Best trial: 3. Best value: 0.5``.

    Example:
        >>> import podbor
        >>> trial = podbor.trial.create_trial(value=0.5)
        >>> trial.number = 3
        >>> best_text(trial)
        'Best trial: 3. Best value: 0.5'
    """
    if best is None or best.value is None:
        return None
    return f"Best trial: {best.number}. Best value: {best.value:.6g}"


class ProgressBar:
    """A bar over ``n_trials``, or over seconds when only ``timeout`` is given, showing the best.

    As in Optuna, no bar is drawn (with a ``UserWarning`` saying why) when neither ``n_trials``
    nor ``timeout`` bounds the loop, or when the bar would count seconds across ``n_jobs != 1``
    threads. While the bar is shown, podbor's per-trial INFO lines are held back so they do not
    break it.
    """

    def __init__(
        self, enabled: bool, n_trials: int | None, timeout: float | None, n_jobs: int = 1
    ) -> None:
        self._lock = threading.Lock()
        self._bar: Any = None
        self._by_time = n_trials is None and timeout is not None
        self._previous_level: int | None = None
        if enabled and n_trials is None and timeout is None:
            warnings.warn(
                "The progress bar is not shown because neither n_trials nor timeout is given.",
                UserWarning,
                stacklevel=4,
            )
            enabled = False
        if enabled and self._by_time and n_jobs != 1:
            warnings.warn(
                "The timeout-based progress bar is not supported with n_jobs != 1.",
                UserWarning,
                stacklevel=4,
            )
            enabled = False
        if not enabled:
            return
        from tqdm.auto import tqdm

        if self._by_time:
            assert timeout is not None
            shown_total = tqdm.format_interval(timeout)
            self._bar = tqdm(
                total=timeout,
                bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}/" + shown_total,
            )
        else:
            self._bar = tqdm(total=n_trials)
        root = logging.getLogger("podbor")
        self._previous_level = root.level
        if root.getEffectiveLevel() < logging.WARNING:
            root.setLevel(logging.WARNING)

    def update(self, elapsed: float, best: Callable[[], FrozenTrial | None]) -> None:
        """Advance by one trial (or to ``elapsed`` seconds) and show the best trial.

        ``best`` is called only when a bar is drawn: it reads the storage.
        """
        if self._bar is None:
            return
        with self._lock:
            text = best_text(best())
            if text is not None:
                self._bar.set_description(text, refresh=False)
            if self._by_time:
                self._bar.update(min(elapsed, self._bar.total) - self._bar.n)
            else:
                self._bar.update(1)

    def close(self) -> None:
        """Close the bar and restore the log level."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._previous_level is not None:
            logging.getLogger("podbor").setLevel(self._previous_level)
            self._previous_level = None
