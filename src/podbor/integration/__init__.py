"""Integrations with the libraries users train with and track in; each imported only when used.

The class names and signatures are optuna-integration's, so that ``from optuna.integration
import X`` (or ``from optuna_integration import X``) becomes ``from podbor.integration import
X`` and the rest of the code stays as it is. Importing ``podbor.integration`` imports no
framework: a name here loads its submodule (and with it the framework) on first access, and a
missing framework gives an ``ImportError`` naming the ``pip install podbor[...]`` to run.

* :mod:`~podbor.integration.lightgbm` — ``LightGBMPruningCallback``; ``LightGBMTuner``,
  ``LightGBMTunerCV`` and ``train`` (the stepwise tuner). ``pip install podbor[lightgbm]``
* :mod:`~podbor.integration.xgboost` — ``XGBoostPruningCallback``. ``podbor[xgboost]``
* :mod:`~podbor.integration.catboost` — ``CatBoostPruningCallback``. ``podbor[catboost]``
* :mod:`~podbor.integration.pytorch_lightning` — ``PyTorchLightningPruningCallback``
  (Lightning 2.x, distributed runs included). ``podbor[lightning]``
* :mod:`~podbor.integration.torch` — ``select_device``, ``EpochReporter`` for plain PyTorch
  loops. ``podbor[torch]``
* :mod:`~podbor.integration.sklearn` — ``OptunaSearchCV`` (on :class:`podbor.validation.SearchCV`).
  ``podbor[sklearn]``
* :mod:`~podbor.integration.mlflow` — ``MLflowCallback``; :mod:`~podbor.integration.wandb` —
  ``WeightsAndBiasesCallback``; :mod:`~podbor.integration.tensorboard` — ``TensorBoardCallback``
  (needs only the ``tensorboard`` package, not TensorFlow). ``podbor[mlflow]``, ``[wandb]``,
  ``[tensorboard]``
* :mod:`~podbor.integration.dask` — ``DaskStorage`` (the study's storage on the Dask scheduler)
  and ``optimize`` (a study's trials on a Dask cluster's workers or any
  ``concurrent.futures.Executor``). ``podbor[dask]``

Example:
    >>> import podbor.integration
    >>> podbor.integration.__all__[:3]
    ['CatBoostPruningCallback', 'DaskStorage', 'EpochReporter']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podbor.integration.catboost import CatBoostPruningCallback
    from podbor.integration.dask import DaskStorage
    from podbor.integration.lightgbm import (
        LightGBMPruningCallback,
        LightGBMTuner,
        LightGBMTunerCV,
    )
    from podbor.integration.mlflow import MLflowCallback
    from podbor.integration.pytorch_lightning import PyTorchLightningPruningCallback
    from podbor.integration.sklearn import OptunaSearchCV
    from podbor.integration.tensorboard import TensorBoardCallback
    from podbor.integration.torch import EpochReporter, select_device
    from podbor.integration.wandb import WeightsAndBiasesCallback
    from podbor.integration.xgboost import XGBoostPruningCallback

# public name -> the submodule that defines it (imported on first access)
_WHERE = {
    "CatBoostPruningCallback": "catboost",
    "DaskStorage": "dask",
    "EpochReporter": "torch",
    "LightGBMPruningCallback": "lightgbm",
    "LightGBMTuner": "lightgbm",
    "LightGBMTunerCV": "lightgbm",
    "MLflowCallback": "mlflow",
    "OptunaSearchCV": "sklearn",
    "PyTorchLightningPruningCallback": "pytorch_lightning",
    "TensorBoardCallback": "tensorboard",
    "WeightsAndBiasesCallback": "wandb",
    "XGBoostPruningCallback": "xgboost",
    "select_device": "torch",
}

__all__ = [
    "CatBoostPruningCallback",
    "DaskStorage",
    "EpochReporter",
    "LightGBMPruningCallback",
    "LightGBMTuner",
    "LightGBMTunerCV",
    "MLflowCallback",
    "OptunaSearchCV",
    "PyTorchLightningPruningCallback",
    "TensorBoardCallback",
    "WeightsAndBiasesCallback",
    "XGBoostPruningCallback",
    "select_device",
]


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` (and with it its framework) on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
