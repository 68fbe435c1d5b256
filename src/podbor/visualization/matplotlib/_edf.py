"""``plot_edf`` with matplotlib: the empirical distribution of each study's objective values.

The numbers come from :func:`~podbor.visualization._data._edf.edf_data`; this module only draws
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._edf import EDFData, edf_data
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_edf"]


def _axes(data: EDFData) -> Axes:
    plt = require()
    with plt.style.context("ggplot"):
        ax: Axes = plt.subplots()[1]
        ax.set_title("Empirical Distribution Function Plot")
        ax.set_ylabel("Cumulative Probability")
        ax.set_xlabel(data.target_name)
        ax.set_ylim(0, 1)
        cmap = plt.get_cmap("tab10")
        for i, line in enumerate(data.lines):
            ax.plot(
                data.x_values, line.y_values, color=cmap(i % 10), alpha=0.7, label=line.study_name
            )
        if data.lines:
            ax.legend()
    return ax


def plot_edf(
    study: StudyView | Sequence[StudyView],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes:
    """Plot the empirical distribution function (EDF) of each study's objective values.

    The EDF at ``x`` is the fraction of complete trials whose value is at most ``x``.

    Args:
        study: A study, or several to compare (one curve each, named by ``study_name``).
        target: What to count for a trial; needed for a multi-objective study.
        target_name: The x axis label.

    Returns:
        The ``matplotlib.axes.Axes`` drawn on; empty when no study has a complete trial.

    Raises:
        ValueError: A multi-objective study and no ``target``.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_edf
        >>> study = podbor.create_study(study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> ax = plot_edf(study)
        >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Objective Value', ['demo'])
    """
    require()
    return _axes(edf_data(study, target=target, target_name=target_name))
