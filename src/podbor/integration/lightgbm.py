"""LightGBM: a pruning callback and a stepwise tuner, named as in optuna-integration.

Code written for ``optuna.integration.lightgbm`` (or ``optuna_integration.lightgbm``) moves over
by changing the import: :class:`LightGBMTuner` and :class:`LightGBMTunerCV` tune the seven
parameters that matter most one group at a time, :func:`train` is a drop-in for
``lightgbm.train`` that tunes before it returns the booster, and ``LightGBMPruningCallback``
stops a trial's boosting early when its validation score lags behind.

As with Optuna's module, the rest of LightGBM's public API is reachable here too, so that
``import podbor.integration.lightgbm as lgb`` followed by ``lgb.Dataset(...)``,
``lgb.early_stopping(...)`` and ``lgb.train(...)`` (the tuning one) keeps working. LightGBM
itself is imported only when one of its names is looked up or a class is built, so importing
this module works without it.

Example:
    >>> from podbor.integration import lightgbm as lgb_integration
    >>> sorted(lgb_integration.__all__)
    ['LightGBMPruningCallback', 'LightGBMTuner', 'LightGBMTunerCV', 'train']
"""

from __future__ import annotations

from typing import Any

from podbor.integration._common import require
from podbor.integration._lightgbm_callback import LightGBMPruningCallback
from podbor.integration._lightgbm_tuner import LightGBMTuner, LightGBMTunerCV, train

__all__ = ["LightGBMPruningCallback", "LightGBMTuner", "LightGBMTunerCV", "train"]


def __getattr__(name: str) -> Any:
    """LightGBM's own public names (``Dataset``, ``early_stopping``...), looked up on first use."""
    missing = f"module {__name__!r} has no attribute {name!r}"
    if name.startswith("_"):
        raise AttributeError(missing)
    try:  # an AttributeError, not an ImportError, keeps hasattr() and tools' probing working
        lgb = require("lightgbm", package="LightGBM", extra="lightgbm", owner=f"{__name__}.{name}")
    except ImportError as err:
        raise AttributeError(f"{missing} ({err})") from err
    if name in getattr(lgb, "__all__", ()):
        return getattr(lgb, name)
    raise AttributeError(missing)
