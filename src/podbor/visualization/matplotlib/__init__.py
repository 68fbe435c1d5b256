"""Plots drawn with matplotlib, which is imported only when a plot is made.

Install it with ``pip install podbor[plot]``.
"""

from podbor.visualization.matplotlib._gp import plot_gp

__all__ = ["plot_gp"]
