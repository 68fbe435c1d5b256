"""The write routes: absent without ``allow_write``; with it, delete, note, tell and enqueue, each
checked through another storage handle (as another process would see the change)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import podbor
from podbor.dashboard import create_app
from podbor.distributions import BaseDistribution, FloatDistribution
from podbor.storages import RDBStorage
from podbor.trial import TrialState, create_trial

BASE = "http://127.0.0.1:8080"
X: dict[str, BaseDistribution] = {"x": FloatDistribution(0, 10)}
HOSTILE = "<script>alert('x')</script> & \"quotes\" ü 日本\nline two"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Study ``w``: trials 0-2 COMPLETE, 3 RUNNING, 4 RUNNING (enqueued, then asked for)."""
    path = tmp_path_factory.mktemp("template") / "w.db"
    storage = RDBStorage(f"sqlite:///{path}")
    study = podbor.create_study(storage=storage, study_name="w")
    study.add_trials(
        create_trial(value=float(i), params={"x": float(i)}, distributions=X) for i in range(3)
    )
    study.ask(X)
    study.enqueue_trial({"x": 7.0})
    study.ask(X)  # takes the enqueued trial
    storage.engine.dispose()  # the last connection checkpoints the WAL into the file
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes()


@pytest.fixture
def url(tmp_path: Path, template: bytes) -> str:
    """A fresh copy of the template study for each test."""
    path = tmp_path / "w.db"
    path.write_bytes(template)
    return f"sqlite:///{path}"


def writer(url: str, **kwargs: Any) -> tuple[TestClient, dict[str, str]]:
    app = create_app(url, allow_write=True, **kwargs)
    app.state.dashboard.monitors.min_interval = 0.0
    client = TestClient(app, base_url=BASE)
    csrf = client.get("/api/config").json()["csrf_token"]
    return client, {"x-csrf-token": csrf}


def other(url: str) -> podbor.study.Study:
    """The study through another storage handle."""
    return podbor.load_study(study_name="w", storage=RDBStorage(url))


def states(url: str) -> list[str]:
    return [t.state.name for t in other(url).get_trials(deepcopy=False)]


def test_the_fixture(url: str) -> None:
    assert states(url) == ["COMPLETE"] * 3 + ["RUNNING", "RUNNING"]


