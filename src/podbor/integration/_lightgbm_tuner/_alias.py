"""LightGBM's parameter and metric aliases, folded into the one name the tuner works with.

LightGBM accepts many names for one parameter (``subsample`` is ``bagging_fraction``,
``reg_alpha`` is ``lambda_l1``) and for one metric (``mse`` is ``l2``, ``binary`` is
``binary_logloss``). The tuner suggests, fixes and reports parameters under one name only, so a
user's alias is renamed before tuning (else LightGBM would see both and pick one with a warning),
and the metric is canonicalised so that its score can be found in the booster's results and its
direction (higher or lower is better) known.

Example:
    >>> params = {"subsample": 0.8, "metric": "mse"}
    >>> canonicalize_metric(params, owner="doc")
    >>> canonicalize_params(params)
    >>> params
    {'metric': 'l2', 'bagging_fraction': 0.8}
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from podbor.exceptions import invalid_argument

__all__ = [
    "HIGHER_IS_BETTER",
    "KNOWN_METRICS",
    "NUM_ROUND_ALIASES",
    "canonical_metric",
    "canonicalize_metric",
    "canonicalize_params",
    "metric_of_objective",
]

# Parameter name → its aliases (LightGBM's documentation, "Parameters").
_PARAM_ALIASES: dict[str, tuple[str, ...]] = {
    "bagging_fraction": ("sub_row", "subsample", "bagging"),
    "bagging_freq": ("subsample_freq",),
    "feature_fraction": ("sub_feature", "colsample_bytree"),
    "lambda_l1": ("reg_alpha", "l1_regularization"),
    "lambda_l2": ("reg_lambda", "lambda", "l2_regularization"),
    "learning_rate": ("shrinkage_rate", "eta"),
    "min_child_samples": ("min_data_in_leaf", "min_data_per_leaf", "min_data", "min_samples_leaf"),
    "min_gain_to_split": ("min_split_gain",),
    "min_sum_hessian_in_leaf": (
        "min_sum_hessian_per_leaf",
        "min_sum_hessian",
        "min_hessian",
        "min_child_weight",
    ),
    "num_leaves": ("num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"),
}

NUM_ROUND_ALIASES: tuple[str, ...] = (
    "num_iterations",
    "num_iteration",
    "n_iter",
    "num_tree",
    "num_trees",
    "num_round",
    "num_rounds",
    "nrounds",
    "num_boost_round",
    "n_estimators",
    "max_iter",
)
"""Names under which ``params`` may set the number of boosting rounds."""

# Canonical metric → the other names LightGBM reads as it (objective names included: a metric
# named after an objective means that objective's metric).
_METRIC_ALIASES: dict[str, tuple[str, ...]] = {
    "l1": ("mean_absolute_error", "mae", "regression_l1"),
    "l2": ("mean_squared_error", "mse", "regression_l2", "regression"),
    "rmse": ("root_mean_squared_error", "l2_root"),
    "quantile": (),
    "mape": ("mean_absolute_percentage_error",),
    "huber": (),
    "fair": (),
    "poisson": (),
    "gamma": (),
    "gamma_deviance": (),
    "tweedie": (),
    "ndcg": ("lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart"),
    "map": ("mean_average_precision",),
    "auc": (),
    "average_precision": (),
    "binary_logloss": ("binary",),
    "binary_error": (),
    "auc_mu": (),
    "multi_logloss": ("multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"),
    "multi_error": (),
    "cross_entropy": ("xentropy",),
    "cross_entropy_lambda": ("xentlambda",),
    "kullback_leibler": ("kldiv",),
    "custom": ("none", "null", "na", ""),
}

_METRIC_OF: dict[str, str] = {
    alias: metric for metric, aliases in _METRIC_ALIASES.items() for alias in (metric, *aliases)
}

KNOWN_METRICS: frozenset[str] = frozenset(_METRIC_OF)
"""Every metric name LightGBM accepts, aliases included."""

HIGHER_IS_BETTER: frozenset[str] = frozenset({"auc", "auc_mu", "ndcg", "map", "average_precision"})
"""Canonical metrics where a larger value is better; the tuner maximizes them."""


def canonical_metric(name: str) -> str:
    """The canonical name of metric ``name`` (``"mse"`` → ``"l2"``); unknown names unchanged.

    Example:
        >>> canonical_metric("xendcg"), canonical_metric("auc"), canonical_metric("my_eval")
        ('ndcg', 'auc', 'my_eval')
    """
    return _METRIC_OF.get(name.lower() if isinstance(name, str) else name, name)


def metric_of_objective(objective: Any) -> str | None:
    """The metric LightGBM reports by default for ``objective`` (None when it cannot tell).

    Example:
        >>> metric_of_objective("regression"), metric_of_objective("multiclass")
        ('l2', 'multi_logloss')
    """
    if not isinstance(objective, str):
        return None
    name = objective.lower()
    if name in ("huber", "fair", "poisson", "quantile", "mape", "gamma", "tweedie"):
        return name
    metric = _METRIC_OF.get(name)
    return None if metric in (None, "custom") else metric


def canonicalize_metric(params: dict[str, Any], *, owner: str) -> None:
    """Rename ``params["metric"]`` (a name or a list of names) to canonical names, in place.

    Raises:
        podbor.exceptions.InvalidArgumentError: For a metric name LightGBM does not know, or a
            ``metric`` that is neither a string nor a list of strings.
    """
    if "metric" not in params:
        return
    metric = params["metric"]
    if metric is None:
        params["metric"] = "custom"
        return
    names = [metric] if isinstance(metric, str) else metric
    if not isinstance(names, Iterable) or not all(isinstance(n, str) for n in names):
        raise invalid_argument(
            "params['metric']",
            metric,
            "a metric name or a list of metric names",
            owner=owner,
            wrong_type=True,
        )
    out: list[str] = []
    for name in names:
        if name.lower() not in KNOWN_METRICS:
            listed = ", ".join(sorted(m for m in _METRIC_ALIASES if m != "custom"))
            raise invalid_argument(
                "params['metric']",
                name,
                f"a LightGBM metric (or an alias of one): {listed}; or 'None' with a feval",
                owner=owner,
            )
        out.append(canonical_metric(name))
    params["metric"] = out[0] if isinstance(metric, str) else out


def canonicalize_params(params: dict[str, Any]) -> None:
    """Rename the aliases of the tuned (and a few related) parameters in ``params``, in place.

    When a parameter is given under several names, the last alias given wins, with a warning.
    """
    for name, aliases in _PARAM_ALIASES.items():
        given = [a for a in aliases if a in params]
        if not given:
            continue
        for alias in given:
            value = params.pop(alias)
            if name in params:
                warnings.warn(
                    f"Both {name!r} and its alias {alias!r} are in params; "
                    f"using {alias}={value!r}.",
                    UserWarning,
                    stacklevel=3,
                )
            params[name] = value
