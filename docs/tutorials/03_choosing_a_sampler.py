"""
Choosing a sampler
==================

The sampler proposes each trial's hyperparameters from the trials before it. No single method
is best everywhere: a Gaussian process (GP) needs few trials on smooth spaces but costs more per
trial and cannot model a parameter that some trials lack; TPE is cheap and copes with any
conditional space; genetic methods suit several objectives. Podbor's default,
:class:`podbor.samplers.AutoSampler`, makes this choice for you, trial by trial, and writes
down why. This tutorial shows what it decides, how to read and plot its decisions, when to pick
another sampler yourself, and how seeds make a study repeatable.
"""

# %%
import math
import warnings

import pandas as pd

import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
N_TRIALS = 100 if FULL else 40
N_COMPARE = 60 if FULL else 30
# sphinx_gallery_end_ignore

# %%
# A test function
# ---------------
#
# Branin's function of two variables has three equally good minima, all with the value
# 0.397887. Each trial costs microseconds, so the rules can be shown in a moment.


def branin(trial):
    x = trial.suggest_float("x", -5.0, 10.0)
    y = trial.suggest_float("y", 0.0, 15.0)
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


# %%
# What AutoSampler decides
# ------------------------
#
# Before each trial :class:`podbor.samplers.AutoSampler` picks one of four strategies:
#
# 1. ``qmc`` while fewer than ``n_startup_trials`` (5) trials have finished: quasi-random
#    (scrambled Sobol) points, which cover the space more evenly than random ones;
# 2. ``gp`` (a :class:`podbor.samplers.GPSampler` that searches a trust region around the best
#    trial; with several objectives, log-EHVI alternating with random scalarizations, and with
#    constraints weighted by the probability of feasibility) when every finished trial has the
#    same parameters, and
#    the space and history are small enough: at most ``max_gp_params`` (20) parameters,
#    ``max_categorical_choices`` (32) categorical choices in all, ``max_gp_trials`` (300)
#    complete trials and ``max_gp_workers`` (8) trials running at once, mostly completed (not
#    pruned) trials, and a GP whose time is not noticeable: within ``gp_seconds_allowance``
#    (0.25 s per trial), or else at most ``max_overhead_fraction`` (half) of the objective's
#    time;
# 3. ``gp-branches`` when one categorical parameter alone decides which other parameters a trial
#    has (see :doc:`02_conditional_spaces`): one GP per branch, a bandit picks the branch;
# 4. ``tpe`` otherwise: a multivariate, grouped :class:`podbor.samplers.TPESampler` with the
#    constant liar.
#
# When close trials differ by more than the objective's slope explains (noisy scores, such as
# cross-validation's), the GP stops warping the values and measures improvement from the best
# posterior mean instead of the luckiest score; such a trial's recorded reason ends with
# ``"; scores look noisy (close trials differ)"``.
#
# To see the switch to TPE in a short run, we lower ``max_gp_trials`` to 20. The study runs
# ``N_TRIALS`` trials (40 here).

sampler = podbor.samplers.AutoSampler(seed=0, max_gp_trials=20)
study = podbor.create_study(sampler=sampler)
study.optimize(branin, n_trials=N_TRIALS)
print("Best value:", round(study.best_value, 6), "at", study.best_params)

# %%
# Each trial's choice and its reason are stored in the trial's system attribute
# ``"auto_sampler"``, as ``"<strategy>: <reason>"``:

for trial in study.trials[3:7] + study.trials[19:23]:
    print(f"trial {trial.number:2d}  {trial.system_attrs['auto_sampler']}")

# %%
# The decision plot
# -----------------
#
# :func:`podbor.visualization.matplotlib.plot_sampler_decisions` draws the values (coloured by
# strategy, with the best so far) above the strategy of each trial; every run of one strategy is
# shaded and every switch marked. Here: five quasi-random trials, the GP until 20 trials had
# completed, then TPE.

