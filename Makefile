# podbor: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip -q --disable-pip-version-check

.PHONY: venv dev demo dashboard test test-fast test-slow lint typecheck format bench-scale clean peer-tests docs docs-full

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	touch $@

# Core install plus what the examples use (pandas for trials_dataframe, scikit-learn for the models,
# plotly and matplotlib for the report).
$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PIP) install -e '.[pandas,sklearn,plot,postgres,mysql,dashboard]'
	touch $@

$(VENV)/.dev: $(VENV)/.installed pyproject.toml
	$(PIP) install 'torch==2.13.0'  # the CPU build, first: lightning (in dev) must not pull another
	$(PIP) install -e '.[dev]'
	touch $@

venv: $(VENV)/.installed
dev: $(VENV)/.dev

# The seminar's three studies on the embedded SQLite default (a fresh demo.db), the CLI's view, and
# a one-file HTML report of the lasso study (every plot that applies; opens offline).
DEMO_DB ?= demo.db
demo: $(VENV)/.installed
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(PY) examples/run_all.py --storage sqlite:///$(DEMO_DB)
	$(VENV)/bin/podbor studies --storage sqlite:///$(DEMO_DB)
	$(VENV)/bin/podbor plot --storage sqlite:///$(DEMO_DB) --study-name seminar-lasso -o demo-report.html
	@echo "make demo: open demo-report.html, or run 'make dashboard' to browse the studies live"

# The live web dashboard over the demo's database (http://127.0.0.1:8080/; Ctrl-C stops it).
dashboard: $(VENV)/.installed
	$(VENV)/bin/podbor dashboard --storage sqlite:///$(DEMO_DB)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests examples benchmarks docs conftest.py
	$(VENV)/bin/ruff format --check src tests examples benchmarks docs conftest.py

format: $(VENV)/.dev
	$(VENV)/bin/ruff format src tests examples benchmarks docs
	$(VENV)/bin/ruff check --fix src tests examples benchmarks docs

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

# Everything CI runs: lint, types, unit + conformance tests, doctests, with throw-away PostgreSQL,
# MySQL (MariaDB) and Redis servers (scripts/postgres.sh, mysql.sh and redis.sh install and
# start them)
# and headless Chromium for the browser tests (scripts/chromium.sh); under CI=true a failure to
# start or install any of them fails the run. Slow cases have their own target. The suite runs
# on TEST_WORKERS processes (pytest-xdist; 2 by default, what CI has): each test gets its own
# databases, files and ports, so none depends on another's order.
TEST_WORKERS ?= 2
PYTEST_ARGS ?= -m "not slow" --doctest-modules src tests -q -n $(TEST_WORKERS)
test: lint typecheck
	@scripts/chromium.sh ensure >/dev/null || { \
	  if [ "$${CI:-}" = true ]; then echo "make test: Chromium could not be installed" >&2; exit 1; fi; \
	  echo "make test: no headless Chromium; the browser tests will be skipped" >&2; }; \
	pg=$$(scripts/postgres.sh start) || { \
	  if [ "$${CI:-}" = true ]; then echo "make test: PostgreSQL could not be started" >&2; exit 1; fi; \
	  echo "make test: PostgreSQL could not be started; its tests will be skipped" >&2; pg=; }; \
	my=$$(scripts/mysql.sh start) || { \
	  if [ "$${CI:-}" = true ]; then echo "make test: MySQL could not be started" >&2; \
	    scripts/postgres.sh stop; exit 1; fi; \
	  echo "make test: MySQL could not be started; its tests will be skipped" >&2; my=; }; \
	rd=$$(scripts/redis.sh start) || { \
	  if [ "$${CI:-}" = true ]; then echo "make test: Redis could not be started" >&2; \
	    scripts/postgres.sh stop; scripts/mysql.sh stop; exit 1; fi; \
	  echo "make test: Redis could not be started; its tests will be skipped" >&2; rd=; }; \
	PODBOR_TEST_POSTGRES_URL="$$pg" PODBOR_TEST_MYSQL_URL="$$my" PODBOR_TEST_REDIS_URL="$$rd" \
	  PODBOR_TEST_REDIS_CLUSTER_URL="$$(cat .redis/cluster_url 2>/dev/null)" \
	  $(PY) -m pytest $(PYTEST_ARGS); \
	rc=$$?; scripts/postgres.sh stop; scripts/mysql.sh stop; scripts/redis.sh stop; exit $$rc

test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "not slow" -x -q tests

test-slow: $(VENV)/.dev
	$(MAKE) test PYTEST_ARGS='-m slow -q tests'

# The documentation site: API reference from the docstrings and tutorials run at build time
# (sphinx-gallery), built with -W (a warning fails it) and -n (every podbor cross-reference must
# resolve), then every link inside the site is checked and the site is opened in headless
# Chromium (tests/test_docs_site_browser.py). Output: docs/_build/html/index.html.
# `make docs-full` gives the tutorials their larger budgets.
$(VENV)/.docs: $(VENV)/.installed pyproject.toml
	$(PIP) install -e '.[docs]'
	touch $@

DOCS_OUT ?= docs/_build/html
docs: $(VENV)/.docs
	rm -rf docs/_build docs/auto_tutorials docs/api/generated
	$(VENV)/bin/sphinx-build -W --keep-going -n -q -b html docs $(DOCS_OUT)
	$(PY) scripts/check_doc_links.py $(DOCS_OUT)
	@scripts/chromium.sh ensure >/dev/null || echo "make docs: no headless Chromium; the site's browser tests will be skipped" >&2
	PODBOR_DOCS_HTML=$(DOCS_OUT) $(PY) -m pytest -q -p no:cacheprovider tests/test_docs_site_browser.py

docs-full:
	PODBOR_DOCS_FULL=1 $(MAKE) docs

# The scale-out benchmark (issue 21): throughput against Optuna, flatness at 10^4 and 10^5 trials
# (hours on a database server), one study on threads / processes / Dask, workers and a Dask
# scheduler SIGKILLed mid-study; then the default sampler's time per trial on studies of 10^3 to
# 10^5 trials. Optuna comes from benchmarks/.venv (see benchmarks/README.md) when it exists.
BENCH_PY ?= $(if $(wildcard benchmarks/.venv/bin/python),benchmarks/.venv/bin/python,$(PY))
bench-scale: $(VENV)/.dev
	-scripts/postgres.sh start >/dev/null
	-scripts/mysql.sh start >/dev/null
	-scripts/redis.sh start >/dev/null
	$(BENCH_PY) benchmarks/scale.py --flat-trials 10000 100000 $(BENCH_ARGS)
	$(BENCH_PY) benchmarks/long_history.py --sizes 1000 10000 100000

# Optuna's own tests against podbor (the runner comes with the shared notes beside the checkout;
# without it this says so and passes). Fails when the public pass rate drops below PEER_MIN_RATE.
# The guard lives in scripts/peer_tests.sh; PEER_MIN_RATE=… overrides it, PEER_ARGS='--set wide' adds files.
peer-tests: $(VENV)/.dev
	scripts/peer_tests.sh $(PEER_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache docs/_build docs/auto_tutorials docs/api/generated
