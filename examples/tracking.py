"""Track a study with an experiment tracker: MLflow, Weights & Biases, TensorBoard or Trackio.

A linear classifier (scikit-learn's SGDClassifier) is tuned on the bundled wine data set:
regularisation strength, loss and learning-rate schedule. Each epoch reports the validation
accuracy and a MedianPruner stops trials that fall behind. Every finished trial, pruned and
failed ones included, is written to the chosen tracker, and so are the per-epoch accuracies:

* ``mlflow`` (default): one MLflow run per trial in a local sqlite store, experiment
  "tracking-example"; the objective logs its learning curve into the trial's run
  (``track_in_mlflow``). Browse with ``mlflow ui --backend-store-uri sqlite:///DIR/mlflow.db``.
* ``wandb``: one W&B run per trial (``as_multirun``), offline unless ``WANDB_MODE`` says
  otherwise; ``wandb sync DIR/wandb/offline-run-*`` uploads them later.
* ``tensorboard``: TensorBoard's HParams dashboard, no TensorFlow needed:
  ``tensorboard --logdir DIR/tensorboard``.
* ``trackio``: one Trackio run per trial (``as_multirun``) in a local database,
  ``DIR/trackio/tracking-example.db``; browse with
  ``TRACKIO_DIR=DIR/trackio trackio show --project tracking-example``.

    python examples/tracking.py [--tracker mlflow|wandb|tensorboard|trackio] [--n-trials 20]
                                [--dir DIR]

Without ``--dir`` the logs go to a new temporary directory, printed at the end.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_wine
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

import podbor

EPOCHS = 15
STUDY_NAME = "tracking-example"

LogCurve = Callable[[float, int], object]


def load_data() -> tuple[np.ndarray, ...]:
    """Wine, standardised, split 70/30 into training and validation sets."""
    x, y = load_wine(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        x, y, test_size=0.3, random_state=0, stratify=y
    )
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return (x_train - mean) / std, (x_valid - mean) / std, y_train, y_valid


def make_objective(log_curve: LogCurve) -> Callable[[podbor.trial.BaseTrial], float]:
    """The objective; ``log_curve(accuracy, epoch)`` sends each epoch to the tracker."""
    x_train, x_valid, y_train, y_valid = load_data()
    classes = np.unique(y_train)

    def objective(trial: podbor.trial.BaseTrial) -> float:
        alpha = trial.suggest_float("alpha", 1e-6, 1.0, log=True)
        loss = trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"])
        schedule = trial.suggest_categorical("learning_rate", ["optimal", "adaptive"])
        eta0 = trial.suggest_float("eta0", 1e-3, 1.0, log=True)
        model = SGDClassifier(
            alpha=alpha, loss=loss, learning_rate=schedule, eta0=eta0, random_state=trial.number
        )
        accuracy = 0.0
        for epoch in range(EPOCHS):
            model.partial_fit(x_train, y_train, classes=classes)
            accuracy = float(model.score(x_valid, y_valid))
            log_curve(accuracy, epoch)
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise podbor.TrialPruned()
        return accuracy

    return objective


def tracked(tracker: str, out: Path) -> tuple[Callable[..., Any], Any, str]:
    """The objective wrapped for ``tracker``, the study callback, and where the logs go."""
    if tracker == "mlflow":
        import mlflow

        from podbor.integration.mlflow import MLflowCallback

        uri = f"sqlite:///{out / 'mlflow.db'}"
        callback: Any = MLflowCallback(tracking_uri=uri, metric_name="accuracy")
        objective = callback.track_in_mlflow()(
            make_objective(lambda acc, epoch: mlflow.log_metric("epoch_accuracy", acc, step=epoch))
        )
        return objective, callback, f"MLflow store {uri} (experiment {STUDY_NAME!r})"
    if tracker == "wandb":
        import wandb

        from podbor.integration.wandb import WeightsAndBiasesCallback

        os.environ.setdefault("WANDB_MODE", "offline")
        os.environ.setdefault("WANDB_SILENT", "true")
        kwargs = {"project": STUDY_NAME, "dir": str(out)}
        callback = WeightsAndBiasesCallback("accuracy", wandb_kwargs=kwargs, as_multirun=True)
        objective = callback.track_in_wandb()(
            make_objective(lambda acc, epoch: wandb.log({"epoch_accuracy": acc, "epoch": epoch}))
        )
        return objective, callback, f"W&B runs under {out / 'wandb'}"
    if tracker == "trackio":
        os.environ.setdefault("TRACKIO_DIR", str(out / "trackio"))  # read when first imported
        import trackio

        from podbor.integration.trackio import TrackioCallback

        callback = TrackioCallback(STUDY_NAME, "accuracy", as_multirun=True)
        objective = callback.track_in_trackio()(
            make_objective(lambda acc, epoch: trackio.log({"epoch_accuracy": acc}, step=epoch))
        )
        return objective, callback, f"Trackio project {STUDY_NAME!r} in {trackio.TRACKIO_DIR}"
    from podbor.integration.tensorboard import TensorBoardCallback

    logdir = out / "tensorboard"
    callback = TensorBoardCallback(logdir, "accuracy")  # learning curves: intermediate values
    return make_objective(lambda acc, epoch: None), callback, f"TensorBoard logs in {logdir}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tracker", choices=["mlflow", "wandb", "tensorboard", "trackio"], default="mlflow"
    )
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="where the logs go (default: temp)")
    args = parser.parse_args()
    out = args.dir if args.dir is not None else Path(tempfile.mkdtemp(prefix="podbor-tracking-"))
    out.mkdir(parents=True, exist_ok=True)

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    objective, callback, where = tracked(args.tracker, out)
    study = podbor.create_study(
        study_name=STUDY_NAME,
        direction="maximize",
        sampler=podbor.samplers.TPESampler(seed=0),
        pruner=podbor.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3),
    )
    study.optimize(objective, n_trials=args.n_trials, callbacks=[callback])

    pruned = study.get_trials(states=(podbor.trial.TrialState.PRUNED,))
    print(f"Finished trials: {len(study.trials)} (pruned: {len(pruned)})")
    print(f"Best value: {study.best_value:.4f}")
    print(f"Best parameters: {study.best_params}")
    print(f"Runs written to: {where}")


if __name__ == "__main__":
    main()