# -- without allow_write ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/api/studies/1", None),
        ("PUT", "/api/studies/1/note", {"note": "x"}),
        ("POST", "/api/studies/1/trials/3/tell", {"state": "FAIL"}),
        ("POST", "/api/studies/1/enqueue", {"params": {"x": 1}}),
    ],
)
def test_write_routes_do_not_exist_without_allow_write(
    url: str, method: str, path: str, body: Any
) -> None:
    client = TestClient(create_app(url), base_url=BASE)
    config = client.get("/api/config").json()
    assert config["allow_write"] is False and config["csrf_token"] is None
    response = client.request(method, path, json=body, headers={"x-csrf-token": "anything"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert states(url) == ["COMPLETE"] * 3 + ["RUNNING", "RUNNING"]
    assert "dashboard:note" not in other(url).system_attrs


# -- delete -------------------------------------------------------------------------------------
def test_delete_a_study(url: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    assert client.get(f"/api/studies/{sid}").status_code == 200
    response = client.delete(f"/api/studies/{sid}", headers=csrf)
    assert response.status_code == 200
    assert response.json() == {"deleted": "w"}
    assert podbor.get_all_study_names(storage=url) == []
    assert client.get(f"/api/studies/{sid}").status_code == 404
    assert client.get("/api/studies").json()["studies"] == []
    again = client.delete(f"/api/studies/{sid}", headers=csrf)
    assert again.status_code == 404


# -- note ---------------------------------------------------------------------------------------
def test_note_round_trip(url: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    response = client.put(f"/api/studies/{sid}/note", json={"note": HOSTILE}, headers=csrf)
    assert response.status_code == 200
    assert response.json() == {"note": HOSTILE}
    assert other(url).system_attrs["dashboard:note"] == HOSTILE
    assert client.get(f"/api/studies/{sid}").json()["note"] == HOSTILE


def test_note_limit(url: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    longest = "ü" * 100_000
    assert client.put(f"/api/studies/{sid}/note", json={"note": longest}, headers=csrf).json() == {
        "note": longest
    }
    too_long = client.put(f"/api/studies/{sid}/note", json={"note": longest + "x"}, headers=csrf)
    assert too_long.status_code == 400
    assert "100,000" in too_long.json()["error"]
    assert other(url).system_attrs["dashboard:note"] == longest


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"note": 5}', "'note' must be a string"),
        (b"{}", "'note' must be a string"),
        (b"[1]", "JSON object"),
        (b"not json", "must be JSON"),
        (b"", "JSON object"),
    ],
)
def test_note_refuses_wrong_bodies(url: str, content: bytes, words: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    response = client.put(f"/api/studies/{sid}/note", content=content, headers=csrf)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_note_of_an_unknown_study(url: str) -> None:
    client, csrf = writer(url)
    response = client.put("/api/studies/999/note", json={"note": "x"}, headers=csrf)
    assert response.status_code == 404


# -- tell ---------------------------------------------------------------------------------------
def test_tell_a_running_trial(url: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    path = f"/api/studies/{sid}/trials/3/tell"
    response = client.post(path, json={"state": "COMPLETE", "values": [0.25]}, headers=csrf)
    assert response.status_code == 200, response.text
    row = response.json()
    assert row["number"] == 3 and row["state"] == "COMPLETE" and row["values"] == [0.25]
    assert other(url).trials[3].value == 0.25
    again = client.post(path, json={"state": "FAIL", "values": None}, headers=csrf)
    assert again.status_code == 409
    assert "COMPLETE" in again.json()["error"]


@pytest.mark.parametrize("state", ["PRUNED", "FAIL"])
def test_tell_pruned_or_failed(url: str, state: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    response = client.post(f"/api/studies/{sid}/trials/4/tell", json={"state": state}, headers=csrf)
    assert response.status_code == 200, response.text
    assert other(url).trials[4].state.name == state


def test_tell_a_waiting_trial(url: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    number = client.post(
        f"/api/studies/{sid}/enqueue", json={"params": {"x": 3.5}}, headers=csrf
    ).json()["number"]
    assert other(url).trials[number].state == TrialState.WAITING
    response = client.post(
        f"/api/studies/{sid}/trials/{number}/tell",
        json={"state": "COMPLETE", "values": [1.5]},
        headers=csrf,
    )
    assert response.status_code == 200, response.text
    told = other(url).trials[number]
    assert told.state == TrialState.COMPLETE and told.value == 1.5


@pytest.mark.parametrize(
    ("number", "body", "status", "words"),
    [
        (0, {"state": "COMPLETE", "values": [1.0]}, 409, "only a RUNNING or WAITING"),
        (99, {"state": "COMPLETE", "values": [1.0]}, 404, "99"),
        (3, {"state": "RUNNING"}, 400, "'state'"),
        (3, {"values": [1.0]}, 400, "'state'"),
        (3, {"state": "COMPLETE", "values": ["a"]}, 400, "'values'"),
        (3, {"state": "COMPLETE", "values": 1.0}, 400, "'values'"),
        (3, {"state": "COMPLETE", "values": [1.0, 2.0]}, 400, ""),
        (3, {"state": "FAIL", "values": [1.0]}, 400, ""),
    ],
)
def test_tell_refusals(url: str, number: int, body: Any, status: int, words: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    response = client.post(f"/api/studies/{sid}/trials/{number}/tell", json=body, headers=csrf)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]
    assert "Traceback" not in response.text
    assert states(url) == ["COMPLETE"] * 3 + ["RUNNING", "RUNNING"]


# -- enqueue ------------------------------------------------------------------------------------
def test_enqueue(url: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    body = {"params": {"x": 2.5, "<k>": "<v>"}, "user_attrs": {"by": "dashboard"}}
    response = client.post(f"/api/studies/{sid}/enqueue", json=body, headers=csrf)
    assert response.status_code == 200, response.text
    number = response.json()["number"]
    assert number == 5
    trial = other(url).trials[number]
    assert trial.state == TrialState.WAITING
    assert trial.user_attrs == {"by": "dashboard"}
    assert trial.system_attrs["fixed_params"] == {"x": 2.5, "<k>": "<v>"}
    # a worker then runs it with those params
    assert other(url).ask(X).params["x"] == 2.5


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "'params'"),
        ({"params": [1, 2]}, "'params'"),
        ({"params": {"x": 1}, "user_attrs": "a"}, "'user_attrs'"),
    ],
)
def test_enqueue_refusals(url: str, body: Any, words: str) -> None:
    client, csrf = writer(url)
    sid = other(url)._study_id
    response = client.post(f"/api/studies/{sid}/enqueue", json=body, headers=csrf)
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert len(other(url).trials) == 5
