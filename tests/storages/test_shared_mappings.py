"""Finished trials share their distributions and empty mappings (issue 21: a 10⁵-trial study
loads in a third of Optuna's memory): what is shared is read-only, its copies are plain dicts,
and every public read that copies still hands out independent, writable mappings."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

import podbor
from podbor.distributions import FloatDistribution
from podbor.storages import InMemoryStorage, JournalStorage
from podbor.storages._journal import _keeper as snapshot_policy
from podbor.storages._journal import _snapshot
from podbor.storages._shared import EMPTY, SharedMapping, SharedPool
from podbor.storages.journal import JournalFileBackend
from podbor.trial import TrialState


def _objective(trial: podbor.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.suggest_categorical("branch", ["a", "b"]) == "a":
        x += trial.suggest_int("k", 0, 3)
    if trial.number % 5 == 0:
        trial.set_user_attr("note", "five")
    return x


@pytest.fixture(params=["memory", "journal", "journal reopened", "journal from its snapshot"])
def study(request: pytest.FixtureRequest, tmp_path: Path) -> podbor.Study:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    storage: podbor.storages.BaseStorage
    if request.param == "memory":
        storage = InMemoryStorage()
    else:
        storage = JournalStorage(JournalFileBackend(str(tmp_path / "j.log")))
    study = podbor.create_study(storage=storage, sampler=podbor.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=40)
    study.enqueue_trial({"x": 0.5})  # WAITING: unfinished, keeps its own mappings
    if request.param.startswith("journal "):
        path = str(tmp_path / "j.log")
        if request.param.endswith("snapshot"):  # a full replay leaves a snapshot; read it back
            monkeypatch = request.getfixturevalue("monkeypatch")
            monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
            JournalStorage(JournalFileBackend(path))
            assert Path(_snapshot.snapshot_path(path)).exists()
            monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)  # read, write none
        storage = JournalStorage(JournalFileBackend(path))
        return podbor.load_study(study_name=study.study_name, storage=storage)
    return study


def test_finished_trials_share_one_mapping_per_search_space(study: podbor.Study) -> None:
    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    spaces = {id(t.distributions) for t in finished}
    assert len(spaces) == 2  # the two branches' spaces
    assert all(type(t.distributions) is SharedMapping for t in finished)
    assert all(t.intermediate_values is EMPTY for t in finished)
    noted = [t for t in finished if t.user_attrs]
    assert [t.number for t in noted] == list(range(0, 40, 5))
    assert all(t.user_attrs is EMPTY for t in finished if t.number % 5)
    (waiting,) = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    assert type(waiting.user_attrs) is dict and type(waiting.distributions) is dict


def test_shared_mappings_refuse_changes_and_name_the_way_out(study: podbor.Study) -> None:
    trial = study.get_trials(deepcopy=False)[1]
    before = [t.distributions for t in study.get_trials(deepcopy=False)]
    changes = [
        lambda: trial.distributions.__setitem__("y", FloatDistribution(0, 1)),
        lambda: trial.distributions.pop("x"),
        lambda: trial.distributions.update({"y": FloatDistribution(0, 1)}),
        lambda: trial.distributions.clear(),
        lambda: trial.user_attrs.setdefault("a", 1),
        lambda: trial.intermediate_values.popitem(),
        lambda: trial.set_user_attr("a", 1),
        lambda: trial.intermediate_values.__delitem__(0),
    ]
    for change in changes:
        with pytest.raises(TypeError, match=r"copy\.deepcopy\(trial\)"):
            change()
    with pytest.raises(TypeError, match="shared"):
        trial.distributions |= {}
    assert [t.distributions for t in study.get_trials(deepcopy=False)] == before
    assert EMPTY == {}


def test_copies_are_plain_writable_and_independent(study: podbor.Study) -> None:
    stored = study.get_trials(deepcopy=False)[1]
    for trial in (study.trials[1], copy.deepcopy(stored), study.get_trials(deepcopy=True)[1]):
        assert trial == stored
        for mapping in (trial.distributions, trial.user_attrs, trial.intermediate_values):
            assert type(mapping) is dict
        trial.distributions["y"] = FloatDistribution(0, 1)
        trial.set_user_attr("a", 1)
        trial.intermediate_values[3] = 1.0
    assert "y" not in stored.distributions and not stored.user_attrs
    assert all("y" not in t.distributions for t in study.get_trials(deepcopy=False))
    shared = stored.distributions
    for plain in (
        dict(shared),
        shared.copy(),
        copy.copy(shared),
        pickle.loads(pickle.dumps(shared)),
    ):
        assert type(plain) is dict and plain == shared
        plain["y"] = 1
    revived = pickle.loads(pickle.dumps(stored))
    assert revived == stored and type(revived.distributions) is dict
    revived.set_user_attr("a", 1)  # a trial sent to another process is an ordinary copy


def test_a_study_with_shared_mappings_reads_and_writes_as_before(study: podbor.Study) -> None:
    best = study.best_trial
    assert best.params == study.best_params
    study.optimize(_objective, n_trials=5)  # the WAITING trial runs, then new ones
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 45
    ran = study.get_trials(deepcopy=False)[40]
    assert ran.params["x"] == 0.5 and type(ran.distributions) is SharedMapping
    assert repr(EMPTY) == "{}" and repr(ran.distributions).startswith("{'x': FloatDistribution")


def test_the_pool_stops_sharing_rather_than_growing_with_the_history() -> None:
    pool = SharedPool(limit=3)
    same = {"x": FloatDistribution(0, 1)}
    first = pool.share(same)
    assert type(first) is SharedMapping and pool.share(dict(same)) is first
    assert pool.share(first) is first and pool.share({}) is EMPTY
    own = [{"x": FloatDistribution(0, 1)} for _ in range(5)]  # new objects each time
    shared = [pool.share(d) for d in own]
    assert [type(m) is SharedMapping for m in shared] == [True, True, False, False, False]
    assert shared[2] is own[2]  # kept as it was once the pool is full
