"""
Gaussian-process BO, explained
==============================

Grid and random search ignore what earlier trials found; a person tuning by hand does not.
Bayesian optimization (BO) does what the person does, with arithmetic: it keeps a
*probabilistic model* of the metric as a function of the hyperparameters, fitted to every
finished trial, and an *acquisition function* that turns the model into a decision, where the
next trial should go. The acquisition trades *exploitation* (go where the model expects a good
metric) against *exploration* (go where the model is unsure).

This tutorial draws the seminar's pictures with podbor's own model: the Gaussian process (GP)
that :class:`podbor.samplers.GPSampler` fits, its posterior mean and uncertainty along one
parameter, the acquisition function below it, and how both change as trials arrive. Then the
same over two parameters.
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import podbor
from podbor.visualization.matplotlib import plot_gp

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
N_STEPS = 6 if FULL else 3
N_TRIALS_2D = 30 if FULL else 12
# sphinx_gallery_end_ignore

# %%
# A metric with two bumps
# -----------------------
#
# Think of ``metric(x)`` as a validation accuracy that depends on one hyperparameter ``x``. It
# has its maximum, 0.5004, near :math:`x = -0.36` and a lower local maximum near
# :math:`x = 1.33`. Podbor can only evaluate it, one trial at a time; we draw the true curve
# only to judge the model.


def metric(x):
    return -math.sin(3.0 * x) - x * x + 0.7 * x


def objective(trial):
    return metric(trial.suggest_float("x", -1.0, 2.0))


xs = np.linspace(-1.0, 2.0, 300)
fig, ax = plt.subplots(figsize=(7.5, 3.0))
ax.plot(xs, [metric(x) for x in xs], color="k")
ax.set_xlabel("x")
ax.set_ylabel("metric (to maximize)")
ax.set_title("The true metric, unknown to the optimizer")
fig.tight_layout()

# %%
# Three random trials, then the model
# -----------------------------------
#
# The sampler starts with three random trials (``n_startup_trials=3``); a GP needs a few
# points before it says anything useful. We ask for the expected-improvement acquisition
# (``acquisition="ei"``; the default is its logarithm, which is easier to maximize numerically
# but draws a less familiar curve) and tell the GP that the metric has no noise
# (``deterministic_objective=True``), so that its uncertainty is zero at the observations.

sampler = podbor.samplers.GPSampler(
    seed=3, n_startup_trials=3, acquisition="ei", deterministic_objective=True
)
study = podbor.create_study(direction="maximize", sampler=sampler)
study.optimize(objective, n_trials=3)
print([round(t.params["x"], 3) for t in study.trials])

# %%
# :func:`podbor.visualization.matplotlib.plot_gp` fits the same GP the sampler would fit and
# draws it along ``x``:
#
# * top: the observations (black dots), the posterior mean :math:`\mu(x)` (the model's best
#   guess), the band :math:`\mu(x) \pm 2\sigma(x)` (where the metric lies with about 95 %
#   probability under the model) and three *sample paths*: functions drawn from the posterior,
#   each one plausible given the data. The band is thin next to the observations and wide far
#   from them.
# * bottom: the expected improvement, :math:`\mathrm{EI}(x) = \mathbb{E}[\max(f(x) - f^*, 0)]`,
#   how much better than the best value so far :math:`f^*` the metric is expected to be at
#   :math:`x`. It is large where :math:`\mu` is high (exploitation) or :math:`\sigma` is large
#   (exploration). The red triangle is its maximum: the next trial.

top, bottom = plot_gp(study, "x", n_samples=3)

# %%
# One trial at a time
# -------------------
#
# Each step below runs one trial (at the proposed point) and draws the model again. The band
# collapses where points were taken, the acquisition moves to where the metric may still be
# better, and the proposals close in on the maximum.

for _ in range(N_STEPS):
    study.optimize(objective, n_trials=1)
    x = study.trials[-1].params["x"]
    print(f"trial {study.trials[-1].number}: x = {x:.4f}, metric = {metric(x):.4f}")
    top, bottom = plot_gp(study, "x", n_samples=3)
    top.set_title(f"after {len(study.trials)} trials")

print("Best value:", round(study.best_value, 4), "at x =", round(study.best_params["x"], 4))
print("True maximum:", round(max(metric(x) for x in xs), 4))

# %%
# Many models, one histogram
# --------------------------
#
# The seminar described the posterior as a large set of functions that all agree with the data.
# Each sample path has its own maximum; the histogram of where those maxima lie shows where the
# best ``x`` may be, as far as the model knows. The numbers behind ``plot_gp`` come from
# :func:`podbor.visualization.gp_plot_data`; we ask it for 500 sample paths.

from podbor.visualization import gp_plot_data

data = gp_plot_data(study, "x", n_samples=500)
argmaxes = data.x[data.samples.argmax(axis=1)]
fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(7.5, 5.0))
ax1.plot(data.x, data.samples[:30].T, color="C0", lw=0.6, alpha=0.4)
ax1.scatter(data.observed_x, data.observed_y, color="k", zorder=3)
ax1.set_ylabel("sample paths")
ax2.hist(argmaxes, bins=60, color="C1")
ax2.set_xlabel("x")
ax2.set_ylabel("where the maximum is")
fig.tight_layout()

# %%
# Another acquisition function
# ----------------------------
#
# The seminar's example of an acquisition is the *upper confidence bound*
# :math:`\alpha(x) = \mu(x) + \beta\sigma(x)`: large :math:`\beta` explores more. The same GP
# with ``acquisition="ucb"``: the shape differs, the argument is the same.
# :class:`podbor.samplers.GPSampler` also offers ``"pi"`` (probability of improvement) and
# ``"logei"`` (the default).

top, bottom = plot_gp(study, "x", acquisition="ucb")

# %%
# Two parameters
# --------------
#
# With two parameters the model is a surface. ``plot_gp`` with a pair of names draws the
# posterior mean (left) and the standard deviation (right) as contour maps, with the
# observations, the best trial (ringed) and the next proposal (a star). Here we minimize a bowl
# with a ripple, ``N_TRIALS_2D`` trials (12 here), with the default sampler settings (five
# random start-up trials, then log-EI).


def objective_2d(trial):
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_float("y", -2.0, 2.0)
    return (x - 0.5) ** 2 + (y + 0.3) ** 2 + 0.3 * math.sin(4 * x)


sampler = podbor.samplers.GPSampler(seed=0, n_startup_trials=5)
study_2d = podbor.create_study(sampler=sampler)
study_2d.optimize(objective_2d, n_trials=N_TRIALS_2D)
print("Best value:", round(study_2d.best_value, 4), "at", study_2d.best_params)

mean_ax, std_ax = plot_gp(study_2d, ("x", "y"))

# %%
# The uncertainty is smallest around the observations and largest in the regions that no trial
# visited; the mean already shows the bowl. With more parameters, ``plot_gp`` draws a slice:
# every parameter not plotted is held at the best trial's value.
#
# Further reading: :doc:`03_choosing_a_sampler` on when podbor's default sampler uses the GP,
# and ``examples/gp_explained.py``, which saves these pictures as files.
