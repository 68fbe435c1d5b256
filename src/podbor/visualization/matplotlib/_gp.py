"""``plot_gp``: the seminar's picture of Bayesian optimization, drawn with matplotlib.

The numbers come from :func:`~podbor.visualization.gp_plot_data`; this module only draws them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from podbor._study_view import StudyView
from podbor.visualization._gp_data import GPPlotData, gp_plot_data

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_gp"]


def _pyplot() -> Any:
    try:
        return importlib.import_module("matplotlib.pyplot")
    except ImportError as err:
        raise ImportError(
            "plot_gp draws with matplotlib, which is not installed: pip install podbor[plot]"
        ) from err


def _split(ax: Axes | tuple[Axes, Axes] | None) -> tuple[Axes, Axes]:
    """The posterior panel and the acquisition panel under it."""
    if ax is None:
        _, (top, bottom) = _pyplot().subplots(
            2, 1, sharex=True, figsize=(7.5, 6.0), gridspec_kw={"height_ratios": [2.2, 1.0]}
        )
        return top, bottom
    if isinstance(ax, tuple):
        return ax
    divider = importlib.import_module("mpl_toolkits.axes_grid1").make_axes_locatable(ax)
    return ax, divider.append_axes("bottom", size="45%", pad=0.3, sharex=ax)


def _draw_posterior(ax: Axes, data: GPPlotData) -> None:
    ax.fill_between(data.x, data.lower, data.upper, color="C0", alpha=0.18, label="μ ± 2σ")
    for i, path in enumerate(data.samples):
        label = "posterior samples" if i == 0 else None
        ax.plot(data.x, path, color="C0", lw=0.9, ls="--", alpha=0.55, label=label)
    ax.plot(data.x, data.mean, color="C0", lw=2.0, label="posterior mean μ")
    ax.scatter(
        data.observed_x,
        data.observed_y,
        color="k",
        marker="o",
        s=28,
        zorder=3,
        label="observations",
    )
    ax.axvline(data.argmax, color="C3", ls=":", lw=1.2)
    ax.set_ylabel(f"objective ({data.direction})")
    ax.legend(loc="best", fontsize="small", framealpha=0.85)


def _draw_acquisition(ax: Axes, data: GPPlotData) -> None:
    ax.plot(data.x, data.acquisition, color="C2", lw=1.8)
    ax.fill_between(data.x, data.acquisition, data.acquisition.min(), color="C2", alpha=0.15)
    peak = float(data.acquisition.max())
    ax.axvline(data.argmax, color="C3", ls=":", lw=1.2)
    ax.scatter([data.argmax], [peak], color="C3", marker="v", s=70, zorder=3, label="next point")
    ax.set_ylabel("acquisition")
    ax.set_title(data.acquisition_name, fontsize="small", loc="left")
    ax.set_xlabel(data.param)
    ax.legend(loc="best", fontsize="small", framealpha=0.85)


def plot_gp(
    study: StudyView,
    param: str,
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    ax: Axes | tuple[Axes, Axes] | None = None,
) -> tuple[Axes, Axes]:
    """Draw the GP posterior and the acquisition function along one parameter.

    The other parameters are fixed at the best trial's values, so with several parameters the
    observations are shown at their own values, off this slice.

    Args:
        study: A single-objective study with complete trials.
        param: A numeric parameter that every complete trial has.
        n_samples: Number of posterior sample paths to draw.
        acquisition: ``"logei"``, ``"ei"``, ``"pi"`` or ``"ucb"``; by default the study's
            :class:`~podbor.samplers.GPSampler`'s, else ``"logei"``.
        ax: Where to draw: None for a new figure; two Axes (posterior, acquisition); or one Axes,
            from which the acquisition panel is split off below.

    Returns:
        The posterior Axes and the acquisition Axes.

    Raises:
        ImportError: If matplotlib is not installed (``pip install podbor[plot]``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_gp
        >>> study = podbor.create_study(sampler=podbor.samplers.GPSampler(seed=0, n_startup_trials=3))
        >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=5)
        >>> top, bottom = plot_gp(study, "x")
        >>> top.figure.savefig("/dev/null", format="png")
    """
    _pyplot()
    data = gp_plot_data(study, param, n_samples=n_samples, acquisition=acquisition)
    top, bottom = _split(ax)
    _draw_posterior(top, data)
    _draw_acquisition(bottom, data)
    if data.log_scale:
        top.set_xscale("log")
        bottom.set_xscale("log")
    n = data.observed_x.size
    top.set_title(f"GP posterior along {param!r} after {n} trials")
    return top, bottom
