"""Shared helpers of the benchmark scripts: machine/version header, median timing, one output format.

Every script prints ``# machine:`` / ``# versions:`` lines, then one line per figure:
``<figure>: <value> <unit>  [<details>]``. Figures are printed, never asserted (machines are shared).
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from importlib import metadata
from typing import Callable


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def header(title: str, command: str) -> None:
    """The script's title, the command reproducing it, the machine and the versions."""
    print(f"# {title}")
    print(f"# command: {command}")
    print(f"# machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.machine()}")
    print(f"# versions: Python {platform.python_version()}, duckdb {version('duckdb')}, "
          f"numba {version('numba')}, pyarrow {version('pyarrow')}, numpy {version('numpy')}, "
          f"pyfarmhash {version('pyfarmhash')}")
    sys.stdout.flush()


def median_seconds(run: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """Median wall time of ``runs`` calls of ``run`` (callers run a warm-up first)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def figure(name: str, value: float, unit: str, details: str = "", digits: int = 2) -> None:
    print(f"{name}: {value:.{digits}f} {unit}" + (f"  [{details}]" if details else ""), flush=True)
