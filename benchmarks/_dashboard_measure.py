"""Measuring one dashboard server: time to the first plot in a browser, API latency, memory.

Used by ``dashboard.py``. A server is a subprocess on a free loopback port; the browser is a
headless Chromium driven by Selenium. The page's own clock decides the time to first plot: a
script injected before any page script runs (``Page.addScriptToEvaluateOnNewDocument``) checks
every 10 ms whether a plot with drawn points is in the document and records
``performance.now()`` (milliseconds since the navigation started) the first time it is.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import json
import os
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Condition for each dashboard: a JavaScript expression giving the first drawn plot's name, or
# null. podbor marks a plot section ``data-state=drawn`` once plotly drew it; optuna-dashboard
# has no such mark, so a plotly div whose traces hold at least one point counts.
_DRAWN = {
    "podbor": """(() => {
        const p = document.querySelector('#plots .plot[data-state=drawn]');
        return p ? (p.getAttribute('data-kind') || 'plot') : null; })()""",
    "optuna-dashboard": """(() => {
        for (const e of document.querySelectorAll('.js-plotly-plot')) {
            const has = (e.data || []).some(t => ['x', 'y', 'values', 'dimensions']
                .some(k => t[k] && t[k].length > 0));
            if (has && e.querySelector('.main-svg')) return e.id || 'plot';
        }
        return null; })()""",
}
_FAILED = {
    "podbor": """(() => {
        const p = document.querySelector('#plots .plot[data-state=error]');
        const e = document.querySelector('#error');
        if (p) return 'plot error: ' + p.textContent.slice(0, 200);
        if (e && e.offsetParent !== null && e.textContent.trim()) return e.textContent.slice(0, 200);
        return null; })()""",
    "optuna-dashboard": "null",
}
# A page still drawing (podbor: a plot section in view without its final state; those below the
# fold are drawn only when scrolled to) keeps the browser busy into the next load;
# optuna-dashboard has no such mark (its server's idleness is waited for).
_BUSY = {
    "podbor": """return Array.from(document.querySelectorAll(
        '#plots .plot[data-kind]:not([data-state=drawn]):not([data-state=note]):not([data-state=error])'
        )).some((e) => {
            const r = e.getBoundingClientRect();
            return r.bottom > 0 && r.top < window.innerHeight;
        });""",
    "optuna-dashboard": "return false;",
}
_PROBE = """(() => {
    window.__firstPlot = null; window.__failed = null;
    const timer = setInterval(() => {
        let name = null, failed = null;
        try { name = %s; failed = %s; } catch (err) { return; }
        if (name !== null) { window.__firstPlot = {t: performance.now(), name: name}; clearInterval(timer); }
        else if (failed !== null) { window.__failed = failed; clearInterval(timer); }
    }, 10);
})();"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A dashboard server subprocess on a free port (``with`` stops it)."""

    def __init__(self, command: Sequence[str], port: int, log: Path) -> None:
        self.port = port
        self._log = log.open("wb")
        self.proc = subprocess.Popen(list(command), stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120.0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"server not listening on {port} after 120 s; see {log}")

    def rss_mb(self) -> float:
        """Resident memory of the server (and any children), in MiB."""
        try:
            psutil: Any = importlib.import_module("psutil")
        except ImportError:
            return _vmrss_kb(self.proc.pid) / 1024.0
        proc = psutil.Process(self.proc.pid)
        total = proc.memory_info().rss
        total += sum(c.memory_info().rss for c in proc.children(recursive=True))
        return float(total) / 2**20

    def wait_idle(self, cap_s: float = 20.0) -> None:
        """Wait until the server stops working (below 10 % of a CPU for 1 s), at most ``cap_s``.

        A page asks for more than its first plot; a next load must not queue behind that work.
        """
        try:
            proc: Any = importlib.import_module("psutil").Process(self.proc.pid)
        except Exception:
            time.sleep(2.0)
            return
        deadline = time.monotonic() + cap_s
        quiet = 0
        while quiet < 2 and time.monotonic() < deadline:
            quiet = quiet + 1 if proc.cpu_percent(interval=0.5) < 10.0 else 0

    def get(self, path: str, timeout: float = 600.0) -> tuple[float, Any]:
        """GET a JSON path: (seconds, decoded body); a non-2xx status raises."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            start = time.perf_counter()
            conn.request("GET", path, headers={"Accept": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
            seconds = time.perf_counter() - start
        finally:
            conn.close()
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"GET {path} -> {resp.status}: {body[:300]!r}")
        return seconds, json.loads(body) if body else None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _vmrss_kb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return float("nan")


def browser(timeout: float) -> Any:
    """A headless Chromium (a fresh profile: empty cache) driven by Selenium.

    ``timeout``: seconds a driver command may take; a page whose script keeps the browser busy
    for minutes (optuna-dashboard on 10^4 trials) blocks commands that long.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    binary = os.environ.get("PODBOR_BENCH_CHROMIUM", "/usr/bin/chromium")
    if Path(binary).exists():
        options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--enable-unsafe-swiftshader",  # WebGL (plotly's scattergl) without a GPU
        "--use-angle=swiftshader",
    ):
        options.add_argument(arg)
    driver_path = os.environ.get("PODBOR_BENCH_CHROMEDRIVER", "/usr/bin/chromedriver")
    service = Service(driver_path) if Path(driver_path).exists() else Service()
    driver = webdriver.Chrome(service=service, options=options)
    executor: Any = driver.command_executor
    executor._client_config.timeout = timeout + 60.0  # default: 120 s
    return driver


