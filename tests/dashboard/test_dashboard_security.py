"""The dashboard's guard: Host check, access token, CSRF and Origin checks, security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import podbor
from podbor.dashboard import create_app
from podbor.dashboard._security import TOKEN_COOKIE, host_name
from podbor.exceptions import InvalidArgumentError

TOKEN = "s3cret-Token_1"
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with one small study, written through its own storage handle."""
    path = tmp_path_factory.mktemp("security") / "s.db"
    url = f"sqlite:///{path}"
    study = podbor.create_study(storage=url, study_name="guarded")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    return url


def client(url: str, **kwargs: Any) -> TestClient:
    # TestClient sends "Host: testserver"; the tests send a loopback Host unless they test it
    return TestClient(create_app(url, **kwargs), base_url="http://127.0.0.1:8080")


# -- Host ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8080", "localhost:1", "LOCALHOST", "[::1]:8080", "[::1]"]
)
def test_loopback_hosts_are_accepted(url: str, host: str) -> None:
    response = client(url).get("/api/studies", headers={"host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "", "localhost.:80"]
)
def test_other_hosts_are_refused(url: str, host: str) -> None:
    response = client(url).get("/api/studies", headers={"host": host})
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid Host header"}
    assert response.headers["content-type"] == "application/json"


def test_allowed_hosts_add_names_and_star_allows_any(url: str) -> None:
    named = client(url, allowed_hosts=["Dash.Example"])
    assert named.get("/api/studies", headers={"host": "dash.example:9"}).status_code == 200
    assert named.get("/api/studies", headers={"host": "other.example"}).status_code == 400
    anyone = client(url, allowed_hosts=["*"])
    assert anyone.get("/api/studies", headers={"host": "other.example"}).status_code == 200


def test_the_host_check_comes_before_the_token(url: str) -> None:
    response = client(url, token=TOKEN).get("/api/studies", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_host_name() -> None:
    assert host_name("Example.org:80") == "example.org"
    assert host_name("[::1]:8080") == "[::1]"
    assert host_name("::1") == "[::1]"
    assert host_name("0.0.0.0") == "0.0.0.0"


# -- headers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/studies", "/api/nothing", "/", "/static/app.js"])
def test_every_response_carries_the_security_headers(url: str, path: str) -> None:
    response = client(url).get(path)
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_refusals_carry_the_security_headers_too(url: str) -> None:
    response = client(url, token=TOKEN).get("/api/studies")
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"


# -- token --------------------------------------------------------------------------------------
def test_without_a_token_api_requests_get_401_json(url: str) -> None:
    response = client(url, token=TOKEN).get("/api/studies")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    message = response.json()["error"]
    assert "no token" in message and "Authorization: Bearer" in message
    assert TOKEN not in response.text


def test_without_a_token_the_page_says_to_open_the_printed_url(url: str) -> None:
    response = client(url, token=TOKEN).get("/")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "podbor dashboard" in response.text and "?token=" in response.text


@pytest.mark.parametrize("path", ["/api/studies", "/static/app.js", "/static/plotly.min.js"])
def test_a_wrong_token_is_refused(url: str, path: str) -> None:
    c = client(url, token=TOKEN)
    assert c.get(path, headers={"authorization": "Bearer nope"}).status_code == 401
    assert c.get(path, headers={"authorization": f"Basic {TOKEN}"}).status_code == 401
    assert c.get(path, headers={"cookie": f"{TOKEN_COOKIE}={TOKEN}x"}).status_code == 401
    assert c.get(path, headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_bearer_header_and_cookie_are_accepted(url: str) -> None:
    c = client(url, token=TOKEN)
    assert c.get("/api/studies", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert c.get("/api/studies", headers={"authorization": f"bearer  {TOKEN} "}).status_code == 200
    assert c.get("/api/studies", headers={"cookie": f"{TOKEN_COOKIE}={TOKEN}"}).status_code == 200


def test_token_in_the_url_sets_the_cookie_and_redirects_without_it(url: str) -> None:
    c = client(url, token=TOKEN)
    response = c.get(f"/?token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{TOKEN_COOKIE}={TOKEN};")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    # the client keeps the cookie: the page and the API now answer
    assert c.get("/").status_code == 200
    assert c.get("/api/studies").status_code == 200


def test_a_wrong_token_in_the_url_is_refused(url: str) -> None:
    c = client(url, token=TOKEN)
    response = c.get("/?token=wrong", follow_redirects=False)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert c.get("/api/studies?token=" + TOKEN).status_code == 401  # only / takes it


def test_a_token_with_url_characters_round_trips(url: str) -> None:
    token = "a+b/c=="
    c = client(url, token=token)
    response = c.get("/?token=a%2Bb%2Fc%3D%3D", follow_redirects=False)
    assert response.status_code == 303
    assert c.get("/api/studies").status_code == 200


@pytest.mark.parametrize("token", ["", "has space", "semi;colon", 'quo"te', "ü"])
def test_tokens_a_cookie_cannot_carry_are_refused(url: str, token: str) -> None:
    with pytest.raises(InvalidArgumentError, match="token"):
        create_app(url, token=token)


# -- CSRF and Origin ----------------------------------------------------------------------------
def csrf_of(c: TestClient) -> str:
    token = c.get("/api/config").json()["csrf_token"]
    assert isinstance(token, str) and len(token) >= 32
    return token


def test_writes_need_the_csrf_token(url: str, tmp_path: Path) -> None:
    c = client(url, allow_write=True)
    csrf = csrf_of(c)
    body = {"note": "n"}
    missing = c.put("/api/studies/1/note", json=body)
    assert missing.status_code == 403
    assert "X-CSRF-Token" in missing.json()["error"]
    wrong = c.put("/api/studies/1/note", json=body, headers={"x-csrf-token": csrf[:-1] + "?"})
    assert wrong.status_code == 403
    assert "wrong" in wrong.json()["error"]
    right = c.put("/api/studies/1/note", json=body, headers={"x-csrf-token": csrf})
    assert right.status_code == 200, right.text


def test_each_app_has_its_own_csrf_token(url: str) -> None:
    assert csrf_of(client(url, allow_write=True)) != csrf_of(client(url, allow_write=True))


def test_a_foreign_origin_is_refused(url: str) -> None:
    c = client(url, allow_write=True)
    headers = {"x-csrf-token": csrf_of(c), "origin": "http://evil.example"}
    response = c.put("/api/studies/1/note", json={"note": "x"}, headers=headers)
    assert response.status_code == 403
    assert "Origin" in response.json()["error"]
    other_port = {**headers, "origin": "http://127.0.0.1:9999"}
    assert c.put("/api/studies/1/note", json={"note": "x"}, headers=other_port).status_code == 403
    same = {**headers, "origin": "http://127.0.0.1:8080"}
    assert c.put("/api/studies/1/note", json={"note": "x"}, headers=same).status_code == 200


def test_reads_need_no_csrf_token(url: str) -> None:
    c = client(url, allow_write=True)
    assert c.get("/api/studies", headers={"origin": "http://evil.example"}).status_code == 200


def test_without_writes_there_is_no_csrf_token_and_no_write_route(url: str) -> None:
    c = client(url)
    assert c.get("/api/config").json()["csrf_token"] is None
    response = c.put("/api/studies/1/note", json={"note": "x"})
    assert response.status_code == 404
    assert "--allow-write" in response.json()["error"]


def test_token_and_csrf_together(url: str) -> None:
    c = client(url, allow_write=True, token=TOKEN)
    auth = {"authorization": f"Bearer {TOKEN}"}
    csrf = c.get("/api/config", headers=auth).json()["csrf_token"]
    no_token = c.put("/api/studies/1/note", json={"note": "y"}, headers={"x-csrf-token": csrf})
    assert no_token.status_code == 401
    both = c.put("/api/studies/1/note", json={"note": "y"}, headers={**auth, "x-csrf-token": csrf})
    assert both.status_code == 200
