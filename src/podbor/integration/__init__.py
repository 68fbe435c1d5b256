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
* :mod:`~podbor.integration.pytorch_ignite` — ``PyTorchIgnitePruningHandler``. ``podbor[ignite]``
* :mod:`~podbor.integration.skorch` — ``SkorchPruningCallback``. ``podbor[skorch]``
* :mod:`~podbor.integration.keras` — ``KerasPruningCallback`` (Keras 3, any backend).
  ``podbor[keras]``; :mod:`~podbor.integration.tfkeras` — ``TFKerasPruningCallback``
  (TensorFlow's ``tf.keras``). ``podbor[tfkeras]``
* :mod:`~podbor.integration.torch` — ``select_device``, ``EpochReporter`` for plain PyTorch
  loops. ``podbor[torch]``
* :mod:`~podbor.integration.pytorch_distributed` — ``TorchDistributedTrial``: one trial shared
  by the processes of a ``torch.distributed`` (DDP) run. ``podbor[torch]``
* :mod:`~podbor.integration.sklearn` — ``OptunaSearchCV`` (on :class:`podbor.validation.SearchCV`).
  ``podbor[sklearn]``
* :mod:`~podbor.integration.mlflow` — ``MLflowCallback``; :mod:`~podbor.integration.wandb` —
  ``WeightsAndBiasesCallback``; :mod:`~podbor.integration.tensorboard` — ``TensorBoardCallback``
  (needs only the ``tensorboard`` package, not TensorFlow); :mod:`~podbor.integration.trackio`
  — ``TrackioCallback`` (local runs, optionally on the Hugging Face Hub). ``podbor[mlflow]``,
  ``[wandb]``, ``[tensorboard]``, ``[trackio]``
* :mod:`~podbor.integration.cma` — ``PyCmaSampler``, CMA-ES of the ``cma`` package (pycma)
  behind the sampler interface. ``podbor[cma]``
* :mod:`~podbor.integration.shap` — ``ShapleyImportanceEvaluator``: importances as mean
  absolute SHAP values of a random forest. ``podbor[shap]``
* :mod:`~podbor.integration.botorch` — ``BoTorchSampler`` and its candidates functions
  (``logei_candidates_func``, ``qehvi_candidates_func``, …): Bayesian optimization on
  BoTorch's models and acquisition functions. ``podbor[botorch]``
* :mod:`~podbor.integration.dask` — ``DaskStorage`` (the study's storage on the Dask scheduler)
  and ``optimize`` (a study's trials on a Dask cluster's workers or any
  ``concurrent.futures.Executor``). ``podbor[dask]``

Example:
    >>> import podbor.integration
    >>> podbor.integration.__all__[:3]
    ['BoTorchSampler', 'CatBoostPruningCallback', 'DaskStorage']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podbor.integration.botorch import BoTorchSampler
    from podbor.integration.catboost import CatBoostPruningCallback
    from podbor.integration.cma import PyCmaSampler
    from podbor.integration.dask import DaskStorage
    from podbor.integration.keras import KerasPruningCallback
    from podbor.integration.lightgbm import (
        LightGBMPruningCallback,
        LightGBMTuner,
        LightGBMTunerCV,
    )
    from podbor.integration.mlflow import MLflowCallback
    from podbor.integration.pytorch_distributed import TorchDistributedTrial
    from podbor.integration.pytorch_ignite import PyTorchIgnitePruningHandler
    from podbor.integration.pytorch_lightning import PyTorchLightningPruningCallback
    from podbor.integration.shap import ShapleyImportanceEvaluator
    from podbor.integration.sklearn import OptunaSearchCV
    from podbor.integration.skorch import SkorchPruningCallback
    from podbor.integration.tensorboard import TensorBoardCallback
    from podbor.integration.tfkeras import TFKerasPruningCallback
    from podbor.integration.torch import EpochReporter, select_device
    from podbor.integration.trackio import TrackioCallback
    from podbor.integration.wandb import WeightsAndBiasesCallback
    from podbor.integration.xgboost import XGBoostPruningCallback

# public name -> the submodule that defines it (imported on first access)
_WHERE = {
    "BoTorchSampler": "botorch",
    "CatBoostPruningCallback": "catboost",
    "DaskStorage": "dask",
    "EpochReporter": "torch",
    "KerasPruningCallback": "keras",
    "LightGBMPruningCallback": "lightgbm",
    "LightGBMTuner": "lightgbm",
    "LightGBMTunerCV": "lightgbm",
    "MLflowCallback": "mlflow",
    "OptunaSearchCV": "sklearn",
    "PyCmaSampler": "cma",
    "PyTorchIgnitePruningHandler": "pytorch_ignite",
    "PyTorchLightningPruningCallback": "pytorch_lightning",
    "ShapleyImportanceEvaluator": "shap",
    "SkorchPruningCallback": "skorch",
    "TensorBoardCallback": "tensorboard",
    "TFKerasPruningCallback": "tfkeras",
    "TorchDistributedTrial": "pytorch_distributed",
    "TrackioCallback": "trackio",
    "WeightsAndBiasesCallback": "wandb",
    "XGBoostPruningCallback": "xgboost",
    "select_device": "torch",
}

__all__ = [
    "BoTorchSampler",
    "CatBoostPruningCallback",
    "DaskStorage",
    "EpochReporter",
    "KerasPruningCallback",
    "LightGBMPruningCallback",
    "LightGBMTuner",
    "LightGBMTunerCV",
    "MLflowCallback",
    "OptunaSearchCV",
    "PyCmaSampler",
    "PyTorchIgnitePruningHandler",
    "PyTorchLightningPruningCallback",
    "ShapleyImportanceEvaluator",
    "SkorchPruningCallback",
    "TFKerasPruningCallback",
    "TensorBoardCallback",
    "TorchDistributedTrial",
    "TrackioCallback",
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
