"""
Several objectives and constraints
==================================

Often one number is not enough. A model should be accurate *and* fast; a detector should find
small objects *and* fit on a small GPU. This tutorial optimizes two objectives at once, reads
the trade-off curve (the Pareto front) from the study, adds a constraint that some
configurations break, and shows the plots that go with it.

The problem is made up, so that it runs in a second: a network of some ``width`` and ``depth``
with a ``dropout`` rate. A wider and deeper network has a lower validation error but a higher
latency. No single configuration is best at both.
"""

# %%
# Two directions
# --------------
#
# An objective with several values returns a tuple, one value per objective. The study needs
# one direction per value: ``directions=["minimize", "minimize"]`` here, since both the error
# and the latency should go down. :func:`podbor.create_study` takes ``directions=`` instead of
# ``direction=``.
#
# For a study with several objectives the default :class:`~podbor.samplers.AutoSampler` uses a
# Gaussian process per objective (log expected hypervolume improvement, alternating with random
# scalarizations of the objectives) while the space is flat and the study short, and TPE
# otherwise. Here we pick :class:`~podbor.samplers.NSGAIISampler`, the genetic algorithm most
# used for such problems, to show it, and seed it, so that the numbers below are the same at
# every run.
#
# :meth:`~podbor.Study.set_metric_names` names the objectives for the plots and the
# tables. It is experimental in Optuna 5.0, as is NSGA-III below, and podbor warns about both as
# Optuna does (``ExperimentalWarning``); the filter keeps this page short.

import math
import warnings

import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)
warnings.filterwarnings("ignore", category=podbor.exceptions.ExperimentalWarning)

# sphinx_gallery_start_ignore
import os

FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
N_TRIALS = 300 if FULL else 120
POPULATION = 30 if FULL else 20
# sphinx_gallery_end_ignore


def error_and_latency(width: int, depth: int, dropout: float) -> tuple[float, float]:
    """A made-up model: the validation error and the latency (ms) of one configuration."""
    capacity = math.log2(width) * depth
    error = 0.05 + 0.6 / (1.0 + 0.15 * capacity) + 0.4 * (dropout - 0.25) ** 2
    latency = 0.02 * width * depth + 0.5 * depth
    return error, latency


def objective(trial: podbor.Trial) -> tuple[float, float]:
    width = trial.suggest_int("width", 8, 512, log=True)
    depth = trial.suggest_int("depth", 1, 8)
    dropout = trial.suggest_float("dropout", 0.0, 0.6)
    return error_and_latency(width, depth, dropout)


sampler = podbor.samplers.NSGAIISampler(population_size=POPULATION, seed=0)
study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
study.set_metric_names(["error", "latency_ms"])
study.optimize(objective, n_trials=N_TRIALS)
print(f"{len(study.trials)} trials, directions {[d.name for d in study.directions]}")

# %%
# The study ran ``N_TRIALS`` trials (120 here; ``POPULATION`` = 20 trials per generation, so six
# generations). With several objectives there is no single best trial:
# :attr:`~podbor.Study.best_trial` and :attr:`~podbor.Study.best_value` raise an
# error. Instead, :attr:`~podbor.Study.best_trials` gives the **Pareto front**: every
# finished trial that no other trial beats in both objectives at once. Each trial on it is a
# fair answer; which one to deploy is your call (how much latency is a point of error worth?).