from podbor.visualization.matplotlib import plot_sampler_decisions

top, bottom = plot_sampler_decisions(study)
top.set_yscale("log")

# %%
# Why it decided: the other rules
# -------------------------------
#
# The same sampler decides differently when the study is different. Each line below runs a
# small study of seven trials and shows the decision for the last one. The reasons name the
# limit that was reached. In the last study the number of layers decides how many ``width_*``
# parameters a trial has: a conditional space without a categorical at its root, which goes to
# TPE.

warnings.filterwarnings("ignore", category=podbor.exceptions.ExperimentalWarning)


def last_decision(objective, n_trials=7, **study_args):
    sampler = podbor.samplers.AutoSampler(seed=0, **study_args.pop("sampler_args", {}))
    study = podbor.create_study(sampler=sampler, **study_args)
    study.optimize(objective, n_trials=n_trials)
    return study.trials[-1].system_attrs["auto_sampler"]


def two_objectives(trial):
    x = trial.suggest_float("x", 0, 1)
    return x, 1 - x


def many_choices(trial):
    letters = "abcdefghi"
    return sum(letters.index(trial.suggest_categorical(f"c{i}", list(letters))) for i in range(5))


def mostly_pruned(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number % 3:
        raise podbor.TrialPruned()
    return x


def layers(trial):
    n_layers = trial.suggest_int("n_layers", 1, 3)
    widths = [trial.suggest_int(f"width_{i}", 8, 128, log=True) for i in range(n_layers)]
    return sum((math.log2(w) - 5) ** 2 for w in widths) + n_layers


no_allowance = {"sampler_args": {"gp_seconds_allowance": 0.0}}
rows = [
    ("start-up", last_decision(branin, n_trials=3)),
    ("a cheap objective", last_decision(branin)),
    ("the same, no allowance", last_decision(branin, **no_allowance)),
    ("two objectives", last_decision(two_objectives, directions=["minimize"] * 2)),
    ("5 categoricals x 9 choices", last_decision(many_choices)),
    ("most trials pruned", last_decision(mostly_pruned, n_trials=8)),
    ("a width per layer, 1-3 layers", last_decision(layers)),
]
pd.set_option("display.max_colwidth", 100)
decisions = pd.DataFrame(
    [(study, *decision.split(": ", 1)) for study, decision in rows],
    columns=["study", "strategy", "reason"],
)
decisions

# %%
# Cost-aware by default
# ---------------------
#
# The second and third lines show the cost rule. A GP proposal takes milliseconds (about 9 ms
# with 100 trials of 6 parameters, 35 ms with 300 trials of 20 parameters on a 2-core machine):
# nobody notices that, even around a function such as Branin that runs in microseconds, and the
# GP's proposals are better. So AutoSampler gives the GP up for cost only when its time per
# trial, averaged over the study, is both over ``gp_seconds_allowance`` (0.25 s) *and* over
# ``max_overhead_fraction`` (0.5) of the objective's median time. With the allowance set to 0
# (third line) a microsecond objective goes to TPE right after the start-up.
#
# The GP's time in this rule is an *estimate* from the number of trials and parameters, not a
# measurement, and the objective's time is read only once that estimate is over the allowance;
# with the default limits (``max_gp_trials=300``, ``max_gp_params=20``) it never is for one
# objective, so a seeded study proposes the same trials on a quiet and on a busy machine (with
# several objectives, whose GPs cost more, it can be late in a long study).
# ``max_overhead_fraction=None`` takes time out of the decisions altogether.
#
# Choosing a sampler yourself
# ---------------------------
#
# Pass ``sampler=`` to :func:`podbor.create_study` when you know more than the rules above:
#
# * :class:`podbor.samplers.TPESampler`: many trials (thousands), cheap objectives, nested
#   conditional spaces, many categoricals, many parallel workers;
# * :class:`podbor.samplers.GPSampler`: an expensive objective, a few dozen to a few hundred
#   trials, numeric parameters; the acquisition function is log-EI by default (see
#   :doc:`04_gp_explained`);
# * :class:`podbor.samplers.CmaEsSampler`: many trials over continuous parameters, where an
#   evolution strategy follows a long valley well (needs ``pip install podbor[cmaes]``);
# * :class:`podbor.samplers.NSGAIISampler` (or :class:`~podbor.samplers.NSGAIIISampler` for
#   many objectives): several objectives with a large budget;
# * :class:`podbor.samplers.QMCSampler`: an even, model-free cover of the space, e.g. a first
#   batch for many workers or a sensitivity study;
# * :class:`podbor.samplers.GridSampler`: every combination of a few given values, when you
#   need all of them (a final comparison, a report table);
# * :class:`podbor.samplers.RandomSampler`: a baseline. As the seminar showed, with the same
#   budget random search tries more distinct values of each parameter than a grid does.
#
# Here they are side by side on Branin, ``N_COMPARE`` trials each (30 here). The grid has 6 × 5
# points. With so few trials one run proves little; the benchmarks page compares samplers over
# many problems and seeds.

import time

grid = {"x": [-5.0, -2.0, 1.0, 4.0, 7.0, 10.0], "y": [0.0, 3.75, 7.5, 11.25, 15.0]}
candidates = {
    "AutoSampler": podbor.samplers.AutoSampler(seed=0),
    "TPESampler": podbor.samplers.TPESampler(seed=0),
    "GPSampler": podbor.samplers.GPSampler(seed=0),
    "CmaEsSampler": podbor.samplers.CmaEsSampler(seed=0),
    "QMCSampler": podbor.samplers.QMCSampler(seed=0),
    "GridSampler": podbor.samplers.GridSampler(grid, seed=0),
    "RandomSampler": podbor.samplers.RandomSampler(seed=0),
}
rows = []
for name, candidate in candidates.items():
    start = time.perf_counter()
    study = podbor.create_study(sampler=candidate)
    study.optimize(branin, n_trials=N_COMPARE)
    seconds = time.perf_counter() - start
    rows.append((name, study.best_value - 0.397887, seconds))
pd.DataFrame(rows, columns=["sampler", "best value - optimum", "seconds"]).round(4)

# %%
# Several objectives
# ------------------
#
# With ``directions=[...]`` the study keeps the Pareto front (``study.best_trials``): the
# trials that no other trial beats in every objective. AutoSampler uses TPE for such a study;
# NSGA-II is the usual choice when the budget is large. A small example: a model's error falls
# and its cost rises with its size. :doc:`07_multi_objective` covers such studies in full.


def error_and_cost(trial):
    size = trial.suggest_float("size", 1.0, 100.0, log=True)
    regularization = trial.suggest_float("regularization", 0.0, 1.0)
    error = 1.0 / size + (regularization - 0.3) ** 2
    return error, size


nsga = podbor.samplers.NSGAIISampler(population_size=10, seed=0)
mo_study = podbor.create_study(directions=["minimize", "minimize"], sampler=nsga)
mo_study.optimize(error_and_cost, n_trials=50)
print("Pareto-optimal trials:", len(mo_study.best_trials), "of", len(mo_study.trials))

# %%
# Seeds
# -----
#
# Every sampler takes ``seed=``. With the same seed, the same objective and the same history, a
# sampler proposes the same values, so a study can be repeated exactly: below, two studies with
# ``seed=1`` try the same parameters. Two things break this: parallel trials (``n_jobs`` or
# several workers, where the order in which trials finish varies) and, past its allowance,
# AutoSampler's cost rule (see above).


def params_of(seed):
    sampler = podbor.samplers.TPESampler(seed=seed)
    study = podbor.create_study(sampler=sampler)
    study.optimize(branin, n_trials=15)
    return [t.params for t in study.trials]


print("same seed, same trials:", params_of(1) == params_of(1))
print("other seed, same trials:", params_of(1) == params_of(2))
