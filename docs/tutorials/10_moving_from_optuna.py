"""
Moving from Optuna
==================

podbor follows Optuna 5.0's public API: the same names, signatures, defaults and behaviour,
with a short list of deliberate differences. Moving a project has two parts: the code (one
import line) and the studies you already ran (one command). This tutorial does both, and the
way back.
"""

# %%
# The code: one import line
# -------------------------
#
# Replace ``import optuna`` by ``import podbor as optuna`` and leave the rest of the script as
# it is. For a whole project::
#
#     sed -i 's/^import optuna$/import podbor as optuna/' my_search.py
#
# The script below is written as an Optuna user writes it; only its import line is podbor's.
# It keeps its study in an SQLite file, in a temporary directory.

import tempfile
from pathlib import Path

import podbor as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
workdir = tempfile.TemporaryDirectory()
folder = Path(workdir.name)
podbor_url = f"sqlite:///{folder / 'podbor.db'}"


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report((x - 2.0) ** 2 + step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return (x - 2.0) ** 2 + (0.0 if kind == "a" else 1.0)


study = optuna.create_study(
    study_name="search", storage=podbor_url, sampler=optuna.samplers.TPESampler(seed=0)
)
study.optimize(objective, n_trials=30)
print(f"best value {study.best_value:.4f}, best params {study.best_params}")
print("the study is a", type(study).__name__, "of", type(study).__module__.split(".")[0])

# %%
# Integrations move the same way. Optuna keeps them in the separate ``optuna-integration``
# package; podbor has them in :mod:`podbor.integration`, with the same class names and
# arguments, each library installed by its own extra (``pip install 'podbor[lightgbm]'``):
#
# .. code-block:: python
#
#     # before
#     from optuna.integration import LightGBMPruningCallback
#     from optuna_integration import XGBoostPruningCallback
#     # after
#     from podbor.integration import LightGBMPruningCallback, XGBoostPruningCallback
#
# After ``import podbor as optuna``, the spelling ``optuna.integration.LightGBMPruningCallback``
# already works unchanged, and names the same class:

from podbor.integration import LightGBMPruningCallback

print(optuna.integration.LightGBMPruningCallback is LightGBMPruningCallback)

# %%
# The studies: copy them
# ----------------------
#
# podbor reads Optuna's databases and journal files (written by Optuna 3.6 to 5.0, on SQLite,
# PostgreSQL or MySQL) without Optuna installed, but it does not work *in* them: it copies
# them into its own format first, and never changes the source. The command::
#
#     podbor copy-study --from-storage sqlite:///optuna.db --to-storage sqlite:///podbor.db
#     podbor copy-study --from-storage journal:///runs/optuna.log --to-storage sqlite:///podbor.db
#
# copies every study (or only those named with ``--study-name NAME``, which may be repeated):
# directions, and every trial with its state, number, parameters and distributions, values,
# reported values, attributes, datetimes and constraints. Then the Optuna script, with its
# import changed, goes on where it stopped, with ``load_study`` on the new URL.
#
# Optuna is not installed here, so we make an Optuna database the other way round: the study
# above is copied *to* Optuna's format with :func:`podbor.copy_study` and
# ``to_format="optuna"``. That direction exists for the way back, too: Optuna 5.0 and
# optuna-dashboard open what it writes as it is.

import sqlite3
import textwrap

optuna_url = f"sqlite:///{folder / 'optuna.db'}"
optuna.copy_study(
    from_study_name=study.study_name,
    from_storage=podbor_url,
    to_storage=optuna_url,
    to_format="optuna",
)

# %%
# The new file has Optuna 5's schema: its tables, its schema version, and the study.

with sqlite3.connect(folder / "optuna.db") as con:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type='table'")
    tables = [row[0] for row in rows]
    print(textwrap.fill("tables: " + ", ".join(sorted(tables)), width=80))
    print("schema:", con.execute("SELECT * FROM alembic_version").fetchone()[0])
    print(
        "written for Optuna",
        con.execute("SELECT library_version FROM version_info").fetchone()[0],
    )
    print("studies:", con.execute("SELECT study_name FROM studies").fetchall())
con.close()

# %%
# Opening an Optuna database directly, with ``load_study`` or ``create_study``, stops with an
# error that names the command to run, and writes nothing: podbor reads a database in
# Optuna's format only to copy it, and writes one only as the destination of a copy.

try:
    optuna.load_study(study_name=study.study_name, storage=optuna_url)
except optuna.exceptions.InvalidArgumentError as err:
    print(textwrap.fill(f"{type(err).__name__}: {err}", width=76))

# %%
# Now the migration proper: copy the Optuna study into a podbor database (the default
# ``to_format="podbor"``), load it, and continue the search. Nothing is lost on the round trip:
# the trials, their parameters, values and reported values are the ones we started with.

migrated_url = f"sqlite:///{folder / 'migrated.db'}"
optuna.copy_study(
    from_study_name=study.study_name, from_storage=optuna_url, to_storage=migrated_url
)

migrated = optuna.load_study(
    study_name=study.study_name,
    storage=migrated_url,
    sampler=optuna.samplers.TPESampler(seed=1),
)
same = [
    (a.number, a.state, a.params, a.values, a.intermediate_values)
    == (b.number, b.state, b.params, b.values, b.intermediate_values)
    for a, b in zip(study.trials, migrated.trials)
]
print(f"{len(migrated.trials)} trials copied, all identical: {all(same)}")

migrated.optimize(objective, n_trials=10)
print(f"now {len(migrated.trials)} trials, best value {migrated.best_value:.4f}")

# %%
# :func:`podbor.copy_studies` copies several studies at once (every one when ``study_names``
# is None); ``podbor copy-study`` calls it. Journal files work the same way, with a
# ``journal:`` URL (``journal:///absolute/path`` or ``journal:relative/path``) on either side.
#
# The way back
# ------------
#
# If you need to return to Optuna, or to show a study in optuna-dashboard, copy it back with
# ``--to-format optuna``::
#
#     podbor copy-study --from-storage sqlite:///podbor.db --to-storage sqlite:///back.db \
#         --to-format optuna
#
# The destination must be a URL (a database or a journal file), not a storage object.

workdir.cleanup()

# %%
# What differs
# ------------
#
# A script that ran under Optuna runs under podbor, but it does not always make the same
# choices. The default sampler is :class:`~podbor.samplers.AutoSampler` (quasi-random
# start-up, then a Gaussian process or TPE for each trial, with its reason recorded), not
# TPE; :class:`~podbor.samplers.TPESampler` also groups the parameters of a conditional space
# when it is multivariate (Optuna: ``group=False``); a few arguments are refused where Optuna
# silently casts them. So the same seed gives other trials than Optuna's. Pass
# ``sampler=optuna.samplers.TPESampler(group=False)`` where you need Optuna's default search.
#
# The full list, each difference with its reason, is on :doc:`/guide/differences`.
