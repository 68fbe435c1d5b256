"""Pictures of a study: plot data computed here (plain arrays, tested), drawn by thin renderers.

``podbor.visualization.matplotlib`` draws with matplotlib, imported only when a plot is made
(``pip install podbor[plot]``).

Example:
    >>> import podbor
    >>> from podbor.visualization import gp_plot_data
    >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)
    >>> gp_plot_data(study, "x", n_points=20).mean.shape
    (20,)
"""

from podbor.visualization._gp_data import GPPlotData, gp_plot_data

__all__ = ["GPPlotData", "gp_plot_data"]
