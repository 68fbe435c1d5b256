"""LightGBM's pruning callback: report a validation score after each boosting round, stop early.

``LightGBMPruningCallback`` is the callback of ``optuna_integration.lightgbm`` under the same
name and signature; it is re-exported by :mod:`podbor.integration.lightgbm`. It works with
``lightgbm.train``, ``lightgbm.cv`` (which reports the mean over the folds) and the scikit-learn
API (``LGBMClassifier.fit(..., callbacks=[...])``).

LightGBM tells, for every metric, whether a higher value is better. The callback compares that
with the study's direction at its first report: a study minimizing while pruning on ``auc``
would stop the good trials and keep the bad ones, so it is an error rather than a silent mistake.

The evaluation list changed shape across LightGBM versions, and the callback reads all of them:

* ``train``: ``(dataset, metric, value, higher_is_better)``, the dataset named by ``valid_names``
  (``"valid_0"``, ``"valid_1"``, … by default, ``"training"`` for the training set).
* ``cv`` in LightGBM >= 4.7: ``("valid", metric, mean, higher_is_better, std)``.
* ``cv`` in LightGBM 4.0 to 4.6: ``("cv_agg", "valid " + metric, mean, higher_is_better, std)``;
  in LightGBM 3: ``("cv_agg", metric, ...)``.

Example:
    >>> from podbor.trial import FixedTrial
    >>> callback = LightGBMPruningCallback(FixedTrial({}), "binary_logloss", report_interval=5)
    >>> callback.report_interval
    5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor._study_direction import StudyDirection
from podbor.exceptions import invalid_argument
from podbor.integration._common import (
    check_name,
    check_single_objective,
    report_and_prune,
    require,
    unknown_name,
)

if TYPE_CHECKING:
    from lightgbm.callback import CallbackEnv

    from podbor.trial import BaseTrial

__all__ = ["LightGBMPruningCallback"]

_OWNER = "LightGBMPruningCallback"
# The name lightgbm.cv gives the held-out folds' aggregated scores (LightGBM >= 4.7 reports it as
# the data-set name; earlier versions prefix the metric name with it under data set "cv_agg").
_CV_VALID = "valid"
_CV_PREFIXES = ("train", "valid")

# One evaluation result, whatever the LightGBM version: data set, metric, value, higher is better.
_Entry = tuple[str, str, float, bool]


class LightGBMPruningCallback:
    """Report a LightGBM metric every ``report_interval`` rounds; raise TrialPruned when told.

    Pass it in ``callbacks=[...]`` of ``lightgbm.train``, ``lightgbm.cv`` or a scikit-learn
    estimator's ``fit``. Each reported step is the boosting round (0-based), so pruners compare
    trials round by round. When the pruner says stop, :class:`~podbor.TrialPruned` ends the
    training and the study records the trial as pruned.

    Args:
        trial: The trial of the objective; its study must have one objective. With a
            :class:`~podbor.FixedTrial` the values are kept and nothing is pruned.
        metric: The metric to report, as LightGBM names it in its log, e.g. ``"binary_logloss"``,
            ``"auc"``, ``"multi_error"``, ``"l2"``.
        valid_name: The validation set to read, as named by ``valid_names`` of
            ``lightgbm.train`` (``"valid_0"`` is the first set when no names are given).
            ``lightgbm.cv`` has one held-out score per round, so it is ignored there.
        report_interval: Report every this many rounds (rounds ``n-1``, ``2n-1``, …). The pruner
            still decides with its own warm-up and interval settings.

    Raises:
        podbor.exceptions.InvalidArgumentError: At construction, for a trial of a study with
            several objectives or a bad argument; at the first report, when ``metric`` or
            ``valid_name`` is not in LightGBM's evaluation list (the message lists the names it
            has) or when the metric's direction disagrees with the study's.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(direction="maximize")
        >>> callback = LightGBMPruningCallback(study.ask(), "auc", valid_name="valid")
        >>> callback.metric, callback.valid_name
        ('auc', 'valid')
    """

    def __init__(
        self,
        trial: BaseTrial,
        metric: str,
        valid_name: str = "valid_0",
        report_interval: int = 1,
    ) -> None:
        self._lgb = require("lightgbm", package="LightGBM", extra="lightgbm", owner=_OWNER)
        check_single_objective(trial, owner=_OWNER)
        for name, value, example in (
            ("metric", metric, "binary_logloss"),
            ("valid_name", valid_name, "valid_0"),
        ):
            check_name(value, name, f"a name such as {example!r}", owner=_OWNER)
        wrong_type = isinstance(report_interval, bool) or not isinstance(report_interval, int)
        if wrong_type or report_interval < 1:
            raise invalid_argument(
                "report_interval",
                report_interval,
                "an int >= 1",
                owner=_OWNER,
                wrong_type=wrong_type,
            )
        self._trial = trial
        self._metric = metric
        self._valid_name = valid_name
        self._report_interval = report_interval
        self._direction_checked = False

    @property
    def metric(self) -> str:
        """The metric the callback reports."""
        return self._metric

    @property
    def valid_name(self) -> str:
        """The validation set it reads under ``lightgbm.train``."""
        return self._valid_name

    @property
    def report_interval(self) -> int:
        """How many boosting rounds lie between two reports."""
        return self._report_interval

    def __call__(self, env: CallbackEnv) -> None:
        """Called by LightGBM after each boosting round; reports, and may raise TrialPruned."""
        if (env.iteration + 1) % self._report_interval != 0:
            return
        results = env.evaluation_result_list or []
        is_cv = isinstance(env.model, self._lgb.CVBooster) or any(len(r) == 5 for r in results)
        entries = [_normalize(result) for result in results]
        valid_name = _CV_VALID if is_cv else self._valid_name
        value, higher_is_better = self._find(entries, valid_name, is_cv)
        if not self._direction_checked:
            self._check_direction(higher_is_better)
            self._direction_checked = True
        report_and_prune(self._trial, value, env.iteration, what="iteration")

    def _find(self, entries: Sequence[_Entry], valid_name: str, is_cv: bool) -> tuple[float, bool]:
        on_set = [entry for entry in entries if entry[0] == valid_name]
        if not on_set and not is_cv:  # under lightgbm.cv a missing metric is the only cause
            raise unknown_name(
                "valid_name",
                self._valid_name,
                (entry[0] for entry in entries),
                owner=_OWNER,
                what="a validation set LightGBM evaluates (valid_sets / valid_names of "
                "lightgbm.train)",
            )
        for _, metric, value, higher_is_better in on_set:
            if metric == self._metric:
                return value, higher_is_better
        where = "the cross-validation folds" if is_cv else repr(valid_name)
        raise unknown_name(
            "metric",
            self._metric,
            (entry[1] for entry in on_set),
            owner=_OWNER,
            what=f"a metric LightGBM reports on {where} (set params['metric'])",
        )

    def _check_direction(self, higher_is_better: bool) -> None:
        study = getattr(self._trial, "study", None)
        if study is None:  # a FixedTrial: no study, nothing to disagree with
            return
        direction = study.directions[0]
        metric_direction = StudyDirection.MAXIMIZE if higher_is_better else StudyDirection.MINIMIZE
        if direction != metric_direction:
            study_way, metric_way = ("lower", "higher") if higher_is_better else ("higher", "lower")
            raise invalid_argument(
                "metric",
                self._metric,
                f"a metric where {study_way} is better, as the study's direction is "
                f"{direction.name.lower()}: LightGBM marks '{self._metric}' {metric_way}-is-better,"
                " so the pruner would stop the best trials (change the metric or the direction)",
                owner=_OWNER,
            )


def _normalize(result: Sequence[Any]) -> _Entry:
    """One evaluation result as ``(data set, metric, value, higher is better)``."""
    dataset, metric, value, higher_is_better = (
        str(result[0]),
        str(result[1]),
        float(result[2]),
        bool(result[3]),
    )
    if len(result) == 5 and dataset == "cv_agg":
        prefix, space, rest = metric.partition(" ")
        if space and prefix in _CV_PREFIXES:  # LightGBM 4.0 - 4.6: "valid binary_logloss"
            dataset, metric = prefix, rest
        else:  # LightGBM 3: the metric's own name, always on the held-out folds
            dataset = _CV_VALID
    return dataset, metric, value, higher_is_better
