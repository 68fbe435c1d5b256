"""The artifact stores: the file-system store (ids confined to its folder, atomic writes), the
Backoff wrapper (retries and pauses), and the S3 and GCS stores over in-memory fake clients
(no network; boto3 and google-cloud-storage are needed only to make a default client)."""

from __future__ import annotations

import builtins
import io
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from podbor.artifacts import (
    ArtifactStore,
    Backoff,
    Boto3ArtifactStore,
    FileSystemArtifactStore,
    GCSArtifactStore,
)
from podbor.artifacts.exceptions import ArtifactNotFound
from podbor.exceptions import ExperimentalWarning, InvalidArgumentError, PodborError


# -- FileSystemArtifactStore -------------------------------------------------------------------
def test_filesystem_round_trip_remove_and_not_found(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path)
    store.write("a1", io.BytesIO(b"first"))
    store.write("a1", io.BytesIO(b"second"))  # a write replaces
    with store.open_reader("a1") as f:
        assert f.read() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["a1"]  # no temporary file left behind
    store.remove("a1")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ArtifactNotFound, match="'a1'"):
        store.open_reader("a1")
    with pytest.raises(ArtifactNotFound):
        store.remove("a1")
    assert issubclass(ArtifactNotFound, PodborError)


def test_filesystem_store_writes_from_the_current_position(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path)
    body = io.BytesIO(b"headerPAYLOAD")
    body.seek(6)
    store.write("p", body)
    assert (tmp_path / "p").read_bytes() == b"PAYLOAD"


