"""What every candidates function does around its acquisition: check and normalize the tensors,
fit the GP, maximize the acquisition, and map the winner back to the caller's bounds.

A candidates function takes ``(train_x, train_obj, train_con, bounds, pending_x)`` (see
:func:`check_problem`) and returns one point, shape ``(1, n_params)``, inside ``bounds``. The
recipes follow BoTorch's documentation: inputs scaled to the unit cube, double precision, a
:class:`~botorch.models.SingleTaskGP` with standardized outcomes fitted by maximum marginal
likelihood (``fit_gpytorch_mll``), and ``optimize_acqf`` with random restarts from the best of
a set of raw samples. Constraints are modelled as further GP outputs, one per constraint: the
model's outputs are the objectives, then the constraints (feasible where ``<= 0``).

BoTorch is imported only when a function here runs (:func:`require_botorch`).

Example:
    >>> import torch
    >>> x = torch.tensor([[0.0, 10.0], [1.0, 30.0]], dtype=torch.float64)
    >>> bounds = torch.tensor([[0.0, 10.0], [2.0, 30.0]], dtype=torch.float64)
    >>> obj = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    >>> problem = check_problem(x, obj, None, bounds, None, owner="doc", n_objectives="one")
    >>> problem.x.tolist()
    [[0.0, 0.0], [0.5, 1.0]]
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from podbor.exceptions import invalid_argument
from podbor.integration._common import require

if TYPE_CHECKING:
    import torch

__all__ = [
    "KG_FANTASIES",
    "KG_INNER_SAMPLES",
    "MC_SAMPLES",
    "NUM_RESTARTS",
    "RAW_SAMPLES",
    "Problem",
    "best_value",
    "check_problem",
    "first_output",
    "fit_gp",
    "fit_gp_list",
    "legacy_acquisition",
    "maximize",
    "mc_sampler",
    "require_botorch",
]

NUM_RESTARTS = 10
"""Starts of the acquisition's gradient-based maximization (``optimize_acqf``)."""
RAW_SAMPLES = 512
"""Quasi-random points whose best ``NUM_RESTARTS`` (in acquisition value) start it."""
MC_SAMPLES = 256
"""Quasi-Monte Carlo samples of the posterior for the ``q``-acquisitions."""
KG_FANTASIES = 32
"""Fantasized outcomes of the knowledge-gradient acquisitions."""
KG_INNER_SAMPLES = 64
"""Posterior samples of each fantasy model, where a knowledge gradient's value needs them."""
_OPTIONS: dict[str, bool | float | int | str] = {"batch_limit": 5, "maxiter": 200}

ObjectiveCount = Literal["one", "several"]


def require_botorch(owner: str) -> None:
    """Import BoTorch, or raise the ``ImportError`` that names ``pip install podbor[botorch]``.

    Example:
        >>> require_botorch("qei_candidates_func")
    """
    require("botorch", package="BoTorch", extra="botorch", owner=owner)


@dataclasses.dataclass(frozen=True)
class Problem:
    """The tensors of one call, checked, in double precision and scaled to the unit cube.

    Attributes:
        x: ``(n, d)`` observed points in ``[0, 1]``.
        obj: ``(n, m)`` objectives, to maximize.
        con: ``(n, k)`` constraints (a missing value filled in as violated), or None.
        pending: ``(p, d)`` points being evaluated, in ``[0, 1]``, or None (none, or empty).
        bounds: ``(2, d)`` the caller's bounds, to map the proposal back into.
        feasible: ``(n,)`` whether each observed point meets every constraint.
    """

    x: torch.Tensor
    obj: torch.Tensor
    con: torch.Tensor | None
    pending: torch.Tensor | None
    bounds: torch.Tensor
    feasible: torch.Tensor

    @property
    def n_objectives(self) -> int:
        """``m``."""
        return int(self.obj.shape[-1])

    @property
    def outputs(self) -> torch.Tensor:
        """``(n, m + k)`` the GP's training targets: the objectives, then the constraints."""
        import torch

        return self.obj if self.con is None else torch.cat([self.obj, self.con], dim=-1)

    def constraint_callables(self) -> list[Callable[[torch.Tensor], torch.Tensor]] | None:
        """BoTorch's form of the constraints of the ``q``-acquisitions: one function per
        constraint, of the model's samples (``... x (m + k)``), feasible where ``<= 0``; None
        when unconstrained."""
        if self.con is None:
            return None
        m = self.n_objectives
        return [_output(m + i) for i in range(int(self.con.shape[-1]))]

    def unit_bounds(self) -> torch.Tensor:
        """``(2, d)`` zeros over ones: where the acquisition is maximized."""
        import torch

        d = self.x.shape[-1]
        return torch.stack([torch.zeros(d), torch.ones(d)]).to(self.x)

    def to_bounds(self, candidates: torch.Tensor) -> torch.Tensor:
        """``(1, d)``: a unit-cube proposal mapped back into the caller's bounds."""
        from botorch.utils.transforms import unnormalize

        point = candidates.detach().reshape(1, -1).clamp(0.0, 1.0)
        return unnormalize(point, bounds=self.bounds)


