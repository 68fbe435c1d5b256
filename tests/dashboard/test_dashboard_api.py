"""The dashboard's read API over a SQLite file written through another storage handle (as a worker
process would write it), the page's files, error answers, and the storages it refuses to open."""

from __future__ import annotations

import base64
import datetime
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

import podbor
from podbor.dashboard import _routes, create_app
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.exceptions import ExperimentalWarning, InvalidArgumentError
from podbor.storages import RDBStorage
from podbor.storages._optuna import read_studies, write_studies
from podbor.trial import TrialState, create_trial

BASE = "http://127.0.0.1:8080"
DISTS = {"x": FloatDistribution(-5, 5), "kind": CategoricalDistribution(["a", "<b>"])}
X = {"x": DISTS["x"]}


def write(url: str) -> None:
    """Studies ``single`` (8 COMPLETE, 1 PRUNED, 1 RUNNING) and ``multi`` (two objectives)."""
    study = podbor.create_study(storage=url, study_name="single")
    study.set_user_attr("owner", "tests")
    trials = [
        create_trial(
            value=float((i - 3) ** 2),
            params={"x": float(i - 3), "kind": ["a", "<b>"][i % 2]},
            distributions=DISTS,
            intermediate_values={1: 10.0 + i, 0: 20.0 + i},
            user_attrs={"fold": i % 2},
        )
        for i in range(8)
    ]
    trials.append(create_trial(state=TrialState.PRUNED, params={"x": 4.5}, distributions=X))
    study.add_trials(trials)
    study.ask({"x": DISTS["x"]})  # trial 9: RUNNING
    multi = podbor.create_study(
        storage=url, study_name="multi", directions=["minimize", "maximize"]
    )
    multi.add_trials(
        create_trial(values=[float(i), float(i % 3)], params={"x": float(i)}, distributions=X)
        for i in range(5)
    )


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("api") / "studies.db"
    url = f"sqlite:///{path}"
    write(url)
    return url


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    app = create_app(url)
    app.state.dashboard.monitors.min_interval = 0.0  # every request sees the latest writes
    yield TestClient(app, base_url=BASE)


def study_id(client: TestClient, name: str) -> int:
    ids = {s["name"]: s["study_id"] for s in client.get("/api/studies").json()["studies"]}
    return int(ids[name])


# -- config and studies -------------------------------------------------------------------------
def test_config(client: TestClient, url: str) -> None:
    body = client.get("/api/config").json()
    assert body == {
        "version": podbor.__version__,
        "allow_write": False,
        "csrf_token": None,
        "storage": url,
        "snapshot": False,
    }


def test_config_masks_the_password() -> None:
    from podbor.dashboard._source import Source, _storage_label

    class Fake(podbor.storages.InMemoryStorage):
        url = "postgresql+psycopg://user:hunter2@db/x"

    assert _storage_label(Fake()) == "postgresql+psycopg://user:***@db/x"
    assert isinstance(Source(Fake(), "x"), Source)


def test_studies(client: TestClient) -> None:
    response = client.get("/api/studies")
    assert response.headers["content-type"] == "application/json"
    studies = {s["name"]: s for s in response.json()["studies"]}
    assert set(studies) == {"single", "multi"}
    single = studies["single"]
    assert single["directions"] == ["minimize"]
    assert single["n_trials"] == 10
    assert single["states"] == {"COMPLETE": 8, "PRUNED": 1, "FAIL": 0, "RUNNING": 1, "WAITING": 0}
    assert single["best_values"] == [0.0]
    assert single["n_best"] == 1
    assert single["user_attrs"] == {"owner": "tests"}
    datetime.datetime.fromisoformat(single["last_activity"])
    multi = studies["multi"]
    assert multi["directions"] == ["minimize", "maximize"]
    assert multi["best_values"] is None and multi["n_best"] >= 1


