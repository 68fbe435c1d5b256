"""Tests of ``podbor.logging`` and of the exact lines podbor logs."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterator

import pytest

import podbor
from podbor.trial import TrialState

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LIBRARY = logging.getLogger("podbor")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put podbor's logger back as the library leaves it at import."""
    try:
        yield
    finally:
        podbor.logging.enable_default_handler()
        podbor.logging.disable_propagation()


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("podbor")]


# -- what podbor logs ----------------------------------------------------------------------------
def test_study_creation_line_in_memory(podbor_log: pytest.LogCaptureFixture) -> None:
    study = podbor.create_study()
    (line,) = _messages(podbor_log)
    assert re.fullmatch(f"A new study created in memory with name: no-name-{UUID}", line)
    assert line.endswith(study.study_name)


def test_study_creation_line_with_a_name(podbor_log: pytest.LogCaptureFixture) -> None:
    podbor.create_study(study_name="ridge-vs-lasso")
    assert _messages(podbor_log) == ["A new study created in memory with name: ridge-vs-lasso"]


def test_study_creation_line_escapes_control_characters(
    podbor_log: pytest.LogCaptureFixture,
) -> None:
    # A name with an escape sequence must not recolor or move the terminal's cursor.
    podbor.create_study(study_name="a\x1b[31mred\nline")
    (line,) = [m for m in _messages(podbor_log) if "A new study created" in m]
    assert line.endswith("with name: a\\x1b[31mred\\nline")
    assert "\x1b" not in line and "\n" not in line


def test_load_if_exists_line(podbor_log: pytest.LogCaptureFixture) -> None:
    storage = podbor.storages.InMemoryStorage()
    podbor.create_study(storage=storage, study_name="s")
    podbor_log.clear()
    podbor.create_study(storage=storage, study_name="s", load_if_exists=True)
    assert _messages(podbor_log) == [
        "Using an existing study with name 's' instead of creating a new one."
    ]


def test_finished_trial_lines(podbor_log: pytest.LogCaptureFixture) -> None:
    outcome = {0.5: 0.9, 0.2: 0.2, 0.9: 0.4, 0.7: 1.5}
    study = podbor.create_study()
    for x in outcome:
        study.enqueue_trial({"x": x})
    podbor_log.clear()
    study.optimize(lambda t: outcome[t.suggest_float("x", 0, 1)], n_trials=4)
    assert _messages(podbor_log) == [
        "Trial 0 finished with value: 0.9 and parameters: {'x': 0.5}. Best is trial 0 with value: 0.9.",
        "Trial 1 finished with value: 0.2 and parameters: {'x': 0.2}. Best is trial 1 with value: 0.2.",
        "Trial 2 finished with value: 0.4 and parameters: {'x': 0.9}. Best is trial 1 with value: 0.2.",
        "Trial 3 finished with value: 1.5 and parameters: {'x': 0.7}. Best is trial 1 with value: 0.2.",
    ]
    assert all(r.levelno == logging.INFO for r in podbor_log.records)


def test_finished_line_names_the_metric(podbor_log: pytest.LogCaptureFixture) -> None:
    study = podbor.create_study()
    study.set_metric_names(["mse"])
    podbor_log.clear()
    study.optimize(lambda t: 2.5, n_trials=1)
    assert _messages(podbor_log) == [
        "Trial 0 finished with value (mse): 2.5 and parameters: {}. Best is trial 0 with value: 2.5."
    ]


def test_multi_objective_finished_lines(podbor_log: pytest.LogCaptureFixture) -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.enqueue_trial({"x": 1})
    podbor_log.clear()
    study.optimize(lambda t: (t.suggest_int("x", 0, 3), 2.0), n_trials=1)
    study.set_metric_names(["loss", "acc"])
    study.enqueue_trial({"x": 2})
    study.optimize(lambda t: (t.suggest_int("x", 0, 3), 3.0), n_trials=1)
    assert _messages(podbor_log) == [
        "Trial 0 finished with values: [1.0, 2.0] and parameters: {'x': 1}.",
        "Trial 1 finished with values: {'loss': 2.0, 'acc': 3.0} and parameters: {'x': 2}.",
    ]


def test_pruned_lines(podbor_log: pytest.LogCaptureFixture) -> None:
    def objective(trial: podbor.Trial) -> float:
        trial.report(1.0, 0)
        if trial.number == 0:
            raise podbor.TrialPruned()
        raise podbor.TrialPruned("loss above the median")

    study = podbor.create_study()
    podbor_log.clear()
    study.optimize(objective, n_trials=2)
    assert _messages(podbor_log) == ["Trial 0 pruned.", "Trial 1 pruned. loss above the median"]


