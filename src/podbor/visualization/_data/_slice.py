"""The numbers behind ``plot_slice``: the target against each parameter, one panel per parameter.

Backend-free (numpy only). A panel shows only the trials that have its parameter (so a
conditional parameter's panel holds just the trials of its branch); points are coloured by trial
number on one scale shared by every panel. Log-sampled parameters get log x axes; a parameter
with a categorical distribution gets a category axis listing every choice in the
distribution's order (strings quoted, so the string ``"None"`` and ``None`` stay apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter, methodcaller
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.logging import get_logger
from podbor.visualization._data._common import (
    DEFAULT_TARGET_NAME,
    Target,
    check_params,
    check_target,
    filter_nonfinite,
    target_values,
)

__all__ = ["SliceData", "SlicePanel", "category_label", "slice_data"]

_logger = get_logger(__name__)


@dataclass(frozen=True)
class SlicePanel:
    """One parameter's panel.

    Attributes:
        param: The parameter's name (the x axis title).
        x: Shape ``(k,)``: the parameter's value in each of the ``k`` trials that have it (float
            for numeric axes; the index into ``categories`` for category axes).
        y: Shape ``(k,)``: the target of those trials.
        trial_numbers: Shape ``(k,)``: their trial numbers (the points' colour).
        feasible: Shape ``(k,)``: False for trials that break a constraint.
        is_log: The x axis is logarithmic.
        categories: The category axis' labels in order, or ``[]`` for a numeric axis.
    """

    param: str
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    trial_numbers: npt.NDArray[np.int64]
    feasible: npt.NDArray[np.bool_]
    is_log: bool
    categories: list[str]

    @property
    def is_categorical(self) -> bool:
        """The x axis is a category axis."""
        return bool(self.categories)

    def x_labels(self) -> list[str]:
        """The category label of each point (category axes only)."""
        return [self.categories[i] for i in self.x.astype(np.int64).tolist()]


@dataclass(frozen=True)
class SliceData:
    """Everything a slice figure shows.

    Attributes:
        target_name: The y axis title.
        panels: One per parameter, sorted by name.
        color_range: ``(first, last)`` trial number shown, for the shared colour scale.
        message: Why the plot is empty (None when it is not).
    """

    target_name: str
    panels: list[SlicePanel]
    color_range: tuple[int, int]
    message: str | None = None


def category_label(value: Any) -> str:
    """How a categorical choice is shown: strings quoted, other values as ``str`` gives them.

    Example:
        >>> [category_label(v) for v in ["100", 100, None, 2.5]]
        ["'100'", '100', 'None', '2.5']
    """
    return repr(value) if isinstance(value, str) else str(value)


_MISSING = object()


def _panel(
    param: str,
    params: list[dict[str, Any]],
    distributions: list[dict[str, Any]],
    y_all: npt.NDArray[np.float64],
    numbers_all: npt.NDArray[np.int64],
    feasible_all: npt.NDArray[np.bool_],
) -> SlicePanel:
    raw = list(map(methodcaller("get", param, _MISSING), params))
    has = np.fromiter((v is not _MISSING for v in raw), bool, len(raw))
    if not has.all():
        raw = [v for v in raw if v is not _MISSING]
    all_dists = list(map(methodcaller("get", param), distributions))
    dists = [d for d in dict(zip(map(id, all_dists), all_dists)).values() if d is not None]
    y, numbers, feasible = y_all[has], numbers_all[has], feasible_all[has]
    if any(isinstance(d, CategoricalDistribution) for d in dists):
        labels: list[str] = []
        for d in dists:
            if isinstance(d, CategoricalDistribution):
                labels.extend(c for c in map(category_label, d.choices) if c not in labels)
        shown = list(map(category_label, raw))
        labels += sorted(set(shown) - set(labels))
        index = {label: i for i, label in enumerate(labels)}
        x = np.fromiter(map(index.__getitem__, shown), float, len(shown))
        return SlicePanel(param, x, y, numbers, feasible, False, labels)
    x = np.fromiter(raw, float, len(raw))
    log = any(isinstance(d, (FloatDistribution, IntDistribution)) and d.log for d in dists)
    return SlicePanel(param, x, y, numbers, feasible, log, [])


def _feasible(trials: Sequence[FrozenTrial]) -> npt.NDArray[np.bool_]:
    n = len(trials)
    if not any(map(attrgetter("system_attrs"), trials)):  # the common case, checked fast
        return np.ones(n, dtype=bool)
    return np.fromiter((all(v <= 0.0 for v in t.constraints.values()) for t in trials), bool, n)


def slice_data(
    study: StudyView,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> SliceData:
    """The points of each parameter's panel of a slice plot of ``study``'s complete trials.

    Args:
        study: The study to plot.
        params: The parameters to show (default: all), sorted by name as Optuna does.
        target: What to plot for a trial; needed for a multi-objective study.
        target_name: The y axis title.

    Raises:
        ValueError: A multi-objective study and no ``target``; a name in ``params`` that no
            complete trial has.

    Example:
        >>> import podbor
        >>> from podbor.distributions import FloatDistribution
        >>> study = podbor.create_study()
        >>> for x in [1.0, 2.0, 3.0]:
        ...     study.add_trial(podbor.trial.create_trial(
        ...         value=x * x, params={"x": x}, distributions={"x": FloatDistribution(0, 5)}))
        >>> panel = slice_data(study).panels[0]
        >>> panel.param, panel.x.tolist(), panel.y.tolist()
        ('x', [1.0, 2.0, 3.0], [1.0, 4.0, 9.0])
    """
    check_target(study, target, target_name)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    names = sorted(check_params(complete, params)) if complete else []
    values = target_values(complete, target)
    finite = np.isfinite(values)
    trials = complete
    if not finite.all():
        filter_nonfinite([t for t, ok in zip(complete, finite) if not ok], target)
        trials = [t for t, ok in zip(complete, finite) if ok]
    if not trials or not names:
        message = "Your study does not have any completed trials." if not trials else None
        if message:
            _logger.warning(message)
        return SliceData(target_name, [], (0, 0), message)
    n = len(trials)
    y = values[finite]
    numbers = np.fromiter((t.number for t in trials), np.int64, n)
    params_of = [t.params for t in trials]
    dists_of = [t.distributions for t in trials]
    feasible = _feasible(trials)
    panels = [_panel(p, params_of, dists_of, y, numbers, feasible) for p in names]
    return SliceData(target_name, panels, (int(numbers.min()), int(numbers.max())))
