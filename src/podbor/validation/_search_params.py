"""The constructor arguments of :class:`~podbor.validation.SearchCV`, checked when ``fit`` starts.

scikit-learn's convention: ``__init__`` only stores its arguments, ``fit`` validates them. Every
error has podbor's one message shape and names the argument.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from podbor._validation import (
    check_bool,
    check_instance,
    check_int,
    check_optional_int,
    check_optional_real,
)
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import invalid_argument
from podbor.pruners import BasePruner
from podbor.samplers import BaseSampler
from podbor.storages import BaseStorage
from podbor.validation._cross_validate import check_error_score, check_estimator_like

__all__ = ["check_distributions", "check_search_params", "check_y"]

_OWNER = "SearchCV"
_INSTANCES: tuple[tuple[str, type[Any] | tuple[type[Any], ...], str], ...] = (
    ("sampler", BaseSampler, "a podbor sampler"),
    ("pruner", BasePruner, "a podbor pruner"),
    ("storage", (str, BaseStorage), "a URL, a storage"),
    ("study_name", str, "a str"),
    (
        "random_state",
        (numbers.Integral, np.random.RandomState),
        "an int, a numpy.random.RandomState",
    ),
)
"""The arguments that may also be None: name, allowed classes, what is allowed in words."""


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
    check_distributions(params["param_distributions"], params["estimator"], _OWNER)
    _check_budget(params["n_trials"], params["timeout"])
    n_jobs_allowed = "an int >= 1, or -1 for one per core"
    if check_int(params["n_jobs"], "n_jobs", owner=_OWNER, allowed=n_jobs_allowed) == 0:
        raise invalid_argument("n_jobs", 0, n_jobs_allowed, owner=_OWNER)
    check_int(params["verbose"], "verbose", owner=_OWNER, minimum=0)
    for name in ("refit", "return_train_score", "enable_pruning"):
        value = params[name]  # scikit-learn's convention: numpy bools are bools too
        check_bool(bool(value) if isinstance(value, np.bool_) else value, name, owner=_OWNER)
    for name, kinds, allowed in _INSTANCES:
        check_instance(params[name], name, kinds, owner=_OWNER, allowed=allowed, allow_none=True)
    check_error_score(params["error_score"], _OWNER)


def check_y(estimator: Any, y: Any, owner: str = "SearchCV.fit") -> None:
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
            owner=owner,
        )


def check_distributions(distributions: Any, estimator: Any, owner: str) -> None:
    """Raise unless ``distributions`` maps parameters of ``estimator`` to podbor distributions."""
    allowed = "a dict of parameter name → podbor distribution"
    if not isinstance(distributions, Mapping):
        raise invalid_argument("param_distributions", distributions, allowed, owner=owner)
    valid = sorted(estimator.get_params(deep=True))
    kinds = (FloatDistribution, IntDistribution, CategoricalDistribution)
    for name, dist in distributions.items():
        if name not in valid:
            raise invalid_argument(
                "param_distributions",
                name,
                f"keyed by parameters of {type(estimator).__name__} (valid names: "
                f"{', '.join(valid)})",
                owner=owner,
            )
        if not isinstance(dist, kinds):
            raise invalid_argument(
                "param_distributions",
                {name: dist},
                "a dict whose values are FloatDistribution, IntDistribution or "
                "CategoricalDistribution (for a list of values use CategoricalDistribution)",
                owner=owner,
            )


def _check_budget(n_trials: Any, timeout: Any) -> None:
    if n_trials is None and timeout is None:
        raise invalid_argument("n_trials", None, "an int >= 1 (None needs a timeout)", owner=_OWNER)
    check_optional_int(n_trials, "n_trials", owner=_OWNER, minimum=1)
    check_optional_real(
        timeout,
        "timeout",
        owner=_OWNER,
        minimum=0.0,
        include_minimum=False,
        allowed="a number of seconds > 0 or None",
    )