def test_failed_line_shows_the_exception(podbor_log: pytest.LogCaptureFixture) -> None:
    def objective(trial: podbor.Trial) -> float:
        trial.suggest_int("n", 4, 4)
        raise ValueError("boom")

    study = podbor.create_study()
    podbor_log.clear()
    study.optimize(objective, n_trials=1, catch=(ValueError,))
    (record,) = [r for r in podbor_log.records if r.name.startswith("podbor")]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert message.startswith("Trial 0 failed")
    assert "{'n': 4}" in message
    assert repr(ValueError("boom")) in message
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_failed_value_line_says_why(podbor_log: pytest.LogCaptureFixture) -> None:
    study = podbor.create_study()
    podbor_log.clear()
    with pytest.warns(UserWarning):
        study.optimize(lambda t: float("nan"), n_trials=1)
    (message,) = _messages(podbor_log)
    assert message.startswith("Trial 0 failed")
    assert "nan" in message
    assert study.trials[0].state == TrialState.FAIL


# -- the formatter ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("level", "initial"),
    [
        pytest.param(logging.DEBUG, "D", id="debug"),
        pytest.param(logging.INFO, "I", id="info"),
        pytest.param(logging.WARNING, "W", id="warning"),
        pytest.param(logging.ERROR, "E", id="error"),
    ],
)
def test_default_formatter(level: int, initial: str) -> None:
    handler = podbor.logging._default_handler
    assert handler is not None and handler.formatter is not None
    record = logging.LogRecord("podbor.study", level, __file__, 1, "Trial %d pruned.", (3,), None)
    record.created = datetime.datetime(2026, 6, 15, 12, 34, 56).timestamp()
    record.msecs = 789.0
    line = handler.formatter.format(record)
    assert line == f"[{initial} 2026-06-15 12:34:56,789] Trial 3 pruned."


def test_default_handler_writes_the_format_to_its_stream(restore_logging: None) -> None:
    import io

    handler = podbor.logging._default_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        podbor.logging.set_verbosity(podbor.logging.INFO)
        podbor.create_study(study_name="shown")
    finally:
        handler.setStream(previous)
    assert re.fullmatch(
        r"\[I 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] "
        r"A new study created in memory with name: shown\n",
        stream.getvalue(),
    )


# -- verbosity, handler and propagation switches -----------------------------------------------------
@pytest.mark.parametrize(
    "level",
    [
        pytest.param(podbor.logging.DEBUG, id="debug"),
        pytest.param(podbor.logging.INFO, id="info"),
        pytest.param(podbor.logging.WARNING, id="warning"),
        pytest.param(podbor.logging.ERROR, id="error"),
        pytest.param(podbor.logging.CRITICAL, id="critical"),
    ],
)
def test_set_and_get_verbosity(level: int) -> None:
    podbor.logging.set_verbosity(level)
    assert podbor.logging.get_verbosity() == level
    assert LIBRARY.level == level


def test_verbosity_filters_records(podbor_log: pytest.LogCaptureFixture) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    podbor.create_study()
    assert _messages(podbor_log) == []
    podbor.logging.set_verbosity(podbor.logging.INFO)
    podbor.create_study(study_name="visible")
    assert _messages(podbor_log) == ["A new study created in memory with name: visible"]


def test_the_library_logs_under_its_own_name() -> None:
    assert podbor.logging.get_logger("podbor.study").name == "podbor.study"
    assert LIBRARY.propagate is False  # the default: the root logger is left alone


def test_disable_and_enable_default_handler(restore_logging: None) -> None:
    handler = podbor.logging._default_handler
    assert handler in LIBRARY.handlers
    podbor.logging.disable_default_handler()
    assert handler not in LIBRARY.handlers
    podbor.logging.enable_default_handler()
    assert handler in LIBRARY.handlers
    podbor.logging.enable_default_handler()
    assert LIBRARY.handlers.count(handler) == 1


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("podbor"):
            self.messages.append(record.getMessage())


def test_disable_and_enable_propagation(restore_logging: None) -> None:
    root_handler = _ListHandler()  # an application's own handler on the root logger
    logging.getLogger().addHandler(root_handler)
    try:
        podbor.logging.set_verbosity(podbor.logging.INFO)
        podbor.logging.disable_propagation()
        podbor.create_study(study_name="hidden")
        assert root_handler.messages == []
        podbor.logging.enable_propagation()
        assert LIBRARY.propagate is True
        podbor.create_study(study_name="seen")
        assert root_handler.messages == ["A new study created in memory with name: seen"]
        podbor.logging.disable_propagation()
        assert LIBRARY.propagate is False
        podbor.create_study(study_name="hidden again")
        assert len(root_handler.messages) == 1
    finally:
        logging.getLogger().removeHandler(root_handler)
