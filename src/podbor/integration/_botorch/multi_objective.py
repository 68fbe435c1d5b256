"""The multi-objective candidates functions of ``BoTorchSampler``: hypervolume improvement,
ParEGO's random scalarizations, and the hypervolume knowledge gradient.

They take the tensors of the single-objective functions (``candidates``), with ``train_obj``
of shape ``(n_trials, n_objectives)``, ``n_objectives >= 2``, every column to maximize. The
hypervolume is measured from a reference point a little worse than the worst point of the
feasible Pareto front in every objective (BoTorch's ``infer_reference_point``: 10 % of the
front's range below its nadir), and the region the feasible front dominates is split into
boxes (exactly up to 4 objectives, approximately beyond, BoTorch's
``get_default_partitioning_alpha``). Constraints are further GP outputs, as with one objective.

Example:
    >>> from podbor.integration.botorch import BoTorchSampler
    >>> sampler = BoTorchSampler(candidates_func=qnehvi_candidates_func)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from podbor.exceptions import invalid_argument
from podbor.integration._botorch.problem import (
    Problem,
    best_value,
    check_problem,
    fit_gp,
    fit_gp_list,
    legacy_acquisition,
    maximize,
    mc_sampler,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "ehvi_candidates_func",
    "qehvi_candidates_func",
    "qhvkg_candidates_func",
    "qlogei_parego_candidates_func",
    "qnehvi_candidates_func",
    "qparego_candidates_func",
]

_HVKG_FANTASIES = 8
_HVKG_PARETO = 10
# Every start of its one-shot optimization carries num_fantasies x num_pareto points: fewer
# starts than the other acquisitions keep a call to tens of seconds on a CPU.
_HVKG_RESTARTS = 4
_HVKG_RAW = 128


def _front(problem: Problem) -> torch.Tensor:
    """The objective values of the feasible points (of all of them while none is feasible)."""
    if bool(problem.feasible.any()):
        return problem.obj[problem.feasible]
    return problem.obj


def _reference_point(problem: Problem) -> torch.Tensor:
    """``(m,)`` the hypervolume's reference point, inferred from the (feasible) Pareto front."""
    from botorch.utils.multi_objective.hypervolume import infer_reference_point
    from botorch.utils.multi_objective.pareto import is_non_dominated

    values = _front(problem)
    return infer_reference_point(values[is_non_dominated(values)])


def _partitioning(problem: Problem, reference: torch.Tensor) -> Any:
    """The boxes of the region the feasible observed points dominate (none while no point is
    feasible), exact up to 4 objectives, approximate beyond."""
    from botorch.acquisition.multi_objective.utils import get_default_partitioning_alpha
    from botorch.utils.multi_objective.box_decompositions import (
        FastNondominatedPartitioning,
        NondominatedPartitioning,
    )

    front = problem.obj[problem.feasible]
    alpha = get_default_partitioning_alpha(problem.n_objectives)
    if alpha > 0.0:
        return NondominatedPartitioning(ref_point=reference, Y=front, alpha=alpha)
    return FastNondominatedPartitioning(ref_point=reference, Y=front)


def _objectives(problem: Problem) -> Any:
    """The MC objective that keeps the objectives of the model's samples when the model has
    further (constraint) outputs; None for a model of the objectives alone."""
    if problem.con is None:
        return None
    from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective

    return IdentityMCMultiOutputObjective(outcomes=list(range(problem.n_objectives)))


# every candidates function here checks its tensors the same way, naming itself as the owner
_check = functools.partial(check_problem, n_objectives="several")


