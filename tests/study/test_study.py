"""Tests of ``Study`` and of the functions that create, load, copy and delete studies."""

from __future__ import annotations

from typing import Any

import pytest

import podbor
from podbor import StudyDirection
from podbor.distributions import FloatDistribution, IntDistribution
from podbor.exceptions import DuplicatedStudyError, StudyNotFoundError
from podbor.storages import InMemoryStorage
from podbor.trial import TrialState, create_trial


def _enqueued(study: podbor.Study, xs: list[float]) -> None:
    for x in xs:
        study.enqueue_trial({"x": x})


def _x(trial: podbor.Trial) -> float:
    return trial.suggest_float("x", -10, 10)


# -- create_study -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        pytest.param("minimize", StudyDirection.MINIMIZE, id="minimize"),
        pytest.param("maximize", StudyDirection.MAXIMIZE, id="maximize"),
        pytest.param("MAXIMIZE", StudyDirection.MAXIMIZE, id="upper-case"),
        pytest.param(StudyDirection.MINIMIZE, StudyDirection.MINIMIZE, id="enum-minimize"),
        pytest.param(StudyDirection.MAXIMIZE, StudyDirection.MAXIMIZE, id="enum-maximize"),
        pytest.param(None, StudyDirection.MINIMIZE, id="default"),
    ],
)
def test_create_study_direction(direction: Any, expected: StudyDirection) -> None:
    study = podbor.create_study(direction=direction)
    assert study.direction == expected
    assert study.directions == [expected]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"direction": "min"}, "direction", id="unknown-string"),
        pytest.param({"direction": StudyDirection.NOT_SET}, "direction", id="not-set"),
        pytest.param({"direction": 1}, "direction", id="an-int"),
        pytest.param({"direction": ""}, "direction", id="empty-string"),
        pytest.param({"directions": ["minimize", "up"]}, "directions", id="unknown-in-list"),
        pytest.param({"directions": []}, "directions", id="empty-list"),
        pytest.param({"directions": "minimize"}, "directions", id="a-string"),
        pytest.param(
            {"direction": "minimize", "directions": ["minimize"]}, "direction", id="both-given"
        ),
    ],
)
def test_create_study_rejects_bad_directions(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(ValueError, match=f"The '{argument}' parameter of create_study"):
        podbor.create_study(**kwargs)


def test_both_direction_and_directions_says_to_pass_one() -> None:
    with pytest.raises(ValueError, match="'directions'"):
        podbor.create_study(direction="minimize", directions=["minimize", "maximize"])


def test_duplicate_name_raises() -> None:
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="s")
    with pytest.raises(DuplicatedStudyError, match="'s'"):
        podbor.create_study(storage=storage, study_name="s")


def test_load_if_exists_returns_the_existing_study() -> None:
    storage = InMemoryStorage()
    first = podbor.create_study(storage=storage, study_name="s", direction="maximize")
    first.optimize(_x, n_trials=3)
    again = podbor.create_study(storage=storage, study_name="s", load_if_exists=True)
    assert again.direction == StudyDirection.MAXIMIZE  # no direction given: the stored one
    assert len(again.trials) == 3
    same = podbor.create_study(
        storage=storage, study_name="s", direction="maximize", load_if_exists=True
    )
    assert len(same.trials) == 3
    assert podbor.get_all_study_names(storage) == ["s"]


def test_load_if_exists_with_another_direction_raises() -> None:
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="s", direction="maximize")
    with pytest.raises(ValueError, match="MAXIMIZE") as info:
        podbor.create_study(
            storage=storage, study_name="s", direction="minimize", load_if_exists=True
        )
    assert "MINIMIZE" in str(info.value)


def test_generated_names_are_unique() -> None:
    storage = InMemoryStorage()
    a = podbor.create_study(storage=storage)
    b = podbor.create_study(storage=storage)
    assert a.study_name != b.study_name
    assert a.study_name.startswith("no-name-")


@pytest.mark.parametrize(
    "storage",
    [pytest.param(42, id="an-int"), pytest.param(object(), id="an-object")],
)
def test_unsupported_storage_raises(storage: Any) -> None:
    with pytest.raises(ValueError, match="'storage'"):
        podbor.create_study(storage=storage)


