"""Target 1 of issue 8: farm_fingerprint throughput on DuckDB beside a do-nothing Arrow UDF and hash().

Over the same keys like 'user_123456' (in a DuckDB table), median of RUNS runs, interleaved round
by round, of ``SELECT sum(<expr> % 7) FROM t`` for:
  - farm_fingerprint, numba backend and pyfarmhash backend (bqml_tools.core.fingerprint)
  - noop: an Arrow UDF returning a slice of a prebuilt zero int64 array, touching nothing (the floor
    of any Arrow UDF: DuckDB -> Arrow -> Python -> Arrow -> DuckDB per 2048 rows)
  - DuckDB's native hash()
at DuckDB's default thread count and at threads=1, with the ratios the issue's targets name
(farm_fingerprint/noop >= 0.8, floor 0.6; farm_fingerprint/hash() >= 1/3). Prints, never asserts.
Also: cold (empty numba cache) and warm start of a small CLI split, whole process.

Usage:  python benchmarks/bench_fingerprint.py [ROWS] [RUNS]     (default 3,000,000 rows, 5 runs)
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header  # noqa: E402

from bqml_tools.core.fingerprint.arrow import ArrowFingerprint  # noqa: E402
from bqml_tools.core.fingerprint import register_duckdb  # noqa: E402

try:
    from duckdb import sqltypes
except ImportError:  # DuckDB < 1.4
    from duckdb import typing as sqltypes


ZEROS = pa.array(np.zeros(1 << 16, dtype=np.int64))


def noop(values: pa.Array) -> pa.Array:
    """The do-nothing Arrow UDF: a slice of a prebuilt zero array, no allocation, no work."""
    return ZEROS.slice(0, len(values))


CASES = {  # name -> SQL expression over k
    "farm_fingerprint[numba]": "farm_fingerprint(k)",
    "farm_fingerprint[pyfarmhash]": "farm_fingerprint_pyfarmhash(k)",
    "noop Arrow UDF": "noop(k)",
    "native hash()": "hash(k)",
}


def connection(rows: int, threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={} if threads is None else {"threads": threads})
    con.execute(f"CREATE TABLE t AS SELECT 'user_' || (100000 + range) AS k FROM range({rows})")
    register_duckdb(con, backend="numba")
    for name, function in (("noop", noop), ("farm_fingerprint_pyfarmhash", ArrowFingerprint("pyfarmhash"))):
        con.create_function(name, function, None, sqltypes.BIGINT, type="arrow", null_handling="special")
    return con


def throughput(rows: int, runs: int, threads: int | None, label: str) -> None:
    """Runs interleaved case by case, so that a neighbour's load hits every case alike; ratios are
    the median of each round's ratio."""
    con = connection(rows, threads)
    seconds: dict[str, list[float]] = {name: [] for name in CASES}
    for name, expr in CASES.items():  # warm-up: loads numba's cache, fills DuckDB's buffers
        con.execute(f"SELECT sum({expr} % 7) FROM t").fetchall()
    for _ in range(runs):
        for name, expr in CASES.items():
            start = time.perf_counter()
            con.execute(f"SELECT sum({expr} % 7) FROM t").fetchall()
            seconds[name].append(time.perf_counter() - start)
    con.close()
    for name, times in seconds.items():
        figure(f"{label} {name}", rows / statistics.median(times) / 1e6, "M rows/s")

    def ratio(name: str, base: str) -> float:
        return statistics.median(b / a for a, b in zip(seconds[name], seconds[base]))

    figure(f"{label} ratio farm_fingerprint[numba] / noop UDF", ratio("farm_fingerprint[numba]", "noop Arrow UDF"),
           "x", "target >= 0.8, floor 0.6")
    figure(f"{label} ratio farm_fingerprint[numba] / native hash()",
           ratio("farm_fingerprint[numba]", "native hash()"), "x", "target >= 0.33")
    figure(f"{label} ratio farm_fingerprint[pyfarmhash] / noop UDF",
           ratio("farm_fingerprint[pyfarmhash]", "noop Arrow UDF"), "x", "the fallback, for comparison")


def cli_start(runs: int) -> None:
    """Whole-process time of a small CLI split (10,000 rows): numba's cache empty (one run), then
    warm, beside the default auto backend and ``--help``, interleaved round by round."""
    cli = str(Path(sys.executable).with_name("bqml-tools"))
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "small.parquet")
        duckdb.sql(f"COPY (SELECT range AS user_id, range % 2 AS label FROM range(10000)) TO '{source}'")
        split = [cli, "split", source, "--key", "user_id"]
        cache = dict(NUMBA_CACHE_DIR=os.path.join(tmp, "numba-cache"))  # starts empty
        cases = {
            "numba backend, warm (cached kernel loaded)": (split, dict(cache, BQML_TOOLS_FINGERPRINT="numba")),
            "auto backend (default: pyfarmhash below 1M rows, numba not imported)":
                (split, dict(cache, BQML_TOOLS_FINGERPRINT="auto")),
            "--help": ([cli, "--help"], {}),
        }

        def run(command: list[str], env: dict[str, str]) -> float | None:
            start = time.perf_counter()
            done = subprocess.run(command, env=dict(os.environ, **env), capture_output=True, text=True)
            if done.returncode != 0:
                print(f"CLI {' '.join(command[1:2])} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
                return None
            return time.perf_counter() - start

        cold = run(*cases["numba backend, warm (cached kernel loaded)"])
        if cold is None:
            return
        figure("CLI split 10k rows, numba backend, cold (empty numba cache: compiles)", cold, "s")
        seconds: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (command, env) in cases.items():
                elapsed = run(command, env)
                if elapsed is None:
                    return
                seconds[name].append(elapsed)
        for name, times in seconds.items():
            figure(f"CLI {'split 10k rows, ' if name != '--help' else ''}{name}", statistics.median(times), "s")


def main(rows: int, runs: int) -> None:
    header(f"farm_fingerprint throughput, {rows:,} keys like 'user_123456', median of {runs} runs",
           f"python benchmarks/bench_fingerprint.py {rows} {runs}")
    default_threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    throughput(rows, runs, None, f"threads={default_threads} (DuckDB default)")
    throughput(rows, runs, 1, "threads=1")
    cli_start(runs=5)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
