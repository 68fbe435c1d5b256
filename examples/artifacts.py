"""Keep a file per trial with podbor.artifacts, then fetch the best trial's files.

Each trial trains a ridge regression on scikit-learn's bundled diabetes data (the
regularisation strength and whether to standardise the features are tuned), saves the fitted
model (``model.pkl``) and its validation predictions (``predictions.csv``), and uploads both
to a ``FileSystemArtifactStore``: the bytes go to a folder, their descriptions to the trial in
the study's storage. After the study, the best trial's artifacts are listed with
``get_all_artifact_meta``, downloaded with ``download_artifact``, and the downloaded model is
checked against the best value.

    python examples/artifacts.py [--n-trials 20] [--dir DIR] [--storage sqlite:///art.db]

Without ``--dir`` everything goes to a new temporary directory, printed at the end. The same
code runs under ``import podbor as optuna`` / Optuna's names (``optuna.artifacts``); a study kept
in a database can be copied to Optuna's format (``podbor copy-study ... --to-format optuna``)
and optuna-dashboard shows the same artifacts when pointed at the same folder.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import podbor
from podbor.artifacts import (
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)


def main() -> None:
    parser = argparse.ArgumentParser(description="One model file per trial, kept as artifacts.")
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="where the files go")
    parser.add_argument("--storage", default=None, help="database URL (default: in memory)")
    args = parser.parse_args()
    out = args.dir or Path(tempfile.mkdtemp(prefix="podbor-artifacts-"))
    podbor.logging.set_verbosity(podbor.logging.WARNING)

    x, y = load_diabetes(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, test_size=0.3, random_state=0)
    artifact_store = FileSystemArtifactStore(out / "store")

    def objective(trial: podbor.Trial) -> float:
        alpha = trial.suggest_float("alpha", 1e-4, 1e2, log=True)
        scale = trial.suggest_categorical("standardize", [True, False])
        model = make_pipeline(StandardScaler(), Ridge(alpha)) if scale else Ridge(alpha)
        model.fit(x_train, y_train)
        predictions = model.predict(x_valid)
        # Write the trial's files to a scratch folder; upload_artifact copies them to the store.
        with tempfile.TemporaryDirectory() as scratch:
            model_path = Path(scratch, "model.pkl")
            model_path.write_bytes(pickle.dumps(model))
            table_path = Path(scratch, "predictions.csv")
            table = np.column_stack([y_valid, predictions])
            np.savetxt(table_path, table, delimiter=",", header="target,prediction", fmt="%.4f")
            for path in (model_path, table_path):
                upload_artifact(artifact_store=artifact_store, file_path=path, study_or_trial=trial)
        return float(mean_squared_error(y_valid, predictions))

    storage = podbor.storages.get_storage(args.storage)
    study = podbor.create_study(
        direction="minimize",
        storage=storage,
        study_name="artifacts-example",
        load_if_exists=True,
        sampler=podbor.samplers.TPESampler(seed=0),
    )
    study.optimize(objective, n_trials=args.n_trials)

    best = study.best_trial
    best_dir = out / f"best-trial-{best.number}"
    best_dir.mkdir(parents=True, exist_ok=True)
    downloaded = []
    for meta in get_all_artifact_meta(best, storage=storage):
        target = best_dir / meta.filename
        target.unlink(missing_ok=True)  # a rerun with the same --dir replaces the copy
        download_artifact(
            artifact_store=artifact_store, artifact_id=meta.artifact_id, file_path=target
        )
        downloaded.append(f"{meta.filename} ({meta.mimetype})")

    # The downloaded model is the one the best trial scored: scoring it again gives its value.
    model = pickle.loads((best_dir / "model.pkl").read_bytes())
    rescored = float(mean_squared_error(y_valid, model.predict(x_valid)))
    assert abs(rescored - best.value) <= 1e-9 * max(1.0, abs(best.value)), (rescored, best.value)

    n_files = sum(len(get_all_artifact_meta(t, storage=storage)) for t in study.trials)
    print(f"Best value: {best.value:.4f}")
    print(f"Best parameters: {best.params}")
    print(f"Artifacts of the study's {len(study.trials)} trials: {n_files} in {out / 'store'}")
    print(f"Best trial's artifacts, downloaded to {best_dir}: {', '.join(downloaded)}")
    print(f"Re-scored downloaded model: {rescored:.4f}")


if __name__ == "__main__":
    main()