front = sorted(study.best_trials, key=lambda t: t.values[1])
print(f"{len(front)} trials on the Pareto front")
print(" trial  error   latency_ms  width depth dropout")
for t in front[:: max(1, len(front) // 8)]:
    p = t.params
    print(
        f"{t.number:6d}  {t.values[0]:.4f}  {t.values[1]:9.2f}  "
        f"{p['width']:5d} {p['depth']:5d}  {p['dropout']:.2f}"
    )

# %%
# The Pareto front plot
# ---------------------
#
# :func:`podbor.visualization.matplotlib.plot_pareto_front` draws every trial by its two
# objective values, the trials of the front in red. (The same function in
# :mod:`podbor.visualization` draws it with plotly, for a notebook or a web page.)

from podbor.visualization.matplotlib import plot_hypervolume_history, plot_pareto_front

ax = plot_pareto_front(study)

# %%
# Is the search still improving? The **hypervolume** measures the area that the front
# dominates, up to a *reference point* that is worse than any answer you would accept in every
# objective (here an error of 0.7 and a latency of 100 ms). It grows whenever a new trial pushes
# the front outwards; a flat line means the last generations found nothing better.

ax = plot_hypervolume_history(study, reference_point=[0.7, 100.0])

# %%
# Constraints
# -----------
#
# Suppose the model must also fit in memory: no more than 0.5 GB of activations. That is not a
# third objective (less memory is no better once it fits) but a **constraint**. Inside the
# objective, :meth:`Trial.set_constraint(name, value) <podbor.Trial.set_constraint>`
# records it. The trial is *feasible* when every constraint value is ``<= 0``, so write the
# constraint as "how far over the limit": ``memory_gb - 0.5``.
#
# A constraint changes the study's answers: :attr:`~podbor.Study.best_trials` keeps only
# feasible trials, and the samplers that know constraints (NSGA-II, NSGA-III, TPE and the
# Gaussian process) steer away from infeasible regions: NSGA-II ranks every feasible trial
# ahead of the infeasible ones, and among the infeasible prefers the ones that break the
# constraint least.
#
# (Optuna's older way, ``NSGAIISampler(constraints_func=...)``, a function called with each
# finished trial, still works but is deprecated in Optuna 5.0 and in podbor, with a
# ``FutureWarning``. ``set_constraint`` keeps the constraint with the trial, in any storage.)


def memory_gb(width: int, depth: int) -> float:
    return 0.0008 * width * width * depth / 64.0


def constrained_objective(trial: podbor.Trial) -> tuple[float, float]:
    width = trial.suggest_int("width", 8, 512, log=True)
    depth = trial.suggest_int("depth", 1, 8)
    dropout = trial.suggest_float("dropout", 0.0, 0.6)
    trial.set_constraint("memory", memory_gb(width, depth) - 0.5)
    return error_and_latency(width, depth, dropout)


constrained = podbor.create_study(
    directions=["minimize", "minimize"],
    sampler=podbor.samplers.NSGAIISampler(population_size=POPULATION, seed=0),
)
constrained.set_metric_names(["error", "latency_ms"])
constrained.optimize(constrained_objective, n_trials=N_TRIALS)

feasible = [t for t in constrained.trials if all(v <= 0 for v in t.constraints.values())]
print(f"feasible trials: {len(feasible)} of {len(constrained.trials)}")
print(f"Pareto front (feasible only): {len(constrained.best_trials)} trials")
best = min(constrained.best_trials, key=lambda t: t.values[0])
print(
    f"the most accurate feasible trial: #{best.number}, error {best.values[0]:.4f}, "
    f"memory constraint {best.constraints['memory']:+.2f}"
)
worst = max(constrained.trials, key=lambda t: t.constraints["memory"])
print(f"furthest over the limit: #{worst.number}, {worst.constraints['memory']:+.2f}")

# %%
# The Pareto front plot reads the constraints stored on the trials: infeasible trials are grey,
# whatever their objective values. Compare with the first plot: the front is cut where the
# memory limit begins, so the most accurate configurations are gone.

ax = plot_pareto_front(constrained)

# %%
# Three objectives and NSGA-III
# -----------------------------
#
# NSGA-II's crowding distance spreads the population well along a front of two objectives; with
# three or more objectives most trials are mutually non-dominated and it loses its grip.
# :class:`~podbor.samplers.NSGAIIISampler` replaces the crowding distance by *reference points*
# spread evenly over the objective space (``dividing_parameter`` divisions per axis), and keeps
# the trials closest to each. Here the memory becomes a third objective instead of a
# constraint; with three objectives the Pareto front plot is a 3-D scatter.


def three_objectives(trial: podbor.Trial) -> tuple[float, float, float]:
    width = trial.suggest_int("width", 8, 512, log=True)
    depth = trial.suggest_int("depth", 1, 8)
    dropout = trial.suggest_float("dropout", 0.0, 0.6)
    error, latency = error_and_latency(width, depth, dropout)
    return error, latency, memory_gb(width, depth)


study3 = podbor.create_study(
    directions=["minimize"] * 3,
    sampler=podbor.samplers.NSGAIIISampler(population_size=POPULATION, seed=0),
)
study3.set_metric_names(["error", "latency_ms", "memory_gb"])
study3.optimize(three_objectives, n_trials=N_TRIALS)
print(f"three objectives: {len(study3.best_trials)} trials on the Pareto front")

ax = plot_pareto_front(study3)

# %%
# What to take away
# -----------------
#
# - return a tuple and pass ``directions=[...]``; read the answers from
#   :attr:`~podbor.Study.best_trials`, not ``best_trial``;
# - a limit is a constraint, recorded with :meth:`~podbor.Trial.set_constraint`
#   (``<= 0`` is feasible); only feasible trials reach the front;
# - the default sampler models each objective with a GP for the first few hundred trials of a
#   flat space; NSGA-II (two objectives) and NSGA-III (three or more) suit long studies of
#   cheap objectives; TPE handles several objectives and constraints on any space;
# - :func:`~podbor.visualization.matplotlib.plot_pareto_front` and
#   :func:`~podbor.visualization.matplotlib.plot_hypervolume_history` show the front and
#   whether it still moves. The command line prints the front too:
#   ``podbor best-trials --storage URL --study-name NAME``.
