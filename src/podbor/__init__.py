"""podbor: hyperparameter optimization with as few expensive evaluations as possible.

The public surface follows Optuna's, so existing code runs after ``import podbor as optuna``.

Example:
    >>> import podbor
    >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -100, 100)
    ...     return (x - 2) ** 2
    >>> study = podbor.create_study(direction="minimize")
    >>> study.optimize(objective, n_trials=30)
    >>> sorted(study.best_params)
    ['x']
    >>> podbor.logging.set_verbosity(podbor.logging.INFO)
"""

import importlib
from typing import Any

from podbor import (
    distributions,
    exceptions,
    logging,
    pruners,
    samplers,
    search_space,
    storages,
    study,
    trial,
    validation,
)
from podbor._deprecated import experimental as _experimental
from podbor._study_direction import StudyDirection
from podbor.exceptions import TrialPruned
from podbor.study import (
    Study,
    _retry,
    copy_studies,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from podbor.study._heartbeat import fail_stale_trials as _fail_stale_trials
from podbor.trial import FixedTrial, FrozenTrial, Trial, TrialState, create_trial
from podbor.version import __version__

# Subpackages imported on first use, so that ``import podbor`` stays light: ``podbor.visualization``
# works after a bare ``import podbor``, as ``optuna.visualization`` does.
_LAZY_SUBPACKAGES = frozenset(
    {"visualization", "integration", "importance", "_hypervolume", "artifacts", "terminator"}
)


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f"podbor.{name}")
    raise AttributeError(f"module 'podbor' has no attribute {name!r}")


# Optuna's paths for the retry callback and for failing stale trials are in ``storages``; both
# are the study's business (study/_retry.py, study/_heartbeat.py), and storages never import
# upward, so they are set here. The public ``fail_stale_trials`` is experimental, as in Optuna.
storages.RetryFailedTrialCallback = study.RetryFailedTrialCallback
storages.RetryHeartbeatStaleTrialCallback = _retry.RetryHeartbeatStaleTrialCallback
storages.fail_stale_trials = _experimental("0.1.0", name="fail_stale_trials")(_fail_stale_trials)

__all__ = [
    "FixedTrial",
    "FrozenTrial",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "copy_studies",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "study",
    "trial",
    "validation",
    "visualization",
]
