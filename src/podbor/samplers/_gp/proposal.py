"""Where the GP proposes the next point: the acquisition maximized around the best observations,
inside the trust region, with the running trials believed.

The "kriging believer" (Ginsbourger, Le Riche & Carraro 2010) conditions the GP as if each
running trial had returned the posterior mean at its point, so that parallel workers do not all
propose the same point; a worker behind trials of other processes whose parameters are not stored
yet ("blind") takes a later point of the believer's batch (:func:`propose_after_blind`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable

import numpy as np

from podbor._arrays import BoolArray, FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor.samplers._gp.model import GaussianProcess
from podbor.samplers._gp.noise_evidence import repeats_agree
from podbor.samplers._gp.optimize import AcquisitionFunction
from podbor.samplers._gp.study_model import LOCAL_JITTER, N_LOCAL_STARTS, StudyModel
from podbor.samplers._gp.training import TrainingSet
from podbor.samplers._gp.trust_region import maximize_in_region, trust_region_box

__all__ = [
    "BLIND_WINDOW",
    "MAX_BLIND",
    "avoid_repeats",
    "believe",
    "count_blind",
    "propose_after_blind",
    "propose_point",
]

BLIND_WINDOW = 32
"""How many trial numbers back a running trial without stored parameters counts as another
worker choosing its point now (older ones are more likely lost workers)."""
MAX_BLIND = 8
"""The most believer steps one proposal takes for such trials (each costs one more maximization
of the acquisition)."""


def avoid_repeats(training: TrainingSet, deterministic: bool, all_grid: bool) -> bool:
    """Whether a tried point must not be proposed again: when that cannot tell anything new.

    That is a deterministic objective (declared, or shown by repeats that gave the same values
    each time: :func:`~podbor.samplers._gp.noise_evidence.repeats_agree`), or a search space
    that is all grid (ints, steps, categoricals; ``all_grid``, as the caller judges it), where
    the acquisition otherwise keeps returning to the best point so far.
    """
    return deterministic or all_grid or repeats_agree(training.x, training.targets)


def count_blind(unknown: Iterable[FrozenTrial], number: int, known: Container[int]) -> int:
    """How many of ``unknown`` (running trials whose parameters are not stored) are *blind*:
    another worker's trial (its number not in ``known``, the trials this worker started or has a
    proposal for) at most :data:`BLIND_WINDOW` numbers before trial ``number``; at most
    :data:`MAX_BLIND`. Such a worker is most likely choosing its point from the same history now.

    Example:
        >>> from podbor.trial import create_trial
        >>> from podbor.trial import TrialState
        >>> running = [create_trial(state=TrialState.RUNNING) for _ in range(3)]
        >>> for n, t in enumerate(running):
        ...     t.number = n
        >>> count_blind(running, 3, known={1}), count_blind(running, 40, known=())
        (2, 0)
    """
    blind = sum(t.number not in known and 0 < number - t.number <= BLIND_WINDOW for t in unknown)
    return min(blind, MAX_BLIND)


def believe(gp: GaussianProcess, x_running: FloatArray) -> GaussianProcess:
    """The "kriging believer" (Ginsbourger, Le Riche & Carraro 2010): ``gp`` conditioned as if the
    running trials at ``x_running`` (``m x d``) had returned its posterior mean there, so that
    parallel workers do not all propose the same point. Returns ``gp`` itself when ``m = 0``.

    Example:
        >>> from podbor.samplers._gp.model import default_params
        >>> is_cat = np.array([False])
        >>> gp = GaussianProcess.condition(np.array([[0.2]]), np.array([1.0]), is_cat,
        ...                                default_params(is_cat))
        >>> believe(gp, np.array([[0.7]])).x_train.shape
        (2, 1)
    """
    if not x_running.size:
        return gp
    believed = gp.predict(x_running)[0]
    return GaussianProcess.condition(
        np.vstack([gp.x_train, x_running]),
        np.concatenate([gp.y_train, believed]),
        gp.is_categorical,
        gp.params,
    )


def propose_point(
    training: TrainingSet,
    model: StudyModel,
    acquisition: AcquisitionFunction,
    rng: np.random.Generator,
    *,
    x_running: FloatArray,
    avoid_repeats: bool,
    in_region: bool,
    starts: FloatArray | None = None,
    feasible: BoolArray | None = None,
    region: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray | None:
    """The point (shape ``d``) that maximizes ``acquisition``, or None if none is found.

    With ``avoid_repeats``, a point already tried or running is proposed only when the search
    finds no other (every point of a small all-grid space tried): then the best of them by
    ``acquisition``, since under noise a repeat is information, and a sampler's relative
    proposal keeps covering its search space.

    The optimizer always refines the ``N_LOCAL_STARTS`` best observations, slightly perturbed.

    Args:
        training: The training set ``model`` was fitted on.
        model: The fitted model, before any fantasies.
        acquisition: The acquisition function to maximize.
        rng: The random generator (perturbations, candidates).
        x_running: Shape ``m x d``: the running trials' points.
        avoid_repeats: Propose an observed or running point again only when no other is found.
        in_region: Search inside ``training.region`` (advanced over the new values) first.
        starts: The rows (``k x d``) to refine instead of the best observations of ``model``
            (several objectives have no single best).
        feasible: Shape ``n``: which observations satisfy the study's constraints (None: all).
            The best *feasible* observations are refined and centre the trust region; while
            none is feasible the search is not confined to a region.
        region: ``(low, high)``, a box to search first when ``in_region`` is False (several
            objectives: :func:`~podbor.samplers._gp.trust_region.front_box`).

    Example:
        >>> import podbor
        >>> from podbor.samplers._gp.study_model import fit_model
        >>> from podbor.samplers._gp.training import objective_sign, space_key
        >>> study = podbor.create_study(direction="maximize")
        >>> study.optimize(lambda t: -((t.suggest_int("n", 0, 9) - 4) ** 2), n_trials=5)
        >>> training = TrainingSet(space_key(study.trials[0].distributions), objective_sign(study))
        >>> training.update(study.trials)
        >>> model = fit_model(training, deterministic=False, initial=None, warp=True)
        >>> from podbor.samplers._gp.acquisition import Acquisition
        >>> acq = Acquisition(model.gp, "ei", best=float(model.gp.y_train.max()))
        >>> point = propose_point(training, model, acq, np.random.default_rng(0),
        ...                       x_running=training.stack([]), avoid_repeats=True, in_region=False)
        >>> training.encoder.decode(point)["n"] in range(10)
        True
    """
    n = len(training.x)
    ranked = np.argsort(-model.gp.y_train[:n])
    if feasible is not None and feasible.any():
        ranked = ranked[feasible[ranked]]
    best_rows = training.x[ranked[:N_LOCAL_STARTS]] if starts is None else starts
    jitter = rng.normal(0.0, LOCAL_JITTER, best_rows.shape) * model.dims.continuous
    exclude = np.vstack([training.x, x_running]) if avoid_repeats else None
    bounds = region
    if in_region and (feasible is None or feasible.any()):
        bounds = trust_region_box(
            training.region, model.gp, training.y, model.dims, feasible=feasible
        )
    point = maximize_in_region(
        acquisition, model.dims, rng, best_rows + jitter, exclude=exclude, bounds=bounds
    )
    if point is None and exclude is not None:  # every configuration tried: the best repeat
        point = maximize_in_region(
            acquisition, model.dims, rng, best_rows + jitter, exclude=None, bounds=bounds
        )
    return point


def propose_after_blind(
    training: TrainingSet,
    model: StudyModel,
    make_acquisition: Callable[[FloatArray], AcquisitionFunction],
    rng: np.random.Generator,
    *,
    x_running: FloatArray,
    blind: int,
    avoid_repeats: bool,
    in_region: bool,
    starts: FloatArray | None = None,
    feasible: BoolArray | None = None,
    region: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray | None:
    """The ``blind``-th point of the kriging believer's batch (the first when ``blind = 0``).

    Workers in other processes that are choosing their trials from the same history ("blind":
    running, their parameters not stored yet) would propose the same point. So the trial
    behind ``blind`` of them proposes, believes its point, and proposes again, ``blind + 1``
    times, taking the last point: each worker gets another point of one batch.

    Args:
        make_acquisition: The acquisition to maximize, given the running trials' points
            (``m x d``) to believe.
        blind: How many blind trials run ahead of this one.
        training, model, rng, x_running, avoid_repeats, in_region, starts, feasible, region: As for
            :func:`propose_point`.
    """
    point: FloatArray | None = None
    for _ in range(blind + 1):
        if point is not None:
            x_running = np.vstack([x_running, point])
        point = propose_point(
            training,
            model,
            make_acquisition(x_running),
            rng,
            x_running=x_running,
            avoid_repeats=avoid_repeats,
            in_region=in_region,
            starts=starts,
            feasible=feasible,
            region=region,
        )
        if point is None:
            break
    return point
