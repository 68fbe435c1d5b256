"""Sphinx configuration of podbor's documentation site (``make docs`` → ``docs/_build/html``).

The API reference comes from the docstrings (autodoc + autosummary, Google style through
napoleon); the tutorials under ``docs/tutorials/`` are sphinx-gallery scripts, run at every
build, so a tutorial that breaks fails the build. ``make docs`` builds with ``-W`` (any warning
is an error) and ``-n`` (every cross-reference to a podbor name must resolve); the links inside
the built site are checked afterwards by ``scripts/check_doc_links.py``.

``PODBOR_DOCS_FULL=1`` (``make docs-full``) gives the tutorials their larger budgets.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE / "_ext"))

from podbor_gallery import TightMatplotlib  # noqa: E402

import podbor  # noqa: E402

project = "podbor"
author = "the podbor developers"
copyright = "2026, the podbor developers"
release = podbor.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into the site: formulas show without a network
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "podbor_cli",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "tutorials/README.rst", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

# -- the API reference -------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autoclass_content = "class"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# Integration modules whose classes derive from a framework's import it at import time; the
# reference is built without those frameworks.
autodoc_mock_imports = [
    "xgboost",
    "catboost",
    "lightning",
    "pytorch_lightning",
    "mlflow",
    "wandb",
    "tensorboard",
    "torch",
    "lightgbm",
    "ignite",
    "skorch",
    "keras",
    "tensorflow",
    "cma",
    "shap",
    "botorch",
    "gpytorch",
]

# Every reference to a podbor name must resolve; names of other libraries (numpy, typing, …)
# are not linked (the site is built offline, without intersphinx inventories).
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!podbor\b).*")]

# -- the tutorials -----------------------------------------------------------------------------
# The theme's pygments styles call logging.basicConfig(level=INFO) when they are imported, which
# would print libraries' INFO lines (Alembic creating a SQLite database, Dask's scheduler) into
# the build output and the tutorials' pages. Configuring the root logger first at WARNING turns
# that later call into a no-op. (Sphinx's own messages go through its own handlers.)
logging.basicConfig(level=logging.WARNING)
logging.getLogger("alembic").setLevel(logging.WARNING)
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # Dask's own logging config


FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
sphinx_gallery_conf = {
    "examples_dirs": ["tutorials"],
    "gallery_dirs": ["auto_tutorials"],
    # every numbered tutorial runs at build time (PODBOR_DOCS_ONLY=regex narrows it while writing)
    "filename_pattern": os.environ.get("PODBOR_DOCS_ONLY", r"/\d\d_"),
    "ignore_pattern": r"__init__\.py|/_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": (TightMatplotlib(),),
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "min_reported_time": 1,
}
os.environ.setdefault("PODBOR_DOCS_FULL", "1" if FULL else "0")
os.environ.setdefault("MPLBACKEND", "Agg")

# -- HTML --------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"podbor {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
myst_heading_anchors = 3
