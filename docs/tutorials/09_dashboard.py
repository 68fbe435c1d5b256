"""
The live dashboard
==================

``podbor dashboard`` serves a web page over a storage while workers still write to it: the
studies with their trials by state and best value, each study's plots, and a trials table
sorted and filtered on the server. New and finished trials appear within a second or two.
It needs ``pip install 'podbor[dashboard]'`` (Starlette, uvicorn and plotly); the page loads
nothing from the network, so it works on a cluster without internet access.

This tutorial does not start a server (a page built by a script should leave nothing running).
It builds the dashboard's application with :func:`podbor.dashboard.create_app` and talks to it
in-process with Starlette's test client: the same JSON API the page calls, and the one your own
scripts can call with ``curl`` or ``requests``.
"""

# %%
# Starting it from the command line
# ---------------------------------
#
# Point it at any storage URL: an SQLite file, PostgreSQL, MySQL or a journal file::
#
#     podbor dashboard --storage sqlite:///search.db
#     # prints http://127.0.0.1:8080/ — open it in a browser
#
# ``--port`` picks another port (``0``: any free one). In Python,
# :func:`podbor.dashboard.run_server` does the same and blocks until Ctrl-C. An Optuna database
# or journal file is read once and shown read-only (to follow it live, copy it to podbor's
# format first; see :doc:`10_moving_from_optuna`).
#
# A study to show
# ---------------
#
# A small study in a temporary SQLite file, with reported epochs and a user attribute, so that
# every part of the API has something to return.

import math
import tempfile
import time
from pathlib import Path

import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
# Starlette's test client warns about its HTTP library in some versions, and that library logs
# every request; neither is the reader's concern.
import logging
import warnings

warnings.filterwarnings("ignore", message=".*httpx.*")
logging.getLogger("httpx").setLevel(logging.WARNING)
# sphinx_gallery_end_ignore

workdir = tempfile.TemporaryDirectory()
url = f"sqlite:///{Path(workdir.name) / 'search.db'}"


def objective(trial: podbor.Trial) -> float:
    c = trial.suggest_float("C", 1e-3, 1e3, log=True)
    kernel = trial.suggest_categorical("kernel", ["rbf", "poly", "linear"])
    penalty = {"rbf": 0.0, "poly": 0.03, "linear": 0.08}[kernel]
    error = 0.1 + 0.02 * (math.log10(c) - 1.0) ** 2 + penalty
    for epoch in range(5):
        trial.report(error + 0.5 / (epoch + 1), epoch)
    trial.set_user_attr("n_support_vectors", int(200 / (1 + c) ** 0.3))
    return error


study = podbor.create_study(
    study_name="svm", storage=url, sampler=podbor.samplers.TPESampler(seed=0)
)
study.optimize(objective, n_trials=20)
print(f"best error {study.best_value:.4f} with {study.best_params}")

# %%
# The application and a client
# ----------------------------
#
# :func:`~podbor.dashboard.create_app` returns a Starlette ASGI application; any ASGI server
# (uvicorn, hypercorn) can serve it, and Starlette's ``TestClient`` calls it in the same
# process, without a network or a port. The client must say which host it talks to: the
# dashboard answers only requests addressed to ``localhost``, ``127.0.0.1`` or ``[::1]``
# unless told otherwise (see *Security* below).

from starlette.testclient import TestClient

from podbor.dashboard import create_app

app = create_app(url)
client = TestClient(app, base_url="http://localhost")

# %%
# The studies
# -----------
#
# ``GET /api/studies`` lists every study of the storage with its directions, its trials counted
# by state, its best value(s) and when it was last active: the first page of the dashboard.

studies = client.get("/api/studies").json()["studies"]
for s in studies:
    print(f"study {s['study_id']} {s['name']!r}, directions {s['directions']}")
    print(f"  {s['n_trials']} trials by state: {s['states']}")
    print(f"  best value(s): {s['best_values']}")
study_id = studies[0]["study_id"]

# %%
# ``GET /api/studies/{id}`` adds the parameters and their distributions, the user attribute
# keys, the best trial(s) and the list of plots that apply to this study (the page draws them
# with plotly from ``GET /api/studies/{id}/plots/{kind}``).

