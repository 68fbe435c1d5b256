"""``plot_gp``: the seminar's picture of Bayesian optimization, drawn with matplotlib.

Along one parameter: the posterior (mean, ±2σ band, sample paths, observations) over the
acquisition function. Over two: the posterior mean and σ as filled contours, side by side, with
the observations and the next proposal marked. The numbers come from
:func:`~podbor.visualization.gp_plot_data`; this module only draws them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor._study_view import StudyView
from podbor.visualization._data._gp import GPContourData, GPPlotData, gp_plot_data
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_gp"]

_CONTOUR_LEVELS = 15


def _split(ax: Axes | tuple[Axes, Axes] | None, *, side: str) -> tuple[Axes, Axes]:
    """Two panels: new ones, the pair given, or the Axes given and one split off ``side``."""
    if ax is None:
        if side == "bottom":
            _, (first, second) = require("plot_gp").subplots(
                2, 1, sharex=True, figsize=(7.5, 6.0), gridspec_kw={"height_ratios": [2.2, 1.0]}
            )
        else:
            _, (first, second) = require("plot_gp").subplots(
                1, 2, figsize=(11.5, 4.8), constrained_layout=True
            )
        return first, second
    if isinstance(ax, tuple):
        return ax
    divider = importlib.import_module("mpl_toolkits.axes_grid1").make_axes_locatable(ax)
    if side == "bottom":
        return ax, divider.append_axes("bottom", size="45%", pad=0.3, sharex=ax)
    return ax, divider.append_axes("right", size="100%", pad=0.9)


# -- one parameter -------------------------------------------------------------------------------
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


def _plot_slice(data: GPPlotData, ax: Axes | tuple[Axes, Axes] | None) -> tuple[Axes, Axes]:
    top, bottom = _split(ax, side="bottom")
    _draw_posterior(top, data)
    _draw_acquisition(bottom, data)
    if data.log_scale:
        top.set_xscale("log")
        bottom.set_xscale("log")
    n = data.observed_x.size
    top.set_title(f"GP posterior along {data.param!r} after {n} trials")
    return top, bottom


# -- two parameters ------------------------------------------------------------------------------
def _draw_contour(ax: Axes, data: GPContourData, z: Any, cmap: str, title: str) -> None:
    filled = ax.contourf(data.x, data.y, z, levels=_CONTOUR_LEVELS, cmap=cmap)
    ax.figure.colorbar(filled, ax=ax)
    ax.scatter(
        data.observed_x,
        data.observed_y,
        color="k",
        edgecolors="white",
        linewidths=0.6,
        s=26,
        zorder=3,
        label="observations",
    )
    ax.scatter(
        [data.observed_x[data.best]],
        [data.observed_y[data.best]],
        facecolors="none",
        edgecolors="C1",
        linewidths=1.8,
        s=110,
        zorder=4,
        label="best trial",
    )
    ax.scatter(
        [data.next_point[0]],
        [data.next_point[1]],
        color="C3",
        edgecolors="white",
        marker="*",
        s=220,
        zorder=5,
        label="next point",
    )
    ax.set_xlabel(data.params[0])
    ax.set_ylabel(data.params[1])
    if data.log_scale[0]:
        ax.set_xscale("log")
    if data.log_scale[1]:
        ax.set_yscale("log")
    ax.set_title(title, fontsize="medium")


def _plot_grid(data: GPContourData, ax: Axes | tuple[Axes, Axes] | None) -> tuple[Axes, Axes]:
    left, right = _split(ax, side="right")
    best_dark = "Blues_r" if data.direction == "minimize" else "Blues"
    _draw_contour(left, data, data.mean, best_dark, f"posterior mean μ ({data.direction})")
    _draw_contour(right, data, data.std, "Oranges", "posterior σ (uncertainty)")
    left.legend(loc="best", fontsize="small", framealpha=0.85)
    fixed = ", ".join(f"{k}={v:.4g}" for k, v in data.fixed.items())
    title = f"GP posterior over {data.params[0]!r} and {data.params[1]!r} after "
    title += f"{data.observed_x.size} trials" + (f" ({fixed})" if fixed else "")
    left.figure.suptitle(title)
    return left, right


def plot_gp(
    study: StudyView,
    param: str | Sequence[str],
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    n_points: int | None = None,
    ax: Axes | tuple[Axes, Axes] | None = None,
) -> tuple[Axes, Axes]:
    """Draw the GP posterior along one parameter, or over two, with the next proposal.

    The other parameters are fixed at the best trial's values, so with more parameters the
    observations are shown at their own values, off this slice.

    * One parameter: the posterior (mean, ±2σ band, sample paths, observations) on top, the
      acquisition function under it, the next point marked on both.
    * Two parameters: the posterior mean and the posterior σ as filled contours, side by side,
      with the observations, the best trial and the next point (the acquisition's maximum on
      the grid) marked on both.

    Args:
        study: A single-objective study with complete trials.
        param: A numeric parameter that every complete trial has, or a pair of them.
        n_samples: Number of posterior sample paths to draw (one parameter only).
        acquisition: ``"logei"``, ``"ei"``, ``"pi"`` or ``"ucb"``; by default the study's
            :class:`~podbor.samplers.GPSampler`'s, else ``"logei"``.
        n_points: Points per axis; by default 200 (one parameter) or 60 (two).
        ax: Where to draw: None for a new figure; two Axes; or one Axes, from which the second
            panel is split off (below for one parameter, to the right for two).

    Returns:
        The two Axes: (posterior, acquisition) for one parameter, (mean, σ) for two.

    Raises:
        ImportError: If matplotlib is not installed (``pip install 'podbor[plot]'``).
        InvalidArgumentError: If ``param`` is not a numeric parameter of every complete trial.

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_gp
        >>> study = podbor.create_study(sampler=podbor.samplers.GPSampler(seed=0, n_startup_trials=3))
        >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=5)
        >>> top, bottom = plot_gp(study, "x")
        >>> top.figure.savefig("/dev/null", format="png")
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1),
        ...                n_trials=6)
        >>> mean_ax, std_ax = plot_gp(study, ("x", "y"), n_points=20)
        >>> mean_ax.get_xlabel(), std_ax.get_ylabel()
        ('x', 'y')
    """
    require("plot_gp")  # the install hint before any work
    data = gp_plot_data(
        study, param, n_samples=n_samples, acquisition=acquisition, n_points=n_points
    )
    if isinstance(data, GPPlotData):
        return _plot_slice(data, ax)
    return _plot_grid(data, ax)
