"""Studies: the optimization handle and the functions that manage studies in a storage.

Example:
    >>> import podbor
    >>> study = podbor.study.create_study(direction="minimize")
"""

from podbor._frozen_study import FrozenStudy, StudySummary
from podbor._study_direction import StudyDirection
from podbor.study._callbacks import MaxTrialsCallback
from podbor.study._manage import (
    copy_studies,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from podbor.study._posterior_best import posterior_best_trial
from podbor.study._retry import RetryFailedTrialCallback
from podbor.study._study import Study

__all__ = [
    "FrozenStudy",
    "MaxTrialsCallback",
    "RetryFailedTrialCallback",
    "Study",
    "StudyDirection",
    "StudySummary",
    "copy_studies",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "posterior_best_trial",
]