details = client.get(f"/api/studies/{study_id}").json()
print("parameters:", details["param_names"])
print("user attributes:", details["user_attr_keys"])
print("plots:", ", ".join(p["kind"] for p in details["plots"] if p["available"]))

# %%
# The trials table
# ----------------
#
# ``GET /api/studies/{id}/trials`` pages through the trials. The server sorts (``sort=``,
# ``order=``) and filters them (``filter=COLUMN OP VALUE``, repeatable; columns such as
# ``value``, ``state``, ``params.NAME``, ``user_attrs.KEY``), so the page stays as fast with
# 100,000 trials as with ten. Here: the three best trials with the ``rbf`` kernel.

table = client.get(
    f"/api/studies/{study_id}/trials",
    params={"sort": "value", "order": "asc", "filter": "params.kernel = rbf", "limit": 3},
).json()
print(f"{table['matched']} of {table['total']} trials match; the first three:")
for row in table["rows"]:
    print(f"  #{row['number']}: value {row['values'][0]:.4f}, C = {row['params']['C']:.3g}")

# %%
# One trial, with everything the storage holds about it: distributions, every reported value,
# attributes, duration, the heartbeat of a running trial and the sampler's reason.

trial = client.get(f"/api/studies/{study_id}/trials/{table['rows'][0]['number']}").json()
print("reported:", [(step, round(value, 3)) for step, value in trial["intermediate_values"]])
print("user attributes:", trial["user_attrs"])
c = trial["distributions"]["C"]
print(f"C is a {c['type']} in [{c['low']}, {c['high']}], log scale: {c['log']}")

# %%
# Live updates
# ------------
#
# Every answer carries a ``cursor``. ``GET /api/studies/{id}/changes?cursor=C`` returns only
# the trials that are new or changed since that cursor; the page polls it about once a second,
# and the server reads only new and unfinished trials from the storage, at most twice a second
# however many pages are open. Here another process (played by this script) adds three trials
# while the dashboard is open:

cursor = table["cursor"]
study.optimize(objective, n_trials=3)
time.sleep(0.6)  # the server's next refresh
changes = client.get(f"/api/studies/{study_id}/changes", params={"cursor": cursor}).json()
print("new or changed trials:", [row["number"] for row in changes["rows"]])
print("the study now has", changes["summary"]["n_trials"], "trials")

# %%
# Security
# --------
#
# The dashboard only reads unless started with ``--allow-write`` (``allow_write=True``), which
# adds: delete a study, write its note, tell a running or waiting trial by hand and enqueue a
# trial with given parameters. Writes carry a CSRF token.
#
# It listens on 127.0.0.1. To reach it from another machine, prefer an SSH tunnel
# (``ssh -L 8080:127.0.0.1:8080 server``). If it must listen on another address, give it a
# token and name the host it is reached by::
#
#     podbor dashboard --storage sqlite:///search.db --host 0.0.0.0 \
#         --token "$(openssl rand -hex 16)" --allowed-hosts gpu-box.lab.example
#
# ``--token`` (or the environment variable ``PODBOR_DASHBOARD_TOKEN``) makes every request
# carry the token: open the printed ``…/?token=T`` address once and the page keeps it in a
# cookie; scripts send ``Authorization: Bearer T``. ``--allowed-hosts`` lists the host names
# accepted in the request's ``Host`` header (a defence against DNS rebinding: a web page
# elsewhere cannot reach your dashboard by pointing its own name at 127.0.0.1).
# All three are arguments of :func:`~podbor.dashboard.create_app` too:

client.close()

locked = create_app(url, token="s3cret", allowed_hosts=["gpu-box.lab.example"])
with TestClient(locked, base_url="http://gpu-box.lab.example") as remote:
    print("no token:", remote.get("/api/studies").status_code)
    ok = remote.get("/api/studies", headers={"Authorization": "Bearer s3cret"})
    print("with the token:", ok.status_code, [s["name"] for s in ok.json()["studies"]])
with TestClient(locked, base_url="http://attacker.example") as other:
    answer = other.get("/api/studies", headers={"Authorization": "Bearer s3cret"})
    print("another host name:", answer.status_code, answer.json())

# %%
# Every name, parameter, attribute and note is shown on the page as text, never as HTML, so a
# study cannot inject script into the page.
#
# The temporary directory goes away with the tutorial:

workdir.cleanup()
