"""Constrained optimization: which trials are feasible.

A trial's constraint values live in its system attributes (see
:meth:`Trial.set_constraint <podbor.Trial.set_constraint>`); a trial is feasible when all
of them are <= 0, and ``Study.best_trial`` / ``Study.best_trials`` consider feasible trials
only. The module keeps Optuna's name, and ``_CONSTRAINTS_KEY`` its name for the system
attribute, so that code written for Optuna that records constraints itself keeps working.

Example:
    >>> import podbor
    >>> trial = podbor.trial.create_trial(value=1.0, system_attrs={"constraints": [0.5]})
    >>> trial.constraints, is_feasible(trial)
    ({'0': 0.5}, False)
"""

from __future__ import annotations

from podbor._records.base_trial import CONSTRAINTS_KEY, constraints_from_system_attrs, is_feasible

__all__ = ["CONSTRAINTS_KEY", "constraints_from_system_attrs", "is_feasible"]

_CONSTRAINTS_KEY = CONSTRAINTS_KEY  # Optuna's name
