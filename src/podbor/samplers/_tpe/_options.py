"""``TPESampler``'s tuning arguments: their defaults, Optuna 5's deprecations, their checks.

Optuna 5 deprecates seven of TPE's tuning arguments (``consider_prior`` since 4.3, the others
since 4.9, all to go in 6.0): passing one gives a ``FutureWarning`` and its value is used, leaving
it out gives the default. ``gamma`` left out depends on the study: :func:`default_gamma` for one
objective, :func:`default_gamma_multiobjective` for several.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._deprecated import warn_deprecated
from podbor._validation import check_bool, check_real
from podbor.exceptions import invalid_argument
from podbor.samplers._tpe.parzen import ParzenOptions

__all__ = [
    "TuningArguments",
    "default_gamma",
    "default_gamma_multiobjective",
    "default_weights",
    "hyperopt_default_gamma",
    "tuning_arguments",
]

_OWNER = "TPESampler"


def default_gamma(n: int) -> int:
    """Return how many of ``n`` finished trials count as good: ``min(ceil(0.1 n), 25)``.

    The 10 % quantile keeps the good group selective; the cap of 25 keeps ``l(x)`` sharp in long
    studies (Optuna's default, so that studies ported from it behave alike).

    Example:
        >>> [default_gamma(n) for n in (1, 10, 11, 100, 1000)]
        [1, 1, 2, 10, 25]
    """
    return min(math.ceil(0.1 * n), 25)


def default_gamma_multiobjective(n: int) -> int:
    """Return ``ceil(0.1 n)``, the good trials of a study with several objectives (no cap: the
    good group spans a front, which grows with the study; Optuna's default there).

    Example:
        >>> [default_gamma_multiobjective(n) for n in (1, 100, 1000)]
        [1, 10, 100]
    """
    return math.ceil(0.1 * n)


def hyperopt_default_gamma(n: int) -> int:
    """Return ``min(ceil(0.25 sqrt(n)), 25)``, the split of Bergstra et al. (2011) and hyperopt.

    Example:
        >>> [hyperopt_default_gamma(n) for n in (1, 16, 100)]
        [1, 1, 3]
    """
    return min(math.ceil(0.25 * math.sqrt(n)), 25)


def default_weights(n: int) -> FloatArray:
    """Return the weights of ``n`` observations, oldest first: linear forgetting.

    The newest 25 weigh 1; older ones ramp linearly from ``1/n`` up to 1 (hyperopt's linear
    forgetting, Bergstra et al. 2011), so that a long study's early, exploratory trials fade.

    Example:
        >>> default_weights(3).tolist()
        [1.0, 1.0, 1.0]
        >>> w = default_weights(30)
        >>> round(float(w[0]), 3), float(w[-1])
        (0.033, 1.0)
    """
    if n < 25:
        return np.ones(n)
    n_ramp = n - 25
    ramp = 1.0 / n + (1.0 - 1.0 / n) * np.arange(n_ramp) / max(n_ramp - 1, 1)
    return np.concatenate([ramp if n_ramp > 1 else np.full(n_ramp, 1.0 / n), np.ones(25)])


@dataclass(frozen=True)
class TuningArguments:
    """The deprecated tuning arguments, checked, with the defaults filled in (``gamma`` None:
    chosen by the number of objectives, :meth:`gamma_for`)."""

    parzen: ParzenOptions
    gamma: Callable[[int], int] | None
    weights: Callable[[int], Any]
    warn_independent_sampling: bool

    def gamma_for(self, n_objectives: int) -> Callable[[int], int]:
        """The split rule for a study with ``n_objectives`` objectives."""
        if self.gamma is not None:
            return self.gamma
        return default_gamma if n_objectives <= 1 else default_gamma_multiobjective


_DEFAULTS: dict[str, Any] = {
    "consider_prior": True,
    "prior_weight": 1.0,
    "consider_magic_clip": True,
    "consider_endpoints": False,
    "gamma": None,
    "weights": default_weights,
    "warn_independent_sampling": False,
}


def tuning_arguments(given: dict[str, Any]) -> TuningArguments:
    """Check the deprecated arguments ``given`` to ``TPESampler`` (name → value, None where left
    out), warn once for each one passed, and fill in the defaults.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     args = tuning_arguments({"prior_weight": 2.0})
        >>> args.parzen.prior_weight, caught[0].category.__name__
        (2.0, 'FutureWarning')
    """
    values = dict(_DEFAULTS)
    for name, value in given.items():
        if value is None:
            continue
        warn_deprecated(
            f"TPESampler's argument {name!r}",
            since="0.1.0",
            removed_in="2.0.0",
            replacement="its default (leave it out)",
            stacklevel=3,  # the line that built the sampler
        )
        values[name] = value
    parzen = ParzenOptions(
        consider_prior=check_bool(values["consider_prior"], "consider_prior", owner=_OWNER),
        prior_weight=check_real(
            values["prior_weight"],
            "prior_weight",
            owner=_OWNER,
            minimum=0.0,
            include_minimum=False,
            finite=True,
        ),
        consider_magic_clip=check_bool(
            values["consider_magic_clip"], "consider_magic_clip", owner=_OWNER
        ),
        consider_endpoints=check_bool(
            values["consider_endpoints"], "consider_endpoints", owner=_OWNER
        ),
    )
    gamma = values["gamma"]
    return TuningArguments(
        parzen=parzen,
        gamma=None if gamma is None else _check_callable(gamma, "gamma"),
        weights=_check_callable(values["weights"], "weights"),
        warn_independent_sampling=check_bool(
            values["warn_independent_sampling"], "warn_independent_sampling", owner=_OWNER
        ),
    )


def _check_callable(func: Any, name: str) -> Any:
    if not callable(func):
        raise invalid_argument(name, func, "a callable taking the number of trials", owner=_OWNER)
    return func
