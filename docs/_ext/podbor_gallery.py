"""sphinx-gallery helpers for podbor's tutorials (imported by ``docs/conf.py``)."""

from __future__ import annotations

from typing import Any

from sphinx_gallery.scrapers import matplotlib_scraper


class TightMatplotlib:
    """sphinx-gallery's matplotlib scraper, saving each figure with ``bbox_inches="tight"``.

    Without it, long tick labels (parameter names in the importances plot, worker names in the
    timeline) are cut off at the figure's edge. A module-level class with a stable ``repr``, so
    that Sphinx can pickle the configuration and sees it unchanged from one build to the next.
    """

    def __repr__(self) -> str:
        return "TightMatplotlib()"

    def __call__(self, block: Any, block_vars: Any, gallery_conf: Any) -> str:
        return str(matplotlib_scraper(block, block_vars, gallery_conf, bbox_inches="tight"))
