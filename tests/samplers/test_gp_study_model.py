"""Tests of the adapter between a study's trials and the GP (``samplers/_gp/study_model.py``):
the training set, its encoding, the fit and the proposal that GPSampler and the branch GPs share."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import podbor
from podbor.distributions import BaseDistribution, FloatDistribution, IntDistribution
from podbor.samplers._gp.acquisition import Acquisition
from podbor.samplers._gp.proposal import propose_point
from podbor.samplers._gp.study_model import fit_model, fit_study_model
from podbor.samplers._gp.training import TrainingSet, objective_sign, space_key
from podbor.trial import FrozenTrial, TrialState, create_trial

X = FloatDistribution(0.0, 4.0)
N = IntDistribution(0, 3)


def _study(rows: list[tuple[dict[str, float], float | None]]) -> podbor.Study:
    study = podbor.create_study()
    for params, value in rows:
        dists: dict[str, BaseDistribution] = {"x": X, "n": N, "extra": X}
        state = TrialState.COMPLETE if value is not None else TrialState.FAIL
        trial = create_trial(
            params=params, distributions={k: dists[k] for k in params}, value=value, state=state
        )
        study.add_trial(trial)
    return study


def _completes(study: podbor.Study) -> list[FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def test_the_training_set_grows_by_new_trials_of_its_space_only() -> None:
    study = _study([({"x": 1.0}, 1.0), ({"n": 2}, 2.0), ({"x": 3.0}, 3.0)])
    training = TrainingSet(space_key({"x": X}), sign=-1.0)
    training.update(_completes(study))
    assert training.x.tolist() == [[0.25], [0.75]]
    assert training.y.tolist() == [-1.0, -3.0] and training.trial_numbers == [0, 2]
    study.add_trial(create_trial(params={"x": 2.0}, distributions={"x": X}, value=0.5))
    training.update(_completes(study))
    assert training.trial_numbers == [0, 2, 3] and training.whole


def test_a_trial_with_more_parameters_makes_the_set_not_whole() -> None:
    study = _study([({"x": 1.0}, 1.0), ({"x": 2.0, "extra": 1.0}, 2.0)])
    training = TrainingSet(space_key({"x": X}), sign=1.0)
    training.update(_completes(study))
    assert training.x.shape == (2, 1) and not training.whole


def test_reuse_keeps_the_set_of_the_same_space_and_sign() -> None:
    key = space_key({"x": X})
    training = TrainingSet(key, sign=1.0)
    assert TrainingSet.reuse(training, key, 1.0) is training
    assert TrainingSet.reuse(training, key, -1.0) is not training
    assert TrainingSet.reuse(training, space_key({"n": N}), 1.0) is not training
    assert TrainingSet.reuse(None, key, 1.0).key == key


def test_running_rows_take_stored_params_then_pending_proposals_in_order() -> None:
    training = TrainingSet(space_key({"x": X, "n": N}), sign=1.0)
    whole = create_trial(params={"x": 2.0, "n": 1}, distributions={"x": X, "n": N}, value=0.0)
    part = create_trial(params={"x": 2.0}, distributions={"x": X}, value=0.0)
    blank = create_trial(params={}, distributions={}, value=0.0)
    trials = []
    for number, t in enumerate([part, whole, blank, part]):
        t = copy.deepcopy(t)
        t.number = number
        trials.append(t)
    proposal = np.array([0.25, 0.75])
    rows, unknown = training.running_rows(trials, {0: proposal})
    assert rows.shape == (2, 2)
    np.testing.assert_array_equal(rows[0], proposal)  # a part only: our proposal stands for it
    np.testing.assert_array_equal(rows[1], training.running_rows([trials[1]], {})[0][0])
    assert [t.number for t in unknown] == [2, 3]
    empty, none = training.running_rows([], {})
    assert empty.shape == (0, 2) and none == []


def test_fit_study_model_needs_a_complete_trial() -> None:
    assert fit_study_model(_study([({"x": 1.0}, None)])) is None
    model = fit_study_model(_study([({"x": 1.0}, 1.0), ({"x": 3.0}, 2.0)]))
    assert model is not None and model.y_observed.tolist() == [1.0, 2.0]


def test_objective_sign_follows_the_direction() -> None:
    assert objective_sign(podbor.create_study(direction="minimize")) == -1.0
    assert objective_sign(podbor.create_study(direction="maximize")) == 1.0


@pytest.mark.parametrize("in_region", [False, True])
def test_a_proposal_avoiding_repeats_is_an_untried_grid_point(in_region: bool) -> None:
    study = _study([({"n": n}, float((n - 1) ** 2)) for n in (0, 1, 2)])
    training = TrainingSet(space_key({"n": N}), objective_sign(study))
    training.update(_completes(study))
    model = fit_model(training, deterministic=True, initial=None, warp=True)
    acq = Acquisition(model.gp, "logei", best=float(np.max(model.gp.y_train)))
    point = propose_point(
        training,
        model,
        acq,
        np.random.default_rng(0),
        x_running=training.stack([]),
        avoid_repeats=True,
        in_region=in_region,
    )
    assert point is not None
    assert training.encoder.decode(point) == {"n": 3.0}
