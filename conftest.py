"""Doctest collection of ``src``: leave out the modules whose optional library is not installed.

A few modules import their library when they are imported, because their public class derives
from the library's (scikit-learn's ``BaseEstimator``, XGBoost's ``TrainingCallback``, Lightning's
``Callback``). Without that library their doctests cannot run, so they are not collected; their
tests under ``tests/`` skip the same way (and fail under ``CI=true``, where everything is installed).
"""

from __future__ import annotations

import importlib.util

_NEEDS = {
    "src/podbor/validation/_search_cv.py": "sklearn",
    "src/podbor/integration/sklearn.py": "sklearn",
    "src/podbor/integration/xgboost.py": "xgboost",
    "src/podbor/integration/pytorch_lightning.py": "lightning",
}

collect_ignore = [
    path for path, module in _NEEDS.items() if importlib.util.find_spec(module) is None
]