# -- load, delete, copy, list -------------------------------------------------------------------
def test_load_study_sees_the_same_trials() -> None:
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="s").optimize(_x, n_trials=2)
    loaded = podbor.load_study(study_name="s", storage=storage)
    assert loaded.study_name == "s"
    assert len(loaded.trials) == 2


def test_load_study_not_found_lists_existing_names() -> None:
    storage = InMemoryStorage()
    for name in ("beta", "alpha"):
        podbor.create_study(storage=storage, study_name=name)
    with pytest.raises(StudyNotFoundError) as info:
        podbor.load_study(study_name="gamma", storage=storage)
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert "'gamma'" in message
    assert "['alpha', 'beta']" in message


def test_load_study_without_a_name_takes_the_only_study() -> None:
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="only")
    assert podbor.load_study(study_name=None, storage=storage).study_name == "only"


@pytest.mark.parametrize("n_studies", [0, 2], ids=["no-study", "two-studies"])
def test_load_study_without_a_name_needs_exactly_one_study(n_studies: int) -> None:
    storage = InMemoryStorage()
    for i in range(n_studies):
        podbor.create_study(storage=storage, study_name=f"s{i}")
    with pytest.raises(ValueError, match="'study_name'"):
        podbor.load_study(study_name=None, storage=storage)


def test_delete_study() -> None:
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="a").optimize(_x, n_trials=2)
    podbor.create_study(storage=storage, study_name="b")
    podbor.delete_study(study_name="a", storage=storage)
    assert podbor.get_all_study_names(storage) == ["b"]
    with pytest.raises(KeyError):
        podbor.load_study(study_name="a", storage=storage)
    with pytest.raises(KeyError):
        podbor.delete_study(study_name="a", storage=storage)
    podbor.create_study(storage=storage, study_name="a")  # the name is free again


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
@pytest.mark.parametrize("to_name", [None, "copy"], ids=["same-name", "new-name"])
def test_copy_study_between_storages(to_name: str | None) -> None:
    source_storage, target_storage = InMemoryStorage(), InMemoryStorage()
    source = podbor.create_study(storage=source_storage, study_name="src", direction="maximize")
    source.set_user_attr("dataset", "diabetes")
    source.set_metric_names(["r2"])

    def objective(trial: podbor.Trial) -> float:
        x = _x(trial)
        trial.set_user_attr("twice", 2 * x)
        trial.report(x, 0)
        if trial.number == 2:
            raise podbor.TrialPruned()
        return x

    source.optimize(objective, n_trials=5)
    source.enqueue_trial({"x": 1.0})
    podbor.copy_study(
        from_study_name="src",
        from_storage=source_storage,
        to_storage=target_storage,
        to_study_name=to_name,
    )
    target = podbor.load_study(study_name=to_name or "src", storage=target_storage)
    assert target.directions == source.directions
    assert target.user_attrs == {"dataset": "diabetes"}
    assert target.metric_names == ["r2"]
    copied, original = target.trials, source.trials
    assert len(copied) == 6
    for a, b in zip(copied, original):
        assert (a.number, a.state, a.values, a.params) == (b.number, b.state, b.values, b.params)
        assert (a.distributions, a.user_attrs) == (b.distributions, b.user_attrs)
        assert (a.system_attrs, a.intermediate_values) == (b.system_attrs, b.intermediate_values)
        assert (a.datetime_start, a.datetime_complete) == (b.datetime_start, b.datetime_complete)
    assert target.best_trial.number == source.best_trial.number
    assert podbor.get_all_study_names(source_storage) == ["src"]
    target.optimize(_x, n_trials=1)  # the enqueued trial is waiting in the copy too
    assert target.trials[5].params == {"x": 1.0}
    assert len(source.trials) == 6


def test_copy_study_refuses_an_existing_target_name() -> None:
    source_storage, target_storage = InMemoryStorage(), InMemoryStorage()
    podbor.create_study(storage=source_storage, study_name="s")
    podbor.create_study(storage=target_storage, study_name="s")
    with pytest.raises(DuplicatedStudyError):
        podbor.copy_study(
            from_study_name="s", from_storage=source_storage, to_storage=target_storage
        )


