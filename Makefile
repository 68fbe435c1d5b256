# podbor: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip -q --disable-pip-version-check

.PHONY: venv dev demo test test-fast test-slow lint typecheck format bench clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	touch $@

# Core install plus what the examples use (pandas for trials_dataframe, scikit-learn for the models).
$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PIP) install -e '.[pandas,sklearn]'
	touch $@

$(VENV)/.dev: $(VENV)/.installed pyproject.toml
	$(PIP) install -e '.[dev]'
	touch $@

venv: $(VENV)/.installed
dev: $(VENV)/.dev

demo: $(VENV)/.installed
	$(PY) examples/run_all.py

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests examples benchmarks
	$(VENV)/bin/ruff format --check src tests examples benchmarks

format: $(VENV)/.dev
	$(VENV)/bin/ruff format src tests examples benchmarks
	$(VENV)/bin/ruff check --fix src tests examples benchmarks

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

# Everything CI runs: lint, types, unit + conformance tests, doctests. Slow cases have their own target.
test: lint typecheck
	$(PY) -m pytest -m "not slow" --doctest-modules src tests -q

test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "not slow" -x -q tests

test-slow: $(VENV)/.dev
	$(PY) -m pytest -m slow -q tests

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