def qehvi_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ``q``-expected hypervolume improvement: ``BoTorchSampler``'s default
    for two or three objectives.

    BoTorch's ``qExpectedHypervolumeImprovement`` (Daulton et al., NeurIPS 2020): the expected
    growth of the hypervolume the feasible Pareto front dominates, estimated from quasi-random
    posterior samples, with the running trials as pending points and each sample weighted by a
    smooth indicator of feasibility.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, n_objectives)`` their objective values, to maximize.
        train_con: ``(n_trials, n_constraints)`` their constraints (feasible ``<= 0``), or None.
        bounds: ``(2, n_params)`` the lows and the highs of the columns.
        pending_x: ``(n_pending, n_params)`` points being evaluated, or None.

    Returns:
        The next point, shape ``(1, n_params)``.

    Raises:
        ImportError: BoTorch is not installed.
        podbor.exceptions.InvalidArgumentError: A tensor of the wrong shape (one objective,
            say), naming it.

    Example:
        >>> import torch
        >>> x = torch.linspace(0, 1, 5, dtype=torch.float64).unsqueeze(-1)
        >>> obj = torch.cat([-x, x - x**2], dim=-1)
        >>> bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
        >>> qehvi_candidates_func(x, obj, x - 0.5, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(
        train_x, train_obj, train_con, bounds, pending_x, owner="qehvi_candidates_func"
    )
    from botorch.acquisition.multi_objective.monte_carlo import (
        qExpectedHypervolumeImprovement,
    )

    model = fit_gp(problem.x, problem.outputs)
    reference = _reference_point(problem)
    with legacy_acquisition():
        acquisition = qExpectedHypervolumeImprovement(
            model,
            ref_point=reference,
            partitioning=_partitioning(problem, reference),
            sampler=mc_sampler(),
            objective=_objectives(problem),
            constraints=problem.constraint_callables(),
            X_pending=problem.pending,
        )
    return maximize(acquisition, problem)


def qnehvi_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ``q``-noisy expected hypervolume improvement, for noisy objectives.

    BoTorch's ``qNoisyExpectedHypervolumeImprovement`` (Daulton et al., NeurIPS 2021): as
    :func:`qehvi_candidates_func`, but the front is not the observed one: in each posterior
    sample it is the front of that sample's values at the observed points, so a lucky
    observation does not shut a region out. Pending points and constraints as in qEHVI.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, n_objectives)`` their objective values, to maximize.
        train_con: ``(n_trials, n_constraints)`` their constraints (feasible ``<= 0``), or None.
        bounds: ``(2, n_params)`` the lows and the highs of the columns.
        pending_x: ``(n_pending, n_params)`` points being evaluated, or None.

    Returns:
        The next point, shape ``(1, n_params)``.

    Raises:
        ImportError: BoTorch is not installed.
        podbor.exceptions.InvalidArgumentError: A tensor of the wrong shape, naming it.

    Example:
        >>> import torch
        >>> x = torch.linspace(0, 1, 5, dtype=torch.float64).unsqueeze(-1)
        >>> bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
        >>> qnehvi_candidates_func(x, torch.cat([-x, x], -1), None, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(
        train_x, train_obj, train_con, bounds, pending_x, owner="qnehvi_candidates_func"
    )
    from botorch.acquisition.multi_objective.monte_carlo import (
        qNoisyExpectedHypervolumeImprovement,
    )
    from botorch.acquisition.multi_objective.utils import get_default_partitioning_alpha

    model = fit_gp(problem.x, problem.outputs)
    with legacy_acquisition():
        acquisition = qNoisyExpectedHypervolumeImprovement(
            model,
            ref_point=_reference_point(problem),
            X_baseline=problem.x,
            sampler=mc_sampler(),
            objective=_objectives(problem),
            constraints=problem.constraint_callables(),
            X_pending=problem.pending,
            prune_baseline=True,
            alpha=get_default_partitioning_alpha(problem.n_objectives),
        )
    return maximize(acquisition, problem)


def ehvi_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Expected hypervolume improvement (analytic): the default for four or more objectives
    without constraints or running trials.

    BoTorch's ``ExpectedHypervolumeImprovement`` (Emmerich et al., 2006; Yang et al., 2019)
    integrates the improvement exactly over the boxes of the non-dominated region, one
    independent GP output per objective, with no sampling. Being analytic it takes neither
    constraints nor pending points: use :func:`qehvi_candidates_func`,
    :func:`qnehvi_candidates_func` or :func:`qparego_candidates_func` for those.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, n_objectives)`` their objective values, to maximize.
        train_con: Must be None.
        bounds: ``(2, n_params)`` the lows and the highs of the columns.
        pending_x: Ignored.

    Returns:
        The next point, shape ``(1, n_params)``.

    Raises:
        ImportError: BoTorch is not installed.
        podbor.exceptions.InvalidArgumentError: ``train_con`` is given, or a tensor has the
            wrong shape, naming it.

    Example:
        >>> import torch
        >>> x = torch.linspace(0, 1, 5, dtype=torch.float64).unsqueeze(-1)
        >>> bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
        >>> ehvi_candidates_func(x, torch.cat([-x, x - x**2], -1), None, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(train_x, train_obj, None, bounds, None, owner="ehvi_candidates_func")
    if train_con is not None:
        raise invalid_argument(
            "train_con",
            f"<tensor of shape {tuple(train_con.shape)}>",
            "None: analytic EHVI takes no constraints (qehvi_candidates_func, "
            "qnehvi_candidates_func and qparego_candidates_func do)",
            owner="ehvi_candidates_func",
        )
    from botorch.acquisition.multi_objective.analytic import ExpectedHypervolumeImprovement

    model = fit_gp(problem.x, problem.obj)
    reference = _reference_point(problem)
    acquisition = ExpectedHypervolumeImprovement(
        model,
        ref_point=reference.tolist(),
        partitioning=_partitioning(problem, reference),
    )
    return maximize(acquisition, problem)


def _parego(problem: Problem, *, log: bool) -> torch.Tensor:
    """(Log) ``q``-expected improvement of a random augmented Chebyshev scalarization of the
    objectives (weights uniform on the simplex, objectives normalized by the observed range)."""
    from botorch.acquisition.logei import qLogExpectedImprovement
    from botorch.acquisition.monte_carlo import qExpectedImprovement
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization
    from botorch.utils.sampling import sample_simplex

    m = problem.n_objectives
    weights = sample_simplex(m, dtype=problem.obj.dtype, device=problem.obj.device).squeeze(0)
    scalarize = get_chebyshev_scalarization(weights=weights, Y=problem.obj)

    def scalarized(samples: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:
        return scalarize(samples[..., :m], X)

    model = fit_gp(problem.x, problem.outputs)
    kind = qLogExpectedImprovement if log else qExpectedImprovement
    with legacy_acquisition():
        acquisition = kind(
            model,
            best_f=best_value(scalarized(problem.obj), problem.feasible),
            sampler=mc_sampler(),
            objective=GenericMCObjective(scalarized),
            X_pending=problem.pending,
            constraints=problem.constraint_callables(),
        )
    return maximize(acquisition, problem)


def qparego_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ParEGO: the default for four or more objectives with constraints or
    running trials.

    ParEGO (Knowles, 2006) in its ``q``-form (Daulton et al., NeurIPS 2020): at each call a
    weight vector drawn uniformly from the simplex turns the objectives, each normalized by its
    observed range, into one augmented Chebyshev scalarization (BoTorch's
    ``get_chebyshev_scalarization``), maximized by ``qExpectedImprovement`` over its best
    feasible value. Cheap in many objectives, where hypervolume is not; pending points and
    constraints as in :func:`qehvi_candidates_func`.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, n_objectives)`` their objective values, to maximize.
        train_con: ``(n_trials, n_constraints)`` their constraints (feasible ``<= 0``), or None.
        bounds: ``(2, n_params)`` the lows and the highs of the columns.
        pending_x: ``(n_pending, n_params)`` points being evaluated, or None.

    Returns:
        The next point, shape ``(1, n_params)``.

    Raises:
        ImportError: BoTorch is not installed.
        podbor.exceptions.InvalidArgumentError: A tensor of the wrong shape, naming it.

    Example:
        >>> import torch
        >>> x = torch.linspace(0, 1, 5, dtype=torch.float64).unsqueeze(-1)
        >>> bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
        >>> qparego_candidates_func(x, torch.cat([-x, x], -1), None, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(
        train_x, train_obj, train_con, bounds, pending_x, owner="qparego_candidates_func"
    )
    return _parego(problem, log=False)


def qlogei_parego_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ParEGO with ``qLogExpectedImprovement``: :func:`qparego_candidates_func`
    with the sturdier log form of the improvement (Ament et al., NeurIPS 2023).

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, n_objectives)`` their objective values, to maximize.
        train_con: ``(n_trials, n_constraints)`` their constraints (feasible ``<= 0``), or None.
        bounds: ``(2, n_params)`` the lows and the highs of the columns.
        pending_x: ``(n_pending, n_params)`` points being evaluated, or None.

    Returns:
        The next point, shape ``(1, n_params)``.

    Raises:
        ImportError: BoTorch is not installed.
        podbor.exceptions.InvalidArgumentError: A tensor of the wrong shape, naming it.

    Example:
        >>> import torch
        >>> x = torch.linspace(0, 1, 5, dtype=torch.float64).unsqueeze(-1)
        >>> bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
        >>> obj = torch.cat([-x, x, -(x - 0.5) ** 2], -1)
        >>> qlogei_parego_candidates_func(x, obj, x - 0.8, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(
        train_x, train_obj, train_con, bounds, pending_x, owner="qlogei_parego_candidates_func"
    )
    return _parego(problem, log=True)


def qhvkg_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo hypervolume knowledge gradient: what one more point teaches about the
    front.

    BoTorch's ``qHypervolumeKnowledgeGradient`` (Daulton et al., ICML 2023) scores a point by
    how much the hypervolume of the best front the *posterior mean* can reach would grow once
    the point is observed, averaged over fantasized outcomes (one-shot optimization, one GP per
    output in a ``ModelListGP``). With constraints, each fantasy's front is weighted by a
    smooth indicator of feasibility. The slowest of the candidates functions.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, n_objectives)`` their objective values, to maximize.
        train_con: ``(n_trials, n_constraints)`` their constraints (feasible ``<= 0``), or None.
        bounds: ``(2, n_params)`` the lows and the highs of the columns.
        pending_x: ``(n_pending, n_params)`` points being evaluated, or None.

    Returns:
        The next point, shape ``(1, n_params)``.

    Raises:
        ImportError: BoTorch is not installed.
        podbor.exceptions.InvalidArgumentError: A tensor of the wrong shape, naming it.

    Example:
        >>> from podbor.integration.botorch import BoTorchSampler
        >>> sampler = BoTorchSampler(candidates_func=qhvkg_candidates_func, n_startup_trials=5)
    """
    problem = _check(
        train_x, train_obj, train_con, bounds, pending_x, owner="qhvkg_candidates_func"
    )
    from botorch.acquisition.multi_objective.hypervolume_knowledge_gradient import (
        qHypervolumeKnowledgeGradient,
    )

    m = problem.n_objectives
    objective = None
    if problem.con is None:
        model = fit_gp_list(problem.x, problem.obj)
    else:
        import torch
        from botorch.acquisition.multi_objective.objective import (
            FeasibilityWeightedMCMultiOutputObjective,
            IdentityMCMultiOutputObjective,
        )

        # BoTorch's feasibility weighting reads a positive output as feasible
        model = fit_gp_list(problem.x, torch.cat([problem.obj, -problem.con], dim=-1))
        objective = FeasibilityWeightedMCMultiOutputObjective(
            model,
            X_baseline=problem.x,
            constraint_idcs=list(range(m, m + int(problem.con.shape[-1]))),
            objective=IdentityMCMultiOutputObjective(outcomes=list(range(m))),
        )
    acquisition = qHypervolumeKnowledgeGradient(
        model,
        ref_point=_reference_point(problem),
        num_fantasies=_HVKG_FANTASIES,
        num_pareto=_HVKG_PARETO,
        objective=objective,
        X_pending=problem.pending,
    )
    return maximize(acquisition, problem, num_restarts=_HVKG_RESTARTS, raw_samples=_HVKG_RAW)
