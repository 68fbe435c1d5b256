"""Helpers of the dashboard tests: the writer process, a real server, a browser, waiting.

- :class:`Writer` runs ``tests/dashboard/dashboard_writer.py`` in a separate process, which
  writes the test studies into a fresh SQLite file, as a worker would, and finishes or adds
  trials while the page is open.
- :class:`DashboardServer` starts ``python -m podbor dashboard --storage URL --port 0 ...`` as a
  subprocess and reads the address it prints.
- :func:`driver_or_skip`: headless Chromium through Selenium. Without selenium or chromedriver
  the browser tests are skipped, except under ``CI=true``, where that fails the run
  (``scripts/chromium.sh ensure`` installs Debian's chromium and chromium-driver).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

WRITER = Path(__file__).with_name("dashboard_writer.py")
BIG = 2500
"""Trials of the study ``big``: past 2,000 points the plots' scatter traces are WebGL ones."""
_URL = re.compile(r"(https?://[^\s'\"<>]+)")


class Writer:
    """The writer process (``dashboard_writer.py serve``): it runs one command at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def __call__(self, *args: str) -> None:
        """Run one command (see ``dashboard_writer.py``) in the writer process and wait for it."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(shlex.join(args) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        assert answer == "ok", f"the writer process failed on {args}: {answer or 'it exited'}"

    def write_studies(self, path: Path) -> str:
        """Write the test studies into a new SQLite file at ``path``; its URL."""
        url = f"sqlite:///{path}"
        self("studies", url)
        return url

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class DashboardServer:
    """``podbor dashboard`` in a subprocess, on a free port; ``base`` is its address.

    Args:
        storage: The storage URL.
        args: More command-line arguments (``--allow-write``, ``--token T``).
    """

    def __init__(self, storage: str, args: Sequence[str] = ()) -> None:
        command = [sys.executable, "-m", "podbor", "dashboard", "--storage", storage]
        command += ["--port", "0", *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PODBOR_DASHBOARD_TOKEN", None)
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.output: list[str] = []
        self.printed_url = self._wait_for_url(timeout=30.0)
        match = re.match(r"(https?://[^/?#]+)", self.printed_url)
        assert match is not None, self.printed_url
        self.base = match.group(1)
        threading.Thread(target=self._drain, daemon=True).start()
        self._wait_for_connection(timeout=10.0)

    def _wait_for_connection(self, timeout: float) -> None:
        """Wait until the printed address accepts a connection (uvicorn starts after the print)."""
        parts = urllib.parse.urlsplit(self.base)
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection((parts.hostname, parts.port or 80), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(
                        f"podbor dashboard does not answer at {self.base}; its output:\n"
                        + "".join(self.output)
                    ) from None
                time.sleep(0.05)

    def _wait_for_url(self, timeout: float) -> str:
        assert self.process.stdout is not None
        found: list[str] = []

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                match = _URL.search(line)
                if match:
                    found.append(match.group(1).rstrip(".,;)"))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not found:
            self.stop()
            raise AssertionError(
                "podbor dashboard printed no URL within "
                f"{timeout:.0f} s; its output:\n{''.join(self.output)}"
            )
        return found[0]

    def _drain(self) -> None:
        if self.process.stdout is not None:
            for line in self.process.stdout:
                self.output.append(line)

    def url(self, path: str = "/") -> str:
        return self.base + path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def driver_or_skip() -> Any:
    try:
        from selenium import webdriver
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("selenium is not installed (make dev installs it)")
    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromedriver is missing under CI=true (scripts/chromium.sh ensure)")
        pytest.skip("no chromedriver (scripts/chromium.sh ensure installs it)")
    options = webdriver.ChromeOptions()
    flags = (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--enable-unsafe-swiftshader",  # WebGL (scattergl traces) in software
        "--use-angle=swiftshader",
    )
    for flag in flags:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    return webdriver.Chrome(options=options, service=service)


def wait_until(condition: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``condition()`` until it returns a truthy value (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s (last: {value!r})")
        time.sleep(interval)
