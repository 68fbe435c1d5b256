"""The constructor arguments of :class:`~podbor.validation.SearchCV`, checked when ``fit`` starts.

scikit-learn's convention: ``__init__`` only stores its arguments, ``fit`` validates them. Every
error has podbor's one message shape and names the argument.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import invalid_argument
from podbor.pruners import BasePruner
from podbor.samplers import BaseSampler
from podbor.storages import BaseStorage
from podbor.validation._cross_validate import check_error_score, check_estimator_like

__all__ = ["check_search_params", "check_y"]

_OWNER = "SearchCV"


def check_search_params(params: Mapping[str, Any]) -> None:
    """Validate ``SearchCV.get_params(deep=False)``; ``scoring`` and ``cv`` are checked later,
    against the data.

    Raises:
        InvalidArgumentError: Naming the first argument out of its range.

    Example:
        >>> try:
        ...     check_search_params({"estimator": None})
        ... except ValueError as err:
        ...     print(type(err).__name__, "'estimator'" in str(err))
        InvalidArgumentError True
    """
    check_estimator_like(params["estimator"], "estimator", _OWNER)
    _check_distributions(params["param_distributions"], params["estimator"])
    _check_budget(params["n_trials"], params["timeout"])
    n_jobs_allowed = "an int >= 1, or -1 for one per core"
    _check_int("n_jobs", params["n_jobs"], n_jobs_allowed, low=None)
    if params["n_jobs"] == 0:
        raise invalid_argument("n_jobs", 0, n_jobs_allowed, owner=_OWNER)
    _check_int("verbose", params["verbose"], "an int >= 0", low=0)
    for name in ("refit", "return_train_score", "enable_pruning"):
        if not isinstance(params[name], (bool, np.bool_)):
            raise invalid_argument(name, params[name], "True or False", owner=_OWNER)
    _check_instance("sampler", params["sampler"], BaseSampler, "a podbor sampler or None")
    _check_instance("pruner", params["pruner"], BasePruner, "a podbor pruner or None")
    _check_instance("storage", params["storage"], (str, BaseStorage), "a URL, a storage or None")
    _check_instance("study_name", params["study_name"], str, "a str or None")
    _check_instance(
        "random_state",
        params["random_state"],
        (numbers.Integral, np.random.RandomState),
        "an int, a numpy.random.RandomState or None",
    )
    check_error_score(params["error_score"], _OWNER)


def check_y(estimator: Any, y: Any) -> None:
    """Refuse ``y=None`` for an estimator whose scikit-learn tags say it needs targets."""
    if y is not None:
        return
    from sklearn.utils import get_tags

    try:
        required = get_tags(estimator).target_tags.required
    except (AttributeError, TypeError):
        required = False
    if required:
        name = type(estimator).__name__
        raise invalid_argument(
            "y",
            None,
            f"targets of shape (n_samples,): {name} requires y to be passed, "
            "but the target y is None",
            owner="SearchCV.fit",
        )


def _check_distributions(distributions: Any, estimator: Any) -> None:
    allowed = "a dict of parameter name → podbor distribution"
    if not isinstance(distributions, Mapping):
        raise invalid_argument("param_distributions", distributions, allowed, owner=_OWNER)
    valid = sorted(estimator.get_params(deep=True))
    kinds = (FloatDistribution, IntDistribution, CategoricalDistribution)
    for name, dist in distributions.items():
        if name not in valid:
            raise invalid_argument(
                "param_distributions",
                name,
                f"keyed by parameters of {type(estimator).__name__} (valid names: "
                f"{', '.join(valid)})",
                owner=_OWNER,
            )
        if not isinstance(dist, kinds):
            raise invalid_argument(
                "param_distributions",
                {name: dist},
                "a dict whose values are FloatDistribution, IntDistribution or "
                "CategoricalDistribution (for a list of values use CategoricalDistribution)",
                owner=_OWNER,
            )


def _check_budget(n_trials: Any, timeout: Any) -> None:
    if n_trials is None:
        if timeout is None:
            raise invalid_argument(
                "n_trials", None, "an int >= 1 (None needs a timeout)", owner=_OWNER
            )
    else:
        _check_int("n_trials", n_trials, "an int >= 1 or None", low=1)
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not float(timeout) > 0
    ):
        raise invalid_argument("timeout", timeout, "a number of seconds > 0 or None", owner=_OWNER)


def _check_int(name: str, value: Any, allowed: str, *, low: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise invalid_argument(name, value, allowed, owner=_OWNER)
    if low is not None and int(value) < low:
        raise invalid_argument(name, value, allowed, owner=_OWNER)


def _check_instance(name: str, value: Any, kinds: Any, allowed: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
        raise invalid_argument(name, value, allowed, owner=_OWNER)