def test_study(client: TestClient) -> None:
    body = client.get(f"/api/studies/{study_id(client, 'single')}").json()
    assert body["name"] == "single"
    assert body["note"] == ""
    assert body["param_names"] == ["kind", "x"]
    assert body["distributions"]["x"]["type"] == "float"
    assert body["distributions"]["kind"]["choices"] == ["a", "<b>"]
    assert body["user_attr_keys"] == ["fold"]
    assert [row["number"] for row in body["best_trials"]] == [3]
    kinds = [entry["kind"] for entry in body["plots"]]
    assert kinds[0] == "history" and "contour" in kinds
    assert isinstance(body["cursor"], int)


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/studies/999", 404, "999"),
        ("/api/studies/abc", 400, "'study_id' must be an integer"),
        ("/api/studies/999/trials", 404, "999"),
        ("/api/studies/999/changes", 404, "999"),
        ("/api/studies/999/plots/history", 404, "999"),
        ("/api/nothing/here", 404, "/api/nothing/here"),
    ],
)
def test_unknown_studies_and_routes(client: TestClient, path: str, status: int, words: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert words in response.json()["error"]


# -- trials -------------------------------------------------------------------------------------
def test_trials_page_sort_and_filter(client: TestClient) -> None:
    sid = study_id(client, "single")
    body = client.get(f"/api/studies/{sid}/trials").json()
    assert (body["total"], body["matched"], body["offset"], body["limit"]) == (10, 10, 0, 50)
    assert [r["number"] for r in body["rows"]] == list(range(10))
    query = "sort=value&order=desc&filter=state=COMPLETE&filter=params.x>=0&limit=2&offset=1"
    body = client.get(f"/api/studies/{sid}/trials?{query}").json()
    assert body["matched"] == 5  # x = 0, 1, 2, 3, 4 (trials 3..7)
    assert [r["number"] for r in body["rows"]] == [6, 5]  # values 9, 4 (16 is skipped)
    row = body["rows"][0]
    assert row["params"] == {"x": 3.0, "kind": "a"} and row["values"] == [9.0]
    assert row["user_attrs"] == {"fold": 0} and row["state"] == "COMPLETE"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("sort=nope", "'sort'"),
        ("order=up", "'order'"),
        ("limit=5000", "'limit'"),
        ("limit=x", "'limit'"),
        ("offset=-1", "'offset'"),
        ("filter=params.x%20%3F%3F%201", "filter"),
    ],
)
def test_trials_refuse_wrong_arguments(client: TestClient, query: str, words: str) -> None:
    response = client.get(f"/api/studies/{study_id(client, 'single')}/trials?{query}")
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_trial_detail(client: TestClient) -> None:
    sid = study_id(client, "single")
    body = client.get(f"/api/studies/{sid}/trials/2").json()
    assert body["number"] == 2 and body["values"] == [1.0]
    assert body["intermediate_values"] == [[0, 22.0], [1, 12.0]]
    assert body["distributions"]["x"]["low"] == -5
    assert body["heartbeat"] is None
    running = client.get(f"/api/studies/{sid}/trials/9").json()
    assert running["state"] == "RUNNING" and running["values"] is None
    missing = client.get(f"/api/studies/{sid}/trials/99")
    assert missing.status_code == 404 and "99" in missing.json()["error"]
    assert client.get(f"/api/studies/{sid}/trials/x").status_code == 400


