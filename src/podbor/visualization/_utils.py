"""Optuna's private helper names (``optuna.visualization._utils``) over podbor's plot-data module.

Scripts and tests written against Optuna reach for these; the logic lives in ``_data._common``.
"""

from __future__ import annotations

from podbor._study_view import StudyView
from podbor.visualization._data._common import COLOR_SCALE as _COLOR_STOPS
from podbor.visualization._data._common import (
    Target,
    check_params,
    filter_nonfinite,
    hovertext,
    is_categorical,
    is_log_scale,
    is_numerical,
)
from podbor.visualization._data._common import check_target as _check_target

__all__ = ["COLOR_SCALE"]

# Optuna lists the colours alone (plotly spreads them evenly, as the stops here are).
COLOR_SCALE = [colour for _, colour in _COLOR_STOPS]

_filter_nonfinite = filter_nonfinite
_is_log_scale = is_log_scale
_is_numerical = is_numerical
_is_categorical = is_categorical
_make_hovertext = hovertext
_check_params = check_params


def _check_plot_args(study: StudyView, target: Target | None, target_name: str) -> None:
    _check_target(study, target, target_name)