def test_filesystem_store_creates_its_folder_on_first_write(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / "artifacts"
    store = FileSystemArtifactStore(str(folder))
    assert not folder.exists()  # nothing happens until something is written
    with pytest.raises(ArtifactNotFound):
        store.open_reader("x")
    store.write("x", io.BytesIO(b"1"))
    assert (folder / "x").read_bytes() == b"1"
    assert store.base_path == folder


@pytest.mark.parametrize(
    "artifact_id",
    ["../test.txt", "/etc/passwd", "..", ".", "", "a/b", "a\\b", "a/../../b", "x\x00y"],
)
def test_filesystem_store_refuses_ids_that_leave_its_folder(
    tmp_path: Path, artifact_id: str
) -> None:
    inner = tmp_path / "store"
    inner.mkdir()
    (tmp_path / "test.txt").write_text("outside")
    store = FileSystemArtifactStore(inner)
    for call in (
        lambda: store.open_reader(artifact_id),
        lambda: store.write(artifact_id, io.BytesIO(b"evil")),
        lambda: store.remove(artifact_id),
    ):
        with pytest.raises(InvalidArgumentError, match="Invalid artifact_id") as info:
            call()
        assert "'artifact_id' parameter of FileSystemArtifactStore." in str(info.value)
    assert (tmp_path / "test.txt").read_text() == "outside"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store", "test.txt"]
    assert list(inner.iterdir()) == []


def test_filesystem_store_checks_its_base_path(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(InvalidArgumentError, match=r"'base_path' parameter .*a folder"):
        FileSystemArtifactStore(a_file)
    with pytest.raises(InvalidArgumentError, match="'base_path'"):
        FileSystemArtifactStore("")
    with pytest.raises(TypeError, match=r"'base_path' parameter .*path-like"):
        FileSystemArtifactStore(3)  # type: ignore[arg-type]


def test_filesystem_store_readers_never_see_half_a_file(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path)
    big, small = b"A" * 2_000_000, b"B" * 10
    store.write("x", io.BytesIO(small))
    seen: set[bytes] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            with store.open_reader("x") as f:
                data = f.read()
            seen.add(data[:1] + str(len(data)).encode())

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(10):
        store.write("x", io.BytesIO(big))
        store.write("x", io.BytesIO(small))
    stop.set()
    reader.join()
    assert seen <= {b"A2000000", b"B10"}


def test_filesystem_store_cleans_up_after_a_failed_write(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise OSError("disk read error")

    store = FileSystemArtifactStore(tmp_path)
    with pytest.raises(OSError, match="disk read error"):
        store.write("x", Broken())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# -- Backoff -----------------------------------------------------------------------------------
class FlakyStore:
    """Fails the first ``failures`` calls of each method, then works (in memory)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: dict[str, int] = {"open_reader": 0, "write": 0, "remove": 0}
        self.blobs: dict[str, bytes] = {}

    def _maybe_fail(self, method: str) -> None:
        self.calls[method] += 1
        if self.calls[method] <= self.failures:
            raise ConnectionError(f"{method} failed")

    def open_reader(self, artifact_id: str) -> BinaryIO:
        self._maybe_fail("open_reader")
        if artifact_id not in self.blobs:
            raise ArtifactNotFound(artifact_id)
        return io.BytesIO(self.blobs[artifact_id])

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        data = content_body.read()  # consumed before failing, as a real upload may
        self._maybe_fail("write")
        self.blobs[artifact_id] = data

    def remove(self, artifact_id: str) -> None:
        self._maybe_fail("remove")
        if self.blobs.pop(artifact_id, None) is None:
            raise ArtifactNotFound(artifact_id)


@pytest.fixture()
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)  # Backoff's pauses, not waited
    return recorded


def test_backoff_pauses_grow_and_are_capped() -> None:
    store = Backoff(FlakyStore(0), min_delay=0.1, multiplier=10, max_delay=10)
    assert [store._get_sleep_secs(n) for n in range(4)] == pytest.approx([0.1, 1, 10, 10])
    assert Backoff(FlakyStore(0))._get_sleep_secs(10_000) == 30  # no overflow


def test_backoff_retries_each_method_until_it_works(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(failures=2)
    store = Backoff(flaky, max_retries=3, min_delay=0.5, multiplier=2, max_delay=30)
    body = io.BytesIO(b"xxhello")
    body.seek(2)
    store.write("a", body)
    assert flaky.blobs["a"] == b"hello"  # each retry starts where the first try started
    with store.open_reader("a") as f:
        assert f.read() == b"hello"
    store.remove("a")
    assert flaky.calls == {"open_reader": 3, "write": 3, "remove": 3}
    assert flaky.blobs == {}  # removed once, not again after it worked
    assert sleeps == [0.5, 1.0] * 3
    assert sum("Failed to write artifact 'a'" in r.getMessage() for r in caplog.records) == 2


def test_backoff_raises_the_last_error_and_never_retries_not_found(sleeps: list[float]) -> None:
    flaky = FlakyStore(failures=5)
    with pytest.raises(ConnectionError, match="write failed"):
        Backoff(flaky, max_retries=3).write("a", io.BytesIO(b"x"))
    assert flaky.calls["write"] == 3 and len(sleeps) == 2

    healthy = FlakyStore(failures=0)
    with pytest.raises(ArtifactNotFound):
        Backoff(healthy).open_reader("missing")
    assert healthy.calls["open_reader"] == 1


def test_backoff_tries_an_unseekable_stream_once(sleeps: list[float]) -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            return 0

    flaky = FlakyStore(failures=1)
    with pytest.raises(ConnectionError):
        Backoff(flaky).write("a", Pipe())  # type: ignore[arg-type]
    assert flaky.calls["write"] == 1 and sleeps == []


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"max_retries": 0}, "max_retries"),
        ({"multiplier": 0}, "multiplier"),
        ({"min_delay": -1}, "min_delay"),
        ({"min_delay": 5, "max_delay": 1}, "max_delay"),
        ({"max_delay": float("inf")}, "max_delay"),
    ],
)
def test_backoff_names_a_bad_argument(arguments: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"'{name}' parameter of Backoff"):
        Backoff(FlakyStore(0), **arguments)


def test_backoff_needs_a_store() -> None:
    with pytest.raises(TypeError, match="'backend' parameter of Backoff"):
        Backoff(object())  # type: ignore[arg-type]


# -- Boto3ArtifactStore over a fake S3 client ---------------------------------------------------
class ClientError(Exception):
    """Shaped like botocore's ClientError: the service's answer in ``response``."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}


class FakeS3:
    """The three S3 client methods the store calls, over a dict; closes what it uploads from
    (boto3's upload_fileobj may do so)."""

    def __init__(self, buckets: tuple[str, ...] = ("bucket",)) -> None:
        self.objects: dict[str, dict[str, bytes]] = {name: {} for name in buckets}

    def _bucket(self, name: str) -> dict[str, bytes]:
        if name not in self.objects:
            raise ClientError("NoSuchBucket", 404)
        return self.objects[name]

    def upload_fileobj(self, Fileobj: BinaryIO, Bucket: str, Key: str) -> None:
        self._bucket(Bucket)[Key] = Fileobj.read()
        Fileobj.close()

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        bucket = self._bucket(Bucket)
        if Key not in bucket:
            raise ClientError("NoSuchKey", 404)
        return {"Body": io.BytesIO(bucket[Key])}

    def delete_object(self, Bucket: str, Key: str) -> None:
        self._bucket(Bucket).pop(Key, None)


@pytest.mark.parametrize("avoid_buf_copy", [False, True])
def test_boto3_store_round_trip(avoid_buf_copy: bool) -> None:
    client = FakeS3()
    store = Boto3ArtifactStore("bucket", client, avoid_buf_copy=avoid_buf_copy)
    body = io.BytesIO(b"weights")
    store.write("run-1", body)
    assert client.objects["bucket"] == {"run-1": b"weights"}
    assert body.closed is avoid_buf_copy  # by default the caller's file stays open
    with store.open_reader("run-1") as f:
        assert f.read() == b"weights"
    store.remove("run-1")
    assert client.objects["bucket"] == {}
    store.remove("run-1")  # a missing key: quiet, as S3's delete
    assert (store.bucket, store.client) == ("bucket", client)


def test_boto3_store_tells_a_missing_key_from_a_missing_bucket() -> None:
    with pytest.raises(ArtifactNotFound, match="'nope' in the S3 bucket 'bucket'"):
        Boto3ArtifactStore("bucket", FakeS3()).open_reader("nope")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        Boto3ArtifactStore("other", FakeS3()).open_reader("nope")

    class Denied(FakeS3):
        def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
            raise ClientError("AccessDenied", 403)

    with pytest.raises(ClientError, match="AccessDenied"):
        Boto3ArtifactStore("bucket", Denied()).open_reader("x")


def test_boto3_store_with_backoff_survives_a_flaky_client(sleeps: list[float]) -> None:
    class Flaky(FakeS3):
        failed = False

        def upload_fileobj(self, Fileobj: BinaryIO, Bucket: str, Key: str) -> None:
            if not self.failed:
                self.failed = True
                raise ConnectionError("reset")
            super().upload_fileobj(Fileobj, Bucket, Key)

    client = Flaky()
    store: ArtifactStore = Backoff(Boto3ArtifactStore("bucket", client))
    store.write("a", io.BytesIO(b"data"))
    assert client.objects["bucket"] == {"a": b"data"} and sleeps == [0.1]


def _hide(monkeypatch: pytest.MonkeyPatch, top: str) -> None:
    """Make ``import top`` (and its submodules) fail, as if it were not installed."""
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == top or name.startswith(top + "."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    for module in [m for m in list(sys.modules) if m == top or m.startswith(top + ".")]:
        monkeypatch.delitem(sys.modules, module)


def test_boto3_store_imports_boto3_only_for_its_own_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide(monkeypatch, "boto3")
    Boto3ArtifactStore("bucket", FakeS3())  # a given client needs no boto3
    with pytest.raises(ImportError, match=r"pip install podbor\[boto3\]"):
        Boto3ArtifactStore("bucket")


def test_boto3_store_checks_its_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match="'bucket_name' parameter"):
        Boto3ArtifactStore("", FakeS3())
    with pytest.raises(TypeError, match="'bucket_name' parameter"):
        Boto3ArtifactStore(None, FakeS3())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="'avoid_buf_copy' parameter"):
        Boto3ArtifactStore("bucket", FakeS3(), avoid_buf_copy="yes")  # type: ignore[arg-type]


# -- GCSArtifactStore over a fake client --------------------------------------------------------
class NotFound(Exception):
    """Shaped like google.api_core.exceptions.NotFound."""

    code = 404


class FakeBlob:
    def __init__(self, blobs: dict[str, bytes], name: str) -> None:
        self.blobs, self.name = blobs, name

    def upload_from_string(self, data: bytes) -> None:
        self.blobs[self.name] = data

    def download_as_bytes(self) -> bytes:
        return self.blobs[self.name]


class FakeBucket:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def blob(self, name: str) -> FakeBlob:
        return FakeBlob(self.blobs, name)

    def get_blob(self, name: str) -> FakeBlob | None:
        return FakeBlob(self.blobs, name) if name in self.blobs else None

    def delete_blob(self, name: str) -> None:
        if name not in self.blobs:
            raise NotFound(name)
        del self.blobs[name]


class FakeGCS:
    def __init__(self) -> None:
        self.buckets: dict[str, FakeBucket] = {}

    def bucket(self, name: str) -> FakeBucket:
        return self.buckets.setdefault(name, FakeBucket())


def test_gcs_store_round_trip_and_not_found() -> None:
    client = FakeGCS()
    with pytest.warns(ExperimentalWarning, match="GCSArtifactStore"):
        store = GCSArtifactStore("bucket", client)
    body = io.BytesIO(b"..weights")
    body.seek(2)
    store.write("run-1", body)
    assert client.buckets["bucket"].blobs == {"run-1": b"weights"}
    with store.open_reader("run-1") as f:
        assert f.read() == b"weights"
    store.remove("run-1")
    assert client.buckets["bucket"].blobs == {}
    with pytest.raises(ArtifactNotFound, match="'run-1' in the GCS bucket 'bucket'"):
        store.open_reader("run-1")
    with pytest.raises(ArtifactNotFound):
        store.remove("run-1")


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
def test_gcs_store_imports_its_library_only_for_its_own_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide(monkeypatch, "google.cloud.storage")
    assert GCSArtifactStore("bucket", FakeGCS()).bucket_name == "bucket"
    with pytest.raises(ImportError, match=r"pip install podbor\[gcs\]"):
        GCSArtifactStore("bucket")
    with pytest.raises(InvalidArgumentError, match="'bucket_name' parameter"):
        GCSArtifactStore("", FakeGCS())


def test_every_store_satisfies_the_protocol(tmp_path: Path) -> None:
    stores: list[ArtifactStore] = [
        FileSystemArtifactStore(tmp_path),
        Backoff(FileSystemArtifactStore(tmp_path)),
        Boto3ArtifactStore("bucket", FakeS3()),
    ]
    for number, store in enumerate(stores):
        store.write(f"id-{number}", io.BytesIO(b"same bytes"))
        with store.open_reader(f"id-{number}") as f:
            assert f.read() == b"same bytes"
        store.remove(f"id-{number}")


# -- the real client libraries, where installed (offline: moto answers for S3) ----------------
def test_boto3_store_against_botocores_real_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    moto = pytest.importorskip("moto", reason="moto (and boto3) fake S3 offline")
    boto3 = pytest.importorskip("boto3")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        boto3.client("s3").create_bucket(Bucket="bucket")
        store = Boto3ArtifactStore("bucket")  # its own client, made by boto3
        body = open(__file__, "rb")  # noqa: SIM115 - closed below, after checking it stayed open
        store.write("me", body)
        assert not body.closed
        body.close()
        with store.open_reader("me") as f:
            assert f.read() == Path(__file__).read_bytes()
        store.remove("me")
        with pytest.raises(ArtifactNotFound):
            store.open_reader("me")
        with pytest.raises(Exception, match="NoSuchBucket") as info:
            Boto3ArtifactStore("no-such-bucket").open_reader("me")
        assert not isinstance(info.value, ArtifactNotFound)


def test_gcs_not_found_is_recognized_from_google_api_core() -> None:
    exceptions = pytest.importorskip("google.api_core.exceptions")

    class Bucket(FakeBucket):
        def delete_blob(self, name: str) -> None:
            raise exceptions.NotFound(f"No such object: bucket/{name}")

    class Client(FakeGCS):
        def bucket(self, name: str) -> FakeBucket:
            return Bucket()

    with pytest.warns(ExperimentalWarning):
        store = GCSArtifactStore("bucket", Client())
    with pytest.raises(ArtifactNotFound):
        store.remove("x")