def test_get_all_study_names() -> None:
    storage = InMemoryStorage()
    assert podbor.get_all_study_names(storage) == []
    for name in ("one", "two", "three"):
        podbor.create_study(storage=storage, study_name=name)
    assert podbor.get_all_study_names(storage) == ["one", "two", "three"]


def test_get_all_study_summaries() -> None:
    storage = InMemoryStorage()
    done = podbor.create_study(storage=storage, study_name="done", direction="maximize")
    _enqueued(done, [1.0, 5.0, 3.0])
    done.optimize(_x, n_trials=3)
    done.set_user_attr("k", "v")
    podbor.create_study(storage=storage, study_name="empty")
    failed = podbor.create_study(storage=storage, study_name="failed")
    failed.optimize(lambda t: 1 / 0, n_trials=1, catch=ZeroDivisionError)
    multi = podbor.create_study(storage=storage, study_name="multi", directions=["minimize"] * 2)
    multi.optimize(lambda t: (1.0, 2.0), n_trials=2)

    summaries = {s.study_name: s for s in podbor.get_all_study_summaries(storage)}
    assert list(summaries) == ["done", "empty", "failed", "multi"]
    assert summaries["done"].n_trials == 3
    assert summaries["done"].direction == StudyDirection.MAXIMIZE
    assert summaries["done"].user_attrs == {"k": "v"}
    best = summaries["done"].best_trial
    assert best is not None and (best.number, best.value) == (1, 5.0)
    assert summaries["done"].datetime_start == done.trials[0].datetime_start
    assert (summaries["empty"].n_trials, summaries["empty"].best_trial) == (0, None)
    assert summaries["empty"].datetime_start is None
    assert (summaries["failed"].n_trials, summaries["failed"].best_trial) == (1, None)
    assert summaries["multi"].n_trials == 2
    assert summaries["multi"].best_trial is None
    assert summaries["multi"].directions == [StudyDirection.MINIMIZE] * 2
    no_best = podbor.get_all_study_summaries(storage, include_best_trial=False)
    assert all(s.best_trial is None for s in no_best)


# -- best trial -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("direction", "best_number", "best_x"),
    [
        pytest.param("minimize", 1, -2.0, id="minimize"),
        pytest.param("maximize", 3, 7.0, id="maximize"),
    ],
)
def test_best_trial_value_and_params(direction: str, best_number: int, best_x: float) -> None:
    study = podbor.create_study(direction=direction)
    _enqueued(study, [3.0, -2.0, 0.5, 7.0, 1.0])
    study.optimize(_x, n_trials=5)
    assert study.best_trial.number == best_number
    assert study.best_value == best_x
    assert study.best_params == {"x": best_x}


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_pruned_and_failed_trials_are_never_best(direction: str) -> None:
    study = podbor.create_study(direction=direction)

    def objective(trial: podbor.Trial) -> float:
        if trial.number == 1:
            trial.report(-1e9 if direction == "minimize" else 1e9, 0)
            raise podbor.TrialPruned()
        if trial.number == 2:
            raise ValueError
        return 1.0

    study.optimize(objective, n_trials=3, catch=ValueError)
    assert study.best_trial.number == 0
    assert study.best_value == 1.0


def test_ties_keep_the_first_best() -> None:
    study = podbor.create_study()
    study.optimize(lambda t: 1.0, n_trials=3)
    assert study.best_trial.number == 0


@pytest.mark.parametrize(
    "history",
    [
        pytest.param([], id="no-trial"),
        pytest.param([TrialState.FAIL], id="only-failed"),
        pytest.param([TrialState.PRUNED], id="only-pruned"),
        pytest.param([TrialState.RUNNING], id="only-running"),
    ],
)
def test_best_trial_before_any_completion_raises(history: list[TrialState]) -> None:
    study = podbor.create_study()
    for state in history:
        trial = study.ask()
        if state != TrialState.RUNNING:
            study.tell(trial, state=state)
    for attribute in ("best_trial", "best_value", "best_params"):
        with pytest.raises(ValueError):
            getattr(study, attribute)


def test_best_trial_is_a_copy() -> None:
    study = podbor.create_study()
    study.optimize(_x, n_trials=2)
    study.best_trial.params["x"] = 99.0
    assert study.best_params["x"] != 99.0


