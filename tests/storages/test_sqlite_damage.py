"""Damaged and foreign SQLite files, locked files and malformed URL query parameters: a clear
podbor error that names the file (or the parameter), in bounded time, and nothing foreign changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import podbor
from podbor.exceptions import InvalidArgumentError, StorageInternalError
from podbor.storages import RDBStorage
from podbor.storages._rdb._engine import SQLITE_BUSY_TIMEOUT_S


@pytest.fixture(scope="module")
def podbor_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a podbor SQLite file holding one study of 20 finished trials."""
    path = tmp_path_factory.mktemp("db") / "study.db"
    storage = RDBStorage(f"sqlite:///{path}")
    study = podbor.create_study(storage=storage, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    storage.remove_session()
    return path.read_bytes()


# -- foreign files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"x",
        b"\n",
        b"not a database at all\n" * 10,
        b"SQLite format 2\x00" + b"\x00" * 100,
        bytes(range(256)),
    ],
    ids=["one byte", "newline", "text", "almost a header", "binary"],
)
def test_a_foreign_file_is_refused_and_left_unchanged(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "foreign.db"
    path.write_bytes(content)
    with pytest.raises(InvalidArgumentError, match="is not a SQLite database") as info:
        RDBStorage(f"sqlite:///{path}")
    assert str(path) in str(info.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db"]  # no -wal, no -journal


def test_an_empty_file_becomes_a_podbor_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    storage = RDBStorage(f"sqlite:///{path}")
    assert storage.get_all_studies() == []
    storage.remove_session()


# -- read-only files ---------------------------------------------------------------------------


def _unwritable(path: Path) -> bool:
    try:
        with open(path if path.is_file() else path / "probe", "ab"):
            pass
    except PermissionError:
        return True
    if path.is_dir():
        (path / "probe").unlink()
    return False


@contextlib.contextmanager
def _read_only(paths: list[Path]) -> Iterator[bool]:
    """Make ``paths`` unwritable for this process (``chattr +i`` as root, who ignores file
    modes; ``chmod`` otherwise), yield whether that worked, and undo it."""
    chattr = shutil.which("chattr") if os.geteuid() == 0 else None
    done: list[Path] = []
    try:
        for path in paths:
            if os.geteuid() == 0:
                if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode:
                    break
            else:
                path.chmod(0o555 if path.is_dir() else 0o444)
            done.append(path)
        worked = len(done) == len(paths) and all(_unwritable(p) for p in paths)
        yield worked
    finally:
        for path in reversed(done):
            if chattr is not None:
                subprocess.run([chattr, "-i", str(path)], check=False)
            else:
                path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["file", "file and folder"])
def test_a_read_only_database_is_read_without_mode_ro_and_a_write_is_refused(
    tmp_path: Path, podbor_db: bytes, what: str
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "study.db"
    path.write_bytes(podbor_db)
    url = f"sqlite:///{path}"
    with _read_only([path, folder] if what == "file and folder" else [path]) as read_only:
        if not read_only:
            pytest.skip("cannot make a file read-only here (no chattr as root)")
        # the CLI and the API read it as it is, without ?mode=ro
        done = subprocess.run(
            [sys.executable, "-m", "podbor", "trials", "--storage", url, "--study-name", "s",
             "--format", "json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)) == 20
        study = podbor.load_study(study_name="s", storage=url)
        assert len(study.trials) == 20
        # a write is refused with podbor's error, naming the file and saying why
        with pytest.raises(StorageInternalError, match="read-only for this process") as info:
            study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        assert str(path) in str(info.value)
        study._storage.remove_session()  # type: ignore[attr-defined]
    assert path.read_bytes() == podbor_db  # nothing changed, not even the journal mode
    assert len(podbor.load_study(study_name="s", storage=url).trials) == 20


def test_a_writable_file_with_its_wal_in_a_read_only_folder_stays_writable(
    tmp_path: Path, podbor_db: bytes
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "study.db"
    path.write_bytes(podbor_db)
    keeper = sqlite3.connect(path)  # holds the -wal and -shm open, as a running worker does
    keeper.execute("PRAGMA journal_mode=WAL").fetchone()
    keeper.execute("SELECT count(*) FROM trials").fetchone()
    assert (folder / "study.db-wal").exists() and (folder / "study.db-shm").exists()
    try:
        with _read_only([folder]) as read_only:
            if not read_only:
                pytest.skip("cannot make a folder read-only here (no chattr as root)")
            storage = RDBStorage(f"sqlite:///{path}")
            study = podbor.load_study(study_name="s", storage=storage)
            study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            assert len(study.trials) == 22
            storage.remove_session()
    finally:
        keeper.close()


# -- damaged files -----------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.25, 0.5, 0.75])
def test_a_truncated_file_gives_a_clear_error_naming_it(
    tmp_path: Path, podbor_db: bytes, fraction: float
) -> None:
    path = tmp_path / "study.db"
    cut = max(16, int(len(podbor_db) * fraction))
    damaged = podbor_db[:cut]
    path.write_bytes(damaged)
    with pytest.raises((InvalidArgumentError, StorageInternalError)) as info:
        storage = RDBStorage(f"sqlite:///{path}")
        podbor.load_study(study_name="s", storage=storage).trials  # noqa: B018
    message = str(info.value)
    assert str(path) in message
    assert "damaged" in message
    assert path.read_bytes() == damaged


def test_every_truncation_of_the_last_page_is_readable_or_a_clear_error(
    tmp_path: Path, podbor_db: bytes
) -> None:
    page = 4096
    for cut in range(len(podbor_db) - page, len(podbor_db), 509):
        path = tmp_path / f"cut{cut}.db"
        path.write_bytes(podbor_db[:cut])
        try:
            storage = RDBStorage(f"sqlite:///{path}")
            trials = podbor.load_study(study_name="s", storage=storage).trials
            storage.remove_session()
        except (InvalidArgumentError, StorageInternalError) as err:
            assert str(path) in str(err)
        else:
            assert len(trials) == 20  # nothing finished is lost when it opens


# -- locked files ------------------------------------------------------------------------------


@pytest.fixture
def locked_db(tmp_path: Path) -> Iterator[Path]:
    """A podbor SQLite file that another connection holds an exclusive lock on."""
    path = tmp_path / "study.db"
    RDBStorage(f"sqlite:///{path}").remove_session()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    yield path
    conn.execute("ROLLBACK")
    conn.close()


def test_a_locked_file_fails_after_the_busy_timeout_saying_it_is_locked(locked_db: Path) -> None:
    start = time.monotonic()
    with pytest.raises(StorageInternalError, match="is locked by another connection") as info:
        RDBStorage(f"sqlite:///{locked_db}?timeout=0.5")
    elapsed = time.monotonic() - start
    assert elapsed < 5  # 0.5 s of busy timeout, retries included (was 12 × the timeout)
    assert str(locked_db) in str(info.value)
    assert "?timeout=SECONDS" in str(info.value)


def test_the_busy_timeout_also_comes_from_connect_args(locked_db: Path) -> None:
    start = time.monotonic()
    with pytest.raises(StorageInternalError, match=r"stayed locked for 0\.3 s"):
        RDBStorage(f"sqlite:///{locked_db}", engine_kwargs={"connect_args": {"timeout": 0.3}})
    assert time.monotonic() - start < 5
    assert SQLITE_BUSY_TIMEOUT_S == 60.0  # the documented default


def test_a_write_to_a_file_locked_by_another_process_names_the_process(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    storage = RDBStorage(f"sqlite:///{path}?timeout=0.5")
    study = podbor.create_study(storage=storage, study_name="s")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sqlite3, sys, time
                conn = sqlite3.connect({str(path)!r}, isolation_level=None)
                conn.execute("BEGIN EXCLUSIVE")
                print("locked", flush=True)
                time.sleep(30)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        with pytest.raises(StorageInternalError, match="is locked") as info:
            study.set_user_attr("k", 1)
        assert time.monotonic() - start < 5
        if sys.platform.startswith("linux"):
            assert f"pid {holder.pid}" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    study.set_user_attr("k", 1)  # works again once the lock is gone
    assert study.user_attrs == {"k": 1}
    storage.remove_session()


# -- URL query parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("timeout=abc", "timeout"),
        ("timeout=-1", "timeout"),
        ("timeout=inf", "timeout"),
        ("timeout=nan", "timeout"),
        ("timeout=1&timeout=2", "timeout"),
        ("check_same_thread=maybe", "check_same_thread"),
        ("uri=2", "uri"),
        ("cached_statements=many", "cached_statements"),
        ("detect_types=-3", "detect_types"),
    ],
)
def test_a_malformed_query_parameter_is_named(tmp_path: Path, query: str, parameter: str) -> None:
    path = tmp_path / "study.db"
    with pytest.raises(
        InvalidArgumentError, match=f"'{parameter}' parameter of the RDBStorage URL"
    ):
        RDBStorage(f"sqlite:///{path}?{query}")
    assert not path.exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://user@localhost/db?connect_timeout=abc",
        "mysql+pymysql://user@localhost/db?connect_timeout=-5",
    ],
)
def test_a_malformed_server_query_parameter_is_named_before_connecting(url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="'connect_timeout' parameter"):
        RDBStorage(url)


def test_a_wellformed_query_is_used(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'study.db'}?timeout=2.5&check_same_thread=false")
    assert storage.get_all_studies() == []
    storage.remove_session()
