"""``plot_edf`` with plotly: the empirical distribution of each study's objective values.

The numbers come from :func:`~podbor.visualization._data._edf.edf_data`; this module only draws
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._edf import NUM_SAMPLES_X_AXIS, EDFData, edf_data
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["NUM_SAMPLES_X_AXIS", "plot_edf"]


def _figure(data: EDFData) -> go.Figure:
    go = require()
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": data.x_values,
            "y": line.y_values,
            "name": line.study_name,
            "mode": "lines",
        }
        for line in data.lines
    ]
    layout = {
        "title": {"text": "Empirical Distribution Function Plot"},
        "xaxis": {"title": {"text": data.target_name}},
        "yaxis": {"title": {"text": "Cumulative Probability"}, "range": [0, 1]},
    }
    # Validating these few fixed properties would take most of this plot's time; they are
    # checked once in the tests instead. A plotly without the switch validates as usual.
    try:
        return go.Figure(data=traces, layout=layout, _validate=False)
    except (TypeError, ValueError):
        return go.Figure(data=traces, layout=layout)


def plot_edf(
    study: StudyView | Sequence[StudyView],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot the empirical distribution function (EDF) of each study's objective values.

    The EDF at ``x`` is the fraction of complete trials whose value is at most ``x``: a curve
    that rises early means a study found good values (when minimizing) often.

    Args:
        study: A study, or several to compare (one curve each, named by ``study_name``).
        target: What to count for a trial; needed for a multi-objective study (e.g.
            ``lambda t: t.values[0]``).
        target_name: The x axis title.

    Returns:
        A ``plotly.graph_objects.Figure``; empty when no study has a complete trial.

    Raises:
        ValueError: A multi-objective study and no ``target``.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> fig = podbor.visualization.plot_edf(study)
        >>> fig.data[0].name, len(fig.data[0].x)
        ('demo', 100)
    """
    require()
    return _figure(edf_data(study, target=target, target_name=target_name))


def _get_edf_info(
    study: StudyView | Sequence[StudyView],
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> EDFData:
    """Optuna's private name for the EDF data, for scripts written against Optuna."""
    return edf_data(study, target=target, target_name=target_name)


_EDFInfo = EDFData