def first_output(samples: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:
    """The objective out of samples of a model whose outputs are the objective, then the
    constraints (BoTorch's form of an MC objective: ``samples`` ``... x (1 + k)``)."""
    return samples[..., 0]


def _output(index: int) -> Callable[[torch.Tensor], torch.Tensor]:
    def output(samples: torch.Tensor) -> torch.Tensor:
        return samples[..., index]

    return output


def _shape(tensor: Any) -> str:
    shape = getattr(tensor, "shape", None)
    return f"<tensor of shape {tuple(shape)}>" if shape is not None else repr(type(tensor))


def check_problem(
    train_x: torch.Tensor,
    train_obj: torch.Tensor,
    train_con: torch.Tensor | None,
    bounds: torch.Tensor,
    pending_x: torch.Tensor | None,
    *,
    owner: str,
    n_objectives: ObjectiveCount,
) -> Problem:
    """Check the tensors of a candidates function and return them as a :class:`Problem`.

    Args:
        train_x: ``(n, d)`` observed points (``n >= 1``), inside ``bounds``.
        train_obj: ``(n, m)`` their objective values, to maximize (``m == 1`` for
            ``n_objectives="one"``, ``m >= 2`` for ``"several"``).
        train_con: ``(n, k)`` their constraint values (feasible where ``<= 0``; a NaN, a value
            that was not recorded, counts as violated), or None.
        bounds: ``(2, d)``: the lowest values, then the highest values of each column.
        pending_x: ``(p, d)`` points being evaluated, or None.
        owner: The candidates function, for the messages.
        n_objectives: How many objectives the function handles.

    Raises:
        ImportError: BoTorch is not installed (naming ``pip install podbor[botorch]``).
        podbor.exceptions.InvalidArgumentError: A tensor of the wrong shape (naming it).
    """
    require_botorch(owner)
    import torch
    from botorch.utils.transforms import normalize

    def bad(name: str, value: Any, allowed: str) -> Exception:
        return invalid_argument(name, _shape(value), allowed, owner=owner)

    if not isinstance(train_x, torch.Tensor) or train_x.dim() != 2 or train_x.shape[0] == 0:
        raise bad("train_x", train_x, "a tensor of shape (n_trials, n_params), n_trials >= 1")
    n, d = train_x.shape
    if not isinstance(bounds, torch.Tensor) or tuple(bounds.shape) != (2, d):
        raise bad("bounds", bounds, f"a tensor of shape (2, {d}): the lows, then the highs")
    wanted = (
        f"({n}, 1): one objective"
        if n_objectives == "one"
        else (f"({n}, n_objectives), n_objectives >= 2")
    )
    if (
        not isinstance(train_obj, torch.Tensor)
        or train_obj.dim() != 2
        or train_obj.shape[0] != n
        or (train_obj.shape[1] != 1 if n_objectives == "one" else train_obj.shape[1] < 2)
    ):
        raise bad("train_obj", train_obj, f"a tensor of shape {wanted}")
    if train_con is not None and (
        not isinstance(train_con, torch.Tensor) or train_con.dim() != 2 or train_con.shape[0] != n
    ):
        raise bad("train_con", train_con, f"None or a tensor of shape ({n}, n_constraints)")
    if pending_x is not None and (
        not isinstance(pending_x, torch.Tensor) or pending_x.dim() != 2 or pending_x.shape[1] != d
    ):
        raise bad("pending_x", pending_x, f"None or a tensor of shape (n_pending, {d})")
    device, double = train_x.device, torch.float64
    limits = bounds.to(device=device, dtype=double)
    x = normalize(train_x.to(device=device, dtype=double), bounds=limits)
    obj = train_obj.to(device=device, dtype=double)
    con = None
    if train_con is not None and train_con.shape[1] > 0:
        con = _fill_missing(train_con.to(device=device, dtype=double))
    pending = None
    if pending_x is not None and pending_x.shape[0] > 0:
        pending = normalize(pending_x.to(device=device, dtype=double), bounds=limits)
    feasible = torch.ones(n, dtype=torch.bool, device=x.device)
    if con is not None:
        feasible = (con <= 0.0).all(dim=-1)
    return Problem(x, obj, con, pending, limits, feasible)


def _fill_missing(con: torch.Tensor) -> torch.Tensor:
    """A NaN constraint value (never recorded) as a violation: one more than the largest value
    of its column, and at least 1, so that the GP still has a number to fit.

    Example:
        >>> import torch
        >>> nan = float("nan")
        >>> _fill_missing(torch.tensor([[-1.0, nan], [2.0, nan], [nan, -3.0]])).tolist()
        [[-1.0, 1.0], [2.0, 1.0], [3.0, -3.0]]
    """
    import torch

    missing = torch.isnan(con)
    if not missing.any():
        return con
    largest = torch.where(missing, torch.full_like(con, -torch.inf), con).max(dim=0).values
    penalty = largest.clamp(min=0.0) + 1.0
    return torch.where(missing, penalty.expand_as(con), con)


def fit_gp(x: torch.Tensor, y: torch.Tensor) -> Any:
    """A :class:`~botorch.models.SingleTaskGP` of ``y`` (``n x t``, one output per column, each
    standardized) on ``x``, its hyper-parameters fitted by maximum marginal likelihood."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models.gp_regression import SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    model = SingleTaskGP(x, y, outcome_transform=Standardize(m=y.shape[-1]))
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    return model


def fit_gp_list(x: torch.Tensor, y: torch.Tensor) -> Any:
    """A :class:`~botorch.models.ModelListGP`: one fitted single-output GP per column of ``y``
    (what the hypervolume knowledge gradient fantasizes with)."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models.gp_regression import SingleTaskGP
    from botorch.models.model_list_gp_regression import ModelListGP
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.mlls import SumMarginalLogLikelihood

    models = [
        SingleTaskGP(x, y[:, i : i + 1], outcome_transform=Standardize(m=1))
        for i in range(y.shape[-1])
    ]
    model = ModelListGP(*models)
    fit_gpytorch_mll(SumMarginalLogLikelihood(model.likelihood, model))
    return model


def mc_sampler(n_samples: int = MC_SAMPLES) -> Any:
    """A quasi-Monte Carlo sampler of the posterior (its seed drawn from torch's generator)."""
    import torch
    from botorch.sampling.normal import SobolQMCNormalSampler

    return SobolQMCNormalSampler(sample_shape=torch.Size([n_samples]))


@contextlib.contextmanager
def legacy_acquisition() -> Iterator[None]:
    """Build one of BoTorch's non-log acquisitions (qEI, qNEI, qEHVI, …) without its warning
    that the log variant is sturdier: the caller chose it by name, and the warning would be
    repeated at every trial."""
    from botorch.exceptions.warnings import NumericsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericsWarning)
        yield


def best_value(values: torch.Tensor, feasible: torch.Tensor) -> torch.Tensor:
    """The best (largest) of ``values`` (``n``) among the feasible points; with none feasible,
    the smallest of all, so that any feasible point improves on it.

    Example:
        >>> import torch
        >>> values = torch.tensor([3.0, 1.0, 2.0])
        >>> best_value(values, torch.tensor([False, True, True])).item()
        2.0
        >>> best_value(values, torch.tensor([False, False, False])).item()
        1.0
    """
    return values[feasible].max() if bool(feasible.any()) else values.min()


def maximize(
    acquisition: Any,
    problem: Problem,
    *,
    num_restarts: int = NUM_RESTARTS,
    raw_samples: int = RAW_SAMPLES,
) -> torch.Tensor:
    """The point ``optimize_acqf`` finds for ``acquisition`` in the unit cube, mapped back into
    the problem's bounds: shape ``(1, d)``."""
    from botorch.optim.optimize import optimize_acqf

    candidates, _ = optimize_acqf(
        acq_function=acquisition,
        bounds=problem.unit_bounds(),
        q=1,
        num_restarts=num_restarts,
        raw_samples=raw_samples,
        options=dict(_OPTIONS),
    )
    return problem.to_bounds(candidates)