def test_heartbeat_of_a_running_trial(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    with warnings.catch_warnings():  # experimental; heartbeats of asked trials: both known
        warnings.simplefilter("ignore", ExperimentalWarning)
        warnings.simplefilter("ignore", UserWarning)
        storage = RDBStorage(url, heartbeat_interval=60)
        study = podbor.create_study(storage=storage, study_name="hb")
        trial = study.ask()
    storage.record_heartbeat(trial._trial_id)
    client = TestClient(create_app(url), base_url=BASE)
    body = client.get(f"/api/studies/{study._study_id}/trials/0").json()
    assert body["state"] == "RUNNING"
    assert isinstance(body["heartbeat"], str)
    datetime.datetime.fromisoformat(body["heartbeat"])


# -- live changes -------------------------------------------------------------------------------
def test_changes_follow_another_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    writer = podbor.create_study(storage=url, study_name="live")
    writer.add_trial(create_trial(value=1.0, params={"x": 1.0}, distributions=X))
    running = writer.ask({"x": DISTS["x"]})
    app = create_app(url)
    app.state.dashboard.monitors.min_interval = 0.0
    client = TestClient(app, base_url=BASE)
    path = f"/api/studies/{writer._study_id}/changes"
    first = client.get(f"{path}?cursor=0").json()
    assert first["reset"] is False
    assert [r["number"] for r in first["rows"]] == [0, 1]
    assert first["summary"]["n_trials"] == 2
    cursor = first["cursor"]
    assert client.get(f"{path}?cursor={cursor}").json()["rows"] == []
    # another handle finishes the running trial and adds one
    other = podbor.load_study(study_name="live", storage=url)
    other.tell(running.number, 0.5)
    other.add_trial(create_trial(value=2.0, params={"x": 2.0}, distributions=X))
    later = client.get(f"{path}?cursor={cursor}").json()
    assert later["reset"] is False
    assert [(r["number"], r["state"]) for r in later["rows"]] == [(1, "COMPLETE"), (2, "COMPLETE")]
    assert later["cursor"] > cursor
    assert later["summary"]["states"]["COMPLETE"] == 3
    stale = client.get(f"{path}?cursor=12345").json()  # another server's cursor
    assert stale["reset"] is True
    bad = client.get(f"{path}?cursor=abc")
    assert bad.status_code == 400 and "'cursor'" in bad.json()["error"]


# -- plots --------------------------------------------------------------------------------------
def test_plot_history(client: TestClient) -> None:
    sid = study_id(client, "single")
    body = client.get(f"/api/studies/{sid}/plots/history").json()
    assert set(body["figure"]) >= {"data", "layout"}
    assert isinstance(body["cursor"], int)
    objective = next(t for t in body["figure"]["data"] if t["name"] == "Objective Value")
    assert n_values(objective["x"]) == 8  # the COMPLETE trials


def n_values(array: Any) -> int:
    """The length of a trace's array: a list, or plotly's typed array ``{"dtype", "bdata"}``."""
    if isinstance(array, dict):
        return len(base64.b64decode(array["bdata"])) // np.dtype(array["dtype"]).itemsize
    return len(array)


def test_plot_errors(client: TestClient) -> None:
    sid = study_id(client, "single")
    unknown = client.get(f"/api/studies/{sid}/plots/nope")
    assert unknown.status_code == 400 and "nope" in unknown.json()["error"]
    target = client.get(f"/api/studies/{sid}/plots/history?target=x")
    assert target.status_code == 400 and "'target'" in target.json()["error"]


def test_pareto_plot_of_two_objectives(client: TestClient) -> None:
    body = client.get(f"/api/studies/{study_id(client, 'multi')}/plots/pareto").json()
    assert body["figure"] is not None


# -- pages, errors, encoding --------------------------------------------------------------------
def test_page_and_static_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    plotly_js = client.get("/static/plotly.min.js")
    assert plotly_js.status_code == 200
    assert "javascript" in plotly_js.headers["content-type"]
    assert len(plotly_js.content) > 1_000_000
    # gzipped once, then served as is: the same bytes as the package's file
    from podbor.dashboard._routes import compressed_plotly_js, plotly_js_path

    compressed_plotly_js()
    packed = client.get("/static/plotly.min.js", headers={"accept-encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(plotly_js.content) // 2
    with open(str(plotly_js_path()), "rb") as file:
        assert packed.content == file.read() == plotly_js.content  # the client unzipped it
    plain = client.get("/static/plotly.min.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == plotly_js.content
    assert client.get("/static/app.js").status_code == 200
    missing = client.get("/static/nothing.js")
    assert missing.status_code == 404 and "Traceback" not in missing.text


def test_a_temporary_page_is_served(url: str, tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><p>temporary</p>")
    monkeypatch.setattr(_routes, "STATIC_DIR", str(tmp_path))
    client = TestClient(create_app(url), base_url=BASE)
    assert "temporary" in client.get("/").text


def test_an_unexpected_error_is_500_with_one_line(client: TestClient, monkeypatch: Any) -> None:
    from podbor.dashboard._monitor import StudyMonitor

    def broken(self: Any) -> Any:
        raise RuntimeError("database went away\nsecond line")

    monkeypatch.setattr(StudyMonitor, "summary", broken)
    response = client.get("/api/studies")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal error: RuntimeError: database went away"}
    assert "Traceback" not in response.text


def test_big_answers_are_gzipped(client: TestClient) -> None:
    sid = study_id(client, "single")
    response = client.get(f"/api/studies/{sid}/trials", headers={"accept-encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    assert response.json()["total"] == 10  # httpx decoded it


def test_head_and_wrong_methods(client: TestClient) -> None:
    assert client.head("/api/studies").status_code == 200
    response = client.post("/api/studies")
    assert response.status_code == 404  # no write routes without allow_write


# -- storages that are not served, or served read-only -------------------------------------------
def test_an_optuna_database_is_served_read_only(url: str, tmp_path: Path) -> None:
    path = tmp_path / "optuna.db"
    optuna_url = f"sqlite:///{path}"
    write_studies(optuna_url, read_studies(url, ["single"]), to_format="optuna")
    before = path.read_bytes()
    client = TestClient(create_app(optuna_url, allow_write=True), base_url=BASE)
    config = client.get("/api/config").json()
    assert config["snapshot"] is True and config["allow_write"] is False
    assert config["csrf_token"] is None
    studies = client.get("/api/studies").json()["studies"]
    assert [(s["name"], s["n_trials"]) for s in studies] == [("single", 10)]
    sid = studies[0]["study_id"]
    assert client.get(f"/api/studies/{sid}/trials?sort=value").json()["rows"][0]["number"] == 3
    assert client.delete(f"/api/studies/{sid}").status_code == 404
    assert path.read_bytes() == before


def test_an_optuna_journal_is_served_read_only(url: str, tmp_path: Path) -> None:
    path = tmp_path / "optuna.log"
    write_studies(f"journal:///{path}", read_studies(url, ["multi"]), to_format="optuna")
    before = path.read_bytes()
    client = TestClient(create_app(f"journal:///{path}"), base_url=BASE)
    assert client.get("/api/config").json()["snapshot"] is True
    assert [s["name"] for s in client.get("/api/studies").json()["studies"]] == ["multi"]
    assert path.read_bytes() == before


def test_a_podbor_journal_is_served_live(tmp_path: Path) -> None:
    path = tmp_path / "podbor.log"
    storage = podbor.storages.JournalStorage(podbor.storages.JournalFileBackend(str(path)))
    podbor.create_study(storage=storage, study_name="j").optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2
    )
    client = TestClient(create_app(f"journal:///{path}"), base_url=BASE)
    assert client.get("/api/config").json()["snapshot"] is False
    assert client.get("/api/studies").json()["studies"][0]["n_trials"] == 2


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"this is not a database at all, just text\n" * 4, "not a SQLite database"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "as a database"),
    ],
    ids=["empty", "text", "damaged"],
)
def test_broken_files_are_refused_and_left_unchanged(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(content)
    with pytest.raises(InvalidArgumentError, match=words):
        create_app(f"sqlite:///{path}")
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.db"]


def test_missing_files_are_refused_and_not_created(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="no SQLite file"):
        create_app(f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(InvalidArgumentError, match="no journal file"):
        create_app(f"journal:///{tmp_path / 'none.log'}")
    assert list(tmp_path.iterdir()) == []


def test_a_database_without_tables_is_refused_and_left_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 1").connection.close()
    before = path.read_bytes()
    with pytest.raises(InvalidArgumentError, match="no tables"):
        create_app(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (a INTEGER)")
    before = path.read_bytes()
    with pytest.raises(InvalidArgumentError, match="neither a podbor nor an Optuna"):
        create_app(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_an_older_schema_is_refused_with_the_upgrade_command(url: str, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.write_bytes(Path(url.removeprefix("sqlite:///")).read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE podbor_version_info SET schema_version = '1'")
        conn.execute("PRAGMA journal_mode = DELETE")
    before = path.read_bytes()
    with pytest.raises(InvalidArgumentError, match="podbor storage upgrade"):
        create_app(f"sqlite:///{path}")
    assert path.read_bytes() == before
