"""Doctest collection of ``src``: leave out the modules whose optional library is not installed.

A few modules import their library when they are imported, because their public class derives
from the library's (scikit-learn's ``BaseEstimator``, XGBoost's ``TrainingCallback``, Lightning's
``Callback``). Without that library their doctests cannot run, so they are not collected; their
tests under ``tests/`` skip the same way (and fail under ``CI=true``, where everything is installed).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile

# Keras 3 picks its backend when first imported: TensorFlow unless told otherwise, and the tests
# install only PyTorch's (KerasPruningCallback works with any backend)
os.environ.setdefault("KERAS_BACKEND", "torch")
# Trackio reads its directory once, when first imported: the tests' runs go to a fresh one
os.environ.setdefault("TRACKIO_DIR", tempfile.mkdtemp(prefix="podbor-tests-trackio-"))

_NEEDS = {
    "src/podbor/validation/_search_cv.py": "sklearn",
    "src/podbor/integration/sklearn.py": "sklearn",
    "src/podbor/integration/xgboost.py": "xgboost",
    "src/podbor/integration/pytorch_lightning.py": "lightning",
    "src/podbor/integration/pytorch_ignite.py": "ignite",  # its doctests build an Engine
    "src/podbor/integration/skorch.py": "skorch",
    "src/podbor/integration/keras.py": "keras",
    "src/podbor/integration/trackio.py": "trackio",
    "src/podbor/integration/tfkeras.py": "tensorflow",
    "src/podbor/integration/botorch.py": "botorch",
    "src/podbor/integration/_botorch/sampler.py": "botorch",
    "src/podbor/integration/_botorch/candidates.py": "botorch",
    "src/podbor/integration/_botorch/multi_objective.py": "botorch",
    "src/podbor/integration/_botorch/problem.py": "botorch",
}

collect_ignore = [
    path for path, module in _NEEDS.items() if importlib.util.find_spec(module) is None
]
