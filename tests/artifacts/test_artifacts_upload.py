"""upload_artifact, get_all_artifact_meta and download_artifact over trials, frozen trials and
studies; the layout in the storage (Optuna's) and what survives a copy to Optuna's format."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import pytest

import podbor
from podbor.artifacts import (
    ArtifactMeta,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from podbor.artifacts.exceptions import ArtifactNotFound
from podbor.exceptions import InvalidArgumentError, UpdateFinishedTrialError
from podbor.storages import InMemoryStorage, JournalFileBackend, JournalStorage


@pytest.fixture(autouse=True)
def _quiet() -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)


@pytest.fixture()
def store(tmp_path: Path) -> FileSystemArtifactStore:
    return FileSystemArtifactStore(tmp_path / "store")


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    path = tmp_path / "report.txt"
    path.write_text("accuracy 0.93\n")
    return path


def _download(store: FileSystemArtifactStore, artifact_id: str, tmp_path: Path) -> bytes:
    target = tmp_path / f"download-{uuid.uuid4().hex}"
    download_artifact(artifact_store=store, artifact_id=artifact_id, file_path=target)
    return target.read_bytes()


class RecordingStore:
    """An in-memory store that counts calls and can be told to fail its writes."""

    def __init__(self, fail_write: bool = False) -> None:
        self.blobs: dict[str, bytes] = {}
        self.fail_write = fail_write
        self.removed: list[str] = []

    def open_reader(self, artifact_id: str) -> BinaryIO:
        if artifact_id not in self.blobs:
            raise ArtifactNotFound(artifact_id)
        return io.BytesIO(self.blobs[artifact_id])

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        if self.fail_write:
            raise ConnectionError("bucket unreachable")
        self.blobs[artifact_id] = content_body.read()

    def remove(self, artifact_id: str) -> None:
        self.removed.append(artifact_id)
        self.blobs.pop(artifact_id)


# -- the three kinds of target -----------------------------------------------------------------
def test_a_live_trial_gets_its_artifact_and_sees_it_in_its_own_attributes(
    store: FileSystemArtifactStore, source: Path, tmp_path: Path
) -> None:
    study = podbor.create_study()
    trial = study.ask()
    artifact_id = upload_artifact(artifact_store=store, file_path=source, study_or_trial=trial)

    uuid.UUID(artifact_id)  # a UUID, as Optuna makes
    assert get_all_artifact_meta(trial) == [
        ArtifactMeta(artifact_id, "report.txt", "text/plain", None)
    ]
    assert f"artifacts:{artifact_id}" in trial.system_attrs  # the trial's own view is current
    assert _download(store, artifact_id, tmp_path) == b"accuracy 0.93\n"
    assert get_all_artifact_meta(study) == []  # the study's list holds only its own


def test_objective_uploads_one_file_per_trial_and_each_downloads_back(
    store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    def objective(trial: podbor.Trial) -> float:
        x = trial.suggest_int("x", 0, 100)
        path = tmp_path / f"x-{trial.number}.txt"
        path.write_text(str(x))
        upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)
        return float(x)

    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=4)
    for frozen in study.trials:
        (meta,) = get_all_artifact_meta(frozen, storage=study._storage)
        assert meta.filename == f"x-{frozen.number}.txt"
        assert _download(store, meta.artifact_id, tmp_path) == str(frozen.params["x"]).encode()


def test_a_frozen_trial_needs_its_storage(store: FileSystemArtifactStore, source: Path) -> None:
    storage = InMemoryStorage()
    study = podbor.create_study(storage=storage)
    study.ask()
    frozen = study.trials[0]
    with pytest.raises(InvalidArgumentError, match="'storage' parameter of upload_artifact"):
        upload_artifact(artifact_store=store, file_path=source, study_or_trial=frozen)
    with pytest.raises(ValueError, match="FrozenTrial"):
        get_all_artifact_meta(frozen)
    assert list(store.base_path.glob("*")) == []  # refused before anything was written

    first = upload_artifact(
        artifact_store=store, file_path=source, study_or_trial=frozen, storage=storage
    )
    second = upload_artifact(
        artifact_store=store, file_path=source, study_or_trial=frozen, storage=storage
    )
    metas = get_all_artifact_meta(frozen, storage=storage)
    assert [m.artifact_id for m in metas] == [first, second]  # in upload order
    assert len(list(store.base_path.glob("*"))) == 2


def test_a_study_gets_artifacts_of_its_own(store: FileSystemArtifactStore, source: Path) -> None:
    study = podbor.create_study()
    trial = study.ask()
    artifact_id = upload_artifact(artifact_store=store, file_path=source, study_or_trial=study)
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [artifact_id]
    assert get_all_artifact_meta(trial) == []
    assert f"artifacts:{artifact_id}" in study.system_attrs


def test_mimetype_and_encoding_are_guessed_or_taken_as_given(
    store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    study = podbor.create_study()
    trial = study.ask()
    for name in ("table.csv.gz", "weights.unknownext", "mesh.obj"):
        (tmp_path / name).write_bytes(b"\x00\x01")
    upload_artifact(artifact_store=store, file_path=tmp_path / "table.csv.gz", study_or_trial=trial)
    upload_artifact(
        artifact_store=store, file_path=tmp_path / "weights.unknownext", study_or_trial=trial
    )
    upload_artifact(
        artifact_store=store,
        file_path=tmp_path / "mesh.obj",
        study_or_trial=trial,
        mimetype="model/obj",
        encoding="utf-8",
    )
    got = [(m.filename, m.mimetype, m.encoding) for m in get_all_artifact_meta(trial)]
    assert got == [
        ("table.csv.gz", "text/csv", "gzip"),
        ("weights.unknownext", "application/octet-stream", None),
        ("mesh.obj", "model/obj", "utf-8"),
    ]


def test_a_given_storage_wins_over_the_studys_own(
    store: FileSystemArtifactStore, source: Path
) -> None:
    storage = InMemoryStorage()
    study = podbor.create_study(storage=storage)
    trial = study.ask()
    upload_artifact(artifact_store=store, file_path=source, study_or_trial=trial, storage=storage)
    assert len(get_all_artifact_meta(trial, storage=storage)) == 1


def test_parallel_trials_each_keep_their_own_artifacts(
    store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    def objective(trial: podbor.Trial) -> float:
        path = tmp_path / f"t{trial.number}.bin"
        path.write_bytes(bytes([trial.number]) * 1000)
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
        return float(trial.number)

    storage = InMemoryStorage()
    study = podbor.create_study(storage=storage)
    study.optimize(objective, n_trials=12, n_jobs=3)
    for frozen in study.trials:
        (meta,) = get_all_artifact_meta(frozen, storage=storage)
        assert meta.filename == f"t{frozen.number}.bin"
        assert _download(store, meta.artifact_id, tmp_path) == bytes([frozen.number]) * 1000


# -- Optuna's layout, and studies copied to Optuna's format ------------------------------------
def test_the_description_is_stored_in_optunas_layout(
    store: FileSystemArtifactStore, source: Path
) -> None:
    study = podbor.create_study()
    trial = study.ask()
    artifact_id = upload_artifact(artifact_store=store, file_path=source, study_or_trial=trial)
    stored = study._storage.get_trial_system_attrs(trial._trial_id)[f"artifacts:{artifact_id}"]
    assert isinstance(stored, str)  # JSON text, as Optuna stores it
    assert json.loads(stored) == {
        "artifact_id": artifact_id,
        "filename": "report.txt",
        "mimetype": "text/plain",
        "encoding": None,
    }


def test_an_artifact_written_by_optuna_is_listed(store: FileSystemArtifactStore) -> None:
    study = podbor.create_study()
    trial = study.ask()
    optuna_value = (
        '{"artifact_id": "1f0e", "filename": "m.pt", "mimetype": '
        '"application/octet-stream", "encoding": null}'
    )
    trial.set_system_attr("artifacts:1f0e", optuna_value)
    trial.set_system_attr("other", "kept out")
    assert get_all_artifact_meta(trial) == [
        ArtifactMeta("1f0e", "m.pt", "application/octet-stream", None)
    ]


def test_a_damaged_description_is_skipped_with_a_warning() -> None:
    study = podbor.create_study()
    trial = study.ask()
    trial.set_system_attr("artifacts:bad", "not json")
    trial.set_system_attr("artifacts:partial", json.dumps({"artifact_id": "x"}))
    trial.set_system_attr(
        "artifacts:good", json.dumps(ArtifactMeta("good", "a.txt", "text/plain", None).__dict__)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metas = get_all_artifact_meta(trial)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert "'artifacts:bad'" in messages[0] and "'artifacts:partial'" in messages[1]
    assert all(w.filename == __file__ for w in caught)  # at the caller's line
    assert [m.artifact_id for m in metas] == ["good"]


def test_artifacts_survive_a_copy_to_optunas_format_and_back(
    store: FileSystemArtifactStore, source: Path, tmp_path: Path
) -> None:
    study = podbor.create_study(study_name="art")
    trial = study.ask()
    trial_artifact = upload_artifact(artifact_store=store, file_path=source, study_or_trial=trial)
    study.tell(trial, 1.0)
    study_artifact = upload_artifact(artifact_store=store, file_path=source, study_or_trial=study)

    optuna_db = tmp_path / "optuna.db"
    podbor.copy_study(
        from_study_name="art",
        from_storage=study._storage,
        to_storage=f"sqlite:///{optuna_db}",
        to_format="optuna",
    )
    # What Optuna (and optuna-dashboard) read: value_json is the JSON of the JSON text.
    with sqlite3.connect(optuna_db) as conn:
        trial_rows = dict(conn.execute("SELECT key, value_json FROM trial_system_attributes"))
        study_rows = dict(conn.execute("SELECT key, value_json FROM study_system_attributes"))
    conn.close()
    trial_meta = json.loads(json.loads(trial_rows[f"artifacts:{trial_artifact}"]))
    assert trial_meta["filename"] == "report.txt" and trial_meta["artifact_id"] == trial_artifact
    assert json.loads(json.loads(study_rows[f"artifacts:{study_artifact}"]))["mimetype"] == (
        "text/plain"
    )

    back = InMemoryStorage()
    podbor.copy_study(from_study_name="art", from_storage=f"sqlite:///{optuna_db}", to_storage=back)
    copied = podbor.load_study(study_name="art", storage=back)
    (meta,) = get_all_artifact_meta(copied.trials[0], storage=back)
    assert meta.artifact_id == trial_artifact
    assert [m.artifact_id for m in get_all_artifact_meta(copied)] == [study_artifact]
    assert _download(store, meta.artifact_id, tmp_path) == source.read_bytes()


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_persistent_storages_list_every_upload(
    store: FileSystemArtifactStore, tmp_path: Path, kind: str
) -> None:
    def open_storage() -> str | JournalStorage:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / 'p.db'}"
        return JournalStorage(JournalFileBackend(str(tmp_path / "j.log")))

    study = podbor.create_study(storage=open_storage(), study_name="s")
    trial = study.ask()
    ids = []
    for i in range(3):
        path = tmp_path / f"f{i}.txt"
        path.write_text(str(i))
        ids.append(upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial))
    reloaded = podbor.load_study(study_name="s", storage=open_storage())  # a second handle
    listed = get_all_artifact_meta(reloaded.trials[0], storage=reloaded._storage)
    if kind == "journal":
        assert [m.artifact_id for m in listed] == ids  # the journal keeps the upload order
    else:
        assert sorted(m.artifact_id for m in listed) == sorted(ids)  # the database: key order
    assert {m.filename for m in listed} == {"f0.txt", "f1.txt", "f2.txt"}


# -- failures leave nothing half-done ----------------------------------------------------------
def test_a_missing_file_is_named_and_nothing_is_recorded(
    store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    trial = podbor.create_study().ask()
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match=r"'file_path' parameter .*nope\.txt"):
        upload_artifact(artifact_store=store, file_path=missing, study_or_trial=trial)
    with pytest.raises(IsADirectoryError, match="not a folder"):
        upload_artifact(artifact_store=store, file_path=tmp_path, study_or_trial=trial)
    assert get_all_artifact_meta(trial) == []


def test_a_failing_store_records_no_description(source: Path) -> None:
    trial = podbor.create_study().ask()
    with pytest.raises(ConnectionError):
        upload_artifact(
            artifact_store=RecordingStore(fail_write=True), file_path=source, study_or_trial=trial
        )
    assert get_all_artifact_meta(trial) == []


def test_a_finished_trial_refuses_and_the_uploaded_bytes_are_removed(source: Path) -> None:
    study = podbor.create_study()
    trial = study.ask()
    study.tell(trial, 0.0)
    store = RecordingStore()
    with pytest.raises(UpdateFinishedTrialError):
        upload_artifact(
            artifact_store=store,
            file_path=source,
            study_or_trial=study.trials[0],
            storage=study._storage,
        )
    assert store.blobs == {} and len(store.removed) == 1


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"study_or_trial": "trial-0"}, "'study_or_trial' parameter .*Trial, a FrozenTrial"),
        ({"storage": "sqlite:///x.db"}, "'storage' parameter .*BaseStorage"),
        ({"artifact_store": object()}, "'artifact_store' parameter .*open_reader"),
        ({"file_path": 3}, "'file_path' parameter .*path-like"),
        ({"mimetype": b"text/plain"}, "'mimetype' parameter .*str or None"),
        ({"encoding": 1}, "'encoding' parameter .*str or None"),
    ],
)
def test_arguments_of_the_wrong_type_are_named(
    store: FileSystemArtifactStore, source: Path, changes: dict[str, object], pattern: str
) -> None:
    arguments: dict[str, object] = {
        "artifact_store": store,
        "file_path": source,
        "study_or_trial": podbor.create_study().ask(),
    }
    arguments.update(changes)
    with pytest.raises(TypeError, match=pattern):
        upload_artifact(**arguments)  # type: ignore[arg-type]


def test_an_empty_mimetype_is_refused(store: FileSystemArtifactStore, source: Path) -> None:
    trial = podbor.create_study().ask()
    with pytest.raises(InvalidArgumentError, match=r"'mimetype' parameter .*non-empty"):
        upload_artifact(artifact_store=store, file_path=source, study_or_trial=trial, mimetype="")


def test_get_all_artifact_meta_names_a_wrong_target() -> None:
    with pytest.raises(TypeError, match="'study_or_trial' parameter of get_all_artifact_meta"):
        get_all_artifact_meta(podbor.trial.FixedTrial({"x": 1}))  # type: ignore[arg-type]


# -- Optuna 3.x's positional order -------------------------------------------------------------
def test_positional_arguments_still_work_with_a_future_warning(
    store: FileSystemArtifactStore, source: Path
) -> None:
    trial = podbor.create_study().ask()
    old_style: Any = upload_artifact  # the positional calls below are what mypy would refuse
    with pytest.warns(FutureWarning, match="positionally") as caught:
        first = old_style(trial, source, store)
    assert caught[0].filename == __file__  # points at the caller's line
    with pytest.warns(FutureWarning):
        second = old_style(trial, file_path=source, artifact_store=store)
    assert [m.artifact_id for m in get_all_artifact_meta(trial)] == [first, second]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # keywords only: no warning
        upload_artifact(artifact_store=store, file_path=source, study_or_trial=trial)
    with pytest.raises(TypeError, match="multiple values for argument 'file_path'"):
        old_style(trial, source, file_path=source, artifact_store=store)
    with pytest.raises(TypeError, match="at most 3 positional"):
        old_style(trial, source, store, None)


# -- download_artifact -------------------------------------------------------------------------
def test_download_never_overwrites_and_an_unknown_id_creates_no_file(
    store: FileSystemArtifactStore, source: Path, tmp_path: Path
) -> None:
    trial = podbor.create_study().ask()
    artifact_id = upload_artifact(artifact_store=store, file_path=source, study_or_trial=trial)
    existing = tmp_path / "existing.txt"
    existing.write_text("mine")
    with pytest.raises(FileExistsError, match=r"existing\.txt"):
        download_artifact(artifact_store=store, artifact_id=artifact_id, file_path=existing)
    assert existing.read_text() == "mine"

    target = tmp_path / "fresh.txt"
    with pytest.raises(ArtifactNotFound, match="no-such-id"):
        download_artifact(artifact_store=store, artifact_id="no-such-id", file_path=target)
    assert not target.exists()
    with pytest.raises(TypeError, match="'artifact_id' parameter of download_artifact"):
        download_artifact(artifact_store=store, artifact_id=3, file_path=target)  # type: ignore[arg-type]


def test_a_download_that_fails_half_way_leaves_no_file(tmp_path: Path) -> None:
    class BrokenStream(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = False

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            if self.sent:
                raise ConnectionResetError("connection dropped")
            self.sent = True
            buffer[:4] = b"half"
            return 4

    class HalfStore(RecordingStore):
        def open_reader(self, artifact_id: str) -> BinaryIO:
            return BrokenStream()  # type: ignore[return-value]

    target = tmp_path / "model.bin"
    with pytest.raises(ConnectionResetError):
        download_artifact(artifact_store=HalfStore(), artifact_id="a", file_path=target)
    assert not target.exists()
