"""XGBoost's pruning callback: report an evaluation score after each boosting round, stop early.

``XGBoostPruningCallback`` is the callback of ``optuna_integration.xgboost`` under the same name
and signature. It works with ``xgboost.train``, ``xgboost.cv`` (which reports the mean over the
folds) and the scikit-learn API (``XGBClassifier(callbacks=[...])``), for XGBoost 1.7 to 3.x.

XGBoost accepts only subclasses of its ``xgboost.callback.TrainingCallback``, so this module
imports XGBoost when it is imported (``import podbor`` and ``import podbor.integration`` do
not import it); without XGBoost the import fails with the ``pip install`` to run.

Example:
    >>> from podbor.trial import FixedTrial
    >>> callback = XGBoostPruningCallback(FixedTrial({}), "validation-logloss")
    >>> callback.observation_key
    'validation-logloss'
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from podbor.exceptions import invalid_argument
from podbor.integration._common import (
    check_single_objective,
    report_and_prune,
    require,
    unknown_name,
)

if TYPE_CHECKING:
    from podbor.trial import BaseTrial

require("xgboost", package="XGBoost", extra="xgboost", owner="podbor.integration.xgboost")

from xgboost.callback import TrainingCallback  # noqa: E402  (after the friendly check above)

__all__ = ["XGBoostPruningCallback"]

_OWNER = "XGBoostPruningCallback"


class XGBoostPruningCallback(TrainingCallback):
    """Report one of XGBoost's evaluation scores after each round; raise TrialPruned when told.

    Pass it in ``callbacks=[...]`` of ``xgboost.train`` or ``xgboost.cv``, or of an
    ``XGBClassifier`` / ``XGBRegressor``. Each reported step is the boosting round, so pruners
    compare trials round by round. When the pruner says stop, :class:`~podbor.TrialPruned` ends
    the training and the study records the trial as pruned.

    Args:
        trial: The trial of the objective; its study must have one objective. With a
            :class:`~podbor.FixedTrial` the values are kept and nothing is pruned.
        observation_key: ``"<data>-<metric>"`` as in XGBoost's evaluation log: the data name
            given in ``evals=[(dvalid, "validation")]`` of ``xgboost.train`` (``"train"`` /
            ``"test"`` under ``xgboost.cv``, ``"validation_0"``, … for the ``eval_set`` of the
            scikit-learn API) and the metric, e.g. ``"validation-logloss"``, ``"test-auc"``.

    Raises:
        podbor.exceptions.InvalidArgumentError: At construction, for a trial of a study with
            several objectives or a key without ``-``; at the first round, when the key is not
            in the evaluation log (the message lists the keys XGBoost reports).

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> callback = XGBoostPruningCallback(study.ask(), "validation-logloss")
        >>> callback.after_iteration(None, 0, {"validation": {"logloss": [0.61]}})
        False
        >>> study.trials[0].intermediate_values
        {0: 0.61}
    """

    def __init__(self, trial: BaseTrial, observation_key: str) -> None:
        check_single_objective(trial, owner=_OWNER)
        if not isinstance(observation_key, str) or "-" not in observation_key.strip("-"):
            raise invalid_argument(
                "observation_key",
                observation_key,
                "a '<data>-<metric>' str such as 'validation-logloss'",
                owner=_OWNER,
                wrong_type=not isinstance(observation_key, str),
            )
        super().__init__()
        self._trial = trial
        self._observation_key = observation_key

    @property
    def observation_key(self) -> str:
        """The ``"<data>-<metric>"`` key the callback reports."""
        return self._observation_key

    def after_iteration(self, model: Any, epoch: int, evals_log: Mapping[str, Any]) -> bool:
        """Called by XGBoost after each round: report the score; False lets training go on.

        ``evals_log`` maps each data name to its metrics' histories; under ``xgboost.cv`` each
        entry is a ``(mean, std)`` pair, and the mean is reported.
        """
        scores: dict[str, Any] = {}
        for data, metrics in evals_log.items():
            for metric, history in metrics.items():
                scores[f"{data}-{metric}"] = history[-1]
        if self._observation_key not in scores:
            raise unknown_name(
                "observation_key",
                self._observation_key,
                scores,
                owner=_OWNER,
                what="a '<data>-<metric>' key of XGBoost's evaluation log (give the data in "
                "evals= / eval_set=, the metric in eval_metric)",
            )
        score = scores[self._observation_key]
        if isinstance(score, tuple):  # xgboost.cv: (mean, std) over the folds
            score = score[0]
        report_and_prune(self._trial, float(score), epoch, what="iteration")
        return False

    def __deepcopy__(self, memo: dict[int, Any]) -> XGBoostPruningCallback:
        # scikit-learn's clone() deep-copies an estimator's parameters, callbacks included: the
        # copy must still report to the same live trial, not to a detached copy of its study.
        duplicate = copy.copy(self)
        memo[id(self)] = duplicate
        return duplicate