# -- attributes ----------------------------------------------------------------------------------
def test_user_attrs() -> None:
    storage = InMemoryStorage()
    study = podbor.create_study(storage=storage, study_name="s")
    assert study.user_attrs == {}
    study.set_user_attr("dataset", "diabetes")
    study.set_user_attr("folds", [1, 2, 3])
    assert study.user_attrs == {"dataset": "diabetes", "folds": [1, 2, 3]}
    assert podbor.load_study(study_name="s", storage=storage).user_attrs == study.user_attrs
    study.user_attrs["folds"].append(4)  # a copy
    assert study.user_attrs["folds"] == [1, 2, 3]


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
def test_set_metric_names() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    assert study.metric_names is None
    study.set_metric_names(["loss", "accuracy"])
    assert study.metric_names == ["loss", "accuracy"]


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
def test_set_metric_names_needs_one_per_objective() -> None:
    study = podbor.create_study()
    with pytest.raises(ValueError, match=r"'metric_names' parameter of Study.set_metric_names"):
        study.set_metric_names(["a", "b"])


# -- enqueue_trial ---------------------------------------------------------------------------------
def test_enqueued_params_are_used_in_order() -> None:
    study = podbor.create_study()
    study.enqueue_trial({"x": 0.25, "n": 3})
    study.enqueue_trial({"x": 0.75, "n": 1})
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 5), n_trials=3)
    trials = study.trials
    assert trials[0].params == {"x": 0.25, "n": 3}
    assert trials[1].params == {"x": 0.75, "n": 1}
    assert trials[0].distributions == {"x": FloatDistribution(0, 1), "n": IntDistribution(0, 5)}
    assert 0 <= trials[2].params["x"] <= 1


def test_unspecified_params_are_sampled() -> None:
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"x": 0.5})
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 10, 20), n_trials=1)
    params = study.trials[0].params
    assert params["x"] == 0.5
    assert 10 <= params["y"] <= 20


def test_enqueued_trial_is_waiting_until_asked() -> None:
    study = podbor.create_study()
    study.enqueue_trial({"x": 0.5})
    (waiting,) = study.get_trials(states=(TrialState.WAITING,))
    assert waiting.datetime_start is None
    trial = study.ask()
    assert trial.number == 0
    assert trial.suggest_float("x", 0, 1) == 0.5


def test_enqueued_value_outside_the_range_is_used_with_a_warning() -> None:
    study = podbor.create_study()
    study.enqueue_trial({"x": 5.0})
    trial = study.ask()
    with pytest.warns(UserWarning, match="lies outside"):
        assert trial.suggest_float("x", 0, 1) == 5.0


def test_enqueue_with_user_attrs() -> None:
    study = podbor.create_study()
    study.enqueue_trial({"x": 0.1}, user_attrs={"source": "paper"})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].user_attrs == {"source": "paper"}


def test_enqueue_skip_if_exists() -> None:
    study = podbor.create_study()
    study.enqueue_trial({"x": 0.5})
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)  # waiting already
    assert len(study.trials) == 1
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)  # finished already
    assert len(study.trials) == 1
    study.enqueue_trial({"x": 0.25}, skip_if_exists=True)
    study.enqueue_trial({"x": 0.5})  # without the flag a duplicate is queued
    assert len(study.trials) == 3


def test_enqueue_needs_a_dict() -> None:
    study = podbor.create_study()
    with pytest.raises(TypeError, match=r"'params' parameter of Study.enqueue_trial"):
        study.enqueue_trial([("x", 1.0)])  # type: ignore[arg-type]


# -- add_trial -------------------------------------------------------------------------------------
def test_add_trial_and_add_trials() -> None:
    study = podbor.create_study()
    dist = {"x": FloatDistribution(0, 10)}
    study.add_trial(create_trial(params={"x": 3.0}, distributions=dist, value=9.0))
    study.add_trials(
        [
            create_trial(params={"x": 1.0}, distributions=dist, value=1.0),
            create_trial(state=TrialState.FAIL),
            create_trial(params={"x": 2.0}, distributions=dist, value=4.0),
        ]
    )
    assert [t.number for t in study.trials] == [0, 1, 2, 3]
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]
    assert study.best_trial.number == 1
    assert study.best_params == {"x": 1.0}


