"""``podbor dashboard``: its options, the storages it refuses (left unchanged), and a real server
in a subprocess that answers, prints its address and stops with exit code 0 on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

import podbor
from podbor.cli import main
from podbor.dashboard import _app
from podbor.distributions import BaseDistribution, FloatDistribution
from podbor.storages._optuna import read_studies, write_studies
from podbor.trial import create_trial

X: dict[str, BaseDistribution] = {"x": FloatDistribution(0, 1)}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "studies.db"
    url = f"sqlite:///{path}"
    study = podbor.create_study(storage=url, study_name="served")
    study.add_trials(
        create_trial(value=float(i), params={"x": i / 4}, distributions=X) for i in range(4)
    )
    return url


class Served:
    """What the command handed to ``serve`` (which the in-process tests do not run)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[dict[str, Any]] = []

        def serve(app: Any, host: str, port: int, *, on_ready: Any) -> None:
            on_ready(f"http://{host}:{port}/")
            self.calls.append({"app": app, "host": host, "port": port})

        monkeypatch.setattr(_app, "serve", serve)

    def client(self) -> TestClient:
        return TestClient(self.calls[-1]["app"], base_url="http://127.0.0.1:8080")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    monkeypatch.delenv("PODBOR_DASHBOARD_TOKEN", raising=False)
    return Served(monkeypatch)


# -- in process ---------------------------------------------------------------------------------
def test_serves_the_storage(url: str, served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--storage", url, "--port", "8123"]) == 0
    assert capsys.readouterr().out == "http://127.0.0.1:8123/\n"
    assert served.calls[-1]["host"] == "127.0.0.1" and served.calls[-1]["port"] == 8123
    studies = served.client().get("/api/studies").json()["studies"]
    assert [(s["name"], s["n_trials"]) for s in studies] == [("served", 4)]
    assert served.client().get("/api/config").json()["allow_write"] is False


def test_token_option_and_environment(
    url: str, served: Served, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["dashboard", "--storage", url, "--token", "t0k"]) == 0
    assert "http://127.0.0.1:8080/?token=t0k" in capsys.readouterr().out
    assert served.client().get("/api/studies").status_code == 401
    monkeypatch.setenv("PODBOR_DASHBOARD_TOKEN", "from-env")
    assert main(["dashboard", "--storage", url]) == 0
    assert "?token=from-env" in capsys.readouterr().out
    auth = {"authorization": "Bearer from-env"}
    assert served.client().get("/api/studies", headers=auth).status_code == 200


def test_allow_write_and_allowed_hosts(url: str, served: Served) -> None:
    argv = [
        "dashboard",
        "--storage",
        url,
        "--allow-write",
        "--allowed-hosts",
        "a.example, b.example",
    ]
    assert main(argv) == 0
    client = served.client()
    config = client.get("/api/config").json()
    assert config["allow_write"] is True and config["csrf_token"]
    assert client.get("/api/studies", headers={"host": "b.example:80"}).status_code == 200
    assert client.get("/api/studies", headers={"host": "c.example"}).status_code == 400


def test_optuna_database_is_served_as_a_snapshot(
    url: str, tmp_path: Path, served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "optuna.db"
    write_studies(f"sqlite:///{path}", read_studies(url, None), to_format="optuna")
    before = path.read_bytes()
    assert main(["dashboard", "--storage", f"sqlite:///{path}", "--allow-write"]) == 0
    captured = capsys.readouterr()
    assert "snapshot" in captured.err and captured.out.startswith("http://")
    config = served.client().get("/api/config").json()
    assert config["snapshot"] is True and config["allow_write"] is False
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "there is no file"),
        (b"", "empty"),
        (b"GIF89a not a database" * 10, "not a SQLite database"),
        (b"SQLite format 3\x00" + b"\x07" * 5000, "as a database"),
    ],
    ids=["missing", "empty", "foreign", "damaged"],
)
def test_broken_storages_are_refused_and_never_modified(
    tmp_path: Path, served: Served, capsys: pytest.CaptureFixture[str], content: Any, words: str
) -> None:
    path = tmp_path / "x.db"
    if content is not None:
        path.write_bytes(content)
    assert main(["dashboard", "--storage", f"sqlite:///{path}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("podbor: error: ") and words in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert served.calls == []
    if content is None:
        assert not path.exists()
    else:
        assert path.read_bytes() == content
        assert [p.name for p in tmp_path.iterdir()] == ["x.db"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--port", "70000"], "--port"),
        (["--token", "a b"], "token"),
    ],
)
def test_wrong_options(
    url: str, served: Served, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert main(["dashboard", "--storage", url, *argv]) == 1
    assert words in capsys.readouterr().err
    assert served.calls == []


def test_a_taken_port_is_one_line(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--storage", url, "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err


@pytest.mark.parametrize(
    ("host", "warned"),
    [("127.0.0.1", False), ("localhost", False), ("::1", False), ("0.0.0.0", True)],
)
def test_a_host_beyond_the_loopback_is_warned_about(
    podbor_log: pytest.LogCaptureFixture, host: str, warned: bool
) -> None:
    _app.warn_if_exposed(host)
    messages = [r.getMessage() for r in podbor_log.records if r.levelname == "WARNING"]
    assert bool(messages) is warned
    assert all("--token" in m for m in messages)


# -- a real server ------------------------------------------------------------------------------
def start(url: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """``podbor dashboard --port 0`` in a subprocess; the URL it printed."""
    env = {k: v for k, v in os.environ.items() if k != "PODBOR_DASHBOARD_TOKEN"}
    process = subprocess.Popen(
        [sys.executable, "-m", "podbor", "dashboard", "--storage", url, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(r"http://\S+", line)
            if match:
                found.append(match.group(0))
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    if not found:
        process.kill()
        raise AssertionError(f"no URL printed; stderr: {process.communicate()[1]}")
    return process, found[0]


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, err


def test_a_real_server_answers_and_stops_on_ctrl_c(url: str) -> None:
    process, printed = start(url, "--token", "tok-1")
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=tok-1", printed), printed
        base = printed.split("?")[0]
        assert not base.endswith(":0/")
        assert httpx.get(base + "api/studies", timeout=10).status_code == 401
        auth = {"authorization": "Bearer tok-1"}
        response = httpx.get(base + "api/studies", headers=auth, timeout=10)
        assert response.status_code == 200
        assert response.json()["studies"][0]["name"] == "served"
        assert response.headers["x-content-type-options"] == "nosniff"
        with httpx.Client(timeout=10, follow_redirects=True) as client:
            page = client.get(printed)  # sets the cookie, redirects to the page
            assert page.status_code == 200 and str(page.url) == base
            assert "html" in page.headers["content-type"]
            assert client.get(base + "api/studies").status_code == 200
    finally:
        code, err = stop(process)
    assert code == 0, err
    assert "Traceback" not in err
