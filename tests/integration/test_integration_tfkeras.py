"""``TFKerasPruningCallback``: real ``tf.keras`` fits on digits, trained by TensorFlow (CPU).

The test processes run Keras on its PyTorch backend (the root conftest sets ``KERAS_BACKEND``,
and Keras picks it once per process), so the fits run in one child process with
``KERAS_BACKEND=tensorflow`` and report what happened as JSON. The callback's own checks
(arguments, a missing monitor) run here: they need TensorFlow's ``Callback`` class, not its
training. Behaviours from optuna-integration's tests/test_tfkeras.py (pruning or not, the
reported values), plus ``MedianPruner`` stopping a bad learning rate early.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("tensorflow") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("TensorFlow must be installed under CI=true (make test installs it)")
    pytest.skip("TensorFlow is not installed", allow_module_level=True)

import podbor
from podbor.exceptions import InvalidArgumentError
from podbor.integration.tfkeras import TFKerasPruningCallback
from podbor.trial import FixedTrial

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

FITS = r"""
import json, sys
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

import podbor
from podbor.integration.tfkeras import TFKerasPruningCallback
from podbor.pruners import BasePruner

assert tf.keras.backend.backend() == "tensorflow"
X, Y = load_digits(return_X_y=True)
X = (X / 16.0).astype("float32")
xt, yt, xv, yv = X[:1200], Y[:1200], X[1200:], Y[1200:]


class Fixed(BasePruner):
    def __init__(self, answer):
        self.answer = answer

    def prune(self, study, trial):
        return self.answer


def objective(epochs, monitor="val_loss"):
    def run(trial):
        lr = trial.suggest_float("lr", 1e-6, 1.0, log=True)
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.Sequential([
            tf.keras.Input(shape=(64,)),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=lr, momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(xt, yt, batch_size=64, epochs=epochs, validation_data=(xv, yv),
                            callbacks=[TFKerasPruningCallback(trial, monitor)], verbose=0)
        trial.set_user_attr("history", [float(v) for v in history.history[monitor]])
        return float(history.history[monitor][-1])
    return run


def describe(study):
    return [{"state": t.state.name, "value": t.value, "user_attrs": t.user_attrs,
             "steps": {str(k): v for k, v in t.intermediate_values.items()}}
            for t in study.trials]


out = {}
for answer in (True, False):
    study = podbor.create_study(pruner=Fixed(answer))
    study.enqueue_trial({"lr": 0.05})
    study.optimize(objective(3), n_trials=1)
    out["pruned" if answer else "complete"] = describe(study)

study = podbor.create_study(direction="maximize", pruner=Fixed(False))
study.enqueue_trial({"lr": 0.05})
study.optimize(objective(3, "val_accuracy"), n_trials=1)
out["accuracy"] = describe(study)

study = podbor.create_study(
    pruner=podbor.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1)
)
study.enqueue_trial({"lr": 0.1})
study.enqueue_trial({"lr": 1e-6})
study.optimize(objective(6), n_trials=2)
out["median"] = describe(study)
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def fits() -> dict[str, Any]:
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_USE_LEGACY_KERAS", None)
    done = subprocess.run(
        [sys.executable, "-c", FITS], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [row for row in done.stdout.splitlines() if row.startswith("RESULT ")]
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


def test_fixed_pruner_prunes_or_completes(fits: dict[str, Any]) -> None:
    (pruned,) = fits["pruned"]
    assert pruned["state"] == "PRUNED" and list(pruned["steps"]) == ["0"]  # fit stopped at once
    (complete,) = fits["complete"]
    assert complete["state"] == "COMPLETE" and list(complete["steps"]) == ["0", "1", "2"]
    assert complete["value"] == complete["steps"]["2"]


def test_reports_are_the_epochs_logged_values(fits: dict[str, Any]) -> None:
    (trial,) = fits["accuracy"]
    history = trial["user_attrs"]["history"]
    assert [trial["steps"][str(epoch)] for epoch in range(3)] == pytest.approx(history)
    assert history[-1] > 0.5  # TensorFlow really trained it


def test_median_pruner_stops_a_bad_learning_rate_early(fits: dict[str, Any]) -> None:
    good, bad = fits["median"]
    assert good["state"] == "COMPLETE" and good["value"] < 0.5
    assert list(good["steps"]) == [str(epoch) for epoch in range(6)]
    assert bad["state"] == "PRUNED"
    assert len(bad["steps"]) < 6  # fewer epochs ran than asked
    assert bad["steps"]["1"] > good["steps"]["1"]


# -- the callback's checks (TensorFlow's Callback class, no training) --------------------------
def test_reports_at_the_epoch_and_prunes_when_told() -> None:
    study = podbor.create_study(pruner=podbor.pruners.ThresholdPruner(upper=1.0))
    callback = TFKerasPruningCallback(study.ask(), "val_loss")
    callback.on_epoch_end(0, {"loss": 0.7, "val_loss": 0.65})
    with pytest.raises(podbor.TrialPruned, match="epoch 1"):
        callback.on_epoch_end(1, {"loss": 0.7, "val_loss": 1.5})
    assert study.trials[0].intermediate_values == {0: 0.65, 1: 1.5}


def test_a_missing_monitor_warns_without_validation_and_fails_when_misspelt() -> None:
    callback = TFKerasPruningCallback(FixedTrial({}), "val_loss")
    with pytest.warns(UserWarning, match=r"ran no validation.*KerasPruningCallback\(trial"):
        callback.on_epoch_end(0, {"loss": 0.7})
    misspelt = TFKerasPruningCallback(FixedTrial({}), "val_acc")
    with pytest.raises(InvalidArgumentError, match=r"TFKerasPruningCallback.*'val_accuracy'"):
        misspelt.on_epoch_end(0, {"loss": 0.7, "val_loss": 0.6, "val_accuracy": 0.9})


@pytest.mark.parametrize(
    ("trial", "monitor", "error", "match"),
    [
        (None, "val_loss", InvalidArgumentError, "'trial'.*a podbor trial"),
        ("study", "val_loss", InvalidArgumentError, "single-objective"),
        (FixedTrial({}), "", InvalidArgumentError, "'monitor'"),
        (FixedTrial({}), 3, TypeError, "'monitor'"),
    ],
)
def test_bad_arguments_name_the_argument(
    trial: Any, monitor: Any, error: type[Exception], match: str
) -> None:
    if trial == "study":
        trial = podbor.create_study(directions=["minimize", "minimize"]).ask()
    with pytest.raises(error, match=match):
        TFKerasPruningCallback(trial, monitor)


def test_it_is_a_tf_keras_callback() -> None:
    import tensorflow as tf

    assert isinstance(TFKerasPruningCallback(FixedTrial({}), "loss"), tf.keras.callbacks.Callback)
    assert podbor.integration.TFKerasPruningCallback is TFKerasPruningCallback


@pytest.mark.slow  # TensorFlow's start-up and ten short fits
def test_example_runs() -> None:
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "tfkeras_digits.py"), "--n-trials", "4", "--epochs", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Best value: " in result.stdout and "pruned)" in result.stdout
