"""The stepwise LightGBM tuner, split by concern; the public names are in
:mod:`podbor.integration.lightgbm`.

* ``_alias``: LightGBM's parameter and metric aliases.
* ``_scoring``: which metric is read, where, and which way is better.
* ``_stage``: one stage's trials inside the shared study.
* ``_objective``: one trial: suggest, train (or cross-validate), score, record.
* ``_base``: the six stages, the study, the time budget.
* ``_tuner``: :class:`LightGBMTuner` and :class:`LightGBMTunerCV`.
* ``_train``: :func:`train`, the drop-in for ``lightgbm.train``.
"""

from __future__ import annotations

from podbor.integration._lightgbm_tuner._train import train
from podbor.integration._lightgbm_tuner._tuner import LightGBMTuner, LightGBMTunerCV

__all__ = ["LightGBMTuner", "LightGBMTunerCV", "train"]
