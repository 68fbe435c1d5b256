"""``KerasPruningCallback``: real Keras 3 fits on digits (PyTorch backend, CPU), errors, imports.

Behaviours ported from optuna-integration's tests/test_keras.py (pruning or not, ``interval``,
NaN, an unknown monitor), plus pruning by ``MedianPruner``, the reports kept per epoch and the
epochs that run no validation.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Keras picks its backend when first imported: only PyTorch's is installed for the tests.
os.environ.setdefault("KERAS_BACKEND", "torch")

if importlib.util.find_spec("keras") is None or importlib.util.find_spec("torch") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("Keras and PyTorch must be installed under CI=true (make test does)")
    pytest.skip("Keras or PyTorch is not installed", allow_module_level=True)

import keras
import numpy as np
import torch
from sklearn.datasets import load_digits

import podbor
from podbor._study_view import StudyView
from podbor.exceptions import InvalidArgumentError, InvalidArgumentTypeError
from podbor.integration.keras import KerasPruningCallback
from podbor.pruners import BasePruner
from podbor.trial import FixedTrial, FrozenTrial, TrialState

# Keras's PyTorch backend turns tensors to arrays in a way NumPy 2 deprecates: not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_X, _Y = load_digits(return_X_y=True)
X_TRAIN, Y_TRAIN = (_X[:1200] / 16.0).astype("float32"), _Y[:1200]
X_VAL, Y_VAL = (_X[1200:] / 16.0).astype("float32"), _Y[1200:]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Several threads only slow a tiny network down on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class FixedPruner(BasePruner):
    """Prunes at every report, or never (optuna's DeterministicPruner)."""

    def __init__(self, prune: bool) -> None:
        self.answer = prune

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        return self.answer


def _model(lr: float = 0.05) -> keras.Model:
    """A 64-16-10 MLP for digits, compiled with SGD at ``lr`` and the accuracy metric."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _fit(
    callback: KerasPruningCallback, *, epochs: int = 2, lr: float = 0.05, **kwargs: Any
) -> Any:
    options: dict[str, Any] = {"validation_data": (X_VAL, Y_VAL), **kwargs}
    return _model(lr).fit(
        X_TRAIN, Y_TRAIN, batch_size=64, epochs=epochs, callbacks=[callback], verbose=0, **options
    )


def _objective(monitor: str = "val_loss", epochs: int = 2, interval: int = 1) -> Any:
    def objective(trial: podbor.trial.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-6, 1.0, log=True)
        callback = KerasPruningCallback(trial, monitor, interval=interval)
        history = _fit(callback, epochs=epochs, lr=lr)
        return float(history.history[monitor][-1])

    return objective


# -- pruning ---------------------------------------------------------------------------------
@pytest.mark.parametrize("prune", [True, False], ids=["pruned", "complete"])
def test_fixed_pruner_prunes_or_completes(prune: bool) -> None:
    study = podbor.create_study(pruner=FixedPruner(prune))
    study.enqueue_trial({"lr": 0.05})
    study.optimize(_objective(epochs=3), n_trials=1)
    trial = study.trials[0]
    if prune:
        assert trial.state == TrialState.PRUNED
        assert list(trial.intermediate_values) == [0]  # fit stopped after its first epoch
    else:
        assert trial.state == TrialState.COMPLETE
        assert list(trial.intermediate_values) == [0, 1, 2]
        assert trial.value == trial.intermediate_values[2]


def test_reports_are_the_epochs_logged_values() -> None:
    study = podbor.create_study(direction="maximize")
    trial = study.ask()
    history = _fit(KerasPruningCallback(trial, "val_accuracy"), epochs=3)
    expected = dict(enumerate(history.history["val_accuracy"]))
    assert study.trials[0].intermediate_values == pytest.approx(expected)


def test_pruning_stops_a_bad_trial_before_the_last_epoch() -> None:
    epochs = 6
    study = podbor.create_study(
        pruner=podbor.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1)
    )
    study.enqueue_trial({"lr": 0.1})  # learns digits within an epoch or two
    study.enqueue_trial({"lr": 1e-6})  # barely moves from its first loss
    study.optimize(_objective(epochs=epochs), n_trials=2)
    good, bad = study.trials
    assert good.state == TrialState.COMPLETE and good.value is not None and good.value < 0.5
    assert sorted(good.intermediate_values) == list(range(epochs))
    assert bad.state == TrialState.PRUNED
    assert len(bad.intermediate_values) < epochs  # fewer epochs ran than asked
    assert bad.intermediate_values[1] > good.intermediate_values[1]


def test_pruned_propagates_out_of_fit_with_the_epoch() -> None:
    study = podbor.create_study(pruner=FixedPruner(True))
    callback = KerasPruningCallback(study.ask(), "loss")
    with pytest.raises(podbor.TrialPruned, match="epoch 0"):
        _fit(callback, epochs=3)


@pytest.mark.parametrize(
    ("interval", "epochs", "reported"),
    [(1, 1, [0]), (2, 1, []), (2, 2, [1]), (2, 5, [1, 3]), (3, 5, [2])],
    ids=["every-epoch", "too-few-epochs", "second", "every-second", "every-third"],
)
def test_interval_reports_every_nth_epoch(interval: int, epochs: int, reported: list[int]) -> None:
    study = podbor.create_study(pruner=FixedPruner(False))
    study.enqueue_trial({"lr": 0.05})
    study.optimize(_objective(epochs=epochs, interval=interval), n_trials=1)
    assert list(study.trials[0].intermediate_values) == reported

    pruned = podbor.create_study(pruner=FixedPruner(True))
    pruned.enqueue_trial({"lr": 0.05})
    pruned.optimize(_objective(epochs=epochs, interval=interval), n_trials=1)
    trial = pruned.trials[0]
    # pruned at the first checked epoch; never pruned when no epoch was checked (optuna's test)
    assert trial.state == (TrialState.PRUNED if reported else TrialState.COMPLETE)
    assert list(trial.intermediate_values) == reported[:1]


def test_fixed_trial_never_prunes() -> None:
    history = _fit(KerasPruningCallback(FixedTrial({}), "val_loss"), epochs=2)
    assert len(history.history["val_loss"]) == 2


def test_nan_is_reported_and_the_pruner_decides() -> None:
    study = podbor.create_study(pruner=FixedPruner(True))
    callback = KerasPruningCallback(study.ask(), "loss")
    with pytest.raises(podbor.TrialPruned):
        callback.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(podbor.TrialPruned):
        callback.on_epoch_end(1, {"loss": float("nan")})
    values = study.trials[0].intermediate_values
    assert values[0] == 1.0 and math.isnan(values[1])


# -- epochs without validation: a warning, as optuna-integration --------------------------------
def test_validation_freq_reports_the_epochs_that_validated() -> None:
    study = podbor.create_study(pruner=FixedPruner(False))
    trial = study.ask()
    with pytest.warns(UserWarning, match=r"ran no validation.*'val_loss'.*interval=k"):
        _fit(KerasPruningCallback(trial, "val_loss"), epochs=4, validation_freq=2)
    assert list(study.trials[0].intermediate_values) == [1, 3]


def test_an_interval_of_validation_freq_checks_the_validated_epochs_quietly() -> None:
    study = podbor.create_study(pruner=FixedPruner(False))
    trial = study.ask()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _fit(KerasPruningCallback(trial, "val_loss", interval=2), epochs=4, validation_freq=2)
    assert list(study.trials[0].intermediate_values) == [1, 3]


def test_fit_without_validation_data_warns_and_reports_nothing() -> None:
    study = podbor.create_study(pruner=FixedPruner(True))
    trial = study.ask()
    with pytest.warns(UserWarning, match=r"no 'val_loss'.*'accuracy', 'loss'.*validation_data="):
        _fit(KerasPruningCallback(trial, "val_loss"), epochs=2, validation_data=None)
    assert study.trials[0].intermediate_values == {}


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("monitor", ["val_acc", "InvalidMonitor", "accuracy_score"])
def test_unknown_monitor_names_it_and_lists_the_logged_values(monitor: str) -> None:
    study = podbor.create_study(pruner=FixedPruner(True))
    callback = KerasPruningCallback(study.ask(), monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an error, not optuna-integration's warning
        with pytest.raises(InvalidArgumentError) as info:
            _fit(callback, epochs=2)
    message = str(info.value)
    assert "'monitor'" in message and repr(monitor) in message and "KerasPruningCallback" in message
    for name in ("'accuracy'", "'loss'", "'val_accuracy'", "'val_loss'"):
        assert name in message
    assert study.trials[0].intermediate_values == {}


def test_a_value_that_is_not_one_number_is_refused() -> None:
    callback = KerasPruningCallback(FixedTrial({}), "f1")
    with pytest.raises(InvalidArgumentError, match=r"'monitor'.*one number"):
        callback.on_epoch_end(0, {"f1": np.array([0.5, 0.7])})


@pytest.mark.parametrize("monitor", ["", 3, None], ids=["empty", "int", "none"])
def test_monitor_must_be_a_name(monitor: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="'monitor'"):
        KerasPruningCallback(FixedTrial({}), monitor)


@pytest.mark.parametrize(
    ("interval", "error"),
    [
        (0, InvalidArgumentError),
        (-2, InvalidArgumentError),
        (1.5, InvalidArgumentTypeError),
        (True, InvalidArgumentTypeError),
        ("2", InvalidArgumentTypeError),
        (None, InvalidArgumentTypeError),
    ],
    ids=["zero", "negative", "float", "bool", "str", "none"],
)
def test_interval_must_be_a_positive_int(interval: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"'interval' parameter of KerasPruningCallback.*int >= 1"):
        KerasPruningCallback(FixedTrial({}), "val_loss", interval=interval)


def test_interval_accepts_a_numpy_int() -> None:
    callback = KerasPruningCallback(FixedTrial({}), "val_loss", interval=np.int64(3))
    assert callback.interval == 3 and type(callback.interval) is int


def test_trial_must_be_single_objective_and_a_trial() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(InvalidArgumentError, match=r"'trial'.*2 objectives"):
        KerasPruningCallback(study.ask(), "val_loss")
    with pytest.raises(InvalidArgumentError, match="'trial'"):
        KerasPruningCallback("trial", "val_loss")  # type: ignore[arg-type]


def test_it_is_a_keras_callback() -> None:
    callback = KerasPruningCallback(FixedTrial({}), "val_loss")
    assert isinstance(callback, keras.callbacks.Callback)
    assert (callback.monitor, callback.interval) == ("val_loss", 1)


# -- imports: no backend forced, a missing backend or Keras named --------------------------------
def _import_in_subprocess(
    tmp_path: Path, code: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environ["KERAS_HOME"] = str(tmp_path)  # no keras.json of the user's: the default backend
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environ,
    )


@pytest.mark.parametrize(
    ("backend", "module"),
    [(None, "tensorflow"), ("jax", "jax")],
    ids=["default-tensorflow", "jax"],
)
def test_the_backend_keras_is_given_is_used_and_a_missing_one_named(
    tmp_path: Path, backend: str | None, module: str
) -> None:
    """The module sets no backend: Keras's default or KERAS_BACKEND's is used if installed
    (make test installs TensorFlow, for TFKerasPruningCallback), and named if it is not."""
    env = {} if backend is None else {"KERAS_BACKEND": backend}
    code = "import podbor.integration.keras, keras\nprint('backend', keras.backend.backend())"
    done = _import_in_subprocess(tmp_path, code, **env)
    if importlib.util.find_spec(module) is not None:
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"backend {module}" in done.stdout
        return
    assert done.returncode != 0
    assert "ModuleNotFoundError" in done.stderr
    assert "Keras is installed but its backend could not be imported" in done.stderr
    assert f"'{module}'" in done.stderr and "KERAS_BACKEND" in done.stderr


def test_a_missing_keras_names_the_install(tmp_path: Path) -> None:
    code = (
        "import sys\nsys.modules['keras'] = None\n"
        "try:\n    import podbor.integration.keras\n"
        "except ImportError as err:\n    print(err)\n"
    )
    done = _import_in_subprocess(tmp_path, code, KERAS_BACKEND="torch")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "needs Keras, which is not installed: pip install podbor[keras]" in done.stdout


# -- the example -------------------------------------------------------------------------------
def test_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "keras_digits.py"), "--n-trials", "3", "--epochs", "2"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Best value: " in result.stdout
    assert "Best parameters: {" in result.stdout
    assert "pruned" in result.stdout
