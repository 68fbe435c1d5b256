"""``BoTorchSampler``: Bayesian optimization with BoTorch's models and acquisition functions.

The sampler is an adapter between a study and a *candidates function*: it turns the complete
trials of the intersection search space into tensors (the shared unit-cube encoding,
categoricals one-hot: ``space``), every objective to maximize and the constraints recorded by
``Trial.set_constraint`` (or the deprecated ``constraints_func``) feasible where ``<= 0``, calls
the function under a seeded, forked torch generator, and decodes the point it returns. The
functions themselves (BoTorch's recipes) are in ``candidates`` and ``multi_objective``. The
study is read through its public view only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_bool, check_int
from podbor.distributions import BaseDistribution
from podbor.exceptions import InvalidArgumentError, InvalidArgumentTypeError, invalid_argument
from podbor.integration._botorch.candidates import logei_candidates_func, qei_candidates_func
from podbor.integration._botorch.multi_objective import (
    ehvi_candidates_func,
    qehvi_candidates_func,
    qparego_candidates_func,
)
from podbor.integration._botorch.problem import require_botorch
from podbor.integration._botorch.space import OneHotSpace
from podbor.samplers._base import BaseSampler
from podbor.samplers._common import FallbackSampler
from podbor.samplers._constraints import (
    ConstraintsFunc,
    evaluate_constraints,
    warn_deprecated_constraints_func,
)
from podbor.samplers._intersection import IntersectionSearchSpace

if TYPE_CHECKING:
    import torch

__all__ = ["BoTorchSampler", "CandidatesFunc", "default_candidates_func"]

CandidatesFunc = Callable[
    [
        "torch.Tensor",
        "torch.Tensor",
        "torch.Tensor | None",
        "torch.Tensor",
        "torch.Tensor | None",
    ],
    "torch.Tensor",
]
"""``(train_x, train_obj, train_con, bounds, pending_x) -> candidates``."""

_OWNER = "BoTorchSampler"
_SEED_BOUND = 2**31 - 1


def default_candidates_func(
    n_objectives: int, has_constraints: bool, consider_running_trials: bool
) -> CandidatesFunc:
    """The candidates function ``BoTorchSampler`` uses when none is given.

    LogEI for one objective (qEI when running trials are considered: LogEI is analytic and
    cannot take them), qEHVI for two or three, and for more analytic EHVI, or qParEGO when
    there are constraints or running trials (which EHVI cannot take, and where hypervolume in
    many objectives gets costly).

    Example:
        >>> default_candidates_func(1, False, False).__name__
        'logei_candidates_func'
        >>> default_candidates_func(4, True, False).__name__
        'qparego_candidates_func'
    """
    if n_objectives > 3:
        if has_constraints or consider_running_trials:
            return qparego_candidates_func
        return ehvi_candidates_func
    if n_objectives > 1:
        return qehvi_candidates_func
    return qei_candidates_func if consider_running_trials else logei_candidates_func


def _finite(values: FloatArray) -> FloatArray:
    """``values`` (``n x m``) with each infinity replaced by the most extreme finite value of its
    column on that side (0 in a column without one): a GP cannot fit an infinity.

    Example:
        >>> _finite(np.array([[1.0, -np.inf], [np.inf, 2.0], [3.0, 5.0]])).tolist()
        [[1.0, 2.0], [3.0, 2.0], [3.0, 5.0]]
    """
    finite = np.isfinite(values)
    if finite.all():
        return values
    low = np.where(finite, values, np.inf).min(axis=0)
    high = np.where(finite, values, -np.inf).max(axis=0)
    none = ~finite.any(axis=0)
    low[none], high[none] = 0.0, 0.0
    return np.clip(values, low, high)


def _constraint_matrix(trials: Sequence[FrozenTrial]) -> FloatArray | None:
    """``(n, k)`` the recorded constraints of ``trials``, one column per name any of them has
    (sorted), NaN where a trial lacks one; None when none has any.

    Example:
        >>> from podbor.trial import create_trial
        >>> trials = [create_trial(value=0.0, system_attrs={"constraints:b": 1.0}),
        ...           create_trial(value=0.0, system_attrs={"constraints": [-2.0]})]
        >>> _constraint_matrix(trials).tolist()
        [[nan, 1.0], [-2.0, nan]]
    """
    recorded = [t.constraints for t in trials]
    names = sorted(set().union(*recorded))
    if not names:
        return None
    return np.array([[c.get(name, math.nan) for name in names] for c in recorded], dtype=float)


class BoTorchSampler(FallbackSampler):
    """Bayesian optimization with `BoTorch <https://botorch.org>`_: GP models and acquisition
    functions on PyTorch, for one objective or several, with constraints.

    After ``n_startup_trials`` trials (complete, and running other than the new one), each
    trial fits BoTorch models to the complete trials of the intersection search space and
    maximizes an acquisition function over it, through ``candidates_func``. The parameters
    reach the function as columns in ``[0, 1]``: numeric ones in podbor's shared unit-cube
    encoding (log scales and steps included; a proposal is snapped back onto a step's grid),
    categorical ones one-hot (the choice with the largest proposed column wins); the bounds are
    therefore zeros and ones. Objectives are handed over to be maximized (a minimized one is
    negated), infinite values clipped to the finite range. Parameters outside the joint space
    (conditional ones, a distribution that changed) and startup trials are sampled by
    ``independent_sampler``. The sampler is ``optuna_integration.BoTorchSampler``, under the
    same signature.

    Each call of ``candidates_func`` runs under :func:`torch.random.fork_rng` with the torch
    generator seeded from the sampler's own generator, so that a ``seed`` makes the proposals
    reproducible and the caller's global torch generator is left as it was.

    Args:
        candidates_func: ``(train_x, train_obj, train_con, bounds, pending_x) -> candidates``:
            ``train_x`` ``(n, n_params)`` the complete trials' points, ``train_obj``
            ``(n, n_objectives)`` their values to maximize, ``train_con`` ``(n, n_constraints)``
            their constraints (feasible ``<= 0``; NaN where a trial did not record one) or None
            without any, ``bounds`` ``(2, n_params)``, ``pending_x`` ``(n_running, n_params)``
            the running trials' points (with ``consider_running_trials``; else None). It returns
            a tensor of shape ``(1, n_params)`` (or ``(n_params,)``). None chooses by the
            problem (:func:`default_candidates_func`): ``logei_candidates_func`` for one
            objective (``qei_candidates_func`` with ``consider_running_trials``),
            ``qehvi_candidates_func`` for two or three, ``ehvi_candidates_func`` for more
            (``qparego_candidates_func`` with constraints or running trials).
        constraints_func: Deprecated, as in Optuna 5.0 (``FutureWarning``; use
            ``Trial.set_constraint``): ``constraints_func(trial)`` returns a sequence of floats
            (feasible ``<= 0``), evaluated after each complete or pruned trial and stored as its
            constraints.
        n_startup_trials: Trials sampled by ``independent_sampler`` before BoTorch is used.
        consider_running_trials: Hand the points of running trials (those whose parameters of
            the joint space are all set) to ``candidates_func`` as ``pending_x``, so that
            parallel workers do not propose the same point.
        independent_sampler: The sampler of startup trials and of parameters outside the joint
            space; a :class:`~podbor.samplers.RandomSampler` with ``seed`` by default.
        seed: Seed of the sampler's generator (an int >= 0): the torch seed of each call, and of
            the default ``independent_sampler``. None for a random one.
        device: The ``torch.device`` (or its name, e.g. ``"cuda"``) of the tensors handed to
            ``candidates_func``; the CPU by default.

    Raises:
        ImportError: BoTorch is not installed (``pip install podbor[botorch]``).
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) a bad argument, naming it;
            at a trial, a ``candidates_func`` result that is not a finite tensor of shape
            ``(1, n_params)`` (``InvalidArgumentTypeError``, also a ``TypeError``, for one that
            is not a tensor).

    Example:
        >>> import podbor
        >>> from podbor.integration.botorch import BoTorchSampler
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> sampler = BoTorchSampler(n_startup_trials=3, seed=0)
        >>> study = podbor.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=5)
        >>> len(study.trials)
        5
        >>> podbor.logging.set_verbosity(podbor.logging.INFO)
    """

    _STUDY_CACHES = ("_search_space",)

    def __init__(
        self,
        *,
        candidates_func: CandidatesFunc | None = None,
        constraints_func: ConstraintsFunc | None = None,
        n_startup_trials: int = 10,
        consider_running_trials: bool = False,
        independent_sampler: BaseSampler | None = None,
        seed: int | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        require_botorch(_OWNER)
        warn_deprecated_constraints_func(constraints_func, _OWNER)
        super().__init__(seed, independent_sampler, False, owner=_OWNER)
        for name, func in (
            ("candidates_func", candidates_func),
            ("constraints_func", constraints_func),
        ):
            if func is not None and not callable(func):
                raise invalid_argument(name, func, "None or a function", owner=_OWNER)
        self._candidates_func = candidates_func
        self._constraints_func = constraints_func
        self._n_startup_trials = check_int(
            n_startup_trials, "n_startup_trials", owner=_OWNER, minimum=0
        )
        self._consider_running_trials = check_bool(
            consider_running_trials, "consider_running_trials", owner=_OWNER
        )
        self._device = _check_device(device)
        self._new_caches()

    def _new_caches(self) -> None:
        self._search_space = IntersectionSearchSpace()

    @property
    def device(self) -> torch.device:
        """The device of the tensors handed to ``candidates_func``."""
        return self._device

    # -- BaseSampler ------------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._search_space.calculate(study)
        return {name: dist for name, dist in space.items() if not dist.single()}

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        complete = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if _in_space(t, search_space)
        ]
        running = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if t.number != trial.number
        ]
        if not complete or len(complete) + len(running) < self._n_startup_trials:
            return {}
        space = OneHotSpace(search_space)
        signs = np.array([1.0 if d == StudyDirection.MAXIMIZE else -1.0 for d in study.directions])
        values = _finite(signs * np.array([t.values for t in complete], dtype=float))
        con = _constraint_matrix(complete)
        pending = None
        if self._consider_running_trials:
            # a running trial's distributions are those of the parameters it has set
            pending = space.encode_trials([t for t in running if _in_space(t, search_space)])
        func = self._candidates_func or default_candidates_func(
            values.shape[1], con is not None, self._consider_running_trials
        )
        arrays = (space.encode_trials(complete), values, con, space.bounds(), pending)
        with self._lock:  # one draw of the seed, and torch's global generator, at a time
            seed = int(self._rng.integers(_SEED_BOUND))
            proposal = self._call(func, arrays, seed, space.width)
        return space.decode(proposal)

    def _why_independent(self, study: StudyView, trial: FrozenTrial, param_name: str) -> str | None:
        return None  # as Optuna's BoTorchSampler, no warning for conditional parameters

    def _trial_finished(self, study: StudyView, trial: FrozenTrial, state: TrialState) -> None:
        if self._constraints_func is not None:
            evaluate_constraints(self._constraints_func, study, trial, state, owner=_OWNER)

    def __repr__(self) -> str:
        func = self._candidates_func
        name = None if func is None else getattr(func, "__name__", repr(func))
        return (
            f"BoTorchSampler(candidates_func={name}, n_startup_trials={self._n_startup_trials}, "
            f"consider_running_trials={self._consider_running_trials}, seed={self._seed}, "
            f"device={str(self._device)!r})"
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _call(
        self,
        func: CandidatesFunc,
        arrays: tuple[FloatArray, FloatArray, FloatArray | None, FloatArray, FloatArray | None],
        seed: int,
        width: int,
    ) -> FloatArray:
        """Run ``func`` on the arrays as tensors, under a forked torch generator seeded with
        ``seed``; return its checked proposal, shape ``width``."""
        import torch

        device = self._device
        tensors = [
            None if a is None else torch.as_tensor(a, dtype=torch.float64, device=device)
            for a in arrays
        ]
        cuda = []
        if device.type == "cuda":
            cuda = [torch.cuda.current_device() if device.index is None else device.index]
        with torch.random.fork_rng(devices=cuda):
            torch.default_generator.manual_seed(seed)
            for index in cuda:
                torch.cuda.default_generators[index].manual_seed(seed)
            candidates = func(*tensors)  # type: ignore[arg-type]  # only con, pending are None
        return _checked(candidates, width)


def _in_space(trial: FrozenTrial, space: dict[str, BaseDistribution]) -> bool:
    """Whether ``trial`` has every parameter of ``space``, under the same distribution."""
    dists = trial.distributions
    return all(dists.get(name) == dist for name, dist in space.items())


def _checked(candidates: Any, width: int) -> FloatArray:
    """A candidates function's result as an array of shape ``width``, or the error naming it."""
    import torch

    wanted = f"a finite torch.Tensor of shape (1, {width}) (or ({width},))"
    if not isinstance(candidates, torch.Tensor):
        raise InvalidArgumentTypeError(
            f"The 'candidates_func' parameter of {_OWNER} must return {wanted}. Got "
            f"{type(candidates).__name__} instead."
        )
    shape = tuple(candidates.shape)
    if shape not in ((1, width), (width,)):
        raise InvalidArgumentError(
            f"The 'candidates_func' parameter of {_OWNER} must return {wanted}; one point, "
            f"as BoTorchSampler proposes one trial at a time. Got a tensor of shape {shape} "
            "instead."
        )
    proposal: FloatArray = candidates.detach().to("cpu", torch.float64).numpy().reshape(width)
    if not np.isfinite(proposal).all():
        raise InvalidArgumentError(
            f"The 'candidates_func' parameter of {_OWNER} must return {wanted}. Got "
            f"{proposal.tolist()} instead."
        )
    return proposal


def _check_device(device: Any) -> torch.device:
    import torch

    if device is None:
        return torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise invalid_argument(
            "device", device, "a torch.device, its name or None", owner=_OWNER, wrong_type=True
        )
    try:
        return torch.device(device)
    except (RuntimeError, ValueError) as err:
        raise invalid_argument(
            "device", device, "a torch.device, its name or None", owner=_OWNER
        ) from err
