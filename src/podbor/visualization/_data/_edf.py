"""The numbers behind ``plot_edf``: each study's empirical distribution of objective values.

Backend-free (numpy only). The EDF of a study at ``x`` is the fraction of its complete trials
whose value is at most ``x``; every study's curve is sampled on one shared grid of
:data:`NUM_SAMPLES_X_AXIS` points spanning all studies' finite values, so curves compare directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.logging import get_logger
from podbor.visualization._data._common import (
    DEFAULT_TARGET_NAME,
    Target,
    check_target,
    filter_nonfinite,
    target_values,
)

__all__ = ["NUM_SAMPLES_X_AXIS", "EDFData", "EDFLine", "edf_data"]

_logger = get_logger(__name__)

NUM_SAMPLES_X_AXIS = 100


@dataclass(frozen=True)
class EDFLine:
    """One study's curve: its name and the EDF at each grid point, shape ``(NUM_SAMPLES_X_AXIS,)``."""

    study_name: str
    y_values: npt.NDArray[np.float64]


@dataclass(frozen=True)
class EDFData:
    """Everything an EDF figure shows.

    Attributes:
        x_values: The shared grid, shape ``(NUM_SAMPLES_X_AXIS,)`` (empty when nothing to plot).
        lines: One curve per study that has complete trials.
        target_name: The x axis title.
        message: Why the plot is empty (None when it is not).
    """

    x_values: npt.NDArray[np.float64]
    lines: list[EDFLine]
    target_name: str
    message: str | None


def _finite_values(study: StudyView, target: Target | None) -> npt.NDArray[np.float64]:
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    values = target_values(trials, target)
    finite = np.isfinite(values)
    if not finite.all():
        filter_nonfinite([t for t, ok in zip(trials, finite) if not ok], target)
    return values[finite]


def edf_data(
    study: StudyView | Sequence[StudyView],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> EDFData:
    """Each study's EDF of its complete trials' values, on one grid.

    Args:
        study: A study, or several to compare (one curve each, named by ``study_name``).
        target: What to count for a trial; needed for a multi-objective study.
        target_name: The x axis title.

    Raises:
        ValueError: A multi-objective study and no ``target``.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(study_name="s")
        >>> for v in [0.0, 1.0, 2.0, 3.0]:
        ...     study.add_trial(podbor.trial.create_trial(value=v))
        >>> data = edf_data(study)
        >>> float(data.x_values[0]), float(data.x_values[-1]), float(data.lines[0].y_values[-1])
        (0.0, 3.0, 1.0)
    """
    studies: list[StudyView] = list(study) if isinstance(study, Sequence) else [study]
    for s in studies:
        check_target(s, target, target_name)
    if not studies:
        _logger.warning("There are no studies.")
        return EDFData(np.array([]), [], target_name, "There are no studies.")
    found = [(s, v) for s in studies if (v := _finite_values(s, target)).size]
    if not found:
        message = "There are no complete trials."
        _logger.warning(message)
        return EDFData(np.array([]), [], target_name, message)
    low = min(float(v.min()) for _, v in found)
    high = max(float(v.max()) for _, v in found)
    x = np.linspace(low, high, NUM_SAMPLES_X_AXIS)
    lines = [
        EDFLine(
            getattr(s, "study_name", ""),
            np.searchsorted(np.sort(v), x, side="right") / v.size,
        )
        for s, v in found
    ]
    return EDFData(x, lines, target_name, None)
