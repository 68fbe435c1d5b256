"""Which score a LightGBM run is judged by, where to find it, and which way is better.

The tuner compares runs on one number: the last metric of ``params["metric"]`` (or, when no
metric is given, the one LightGBM reports for the objective; ``binary_logloss`` by default) on
the last validation set. Ranking metrics carry their cut-off (``ndcg@5``), and ``auc``, ``ndcg``,
``map``, ``average_precision`` and ``auc_mu`` are maximized, the rest minimized. A name the run
does not report is an error that lists the names it does report.

Example:
    >>> scorer = _BaseTuner({"metric": "ndcg", "eval_at": [5, 10]})
    >>> scorer._get_metric_for_objective(), scorer.higher_is_better()
    ('ndcg@5', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from podbor.exceptions import invalid_argument
from podbor.integration._common import unknown_name
from podbor.integration._lightgbm_tuner._alias import (
    HIGHER_IS_BETTER,
    canonical_metric,
    canonicalize_metric,
    metric_of_objective,
)

__all__ = ["_BaseTuner"]

_DEFAULT_METRIC = "binary_logloss"
_DEFAULT_EVAL_AT = (1, 2, 3, 4, 5)  # LightGBM's default cut-offs for ndcg and map


class _BaseTuner:
    """The metric logic shared by the tuners and their per-trial objectives.

    Args:
        lgbm_params: LightGBM's parameters (``metric`` is canonicalised in place).
        lgbm_kwargs: The other arguments of ``lightgbm.train`` / ``lightgbm.cv``.
        owner: The public name, for error messages.
    """

    def __init__(
        self,
        lgbm_params: dict[str, Any] | None = None,
        lgbm_kwargs: dict[str, Any] | None = None,
        *,
        owner: str = "LightGBMTuner",
    ) -> None:
        self._owner = owner
        self.lgbm_params: dict[str, Any] = lgbm_params if lgbm_params is not None else {}
        canonicalize_metric(self.lgbm_params, owner=owner)
        self.lgbm_kwargs: dict[str, Any] = lgbm_kwargs if lgbm_kwargs is not None else {}

    def _metric_name(self) -> str:
        """The canonical metric the tuner optimizes, without the ``@k`` cut-off."""
        metric = self.lgbm_params.get("metric")
        if metric is None:
            return metric_of_objective(self.lgbm_params.get("objective")) or _DEFAULT_METRIC
        if isinstance(metric, str):
            return canonical_metric(metric)
        names = list(metric)
        return canonical_metric(names[-1]) if names else _DEFAULT_METRIC

    def _get_metric_for_objective(self) -> str:
        """The key of the tuned metric in LightGBM's results (``"ndcg@5"``, ``"l2"``)."""
        return self._metric_with_eval_at(self._metric_name())

    def _metric_with_eval_at(self, metric: str) -> str:
        """``metric`` with the first cut-off appended for ``ndcg`` and ``map``."""
        if metric not in ("ndcg", "map"):
            return metric
        eval_at = (
            self.lgbm_params.get("eval_at")
            or self.lgbm_params.get(f"{metric}_at")
            or self.lgbm_params.get(f"{metric}_eval_at")
            or _DEFAULT_EVAL_AT
        )
        if isinstance(eval_at, (list, tuple)) and eval_at and isinstance(eval_at[0], int):
            return f"{metric}@{eval_at[0]}"
        if isinstance(eval_at, int) and not isinstance(eval_at, bool):
            return f"{metric}@{eval_at}"
        raise invalid_argument(
            "params['eval_at']", eval_at, "an int or a list of ints", owner=self._owner
        )

    def higher_is_better(self) -> bool:
        """True for a metric where larger is better (the study then maximizes)."""
        return self._metric_name() in HIGHER_IS_BETTER

    def compare_validation_metrics(self, val_score: float, best_score: float) -> bool:
        """True if ``val_score`` is strictly better than ``best_score``."""
        if self.higher_is_better():
            return val_score > best_score
        return val_score < best_score

    def _worst_score(self) -> float:
        return -np.inf if self.higher_is_better() else np.inf

    def _valid_name(self) -> str:
        """The name LightGBM gives the last validation set."""
        names = self.lgbm_kwargs.get("valid_names")
        if isinstance(names, str):
            return names
        if isinstance(names, Sequence) and len(names) > 0:
            return str(names[-1])
        sets = self.lgbm_kwargs.get("valid_sets")
        if isinstance(sets, (list, tuple)):
            return f"valid_{len(sets) - 1}"
        return "valid_0"

    def _get_booster_best_score(self, booster: Any) -> float:
        """The tuned metric of ``booster`` on the last validation set (its best iteration)."""
        results: Mapping[str, Mapping[str, float]] = booster.best_score
        valid_name = self._valid_name()
        if valid_name not in results:
            raise unknown_name(
                "valid_names", valid_name, results, owner=self._owner, what="a validation set"
            )
        scores = results[valid_name]
        metric = self._get_metric_for_objective()
        if metric in scores:
            return float(scores[metric])
        if metric == "custom" and len(scores) > 0:  # metric "None": the feval's last value
            return float(list(scores.values())[-1])
        raise unknown_name("params['metric']", metric, scores, owner=self._owner)

    def _get_cv_scores(self, cv_results: Mapping[str, Any]) -> list[float]:
        """The per-round means of the tuned metric in the results of ``lightgbm.cv``."""
        metric = self._get_metric_for_objective()
        for key in (f"valid {metric}-mean", f"{metric}-mean"):
            if key in cv_results:
                return [float(v) for v in cv_results[key]]
        means = [k for k in cv_results if k.endswith("-mean")]
        if metric == "custom" and means:
            return [float(v) for v in cv_results[means[-1]]]
        available = [k.removeprefix("valid ").removesuffix("-mean") for k in means]
        raise unknown_name("params['metric']", metric, available, owner=self._owner)
