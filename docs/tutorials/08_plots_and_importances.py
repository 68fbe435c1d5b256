"""
Plots and parameter importances
===============================

A study is a table of trials; the plots turn that table into answers. Did the search
converge? Which values of a parameter work? Which parameters matter at all, and which can be
fixed and forgotten? This tutorial runs one small study and draws every plot that applies to it
with :mod:`podbor.visualization.matplotlib`, then computes the parameter importances with
:func:`podbor.importance.get_param_importances`.

Every function here exists twice, with the same name and arguments: in
:mod:`podbor.visualization` (plotly: interactive, for notebooks and web pages) and in
:mod:`podbor.visualization.matplotlib` (static figures, for papers and this site). Both need
``pip install 'podbor[plot]'``.
"""

# %%
# A study to look at
# ------------------
#
# A made-up training run: four hyperparameters, a validation loss reported after every epoch,
# and the :class:`~podbor.pruners.MedianPruner` stopping runs that fall behind. Two of the
# parameters matter (the learning rate and the number of layers), one matters a little (the
# optimizer) and one not at all (``label_smoothing``, which this made-up model ignores). Let us
# see whether the plots find that out.

import math

import numpy as np

import podbor
from podbor.visualization import matplotlib as vis

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

N_TRIALS = 300 if os.environ.get("PODBOR_DOCS_FULL") == "1" else 80
# sphinx_gallery_end_ignore

N_EPOCHS = 20


def objective(trial: podbor.Trial) -> float:
    lr = trial.suggest_float("learning_rate", 1e-4, 1.0, log=True)
    n_layers = trial.suggest_int("n_layers", 1, 6)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
    trial.suggest_float("label_smoothing", 0.0, 0.2)  # has no effect here

    # The loss this configuration reaches after many epochs: best near lr = 0.01, 3 layers.
    final = 0.1 + 0.08 * (math.log10(lr) + 2.0) ** 2 + 0.03 * (n_layers - 3) ** 2
    final += {"sgd": 0.05, "adam": 0.0, "rmsprop": 0.02}[optimizer]
    rng = np.random.default_rng(trial.number)
    loss = 1.0
    for epoch in range(N_EPOCHS):
        loss = final + (loss - final) * 0.8 + 0.005 * rng.normal()
        trial.report(loss, epoch)
        if trial.should_prune():
            raise podbor.TrialPruned()
    return loss


study = podbor.create_study(
    study_name="plots",
    sampler=podbor.samplers.TPESampler(seed=0),
    pruner=podbor.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5),
)
study.optimize(objective, n_trials=N_TRIALS)

states = [t.state.name for t in study.trials]
n_complete, n_pruned = states.count("COMPLETE"), states.count("PRUNED")
print(f"{len(study.trials)} trials: {n_complete} complete, {n_pruned} pruned")
print(f"best value {study.best_value:.4f} with {study.best_params}")

# %%
# The study ran ``N_TRIALS`` trials (80 at this site's budget).
#
# Optimization history
# --------------------
#
# :func:`~podbor.visualization.matplotlib.plot_optimization_history`: each finished trial's
# value by trial number, and the best value so far as a line. A line that still drops at the
# right edge says: more trials would help. It also takes a list of studies (for example, one
# per seed) and draws their mean and spread with ``error_bar=True``.

ax = vis.plot_optimization_history(study)

# %%
# Intermediate values
# -------------------
#
# :func:`~podbor.visualization.matplotlib.plot_intermediate_values`: the curve each trial
# reported with :meth:`Trial.report <podbor.Trial.report>`, one line per trial. The
# pruned trials are the short curves: the pruner stopped them after the warm-up when they were
# worse than the median of earlier trials at the same epoch. Above 100 trials podbor groups the
# curves into at most ten coloured groups, so that the plot stays readable and fast.

ax = vis.plot_intermediate_values(study)

# %%
# Parallel coordinates
# --------------------
#
# :func:`~podbor.visualization.matplotlib.plot_parallel_coordinate`: one vertical axis per
# parameter and one for the objective; each trial is a line through its values, coloured by
# the objective. Follow the dark (good) lines to see which ranges the good trials share.
# ``params=[...]`` limits the axes to the parameters you name.

ax = vis.plot_parallel_coordinate(study)

# %%
# Contour
# -------
#
# :func:`~podbor.visualization.matplotlib.plot_contour` with two parameters: the objective
# over their plane, filled in between the trials (the dots). Without ``params=`` it draws
# every pair, a grid of panels that grows quickly with the number of parameters, so pick the
# pair you care about.

ax = vis.plot_contour(study, params=["learning_rate", "n_layers"])

# %%
# Slice
# -----
#
# :func:`~podbor.visualization.matplotlib.plot_slice`: the objective against each parameter
# alone, one panel per parameter, the dots coloured by trial number (late trials dark). A
# parameter that matters shows a clear valley; ``label_smoothing`` shows a flat cloud.

axes = vis.plot_slice(study)

# %%
# Rank
# ----
#
# :func:`~podbor.visualization.matplotlib.plot_rank`: like the contour, every pair of
# parameters, but each trial is a dot coloured by its *rank* among the trials rather than by
# its value. Ranks are not fooled by a few very bad trials that would stretch the colour scale.

axes = vis.plot_rank(study, params=["learning_rate", "n_layers", "optimizer"])

