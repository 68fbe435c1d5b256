"""
First study
===========

A *study* is one search for the best hyperparameters. You give it an *objective*: a function
that takes a *trial*, asks the trial for the hyperparameter values it should try, trains and
validates a model with them, and returns the validation score. The study calls the objective
again and again; each call is one trial. Before every trial its *sampler* looks at the trials
so far and proposes the next values, so later trials land where the score was good.

This tutorial runs the seminar's first example, minimizing :math:`(x - 2)^2`, then shows the
other ``suggest_*`` methods, the results a study keeps, and the ask-and-tell interface for loops
that you drive yourself.
"""

# %%
# Podbor logs one line per finished trial. Here we keep only warnings, so that the output below
# stays short.
import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

N_TRIALS = 300 if os.environ.get("PODBOR_DOCS_FULL") == "1" else 100
# sphinx_gallery_end_ignore

# %%
# The objective
# -------------
#
# The answer, :math:`x = 2`, is obvious to us, but podbor does not know it: it only sees the
# values the objective returns. :meth:`podbor.Trial.suggest_float` asks for a number between
# -100 and 100. The seminar wrote ``trial.suggest_uniform('x', -100, 100)``; that name still
# works (with a deprecation warning, as in Optuna), and ``suggest_float`` is its current form.
# podbor's API is Optuna's: the seminar's code runs unchanged after ``import podbor as optuna``.


def objective(trial):
    x = trial.suggest_float("x", -100, 100)
    return (x - 2) ** 2


# %%
# Create a study and optimize
# ---------------------------
#
# :func:`podbor.create_study` makes an empty study; ``direction="minimize"`` says that smaller
# values are better (use ``"maximize"`` for an accuracy). Without a ``sampler`` argument the
# study uses :class:`podbor.samplers.AutoSampler`; we pass one with a ``seed`` only so that this
# page shows the same numbers on every build. :meth:`podbor.Study.optimize` then runs the
# objective ``N_TRIALS`` times (100 here, as in the seminar).

study = podbor.create_study(direction="minimize", sampler=podbor.samplers.AutoSampler(seed=0))
study.optimize(objective, n_trials=N_TRIALS)

print("Minimum objective value:", study.best_value)
print("Best parameter:", study.best_params)

# %%
# ``best_value`` and ``best_params`` come from :attr:`podbor.Study.best_trial`, a
# :class:`podbor.FrozenTrial`: the finished record of one trial, with its number, state,
# parameters, value and timings.

best = study.best_trial
print("number:", best.number)
print("state:", best.state.name)
print("params:", best.params)
print("value:", best.value)
print("duration:", best.duration)

# %%
# All trials as a table
# ---------------------
#
# :meth:`podbor.Study.trials_dataframe` returns a pandas ``DataFrame`` with one row per trial,
# the same columns the seminar showed: number, value, start, end, duration, one ``params_*``
# column per parameter, and the state.

df = study.trials_dataframe()
df.head(10)

# %%
# The history of the search
# -------------------------
#
# :func:`podbor.visualization.matplotlib.plot_optimization_history` draws every trial's value
# and the best value so far. The first five trials are spread over the whole range on purpose
# (quasi-random start-up); then the sampler concentrates near :math:`x = 2`. A logarithmic
# y-axis makes the late improvements visible.

from podbor.visualization.matplotlib import plot_optimization_history

ax = plot_optimization_history(study)
ax.set_yscale("log")

# %%
# More kinds of hyperparameters
# -----------------------------
#
# A real model has integer, log-scaled, stepped and categorical hyperparameters. The trial has
# one method for each:
#
# * ``suggest_float(name, low, high, log=True)`` for a scale such as a learning rate, where
#   1e-4 and 1e-3 are as far apart as 1e-2 and 1e-1;
# * ``suggest_float(name, low, high, step=0.1)`` for a float on a grid;
# * :meth:`podbor.Trial.suggest_int` for counts (``log=True`` and ``step`` work there too);
# * :meth:`podbor.Trial.suggest_categorical` for a choice among values.
#
# The objective below is a made-up "validation loss" with a known best point, so that it runs
# instantly; in practice these values would configure a model.

import math


def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n_layers = trial.suggest_int("n_layers", 1, 6)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
    activation = trial.suggest_categorical("activation", ["relu", "tanh", "sigmoid"])
    loss = (math.log10(lr) + 2.5) ** 2  # best near lr = 3e-3
    loss += 0.1 * (n_layers - 3) ** 2
    loss += (dropout - 0.2) ** 2
    loss += {"relu": 0.0, "tanh": 0.05, "sigmoid": 0.3}[activation]
    return loss


study = podbor.create_study(sampler=podbor.samplers.AutoSampler(seed=0))
study.optimize(objective, n_trials=40)
print("Best loss:", round(study.best_value, 4))
print("Best parameters:", study.best_params)

# %%
# The study also stores each parameter's *distribution* (its range, scale and step), which the
# sampler needs to propose values. ``create_study`` minimizes by default.

for name, distribution in study.best_trial.distributions.items():
    print(f"{name:>10}: {distribution}")

# %%
# Ask and tell
# ------------
#
# ``optimize`` owns the loop. When your code must own it (a training script that already has
# its own loop, trials run by another system), ask the study for a trial and tell it the result.
# :meth:`podbor.Study.ask` returns a live trial; :meth:`podbor.Study.tell` finishes it with its
# value. Everything else (sampler, storage, best trial) works as before.

study = podbor.create_study(sampler=podbor.samplers.AutoSampler(seed=0))
for _ in range(30):
    trial = study.ask()
    x = trial.suggest_float("x", -100, 100)
    study.tell(trial, (x - 2) ** 2)

print("Trials:", len(study.trials))
print("Best parameter:", study.best_params)

# %%
# What next
# ---------
#
# * :doc:`02_conditional_spaces`: parameters that exist only in some trials.
# * :doc:`03_choosing_a_sampler`: what the default sampler does, and when to choose another.
# * :doc:`05_pruning_and_cv`: stop hopeless trials early.
# * :doc:`06_storages_and_workers`: keep the trials in a database and run many workers.
