"""Run the seminar examples one after another and sum up their best results (``make demo``).

Each example runs in its own process with this interpreter, so each starts from a clean state
exactly as ``python examples/NAME.py`` would. Its output passes through unchanged; the lines
that report the best result are repeated in a summary at the end.

Usage::

    python examples/run_all.py                            # in memory
    python examples/run_all.py --storage sqlite:///demo.db  # trials kept in a database
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

EXAMPLES = (
    ("seminar_quadratic.py", "Example 1: minimize (x - 2) ** 2 over x in [-100, 100], 100 trials"),
    ("seminar_lasso.py", "Example 2: Lasso's alpha on the diabetes data, 20 trials"),
    ("seminar_conditional.py", "Example 3: ridge or lasso, then that model's alpha, 20 trials"),
)
RESULT_PREFIXES = ("Minimum ", "Best parameter")


def run_example(script: Path, storage: str | None) -> tuple[int, list[str]]:
    """Run one example, echo its standard output, and return its exit code and result lines."""
    command = [sys.executable, str(script)]
    if storage is not None:
        command += ["--storage", storage]
    results: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith(RESULT_PREFIXES):
                results.append(line.rstrip("\n"))
    return process.returncode, results


def main(argv: list[str] | None = None) -> int:
    """Run every example; return 1 if any of them failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default=None, help="database URL (default: in memory)")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent
    summary: list[tuple[str, int, list[str]]] = []
    for name, title in EXAMPLES:
        print(f"\n{'=' * 100}\n{title}\n    python examples/{name}\n{'=' * 100}", flush=True)
        code, results = run_example(here / name, args.storage)
        summary.append((name, code, results))
    print(f"\n{'=' * 100}\nBest results\n{'=' * 100}")
    for name, code, results in summary:
        shown = "; ".join(results) if code == 0 else f"FAILED (exit code {code})"
        print(f"{name:<26} {shown}")
    return 0 if all(code == 0 for _, code, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
