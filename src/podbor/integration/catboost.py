"""CatBoost's pruning callback: report a validation score after each round, stop the fit early.

``CatBoostPruningCallback`` is the callback of ``optuna_integration.catboost`` under the same
name and signature. CatBoost turns any exception raised inside a callback into its own
``CatBoostError``, so the callback cannot end the trial itself: when the pruner says stop it
tells CatBoost to stop boosting, and :meth:`CatBoostPruningCallback.check_pruned`, called after
``fit``, raises :class:`~podbor.TrialPruned`::

    callback = CatBoostPruningCallback(trial, "Logloss")
    model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], callbacks=[callback])
    callback.check_pruned()  # raises TrialPruned if the fit was stopped by the pruner

CatBoost itself is imported when the callback is built, so importing this module works
without it.

Example:
    >>> import types
    >>> from podbor.trial import FixedTrial
    >>> callback = CatBoostPruningCallback(FixedTrial({}), "Logloss")
    >>> callback.after_iteration(types.SimpleNamespace(
    ...     iteration=1, metrics={"learn": {"Logloss": [0.7]}, "validation": {"Logloss": [0.6]}}))
    True
    >>> callback.check_pruned()  # a FixedTrial is never pruned
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podbor.exceptions import TrialPruned, invalid_argument
from podbor.integration._common import check_name, check_single_objective, require, unknown_name

if TYPE_CHECKING:
    from podbor.trial import BaseTrial

__all__ = ["CatBoostPruningCallback"]

_OWNER = "CatBoostPruningCallback"
# CatBoost names the evaluation sets "validation" (one eval_set) or "validation_0", "validation_1",
# … (several); the training set is "learn".
_VALIDATION = "validation"


class CatBoostPruningCallback:
    """Report a CatBoost metric after each round; stop the fit when the pruner says so.

    Pass it in ``callbacks=[...]`` of ``CatBoostClassifier.fit`` / ``CatBoostRegressor.fit``
    and call :meth:`check_pruned` right after ``fit``. Each reported step is the boosting round
    (0-based), so pruners compare trials round by round.

    Args:
        trial: The trial of the objective; its study must have one objective. With a
            :class:`~podbor.FixedTrial` the values are kept and nothing is pruned.
        metric: The metric to report as CatBoost names it, e.g. ``"Logloss"``, ``"AUC"``,
            ``"Accuracy"``, ``"RMSE"``: the loss function, or one given in ``eval_metric`` or
            ``custom_metric``.
        eval_set_index: Which data set of ``eval_set`` to read when it has several (0, 1, …);
            None for a single one. ``0`` is also accepted with a single data set.

    Raises:
        podbor.exceptions.InvalidArgumentError: At construction, for a trial of a study with
            several objectives or a bad argument. When the metric or the data set is not in
            CatBoost's evaluation log the callback raises the same error with the names CatBoost
            reports, which CatBoost passes on as a ``CatBoostError`` carrying that message.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(direction="maximize")
        >>> callback = CatBoostPruningCallback(study.ask(), "AUC", eval_set_index=1)
        >>> callback.metric
        'AUC'
    """

    def __init__(self, trial: BaseTrial, metric: str, eval_set_index: int | None = None) -> None:
        require("catboost", package="CatBoost", extra="catboost", owner=_OWNER)
        check_single_objective(trial, owner=_OWNER)
        check_name(metric, "metric", "a CatBoost metric such as 'Logloss'", owner=_OWNER)
        if eval_set_index is not None:
            wrong_type = isinstance(eval_set_index, bool) or not isinstance(eval_set_index, int)
            if wrong_type or eval_set_index < 0:
                raise invalid_argument(
                    "eval_set_index",
                    eval_set_index,
                    "None or an int >= 0",
                    owner=_OWNER,
                    wrong_type=wrong_type,
                )
        self._trial = trial
        self._metric = metric
        self._eval_set_index = eval_set_index
        self._pruned = False
        self._message = ""

    @property
    def metric(self) -> str:
        """The metric the callback reports."""
        return self._metric

    def after_iteration(self, info: Any) -> bool:
        """Called by CatBoost after each round: report the score; False stops the fit.

        Args:
            info: CatBoost's record of the fit so far: ``info.iteration`` (1-based) and
                ``info.metrics``, e.g. ``{"learn": {"Logloss": [...]}, "validation":
                {"Logloss": [...], "AUC": [...]}}``.

        Returns:
            True to go on boosting, False when the pruner says stop (then :meth:`check_pruned`
            raises).
        """
        step = int(info.iteration) - 1
        metrics = info.metrics[self._data_name(info.metrics)]
        if self._metric not in metrics:
            raise unknown_name(
                "metric",
                self._metric,
                metrics,
                owner=_OWNER,
                what="a metric CatBoost reports on the eval_set (the loss function, eval_metric "
                "or custom_metric)",
            )
        value = float(metrics[self._metric][-1])
        self._trial.report(value, step)
        if self._trial.should_prune():
            self._pruned = True
            self._message = f"Trial was pruned at iteration {step} (value {value:.6g})."
            return False
        return True

    def check_pruned(self) -> None:
        """Raise :class:`~podbor.TrialPruned` if the pruner stopped the fit; call it after ``fit``."""
        if self._pruned:
            raise TrialPruned(self._message)

    def _data_name(self, metrics: Any) -> str:
        index = self._eval_set_index
        wanted = _VALIDATION if index is None else f"{_VALIDATION}_{index}"
        if wanted in metrics:
            return wanted
        if index == 0 and _VALIDATION in metrics:  # a single eval_set is named without index
            return _VALIDATION
        if _VALIDATION in metrics:
            available = ["None", "0"]
        else:
            prefix = _VALIDATION + "_"
            available = [name[len(prefix) :] for name in metrics if name.startswith(prefix)]
        if not available:
            raise invalid_argument(
                "eval_set_index",
                index,
                "the index of a data set of fit's eval_set, but CatBoost evaluates none: pass "
                "eval_set= to fit",
                owner=_OWNER,
            )
        raise unknown_name(
            "eval_set_index",
            index,
            available,
            owner=_OWNER,
            what="the index of a data set of fit's eval_set (None for a single one); CatBoost has",
        )
