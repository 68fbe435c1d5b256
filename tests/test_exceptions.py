"""Tests of the exception family (``podbor.exceptions``)."""

from __future__ import annotations

import pytest

import podbor
from podbor import exceptions
from podbor.exceptions import invalid_argument


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        pytest.param(exceptions.InvalidArgumentError, ValueError, id="invalid-argument"),
        pytest.param(exceptions.InvalidArgumentTypeError, ValueError, id="invalid-type-value"),
        pytest.param(exceptions.InvalidArgumentTypeError, TypeError, id="invalid-type-type"),
        pytest.param(exceptions.StudyNotFoundError, KeyError, id="study-not-found"),
        pytest.param(exceptions.DuplicatedStudyError, ValueError, id="duplicated-study"),
        pytest.param(exceptions.UpdateFinishedTrialError, RuntimeError, id="update-finished"),
        pytest.param(exceptions.StorageInternalError, RuntimeError, id="storage-internal"),
        pytest.param(exceptions.CLIUsageError, ValueError, id="cli-usage"),
        pytest.param(exceptions.TrialPruned, Exception, id="trial-pruned"),
    ],
)
def test_every_error_derives_from_the_root_and_its_builtin(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, exceptions.PodborError)
    assert issubclass(error, builtin)
    with pytest.raises(builtin):
        raise error("message")


def test_optuna_names_are_aliases() -> None:
    assert exceptions.OptunaError is exceptions.PodborError
    assert podbor.TrialPruned is exceptions.TrialPruned


def test_study_not_found_message_is_not_quoted() -> None:
    assert str(exceptions.StudyNotFoundError("No study named 'x'.")) == "No study named 'x'."
    assert str(exceptions.StudyNotFoundError()) == ""


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        pytest.param(
            "Study.optimize",
            "The 'n_trials' parameter of Study.optimize must be an int >= 0. Got -1 instead.",
            id="with-owner",
        ),
        pytest.param(
            None, "The 'n_trials' parameter must be an int >= 0. Got -1 instead.", id="no-owner"
        ),
    ],
)
def test_invalid_argument_message_shape(owner: str | None, expected: str) -> None:
    error = invalid_argument("n_trials", -1, "an int >= 0", owner=owner)
    assert isinstance(error, exceptions.InvalidArgumentError)
    assert str(error) == expected


def test_invalid_argument_shows_the_repr_of_the_value() -> None:
    assert "Got 'abc' instead." in str(invalid_argument("x", "abc", "a number"))


def test_public_api_errors_are_podbor_errors() -> None:
    with pytest.raises(exceptions.PodborError):
        podbor.create_study(direction="upwards")
    with pytest.raises(exceptions.PodborError):
        podbor.load_study(study_name="missing", storage=podbor.storages.InMemoryStorage())


def test_argument_checks_live_in_one_module() -> None:
    assert not hasattr(exceptions, "check_int")  # replaced by podbor._validation.check_int
    assert set(exceptions.__all__) <= set(dir(exceptions))


@pytest.mark.parametrize(
    ("wrong_type", "cls"),
    [
        pytest.param(False, exceptions.InvalidArgumentError, id="value"),
        pytest.param(True, exceptions.InvalidArgumentTypeError, id="type"),
    ],
)
def test_invalid_argument_builds_a_type_error_on_request(
    wrong_type: bool, cls: type[Exception]
) -> None:
    error = invalid_argument("lower", "val", "a real number or None", wrong_type=wrong_type)
    assert type(error) is cls
    assert str(error) == "The 'lower' parameter must be a real number or None. Got 'val' instead."


def test_experimental_warning_is_optunas_warning_class() -> None:
    assert issubclass(exceptions.ExperimentalWarning, Warning)
    assert not issubclass(exceptions.ExperimentalWarning, (UserWarning, FutureWarning))
    assert "ExperimentalWarning" in exceptions.__all__
