"""The single-objective candidates functions of ``BoTorchSampler``: expected improvement and
knowledge gradient, from BoTorch's acquisition functions.

Each function takes ``(train_x, train_obj, train_con, bounds, pending_x)`` and returns the next
point to evaluate, a tensor of shape ``(1, n_params)`` inside ``bounds``:

* ``train_x``: ``(n_trials, n_params)`` the complete trials' points (``BoTorchSampler`` passes
  them in ``[0, 1]``: the unit-cube encoding, categoricals one-hot);
* ``train_obj``: ``(n_trials, 1)`` their objective values, to *maximize* (the sampler negates a
  minimized objective);
* ``train_con``: ``(n_trials, n_constraints)`` their constraint values, feasible where ``<= 0``
  (a NaN, a value the trial did not record, counts as violated), or None without constraints;
* ``bounds``: ``(2, n_params)`` the lowest, then the highest value of each column;
* ``pending_x``: ``(n_pending, n_params)`` points of trials still running, or None.

Each fits a :class:`~botorch.models.SingleTaskGP` to the objective (and one more output per
constraint) and maximizes its acquisition with ``optimize_acqf`` (``problem``). The
multi-objective functions are in ``multi_objective``.

Example:
    >>> from podbor.integration.botorch import BoTorchSampler
    >>> sampler = BoTorchSampler(candidates_func=qlogei_candidates_func)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast

from podbor.integration._botorch.problem import (
    KG_FANTASIES,
    KG_INNER_SAMPLES,
    Problem,
    best_value,
    check_problem,
    first_output,
    fit_gp,
    legacy_acquisition,
    maximize,
    mc_sampler,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "logei_candidates_func",
    "qei_candidates_func",
    "qkg_candidates_func",
    "qlogei_candidates_func",
    "qnei_candidates_func",
]


# every candidates function here checks its tensors the same way, naming itself as the owner
_check = functools.partial(check_problem, n_objectives="one")


def _first_output(problem: Problem) -> Any:
    """The MC objective that reads the objective out of the model's samples when the model has
    further (constraint) outputs; None for a model of the objective alone."""
    if problem.con is None:
        return None
    from botorch.acquisition.objective import GenericMCObjective

    return GenericMCObjective(first_output)


def logei_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Log expected improvement (analytic): ``BoTorchSampler``'s default for one objective.

    BoTorch's ``LogExpectedImprovement`` over the best observed value: as expected improvement,
    but maximized in log space, where its gradient does not vanish far from the incumbent
    (Ament et al., "Unexpected improvements to expected improvement", NeurIPS 2023). With
    constraints it is ``LogConstrainedExpectedImprovement``: the improvement over the best
    *feasible* value, times the probability that every constraint holds. Being analytic, it
    ignores ``pending_x`` (:func:`qei_candidates_func` takes running trials into account).

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, 1)`` their objective values, to maximize.
        train_con: ``(n_trials, n_constraints)`` their constraints (feasible ``<= 0``), or None.
        bounds: ``(2, n_params)`` the lows and the highs of the columns.
        pending_x: Ignored.

    Returns:
        The next point, shape ``(1, n_params)``.

    Raises:
        ImportError: BoTorch is not installed.
        podbor.exceptions.InvalidArgumentError: A tensor of the wrong shape (several
            objectives, say), naming it.

    Example:
        >>> import torch
        >>> x = torch.linspace(0, 1, 5, dtype=torch.float64).unsqueeze(-1)
        >>> obj = -(x - 0.3) ** 2
        >>> bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
        >>> logei_candidates_func(x, obj, None, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(train_x, train_obj, train_con, bounds, None, owner="logei_candidates_func")
    from botorch.acquisition.analytic import (
        LogConstrainedExpectedImprovement,
        LogExpectedImprovement,
    )

    model = fit_gp(problem.x, problem.outputs)
    best = best_value(problem.obj[:, 0], problem.feasible)
    acquisition: Any
    if problem.con is None:
        acquisition = LogExpectedImprovement(model, best_f=best)
    else:
        thresholds: dict[int, tuple[float | None, float | None]] = {
            1 + i: (None, 0.0) for i in range(problem.con.shape[-1])
        }
        acquisition = LogConstrainedExpectedImprovement(
            model, best_f=best, objective_index=0, constraints=thresholds
        )
    return maximize(acquisition, problem)


def _q_improvement(problem: Problem, *, log: bool) -> torch.Tensor:
    """(Log) ``q``-expected improvement over the best feasible value, the running trials as
    pending points, the constraints by their probability of feasibility."""
    from botorch.acquisition.logei import qLogExpectedImprovement
    from botorch.acquisition.monte_carlo import qExpectedImprovement

    model = fit_gp(problem.x, problem.outputs)
    kind = qLogExpectedImprovement if log else qExpectedImprovement
    with legacy_acquisition():
        acquisition = kind(
            model,
            best_f=best_value(problem.obj[:, 0], problem.feasible),
            sampler=mc_sampler(),
            objective=_first_output(problem),
            X_pending=problem.pending,
            constraints=problem.constraint_callables(),
        )
    return maximize(acquisition, problem)


def qei_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ``q``-expected improvement: the default for one objective with
    ``consider_running_trials=True``.

    BoTorch's ``qExpectedImprovement``, estimated from quasi-random posterior samples; the
    running trials' points (``pending_x``) enter as pending, so the proposal makes up a good
    batch with them. Constraints weight each sample by a smooth indicator of feasibility, and
    the improvement is over the best feasible value. :func:`qlogei_candidates_func` is the
    numerically sturdier variant.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, 1)`` their objective values, to maximize.
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
        >>> pending = torch.tensor([[0.3]], dtype=torch.float64)
        >>> qei_candidates_func(x, -(x - 0.3) ** 2, None, bounds, pending).shape
        torch.Size([1, 1])
    """
    problem = _check(train_x, train_obj, train_con, bounds, pending_x, owner="qei_candidates_func")
    return _q_improvement(problem, log=False)


