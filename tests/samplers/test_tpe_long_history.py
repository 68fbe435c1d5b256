"""TPE on a long history: what keeps its time per trial flat at 10⁴-10⁵ trials.

The ranking is kept and new trials are inserted into it; the bad trials' estimator has at most
``max_kernels`` kernels, thinned by weight (``thin_kernels``); ``AutoSampler`` (the default) sets
the cap. The time itself is measured by ``benchmarks/scale.py --default-sampler``, not here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import podbor
from podbor import _hypervolume
from podbor.distributions import FloatDistribution
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import AutoSampler, TPESampler
from podbor.samplers._auto import TPE_MAX_KERNELS
from podbor.samplers._tpe import default_weights
from podbor.samplers._tpe import sampler as tpe_sampler
from podbor.samplers._tpe._history import History
from podbor.samplers._tpe.parzen import thin_kernels
from podbor.study import StudyDirection
from podbor.trial import TrialState, create_trial

X = FloatDistribution(0.0, 1.0)


def _add(study: podbor.Study, rng: np.random.Generator, n: int) -> None:
    """``n`` finished trials: complete, pruned at various steps, some infeasible, tied values."""
    for _ in range(n):
        x = float(rng.random())
        kind = rng.integers(4)
        attrs = {"constraints": [float(rng.normal())]} if kind == 3 else {}
        if kind == 1:
            steps = {int(s): float(rng.integers(3)) for s in range(int(rng.integers(0, 3)))}
            trial = create_trial(
                state=TrialState.PRUNED,
                params={"x": x},
                distributions={"x": X},
                intermediate_values=steps,
                system_attrs=attrs,
            )
        else:
            value = float(rng.integers(5))  # ties: the trial number decides
            trial = create_trial(
                params={"x": x}, distributions={"x": X}, value=value, system_attrs=attrs
            )
        study.add_trial(trial)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_ranking_kept_up_to_date_equals_a_fresh_one(direction: str) -> None:
    rng = np.random.default_rng(0)
    study = podbor.create_study(direction=direction)
    kept = History()
    for batch in (30, 1, 1, 5, 70, 2, 1):  # one trial, a few, and more than an insertion takes
        _add(study, rng, batch)
        kept.update(study)
        fresh = History()
        fresh.update(study)
        assert kept.order().tolist() == fresh.order().tolist()
        valid = rng.random(len(kept)) < 0.8
        for got, expected in zip(
            kept.split(valid, lambda n: n // 4), fresh.split(valid, lambda n: n // 4)
        ):
            assert got.tolist() == expected.tolist()
    # the split: the best quarter of the valid trials, then the rest, each in number order
    below, above = kept.split(valid, lambda n: n // 4)
    ranks = kept.ranks()
    assert set(below.tolist()) | set(above.tolist()) == set(np.flatnonzero(valid).tolist())
    assert ranks[below].max() < ranks[above].min()
    assert np.all(np.diff(kept.numbers[above]) > 0) and np.all(np.diff(kept.numbers[below]) > 0)


def test_thinning_keeps_the_total_weight_and_favours_heavy_kernels() -> None:
    weights = default_weights(10_000)
    kept, shares = thin_kernels(np.arange(10_000), weights, 1_000)
    assert len(kept) <= 1_000 and np.all(np.diff(kept) > 0)
    assert shares.sum() == pytest.approx(weights.sum())
    # the linear forgetting survives: the newest half (3/4 of the weight) keeps ~3/4 of kernels
    assert np.sum(kept >= 5_000) == pytest.approx(750, abs=5)
    # nothing to thin: unchanged
    same, same_weights = thin_kernels(np.arange(5), np.ones(5), 5)
    assert same.tolist() == [0, 1, 2, 3, 4] and same_weights.tolist() == [1.0] * 5
    # a weight of zero is never kept
    zero, _ = thin_kernels(np.arange(4), np.array([0.0, 0.0, 1.0, 1.0]), 2)
    assert zero.tolist() == [2, 3]


def _proposals(max_kernels: int | None, n_history: int) -> list[float]:
    rng = np.random.default_rng(1)
    study = podbor.create_study(sampler=TPESampler(seed=3, max_kernels=max_kernels))
    for x in rng.random(n_history):
        study.add_trial(create_trial(params={"x": x}, distributions={"x": X}, value=(x - 0.3) ** 2))
    out = []
    for _ in range(5):
        trial = study.ask()
        out.append(trial.suggest_float("x", 0.0, 1.0))
        study.tell(trial, (out[-1] - 0.3) ** 2)
    return out


def test_a_cap_above_the_history_changes_nothing_and_a_low_one_still_learns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _proposals(None, 200) == _proposals(10_000, 200)
    sizes: list[int] = []
    real = tpe_sampler.ParzenEstimator

    def spy(*args: Any, **kwargs: Any) -> Any:
        estimator = real(*args, **kwargs)
        sizes.append(estimator.n_components)
        return estimator

    monkeypatch.setattr(tpe_sampler, "ParzenEstimator", spy)
    capped = _proposals(50, 400)
    # 25 good trials (+ the prior), and 375-380 bad ones thinned to at most 50 (+ the prior)
    assert sizes[0::2] == [26] * 5 and all(40 <= m <= 51 for m in sizes[1::2])
    assert all(abs(x - 0.3) < 0.05 for x in capped)  # and it still closes in on the optimum
    sizes.clear()
    _proposals(None, 400)
    assert sizes[1::2] == [376, 377, 378, 379, 380]


@pytest.mark.parametrize("bad", [0, -1, 2.5, "1000", True])
def test_a_bad_cap_is_refused_by_name(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match="max_kernels"):
        TPESampler(max_kernels=bad)  # type: ignore[arg-type]


def test_the_default_sampler_caps_its_tpe() -> None:
    sampler = AutoSampler(seed=0)
    assert sampler._tpe._max_kernels == TPE_MAX_KERNELS == 1000
    assert AutoSampler(max_tpe_kernels=None)._tpe._max_kernels is None
    assert TPESampler()._max_kernels is None  # TPESampler itself: Optuna's behaviour
    for bad in (0, -5, 1.5, "10", True):
        with pytest.raises(InvalidArgumentError, match="max_tpe_kernels"):
            AutoSampler(max_tpe_kernels=bad)  # type: ignore[arg-type]


def test_several_objectives_still_rank_by_fronts() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    for a, b in [(1.0, 2.0), (2.0, 1.0), (3.0, 3.0), (0.5, 5.0), (2.0, 2.0)]:
        study.add_trial(create_trial(params={"x": a / 5}, distributions={"x": X}, values=[a, b]))
    history = History()
    history.update(study)
    assert history.directions == (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE)
    ranked = history.numbers[history.order()].tolist()
    assert set(ranked[:3]) == {0, 1, 3} and ranked[3:] == [4, 2]  # front 0, then 1, then 2
    dominant = create_trial(params={"x": 0.1}, distributions={"x": X}, values=[0.1, 0.1])
    study.add_trial(dominant)  # dominates every other: all fronts move, the ranking is redone
    history.update(study)
    assert history.numbers[history.order()].tolist()[0] == 5


def test_a_long_multi_objective_history_sorts_only_the_best_fronts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past 2,000 trials the fronts are peeled one by one and only as far as the split needs;
    the good trials are exactly those of a full non-dominated sort."""
    rng = np.random.default_rng(5)
    values = np.round(rng.random((2_500, 2)), 3)  # rounded: ties and duplicates
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.add_trials(
        [create_trial(params={"x": 0.5}, distributions={"x": X}, values=[a, -b]) for a, b in values]
    )
    history = History()
    history.update(study)
    valid = rng.random(2_500) < 0.9
    below, _ = history.split(valid, lambda n: 25)
    fronts = _hypervolume._dense_ranks(values)  # the whole dominance matrix: the oracle
    rank_sum = np.argsort(np.argsort(values, axis=0, kind="stable"), axis=0).sum(axis=1)
    expected = np.lexsort((np.arange(2_500), rank_sum, fronts))
    expected = np.sort(expected[valid[expected]][:25])
    assert history.numbers[below].tolist() == expected.tolist()

    def dense_is_gone(_: Any) -> Any:
        raise AssertionError("the whole dominance matrix was built")

    monkeypatch.setattr(_hypervolume, "_dense_ranks", dense_is_gone)
    history.split(valid, lambda n: 25)  # 2,500 points: front by front
