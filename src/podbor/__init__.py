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

from podbor import (
    distributions,
    exceptions,
    logging,
    pruners,
    samplers,
    storages,
    study,
    trial,
    validation,
)
from podbor._study_direction import StudyDirection
from podbor.exceptions import TrialPruned
from podbor.study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from podbor.trial import FixedTrial, FrozenTrial, Trial, TrialState, create_trial
from podbor.version import __version__

# Optuna's path for the retry callback is ``storages.RetryFailedTrialCallback``; the class is the
# study's business (study/_retry.py), and storages never import upward, so it is set here.
storages.RetryFailedTrialCallback = study.RetryFailedTrialCallback

__all__ = [
    "FixedTrial",
    "FrozenTrial",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
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
    "storages",
    "study",
    "trial",
    "validation",
]