def qlogei_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ``q``-log expected improvement: :func:`qei_candidates_func` in log
    space.

    BoTorch's ``qLogExpectedImprovement`` (Ament et al., NeurIPS 2023) smooths the maximum and
    the improvement's ramp and works with their logarithm, so its gradient stays informative
    where qEI's is numerically zero. Pending points and constraints as in
    :func:`qei_candidates_func`.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, 1)`` their objective values, to maximize.
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
        >>> con = x - 0.6  # feasible for x <= 0.6
        >>> bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
        >>> qlogei_candidates_func(x, x.clone(), con, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(
        train_x, train_obj, train_con, bounds, pending_x, owner="qlogei_candidates_func"
    )
    return _q_improvement(problem, log=True)


def qnei_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ``q``-noisy expected improvement, for noisy objectives.

    BoTorch's ``qNoisyExpectedImprovement`` (Letham et al., "Constrained Bayesian optimization
    with noisy experiments", 2019) does not trust the best *observed* value: in each posterior
    sample the improvement is over the best of that sample's values at the observed points.
    Pending points and constraints as in :func:`qei_candidates_func`.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, 1)`` their objective values, to maximize.
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
        >>> qnei_candidates_func(x, -(x - 0.3) ** 2, None, bounds, None).shape
        torch.Size([1, 1])
    """
    problem = _check(train_x, train_obj, train_con, bounds, pending_x, owner="qnei_candidates_func")
    from botorch.acquisition.monte_carlo import qNoisyExpectedImprovement

    model = fit_gp(problem.x, problem.outputs)
    with legacy_acquisition():
        acquisition = qNoisyExpectedImprovement(
            model,
            X_baseline=problem.x,
            sampler=mc_sampler(),
            objective=_first_output(problem),
            X_pending=problem.pending,
            prune_baseline=True,
            constraints=problem.constraint_callables(),
        )
    return maximize(acquisition, problem)


def qkg_candidates_func(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
) -> torch.Tensor:
    """Quasi-Monte Carlo ``q``-knowledge gradient: the value of what one more point teaches.

    BoTorch's ``qKnowledgeGradient`` (one-shot form, Balandat et al., NeurIPS 2020) scores a
    point by how much the best *posterior mean* would rise once the point is observed, averaged
    over fantasized outcomes; it may propose a point that is not itself expected to be good but
    tells most about where the optimum is. With constraints, the objective of each sample is
    replaced by a feasibility-weighted one (infeasible samples cost as much as the worst
    plausible value). Slower than the expected improvements: every restart optimizes the
    fantasies' points too.

    Args:
        train_x: ``(n_trials, n_params)`` observed points.
        train_obj: ``(n_trials, 1)`` their objective values, to maximize.
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
        >>> sampler = BoTorchSampler(candidates_func=qkg_candidates_func, n_startup_trials=5)
    """
    problem = _check(train_x, train_obj, train_con, bounds, pending_x, owner="qkg_candidates_func")
    model = fit_gp(problem.x, problem.outputs)
    objective = inner = None
    constraints = problem.constraint_callables()
    if constraints is not None:
        from botorch.acquisition.objective import ConstrainedMCObjective
        from botorch.acquisition.utils import get_infeasible_cost

        cost = get_infeasible_cost(X=problem.x, model=model, objective=first_output)
        objective = ConstrainedMCObjective(first_output, constraints, infeasible_cost=cost)
        inner = mc_sampler(KG_INNER_SAMPLES)
    acquisition = _knowledge_gradient()(
        model,
        num_fantasies=KG_FANTASIES,
        objective=objective,
        inner_sampler=inner,
        X_pending=problem.pending,
    )
    return maximize(acquisition, problem)


def _knowledge_gradient() -> Any:
    """BoTorch's ``qKnowledgeGradient``, evaluated on at least two batches at a time: on a model
    with several outputs (the objective and the constraints), BoTorch 0.18 fails to reshape the
    fantasy model's posterior for a batch of one point; the second, a copy of the first, is
    dropped from the result."""
    from botorch.acquisition.knowledge_gradient import qKnowledgeGradient

    class PairedKnowledgeGradient(qKnowledgeGradient):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            if X.dim() == 2:
                X = X.unsqueeze(0)
            if X.shape[0] == 1:
                return cast("torch.Tensor", super().forward(X.expand(2, *X.shape[1:]))[:1])
            return cast("torch.Tensor", super().forward(X))

    return PairedKnowledgeGradient
