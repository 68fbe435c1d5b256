"""Check the links inside a built HTML site: every relative link must reach a file, every anchor an id.

Usage::

    python scripts/check_doc_links.py docs/_build/html

Every ``.html`` file under the directory is parsed with the standard library's HTML parser. For
each ``href`` and ``src`` attribute that stays inside the site (a relative path, a root-relative
``/path``, or a bare ``#anchor``), the target file must exist, and when the link has a
``#fragment`` and the target is an HTML page, that page must hold an element with that ``id`` (or
an ``<a name=...>``). Links with a scheme or a host (``http:``, ``https:``, ``mailto:``,
``data:``, ``javascript:``, ``//host/...``) are not checked: the site is checked offline.

Each broken link is printed with the page it is on; the exit status is 1 if there is any, 0 if
there is none, and 2 when the directory does not exist. ``make docs`` runs this after Sphinx.
"""

from __future__ import annotations

import argparse
import os.path
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Links with these schemes leave the site (or carry their content inline): not checked.
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto", "data", "javascript", "tel", "ftp"})
# Attributes that hold a link to follow.
LINK_ATTRIBUTES = frozenset({"href", "src"})
# Fragments a browser resolves without an element of that id (HTML: "#" and "#top" go to the top).
ALWAYS_VALID_FRAGMENTS = frozenset({"", "top"})


class _PageParser(HTMLParser):
    """Collect the ids (and ``<a name>`` anchors) of a page and the links it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[int, str]] = []  # (line, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in LINK_ATTRIBUTES and not (tag == "base" and name == "href"):
                self.links.append((self.getpos()[0], value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


class LinkChecker:
    """Check every page of a site; :meth:`run` returns the broken links found."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._parsed: dict[Path, _PageParser] = {}
        self.n_pages = 0
        self.n_links = 0

    def _parse(self, page: Path) -> _PageParser:
        parsed = self._parsed.get(page)
        if parsed is None:
            parsed = _PageParser()
            parsed.feed(page.read_text(encoding="utf-8", errors="replace"))
            parsed.close()
            self._parsed[page] = parsed
        return parsed

    def _resolve(self, page: Path, path: str) -> Path:
        """The file a link's (unquoted) path points to, relative to ``page`` or to the root."""
        if path.startswith("/"):
            target = self.root / path.lstrip("/")
        elif path == "":
            target = page
        else:
            target = page.parent / path
        target = Path(os.path.normpath(target))  # collapse "." and ".." (no symlink resolution)
        if path.endswith("/") or target.is_dir():
            target = target / "index.html"
        return target

    def check_link(self, page: Path, url: str) -> str | None:
        """Why the link ``url`` on ``page`` is broken, or None when it is fine or not checked."""
        parts = urlsplit(url.strip())
        if parts.scheme.lower() in EXTERNAL_SCHEMES or (not parts.scheme and parts.netloc):
            return None
        if parts.scheme:
            return f"unsupported link scheme {parts.scheme!r}"
        target = self._resolve(page, unquote(parts.path))
        if not target.is_relative_to(self.root):
            return "points outside the site"
        if not target.is_file():
            return f"no such file: {target.relative_to(self.root)}"
        fragment = unquote(parts.fragment)
        if fragment in ALWAYS_VALID_FRAGMENTS or target.suffix.lower() not in {".html", ".htm"}:
            return None
        if fragment not in self._parse(target).ids:
            return f"no id {fragment!r} in {target.relative_to(self.root)}"
        return None

    def run(self) -> list[str]:
        """Check every page; return one line per broken link (``page:line: url: reason``)."""
        broken: list[str] = []
        for page in sorted(self.root.rglob("*.html")):
            if not page.is_file():
                continue
            self.n_pages += 1
            for line, url in self._parse(page).links:
                self.n_links += 1
                reason = self.check_link(page, url)
                if reason is not None:
                    broken.append(f"{page.relative_to(self.root)}:{line}: {url}: {reason}")
        return broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check that every link inside a built HTML site reaches a file and an anchor."
    )
    parser.add_argument("site", type=Path, help="the built site, e.g. docs/_build/html")
    args = parser.parse_args(argv)
    site: Path = args.site
    if not site.is_dir():
        print(
            f"check_doc_links: {site} is not a directory; build the site first (make docs).",
            file=sys.stderr,
        )
        return 2
    checker = LinkChecker(site)
    broken = checker.run()
    for line in broken:
        print(line)
    summary = (
        f"check_doc_links: {checker.n_pages} pages, {checker.n_links} links checked, "
        f"{len(broken)} broken"
    )
    print(summary, file=sys.stderr if broken else sys.stdout)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