# %%
# Empirical distribution function
# -------------------------------
#
# :func:`~podbor.visualization.matplotlib.plot_edf`: for each value ``x``, the fraction of
# finished trials whose value is at most ``x``. It is made for comparing searches: pass a list
# of studies, and the curve further to the left (for minimization) found good values more
# often. Here a random search over the same space, with the same pruner, serves as the
# baseline.

random_study = podbor.create_study(
    study_name="random",
    sampler=podbor.samplers.RandomSampler(seed=0),
    pruner=podbor.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5),
)
random_study.optimize(objective, n_trials=N_TRIALS)
ax = vis.plot_edf([study, random_study])

# %%
# Timeline
# --------
#
# :func:`~podbor.visualization.matplotlib.plot_timeline`: when each trial started and ended,
# coloured by its state. With several workers, ``by_worker=True`` draws one lane per worker,
# which shows idle workers and stragglers (see :doc:`11_scaling_out`).

ax = vis.plot_timeline(study)

# %%
# Parameter importances
# ---------------------
#
# Which parameters decided the result? :func:`podbor.importance.get_param_importances` answers
# with one number per parameter (they sum to 1 with the default ``normalize=True``), largest
# first. Its ``evaluator=`` picks the method:
#
# - :class:`~podbor.importance.PedAnovaImportanceEvaluator` (the default): how differently a
#   parameter is distributed among the best 10% of trials than among all of them. Fast, and it
#   handles conditional parameters and several objectives.
# - :class:`~podbor.importance.FanovaImportanceEvaluator`: fits a random forest to the trials
#   and splits the variance of its prediction by parameter (functional ANOVA). The forest is
#   podbor's own (numpy only); seed it for repeatable numbers.
# - :class:`~podbor.importance.MeanDecreaseImpurityImportanceEvaluator`: the same forest's
#   impurity decrease per parameter; cruder, but quicker than fANOVA.
#
# Only COMPLETE trials count. An importance describes the trials it is computed from, so it
# matters which trials those are. A sampler that converged has tried the same corner of the
# space again and again, and a pruner has kept only the good runs: among those few the noise
# decides, and even a parameter without any effect can look important, because the sampler
# happened to settle on one of its values. First the importances of the TPE study above:

importances = podbor.importance.get_param_importances(study)
print("TPE study:", ", ".join(f"{p} {v:.2f}" for p, v in importances.items()))

# %%
# ``label_smoothing`` comes out second, although the model ignores it, and ``n_layers`` last,
# although it matters: most of the runs that survived the pruner have three layers, so among
# them the number of layers explains nothing. To ask "which
# parameters matter in this space?", give the evaluators trials spread over the whole space: a
# short random search without pruning. There the three evaluators agree: the learning rate
# first, the number of layers second, ``label_smoothing`` near zero.

survey = podbor.create_study(
    study_name="survey",
    sampler=podbor.samplers.RandomSampler(seed=0),
    pruner=podbor.pruners.NopPruner(),
)
survey.optimize(objective, n_trials=N_TRIALS)

from podbor.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
)

evaluators = {
    "PED-ANOVA (default)": None,
    "fANOVA": FanovaImportanceEvaluator(seed=0),
    "mean decrease impurity": MeanDecreaseImpurityImportanceEvaluator(seed=0),
}
for name, evaluator in evaluators.items():
    importances = podbor.importance.get_param_importances(survey, evaluator=evaluator)
    print(f"{name}:\n    " + ", ".join(f"{p} {v:.2f}" for p, v in importances.items()))

# %%
# The methods agree on what matters most and what does not, not on the exact numbers: treat an
# importance as a ranking.
# A parameter near zero on a survey like this one is a candidate to fix and drop from the
# space, which makes the next search cheaper.
#
# :func:`~podbor.visualization.matplotlib.plot_param_importances` draws the same numbers as
# bars; it takes the same ``evaluator=``.

ax = vis.plot_param_importances(survey, evaluator=FanovaImportanceEvaluator(seed=0))

# %%
# Another target than the objective
# ---------------------------------
#
# Every plot and :func:`~podbor.importance.get_param_importances` take ``target=``, a function
# of a :class:`~podbor.FrozenTrial`, to look at something other than the objective (its
# label comes from ``target_name=``). For example, which parameters decide how long a trial
# runs:

axes = vis.plot_slice(
    study,
    params=["learning_rate", "n_layers"],
    target=lambda t: t.duration.total_seconds() * 1000,
    target_name="duration (ms)",
)

# %%
# Every plot in one file: ``podbor plot``
# ---------------------------------------
#
# From the command line, ``podbor plot`` draws every plot that applies to a stored study into
# one HTML file that opens offline (plotly, with the library embedded), or into a folder of
# matplotlib PNGs when the output ends with ``/``::
#
#     podbor plot --storage sqlite:///search.db --study-name plots -o report.html
#     podbor plot --storage sqlite:///search.db --study-name plots -o figures/
#     podbor plot --storage sqlite:///search.db --study-name plots --kind history contour \
#         --params learning_rate n_layers -o report.html
#
# A wrong ``--kind`` lists the names it accepts. For a study that is still running, the live
# dashboard (:doc:`09_dashboard`) shows the same plots and refreshes them as trials finish.