@pytest.mark.parametrize(
    ("directions", "values"),
    [
        pytest.param(["minimize"], [1.0, 2.0], id="two-values-one-objective"),
        pytest.param(["minimize", "maximize"], [1.0], id="one-value-two-objectives"),
        pytest.param(["minimize"] * 3, [1.0, 2.0], id="two-values-three-objectives"),
    ],
)
def test_add_trial_checks_the_number_of_values(directions: list[str], values: list[float]) -> None:
    study = podbor.create_study(directions=directions)
    with pytest.raises(ValueError, match=r"'trial' parameter of Study.add_trial"):
        study.add_trial(create_trial(values=values))
    assert study.trials == []


def test_add_trial_with_as_many_values_as_objectives() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.add_trial(create_trial(values=[1.0, 2.0]))
    assert study.trials[0].values == [1.0, 2.0]


def test_add_trial_validates_the_record() -> None:
    study = podbor.create_study()
    trial = create_trial(value=1.0)
    trial.state = TrialState.COMPLETE
    trial.values = None
    with pytest.raises(ValueError, match="COMPLETE"):
        study.add_trial(trial)


def test_add_trial_checks_distribution_compatibility() -> None:
    study = podbor.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    added = create_trial(params={"x": 1}, distributions={"x": IntDistribution(0, 2)}, value=0.0)
    with pytest.raises(ValueError, match="different parameter name"):
        study.add_trial(added)


# -- trials and get_trials ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["memory", "sqlite", "journal"])
def test_trials_are_copied_through_copy_deepcopy_as_in_optuna(
    kind: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optuna's own tests watch ``copy.deepcopy`` to tell a copied read from a shared one."""
    import copy

    from podbor.storages import JournalStorage
    from podbor.storages.journal import JournalFileBackend

    storage: Any = {
        "memory": None,
        "sqlite": f"sqlite:///{tmp_path}/s.db",
        "journal": JournalStorage(JournalFileBackend(str(tmp_path / "j.log"))),
    }[kind]
    study = podbor.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_int("x", 1, 5), n_trials=5)
    calls: list[int] = []
    original = copy.deepcopy

    def watched(value: Any, memo: Any = None) -> Any:
        calls.append(1)
        return original(value, memo)

    monkeypatch.setattr(copy, "deepcopy", watched)
    shared = study.get_trials(deepcopy=False)
    assert not calls
    copied = study.trials
    assert calls and copied == shared
    assert all(a is not b and a.params is not b.params for a, b in zip(copied, shared))


def test_get_trials_filters_by_state() -> None:
    study = podbor.create_study()

    def objective(trial: podbor.Trial) -> float:
        if trial.number % 3 == 1:
            raise podbor.TrialPruned()
        if trial.number % 3 == 2:
            raise RuntimeError("boom")
        return 1.0

    study.optimize(objective, n_trials=6, catch=RuntimeError)
    study.ask()
    study.enqueue_trial({})
    assert len(study.trials) == 8
    assert [t.number for t in study.trials] == list(range(8))
    by_state = {
        state: [t.number for t in study.get_trials(states=(state,))] for state in TrialState
    }
    assert by_state == {
        TrialState.COMPLETE: [0, 3],
        TrialState.PRUNED: [1, 4],
        TrialState.FAIL: [2, 5],
        TrialState.RUNNING: [6],
        TrialState.WAITING: [7],
    }
    finished = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    assert [t.number for t in finished] == [0, 1, 3, 4]
    assert len(study.get_trials(deepcopy=False)) == 8


def test_trials_are_copies() -> None:
    study = podbor.create_study()
    study.optimize(_x, n_trials=1)
    study.trials[0].user_attrs["k"] = 1
    study.get_trials()[0].params["x"] = 100.0
    assert study.trials[0].user_attrs == {}
    assert study.trials[0].params["x"] != 100.0


def test_multi_objective_study_has_no_single_direction() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    assert study.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    with pytest.raises(RuntimeError, match="directions"):
        _ = study.direction


def test_a_study_can_be_used_as_optuna() -> None:
    import podbor as optuna

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(lambda trial: (trial.suggest_float("x", -10, 10) - 2) ** 2, n_trials=20)
    assert isinstance(study.best_trial, optuna.trial.FrozenTrial)
    assert study.best_value >= 0
    assert "Study(study_name=" in repr(study)


