"""Optuna's module path of the ``Study`` class, for code written for Optuna.

``from optuna.study.study import Study`` (with ``import podbor as optuna``) keeps working; podbor's
own code imports :class:`~podbor.Study` from :mod:`podbor.study`.

Example:
    >>> import podbor
    >>> Study is podbor.study.Study
    True
"""

from __future__ import annotations

from podbor._study_core import METRIC_NAMES_KEY
from podbor.study._manage import (
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from podbor.study._study import Study

__all__ = [
    "Study",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]

_SYSTEM_ATTR_METRIC_NAMES = METRIC_NAMES_KEY  # Optuna's name for the system attribute