def _wait_drawn(driver: Any, dashboard: str, cap_s: float) -> None:
    """Wait until the page has drawn all its plots (at most ``cap_s``)."""
    deadline = time.monotonic() + cap_s
    while time.monotonic() < deadline:
        try:
            if not driver.execute_script(_BUSY[dashboard]):
                return
        except Exception:  # busy: the command timed out
            continue
        time.sleep(0.2)


def browser_idle(driver: Any, cap_s: float = 120.0, busy_cpu_s: float = 0.15) -> float:
    """Wait until the browser's processes use less than ``busy_cpu_s`` CPU-seconds per second
    (at most ``cap_s``); return the seconds waited.

    With software WebGL (SwiftShader, no GPU) a page that drew large WebGL plots keeps the
    browser's GPU process busy for tens of seconds after the page is left, and the next page's
    first WebGL call waits for it: a warm load would then time the previous page. A user who
    opens the dashboard does not come from such a page.
    """
    try:
        psutil: Any = importlib.import_module("psutil")
        root = psutil.Process(driver.service.process.pid)
    except Exception:
        return 0.0
    start = time.monotonic()

    def cpu() -> float:
        total = 0.0
        for proc in root.children(recursive=True):
            with contextlib.suppress(Exception):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    last = cpu()
    while time.monotonic() - start < cap_s:
        time.sleep(1.0)
        now = cpu()
        if now - last < busy_cpu_s:
            break
        last = now
    return time.monotonic() - start


def close_browser(driver: Any) -> None:
    """Quit the browser; kill chromedriver and its browser when a busy page blocks the quit."""
    process = driver.service.process
    try:
        psutil: Any = importlib.import_module("psutil")
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except Exception:
        tree = []
    executor: Any = driver.command_executor
    executor._client_config.timeout = 30.0
    with contextlib.suppress(Exception):
        driver.quit()
    for proc in tree:
        with contextlib.suppress(Exception):
            proc.kill()


@dataclass
class PageTimes:
    """Seconds from navigation to the first drawn plot: the cold load, then the warm ones."""

    cold: float | None = None
    warm: list[float] = field(default_factory=list)
    plot: str = ""
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.warm) if self.warm else None


def time_first_plot(
    driver: Any,
    dashboard: str,
    url: str,
    repeats: int,
    timeout: float,
    budget: float,
    settle: Callable[[], None] = lambda: None,
) -> PageTimes:
    """Open ``url`` up to ``1 + repeats`` times (the first is cold) and time the first drawn plot.

    A load that draws nothing within ``timeout`` seconds ends the measurement (``error``);
    after ``budget`` seconds no further warm load starts (but there is always one).
    """
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": _PROBE % (_DRAWN[dashboard], _FAILED[dashboard])},
    )
    driver.set_page_load_timeout(timeout)
    driver.set_script_timeout(timeout)  # a busy page delays even a one-line script
    times = PageTimes()
    started = time.monotonic()
    for i in range(1 + repeats):
        if len(times.warm) >= 1 and time.monotonic() - started > budget:
            break
        driver.get("about:blank")
        if i > 0:
            browser_idle(driver)  # the page just left may keep the browser drawing
        driver.get(url)
        deadline = time.monotonic() + timeout
        result: Any = None
        while time.monotonic() < deadline:
            try:
                result = driver.execute_script("return [window.__firstPlot, window.__failed];")
            except Exception:  # a page busy for minutes times the command out: still waiting
                result = None
                continue
            if result[0] is not None or result[1] is not None:
                break
            time.sleep(0.05)
        if result is None or result[0] is None:
            times.error = result[1] if result and result[1] else f"no plot in {timeout:.0f} s"
            return times
        seconds = result[0]["t"] / 1000.0
        times.plot = str(result[0]["name"])
        _wait_drawn(driver, dashboard, timeout)
        settle()  # the page's other requests end before the next load
        if i == 0:
            times.cold = seconds
        else:
            times.warm.append(seconds)
    return times


@dataclass
class Latency:
    """Response times of one API endpoint, in seconds."""

    endpoint: str
    path: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return float(statistics.median(self.samples))

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return float(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))])


def time_api(
    server: Server, paths: dict[str, str], requests: int, budget_s: float
) -> list[Latency]:
    """Each endpoint ``requests`` times after a warm-up, fewer when it uses up ``budget_s``.

    A warm-up that alone takes over ``budget_s`` is the endpoint's only sample (the page
    loads before it already warmed the server's caches).
    """
    out = []
    for name, path in paths.items():
        first, _ = server.get(path)
        samples: list[float] = [first] if first > budget_s else []
        spent = 0.0
        while len(samples) < requests and spent < budget_s:
            seconds, _ = server.get(path)
            samples.append(seconds)
            spent += seconds
        out.append(Latency(name, path, samples))
    return out