def test_default_strategy_is_auto_sampler_and_median_pruner() -> None:
    study = podbor.create_study()
    assert isinstance(study.sampler, podbor.samplers.AutoSampler)
    assert isinstance(study.pruner, podbor.pruners.MedianPruner)
    loaded = podbor.load_study(study_name=study.study_name, storage=study._storage)
    assert isinstance(loaded.pruner, podbor.pruners.MedianPruner)


def test_default_pruner_stops_a_clearly_worse_trial() -> None:
    """Code that reports and asks should_prune() relies on Optuna's default (MedianPruner)."""
    fits: list[int] = []

    def objective(trial: podbor.Trial) -> float:
        level = trial.suggest_categorical("level", [0.0, 1.0])
        for fold in range(5):
            fits.append(trial.number)
            trial.report(level, fold)
            if trial.should_prune():
                raise podbor.TrialPruned()
        return level

    study = podbor.create_study()
    for level in [0.0] * 5 + [1.0]:
        study.enqueue_trial({"level": level})
    study.optimize(objective, n_trials=6)
    assert study.trials[5].state == TrialState.PRUNED
    assert fits.count(5) == 1  # stopped after its first fold


# -- Optuna parity: skip_if_exists, metric names, module paths --------------------------------
STORAGES = [
    pytest.param(lambda tmp: None, id="inmemory"),
    pytest.param(lambda tmp: f"sqlite:///{tmp / 'db.sqlite'}", id="sqlite"),
]


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize(
    ("new_params", "skipped"),
    [
        pytest.param({"x": -5, "y": 5}, True, id="same"),
        pytest.param({"x": -5}, False, id="fewer-names"),
        pytest.param({"x": -5, "y": 5, "z": 5}, False, id="more-names"),
        pytest.param({"x": -5, "y": 6}, False, id="other-value"),
    ],
)
def test_skip_if_exists_needs_the_same_names_and_values(
    tmp_path: Any, storage: Any, new_params: dict[str, int], skipped: bool
) -> None:
    study = podbor.create_study(storage=storage(tmp_path))
    study.enqueue_trial({"x": -5, "y": 5})
    study.optimize(lambda t: t.suggest_int("x", -10, 10) + t.suggest_int("y", -10, 10), n_trials=1)
    study.enqueue_trial(new_params, skip_if_exists=True)
    assert len(study.trials) == (1 if skipped else 2)


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize(
    ("first", "second", "skipped"),
    [
        pytest.param(float("nan"), float("nan"), True, id="nan-nan"),
        pytest.param(0.0, float("nan"), False, id="zero-nan"),
        pytest.param(float("nan"), 0.0, False, id="nan-zero"),
        pytest.param(None, None, True, id="none-none"),
        pytest.param(float("inf"), float("inf"), True, id="inf-inf"),
    ],
)
def test_skip_if_exists_takes_nan_for_equal_to_nan(
    tmp_path: Any, storage: Any, first: Any, second: Any, skipped: bool
) -> None:
    study = podbor.create_study(storage=storage(tmp_path))
    study.enqueue_trial({"x": first})
    study.enqueue_trial({"x": second}, skip_if_exists=True)
    assert len(study.trials) == (1 if skipped else 2)


def test_set_metric_names_is_experimental() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.warns(podbor.exceptions.ExperimentalWarning) as record:
        study.set_metric_names(["loss", "accuracy"])
    assert record[0].filename == __file__
    assert study.metric_names == ["loss", "accuracy"]


def test_optunas_module_paths_name_the_same_objects() -> None:
    from podbor.study import _constrained_optimization, study

    assert study.Study is podbor.Study
    assert study.create_study is podbor.create_study
    assert study._SYSTEM_ATTR_METRIC_NAMES == "study:metric_names"
    assert _constrained_optimization._CONSTRAINTS_KEY == "constraints"
    assert podbor.create_study(directions=["minimize"] * 2)._is_multi_objective()


def test_ask_on_a_heartbeat_storage_warns_but_optimize_does_not() -> None:
    storage = InMemoryStorage(heartbeat_interval=60)
    study = podbor.create_study(storage=storage)
    with pytest.warns(UserWarning, match="heartbeats"):
        study.ask()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
